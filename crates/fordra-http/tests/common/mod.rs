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

#[path = "../../../fordra-store/tests/support/testdb.rs"]
mod testdb;
pub use testdb::TestDb;

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
    /// The served OpenAPI document, read at the first answer to check.
    doc: std::sync::OnceLock<Value>,
    pub base: String,
    pub keys: Keys,
    pub url: String,
    _service: fordra_http::Background,
}

pub const TODAY: &str = "2026-03-02";
/// The links' signing secret of the test service.
pub const LINK_SECRET: &str = "0123456789abcdef0123456789abcdef-test";

fn creditor(id: &str, j: JurisdictionCode) -> NewCreditor {
    NewCreditor {
        reminder_fee_agreed: true,
        bankgiro: Some("5050-1055".into()),
        ..NewCreditor::new(id, &format!("{id} AB"), j)
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
    let mut service = fordra_http::state::Service::new(pool, law, Some(d(TODAY)), per_second, burst);
    let out = std::env::temp_dir().join(format!(
        "fordra-http-test-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::SeqCst)
    ));
    service.delivery = fordra_comms::couriers::Config::parse(
        &format!(
            "out = {:?}\n[links]\nbase_url = \"https://pay.example.se\"\nsecret = \"{LINK_SECRET}\"\n",
            out.display().to_string()
        ),
        "test",
    )
    .unwrap();
    let svc = Arc::new(service);
    // The webhook worker as `fordra serve` runs it, looking often.
    let service = fordra_http::spawn(svc, Some(std::time::Duration::from_millis(100))).unwrap();
    Server {
        doc: std::sync::OnceLock::new(),
        base: format!("http://127.0.0.1:{}", service.port),
        keys,
        url: url.to_string(),
        _service: service,
    }
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
        let text = String::from_utf8_lossy(&resp.body_mut().read_to_vec().unwrap_or_default()).into_owned();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        if (200..300).contains(&status) && (body.is_object() || body.is_array()) {
            self.conforms(method, path, status, &body);
        }
        Answer { status, body, replayed }
    }

    /// Every successful JSON answer of every test is checked against the schema the OpenAPI
    /// document gives for it (where it gives one): the document and the service agree.
    fn conforms(&self, method: &str, path: &str, status: u16, body: &Value) {
        let doc = self.doc.get_or_init(|| {
            let mut r = agent().get(format!("{}/openapi.json", self.base)).call().unwrap();
            serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap()
        });
        let path = path.split('?').next().unwrap_or(path);
        let segments: Vec<&str> = path.split('/').collect();
        let template = doc["paths"].as_object().unwrap().keys().filter_map(|t| {
            let ts: Vec<&str> = t.split('/').collect();
            let fits =
                ts.len() == segments.len() && ts.iter().zip(&segments).all(|(a, b)| a.starts_with('{') || a == b);
            fits.then(|| (ts.iter().filter(|a| !a.starts_with('{')).count(), t.clone()))
        });
        let Some((_, template)) = template.max() else { return };
        let Some(schema) = doc["paths"][&template][method.to_lowercase()]["responses"][status.to_string()]["content"]
            ["application/json"]["schema"]
            .as_object()
            .cloned()
        else {
            return;
        };
        let mut full = Value::Object(schema);
        full["components"] = doc["components"].clone();
        let validator = jsonschema::validator_for(&full).unwrap();
        let errors: Vec<String> = validator.iter_errors(body).map(|e| format!("{e} at {}", e.instance_path)).collect();
        assert!(
            errors.is_empty(),
            "{method} {path} → {status} does not match its documented schema: {errors:?}\n{body}"
        );
    }

    pub fn get(&self, path: &str, key: &str) -> Answer {
        self.call("GET", path, Some(key), None, &[])
    }

    pub fn post(&self, path: &str, key: &str, body: &Value) -> Answer {
        self.call("POST", path, Some(key), Some(body), &[])
    }
}

/// What a webhook receiver got: headers (lower-case names) and body.
#[derive(Clone, Debug)]
pub struct Received {
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(h, _)| h == name).map(|(_, v)| v.as_str())
    }
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

/// A creditor's ERP receiving webhooks on a real port; it answers 500 to the first `fail`
/// requests.
pub struct Receiver {
    pub url: String,
    pub got: Arc<std::sync::Mutex<Vec<Received>>>,
    pub fail: Arc<AtomicUsize>,
}

impl Receiver {
    pub fn start() -> Receiver {
        use axum::http::{HeaderMap, StatusCode};
        let got: Arc<std::sync::Mutex<Vec<Received>>> = Arc::default();
        let fail = Arc::new(AtomicUsize::new(0));
        let (g, f) = (got.clone(), fail.clone());
        let (port_tx, port_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            rt.block_on(async move {
                let handler = move |headers: HeaderMap, body: String| {
                    let (g, f) = (g.clone(), f.clone());
                    async move {
                        if f.load(Ordering::SeqCst) > 0 {
                            f.fetch_sub(1, Ordering::SeqCst);
                            return StatusCode::INTERNAL_SERVER_ERROR;
                        }
                        let headers = headers
                            .iter()
                            .map(|(k, v)| (k.as_str().to_string(), v.to_str().unwrap_or("").to_string()))
                            .collect();
                        g.lock().unwrap().push(Received { headers, body });
                        StatusCode::NO_CONTENT
                    }
                };
                let app = axum::Router::new().route("/hook", axum::routing::post(handler));
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
                port_tx.send(listener.local_addr().unwrap().port()).unwrap();
                axum::serve(listener, app).await.unwrap();
            });
        });
        let port = port_rx.recv().unwrap();
        Receiver { url: format!("http://127.0.0.1:{port}/hook"), got, fail }
    }

    pub fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Waits (up to 20 s) until `pred` holds for what was received.
    pub fn wait_for(&self, what: &str, pred: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        for _ in 0..200 {
            let got = self.received();
            if pred(&got) {
                return got;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        panic!("{what}: not received; got {:?}", self.received().iter().map(|r| r.body.clone()).collect::<Vec<_>>());
    }
}

/// Checks a webhook's signature as a receiver would: HMAC-SHA256 over "<t>.<body>".
pub fn signature_ok(r: &Received, secret: &str) -> bool {
    use hmac::{Hmac, Mac};
    let Some(sig) = r.header("fordra-signature") else { return false };
    let mut t = None;
    let mut v1 = None;
    for part in sig.split(',') {
        match part.split_once('=') {
            Some(("t", x)) => t = Some(x.to_string()),
            Some(("v1", x)) => v1 = Some(x.to_string()),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else { return false };
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{t}.{}", r.body).as_bytes());
    let expected: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    expected == v1
}

/// A BgMax file with one payment.
pub fn bgmax_paying(reference: &str, amount: i64, date: &str) -> Vec<u8> {
    fordra_formats::bgmax::write(&fordra_formats::bgmax::BgMaxFile {
        version: "01".into(),
        created: "20260220120000000000".into(),
        test: false,
        deposits: vec![fordra_formats::bgmax::Deposit {
            line: 0,
            payee_bankgiro: "50501055".into(),
            payee_plusgiro: None,
            currency: "SEK".into(),
            account: "12345678".into(),
            payment_date: d(date),
            serial: "00001".into(),
            amount,
            count: 1,
            kind: String::new(),
            payments: vec![fordra_formats::bgmax::BgPayment {
                record: 20,
                payer_bankgiro: "9912346".into(),
                reference: reference.into(),
                amount,
                reference_code: 2,
                channel: 1,
                serial: "000000000001".into(),
                ..Default::default()
            }],
        }],
        warnings: vec![],
    })
}
