//! The API through real HTTP, on SQLite and PostgreSQL: the whole path of an invoice, errors,
//! idempotency keys, rate limits and keys.

#[macro_use]
mod common;

use common::{start, start_with, Receiver};
use serde_json::{json, Value};

fn customers() -> Value {
    json!({"customers": [
        {"id": "c1", "name": "Anna Andersson", "kind": "consumer", "email": "anna@example.se", "language": "sv"},
        {"id": "c2", "name": "Bertil AB", "kind": "business", "org_no": "556000-0001"}
    ]})
}

fn invoices() -> Value {
    json!({"invoices": [
        {"id": "i1", "invoice_number": "1001", "customer_id": "c1", "issue_date": "2026-01-01", "due_date": "2026-01-31", "amount": "1000.00"},
        {"id": "i2", "invoice_number": "1002", "customer_id": "c2", "issue_date": "2026-01-05", "due_date": "2026-02-04", "amount": 2500}
    ]})
}

/// Upload customers and invoices, run a day, pay by BgMax, see the claim settle and the
/// webhook arrive.
fn the_whole_path_of_an_invoice(url: &str) {
    let s = start(url);
    let erp = Receiver::start();
    let sub =
        s.post("/v1/creditors/acme/webhooks", &s.keys.admin, &json!({"url": erp.url, "events": ["invoice.settled"]}));
    assert_eq!(sub.status, 201, "{}", sub.body);
    let k = &s.keys.write;
    let r = s.post("/v1/creditors/acme/customers", k, &customers());
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["created"], 2);
    let r = s.post("/v1/creditors/acme/invoices", k, &invoices());
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["created"], 2);
    // The same request again creates nothing.
    assert_eq!(s.post("/v1/creditors/acme/invoices", k, &invoices()).body["unchanged"], 2);

    let run = s.post("/v1/creditors/acme/runs", k, &json!({"date": "2026-02-10"}));
    assert_eq!(run.status, 200, "{}", run.body);
    let steps = run.body["actions"].as_array().unwrap();
    assert!(steps.iter().any(|a| a["claim"] == "i1"), "{}", run.body);
    assert_eq!(s.get("/v1/creditors/acme/runs", &s.keys.read).body.as_array().unwrap().len(), 1);

    let list = s.get("/v1/creditors/acme/claims?status=open", &s.keys.read);
    assert_eq!(list.status, 200);
    let i1 = list.body["claims"].as_array().unwrap().iter().find(|c| c["claim"] == "i1").unwrap().clone();
    let reference = i1["reference"].as_str().unwrap().to_string();
    // What settles it on the 20th: the balance then and the interest accrued to that day.
    let c = s.get("/v1/creditors/acme/claims/i1?as_of=2026-02-20", &s.keys.read);
    assert_eq!(c.status, 200, "{}", c.body);
    assert_ne!(c.body["last_step"], "none");
    let due = minor(&c.body["balances"]["total"]) + minor(&c.body["balances"]["interest_accrued_not_posted"]);
    assert!(due > 1000_00, "a reminder fee and interest: {due}");

    let file = common::bgmax_paying(&reference, due, "2026-02-20");
    let up = s.raw(
        "POST",
        "/v1/creditors/acme/bank-files?name=bg-0220.txt",
        Some(k),
        Some((file.clone(), "application/octet-stream")),
        &[],
    );
    assert_eq!(up.status, 200, "{}", up.body);
    assert_eq!(up.body["payments"][0]["matched_claim"], "i1", "{}", up.body);
    let c = s.get("/v1/creditors/acme/claims/i1", &s.keys.read);
    assert_eq!(c.body["status"], "paid", "{}", c.body);
    assert_eq!(c.body["balances"]["total"], "0.00");
    // The creditor's ERP hears of it.
    let got = erp.wait_for("invoice.settled", |g| !g.is_empty());
    assert_eq!(got[0].json()["data"]["claim"], "i1");
    assert!(common::signature_ok(&got[0], sub.body["secret"].as_str().unwrap()));
    // The same file again books nothing.
    let again =
        s.raw("POST", "/v1/creditors/acme/bank-files?name=bg-0220.txt", Some(k), Some((file, "text/plain")), &[]);
    assert_eq!(again.status, 200, "{}", again.body);
    assert_eq!(s.get("/v1/creditors/acme/claims/i1", &s.keys.read).body["balances"]["total"], "0.00");
    let paid = s.get("/v1/creditors/acme/payments?from=2026-02-01&to=2026-02-28", &s.keys.read);
    assert_eq!(paid.body.as_array().unwrap().len(), 1, "{}", paid.body);
    // The cash forecast and its backtest, as the CLI gives them.
    let f = s.get("/v1/creditors/acme/reports/forecast?as_of=2026-02-20&weeks=4", &s.keys.read);
    assert_eq!(f.body["weeks"].as_array().map(Vec::len), Some(5), "{}", f.body);
    let b = s.get("/v1/creditors/acme/reports/forecast?as_of=2026-02-20&backtest=true&back=2&weeks=1", &s.keys.read);
    assert_eq!(b.body["weeks"].as_array().map(Vec::len), Some(2), "{}", b.body);
    assert!(b.body["mae"].is_number(), "{}", b.body);
}
both!(the_whole_path_of_an_invoice);

