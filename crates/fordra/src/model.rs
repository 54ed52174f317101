//! `fordra model …` and `fordra report forecast`: parsed here, done by `fordra_app::model`.

use crate::{print_json, read_file, say, source, table};
use anyhow::Result;
use chrono::NaiveDate;
use clap::Subcommand;
use fordra_app::model::{
    EvaluationReport, ExplainInput, Explained, Forecast, ModelChoice, Scores, TrainInput, Trained,
};
use fordra_app::{App, CreditorId};
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum ModelCmd {
    /// Train on invoices issued before a date (outcomes as known then); store it as the next
    /// version, used by the runs from now on.
    Train {
        /// Train on invoices issued before this date (default: today).
        #[arg(long)]
        until: Option<NaiveDate>,
        /// Also write the model file here.
        #[arg(long)]
        out: Option<PathBuf>,
        /// "Late" means paid more than this many days after due.
        #[arg(long, default_value_t = 10)]
        late_after: i64,
        /// "Very late" means paid more than this many days after due (or not at all).
        #[arg(long, default_value_t = 30)]
        very_late_after: i64,
    },
    /// The stored model versions, with their training windows and figures.
    List,
    /// Make a stored version the one the runs use.
    Use { version: u32 },
    /// Train before --from, test on invoices issued from --from (to --to), against baselines.
    Evaluate {
        #[arg(long)]
        from: NaiveDate,
        #[arg(long)]
        to: Option<NaiveDate>,
        #[arg(long, default_value_t = 10)]
        late_after: i64,
        #[arg(long, default_value_t = 30)]
        very_late_after: i64,
    },
    /// What drives the credit time and late payment (ranked, optional SVG chart), or why one
    /// customer or invoice scores as it does.
    Explain {
        /// A model file instead of the stored active model.
        #[arg(long)]
        model: Option<PathBuf>,
        /// A stored version instead of the active one.
        #[arg(long)]
        version: Option<u32>,
        /// Explain this invoice (as of --date if open then, else as of its invoice date).
        #[arg(long)]
        invoice: Option<String>,
        /// Explain this customer (their latest invoice, as known on --date).
        #[arg(long)]
        customer: Option<String>,
        /// Write the global ranking as an SVG bar chart.
        #[arg(long)]
        chart: Option<PathBuf>,
        #[arg(long)]
        date: Option<NaiveDate>,
    },
    /// Score every customer (or, with --invoices, every open invoice) as of a date, riskiest first.
    Score {
        #[arg(long)]
        date: Option<NaiveDate>,
        #[arg(long)]
        invoices: bool,
        /// Rows to print (JSON has them all).
        #[arg(long, default_value_t = 30)]
        limit: usize,
    },
}

fn print_evaluation(e: &EvaluationReport, json: bool) -> Result<()> {
    if json {
        return print_json(e);
    }
    println!(
        "Trained on {} invoices issued before {}; tested on {} issued {}..{} ({:.1} % paid more than {} days late)",
        e.train_invoices,
        e.trained_until,
        e.test_invoices,
        e.trained_until,
        e.test_to,
        100.0 * e.late_rate,
        e.late_after_days
    );
    println!(
        "Tested: every invoice of the window, {} of them disputed; {} more have no known outcome yet. Not trained on: {} disputed, {} without a known outcome on {}.",
        e.disputed_test, e.unknown_test, e.disputed_train, e.censored_train, e.trained_until
    );
    for w in &e.warnings {
        println!("Warning: {w}");
    }
    println!("P(late) for the runs: {}.", e.why);
    let f = |x: Option<f64>| x.map(|v| format!("{v:.3}")).unwrap_or_else(|| "-".into());
    let g = |x: Option<f64>| x.map(|v| format!("{v:.1}")).unwrap_or_else(|| "-".into());
    let rows = e
        .models
        .iter()
        .chain(&e.baselines)
        .map(|x| vec![x.name.clone(), f(x.auc), format!("{:.3}", x.logloss), f(x.auc_very_late), g(x.mae_days)])
        .collect();
    println!(
        "{}",
        table(
            &["", "ROC AUC (late)", "log loss", &format!("AUC (> {} days)", e.very_late_after_days), "MAE days late"],
            rows
        )
    );
    println!("On parts of the test invoices (the chosen model against the customer's history alone):");
    let parts = e
        .subsets
        .iter()
        .map(|p| {
            vec![
                p.name.clone(),
                p.invoices.to_string(),
                format!("{:.1} %", 100.0 * p.late_rate),
                f(p.auc),
                f(p.history_auc),
                format!("{:.3}", p.logloss),
                format!("{:.3}", p.history_logloss),
            ]
        })
        .collect();
    println!(
        "{}",
        table(&["part", "invoices", "late", "AUC chosen", "AUC history", "log loss chosen", "log loss history"], parts)
    );
    println!("Calibration of the chosen model's P(late):");
    println!(
        "{}",
        table(
            &["predicted", "invoices", "mean predicted", "observed late"],
            e.calibration
                .iter()
                .map(|b| vec![
                    format!("{:.0}–{:.0} %", 100.0 * b.from, 100.0 * b.to),
                    b.count.to_string(),
                    format!("{:.1} %", 100.0 * b.predicted),
                    format!("{:.1} %", 100.0 * b.observed)
                ])
                .collect()
        )
    );
    println!("Strongest factors (mean effect on the credit time, days):");
    for i in e.importance.iter().take(6) {
        println!("  {:<28} {:>6.2} days  {:>6.3} log-odds", i.feature, i.days, i.late);
    }
    Ok(())
}

