//! `fordra bench`: the daily run over a large generated portfolio, end to end and by phase
//! (load, predict, decide, write), on SQLite or on PostgreSQL (`--db postgres://…`: a scratch
//! database made on that server and dropped): the first catch-up day, an ordinary day, the same
//! day again, an ordinary day with the payment-behaviour model in use, and the decision core
//! alone on one core and on all of them. Not a test: figures to compare.

use crate::bench::BenchArgs;
use anyhow::{anyhow, Result};
use chrono::{Duration, NaiveDate};
use fordra_app::run::{RunInput, RunPhases};
use fordra_app::{App, CreditorId};
use fordra_core::law::LawBook;
use fordra_core::run::daily_run;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::json;
use std::time::{Duration as Elapsed, Instant};

/// A PostgreSQL database made for one benchmark on the server of `base`, dropped at the end.
pub(crate) struct ScratchDb {
    admin: postgres::Client,
    name: String,
    /// Its URL.
    pub url: String,
}

impl ScratchDb {
    pub(crate) fn create(base: &str, tag: &str) -> Result<ScratchDb> {
        let name = format!("fordra_bench_{tag}_{}", std::process::id());
        let mut admin = postgres::Client::connect(base, postgres::NoTls)?;
        admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))?;
        admin.batch_execute(&format!("CREATE DATABASE {name}"))?;
        let (prefix, _) = base.rsplit_once('/').ok_or_else(|| anyhow!("--db: a URL with a database name"))?;
        Ok(ScratchDb { url: format!("{prefix}/{name}"), admin, name })
    }
}

impl Drop for ScratchDb {
    fn drop(&mut self) {
        let _ = self.admin.batch_execute(&format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name));
    }
}

/// One measured day.
struct Day {
    name: &'static str,
    phases: RunPhases,
    actions: usize,
}

fn secs(d: Elapsed) -> f64 {
    d.as_secs_f64()
}

/// Runs `date` as the scheduler would and records its phases (a spinner unless `quiet`).
fn day(app: &mut App<'_>, c: &CreditorId, name: &'static str, date: NaiveDate, quiet: bool) -> Result<Day> {
    let (r, phases) = crate::progress::working(name, quiet, || {
        app.decide_day_timed(c, RunInput { date, dry_run: false, allow_future: true })
    })?;
    Ok(Day { name, phases, actions: r.actions.len() })
}

