//! `fordra bench --ml N`: the payment-behaviour model at scale. A synthetic history of N invoices
//! whose customers have hidden payer types (as in the demo), trained on as the CLI does (features,
//! three tree ensembles, the logistic regression, importances), then N open invoices scored, and
//! the survival cash forecast fitted on all of them and made for the open ones, twelve weeks
//! ahead. Not a test: figures to compare.

use anyhow::Result;
use chrono::{Duration, NaiveDate};
use fordra_core::history::HistInvoice;
use fordra_ml::features::{at_issue, snapshot};
use fordra_ml::model::Model;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::json;
use std::time::Instant;

/// Ten invoices per customer, a month apart; `open` makes them unpaid (the portfolio to score).
pub(crate) fn generate(customers: usize, months: std::ops::Range<i64>, open: bool, seed: u64) -> Vec<HistInvoice> {
    let start = NaiveDate::from_ymd_opt(2024, 1, 1).expect("date");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut out = Vec::with_capacity(customers * (months.end - months.start) as usize);
    for c in 0..customers {
        // Hidden payer type: (share of draws, score mean, delay range; None = never pays).
        let t = rng.gen_range(0..100);
        let (score, delay): (f64, Option<(i64, i64)>) = match t {
            0..=54 => (75.0, Some((-10, 1))),
            55..=76 => (65.0, Some((2, 16))),
            77..=89 => (50.0, Some((20, 75))),
            90..=96 => (28.0, Some((45, 150))),
            _ => (18.0, None),
        };
        let credit = (rng.gen_bool(0.7)).then(|| (score + rng.gen_range(-12.0..12.0f64)).clamp(1.0, 100.0));
        for m in months.clone() {
            let issue = start + Duration::days(30 * m + (c % 28) as i64);
            let due = issue + Duration::days(30);
            let paid = if open {
                None
            } else {
                delay.map(|(lo, hi)| (due + Duration::days(rng.gen_range(lo..=hi))).max(issue))
            };
            out.push(HistInvoice {
                customer: format!("C{c:07}"),
                invoice: format!("C{c:07}-{m:02}"),
                invoice_date: issue,
                due_date: due,
                amount: rng.gen_range(300_00..60_000_00),
                paid_date: paid,
                disputed: false,
                channel: Some(if rng.gen_bool(0.6) { "electronic" } else { "paper" }.into()),
                credit_score: credit,
                extra: vec![],
            });
        }
    }
    out.sort_by(|a, b| (a.invoice_date, &a.invoice).cmp(&(b.invoice_date, &b.invoice)));
    out
}

