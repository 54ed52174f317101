//! `fordra import history`, `fordra model …` and `fordra report forecast`: the creditor's own AR
//! history, models trained on it, an honest out-of-time evaluation against baselines,
//! explanations, scores, and the cash-flow forecast they give.

use crate::csvin::Sheet;
use crate::{m, table, today};
use anyhow::{anyhow, bail, Result};
use chrono::{Duration, NaiveDate};
use clap::Subcommand;
use fordra_core::history::HistInvoice;
use fordra_core::money::{parse_minor, Currency};
use fordra_ml::evaluate::{evaluate, Evaluation, Figures};
use fordra_ml::explain;
use fordra_ml::features::{at_issue, snapshot, Rows, Snapshot};
use fordra_ml::model::Model;
use fordra_store::Store;
use serde_json::json;
use std::collections::HashMap;
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

const KEYS: &[&str] = &["customer", "invoice", "invoice_date", "due_date", "amount", "paid_date", "disputed", "channel", "country", "credit_score"];
const REQUIRED: &[&str] = &["customer", "invoice", "invoice_date", "due_date", "amount"];

/// How an AR export's columns map to history fields.
pub struct Mapping<'a> {
    /// `key=COLUMN` pairs; unmapped keys use their own name.
    pub maps: &'a [String],
    pub date_format: &'a str,
    /// Extra numeric columns used as features.
    pub extra: &'a [String],
}

/// A column mapping kept in a file, so the same ERP export is read the same way every month:
///
/// ```toml
/// customer = "Customer No"
/// invoice = "Document No"
/// invoice_date = "Doc Date"
/// date_format = "%m/%d/%Y"
/// currency = "USD"
/// features = ["Region code"]
/// ```
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MappingFile {
    pub date_format: Option<String>,
    pub currency: Option<String>,
    #[serde(default)]
    pub features: Vec<String>,
    customer: Option<String>,
    invoice: Option<String>,
    invoice_date: Option<String>,
    due_date: Option<String>,
    amount: Option<String>,
    paid_date: Option<String>,
    disputed: Option<String>,
    channel: Option<String>,
    country: Option<String>,
    credit_score: Option<String>,
}

impl MappingFile {
    pub fn read(path: &Path) -> Result<MappingFile> {
        let text = std::fs::read_to_string(path).map_err(|e| anyhow!("{}: {e}", path.display()))?;
        toml::from_str(&text).map_err(|e| anyhow!("{}: {e}", path.display()))
    }
    /// The mapped keys as `KEY=COLUMN`.
    pub fn maps(&self) -> Vec<String> {
        let keys = [
            ("customer", &self.customer),
            ("invoice", &self.invoice),
            ("invoice_date", &self.invoice_date),
            ("due_date", &self.due_date),
            ("amount", &self.amount),
            ("paid_date", &self.paid_date),
            ("disputed", &self.disputed),
            ("channel", &self.channel),
            ("country", &self.country),
            ("credit_score", &self.credit_score),
        ];
        keys.iter().filter_map(|(k, v)| v.as_ref().map(|c| format!("{k}={c}"))).collect()
    }
}

/// History rows with their country, and the number of non-positive rows skipped.
type HistoryRows = (Vec<(HistInvoice, Option<String>)>, usize);

