//! `fordra strategy …`: the strategy lab — backtest a handling model on past claims, run a
//! champion/challenger experiment, report its outcomes per arm, adopt the winner.

use crate::{table, today};
use anyhow::{anyhow, bail, Context, Result};
use chrono::{Duration, NaiveDate};
use clap::Subcommand;
use fordra_core::domain::Segment;
use fordra_core::law::LawBook;
use fordra_core::model::{Challenger, Step};
use fordra_core::strategy::{experiment_report, observed, replay, Estimate, Outcomes, ReplayContext, Response};
use fordra_store::Store;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::path::{Path, PathBuf};

#[derive(Subcommand)]
pub enum StrategyCmd {
    /// Print a segment's handling model as a steps file to edit (for backtest and challenger).
    Model {
        #[arg(long)]
        segment: Segment,
    },
    /// Replay past claims of a segment under another handling model: days to pay, fees, letters.
    Backtest {
        #[arg(long)]
        segment: Segment,
        /// The handling model to try (a steps file, see `fordra strategy model`).
        #[arg(long)]
        model: PathBuf,
        /// Claims due from (default: the first run) ...
        #[arg(long)]
        from: Option<NaiveDate>,
        /// ... through (default: the horizon before --date, so every outcome is complete).
        #[arg(long)]
        to: Option<NaiveDate>,
        /// Follow each claim this many days after due.
        #[arg(long, default_value_t = 60)]
        horizon: i64,
        /// What is known (default: today).
        #[arg(long)]
        date: Option<NaiveDate>,
    },
    /// Start a champion/challenger experiment in a segment.
    Challenger {
        #[arg(long)]
        name: String,
        #[arg(long)]
        segment: Segment,
        /// Share of the segment's customers in the challenger arm, e.g. 0.2.
        #[arg(long)]
        share: Decimal,
        /// The challenger's handling model (a steps file, see `fordra strategy model`).
        #[arg(long)]
        model: PathBuf,
        /// Start date (default: today).
        #[arg(long)]
        from: Option<NaiveDate>,
    },
    /// Experiments, running and ended, with their arms.
    List,
    /// Outcomes per arm with 95 % confidence intervals.
    Report {
        name: String,
        #[arg(long)]
        date: Option<NaiveDate>,
        /// Days after due a claim is followed (days to pay are counted up to it).
        #[arg(long, default_value_t = 60)]
        horizon: i64,
    },
    /// Make the challenger the segment's handling model, ending the experiment.
    Adopt {
        name: String,
        #[arg(long)]
        date: Option<NaiveDate>,
    },
    /// End the experiment and keep the champion.
    Stop {
        name: String,
        #[arg(long)]
        date: Option<NaiveDate>,
    },
}

/// A handling model's steps on their own, as a file.
#[derive(Serialize, Deserialize)]
struct StepsFile {
    step: Vec<Step>,
}

fn read_steps(path: &Path) -> Result<Vec<Step>> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let f: StepsFile = toml::from_str(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?;
    Ok(f.step)
}

/// The running experiment `name` of the policy.
fn running(creditor: &fordra_core::run::Creditor, name: &str) -> Result<Challenger> {
    creditor
        .policy
        .challengers
        .iter()
        .find(|c| c.name == name)
        .cloned()
        .ok_or_else(|| anyhow!("no running experiment '{name}' in the policy (see `fordra strategy list`)"))
}

fn est(e: &Option<Estimate>, digits: usize, scale: f64) -> String {
    e.map(|e| format!("{:.d$} ({:.d$}–{:.d$})", e.value * scale, e.low * scale, e.high * scale, d = digits)).unwrap_or_else(|| "-".into())
}

