//! `fordra run --all-creditors --workers N` as an operator runs it: every creditor's day, several
//! at once, each exactly once even when two such commands race on one database, with the same
//! steps as running the creditors one by one.

use chrono::{Duration as Days, NaiveDate};
use std::path::Path;
use std::process::{Command, Output};

fn fordra(dir: &Path, db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fordra"))
        .arg("--db")
        .arg(db)
        .args(args)
        .current_dir(dir)
        .env_remove("FORDRA_CREDITOR")
        .output()
        .unwrap()
}

fn ok(dir: &Path, db: &str, args: &[&str]) -> String {
    let o = fordra(dir, db, args);
    assert!(o.status.success(), "fordra {args:?}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8(o.stdout).unwrap()
}

const CREDITORS: usize = 6;

/// Six creditors of 40 customers and 120 invoices each, due over the last 90 days.
fn portfolio(dir: &Path, db: &str, day: NaiveDate) {
    for c in 0..CREDITORS {
        let id = format!("cr{c}");
        ok(dir, db, &["creditor", "add", "--id", &id, "--name", &format!("Creditor {c}"), "--jurisdiction", "SE"]);
        let mut customers = String::from("id,name,kind\n");
        for k in 0..40 {
            customers.push_str(&format!("k{k},Kund {k},{}\n", if k % 4 == 0 { "business" } else { "consumer" }));
        }
        let mut invoices = String::from("id,customer_id,invoice_number,issue_date,due_date,amount\n");
        for i in 0..120 {
            let due = day - Days::days(((i * 7 + c * 3) % 90) as i64);
            invoices.push_str(&format!("f{i},k{},{i},{},{due},{}.00\n", i % 40, due - Days::days(30), 300 + i * 17));
        }
        std::fs::write(dir.join("customers.csv"), customers).unwrap();
        std::fs::write(dir.join("invoices.csv"), invoices).unwrap();
        ok(dir, db, &["--creditor", &id, "import", "customers", "customers.csv"]);
        ok(dir, db, &["--creditor", &id, "import", "invoices", "invoices.csv"]);
    }
}

/// Each creditor's steps of `day`, as stored.
fn steps(db: &str, day: NaiveDate) -> Vec<Vec<fordra_store::ActionRow>> {
    let mut store = fordra_store::Store::open(db).unwrap();
    (0..CREDITORS).map(|c| store.actions_on(&format!("cr{c}"), day).unwrap()).collect()
}

/// `partitioned`: the racing database's large tables split by creditor first (`fordra db
/// partition`), as an operator would before the creditors grow.
fn check(db_one: &str, db_many: &str, dir: &Path, partitioned: bool) {
    let day = NaiveDate::from_ymd_opt(2026, 6, 15).unwrap();
    portfolio(dir, db_one, day);
    portfolio(dir, db_many, day);
    if partitioned {
        let split = ok(dir, db_many, &["db", "partition", "--partitions", "4"]);
        assert!(
            split.starts_with("Split 15 tables into 4 partitions by creditor: customers, claims, ledger"),
            "{split}"
        );
        let again = ok(dir, db_many, &["db", "partition", "--partitions", "4"]);
        assert!(again.contains("Nothing to split"), "{again}");
    }
    // One creditor after the other, then two commands of three workers each racing.
    let one: serde_json::Value =
        serde_json::from_str(&ok(dir, db_one, &["--json", "run", "--all-creditors", "--date", &day.to_string()]))
            .unwrap();
    let spawn = || {
        Command::new(env!("CARGO_BIN_EXE_fordra"))
            .args(["--db", db_many, "--json", "run", "--all-creditors", "--workers", "3", "--date", &day.to_string()])
            .current_dir(dir)
            .env_remove("FORDRA_CREDITOR")
            .output()
    };
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(spawn);
        let b = s.spawn(spawn);
        (a.join().unwrap().unwrap(), b.join().unwrap().unwrap())
    });
    let total = |o: &Output| -> (usize, usize) {
        // A creditor the other command held is reported as not run (exit 2 with the count).
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        let runs = v["runs"].as_array().unwrap();
        assert_eq!(runs.len(), CREDITORS, "every creditor reported");
        let actions = runs.iter().map(|r| r["actions_created"].as_u64().unwrap() as usize).sum();
        let held = runs.iter().filter(|r| !r["error"].is_null()).count();
        for r in runs.iter().filter(|r| !r["error"].is_null()) {
            assert!(r["error"].as_str().unwrap().contains("lock is held"), "{r}");
        }
        (actions, held)
    };
    let expected: usize =
        one["runs"].as_array().unwrap().iter().map(|r| r["actions_created"].as_u64().unwrap() as usize).sum();
    assert!(expected > CREDITORS * 50, "a catch-up day: most overdue invoices take a step ({expected})");
    let ((xa, _), (xb, _)) = (total(&a), total(&b));
    // Whoever ran a creditor's day, it ran once: a second run of the same day adds nothing.
    assert_eq!(xa + xb, expected, "each creditor's day written exactly once between the two commands");
    assert_eq!(steps(db_many, day), steps(db_one, day), "the same steps as one creditor at a time");
    // Run again: everything already done, nothing new.
    let again: serde_json::Value = serde_json::from_str(&ok(
        dir,
        db_many,
        &["--json", "run", "--all-creditors", "--workers", "4", "--date", &day.to_string()],
    ))
    .unwrap();
    assert!(again["runs"].as_array().unwrap().iter().all(|r| r["actions_created"] == 0 && r["error"].is_null()));
}

#[test]
fn all_creditors_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let (one, many) = (dir.path().join("one.db"), dir.path().join("many.db"));
    check(&one.display().to_string(), &many.display().to_string(), dir.path(), false);
    let o = fordra(dir.path(), &many.display().to_string(), &["db", "partition"]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success() && err.contains("for PostgreSQL") && err.lines().count() == 1, "{err}");
}

#[test]
fn all_creditors_on_postgres() {
    on_postgres(false);
}

#[test]
fn all_creditors_on_postgres_partitioned_by_creditor() {
    on_postgres(true);
}

fn on_postgres(partitioned: bool) {
    let Ok(base) = std::env::var("FORDRA_TEST_POSTGRES_URL") else {
        eprintln!("skipping: set FORDRA_TEST_POSTGRES_URL");
        return;
    };
    let mut admin = postgres::Client::connect(&base, postgres::NoTls).unwrap();
    let prefix = base.rsplit_once('/').unwrap().0.to_string();
    let names: Vec<String> =
        ["one", "many"].iter().map(|n| format!("fordra_all_{n}_{}_{partitioned}", std::process::id())).collect();
    for n in &names {
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS {n}")).unwrap();
        admin.batch_execute(&format!("CREATE DATABASE {n}")).unwrap();
    }
    let dir = tempfile::tempdir().unwrap();
    let result = std::panic::catch_unwind(|| {
        check(&format!("{prefix}/{}", names[0]), &format!("{prefix}/{}", names[1]), dir.path(), partitioned)
    });
    for n in &names {
        let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {n} WITH (FORCE)"));
    }
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}