/// Reads an AR export with a column mapping.
pub fn read_history(path: &Path, mapping: &Mapping<'_>) -> Result<HistoryRows> {
    let (maps, date_format, extra) = (mapping.maps, mapping.date_format, mapping.extra);
    let mut map: HashMap<String, String> = KEYS.iter().map(|k| (k.to_string(), k.to_string())).collect();
    for m in maps {
        let (k, v) = m.split_once('=').ok_or_else(|| anyhow!("--map {m}: expected KEY=COLUMN"))?;
        if !KEYS.contains(&k) {
            bail!("--map {m}: unknown key '{k}' (keys: {})", KEYS.join(", "));
        }
        map.insert(k.to_string(), v.to_ascii_lowercase());
    }
    let required: Vec<&str> = REQUIRED.iter().map(|k| map[*k].as_str()).collect();
    let sheet = Sheet::read(path, &required)?;
    let name = path.display().to_string();
    let date = |l: &crate::csvin::Line<'_>, key: &str| -> Result<Option<NaiveDate>> {
        let col = &map[key];
        match l.opt(col) {
            None => Ok(None),
            Some(v) => NaiveDate::parse_from_str(v, date_format)
                .map(Some)
                .map_err(|_| anyhow!("{name}: line {}: column {col}: '{v}' is not a date in the format {date_format}", l.line)),
        }
    };
    let mut out = Vec::new();
    let mut skipped = 0;
    for l in sheet.lines() {
        let req = |key: &str| l.req(&map[key]).map(str::to_string);
        let amount_text = req("amount")?;
        let amount = parse_minor(&amount_text.replace(' ', "")).map_err(|e| anyhow!("{name}: line {}: column {}: {e}", l.line, map["amount"]))?;
        if amount <= 0 {
            skipped += 1; // credit notes and zero lines are not invoices
            continue;
        }
        let invoice_date = date(&l, "invoice_date")?.ok_or_else(|| anyhow!("{name}: line {}: column {}: is empty", l.line, map["invoice_date"]))?;
        let due_date = date(&l, "due_date")?.ok_or_else(|| anyhow!("{name}: line {}: column {}: is empty", l.line, map["due_date"]))?;
        if due_date < invoice_date {
            bail!("{name}: line {}: column {}: due date {due_date} is before the invoice date {invoice_date}", l.line, map["due_date"]);
        }
        let disputed = match l.opt(&map["disputed"]).map(|s| s.to_ascii_lowercase()) {
            None => false,
            // Yes and no as Nordic exports write them too.
            Some(v) if ["1", "yes", "true", "y", "x", "ja", "j", "kyllä", "k"].contains(&v.as_str()) => true,
            Some(v) if ["0", "no", "false", "n", "nej", "nei", "ei", "e"].contains(&v.as_str()) => false,
            Some(v) => bail!("{name}: line {}: column {}: '{v}' is not yes/no", l.line, map["disputed"]),
        };
        let credit_score = l
            .opt(&map["credit_score"])
            .map(|v| v.parse::<f64>().map_err(|_| anyhow!("{name}: line {}: column {}: '{v}' is not a number", l.line, map["credit_score"])))
            .transpose()?;
        let extra = extra
            .iter()
            .map(|c| {
                let c = c.to_ascii_lowercase();
                l.opt(&c)
                    .map_or(Ok(0.0), |v| v.replace(',', ".").parse::<f64>().map_err(|_| anyhow!("{name}: line {}: column {c}: '{v}' is not a number", l.line)))
            })
            .collect::<Result<Vec<f64>>>()?;
        let h = HistInvoice {
            customer: req("customer")?,
            invoice: req("invoice")?,
            invoice_date,
            due_date,
            amount,
            // A prepayment counts as paid on the invoice date.
            paid_date: date(&l, "paid_date")?.map(|p| p.max(invoice_date)),
            disputed,
            channel: l.opt(&map["channel"]).map(str::to_string),
            credit_score,
            extra,
        };
        out.push((h, l.opt(&map["country"]).map(str::to_string)));
    }
    Ok((out, skipped))
}

pub fn import_history(store: &mut Store, cid: &str, file: &Path, currency: Currency, mapping: &Mapping<'_>, json: bool) -> Result<()> {
    let (rows, skipped) = read_history(file, mapping)?;
    let rows: Vec<_> = rows.into_iter().map(|(h, country)| (h, currency.code().to_string(), country)).collect();
    let source = file.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
    let (created, updated) = store.import_history(cid, &rows, &source)?;
    if json {
        println!(
            "{}",
            json!({"file": file.display().to_string(), "rows": rows.len(), "created": created, "updated": updated, "skipped_non_positive": skipped})
        );
    } else {
        println!("{}: {} history rows: {created} new, {updated} updated, {skipped} credit notes or zero lines skipped", file.display(), rows.len());
    }
    Ok(())
}

fn data_end(h: &[HistInvoice]) -> Option<NaiveDate> {
    h.iter().flat_map(|x| [Some(x.invoice_date), x.paid_date]).flatten().max()
}

fn history(store: &mut Store, cid: &str) -> Result<Vec<HistInvoice>> {
    let h = store.history(cid)?;
    if h.is_empty() {
        bail!("no history for {cid}: import an accounts-receivable export with `fordra import history` (or import invoices)");
    }
    Ok(h)
}