pub fn bench_run(law: &LawBook, a: &BenchArgs, pg: Option<&str>, json_out: bool) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let scratch = pg.map(|base| ScratchDb::create(base, "run")).transpose()?;
    let (url, db) = match &scratch {
        Some(s) => (s.url.clone(), "PostgreSQL"),
        None => (a.file.clone().unwrap_or_else(|| dir.path().join("bench.db")).display().to_string(), "SQLite"),
    };
    let as_of = NaiveDate::from_ymd_opt(2026, 6, 15).expect("date");
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let t0 = Instant::now();
    let (mut store, creditor) = crate::bench::bench_store(&url, None)?;
    let today = store.today();
    let mut app = App::new(&mut store, law, today);
    let id = CreditorId("bench".into());
    crate::progress::working("generating the portfolio", json_out, || {
        crate::bench::portfolio(&mut app, &id, a, as_of, &mut rng)
    })?;
    let generate = t0.elapsed();

    let mut days = vec![day(&mut app, &id, "first catch-up day", as_of, json_out)?];
    days.push(day(&mut app, &id, "ordinary day", as_of + Duration::days(1), json_out)?);
    days.push(day(&mut app, &id, "same day again", as_of + Duration::days(1), json_out)?);

    // The decision core alone on the ordinary day's state: one core, then all of them (the
    // results must be the same).
    let date = as_of + Duration::days(2);
    let j = law.jurisdiction(creditor.jurisdiction)?;
    let mut state = app.store.load_run_state(&creditor, date)?;
    fordra_app::predict::attach(app.store, &creditor, &mut state, date, false)?;
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    let (mut seq, mut par) = (Elapsed::MAX, Elapsed::MAX);
    let (mut seq_r, mut par_r) = (None, None);
    for _ in 0..a.repeats.max(1) {
        let t = Instant::now();
        seq_r = Some(one.install(|| daily_run(&creditor, j, &state.customers, &state.claims, date)));
        seq = seq.min(t.elapsed());
        let t = Instant::now();
        par_r = Some(daily_run(&creditor, j, &state.customers, &state.claims, date));
        par = par.min(t.elapsed());
    }
    if seq_r != par_r {
        return Err(anyhow!("the parallel decisions differ from the sequential ones"));
    }
    let open = state.claims.len();
    drop((state, seq_r, par_r));

    // The same portfolio with the payment-behaviour model in use: a history imported and trained
    // on (not timed here: `fordra bench --ml`), then the segmentation's predicted-late rule and
    // pre-due nudges switched on.
    let t = Instant::now();
    let trained = model_in_use(&mut app, &id, a.history)?;
    let train = t.elapsed();
    days.push(day(&mut app, &id, "ordinary day, model in use", date, json_out)?);
    days.push(day(&mut app, &id, "ordinary day after, model in use", date + Duration::days(1), json_out)?);
    let cores = rayon::current_num_threads();
    if json_out {
        let out: Vec<_> = days
            .iter()
            .map(|d| {
                json!({"db": db, "day": d.name, "actions": d.actions, "total_s": secs(d.phases.total),
                "load_s": secs(d.phases.load), "predict_s": secs(d.phases.predict), "decide_s": secs(d.phases.decide),
                "write_s": secs(d.phases.write)})
            })
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({
                "db": db, "customers": a.customers, "invoices": a.invoices, "generate_s": secs(generate),
                "days": out, "core_open_invoices": open, "core_sequential_s": secs(seq), "core_parallel_s": secs(par),
                "cores": cores, "core_parallel_invoices_per_s": open as f64 / secs(par),
                "history": a.history, "model_trained_on": trained, "train_s": secs(train),
            }))?
        );
        return Ok(());
    }
    println!("{db}: {} customers, {} open invoices (generated in {:.1} s)", a.customers, a.invoices, secs(generate));
    println!(
        "{:<34} {:>8} {:>8} {:>8} {:>8} {:>8} {:>9}",
        "day", "total s", "load", "predict", "decide", "write", "actions"
    );
    for d in &days {
        let p = d.phases;
        println!(
            "{:<34} {:>8.2} {:>8.2} {:>8.2} {:>8.3} {:>8.2} {:>9}",
            d.name,
            secs(p.total),
            secs(p.load),
            secs(p.predict),
            secs(p.decide),
            secs(p.write),
            d.actions
        );
    }
    println!(
        "decision core alone over {open} open invoices: {:.3} s on one core ({:.1} M/s), {:.3} s on {cores} ({:.1} M/s); the same decisions",
        secs(seq),
        open as f64 / secs(seq) / 1e6,
        secs(par),
        open as f64 / secs(par) / 1e6
    );
    println!(
        "(model: trained on {trained} invoices of an imported history in {:.1} s, not part of the days)",
        secs(train)
    );
    Ok(())
}

