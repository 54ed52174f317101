//! `fordra strategy …`: parsed here, done by `fordra_app::strategy`.

use crate::{print_json, read_file, say, source, table};
use anyhow::Result;
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use fordra_app::strategy::{parse_steps, Backtest, BacktestInput, ChallengerInput, ExperimentOut};
use fordra_app::{App, CreditorId};
use fordra_core::domain::Segment;
use fordra_core::strategy::{Estimate, Outcomes};
use rust_decimal::Decimal;
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
        #[command(flatten)]
        costs: CostArgs,
    },
    /// The contact policy (`[contact]` in the policy) against the handling model's own channel:
    /// paid within its window, collected, contacts and net value per reminder, with intervals,
    /// and how often it chose each option.
    Contact {
        #[arg(long)]
        date: Option<NaiveDate>,
        /// Days each reminder is followed.
        #[arg(long, default_value_t = 30)]
        horizon: i64,
        /// Costs (default: the contact policy's own, else those of the creditor's currency).
        #[command(flatten)]
        costs: CostArgs,
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

/// What contacts and capital cost the creditor, where they differ from the defaults.
#[derive(Args)]
pub struct CostArgs {
    /// What a letter costs the creditor, in its currency (default: 1.50 EUR, 16.50 SEK/NOK, 11.25 DKK).
    #[arg(long)]
    letter_cost: Option<f64>,
    /// What an e-mail costs (default: 0.02 EUR or the like).
    #[arg(long)]
    email_cost: Option<f64>,
    /// What a text costs (default: 0.08 EUR or the like).
    #[arg(long)]
    text_cost: Option<f64>,
    /// What a phone call costs (default: 5.00 EUR or the like).
    #[arg(long)]
    call_cost: Option<f64>,
    /// The creditor's cost of capital, per cent a year (default 8).
    #[arg(long)]
    capital_rate: Option<f64>,
}

impl From<CostArgs> for fordra_app::strategy::CostInput {
    fn from(c: CostArgs) -> Self {
        fordra_app::strategy::CostInput {
            letter: c.letter_cost,
            email: c.email_cost,
            text: c.text_cost,
            call: c.call_cost,
            capital_rate: c.capital_rate,
        }
    }
}

fn est(e: &Option<Estimate>, digits: usize, scale: f64) -> String {
    e.map(|e| format!("{:.d$} ({:.d$}–{:.d$})", e.value * scale, e.low * scale, e.high * scale, d = digits))
        .unwrap_or_else(|| "-".into())
}

pub fn run(app: &mut App<'_>, cid: &CreditorId, cmd: StrategyCmd, json: bool) -> Result<()> {
    let today = app.today;
    match cmd {
        StrategyCmd::Model { segment } => {
            print!("{}", app.segment_steps(cid, segment)?);
        }
        StrategyCmd::Backtest { segment, model, from, to, horizon, date } => {
            let steps = parse_steps(&source(&model), &read_file(&model)?)?;
            let b =
                app.backtest(cid, &BacktestInput { segment, steps, from, to, horizon, date: date.unwrap_or(today) })?;
            if json {
                return print_json(&b);
            }
            print_backtest(&b, segment, horizon, &model);
        }
        StrategyCmd::Challenger { name, segment, share, model, from } => {
            let file = source(&model);
            let steps = parse_steps(&file, &read_file(&model)?)?;
            let r = app.start_challenger(
                cid,
                &ChallengerInput { name: name.clone(), segment, share, steps, from: from.unwrap_or(today) },
                &file,
            )?;
            say(json, &r, |r| {
                format!(
                    "Experiment '{name}' from {}: {} % of the {segment} segment's customers (a stable random draw, recorded at their first run) are handled by {file}",
                    r.from,
                    (share * Decimal::ONE_HUNDRED).normalize(),
                )
            })?;
        }
        StrategyCmd::List => {
            print_experiments(&app.list_experiments(cid)?, json)?;
        }
        StrategyCmd::Report { name, date, horizon, costs } => {
            let as_of = date.unwrap_or(today);
            let costs = costs.into();
            let out = app.experiment_report(cid, &name, as_of, horizon, &costs)?;
            if json {
                return print_json(&out);
            }
            print_report(&out, &name, as_of, horizon);
        }
        StrategyCmd::Contact { date, horizon, costs } => {
            let input =
                fordra_app::contact::ContactReportInput { date: date.unwrap_or(today), horizon, costs: costs.into() };
            let out = app.contact_report(cid, &input)?;
            if json {
                return print_json(&out);
            }
            print_contact(&out, input.date);
        }
        StrategyCmd::Adopt { name, date } => {
            let date = date.unwrap_or(today);
            let r = app.adopt_challenger(cid, &name, date)?;
            say(json, &r, |r| {
                format!(
                    "The challenger of '{name}' is now the {} segment's handling model (from the next run); the experiment ended on {date}",
                    r.segment.map(|s| s.to_string()).unwrap_or_default()
                )
            })?;
        }
        StrategyCmd::Stop { name, date } => {
            let date = date.unwrap_or(today);
            let r = app.stop_challenger(cid, &name, date)?;
            say(json, &r, |_| {
                format!("Experiment '{name}' stopped on {date}; every customer of the segment is handled by its model again")
            })?;
        }
    }
    Ok(())
}

fn print_backtest(b: &Backtest, segment: Segment, horizon: i64, model: &Path) {
    println!(
        "Backtest: {} {segment} claims due {}..{}, each followed {horizon} days after due; responses learned from {} claims",
        b.claims, b.claims_due_from, b.claims_due_to, b.learned_from
    );
    let row = |name: &str, f: &dyn Fn(&Outcomes) -> f64, digits: usize| {
        vec![
            name.to_string(),
            format!("{:.d$}", f(&b.observed), d = digits),
            format!("{:.d$}", f(&b.current), d = digits),
            format!("{:.d$}", f(&b.alternative), d = digits),
            format!("{:+.d$}", f(&b.alternative) - f(&b.current), d = digits),
        ]
    };
    let rows = vec![
        row("days past due until paid", &|o| o.days_to_pay, 1),
        row(&format!("paid within {horizon} days (%)"), &|o| 100.0 * o.paid_share, 1),
        row("letters, e-mails, texts per claim", &|o| o.letters_per_claim, 2),
        row("phone calls per claim", &|o| o.phone_calls_per_claim, 2),
        row(&format!("fees per claim ({})", b.currency), &|o| o.fees_per_claim, 2),
        row("reach collection (%)", &|o| 100.0 * o.collection_share, 1),
    ];
    println!(
        "{}",
        table(
            &["", "observed", "current model (replayed)", &format!("{} (replayed)", model.display()), "change"],
            rows
        )
    );
    println!("The replay uses each day's chance of payment learned from these claims (before any step by days from due, after each step by days since it); compare the current model's replay with what was observed to judge it.");
    for n in &b.notes {
        println!("note: {n}");
    }
}

fn print_experiments(rows: &[fordra_store::ExperimentRow], json: bool) -> Result<()> {
    if json {
        print_json(&rows)?;
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
        println!(
            "{}",
            table(
                &[
                    "experiment",
                    "segment",
                    "share",
                    "started",
                    "ended",
                    "outcome",
                    "champion customers",
                    "challenger customers"
                ],
                t
            )
        );
    }
    Ok(())
}

fn print_report(out: &ExperimentOut, name: &str, as_of: NaiveDate, horizon: i64) {
    let (e, r) = (&out.experiment, &out.report);
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
        line(
            &format!("days past due until paid (up to {horizon})"),
            &|a| est(&a.days_to_pay, 1, 1.0),
            est(&r.days_to_pay_difference, 1, 1.0),
        ),
        line(&format!("claims due {horizon}+ days ago"), &|a| a.mature_claims.to_string(), String::new()),
        line(
            "  reached collection (%)",
            &|a| est(&a.reached_collection, 1, 100.0),
            est(&r.collection_difference, 1, 100.0),
        ),
        line("  collected / principal (%)", &|a| est(&a.collected, 1, 100.0), est(&r.collected_difference, 1, 100.0)),
        line(
            "letters, e-mails, texts per claim",
            &|a| est(&a.letters_per_claim, 2, 1.0),
            est(&r.letters_difference, 2, 1.0),
        ),
        line(
            &format!("fees per claim ({})", out.currency),
            &|a| est(&a.fees_per_claim, 2, 1.0),
            est(&r.fees_difference, 2, 1.0),
        ),
        line(
            &format!("  net value per claim ({})", out.currency),
            &|a| est(&a.net_value_per_claim, 2, 1.0),
            est(&r.net_value_difference, 2, 1.0),
        ),
    ];
    println!("{}", table(&["", "champion", "challenger", "challenger − champion"], rows));
    let k = &r.costs;
    println!(
        "Net value per claim, against its principal paid on the due date at no cost: less the principal not collected, {:.1} % a year for the days until paid, a letter {:.2}, an e-mail {:.2}, a text {:.2}, a call {:.2} and the fees charged to the debtor.",
        100.0 * k.capital_rate,
        k.letter,
        k.email,
        k.text,
        k.call
    );
    println!("Verdict: {}", r.verdict);
}