/// The model to use: a file, a stored version, or the active one.
pub fn load_model(store: &mut Store, cid: &str, file: Option<&Path>, version: Option<u32>) -> Result<Model> {
    if let Some(path) = file {
        let text = std::fs::read_to_string(path).map_err(|e| anyhow!("{}: {e}", path.display()))?;
        return Model::from_json(&text).map_err(|e| anyhow!("{}: {e}", path.display()));
    }
    store.model(cid, version)?.ok_or_else(|| match version {
        Some(v) => anyhow!("no model version {v} for {cid} (see `fordra model list`)"),
        None => anyhow!("no model trained for {cid}: run `fordra model train`"),
    })
}

/// Stores a trained model as the creditor's next version (the one the runs use from now on).
pub fn store_new_version(store: &mut Store, cid: &str, model: &mut Model, trained_on: NaiveDate) -> Result<()> {
    model.version = store.next_model_version(cid)?;
    store.save_model(cid, model, trained_on, &summary(model))?;
    Ok(())
}

fn summary(model: &Model) -> serde_json::Value {
    json!({
        "version": model.version, "trained_from": model.trained_from, "trained_until": model.trained_until,
        "training_invoices": model.training_invoices, "late_after_days": model.late_after_days,
        "very_late_after_days": model.very_late_after_days, "late_rate": model.late_rate,
        "very_late_rate": model.very_late_rate, "trees": model.late.trees(), "metrics": model.metrics,
    })
}

fn figures_json(f: &Figures) -> serde_json::Value {
    let num = |x: f64| if x.is_finite() { json!(x) } else { serde_json::Value::Null };
    json!({"name": f.name, "auc": f.auc, "logloss": f.logloss, "mae_days": num(f.mae_days), "auc_very_late": f.auc_very_late})
}

