//! Ready for a distributed PostgreSQL (Citus), where `creditor_id` is the distribution column:
//! the schema keys every table by the creditor first, and every statement of the code names
//! the creditor, so each day's work stays on one shard. Two lints: the schema as PostgreSQL
//! holds it (plain and partitioned by creditor; needs FORDRA_TEST_POSTGRES_URL) and the SQL in
//! the sources of every crate.

use std::path::{Path, PathBuf};

use regex::Regex;

#[path = "support/testdb.rs"]
mod testdb;
use testdb::TestDb;

/// Tables replicated to every node (Citus reference tables): read before a creditor is known
/// (a key or session is checked first) or the list of creditors itself, and small.
const REFERENCE_TABLES: &[&str] =
    &["creditors", "schema_migrations", "api_keys", "users", "web_sessions", "idempotency_keys"];

/// Statements that span creditors on purpose (multi-shard in Citus), each with why.
const ACROSS_CREDITORS: &[(&str, &str, &str)] = &[
    (
        "deliveries.rs",
        "FROM deliveries WHERE status IN ('queued', 'sending') AND not_before <= $1",
        "the delivery worker of every creditor takes the due messages of all (`{only}` narrows it to one)",
    ),
    (
        "webhooks.rs",
        "FROM webhooks WHERE deleted_at IS NULL",
        "the webhook worker lists every creditor's subscriptions",
    ),
    (
        "lib.rs",
        "FROM ledger WHERE kind LIKE 'fee:%'",
        "migration 5, once: facts recovered from every creditor's entries",
    ),
    ("lib.rs", "FROM ledger WHERE reference LIKE 'reversal:%'", "migration 5, once"),
    ("lib.rs", "FROM bank_payments WHERE status IN", "migration 5, once"),
    ("lib.rs", "UPDATE payments SET kind = 'history'", "migration 5, once"),
    ("lib.rs", "UPDATE payments SET kind = 'settled'", "migration 5, once"),
];

/// Statements whose filter is built by the caller: every literal filter passed to the
/// function must start with the creditor.
const FILTERED_BY_CALLER: &[(&str, &str)] =
    &[("FROM actions WHERE {sql_where}", "action_rows"), ("FROM pauses WHERE {sql_where}", "pause_rows")];

