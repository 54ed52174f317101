//! `fordra demo`: parsed here, built and simulated by `fordra_app::demo`, with a progress bar.

use crate::{print_json, show, today};
use anyhow::Result;
use chrono::{Duration, NaiveDate};
use clap::Args;
use fordra_app::demo::{DemoInput, DEMO_CREDITOR, DEMO_EXPERIMENT};
use fordra_app::outbox::{Courier, Message, Sent};
use fordra_app::App;
use fordra_comms::couriers::Couriers;
use fordra_core::domain::{Channel, MessageKind};
use fordra_core::law::LawBook;
use fordra_core::money::Amounts;
use fordra_store::Store;
use std::collections::HashMap;

#[derive(Args)]
pub struct DemoArgs {
    /// Number of customers.
    #[arg(long, default_value_t = 3000)]
    pub customers: usize,
    /// Days to simulate, ending on --end.
    #[arg(long, default_value_t = 120)]
    pub days: i64,
    /// Random seed: the same seed and dates give the same portfolio and results.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// The last simulated day (default: today).
    #[arg(long)]
    pub end: Option<NaiveDate>,
    /// Leave out the strategy lab: no payment-behaviour model, no predicted-risk rule, no pre-due
    /// nudges, no champion/challenger experiment.
    #[arg(long)]
    pub no_lab: bool,
    /// Write each customer's hidden payer type to this CSV file (customer,payer), to check
    /// what the model finds against the truth.
    #[arg(long)]
    pub truth: Option<std::path::PathBuf>,
    /// Where the samples go and how e-mails and texts leave (as for `fordra deliver`: with an
    /// [smtp] or [sms] section in fordra.toml, the demo's samples go to those servers).
    #[command(flatten)]
    pub delivery: crate::outbox::ConfigArg,
    /// Messages of each kind, channel and language written there.
    #[arg(long, default_value_t = 2)]
    pub sample: usize,
}

/// The demo's courier: the first few messages of each kind, channel and language are rendered
/// and written to the output folder for a newcomer to open; the rest are recorded as sent
/// without being rendered (thousands of identical-looking PDFs help no one).
struct SampleCourier {
    inner: Couriers,
    kept: HashMap<(MessageKind, Channel, String), usize>,
    sample: usize,
}

impl Courier for SampleCourier {
    fn send(&mut self, m: &Message) -> Sent {
        let n = self.kept.entry((m.kind, m.channel, m.language.clone())).or_insert(0);
        *n += 1;
        if *n <= self.sample {
            return self.inner.send(m);
        }
        Sent::Delivered {
            provider_ref: None,
            detail: "demo: recorded, not rendered (samples are in the output folder)".into(),
        }
    }
}

pub fn demo(db: &str, law: &LawBook, a: &DemoArgs, json: bool) -> Result<()> {
    let mut store = Store::create(db)?;
    let end = a.end.unwrap_or_else(today);
    let mut app = App::new(&mut store, law, end);
    let bar = if json { indicatif::ProgressBar::hidden() } else { indicatif::ProgressBar::new(a.days.max(0) as u64) };
    bar.set_style(
        indicatif::ProgressStyle::with_template("{msg:>12} [{bar:40}] {pos}/{len} days")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    let input = DemoInput { customers: a.customers, days: a.days, seed: a.seed, end, no_lab: a.no_lab };
    let config = a.delivery.load()?;
    let out_dir = config.out_dir();
    let mut courier = SampleCourier { inner: Couriers::new(config)?, kept: HashMap::new(), sample: a.sample };
    let mut out = app
        .demo(
            &input,
            &mut |day| {
                bar.set_message(day.to_string());
                bar.inc(1);
            },
            Some(&mut courier),
        )
        .map_err(crate::cli_error)?;
    bar.finish_and_clear();
    out.db = db.to_string();
    for n in &out.notes {
        eprintln!("note: {n}");
    }
    if let Some(path) = &a.truth {
        let mut w = csv::Writer::from_path(path)?;
        w.write_record(["customer", "payer"])?;
        for (c, p) in &out.truth {
            w.write_record([c.as_str(), p])?;
        }
        w.flush()?;
    }
    if json {
        return print_json(&out);
    }
    let (start, end) = (out.from, out.to);
    println!("Demo creditor '{DEMO_CREDITOR}' (Nordljus Energi AB, Swedish law) in {db}");
    println!(
        "{} customers, {} invoices ({} in history before {start}); simulated {start} .. {end}: {} payments, {} steps taken, {} segment changes",
        out.customers, out.invoices, out.history_invoices, out.payments, out.actions, out.segment_changes
    );
    if let Some(d) = &out.deliveries {
        println!(
            "Outbox: {} letters and messages delivered or sent, {} cancelled (paid or paused first), {} waiting, {} bounced, {} failed; samples in {}/",
            d.delivered + d.sent,
            d.cancelled,
            d.waiting,
            d.bounced,
            d.failed,
            out_dir.display()
        );
    }
    println!("Outcomes of invoices issued since {} by the customer's segment today:", start - Duration::days(30));
    show::print_segments(&out.segments, end);
    let (mut fees, mut interest) = (Amounts::default(), Amounts::default());
    for s in &out.segments {
        fees.merge(&s.fees);
        interest.merge(&s.interest);
    }
    println!("Fees charged {fees}, late interest {interest}.");
    if let (Some(l), Some(e)) = (&out.model, &out.experiment) {
        println!("{l} {} invoices were nudged before due.", out.nudges);
        println!(
            "Experiment '{DEMO_EXPERIMENT}' (Normal segment, reminder by text at due + 3 for 30 % of customers): {}",
            e.verdict
        );
        println!("Lab: `fordra model explain`, `fordra report forecast`, `fordra strategy report {DEMO_EXPERIMENT}`, `fordra strategy backtest --segment normal --model FILE`.");
    }
    println!(
        "Next: `fordra report aging`, `fordra report dso`, `fordra customer show C000001`, `fordra run --dry-run`."
    );
    Ok(())
}