fn print_evaluation(e: &Evaluation, json: bool) -> Result<()> {
    if json {
        let out = json!({
            "trained_until": e.trained_until, "test_to": e.test_to, "late_after_days": e.late_after_days, "very_late_after_days": e.very_late_after_days,
            "train_invoices": e.train_invoices, "test_invoices": e.test_invoices, "late_rate": e.late_rate,
            "auc": e.trees.auc, "logloss": e.trees.logloss, "mae_days": e.trees.mae_days, "auc_very_late": e.trees.auc_very_late,
            "baseline_auc": e.customer_history.auc, "baseline_logloss": e.customer_history.logloss, "baseline_mae_days": e.customer_history.mae_days,
            "models": [figures_json(&e.trees), figures_json(&e.logistic)],
            "baselines": [figures_json(&e.customer_history), figures_json(&e.always_on_time)],
            "calibration": e.calibration, "importance": e.importance,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
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
    let f = |x: Option<f64>| x.map(|v| format!("{v:.3}")).unwrap_or_else(|| "-".into());
    let g = |x: f64| if x.is_finite() { format!("{x:.1}") } else { "-".into() };
    let rows = [&e.trees, &e.logistic, &e.customer_history, &e.always_on_time]
        .iter()
        .map(|x| vec![x.name.clone(), f(x.auc), format!("{:.3}", x.logloss), f(x.auc_very_late), g(x.mae_days)])
        .collect();
    println!("{}", table(&["", "ROC AUC (late)", "log loss", &format!("AUC (> {} days)", e.very_late_after_days), "MAE days late"], rows));
    println!("Calibration of the trees' P(late):");
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

pub fn run(store: &mut Store, cid: &str, cmd: ModelCmd, json: bool) -> Result<()> {
    match cmd {
        ModelCmd::Train { until, out, late_after, very_late_after } => {
            let history = history(store, cid)?;
            let until = until.unwrap_or_else(today);
            let mut model = Model::train(&history, until, late_after, very_late_after).map_err(|e| anyhow!(e))?;
            store_new_version(store, cid, &mut model, today())?;
            let summary = summary(&model);
            if let Some(path) = &out {
                std::fs::write(path, serde_json::to_string(&model)?)?;
            }
            if json {
                println!("{}", json!({"model": summary, "file": out.map(|p| p.display().to_string())}));
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
                println!(
                    "In-sample ROC AUC {} (a sanity check; `fordra model evaluate --from DATE` gives honest out-of-time figures)",
                    model.metrics.auc_in_sample.map(|a| format!("{a:.3}")).unwrap_or_else(|| "-".into())
                );
            }
        }
        ModelCmd::List => {
            let rows = store.models(cid)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
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
                            r.summary["metrics"]["auc_in_sample"].as_f64().map(|a| format!("{a:.3}")).unwrap_or_else(|| "-".into()),
                        ]
                    })
                    .collect();
                println!("{}", table(&["version", "training window", "trained on", "invoices", "late", "AUC in sample"], t));
            }
        }
        ModelCmd::Use { version } => {
            store.activate_model(cid, version)?;
            if json {
                println!("{}", json!({"active": version}));
            } else {
                println!("Model v{version} is now the one the runs use");
            }
        }
        ModelCmd::Evaluate { from, to, late_after, very_late_after } => {
            let history = history(store, cid)?;
            let end = data_end(&history).unwrap_or(from);
            let e = evaluate(&history, from, to.unwrap_or(end), end, late_after, very_late_after).map_err(|e| anyhow!(e))?;
            print_evaluation(&e, json)?;
        }
        ModelCmd::Explain { model, version, invoice, customer, chart, date } => {
            let model = load_model(store, cid, model.as_deref(), version)?;
            let as_of = date.unwrap_or_else(today);
            if let Some(chart) = &chart {
                let items: Vec<(String, f64)> = model.importance.iter().map(|i| (i.feature.clone(), i.days)).collect();
                std::fs::write(
                    chart,
                    explain::svg_bars(
                        &format!("What drives the credit time (model v{}, trained until {})", model.version, model.trained_until),
                        "days",
                        &items,
                    ),
                )?;
            }
            if invoice.is_none() && customer.is_none() {
                if json {
                    println!(
                        "{}",
                        serde_json::to_string_pretty(&json!({"version": model.version, "trained_until": model.trained_until, "factors": model.importance}))?
                    );
                } else {
                    println!(
                        "What drives the credit time and late payment (model v{}, trained until {}; mean effect per invoice):",
                        model.version, model.trained_until
                    );
                    let rows = model
                        .importance
                        .iter()
                        .map(|i| vec![i.feature.clone(), format!("{:.2}", i.days), format!("{:.3}", i.late), format!("{:+.3}", i.logistic_weight)])
                        .collect();
                    println!("{}", table(&["factor", "days of credit time", "log-odds of paying late", "logistic weight"], rows));
                    if let Some(c) = &chart {
                        println!("Chart written to {}", c.display());
                    }
                }
                return Ok(());
            }
            let history = history(store, cid)?;
            let (what, row) = explain_target(store, cid, &history, &model, invoice.as_deref(), customer.as_deref(), as_of)?;
            let e = explain::rows(&model, &row).remove(0);
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(
                        &json!({"subject": what, "as_of": as_of, "model": model.version, "p_late": e.score.p_late, "p_very_late": e.score.p_very_late, "expected_days_late": e.score.days_late, "factors": e.factors})
                    )?
                );
            } else {
                println!(
                    "{what}: {:.0} % likely to be paid more than {} days late, {:.0} % more than {} days; expected {:.0} days late (model v{})",
                    100.0 * e.score.p_late,
                    model.late_after_days,
                    100.0 * e.score.p_very_late,
                    model.very_late_after_days,
                    e.score.days_late,
                    model.version
                );
                for f in e.factors.iter().take(6) {
                    println!("  {:+.2}  {}", f.late, f.text);
                }
            }
        }
        ModelCmd::Score { date, invoices, limit } => {
            let model = load_model(store, cid, None, None)?;
            let history = history(store, cid)?;
            let as_of = date.unwrap_or_else(today);
            let snap = snapshot_on(store, cid, &history, &model, as_of)?;
            let (ids, rows): (Vec<String>, &Rows) = if invoices {
                (snap.open.iter().map(|t| history[*t].invoice.clone()).collect(), &snap.open_rows)
            } else {
                (snap.customers.clone(), &snap.customer_rows)
            };
            let scores = model.score(rows);
            let mut order: Vec<usize> = (0..ids.len()).collect();
            order.sort_by(|a, b| scores[*b].p_late.total_cmp(&scores[*a].p_late).then(ids[*a].cmp(&ids[*b])));
            let key = if invoices { "invoice" } else { "customer" };
            if json {
                let out: Vec<_> = order
                    .iter()
                    .map(|i| {
                        let s = &scores[*i];
                        let mut v = json!({key: ids[*i], "p_late": s.p_late, "p_very_late": s.p_very_late, "expected_days_late": s.days_late});
                        if invoices {
                            let h = &history[snap.open[*i]];
                            v["customer"] = json!(h.customer);
                            v["due_date"] = json!(h.due_date);
                            v["pay_date"] = json!(model.pay_date(s, h.due_date, as_of));
                        }
                        v
                    })
                    .collect();
                println!("{}", serde_json::to_string_pretty(&json!({"as_of": as_of, "model": model.version, "scores": out}))?);
            } else {
                println!(
                    "{} scored on {as_of} by model v{}, riskiest first:",
                    if invoices { "Open invoices" } else { "Customers (their latest invoice as known that day)" },
                    model.version
                );
                let t = order
                    .iter()
                    .take(limit)
                    .map(|i| {
                        let s = &scores[*i];
                        vec![ids[*i].clone(), format!("{:.0} %", 100.0 * s.p_late), format!("{:.0} %", 100.0 * s.p_very_late), format!("{:.0}", s.days_late)]
                    })
                    .collect();
                println!("{}", table(&[key, "P(late)", "P(very late)", "expected days late"], t));
            }
        }
    }
    Ok(())
}