pub fn bench_ml(n: usize, json: bool) -> Result<()> {
    let customers = (n / 10).max(10);
    let history = generate(customers, 0..10, false, 11);
    let until = NaiveDate::from_ymd_opt(2024, 1, 1).expect("date") + Duration::days(30 * 10 + 240);

    // Through the store, as `fordra model train` reads it.
    let dir = tempfile::tempdir()?;
    let (mut store, _) = crate::bench::bench_store(&dir.path().join("ml.db").display().to_string(), None)?;
    let t = Instant::now();
    let rows: Vec<_> = history.iter().map(|h| (h.clone(), "SEK".to_string(), None)).collect();
    store.import_history("bench", &rows, "bench.csv")?;
    let import = t.elapsed().as_secs_f64();
    drop(rows);
    let t = Instant::now();
    let loaded = fordra_app::predict::history(&mut store, "bench")?;
    let load = t.elapsed().as_secs_f64();
    assert_eq!(loaded.len(), history.len());
    drop(loaded);

    let t = Instant::now();
    let features = at_issue(&history, 10);
    let t_features = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let model = Model::train_on(&history, &features, until, 10, 30).map_err(|e| anyhow::anyhow!(e))?;
    let t_train = t.elapsed().as_secs_f64();
    drop(features);

    // The portfolio to score: ten more months per customer, all open.
    let mut all = history;
    all.extend(generate(customers, 10..20, true, 12));
    all.sort_by(|a, b| (a.invoice_date, &a.invoice).cmp(&(b.invoice_date, &b.invoice)));
    let as_of = NaiveDate::from_ymd_opt(2024, 1, 1).expect("date") + Duration::days(30 * 20 + 30);
    let t = Instant::now();
    let snap = snapshot(&all, as_of, 10, &|_| None);
    let t_snapshot = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let scores = model.score(&snap.open_rows);
    let t_score = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let customer_scores = model.score(&snap.customer_rows);
    let t_customers = t.elapsed().as_secs_f64();
    let (t_fit, t_forecast, expected) = forecast(&all, as_of);

    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "training_invoices": model.training_invoices, "history_invoices": n, "import_s": import, "load_s": load,
                "features_s": t_features, "train_s": t_train, "train_total_s": t_features + t_train,
                "trees": [model.late.trees(), model.very_late.as_ref().map_or(0, |t| t.trees()), model.days_late.trees()],
                "auc_in_sample": model.metrics.auc_in_sample,
                "open_invoices": scores.len(), "snapshot_s": t_snapshot, "score_s": t_score, "score_total_s": t_snapshot + t_score,
                "customers": customer_scores.len(), "customers_score_s": t_customers,
                "forecast_fit_s": t_fit, "forecast_s": t_forecast, "forecast_expected_12_weeks": expected,
            }))?
        );
        return Ok(());
    }
    println!(
        "Payment-behaviour model on {} historical invoices of {customers} customers ({} with a known outcome):",
        history_len(n),
        model.training_invoices
    );
    println!("  import into SQLite                {import:>7.2} s (not part of training)");
    println!("  load from SQLite                  {load:>7.2} s");
    println!("  features (leakage-free sweep)     {t_features:>7.2} s");
    println!(
        "  train: {}+{}+{} trees, logistic, importances {t_train:>7.2} s",
        model.late.trees(),
        model.very_late.as_ref().map_or(0, |t| t.trees()),
        model.days_late.trees()
    );
    println!(
        "  training total (features + train) {:>7.2} s   (target < 60 s; in-sample AUC {:.3})",
        t_features + t_train,
        model.metrics.auc_in_sample.unwrap_or(0.0)
    );
    println!("Scoring {} open invoices ({} in the history around them):", scores.len(), all.len());
    println!("  features as of the day            {t_snapshot:>7.2} s");
    println!("  P(late), P(very late), days late  {t_score:>7.2} s");
    println!("  scoring total                     {:>7.2} s   (target < 2 s)", t_snapshot + t_score);
    println!("  and {} customers' latest-invoice scores in {t_customers:.2} s", customer_scores.len());
    println!("Cash forecast (survival over weeks since due and stages):");
    println!("  fit on all {} invoices            {t_fit:>7.2} s", all.len());
    println!(
        "  {} open invoices, 12 weeks ahead  {t_forecast:>7.2} s   ({:.1} % of the open amount expected)",
        scores.len(),
        expected * 100.0
    );
    Ok(())
}

/// The survival forecast as `fordra report forecast` makes it: the hazards and moves fitted on
/// every invoice, then each open one's weekly chances twelve weeks ahead. Seconds to fit, seconds
/// to forecast, and the share of the open amount expected within the twelve weeks.
fn forecast(all: &[HistInvoice], as_of: NaiveDate) -> (f64, f64, f64) {
    use fordra_ml::survival::{Claim, Hazards, Stage};
    let claims: Vec<Claim> = all
        .iter()
        .map(|h| Claim {
            group: "normal".into(),
            issued: h.invoice_date,
            due: h.due_date,
            paid: h.paid_date,
            stages: vec![],
            amount: h.amount,
        })
        .collect();
    let t = Instant::now();
    let hazards = Hazards::fit(&claims, as_of);
    let t_fit = t.elapsed().as_secs_f64();
    let t = Instant::now();
    let (mut open, mut expected) = (0.0, 0.0);
    for c in claims.iter().filter(|c| c.open_on(as_of)) {
        let (p, _) = hazards.weekly(&c.group, Stage::None, c.due, as_of, 12);
        open += c.amount as f64;
        expected += c.amount as f64 * p.iter().sum::<f64>();
    }
    (t_fit, t.elapsed().as_secs_f64(), expected / open.max(1.0))
}

fn history_len(n: usize) -> usize {
    (n / 10).max(10) * 10
}