fn minor(v: &Value) -> i64 {
    let s = v.as_str().unwrap();
    let (a, b) = s.split_once('.').unwrap();
    a.parse::<i64>().unwrap() * 100 + b.parse::<i64>().unwrap()
}

/// Bad input: one JSON error naming the item and field, and nothing stored.
fn errors_name_the_item_and_field_and_store_nothing(url: &str) {
    let s = start(url);
    let k = &s.keys.write;
    s.post("/v1/creditors/acme/customers", k, &customers());
    let mut bad = invoices();
    bad["invoices"][1]["amount"] = json!("-5");
    let r = s.post("/v1/creditors/acme/invoices", k, &bad);
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.body["error"]["code"], "invalid_input");
    assert_eq!(r.body["error"]["line"], 2);
    assert_eq!(r.body["error"]["field"], "amount");
    assert_eq!(s.get("/v1/creditors/acme/claims", &s.keys.read).body["claims"], json!([]));
    // An unknown customer, a body that is not JSON, an unknown field, an unknown route.
    let r = s.post("/v1/creditors/acme/invoices", k, &json!({"invoices": [{"id": "x", "customer_id": "nobody", "issue_date": "2026-01-01", "due_date": "2026-01-31", "amount": "5.00"}]}));
    assert_eq!(r.status, 422, "{}", r.body);
    let r =
        s.raw("POST", "/v1/creditors/acme/invoices", Some(k), Some((b"{not json".to_vec(), "application/json")), &[]);
    assert_eq!((r.status, r.body["error"]["code"].as_str()), (400, Some("bad_request")), "{}", r.body);
    let r = s.post("/v1/creditors/acme/runs", k, &json!({"day": "2026-02-10"}));
    assert_eq!(r.status, 400, "{}", r.body);
    let r = s.get("/v1/nothing", k);
    assert_eq!((r.status, r.body["error"]["code"].as_str()), (404, Some("not_found")));
    let r = s.get("/v1/creditors/acme/claims/nope", k);
    assert_eq!((r.status, r.body["error"]["code"].as_str()), (404, Some("not_found")));
    // A CSV file with the same rules as `fordra import`.
    let csv =
        b"id,customer_id,issue_date,due_date,amount\ni9,c1,2026-01-01,2026-01-31,12.50\ni10,c1,2026-01-01,notadate,1\n";
    let r =
        s.raw("POST", "/v1/creditors/acme/files/invoices?name=inv.csv", Some(k), Some((csv.to_vec(), "text/csv")), &[]);
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!((r.body["error"]["source"].as_str(), r.body["error"]["line"].as_u64()), (Some("inv.csv"), Some(3)));
}
both!(errors_name_the_item_and_field_and_store_nothing);

