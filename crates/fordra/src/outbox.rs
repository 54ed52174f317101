//! `fordra deliver`, `fordra deliveries`, `fordra letter` and `fordra tasks`: the outbox's
//! commands. Each reads the configuration, calls one use case and renders.

use crate::{print_json, say, table};
use anyhow::{Context, Result};
use chrono::{NaiveDate, Utc};
use clap::{Args, Subcommand};
use fordra_app::outbox::{CallRecord, DeliverInput};
use fordra_app::{App, CreditorId};
use fordra_comms::couriers::{Config, Couriers};
use fordra_core::domain::{CallOutcome, Channel, DeliveryStatus};
use std::path::{Path, PathBuf};

#[derive(Args)]
pub struct DeliverArgs {
    /// Keep going until nothing is due now (default: one batch).
    #[arg(long)]
    until_empty: bool,
    /// Deliveries per batch.
    #[arg(long, default_value_t = 100)]
    batch: usize,
    /// Stop after this many deliveries (0: no limit).
    #[arg(long, default_value_t = 0)]
    max: usize,
    /// Seconds a worker holds a delivery before another may take it over (a worker that
    /// stopped mid-send).
    #[arg(long, default_value_t = 300)]
    lease: i64,
    /// The worker's clock (RFC 3339, e.g. 2026-11-24T09:00:00Z; default: now): quiet hours,
    /// retries and leases are judged by it.
    #[arg(long)]
    now: Option<chrono::DateTime<Utc>>,
    #[command(flatten)]
    config: ConfigArg,
}

#[derive(Args)]
pub struct ConfigArg {
    /// Delivery configuration (TOML: out, [smtp], [sms], [links]); default fordra.toml if present.
    #[arg(long, env = "FORDRA_CONFIG")]
    config: Option<PathBuf>,
    /// Where batches and pickup directories go (overrides the configuration's `out`).
    #[arg(long)]
    out: Option<PathBuf>,
}

impl ConfigArg {
    /// The configuration file named, if any.
    pub fn path(&self) -> Option<&std::path::Path> {
        self.config.as_deref()
    }

    pub fn load(&self) -> Result<Config> {
        let mut c = Config::load(self.config.as_deref())?;
        if let Some(o) = &self.out {
            c.out = Some(o.clone());
        }
        Ok(c)
    }
}

#[derive(Subcommand)]
pub enum TasksCmd {
    /// Open phone tasks with their scripts.
    List,
    /// Record a call's outcome.
    Done {
        task: String,
        /// reached, promise, dispute, wrong_number or no_answer.
        #[arg(long)]
        outcome: CallOutcome,
        /// A promise's date.
        #[arg(long)]
        date: Option<NaiveDate>,
        #[arg(long, default_value = "")]
        note: String,
    },
}

#[derive(Args)]
pub struct BatchArgs {
    /// The day (default: today).
    #[arg(long)]
    date: Option<NaiveDate>,
    /// print, or a digital mailbox: kivra, omaposti, digipost, eboks.
    #[arg(long, default_value = "print")]
    kind: String,
    #[command(flatten)]
    config: ConfigArg,
}

/// Writes a day's batch manifest and merged PDF.
pub fn batch(a: &BatchArgs, json: bool) -> Result<()> {
    if a.kind != "print" && !fordra_app::input::MAILBOXES.contains(&a.kind.as_str()) {
        anyhow::bail!("--kind: print, {}, not '{}'", fordra_app::input::MAILBOXES.join(", "), a.kind);
    }
    let day = a.date.unwrap_or_else(crate::today);
    let folder = a.config.load()?.out_dir().join(day.to_string()).join(&a.kind);
    let b = fordra_comms::batch::export(&folder)?;
    say(json, &b, |b| {
        format!(
            "{} letters ({} pages) in {}: {}, {}, {}",
            b.letters, b.pages, b.folder, b.merged, b.manifest_csv, b.manifest_json
        )
    })
}

