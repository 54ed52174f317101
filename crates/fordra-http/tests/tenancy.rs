//! The tenancy matrix, generated from the served OpenAPI document so that a new endpoint cannot
//! escape it: every operation under /v1/ without a key → 401; every operation on a creditor's
//! path with another creditor's key → 404 (never the data); every operation documented as needing
//! write or admin with a read-only key → 403, and admin with a write key → 403 (so the scopes the
//! document states are the ones enforced). Whatever the body: the checks come before it is read.

#[macro_use]
mod common;

use serde_json::{json, Value};

/// A value for a path parameter from its schema: an enum's first value, a number, a date, or a
/// word.
fn sample(schema: &Value, doc: &Value) -> String {
    let schema = match schema.get("$ref").and_then(Value::as_str) {
        Some(r) => doc.pointer(&r.replace("#/", "/")).cloned().unwrap_or(Value::Null),
        None => schema.clone(),
    };
    if let Some(first) = schema.get("enum").and_then(|e| e.get(0)).and_then(Value::as_str) {
        return first.to_string();
    }
    match (schema.get("type").and_then(Value::as_str), schema.get("format").and_then(Value::as_str)) {
        (_, Some("date")) => "2026-02-10".into(),
        (Some("integer"), _) => "1".into(),
        _ => "x1".into(),
    }
}

/// Each operation under /v1/: method, a concrete path, whether it is a creditor's, and the scope
/// it documents.
fn operations(doc: &Value) -> Vec<(String, String, bool, String)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/v1/") {
            continue;
        }
        for (method, op) in item.as_object().unwrap() {
            let mut concrete = path.clone();
            for p in op["parameters"].as_array().into_iter().flatten() {
                if p["in"] == "path" {
                    let name = p["name"].as_str().unwrap();
                    let value = if name == "creditor" { "acme".to_string() } else { sample(&p["schema"], doc) };
                    concrete = concrete.replace(&format!("{{{name}}}"), &value);
                }
            }
            assert!(!concrete.contains('{'), "{method} {path}: a path parameter is not documented");
            let scope = op["security"][0]["bearer"][0].as_str().unwrap_or_else(|| panic!("{method} {path}: no scope"));
            out.push((method.to_uppercase(), concrete, path.contains("{creditor}"), scope.to_string()));
        }
    }
    out
}

fn the_matrix(url: &str) {
    let s = common::start(url);
    let doc = s.call("GET", "/openapi.json", None, None, &[]).body;
    let ops = operations(&doc);
    // Real data behind the sample ids, so that a missing check would answer with acme's data.
    let w = &s.keys.write;
    s.post("/v1/creditors/acme/customers", w, &json!({"customers": [{"id": "x1", "name": "X", "kind": "consumer"}]}));
    let inv = json!({"invoices": [{"id": "x1", "invoice_number": "1001", "customer_id": "x1", "issue_date": "2026-01-01", "due_date": "2026-01-20", "amount": "100.00"}]});
    assert_eq!(s.post("/v1/creditors/acme/invoices", w, &inv).status, 200);
    assert_eq!(s.post("/v1/creditors/acme/runs", w, &json!({"date": "2026-02-10"})).status, 200);
    let pause = s.post(
        "/v1/creditors/acme/pauses",
        w,
        &json!({"claim": "x1", "kind": "hold", "reason": "t", "until": "2026-05-01"}),
    );
    assert_eq!(pause.body["pause"], 1, "{}", pause.body);
    assert_eq!(s.get("/v1/creditors/acme/claims/x1", w).status, 200);
    assert_eq!(s.get("/v1/creditors/acme/customers/x1", w).status, 200);
    assert!(ops.len() >= 35, "{} operations documented", ops.len());
    let bodies = [json!({}), json!({"claim": "i1", "kind": "hold", "reason": "x", "scope": "read", "vip": true})];
    let mut checked = 0;
    for (method, path, tenant_path, scope) in &ops {
        for body in &bodies {
            let none = s.call(method, path, None, Some(body), &[]);
            assert_eq!(none.status, 401, "{method} {path} without a key: {}", none.body);
            assert_eq!(none.body["error"]["code"], "unauthenticated");
            if *tenant_path {
                let foreign = s.call(method, path, Some(&s.keys.foreign), Some(body), &[]);
                assert_eq!(foreign.status, 404, "{method} {path} with another creditor's key: {}", foreign.body);
                assert_eq!(foreign.body["error"]["code"], "not_found");
                assert!(!foreign.body.to_string().contains("acme AB"), "{method} {path} leaks the creditor");
            }
            if scope != "read" {
                let read = s.call(method, path, Some(&s.keys.read), Some(body), &[]);
                assert_eq!(read.status, 403, "{method} {path} ({scope}) with a read-only key: {}", read.body);
                assert_eq!(read.body["error"]["code"], "forbidden");
            } else {
                assert!(
                    method == "GET" || ["/v1/quote", "/backtests/"].iter().any(|p| path.contains(p)),
                    "{method} {path} documented as a read"
                );
            }
            if scope == "admin" {
                let write = s.call(method, path, Some(&s.keys.write), Some(body), &[]);
                assert_eq!(write.status, 403, "{method} {path} (admin) with a write key: {}", write.body);
            }
            checked += 1;
        }
    }
    assert!(checked >= 70);
    // The one list across creditors shows another creditor's key only its own.
    assert_eq!(s.get("/v1/creditors", &s.keys.foreign).body, json!(["other"]));
}
both!(the_matrix);