/// A retried POST returns the first answer and creates nothing; the key reused for another body
/// is refused.
fn idempotency_keys(url: &str) {
    let s = start(url);
    let k = &s.keys.write;
    s.post("/v1/creditors/acme/customers", k, &customers());
    let body = json!({"claim": "i1", "kind": "dispute", "reason": "never ordered"});
    s.post("/v1/creditors/acme/invoices", k, &invoices());
    let h = [("idempotency-key", "pause-1")];
    let first = s.call("POST", "/v1/creditors/acme/pauses", Some(k), Some(&body), &h);
    assert_eq!(first.status, 201, "{}", first.body);
    assert!(!first.replayed);
    let second = s.call("POST", "/v1/creditors/acme/pauses", Some(k), Some(&body), &h);
    assert_eq!((second.status, &second.body), (201, &first.body));
    assert!(second.replayed);
    let pauses = s.get("/v1/creditors/acme/pauses", k);
    assert_eq!(pauses.body.as_array().unwrap().len(), 1, "{}", pauses.body);
    let other = json!({"claim": "i2", "kind": "hold", "reason": "checking", "until": "2026-04-01"});
    let reused = s.call("POST", "/v1/creditors/acme/pauses", Some(k), Some(&other), &h);
    assert_eq!((reused.status, reused.body["error"]["code"].as_str()), (422, Some("idempotency_key_reused")));
    // Keys are the caller's own: another key may use the same string.
    let mine = s.call("POST", "/v1/creditors/acme/pauses", Some(&s.keys.admin), Some(&other), &h);
    assert_eq!(mine.status, 201, "{}", mine.body);
    // A refusal is kept too: the retry gets the same refusal, not a second attempt.
    let bad = json!({"claim": "nope", "kind": "hold", "reason": "x"});
    let h2 = [("idempotency-key", "pause-2")];
    let r1 = s.call("POST", "/v1/creditors/acme/pauses", Some(k), Some(&bad), &h2);
    let r2 = s.call("POST", "/v1/creditors/acme/pauses", Some(k), Some(&bad), &h2);
    assert!(r1.status >= 400 && r1.status < 500, "{}", r1.body);
    assert_eq!((r2.status, &r2.body, r2.replayed), (r1.status, &r1.body, true));
}
both!(idempotency_keys);

#[test]
fn a_key_over_its_rate_is_refused_with_retry_after() {
    let db = common::TestDb::sqlite();
    let s = start_with(&db.url, 1, 3);
    let statuses: Vec<u16> = (0..6).map(|_| s.get("/v1/creditors/acme", &s.keys.read).status).collect();
    assert!(statuses.iter().take(3).all(|c| *c == 200), "{statuses:?}");
    assert!(statuses.contains(&429), "{statuses:?}");
    // Another key has its own allowance.
    assert_eq!(s.get("/v1/creditors/acme", &s.keys.write).status, 200);
}

#[test]
fn keys_made_and_revoked_through_the_api() {
    let db = common::TestDb::sqlite();
    let s = start(&db.url);
    let made = s.post("/v1/creditors/acme/keys", &s.keys.admin, &json!({"scope": "read", "label": "BI"}));
    assert_eq!(made.status, 201, "{}", made.body);
    let key = made.body["key"].as_str().unwrap().to_string();
    assert_eq!(s.get("/v1/creditors/acme/claims", &key).status, 200);
    let list = s.get("/v1/creditors/acme/keys", &s.keys.admin);
    assert!(list.body.as_array().unwrap().iter().all(|k| k.get("hash").is_none() && k.get("key").is_none()));
    // Another creditor cannot revoke it; its own admin can.
    let id = made.body["id"].as_str().unwrap();
    assert_eq!(
        s.call("DELETE", &format!("/v1/creditors/other/keys/{id}"), Some(&s.keys.foreign), None, &[]).status,
        404
    );
    let r = s.call("DELETE", &format!("/v1/creditors/acme/keys/{id}"), Some(&s.keys.admin), None, &[]);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(s.get("/v1/creditors/acme/claims", &key).status, 401);
    // Only an operator adds creditors, and sees every creditor.
    let new = json!({"id": "third", "name": "Third Oy", "jurisdiction": "fi"});
    assert_eq!(s.post("/v1/creditors", &s.keys.admin, &new).status, 403);
    assert_eq!(s.post("/v1/creditors", &s.keys.operator, &new).status, 201);
    let agency = json!({"id": "perintä", "name": "Perintä Oy", "jurisdiction": "fi", "collector": "agency",
        "agency_name": "Perintä Oy", "agency_licence": "ESAVI/123/2020"});
    let made = s.post("/v1/creditors", &s.keys.operator, &agency);
    assert_eq!((made.status, made.body["collector"].as_str()), (201, Some("agency")), "{}", made.body);
    assert_eq!(s.get("/v1/creditors", &s.keys.operator).body, json!(["acme", "other", "perintä", "third"]));
    assert_eq!(s.get("/v1/creditors", &s.keys.read).body, json!(["acme"]));
}