/// Runs the worker.
pub fn deliver(app: &mut App<'_>, creditor: Option<CreditorId>, a: &DeliverArgs, json: bool) -> Result<()> {
    let mut couriers = Couriers::new(a.config.load()?)?;
    let input = DeliverInput {
        creditor,
        now: a.now.unwrap_or_else(Utc::now),
        lease_seconds: a.lease,
        batch: a.batch,
        until_empty: a.until_empty,
        max: a.max,
    };
    let r = app.deliver(&mut couriers, &input)?;
    if json {
        return print_json(&r);
    }
    for h in &r.handled {
        println!("{} {} {}: {} — {}", h.creditor, h.delivery, h.channel, h.status, h.detail);
    }
    println!(
        "Delivered {}: {} sent, {} delivered, {} cancelled, {} waiting, {} bounced, {} failed",
        r.handled.len(),
        r.sent,
        r.delivered,
        r.cancelled,
        r.waiting,
        r.bounced,
        r.failed
    );
    Ok(())
}

/// Lists deliveries.
pub fn list(
    app: &mut App<'_>,
    cid: &CreditorId,
    status: Option<DeliveryStatus>,
    channel: Option<Channel>,
    json: bool,
) -> Result<()> {
    let list = app.deliveries(cid, status, channel)?;
    if json {
        return print_json(&list);
    }
    let rows = list
        .iter()
        .map(|d| {
            vec![
                d.delivery.id.clone(),
                d.delivery.created.to_string(),
                d.delivery.customer_id.clone(),
                d.delivery.kind.to_string(),
                d.delivery.channel.to_string(),
                d.delivery.status.to_string(),
                d.delivery.attempts.to_string(),
                d.delivery.detail.clone(),
            ]
        })
        .collect();
    println!(
        "{}",
        table(&["delivery", "created", "customer", "message", "channel", "status", "tries", "detail"], rows)
    );
    Ok(())
}

/// Writes a delivery's letter as it would be sent now.
pub fn letter(
    app: &mut App<'_>,
    cid: &CreditorId,
    key: &str,
    out: &Path,
    config: &ConfigArg,
    json: bool,
) -> Result<()> {
    let m = app.preview(cid, key)?;
    let couriers = Couriers::new(config.load()?)?;
    let (r, pdf) = couriers.letter(&m)?;
    std::fs::write(out, &pdf).with_context(|| format!("writing {}", out.display()))?;
    #[derive(serde::Serialize)]
    struct Written<'a> {
        file: String,
        subject: &'a str,
        language: &'a str,
        bytes: usize,
    }
    let w = Written { file: out.display().to_string(), subject: &r.subject, language: r.language, bytes: pdf.len() };
    say(json, &w, |w| format!("Wrote {} ({}, {}): {}", w.file, w.language, w.bytes, w.subject))
}

/// Phone tasks.
pub fn tasks(app: &mut App<'_>, cid: &CreditorId, cmd: TasksCmd, json: bool) -> Result<()> {
    match cmd {
        TasksCmd::List => {
            let tasks = app.phone_tasks(cid, Utc::now())?;
            if json {
                return print_json(&tasks);
            }
            let couriers = Couriers::new(Config::default())?;
            for t in &tasks {
                let m = app.preview(cid, &t.task)?;
                let script = couriers.render(&m)?.script;
                println!(
                    "{} — {} {} ({}), {} {} open, since {}\n{}\n",
                    t.task,
                    t.customer,
                    t.name,
                    t.phone.as_deref().unwrap_or("no number"),
                    t.total,
                    t.currency,
                    t.created,
                    script.lines().map(|l| format!("  {l}")).collect::<Vec<_>>().join("\n")
                );
            }
            if let Some(t) = tasks.first().and_then(|t| t.call_from) {
                println!("Not now: outside daytime or not a banking day in the debtor's country; call from {t}.");
            }
            println!("{} open phone task(s)", tasks.len());
            Ok(())
        }
        TasksCmd::Done { task, outcome, date, note } => {
            let r = app.phone_done(cid, &CallRecord { task, outcome, promise_date: date, note })?;
            say(json, &r, |r| {
                format!(
                    "Task {} done: {}{}{}",
                    r.task,
                    r.outcome,
                    if r.pauses.is_empty() { String::new() } else { format!("; pauses {:?}", r.pauses) },
                    r.confirmation.as_ref().map(|c| format!("; confirmation {c} queued")).unwrap_or_default()
                )
            })
        }
    }
}