/// What is known on `as_of` about every open invoice and customer, with the customers' current
/// credit scores.
fn snapshot_on(store: &mut Store, cid: &str, history: &[HistInvoice], model: &Model, as_of: NaiveDate) -> Result<Snapshot> {
    let scores = store.customer_scores(cid)?;
    Ok(snapshot(history, as_of, model.late_after_days, &|c| scores.get(c).copied()))
}

/// The row to explain: an open invoice as of the date, any other invoice as of its invoice
/// date, or a customer's latest invoice as known on the date.
fn explain_target(
    store: &mut Store,
    cid: &str,
    history: &[HistInvoice],
    model: &Model,
    invoice: Option<&str>,
    customer: Option<&str>,
    as_of: NaiveDate,
) -> Result<(String, Rows)> {
    let snap = snapshot_on(store, cid, history, model, as_of)?;
    if let Some(i) = invoice {
        let t = history.iter().position(|h| h.invoice == i).ok_or_else(|| anyhow!("no invoice '{i}' in the history"))?;
        if let Some(k) = snap.open.iter().position(|x| *x == t) {
            return Ok((format!("Invoice {i} of {} (open on {as_of})", history[t].customer), snap.open_rows.select(&[k])));
        }
        let rows = at_issue(history, model.late_after_days);
        return Ok((format!("Invoice {i} of {} (as of its invoice date {})", history[t].customer, history[t].invoice_date), rows.select(&[t])));
    }
    let c = customer.unwrap_or_default();
    let k = snap.customers.iter().position(|x| x == c).ok_or_else(|| anyhow!("no customer '{c}' in the history"))?;
    Ok((format!("Customer {c} (their latest invoice, as known on {as_of})"), snap.customer_rows.select(&[k])))
}