fn print_contact(out: &fordra_app::contact::ContactReportOut, as_of: NaiveDate) {
    let r = &out.report;
    let span = match (r.from, r.through) {
        (Some(f), Some(t)) => format!("reminders decided {f}..{t}"),
        _ => "no reminder followed long enough yet".to_string(),
    };
    println!(
        "Contact policy since {} ({}; {} % of debtors kept on the handling model's channel), as of {as_of}: {span}, each followed {} days; 95 % confidence intervals in brackets",
        out.policy.from,
        out.options.join(", "),
        (out.policy.champion_share * Decimal::ONE_HUNDRED).normalize(),
        r.horizon_days
    );
    let arms = &r.arms;
    let line = |label: &str, f: &dyn Fn(&fordra_core::contact::ContactArm) -> String, d: String| {
        let mut v = vec![label.to_string()];
        v.extend(arms.iter().map(f));
        v.push(d);
        v
    };
    let rows = vec![
        line("reminders", &|a| a.reminders.to_string(), String::new()),
        line(
            &format!("paid within {} days (%)", r.window_days),
            &|a| est(&a.paid_in_window, 1, 100.0),
            est(&r.paid_uplift, 1, 100.0),
        ),
        line("collected / open (%)", &|a| est(&a.collected_share, 1, 100.0), est(&r.collected_uplift, 1, 100.0)),
        line("contacts per reminder", &|a| est(&a.contacts, 2, 1.0), est(&r.contacts_change, 2, 1.0)),
        line(&format!("contact cost ({})", out.currency), &|a| est(&a.contact_cost, 2, 1.0), String::new()),
        line(
            &format!("net value per reminder ({})", out.currency),
            &|a| est(&a.net_value, 2, 1.0),
            est(&r.net_value_change, 2, 1.0),
        ),
    ];
    println!("{}", table(&["", "policy", "champion", "policy − champion"], rows));
    let all: usize = arms.iter().map(|a| a.reminders).sum();
    println!(
        "Differences compare like debtors: within each group of segment, consumer or business and credit-score band, weighted by its reminders ({} of {all} are in groups both sides reached).",
        r.compared
    );
    // The wordings' and send days' tables are by segment and kind, their shares within each.
    let figures = |label: &str, xs: &[fordra_core::contact::OptionFigures]| {
        let by_debtors = xs.iter().any(|o| o.debtors.is_some());
        let unreached = xs.iter().any(|o| o.unreached > 0);
        let rows: Vec<Vec<String>> = xs
            .iter()
            .map(|o| {
                let mut row = vec![
                    o.option.clone(),
                    o.reminders.to_string(),
                    format!("{:.0}", 100.0 * o.share_first_third),
                    format!("{:.0}", 100.0 * o.share_last_third),
                    est(&o.paid_in_window, 1, 100.0),
                ];
                if by_debtors {
                    row.insert(0, o.debtors.clone().unwrap_or_default());
                }
                if unreached {
                    row.push(o.unreached.to_string());
                }
                row
            })
            .collect();
        let paid = format!("paid within {} days (%)", r.window_days);
        let mut head = vec![label, "reminders", "% of first third", "% of last third", &paid];
        if by_debtors {
            head.insert(0, "debtors");
        }
        if unreached {
            // Bounced, failed, or unopened and sent again as a letter: counted as not worked for
            // what the policy learns, whatever the fallback brought.
            head.push("not reached");
        }
        table(&head, rows)
    };
    println!("{}", figures("option", &r.options));
    if !r.wordings.is_empty() {
        println!("{}", figures("wording", &r.wordings));
    }
    if !r.days.is_empty() {
        // Counted from the day each reminder could have gone, so a hold pays for its days.
        println!("{}", figures("send day", &r.days));
    }
    println!("Verdict: {}", r.verdict);
}
