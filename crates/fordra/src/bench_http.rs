//! `fordra bench --http`: the HTTP service under load from a small Rust client (keep-alive
//! connections on as many threads as asked): sustained requests per second and latency
//! percentiles for claim reads and bulk invoice upserts, on SQLite and (with `--pg`) PostgreSQL.

use anyhow::{anyhow, Result};
use fordra_app::creditors::NewCreditor;
use fordra_app::keys::{NewKey, Scope};
use fordra_app::{App, CreditorId};
use fordra_core::domain::JurisdictionCode;
use fordra_core::law::LawBook;
use fordra_store::Store;
use serde_json::json;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One load phase's figures.
struct Phase {
    name: &'static str,
    requests: usize,
    seconds: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: usize,
    items: usize,
}

const CUSTOMERS: usize = 2_000;
const INVOICES: usize = 20_000;
const BULK: usize = 1_000;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or(0.0)
}

/// A creditor with customers and invoices, an admin key, and the service on a free port.
fn setup(url: &str, law: &LawBook) -> Result<(String, String, fordra_http::Background)> {
    let mut store = Store::create(url)?;
    let today = fordra_app::today();
    let mut app = App::new(&mut store, law, today);
    let id = CreditorId("bench".into());
    app.add_creditor(NewCreditor {
        reminder_fee_agreed: true,
        bankgiro: Some("5050-1055".into()),
        ..NewCreditor::new("bench", "Bench AB", JurisdictionCode::SE)
    })?;
    let customers: Vec<_> = (0..CUSTOMERS)
        .map(|i| json!({"id": format!("K{i}"), "name": format!("Kund {i}"), "kind": "consumer"}))
        .collect();
    app.import_customers_json(&id, "customers", &customers)?;
    let due = today - chrono::Duration::days(20);
    let invoices: Vec<_> = (0..INVOICES)
        .map(|i| {
            json!({"id": format!("F{i}"), "invoice_number": format!("{}", 100_000 + i), "customer_id": format!("K{}", i % CUSTOMERS),
                "issue_date": (due - chrono::Duration::days(30)).to_string(), "due_date": due.to_string(), "amount": "1000.00"})
        })
        .collect();
    app.import_invoices_json(&id, "invoices", &invoices)?;
    let key = app.add_key(&NewKey { creditor: Some(id), scope: Scope::Admin, label: "bench".into(), now: 0 })?.key;
    drop(store);
    let pool = fordra_http::state::Pool::open(url, 16)?;
    let svc = Arc::new(fordra_http::state::Service::new(pool, law.clone(), None, 1_000_000, 1_000_000));
    let service = fordra_http::spawn(svc, None).map_err(|e| anyhow!(e))?;
    Ok((format!("http://127.0.0.1:{}/v1/creditors/bench", service.port), key, service))
}

/// One request of a load phase on a thread's connection: (thread, request number) → (answered
/// well, items it carried).
type Request = Arc<dyn Fn(&ureq::Agent, usize, usize) -> (bool, usize) + Send + Sync>;