/// `fordra report forecast`: when the open receivables will come in, by week, from each open
/// invoice's predicted pay date.
pub fn forecast(store: &mut Store, cid: &str, as_of: NaiveDate, weeks: i64, json: bool) -> Result<()> {
    let model = load_model(store, cid, None, None)?;
    let history = history(store, cid)?;
    let snap = snapshot_on(store, cid, &history, &model, as_of)?;
    let predicted = model.score(&snap.open_rows);
    let (_, claims) = store.report_data(cid, as_of)?;
    let open: HashMap<&str, i64> = claims.iter().filter(|c| c.settled_date.is_none() && c.open > 0).map(|c| (c.id.as_str(), c.open)).collect();
    let horizon = as_of + Duration::days(7 * weeks);
    // Per week: (invoices, amount by the model, amount if everyone paid on the due date, at risk).
    let mut buckets = vec![(0usize, 0i64, 0i64, 0i64); weeks as usize + 1];
    let week = |d: NaiveDate| (((d - as_of).num_days() - 1).max(0) / 7).min(weeks) as usize;
    let mut lines = Vec::new();
    for (k, t) in snap.open.iter().enumerate() {
        let h = &history[*t];
        // Receivables in Fordra's ledger, or the export's amount for an invoice only in the history.
        let amount = open.get(h.invoice.as_str()).copied().unwrap_or(if h.paid_date.is_none() { h.amount } else { 0 });
        if amount <= 0 {
            continue;
        }
        let s = &predicted[k];
        let pay = model.pay_date(s, h.due_date, as_of);
        let b = &mut buckets[week(pay)];
        b.0 += 1;
        b.1 += amount;
        buckets[week(h.due_date.max(as_of + Duration::days(1)))].2 += amount;
        buckets[week(pay)].3 += (amount as f64 * s.p_very_late).round() as i64;
        lines.push((h.invoice.clone(), h.customer.clone(), h.due_date, amount, pay, s.p_late, s.p_very_late));
    }
    let total: i64 = buckets.iter().map(|b| b.1).sum();
    let label = |i: usize| {
        if i as i64 == weeks {
            format!("after {horizon}")
        } else {
            format!("{}..{}", as_of + Duration::days(7 * i as i64 + 1), as_of + Duration::days(7 * i as i64 + 7))
        }
    };
    if json {
        let out = json!({
            "as_of": as_of, "model": model.version, "open_invoices": lines.len(), "open_amount": m(total),
            "weeks": buckets.iter().enumerate().map(|(i, b)| json!({"week": label(i), "invoices": b.0, "expected": m(b.1), "if_paid_on_due_date": m(b.2), "at_risk": m(b.3)})).collect::<Vec<_>>(),
            "invoices": lines.iter().map(|l| json!({"invoice": l.0, "customer": l.1, "due_date": l.2, "open": m(l.3), "pay_date": l.4, "p_late": l.5, "p_very_late": l.6})).collect::<Vec<_>>(),
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!("Cash-flow forecast on {as_of} for {cid}: {} open invoices, {} open, by predicted pay date (model v{})", lines.len(), m(total), model.version);
    let rows = buckets.iter().enumerate().map(|(i, b)| vec![label(i), b.0.to_string(), m(b.1), m(b.2), m(b.3)]).collect();
    println!("{}", table(&["week", "invoices", "expected in", "if paid on due date", "at risk (very late)"], rows));
    println!("At risk: open amount × P(paid more than {} days late), counted in the week it is expected.", model.very_late_after_days);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn file(bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("ar.csv");
        std::fs::write(&p, bytes).unwrap();
        (dir, p)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        /// An export is outside input: arbitrary bytes, and arbitrary rows under a valid header,
        /// never panic, and every error names the file and a line.
        #[test]
        fn history_reader_never_panics(body in proptest::collection::vec(any::<u8>(), 0..400), rows in proptest::collection::vec(r#"[-a-zA-Z0-9./,;" ]{0,40}"#, 0..6)) {
            let header = "customer,invoice,invoice_date,due_date,amount,paid_date,disputed,credit_score,Extra\n";
            for (bytes, format) in [(body.clone(), "%Y-%m-%d"), (format!("{header}{}", rows.join("\n")).into_bytes(), "%m/%d/%Y")] {
                let (_d, p) = file(&bytes);
                let extra = ["Extra".to_string()];
                if let Err(e) = read_history(&p, &Mapping { maps: &[], date_format: format, extra: &extra }) {
                    let msg = e.to_string();
                    prop_assert!(msg.contains("ar.csv") && msg.contains("line "), "{}", msg);
                }
            }
        }
    }

    #[test]
    fn export_rows_with_their_own_formats() {
        let (_d, p) = file(b"Kund,Faktura,Datum,Forfall,Belopp,Betald,Tvist\nk1,1,1.3.2024,31.3.2024,\"1 234,50\",2.4.2024,nej\nk1,2,1.4.2024,30.4.2024,-100.00,,\nk2,3,5.4.2024,5.5.2024,200,1.4.2024,kanske\n");
        let maps: Vec<String> =
            ["customer=Kund", "invoice=Faktura", "invoice_date=Datum", "due_date=Forfall", "amount=Belopp", "paid_date=Betald", "disputed=Tvist"]
                .iter()
                .map(|s| s.to_string())
                .collect();
        let e = read_history(&p, &Mapping { maps: &maps, date_format: "%d.%m.%Y", extra: &[] }).unwrap_err().to_string();
        assert!(e.contains("line 4: column tvist: 'kanske' is not yes/no"), "{e}");
        let (_d, p) = file(b"Kund,Faktura,Datum,Forfall,Belopp,Betald,Tvist\nk1,1,1.3.2024,31.3.2024,\"1 234,50\",2.4.2024,nej\nk1,2,1.4.2024,30.4.2024,-100.00,,\nk2,3,5.4.2024,5.5.2024,200,1.4.2024,ja\n");
        let (rows, skipped) = read_history(&p, &Mapping { maps: &maps, date_format: "%d.%m.%Y", extra: &[] }).unwrap();
        assert_eq!((rows.len(), skipped), (2, 1), "the credit note is skipped");
        assert_eq!(rows[0].0.amount, 123450);
        assert_eq!(rows[1].0.paid_date, Some("2024-04-05".parse().unwrap()), "paid before the invoice date: counted as paid on it");
        assert!(rows[1].0.disputed);
    }
}