pub fn run(app: &mut App<'_>, cid: &CreditorId, cmd: ModelCmd, json: bool) -> Result<()> {
    let today = app.today;
    match cmd {
        ModelCmd::Train { until, out, late_after, very_late_after } => {
            let until = until.unwrap_or(today);
            let t = crate::progress::working("training", json, || {
                app.train_model(cid, TrainInput { until, late_after, very_late_after })
            })?;
            print_trained(&t, until, out, (late_after, very_late_after), json)?;
        }
        ModelCmd::List => print_models(&app.list_models(cid)?, cid, json)?,
        ModelCmd::Use { version } => {
            let r = app.use_model(cid, version)?;
            say(json, &r, |_| format!("Model v{version} is now the one the runs use"))?;
        }
        ModelCmd::Evaluate { from, to, late_after, very_late_after } => {
            print_evaluation(&app.evaluate_model(cid, from, to, late_after, very_late_after)?, json)?;
        }
        ModelCmd::Explain { model, version, invoice, customer, chart, date } => {
            let file = model.as_deref().map(|p| read_file(p).map(|b| (source(p), b))).transpose()?;
            let choice = match (&file, version) {
                (Some((name, bytes)), _) => ModelChoice::File(name, bytes),
                (None, Some(v)) => ModelChoice::Version(v),
                (None, None) => ModelChoice::Active,
            };
            let x = ExplainInput { model: choice, invoice, customer, date, chart: chart.is_some() };
            let e = app.explain_model(cid, &x)?;
            let svg = match &e {
                Explained::Global { chart, .. } | Explained::Subject { chart, .. } => chart.clone(),
            };
            if let (Some(path), Some(svg)) = (&chart, svg) {
                std::fs::write(path, svg)?;
            }
            if json {
                return print_json(&e);
            }
            print_explained(&e, chart.as_deref());
        }
        ModelCmd::Score { date, invoices, limit } => {
            let s = app.score(cid, date.unwrap_or(today), invoices)?;
            if json {
                return print_json(&s);
            }
            print_scores(&s, invoices, limit);
        }
    }
    Ok(())
}

fn print_trained(
    t: &Trained,
    until: NaiveDate,
    out: Option<PathBuf>,
    (late_after, very_late_after): (i64, i64),
    json: bool,
) -> Result<()> {
    let model = &t.trained;
    if let Some(path) = &out {
        std::fs::write(path, serde_json::to_string(model)?)?;
    }
    if json {
        println!("{}", serde_json::json!({"model": t.model, "file": out.map(|p| p.display().to_string())}));
    } else {
        println!(
            "Model v{} trained on {} invoices issued {}..{} ({:.1} % paid more than {late_after} days late, {:.1} % more than {very_late_after}); the runs use it from now on{}",
            model.version,
            model.training_invoices,
            model.trained_from,
            until,
            100.0 * model.late_rate,
            100.0 * model.very_late_rate,
            out.map(|p| format!("; saved to {}", p.display())).unwrap_or_default()
        );
        println!("P(late) by the {}.", model.choice.why);
        if model.censored > 0 || model.disputed_left_out > 0 {
            println!(
                "Not trained on: {} invoices whose outcome was not known yet, {} disputed.",
                model.censored, model.disputed_left_out
            );
        }
        if model.training_invoices < fordra_ml::evaluate::FEW_TRAINING_INVOICES {
            println!(
                "Warning: only {} invoices with a known outcome; a few hundred are needed for figures to be certain.",
                model.training_invoices
            );
        }
        println!(
            "In-sample ROC AUC {} (a sanity check; `fordra model evaluate --from DATE` gives honest out-of-time figures)",
            model.metrics.auc_in_sample.map(|a| format!("{a:.3}")).unwrap_or_else(|| "-".into())
        );
    }
    Ok(())
}

fn print_models(rows: &[fordra_store::ModelRow], cid: &CreditorId, json: bool) -> Result<()> {
    if json {
        print_json(&rows)?;
    } else if rows.is_empty() {
        println!("No model trained for {cid}: run `fordra model train`");
    } else {
        let t = rows
            .iter()
            .map(|r| {
                vec![
                    format!("v{}{}", r.version, if r.active { " (in use)" } else { "" }),
                    format!("{}..{}", r.summary["trained_from"].as_str().unwrap_or("?"), r.trained_until),
                    r.trained_on.to_string(),
                    r.training_invoices.to_string(),
                    format!("{:.1} %", 100.0 * r.summary["late_rate"].as_f64().unwrap_or(0.0)),
                    r.summary["metrics"]["auc_in_sample"]
                        .as_f64()
                        .map(|a| format!("{a:.3}"))
                        .unwrap_or_else(|| "-".into()),
                ]
            })
            .collect();
        println!("{}", table(&["version", "training window", "trained on", "invoices", "late", "AUC in sample"], t));
    }
    Ok(())
}

