//! Webhooks received by a real HTTP server: signed, in order per claim, retried after the
//! receiver failed, logged and replayed; on SQLite and PostgreSQL.

#[macro_use]
mod common;

use common::{d, signature_ok, start, Receiver, TODAY};
use fordra_app::App;
use fordra_core::law::LawBook;
use fordra_store::Store;
use serde_json::json;

fn kinds(got: &[common::Received]) -> Vec<String> {
    got.iter().map(|r| format!("{} {}", r.json()["type"].as_str().unwrap(), r.json()["data"]["claim"])).collect()
}

fn webhooks_arrive_signed_in_order_retried_and_replayed(url: &str) {
    let s = start(url);
    let rx = Receiver::start();
    let admin = &s.keys.admin;
    let sub = s.post("/v1/creditors/acme/webhooks", admin, &json!({"url": rx.url}));
    assert_eq!(sub.status, 201, "{}", sub.body);
    let (id, secret) = (sub.body["id"].as_str().unwrap().to_string(), sub.body["secret"].as_str().unwrap().to_string());
    assert!(s.get("/v1/creditors/acme/webhooks", admin).body.to_string().contains(&id));
    assert!(
        !s.get("/v1/creditors/acme/webhooks", admin).body.to_string().contains(&secret),
        "the secret is shown once"
    );
    let bad = s.post("/v1/creditors/acme/webhooks", admin, &json!({"url": "ftp://x", "events": ["nope"]}));
    assert_eq!(bad.status, 422, "{}", bad.body);

    // The receiver fails its first request.
    rx.fail.store(1, std::sync::atomic::Ordering::SeqCst);
    let w = &s.keys.write;
    s.post(
        "/v1/creditors/acme/customers",
        w,
        &json!({"customers": [
        {"id": "c1", "name": "Anna", "kind": "consumer"}, {"id": "c2", "name": "Bo", "kind": "consumer"}]}),
    );
    s.post("/v1/creditors/acme/invoices", w, &json!({"invoices": [
        {"id": "i1", "invoice_number": "1001", "customer_id": "c1", "issue_date": "2026-01-01", "due_date": "2026-01-20", "amount": "100.00"},
        {"id": "i2", "invoice_number": "1002", "customer_id": "c2", "issue_date": "2026-01-01", "due_date": "2026-01-20", "amount": "200.00"}]}));
    assert_eq!(s.post("/v1/creditors/acme/runs", w, &json!({"date": "2026-02-10"})).status, 200);
    // Everything but the failed event arrives; the failed one waits for its retry.
    let got = rx.wait_for("run.finished", |g| g.iter().any(|r| r.json()["type"] == "run.finished"));
    let steps = got.iter().filter(|r| r.json()["type"] == "step.taken").count();
    assert_eq!(steps, 1, "one step arrived, the other failed once: {:?}", kinds(&got));

    // Its retry is due 30 s later: a pass of the worker then delivers it.
    let law = LawBook::embedded();
    let mut store = Store::open(url).unwrap();
    let mut app = App::new(&mut store, &law, d(TODAY));
    let later = chrono::Utc::now().timestamp() + 31;
    let r = app.dispatch_webhooks(&mut fordra_http::workers::HttpSender::default(), later, 100).unwrap();
    assert_eq!(r.delivered, 1, "{r:?}");
    let got = rx.received();
    assert_eq!(got.iter().filter(|r| r.json()["type"] == "step.taken").count(), 2, "{:?}", kinds(&got));

    // Pay i1: its payment and settlement follow its step, in order.
    let claim = s.get("/v1/creditors/acme/claims/i1?as_of=2026-02-15", &s.keys.read).body;
    let reference = s.get("/v1/creditors/acme/claims?customer=c1", &s.keys.read).body["claims"][0]["reference"]
        .as_str()
        .unwrap()
        .to_string();
    let total = claim["balances"]["total"].as_str().unwrap().replace('.', "").parse::<i64>().unwrap()
        + claim["balances"]["interest_accrued_not_posted"].as_str().unwrap().replace('.', "").parse::<i64>().unwrap();
    let file = common::bgmax_paying(&reference, total, "2026-02-15");
    let up = s.raw("POST", "/v1/creditors/acme/bank-files?name=bg.txt", Some(w), Some((file, "text/plain")), &[]);
    assert_eq!(up.status, 200, "{}", up.body);
    let got = rx.wait_for("invoice.settled", |g| g.iter().any(|r| r.json()["type"] == "invoice.settled"));
    let i1: Vec<(i64, String)> = got
        .iter()
        .map(|r| r.json())
        .filter(|j| j["data"]["claim"] == "i1" || j["data"]["claims"][0]["claim"] == "i1")
        .map(|j| (j["id"].as_i64().unwrap(), j["type"].as_str().unwrap().to_string()))
        .collect();
    let types: Vec<&str> = i1.iter().map(|(_, t)| t.as_str()).collect();
    assert_eq!(types, ["step.taken", "payment.received", "invoice.settled"], "{i1:?}");
    assert!(i1.windows(2).all(|w| w[0].0 < w[1].0), "in order: {i1:?}");
    // Every request is signed with the subscription's secret, and names its event.
    for r in &got {
        assert!(signature_ok(r, &secret), "bad signature on {}", r.body);
        assert_eq!(r.header("fordra-event"), r.json()["type"].as_str());
    }
    assert!(!signature_ok(&got[0], "whsec_wrong"));

    // The log shows the retried delivery; a replay sends an event again.
    let log = s.get(&format!("/v1/creditors/acme/webhooks/{id}/deliveries"), admin).body;
    let retried: Vec<_> = log["deliveries"].as_array().unwrap().iter().filter(|d| d["attempts"] == 2).collect();
    assert_eq!(retried.len(), 1, "{log}");
    assert_eq!((retried[0]["status"].as_str(), retried[0]["last_code"].as_i64()), (Some("delivered"), Some(204)));
    let event = retried[0]["event_id"].as_i64().unwrap();
    let r = s.post(&format!("/v1/creditors/acme/webhooks/{id}/replay"), admin, &json!({"from": event}));
    assert_eq!(r.body["replayed"], 1, "{}", r.body);
    rx.wait_for("the replay", |g| g.iter().filter(|r| r.json()["id"] == event).count() == 2);
    // Another creditor sees none of it.
    assert_eq!(s.get(&format!("/v1/creditors/other/webhooks/{id}/deliveries"), &s.keys.foreign).status, 404);
}
both!(webhooks_arrive_signed_in_order_retried_and_replayed);