fn sources() -> Vec<PathBuf> {
    let crates = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut out = Vec::new();
    let mut dirs = vec![crates];
    while let Some(dir) = dirs.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() && !p.ends_with("target") && !p.ends_with("tests") && !p.ends_with("benches") {
                dirs.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") && p.components().any(|c| c.as_os_str() == "src") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Each string literal of Rust source (plain and raw) that is an SQL statement, with its line.
fn statements(src: &str) -> Vec<(usize, String)> {
    let lit = Regex::new(r##"(?s)r#"(.*?)"#|"((?:[^"\\]|\\.)*)""##).unwrap();
    let sql = Regex::new(r"^\s*(SELECT|UPDATE|DELETE|INSERT|WITH)\b").unwrap();
    lit.captures_iter(src)
        .filter_map(|c| {
            let m = c.get(1).or_else(|| c.get(2))?;
            let text = m.as_str().replace("\\\n", " ");
            let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
            sql.is_match(&text).then(|| (src[..m.start()].matches('\n').count() + 1, text))
        })
        .collect()
}

fn tables_of(statement: &str) -> Vec<String> {
    let t = Regex::new(r"\b(?:FROM|JOIN|UPDATE|INTO)\s+([a-z_]+)").unwrap();
    t.captures_iter(statement).map(|c| c[1].to_string()).collect()
}

/// Why a statement breaks the rule, if it does.
fn breaks(statement: &str) -> Option<&'static str> {
    let distributed: Vec<String> = tables_of(statement)
        .into_iter()
        .filter(|t| !REFERENCE_TABLES.contains(&t.as_str()) && !t.starts_with("pg_") && !t.starts_with("sqlite_"))
        .filter(|t| t != "information_schema")
        .collect();
    if distributed.is_empty() {
        return None;
    }
    if statement.starts_with("INSERT") {
        let cols = Regex::new(r"^INSERT INTO \w+ \(\s*(\w+)").unwrap();
        return match cols.captures(statement) {
            Some(c) if &c[1] == "creditor_id" => None,
            _ => Some("an INSERT into a distributed table whose first column is not creditor_id"),
        };
    }
    let filtered = Regex::new(r"creditor_id\s*(=|IN\b)").unwrap();
    (!filtered.is_match(statement)).then_some("a statement on a distributed table not filtered by creditor_id")
}

#[test]
fn every_statement_names_the_creditor() {
    let mut found = Vec::new();
    let mut used = vec![false; ACROSS_CREDITORS.len()];
    let mut checked = 0;
    for path in sources() {
        let src = std::fs::read_to_string(&path).unwrap();
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        for (line, st) in statements(&src) {
            checked += 1;
            let Some(why) = breaks(&st) else { continue };
            if let Some(i) = ACROSS_CREDITORS.iter().position(|(f, s, _)| *f == file && st.contains(s)) {
                used[i] = true;
                continue;
            }
            if let Some((_, function)) = FILTERED_BY_CALLER.iter().find(|(s, _)| st.contains(s)) {
                let calls = Regex::new(&format!(r#"{function}\(\s*"([^"]*)""#)).unwrap();
                let filters: Vec<String> = calls.captures_iter(&src).map(|c| c[1].to_string()).collect();
                assert!(!filters.is_empty(), "{file}: no literal filter passed to {function}");
                for f in filters {
                    if !f.starts_with("creditor_id = $1") {
                        found.push(format!(
                            "{}:{line}: {function}(\"{f}\") is not filtered by creditor_id first",
                            path.display()
                        ));
                    }
                }
                continue;
            }
            found.push(format!("{}:{line}: {why}: {st}", path.display()));
        }
    }
    assert!(checked > 200, "the lint found only {checked} statements: is it reading the sources?");
    assert!(found.is_empty(), "statements that would leave their shard:\n{}", found.join("\n"));
    for (i, (f, s, _)) in ACROSS_CREDITORS.iter().enumerate() {
        assert!(used[i], "the exception {f}: {s} matches no statement any more; remove it");
    }
}

#[test]
fn the_lint_catches_a_statement_without_the_creditor() {
    assert!(breaks("SELECT id FROM claims WHERE customer_id = $1").is_some());
    assert!(breaks("UPDATE ledger SET memo = $1 WHERE id = $2").is_some());
    assert!(breaks("INSERT INTO notes (customer_id, creditor_id) VALUES ($1, $2)").is_some());
    assert!(breaks("SELECT creditor_id FROM claims WHERE id = $1").is_some(), "named, not filtered");
    assert!(breaks("SELECT id FROM claims WHERE creditor_id = $1 AND id = $2").is_none());
    assert!(breaks("SELECT id FROM users WHERE name = $1").is_none(), "a reference table");
    let found =
        statements("let q = \"SELECT a FROM claims \\\n WHERE creditor_id = $1\"; let r = r#\"DELETE FROM ledger\"#;");
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[0].1, "SELECT a FROM claims WHERE creditor_id = $1");
}

/// The schema's tables (a partitioned table once, not its partitions), by name.
fn schema_tables(c: &mut postgres::Client) -> Vec<String> {
    let sql = "SELECT relname::text FROM pg_class WHERE relnamespace = current_schema()::regnamespace \
               AND relkind IN ('r', 'p') AND NOT relispartition ORDER BY relname";
    c.query(sql, &[]).unwrap().iter().map(|r| r.get(0)).collect()
}

/// Every table but the reference tables: `creditor_id` not null, first in the primary key,
/// in every unique constraint and index, and first in every foreign key (or the key points
/// at a reference table).
fn schema_problems(url: &str) -> Vec<String> {
    let _store = fordra_store::Store::create(url).unwrap();
    let mut c = postgres::Client::connect(url, postgres::NoTls).unwrap();
    let tables = schema_tables(&mut c);
    assert!(tables.len() >= 30, "{tables:?}");
    let mut problems = Vec::new();
    for t in tables.iter().filter(|t| !REFERENCE_TABLES.contains(&t.as_str())) {
        let notnull = c
            .query(
                "SELECT attnotnull FROM pg_attribute WHERE attrelid = to_regclass($1) AND attname = 'creditor_id'",
                &[t],
            )
            .unwrap();
        if !notnull.first().is_some_and(|r| r.get::<_, bool>(0)) {
            problems.push(format!("{t}: no creditor_id NOT NULL"));
        }
        // Keys and unique indexes: their columns in order.
        let keys = c
            .query(
                "SELECT i.indexrelid::regclass::text, i.indisprimary, \
                 (SELECT attname::text FROM pg_attribute WHERE attrelid = i.indrelid AND attnum = i.indkey[0]) \
                 FROM pg_index i WHERE i.indrelid = to_regclass($1) AND i.indisunique",
                &[t],
            )
            .unwrap();
        if !keys.iter().any(|r| r.get::<_, bool>(1)) {
            problems.push(format!("{t}: no primary key"));
        }
        for r in &keys {
            let (name, first): (String, Option<String>) = (r.get(0), r.get(2));
            if first.as_deref() != Some("creditor_id") {
                problems.push(format!("{t}: unique index {name} does not start with creditor_id"));
            }
        }
        let fks = c
            .query(
                "SELECT conname::text, confrelid::regclass::text, \
                 (SELECT attname::text FROM pg_attribute WHERE attrelid = conrelid AND attnum = conkey[1]) \
                 FROM pg_constraint WHERE contype = 'f' AND conrelid = to_regclass($1)",
                &[t],
            )
            .unwrap();
        for r in &fks {
            let (name, to, first): (String, String, Option<String>) = (r.get(0), r.get(1), r.get(2));
            if !REFERENCE_TABLES.contains(&to.as_str()) && first.as_deref() != Some("creditor_id") {
                problems.push(format!("{t}: foreign key {name} to {to} does not start with creditor_id"));
            }
        }
    }
    problems
}

#[test]
fn every_key_starts_with_the_creditor() {
    let Some(db) = TestDb::postgres() else { return };
    let problems = schema_problems(&db.url);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_key_starts_with_the_creditor_when_partitioned() {
    let Some(db) = TestDb::postgres_partitioned() else { return };
    let problems = schema_problems(&db.url);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let mut c = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    let parts: i64 =
        c.query_one("SELECT count(*) FROM pg_inherits WHERE inhparent = to_regclass('ledger')", &[]).unwrap().get(0);
    assert_eq!(parts, 4, "the ledger is split into the four partitions asked for");
}

/// The README's statements for Citus name every table of the schema, each once: reference
/// tables as such, the rest distributed by creditor.
#[test]
fn the_readme_distributes_every_table() {
    let Some(db) = TestDb::postgres() else { return };
    let _store = fordra_store::Store::create(&db.url).unwrap();
    let mut c = postgres::Client::connect(&db.url, postgres::NoTls).unwrap();
    let mut tables = schema_tables(&mut c);
    tables.retain(|t| t != "schema_migrations");
    tables.sort();
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md")).unwrap();
    let start = readme.find("SELECT create_reference_table").expect("the README's Citus statements");
    let block = &readme[start..start + readme[start..].find("```").unwrap()];
    let quoted = Regex::new(r"'([a-z_]+)'").unwrap();
    let mut named: Vec<String> = quoted.captures_iter(block).map(|m| m[1].to_string()).collect();
    named.retain(|t| t != "creditor_id");
    let reference: Vec<&String> = named.iter().filter(|t| REFERENCE_TABLES.contains(&t.as_str())).collect();
    assert_eq!(
        reference.len(),
        REFERENCE_TABLES.len() - 1,
        "every reference table but schema_migrations: {reference:?}"
    );
    named.sort();
    let before = named.len();
    named.dedup();
    assert_eq!(before - named.len(), 1, "customers is named twice (distributed, then colocated with), the rest once");
    assert_eq!(named, tables, "the README's Citus statements and the schema's tables");
}