fn print_explained(e: &Explained, chart: Option<&Path>) {
    match e {
        Explained::Global { version, trained_until, factors, .. } => {
            println!("What drives the credit time and late payment (model v{version}, trained until {trained_until}; mean effect per invoice):");
            let rows = factors
                .iter()
                .map(|i| {
                    vec![
                        i.feature.clone(),
                        format!("{:.2}", i.days),
                        format!("{:.3}", i.late),
                        format!("{:+.3}", i.logistic_weight),
                    ]
                })
                .collect();
            println!(
                "{}",
                table(&["factor", "days of credit time", "log-odds of paying late", "logistic weight"], rows)
            );
            if let Some(c) = chart {
                println!("Chart written to {}", c.display());
            }
        }
        Explained::Subject {
            subject,
            model,
            p_late,
            p_very_late,
            expected_days_late,
            factors,
            late_after_days,
            very_late_after_days,
            ..
        } => {
            println!(
                "{subject}: {:.0} % likely to be paid more than {late_after_days} days late, {:.0} % more than {very_late_after_days} days; expected {:.0} days late (model v{model})",
                100.0 * p_late,
                100.0 * p_very_late,
                expected_days_late,
            );
            for f in factors.iter().take(6) {
                println!("  {:+.2}  {}", f.late, f.text);
            }
        }
    }
}

fn print_scores(s: &Scores, invoices: bool, limit: usize) {
    println!(
        "{} scored on {} by model v{}, riskiest first:",
        if invoices { "Open invoices" } else { "Customers (their latest invoice as known that day)" },
        s.as_of,
        s.model
    );
    let date = |d: Option<NaiveDate>| d.map(|d| d.to_string()).unwrap_or_default();
    let t = s
        .scores
        .iter()
        .take(limit)
        .map(|r| {
            let mut row = match (invoices, &r.invoice) {
                (true, Some(i)) => vec![i.clone(), r.customer.clone().unwrap_or_default()],
                _ => vec![r.customer.clone().unwrap_or_default()],
            };
            row.extend([
                format!("{:.0} %", 100.0 * r.p_late),
                format!("{:.0} %", 100.0 * r.p_very_late),
                format!("{:.0}", r.expected_days_late),
            ]);
            if invoices {
                row.extend([date(r.due_date), date(r.pay_date)]);
            }
            row
        })
        .collect();
    let head: &[&str] = if invoices {
        &["invoice", "customer", "P(late)", "P(very late)", "expected days late", "due", "predicted pay date"]
    } else {
        &["customer", "P(late)", "P(very late)", "expected days late"]
    };
    println!("{}", table(head, t));
    if s.scores.len() > limit {
        println!("({} more; --limit or --json for all)", s.scores.len() - limit);
    }
}

/// `fordra report forecast`.
pub fn forecast(f: &Forecast, cid: &CreditorId, json: bool) -> Result<()> {
    if json {
        return print_json(f);
    }
    println!(
        "Cash-flow forecast on {} for {cid}: {} open invoices, {} open, by each one's chance of being paid each week",
        f.as_of, f.open_invoices, f.open_amount
    );
    let rows = f
        .weeks
        .iter()
        .map(|w| {
            vec![
                w.week.clone(),
                format!("{:.1}", w.invoices),
                w.expected.to_string(),
                w.if_paid_on_due_date.to_string(),
            ]
        })
        .collect();
    println!("{}", table(&["week", "invoices (expected)", "expected in", "if paid on due date"], rows));
    println!(
        "From the creditor's own claims: the chance of payment in each week since due, by segment and by the furthest step taken (reminder, collection, legal); claims long in collection or legal spread thin, most of them in the last row. `--backtest` shows how such forecasts did."
    );
    Ok(())
}

/// `fordra report forecast --backtest`.
pub fn backtest(b: &fordra_ml::survival::Backtest, cid: &CreditorId, json: bool) -> Result<()> {
    if json {
        return print_json(b);
    }
    let money = |v: i64| fordra_app::Minor(v).to_string();
    println!("Forecast backtest for {cid}: each past forecast with only what was known when it was made, against what came in");
    let rows = b
        .weeks
        .iter()
        .map(|w| {
            vec![
                w.made_on.to_string(),
                w.ahead.to_string(),
                money(w.predicted),
                money(w.if_paid_on_due_date),
                money(w.actual),
            ]
        })
        .collect();
    println!("{}", table(&["made on", "week ahead", "forecast", "if paid on due date", "received"], rows));
    println!(
        "Mean absolute error a week: forecast {}, \"paid on the due date\" {} (received {} a week on average).",
        money(b.mae.round() as i64),
        money(b.mae_if_paid_on_due_date.round() as i64),
        money(b.mean_actual.round() as i64)
    );
    Ok(())
}