/// Imports a paid history of `n` invoices for the portfolio's first customers, trains on it
/// and switches the model's rules on; how many invoices it was trained on.
fn model_in_use(app: &mut App<'_>, id: &CreditorId, n: usize) -> Result<usize> {
    let history = crate::bench_ml::generate((n / 10).max(10), 0..10, false, 11);
    let rows: Vec<_> = history.iter().map(|h| (h.clone(), "SEK".to_string(), None)).collect();
    app.store.import_history(&id.0, &rows, "bench-history.csv")?;
    let until = NaiveDate::from_ymd_opt(2025, 1, 1).expect("date");
    let t = app.train_model(id, fordra_app::model::TrainInput { until, late_after: 10, very_late_after: 30 })?;
    let mut policy = app.show_policy(id)?;
    policy.segmentation.predicted_late = Some(rust_decimal::Decimal::new(7, 1));
    policy.nudge = Some(fordra_core::model::Nudge {
        min_p_late: rust_decimal::Decimal::new(6, 1),
        days_before_due: 5,
        channel: fordra_core::domain::Channel::Email,
    });
    app.set_policy(id, policy, "bench", &|_| vec![])?;
    Ok(t.trained.training_invoices)
}

/// `fordra bench --creditors N`: N creditors of `--per-creditor` open invoices each (a tenth of
/// as many customers), their first day caught up with 4 workers, then an ordinary day each with
/// 1, 2 and 4 workers, as `fordra run --all-creditors --workers W` runs them.
pub fn bench_creditors(law: &LawBook, a: &BenchArgs, n: usize, pg: Option<&str>, json_out: bool) -> Result<()> {
    let dir = tempfile::tempdir()?;
    let scratch = pg.map(|base| ScratchDb::create(base, "creditors")).transpose()?;
    let (url, db) = match &scratch {
        Some(s) => (s.url.clone(), "PostgreSQL"),
        None => (dir.path().join("creditors.db").display().to_string(), "SQLite"),
    };
    let as_of = NaiveDate::from_ymd_opt(2026, 6, 15).expect("date");
    let t0 = Instant::now();
    let mut store = fordra_store::Store::create(&url)?;
    let per = BenchArgs { customers: (a.per_creditor / 10).max(1), invoices: a.per_creditor, ..a.clone() };
    for k in 0..n {
        let creditor = crate::bench::bench_creditor(&format!("c{k:03}"), None);
        store.save_creditor(&creditor)?;
        let mut app = App::new(&mut store, law, as_of);
        let mut rng = ChaCha8Rng::seed_from_u64(k as u64);
        crate::bench::portfolio(&mut app, &CreditorId(creditor.id.clone()), &per, as_of, &mut rng)?;
    }
    drop(store);
    let generate = t0.elapsed();
    let connect = || fordra_store::Store::open(&url).map_err(fordra_app::AppError::from);
    let holder = format!("bench-{}", std::process::id());
    let mut rows = Vec::new();
    for (i, workers) in [4, 1, 2, 4].into_iter().enumerate() {
        let pool = fordra_app::run::Workers { connect: &connect, law, today: as_of, workers, holder: &holder };
        let date = as_of + Duration::days(i as i64);
        let t = Instant::now();
        let runs = pool.run_all(RunInput { date, dry_run: false, allow_future: true }, chrono::Utc::now())?;
        let took = t.elapsed();
        if let Some(e) = runs.iter().find_map(|r| r.error.as_ref()) {
            return Err(anyhow!("a creditor's day failed: {e}"));
        }
        let actions: usize = runs.iter().map(|r| r.actions_created).sum();
        let name = if i == 0 { "first catch-up day" } else { "ordinary day" };
        rows.push((name, workers, took, actions));
    }
    if json_out {
        let out: Vec<_> = rows
            .iter()
            .map(|(name, w, t, actions)| json!({"day": name, "workers": w, "seconds": secs(*t), "actions": actions}))
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(&json!({"db": db, "creditors": n, "per_creditor": a.per_creditor,
                "generate_s": secs(generate), "days": out}))?
        );
        return Ok(());
    }
    println!("{db}: {n} creditors × {} open invoices (generated in {:.1} s)", a.per_creditor, secs(generate));
    for (name, w, t, actions) in rows {
        println!("{name:<20} {w} worker{:<2} {:>8.2} s {actions:>9} actions", if w == 1 { "" } else { "s" }, secs(t));
    }
    Ok(())
}
