//! `fordra import history` and `fordra model …`: the creditor's own AR history, a model trained
//! on it, and an honest out-of-time evaluation against baselines.

use crate::csvin::Sheet;
use anyhow::{anyhow, bail, Result};
use chrono::NaiveDate;
use clap::Subcommand;
use fordra_core::ml::evaluate::{evaluate, Model};
use fordra_core::ml::explain;
use fordra_core::ml::features::HistInvoice;
use fordra_core::money::{parse_minor, Currency};
use fordra_store::Store;
use serde_json::json;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum ModelCmd {
    /// Train on invoices issued before a date (outcomes as known then) and save the model file.
    Train {
        #[arg(long)]
        until: NaiveDate,
        /// Model file (default: fordra-model-CREDITOR.json).
        #[arg(long)]
        out: Option<PathBuf>,
        /// "Late" means paid more than this many days after due.
        #[arg(long, default_value_t = 10)]
        late_after: i64,
    },
    /// What drives late payment (ranked, optional SVG chart), or why one invoice or customer
    /// scores as it does.
    Explain {
        /// Model file (default: fordra-model-CREDITOR.json, from `fordra model train`).
        #[arg(long)]
        model: Option<PathBuf>,
        /// Explain this invoice of the history.
        #[arg(long)]
        invoice: Option<String>,
        /// Explain this customer's latest invoice.
        #[arg(long)]
        customer: Option<String>,
        /// Write the global ranking as an SVG bar chart.
        #[arg(long)]
        chart: Option<PathBuf>,
    },
    /// Train before --from, test on invoices issued from --from (to --to), against baselines.
    Evaluate {
        #[arg(long)]
        from: NaiveDate,
        #[arg(long)]
        to: Option<NaiveDate>,
        #[arg(long, default_value_t = 10)]
        late_after: i64,
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
        let disputed = match l.opt(&map["disputed"]).map(|s| s.to_ascii_lowercase()) {
            None => false,
            Some(v) if ["1", "yes", "true", "y", "x"].contains(&v.as_str()) => true,
            Some(v) if ["0", "no", "false", "n"].contains(&v.as_str()) => false,
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
            paid_date: date(&l, "paid_date")?,
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

pub fn run(store: &mut Store, cid: &str, cmd: ModelCmd, json: bool) -> Result<()> {
    let history = store.history(cid)?;
    if history.is_empty() {
        bail!("no history for {cid}: import an accounts-receivable export with `fordra import history`");
    }
    match cmd {
        ModelCmd::Train { until, out, late_after } => {
            let model = Model::train(&history, until, late_after).map_err(|e| anyhow!(e))?;
            let path = out.unwrap_or_else(|| PathBuf::from(format!("fordra-model-{cid}.json")));
            std::fs::write(&path, serde_json::to_string_pretty(&json!({"creditor": cid, "model": model}))?)?;
            if json {
                println!(
                    "{}",
                    json!({"file": path.display().to_string(), "trained_until": until, "training_invoices": model.training_invoices, "version": model.version})
                );
            } else {
                println!(
                    "Model trained on {} invoices issued before {until} (late = more than {late_after} days after due); saved to {}",
                    model.training_invoices,
                    path.display()
                );
            }
        }
        ModelCmd::Explain { model, invoice, customer, chart } => {
            let path = model.unwrap_or_else(|| PathBuf::from(format!("fordra-model-{cid}.json")));
            let text = std::fs::read_to_string(&path).map_err(|e| anyhow!("{}: {e} (train one with `fordra model train --until DATE`)", path.display()))?;
            let file: serde_json::Value = serde_json::from_str(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?;
            let model: Model = serde_json::from_value(file["model"].clone()).map_err(|e| anyhow!("{}: not a Fordra model file: {e}", path.display()))?;
            let idx = match (&invoice, &customer) {
                (Some(i), _) => Some(history.iter().position(|h| &h.invoice == i).ok_or_else(|| anyhow!("no invoice '{i}' in the history"))?),
                (None, Some(c)) => Some(history.iter().rposition(|h| &h.customer == c).ok_or_else(|| anyhow!("no customer '{c}' in the history"))?),
                _ => None,
            };
            let ranking = explain::global(&model);
            if let Some(chart) = &chart {
                std::fs::write(chart, explain::svg_bars(&format!("What drives late payment (model trained until {})", model.trained_until), &ranking))?;
            }
            match idx {
                Some(i) => {
                    let e = explain::invoice(&model, &history, i);
                    if json {
                        println!("{}", serde_json::to_string_pretty(&e)?);
                    } else {
                        println!(
                            "Invoice {} of {}: P(paid more than {} days late) = {:.0} %, expected {:.0} days late",
                            e.invoice,
                            e.customer,
                            model.late_after_days,
                            100.0 * e.p_late,
                            e.expected_days_late
                        );
                        for f in e.factors.iter().take(5) {
                            println!("  {:+.2}  {}", f.contribution, f.text);
                        }
                    }
                }
                None if json => println!(
                    "{}",
                    serde_json::to_string_pretty(
                        &json!({"trained_until": model.trained_until, "factors": ranking.iter().map(|(f, w)| json!({"feature": f, "importance": w})).collect::<Vec<_>>()})
                    )?
                ),
                None => {
                    println!("What drives late payment (standardised weights, model trained until {}):", model.trained_until);
                    println!("{}", crate::table(&["factor", "importance"], ranking.iter().map(|(f, w)| vec![f.clone(), format!("{w:.3}")]).collect()));
                    if let Some(c) = &chart {
                        println!("Chart written to {}", c.display());
                    }
                }
            }
        }
        ModelCmd::Evaluate { from, to, late_after } => {
            let end = data_end(&history).unwrap_or(from);
            let e = evaluate(&history, from, to.unwrap_or(end), end, late_after).map_err(|e| anyhow!(e))?;
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(
                        &json!({"trained_until": e.trained_until, "test_to": e.test_to, "train_invoices": e.train_invoices, "test_invoices": e.test_invoices, "late_rate": e.late_rate, "auc": e.auc, "logloss": e.logloss, "mae_days": e.mae_days, "baseline_auc": e.baseline_auc, "baseline_logloss": e.baseline_logloss, "baseline_mae_days": e.baseline_mae_days, "calibration": e.calibration, "weights": e.weights})
                    )?
                );
            } else {
                let f = |x: Option<f64>| x.map(|v| format!("{v:.3}")).unwrap_or_else(|| "-".into());
                println!(
                    "Trained on {} invoices issued before {from}; tested on {} issued {from}..{} ({:.1} % late)",
                    e.train_invoices,
                    e.test_invoices,
                    e.test_to,
                    100.0 * e.late_rate
                );
                println!(
                    "{}",
                    crate::table(
                        &["measure", "model", "baseline"],
                        vec![
                            vec!["ROC AUC (paid late)".into(), f(e.auc), format!("{} (customer's late share so far)", f(e.baseline_auc))],
                            vec!["log loss".into(), format!("{:.3}", e.logloss), format!("{:.3} (always on time: training late rate)", e.baseline_logloss)],
                            vec![
                                "MAE days late".into(),
                                format!("{:.1}", e.mae_days),
                                format!("{:.1} (customer's mean days late so far)", e.baseline_mae_days)
                            ],
                        ]
                    )
                );
                println!(
                    "{}",
                    crate::table(
                        &["predicted", "invoices", "observed late"],
                        e.calibration
                            .iter()
                            .map(|b| vec![format!("{:.0}–{:.0} %", 100.0 * b.from, 100.0 * b.to), b.count.to_string(), format!("{:.1} %", 100.0 * b.observed)])
                            .collect()
                    )
                );
                println!("Strongest factors (standardised weight on the log-odds of paying late):");
                for (name, w) in e.weights.iter().take(6) {
                    println!("  {name:<28} {w:+.3}");
                }
            }
        }
    }
    Ok(())
}