#[test]
fn operations_endpoints_answer() {
    let db = common::TestDb::sqlite();
    let s = start(&db.url);
    let h = s.call("GET", "/health", None, None, &[]);
    assert_eq!((h.status, h.body["status"].as_str()), (200, Some("ok")));
    let r = s.call("GET", "/ready", None, None, &[]);
    assert_eq!((r.status, r.body["status"].as_str()), (200, Some("ready")), "{}", r.body);
    s.get("/v1/creditors/acme/claims", &s.keys.read);
    let m = s.call("GET", "/metrics", None, None, &[]);
    let text = m.body.as_str().unwrap();
    assert!(
        text.contains(
            "fordra_http_requests_total{method=\"GET\",route=\"/v1/creditors/{creditor}/claims\",status=\"200\"} 1"
        ),
        "{text}"
    );
    assert!(text.contains("fordra_http_request_duration_seconds_bucket"));
    let doc = s.call("GET", "/openapi.json", None, None, &[]);
    assert!(doc.body["openapi"].as_str().unwrap().starts_with("3.1"));
    let page = s.call("GET", "/docs/", None, None, &[]);
    assert_eq!(page.status, 200);
    assert!(page.body.as_str().unwrap().contains("swagger-ui"), "the reference page is served by Fordra itself");
}