pub fn run(store: &mut Store, law: &LawBook, cid: &str, cmd: StrategyCmd, json: bool) -> Result<()> {
    let mut creditor = store.creditor(cid)?;
    let j = law.jurisdiction(creditor.jurisdiction)?;
    match cmd {
        StrategyCmd::Model { segment } => {
            print!("{}", toml::to_string_pretty(&StepsFile { step: creditor.policy.model(segment).steps.clone() })?);
        }
        StrategyCmd::Backtest { segment, model, from, to, horizon, date } => {
            let alternative = read_steps(&model)?;
            let as_of = date.unwrap_or_else(today);
            let first_run = store.runs(cid)?.first().map(|r| r.date);
            let from = from
                .or(first_run)
                .ok_or_else(|| anyhow!("no run recorded yet: a backtest learns from claims Fordra has handled (give --from to use older ones)"))?;
            let to = to.unwrap_or(as_of - Duration::days(horizon));
            if to < from {
                bail!("no claim is due between {from} and {to} with {horizon} days to follow it before {as_of}: use a shorter --horizon or an earlier --from");
            }
            let rows = store.past_claims(cid, from - Duration::days(120), as_of)?;
            let learn: Vec<_> = rows.iter().filter(|(c, _)| c.due >= from).map(|(c, _)| c.clone()).collect();
            let response = Response::learn(&learn, as_of, horizon);
            let (claims, fees): (Vec<_>, Vec<i64>) =
                rows.iter().filter(|(c, _)| c.segment == segment && c.due >= from && c.due <= to).map(|(c, f)| (c, *f)).unzip();
            if claims.is_empty() {
                bail!("no {segment} claim is due between {from} and {to}");
            }
            let ctx = ReplayContext { law: j, reminder_fee_agreed: creditor.reminder_fee_agreed, collector: creditor.policy.collector, horizon };
            let current = replay(&response, &ctx, &claims, &creditor.policy.model(segment).steps);
            let alt = replay(&response, &ctx, &claims, &alternative);
            let seen = observed(&claims, &fees, as_of, horizon);
            let notes: Vec<String> = response.borrowed.iter().map(|(k, o)| format!("no {k} was ever taken: assumed to work like a {o}")).collect();
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(
                        &json!({"segment": segment, "claims_due_from": from, "claims_due_to": to, "horizon_days": horizon, "claims": claims.len(), "observed": seen, "current": current, "alternative": alt, "notes": notes})
                    )?
                );
                return Ok(());
            }
            println!(
                "Backtest: {} {segment} claims due {from}..{to}, each followed {horizon} days after due; responses learned from {} claims",
                claims.len(),
                learn.len()
            );
            let row = |name: &str, f: &dyn Fn(&Outcomes) -> f64, digits: usize| {
                vec![
                    name.to_string(),
                    format!("{:.d$}", f(&seen), d = digits),
                    format!("{:.d$}", f(&current), d = digits),
                    format!("{:.d$}", f(&alt), d = digits),
                    format!("{:+.d$}", f(&alt) - f(&current), d = digits),
                ]
            };
            let rows = vec![
                row("days past due until paid", &|o| o.days_to_pay, 1),
                row(&format!("paid within {horizon} days (%)"), &|o| 100.0 * o.paid_share, 1),
                row("letters, e-mails, texts per claim", &|o| o.letters_per_claim, 2),
                row("phone calls per claim", &|o| o.phone_calls_per_claim, 2),
                row(&format!("fees per claim ({})", creditor.currency), &|o| o.fees_per_claim, 2),
                row("reach collection (%)", &|o| 100.0 * o.collection_share, 1),
            ];
            println!("{}", table(&["", "observed", "current model (replayed)", &format!("{} (replayed)", model.display()), "change"], rows));
            println!("The replay uses each day's chance of payment learned from these claims (before any step by days from due, after each step by days since it); compare the current model's replay with what was observed to judge it.");
            for n in notes {
                println!("note: {n}");
            }
        }
        StrategyCmd::Challenger { name, segment, share, model, from } => {
            let c = Challenger { name: name.clone(), segment, share, from: from.unwrap_or_else(today), steps: read_steps(&model)? };
            creditor.policy.challengers.push(c.clone());
            creditor
                .policy
                .validate(j, creditor.reminder_fee_agreed, c.from)
                .map_err(|e| anyhow!("{}: refused, the challenger breaks these rules:\n  - {}", model.display(), e.join("\n  - ")))?;
            store.tx(|s| {
                s.start_experiment(cid, &c)?;
                s.save_creditor(&creditor)
            })?;
            if json {
                println!("{}", json!({"experiment": name, "segment": segment, "share": share.to_string(), "from": c.from}));
            } else {
                println!(
                    "Experiment '{name}' from {}: {} % of the {segment} segment's customers (a stable random draw, recorded at their first run) are handled by {}",
                    c.from,
                    (share * Decimal::ONE_HUNDRED).normalize(),
                    model.display()
                );
            }
        }
        StrategyCmd::List => {
            let rows = store.experiments(cid)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else if rows.is_empty() {
                println!("No experiment yet: `fordra strategy challenger --name … --segment … --share 0.2 --model FILE`");
            } else {
                let t = rows
                    .iter()
                    .map(|r| {
                        vec![
                            r.name.clone(),
                            r.segment.to_string(),
                            r.share.clone(),
                            r.started.to_string(),
                            r.ended.map(|d| d.to_string()).unwrap_or_default(),
                            r.outcome.clone(),
                            r.customers.0.to_string(),
                            r.customers.1.to_string(),
                        ]
                    })
                    .collect();
                println!("{}", table(&["experiment", "segment", "share", "started", "ended", "outcome", "champion customers", "challenger customers"], t));
            }
        }
        StrategyCmd::Report { name, date, horizon } => {
            let as_of = date.unwrap_or_else(today);
            let e =
                store.experiments(cid)?.into_iter().find(|e| e.name == name).ok_or_else(|| anyhow!("no experiment '{name}' (see `fordra strategy list`)"))?;
            let claims = store.experiment_claims(cid, &e, as_of)?;
            let r = experiment_report(&claims, e.customers, as_of, horizon);
            if json {
                println!("{}", serde_json::to_string_pretty(&json!({"experiment": e, "report": r}))?);
                return Ok(());
            }
            println!(
                "Experiment '{name}' in the {} segment, {} since {} ({}), as of {as_of}; 95 % confidence intervals in brackets",
                e.segment, e.outcome, e.started, e.share
            );
            let arms = [&r.champion, &r.challenger];
            let line = |label: &str, f: &dyn Fn(&fordra_core::strategy::ArmFigures) -> String, d: String| {
                let mut v = vec![label.to_string()];
                v.extend(arms.iter().map(|a| f(a)));
                v.push(d);
                v
            };
            let rows = vec![
                line("customers", &|a| a.customers.to_string(), String::new()),
                line("claims past due", &|a| a.claims.to_string(), String::new()),
                line(&format!("days past due until paid (up to {horizon})"), &|a| est(&a.days_to_pay, 1, 1.0), est(&r.days_to_pay_difference, 1, 1.0)),
                line(&format!("claims due {horizon}+ days ago"), &|a| a.mature_claims.to_string(), String::new()),
                line("  reached collection (%)", &|a| est(&a.reached_collection, 1, 100.0), est(&r.collection_difference, 1, 100.0)),
                line("  collected / principal (%)", &|a| est(&a.collected, 1, 100.0), est(&r.collected_difference, 1, 100.0)),
                line("letters, e-mails, texts per claim", &|a| est(&a.letters_per_claim, 2, 1.0), est(&r.letters_difference, 2, 1.0)),
                line(&format!("fees per claim ({})", creditor.currency), &|a| est(&a.fees_per_claim, 2, 1.0), est(&r.fees_difference, 2, 1.0)),
            ];
            println!("{}", table(&["", "champion", "challenger", "challenger − champion"], rows));
            println!("Verdict: {}", r.verdict);
        }
        StrategyCmd::Adopt { name, date } => {
            let date = date.unwrap_or_else(today);
            let c = running(&creditor, &name)?;
            creditor.policy.challengers.retain(|x| x.name != name);
            if let Some(m) = creditor.policy.models.iter_mut().find(|m| m.segment == c.segment) {
                m.steps = c.steps.clone();
            }
            store.tx(|s| {
                s.end_experiment(cid, &name, date, "adopted")?;
                s.save_creditor(&creditor)
            })?;
            if json {
                println!("{}", json!({"experiment": name, "adopted": date, "segment": c.segment}));
            } else {
                println!("The challenger of '{name}' is now the {} segment's handling model (from the next run); the experiment ended on {date}", c.segment);
            }
        }
        StrategyCmd::Stop { name, date } => {
            let date = date.unwrap_or_else(today);
            running(&creditor, &name)?;
            creditor.policy.challengers.retain(|x| x.name != name);
            store.tx(|s| {
                s.end_experiment(cid, &name, date, "stopped")?;
                s.save_creditor(&creditor)
            })?;
            if json {
                println!("{}", json!({"experiment": name, "stopped": date}));
            } else {
                println!("Experiment '{name}' stopped on {date}; every customer of the segment is handled by its model again");
            }
        }
    }
    Ok(())
}