/// Runs `request` on `threads` threads for `seconds`; each call returns (ok, items).
fn load(name: &'static str, threads: usize, seconds: f64, request: Request) -> Phase {
    let start = Instant::now();
    let until = start + Duration::from_secs_f64(seconds);
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let request = request.clone();
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
                let (mut lat, mut errors, mut items, mut n) = (Vec::new(), 0usize, 0usize, 0usize);
                while Instant::now() < until {
                    let t0 = Instant::now();
                    let (ok, k) = request(&agent, t, n);
                    lat.push(t0.elapsed().as_secs_f64() * 1000.0);
                    errors += usize::from(!ok);
                    items += k;
                    n += 1;
                }
                (lat, errors, items)
            })
        })
        .collect();
    let (mut lat, mut errors, mut items) = (Vec::new(), 0, 0);
    for h in handles {
        if let Ok((l, e, i)) = h.join() {
            lat.extend(l);
            errors += e;
            items += i;
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    lat.sort_by(|a, b| a.total_cmp(b));
    Phase {
        name,
        requests: lat.len(),
        seconds: elapsed,
        p50_ms: percentile(&lat, 0.50),
        p99_ms: percentile(&lat, 0.99),
        errors,
        items,
    }
}

fn phases(url: &str, law: &LawBook, threads: usize, seconds: f64) -> Result<Vec<Phase>> {
    let (base, key, stop) = setup(url, law)?;
    let auth = format!("Bearer {key}");
    let (b, a) = (base.clone(), auth.clone());
    let read = load(
        "claim read (GET /claims/{id})",
        threads,
        seconds,
        Arc::new(move |agent: &ureq::Agent, t, n| {
            let id = (t * 7919 + n * 104_729) % INVOICES;
            let r = agent.get(format!("{b}/claims/F{id}")).header("authorization", &a).call();
            (r.map(|mut r| r.status() == 200 && r.body_mut().read_to_string().is_ok()).unwrap_or(false), 1)
        }),
    );
    let (b, a) = (base, auth);
    let today = fordra_app::today();
    let upsert = load(
        "bulk upsert (POST /invoices, 1,000 each)",
        threads,
        seconds,
        Arc::new(move |agent: &ureq::Agent, t, n| {
            let invoices: Vec<_> = (0..BULK)
                .map(|i| {
                    json!({"id": format!("B{t}-{n}-{i}"), "customer_id": format!("K{}", i % CUSTOMERS),
                        "issue_date": today.to_string(), "due_date": (today + chrono::Duration::days(30)).to_string(), "amount": "250.00"})
                })
                .collect();
            let body = json!({ "invoices": invoices }).to_string();
            let r = agent
                .post(format!("{b}/invoices"))
                .header("authorization", &a)
                .header("content-type", "application/json")
                .send(body.as_str());
            let ok = r.map(|mut r| r.status() == 200 && r.body_mut().read_to_string().is_ok()).unwrap_or(false);
            (ok, if ok { BULK } else { 0 })
        }),
    );
    drop(stop);
    Ok(vec![read, upsert])
}

/// `fordra bench --http`.
pub fn bench_http(law: &LawBook, threads: usize, seconds: f64, pg: Option<&str>, json_out: bool) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let sqlite = dir.path().join("bench-http.db").display().to_string();
    let mut results = vec![("SQLite", phases(&sqlite, law, threads, seconds)?)];
    if let Some(base) = pg {
        let name = format!("fordra_bench_http_{}", std::process::id());
        let mut admin = postgres::Client::connect(base, postgres::NoTls)?;
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))?;
        admin.batch_execute(&format!("CREATE DATABASE {name}"))?;
        let (prefix, _) = base.rsplit_once('/').ok_or_else(|| anyhow!("--pg: a URL with a database name"))?;
        let url = format!("{prefix}/{name}");
        let r = phases(&url, law, threads, seconds);
        std::thread::sleep(Duration::from_millis(300));
        let _ = admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        results.push(("PostgreSQL", r?));
    }
    if json_out {
        let out: Vec<_> = results
            .iter()
            .flat_map(|(db, ps)| {
                ps.iter().map(move |p| {
                    json!({"db": db, "phase": p.name, "requests": p.requests, "seconds": p.seconds,
                        "requests_per_s": p.requests as f64 / p.seconds, "items_per_s": p.items as f64 / p.seconds,
                        "p50_ms": p.p50_ms, "p99_ms": p.p99_ms, "errors": p.errors})
                })
            })
            .collect();
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!(
        "HTTP load: {threads} client threads with keep-alive, {seconds} s a phase, a creditor with {CUSTOMERS} customers and {INVOICES} invoices"
    );
    for (db, ps) in &results {
        for p in ps {
            println!(
                "{db:<10} {:<42} {:>8.0} req/s {:>9.0} items/s  p50 {:>7.2} ms  p99 {:>7.2} ms  ({} requests, {} errors)",
                p.name,
                p.requests as f64 / p.seconds,
                p.items as f64 / p.seconds,
                p.p50_ms,
                p.p99_ms,
                p.requests,
                p.errors
            );
        }
    }
    Ok(())
}
