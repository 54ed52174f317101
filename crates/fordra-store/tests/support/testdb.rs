//! A fresh database for one test: a SQLite file in a temporary directory, or a PostgreSQL
//! database made on the server FORDRA_TEST_POSTGRES_URL names (skipped with a message when it is
//! not set) and dropped afterwards. Shared by the storage contract and the HTTP service's tests.

#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A database for one test.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    drop_pg: Option<(String, String)>,
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let url = dir.path().join("t.db").display().to_string();
        TestDb { url, _dir: Some(dir), drop_pg: None }
    }
    pub fn postgres() -> Option<TestDb> {
        let Ok(base) = std::env::var("FORDRA_TEST_POSTGRES_URL") else {
            eprintln!("skipping the PostgreSQL run of this test: set FORDRA_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test");
            return None;
        };
        let name = format!("fordra_t_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst));
        let mut admin = postgres::Client::connect(&base, postgres::NoTls).expect("connect to FORDRA_TEST_POSTGRES_URL");
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name}")).unwrap();
        admin.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
        let (prefix, _) = base.rsplit_once('/').expect("URL with a database name");
        Some(TestDb { url: format!("{prefix}/{name}"), _dir: None, drop_pg: Some((base, name)) })
    }
    /// A PostgreSQL database whose large tables are partitioned by the hash of the creditor
    /// (as `fordra db partition` leaves it).
    pub fn postgres_partitioned() -> Option<TestDb> {
        let db = Self::postgres()?;
        let mut store =
            fordra_store::Store::create(&db.url).expect("create the schema on the PostgreSQL test database");
        let done = store.partition_by_creditor(4).expect("partition by creditor");
        assert_eq!(done.split.len(), fordra_store::PARTITIONED_TABLES.len());
        Some(db)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((base, name)) = &self.drop_pg {
            if let Ok(mut c) = postgres::Client::connect(base, postgres::NoTls) {
                let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}
