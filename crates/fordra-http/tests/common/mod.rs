//! The service on a real port against a fresh database (SQLite, or PostgreSQL when
//! FORDRA_TEST_POSTGRES_URL is set), keys for two creditors, and a blocking HTTP client.

#![allow(dead_code)]

use chrono::NaiveDate;
use fordra_app::creditors::NewCreditor;
use fordra_app::keys::{NewKey, Scope};
use fordra_app::{App, CreditorId};
use fordra_core::domain::JurisdictionCode;
use fordra_core::law::LawBook;
use fordra_store::Store;
use serde_json::Value;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

static COUNTER: AtomicUsize = AtomicUsize::new(0);

pub fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

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
            eprintln!("skipping the PostgreSQL run of this test: set FORDRA_TEST_POSTGRES_URL");
            return None;
        };
        let name = format!("fordra_h_{}_{}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst));
        let mut admin = postgres::Client::connect(&base, postgres::NoTls).unwrap();
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name}")).unwrap();
        admin.batch_execute(&format!("CREATE DATABASE {name}")).unwrap();
        let (prefix, _) = base.rsplit_once('/').unwrap();
        Some(TestDb { url: format!("{prefix}/{name}"), _dir: None, drop_pg: Some((base, name)) })
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

/// Runs a test on SQLite and on PostgreSQL.
macro_rules! both {
    ($name:ident) => {
        mod $name {
            #[test]
            fn sqlite() {
                let db = $crate::common::TestDb::sqlite();
                super::$name(&db.url);
            }
            #[test]
            fn postgres() {
                if let Some(db) = $crate::common::TestDb::postgres() {
                    super::$name(&db.url);
                }
            }
        }
    };
}

/// The keys the tests call with.
pub struct Keys {
    pub admin: String,
    pub write: String,
    pub read: String,
    /// Another creditor's admin key.
    pub foreign: String,
    /// An operator's admin key.
    pub operator: String,
}

/// A running service.
pub struct Server {
    pub base: String,
    pub keys: Keys,
    pub url: String,
    _stop: tokio::sync::oneshot::Sender<()>,
}

pub const TODAY: &str = "2026-03-02";

fn creditor(id: &str, j: JurisdictionCode) -> NewCreditor {
    NewCreditor {
        id: CreditorId(id.into()),
        name: format!("{id} AB"),
        jurisdiction: j,
        currency: None,
        reminder_fee_agreed: true,
        charge_interest: true,
        contract_rate: None,
        bankgiro: Some("5050-1055".into()),
        iban: vec![],
        collector: Default::default(),
        agency_name: None,
        agency_licence: None,
    }
}

/// Creditors "acme" (SE) and "other" (SE), keys, and the service on a free port.
pub fn start(url: &str) -> Server {
    start_with(url, 1000, 1000)
}

/// As [`start`], with a rate limit per key.
pub fn start_with(url: &str, per_second: u32, burst: u32) -> Server {
    let law = LawBook::embedded();
    let mut store = Store::create(url).unwrap();
    let mut app = App::new(&mut store, &law, d(TODAY));
    app.add_creditor(creditor("acme", JurisdictionCode::SE)).unwrap();
    app.add_creditor(creditor("other", JurisdictionCode::SE)).unwrap();
    let mut key = |c: Option<&str>, scope| {
        app.add_key(&NewKey { creditor: c.map(|c| CreditorId(c.into())), scope, label: "test".into(), now: 0 })
            .unwrap()
            .key
    };
    let keys = Keys {
        admin: key(Some("acme"), Scope::Admin),
        write: key(Some("acme"), Scope::Write),
        read: key(Some("acme"), Scope::Read),
        foreign: key(Some("other"), Scope::Admin),
        operator: key(None, Scope::Admin),
    };
    drop(store);
    let pool = fordra_http::state::Pool::open(url, 4).unwrap();
    let svc = Arc::new(fordra_http::state::Service::new(pool, law, Some(d(TODAY)), per_second, burst));
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let (port_tx, port_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            port_tx.send(listener.local_addr().unwrap().port()).unwrap();
            axum::serve(listener, fordra_http::app(svc))
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await
                .unwrap();
        });
    });
    let port = port_rx.recv().unwrap();
    Server { base: format!("http://127.0.0.1:{port}"), keys, url: url.to_string(), _stop: tx }
}

/// An answer: status, headers we look at, JSON body (or the text as a JSON string).
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub replayed: bool,
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder().http_status_as_error(false).build().into()
}

impl Server {
    /// A request with a key (or none), optional JSON body and extra headers.
    pub fn call(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: Option<&Value>,
        headers: &[(&str, &str)],
    ) -> Answer {
        self.raw(method, path, key, body.map(|b| (b.to_string().into_bytes(), "application/json")), headers)
    }

    /// A request with raw bytes.
    pub fn raw(
        &self,
        method: &str,
        path: &str,
        key: Option<&str>,
        body: Option<(Vec<u8>, &str)>,
        headers: &[(&str, &str)],
    ) -> Answer {
        let url = format!("{}{}", self.base, path);
        let mut req = ureq::http::Request::builder().method(method).uri(&url);
        if let Some(k) = key {
            req = req.header("authorization", format!("Bearer {k}"));
        }
        for (h, v) in headers {
            req = req.header(*h, *v);
        }
        let (bytes, ct) = body.unwrap_or((Vec::new(), "application/json"));
        let req = req.header("content-type", ct).body(bytes).unwrap();
        let mut resp = agent().run(req).unwrap();
        let status = resp.status().as_u16();
        let replayed = resp.headers().get("idempotent-replayed").is_some();
        let text = resp.body_mut().read_to_string().unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Answer { status, body, replayed }
    }

    pub fn get(&self, path: &str, key: &str) -> Answer {
        self.call("GET", path, Some(key), None, &[])
    }

    pub fn post(&self, path: &str, key: &str, body: &Value) -> Answer {
        self.call("POST", path, Some(key), Some(body), &[])
    }
}
