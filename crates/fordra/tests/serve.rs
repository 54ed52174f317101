//! `fordra serve` as an operator runs it: two processes on one PostgreSQL database schedule
//! every creditor's day (catching up the days missed) and each day runs exactly once; both stop
//! cleanly on SIGTERM.

use chrono::{Duration as Days, Utc};
use fordra_app::webhooks::NewWebhook;
use fordra_app::{App, CreditorId};
use fordra_core::calendar::Country;
use fordra_core::law::LawBook;
use fordra_core::schedule::{due_days, Schedule};
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn fordra(dir: &Path, db: &str, args: &[&str]) {
    let o = Command::new(env!("CARGO_BIN_EXE_fordra"))
        .arg("--db")
        .arg(db)
        .args(args)
        .current_dir(dir)
        .env_remove("FORDRA_CREDITOR")
        .output()
        .unwrap();
    assert!(o.status.success(), "fordra {args:?}: {}", String::from_utf8_lossy(&o.stderr));
}

fn serve(dir: &Path, db: &str, log: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_fordra"))
        .args(["--db", db, "serve", "--addr", "127.0.0.1:0", "--config", "serve.toml"])
        .current_dir(dir)
        .env("RUST_LOG", "info")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join(log)).unwrap())
        .spawn()
        .unwrap()
}

#[test]
fn two_services_run_each_creditors_day_exactly_once() {
    let Ok(base) = std::env::var("FORDRA_TEST_POSTGRES_URL") else {
        eprintln!("skipping: set FORDRA_TEST_POSTGRES_URL");
        return;
    };
    let name = format!("fordra_serve_{}", std::process::id());
    let mut admin = postgres::Client::connect(&base, postgres::NoTls).unwrap();
    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name}")).unwrap();
    admin.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
    let db = format!("{}/{name}", base.rsplit_once('/').unwrap().0);
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();

    // Four creditors, each last run three days ago.
    let today = Utc::now().date_naive();
    let start = today - Days::days(3);
    let creditors = ["c0", "c1", "c2", "c3"];
    for (i, c) in creditors.iter().enumerate() {
        fordra(p, &db, &["creditor", "add", "--id", c, "--name", &format!("Creditor {i}"), "--jurisdiction", "SE"]);
        std::fs::write(p.join("customers.csv"), format!("id,name,kind\nk{i},Kund {i},consumer\n")).unwrap();
        let due = today - Days::days(40);
        std::fs::write(
            p.join("invoices.csv"),
            format!(
                "id,customer_id,invoice_number,issue_date,due_date,amount\nf{i},k{i},10{i},{},{due},500.00\n",
                due - Days::days(30)
            ),
        )
        .unwrap();
        fordra(p, &db, &["--creditor", c, "import", "customers", "customers.csv"]);
        fordra(p, &db, &["--creditor", c, "import", "invoices", "invoices.csv"]);
        fordra(p, &db, &["--creditor", c, "run", "--date", &start.to_string()]);
    }
    // A subscription makes every run leave a run.finished event: the count of runs per day.
    let law = LawBook::embedded();
    let mut store = fordra_store::Store::open(&db).unwrap();
    let mut app = App::new(&mut store, &law, today);
    for c in creditors {
        let hook = NewWebhook { url: "http://127.0.0.1:9/hook".into(), kinds: vec!["run.finished".into()], now: 0 };
        app.add_webhook(&CreditorId(c.into()), &hook).unwrap();
    }
    drop(store);
    let expected = due_days(&Schedule::default(), Country::SE, Utc::now(), Some(start));
    assert!(!expected.is_empty());

    std::fs::write(
        p.join("serve.toml"),
        "schedule_interval_seconds = 1\ndeliver_interval_seconds = 1\nwebhook_interval_ms = 60000\n",
    )
    .unwrap();
    let mut a = serve(p, &db, "a.log");
    let mut b = serve(p, &db, "b.log");

    let mut client = postgres::Client::connect(&db, postgres::NoTls).unwrap();
    let count = |client: &mut postgres::Client| -> BTreeMap<(String, String), i64> {
        let mut m = BTreeMap::new();
        for r in client.query("SELECT creditor_id, payload FROM events WHERE kind = 'run.finished'", &[]).unwrap() {
            let payload: serde_json::Value = serde_json::from_str(r.get::<_, &str>(1)).unwrap();
            *m.entry((r.get::<_, String>(0), payload["date"].as_str().unwrap().to_string())).or_default() += 1;
        }
        m
    };
    let t0 = Instant::now();
    while count(&mut client).len() < creditors.len() * expected.len() && t0.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(200));
    }
    // Several more passes of both schedulers: nothing runs again.
    std::thread::sleep(Duration::from_secs(3));
    let runs = count(&mut client);
    let log_of = |f: &str| std::fs::read_to_string(p.join(f)).unwrap_or_default();
    for c in creditors {
        for day in &expected {
            let seen = runs.get(&(c.to_string(), day.to_string()));
            assert_eq!(seen, Some(&1), "{c} {day}: {runs:?}\n{}\n{}", log_of("a.log"), log_of("b.log"));
        }
    }
    assert_eq!(runs.len(), creditors.len() * expected.len(), "{runs:?}");

    // SIGTERM: both finish and stop cleanly.
    for child in [&mut a, &mut b] {
        let _ = Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
        let status = child.wait().unwrap();
        assert!(status.success(), "{status:?}");
    }
    let logs = std::fs::read_to_string(p.join("a.log")).unwrap() + &std::fs::read_to_string(p.join("b.log")).unwrap();
    assert_eq!(logs.matches("\"stopped\"").count(), 2, "{logs}");
    let scheduled = logs.matches("scheduled run").count();
    assert_eq!(scheduled, creditors.len() * expected.len(), "each day logged once by the process that ran it");
    drop(client);
    let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
}