/// The CLI's other work through the API: a creditor changed, a quote, the law, a letter's PDF,
/// an e-mail's tracking image, a refund refused without credit.
fn the_rest_of_the_clis_work(url: &str) {
    let s = start(url);
    let (w, a) = (&s.keys.write, &s.keys.admin);
    let r = s.call("PATCH", "/v1/creditors/acme", Some(a), Some(&json!({"name": "Acme Nordic AB"})), &[]);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(s.get("/v1/creditors/acme", &s.keys.read).body["name"], "Acme Nordic AB");
    assert_eq!(s.call("PATCH", "/v1/creditors/acme", Some(w), Some(&json!({"name": "x"})), &[]).status, 403);
    let q = s.post(
        "/v1/quote",
        &s.keys.read,
        &json!({"jurisdiction": "se", "debtor": "business", "principal": "10000.00", "due": "2025-01-31", "as_of": "2025-03-02", "steps": ["late_compensation"]}),
    );
    assert_eq!(q.status, 200, "{}", q.body);
    assert!(q.body.to_string().contains("450.00"), "the Swedish 450 SEK compensation: {}", q.body);
    assert!(s.get("/v1/law", &s.keys.read).body.to_string().contains("räntelag"));

    // Alva prefers e-mail: her reminder is one; the tracking image records its opening.
    s.post("/v1/creditors/acme/customers", w, &json!({"customers": [
        {"id": "c1", "name": "Alva", "kind": "consumer", "email": "alva@example.se", "email_consent": true, "channel": "email"},
        {"id": "c2", "name": "Bo", "kind": "consumer", "address": "Gatan 1|111 22 Stockholm"}]}));
    s.post("/v1/creditors/acme/invoices", w, &json!({"invoices": [
        {"id": "i1", "invoice_number": "1001", "customer_id": "c1", "issue_date": "2026-01-01", "due_date": "2026-01-20", "amount": "100.00"},
        {"id": "i2", "invoice_number": "1002", "customer_id": "c2", "issue_date": "2026-01-01", "due_date": "2026-01-20", "amount": "200.00"}]}));
    assert_eq!(s.post("/v1/creditors/acme/runs", w, &json!({"date": "2026-03-01"})).status, 200);
    let deliveries = s.get("/v1/creditors/acme/deliveries", &s.keys.read).body["deliveries"].clone();
    // Pages by cursor.
    let first = s.get("/v1/creditors/acme/deliveries?limit=1", &s.keys.read).body;
    let next = first["next"].as_str().unwrap().replace('/', "%2F");
    let second = s.get(&format!("/v1/creditors/acme/deliveries?limit=1&cursor={next}"), &s.keys.read).body;
    assert_eq!((second["deliveries"].as_array().unwrap().len(), &second["next"]), (1, &Value::Null), "{second}");
    let letter = deliveries.as_array().unwrap().iter().find(|d| d["channel"] == "letter").unwrap();
    let id = letter["id"].as_str().unwrap().replace('/', "%2F");
    let pdf = s.raw("GET", &format!("/v1/creditors/acme/deliveries/{id}/letter"), Some(&s.keys.read), None, &[]);
    assert_eq!(pdf.status, 200, "{}", pdf.body);
    assert!(pdf.body.as_str().is_some_and(|b| b.starts_with("%PDF")), "a PDF");

    let email = deliveries.as_array().unwrap().iter().find(|d| d["channel"] == "email").expect("an e-mail");
    let key = email["id"].as_str().unwrap().to_string();
    // Send it (the e-mail is written to the out folder: no SMTP server configured).
    let law = fordra_core::law::LawBook::embedded();
    let mut store = fordra_store::Store::open(url).unwrap();
    let mut app = fordra_app::App::new(&mut store, &law, common::d(common::TODAY));
    let config = fordra_comms::couriers::Config::parse(
        &format!(
            "out = {:?}\n",
            std::env::temp_dir().join(format!("fordra-t-{}", std::process::id())).display().to_string()
        ),
        "t",
    )
    .unwrap();
    let mut couriers = fordra_comms::couriers::Couriers::new(config).unwrap();
    let input = fordra_app::outbox::DeliverInput {
        creditor: None,
        now: "2026-03-02T10:00:00Z".parse().unwrap(),
        lease_seconds: 60,
        batch: 10,
        until_empty: true,
        max: 100,
    };
    app.deliver(&mut couriers, &input).unwrap();
    drop(store);
    let links: fordra_comms::links::LinkConfig =
        toml::from_str(&format!("base_url = \"https://pay.example.se\"\nsecret = \"{}\"\n", common::LINK_SECRET))
            .unwrap();
    let pixel = links.open_url("acme", &key).unwrap();
    let path = pixel.strip_prefix("https://pay.example.se").unwrap();
    let forged = s.raw("GET", &format!("/o/acme/{}?sig=00", key.replace('/', "%2F")), None, None, &[]);
    assert_eq!(forged.status, 200);
    let opened_at = |s: &common::Server| {
        s.get("/v1/creditors/acme/deliveries", &s.keys.read).body["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["id"] == key.as_str())
            .unwrap()["opened_at"]
            .clone()
    };
    assert!(opened_at(&s).is_null(), "a forged signature records nothing");
    let real = s.raw("GET", path, None, None, &[]);
    assert_eq!(real.status, 200);
    assert!(!opened_at(&s).is_null(), "opened: {}", s.get("/v1/creditors/acme/deliveries", &s.keys.read).body);

    // A refund needs credit to pay back.
    let r = s.post("/v1/creditors/acme/customers/c1/refunds", w, &json!({"amount": "10.00"}));
    assert_eq!(r.status, 422, "{}", r.body);

    // The contact policy's report: refused, saying how, until the policy has one.
    let r = s.get("/v1/creditors/acme/contact-policy", &s.keys.read);
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(r.body.to_string().contains("no contact policy: add [contact]"), "{}", r.body);
    let mut store = fordra_store::Store::open(url).unwrap();
    let mut acme = store.creditor("acme").unwrap();
    acme.policy.contact = Some(fordra_core::contact::ContactPolicy::new(common::d("2026-03-01")));
    store.save_creditor(&acme).unwrap();
    drop(store);
    s.post("/v1/creditors/acme/invoices", w, &json!({"invoices": [
        {"id": "i3", "invoice_number": "1003", "customer_id": "c2", "issue_date": "2026-02-01", "due_date": "2026-02-20", "amount": "300.00"}]}));
    assert_eq!(s.post("/v1/creditors/acme/runs", w, &json!({"date": "2026-03-02"})).status, 200);
    let r = s.get("/v1/creditors/acme/contact-policy?as_of=2026-04-15&horizon=14&letter_cost=12", &s.keys.read);
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["options"].as_array().unwrap().len(), 5, "{}", r.body);
    let arms = r.body["report"]["arms"].as_array().unwrap();
    assert_eq!((arms[0]["arm"].as_str(), arms[1]["arm"].as_str()), (Some("policy"), Some("champion")));
    assert_eq!(arms.iter().map(|a| a["reminders"].as_u64().unwrap()).sum::<u64>(), 1, "Bo's reminder: {}", r.body);
    assert_eq!(r.body["report"]["horizon_days"], 14);
    assert!(r.body["report"]["verdict"].as_str().unwrap().starts_with("not enough matured reminders"), "{}", r.body);
    let r = s.get("/v1/creditors/acme/contact-policy?horizon=0", &s.keys.read);
    assert_eq!(r.status, 422, "{}", r.body);
}
both!(the_rest_of_the_clis_work);
