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
    /// Then serve the web pages and the API on the demo: users are made and their passwords
    /// printed; without a delivery configuration, ./fordra.toml is written with a [links]
    /// section so every letter carries the debtor's link.
    #[arg(long)]
    pub serve: bool,
    /// Where `--serve` listens.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: String,
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
    if a.serve {
        ensure_links(a)?;
    }
    let config = a.delivery.load()?;
    let links = config.links.clone();
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
        println!("Lab: `fordra model explain`, `fordra report forecast`, `fordra strategy report {DEMO_EXPERIMENT}`, `fordra strategy contact --horizon 14`, `fordra strategy backtest --segment normal --model FILE`.");
    }
    println!(
        "Next: `fordra report aging`, `fordra report dso`, `fordra customer show C000001`, `fordra run --dry-run`."
    );
    if a.serve {
        drop(store);
        return serve_demo(db, law, a, links);
    }
    Ok(())
}

/// The demo's delivery configuration must name the debtor's page: a missing ./fordra.toml is
/// written with a fresh secret; an existing configuration without `[links]` is refused.
fn ensure_links(a: &DemoArgs) -> Result<()> {
    let default = std::path::Path::new("fordra.toml");
    let path = a.delivery.path().unwrap_or(default);
    if path.exists() {
        if a.delivery.load()?.links.is_none() {
            anyhow::bail!(
                "{}: add a [links] section (base_url = \"http://{}\", secret = 32+ characters) so letters carry the debtor's link",
                path.display(),
                a.addr
            );
        }
        return Ok(());
    }
    let secret = fordra_app::keys::random_hex(32);
    let text = format!(
        "# Written by `fordra demo --serve`: letters go to ./out, each with a link to the debtor's page.\n\
         out = \"out\"\n\n[links]\nbase_url = \"http://{}\"\nsecret = \"{secret}\"\n",
        a.addr
    );
    std::fs::write(path, text)?;
    eprintln!("note: wrote {} ([links] for the debtor's page)", path.display());
    Ok(())
}

/// Makes the demo's users, prints how to sign in and a debtor's link, then serves.
fn serve_demo(db: &str, law: &LawBook, a: &DemoArgs, links: Option<fordra_comms::links::LinkConfig>) -> Result<()> {
    use fordra_app::users::{NewUser, Role};
    let mut store = Store::open(db)?;
    let end = a.end.unwrap_or_else(today);
    let mut app = App::new(&mut store, law, end);
    let creditor = fordra_app::CreditorId(DEMO_CREDITOR.to_string());
    let now = chrono::Utc::now().timestamp();
    println!();
    println!("Web pages: http://{}/login", a.addr);
    for (id, name, role, language) in [
        ("admin@nordljus.test", "Alva Admin", Role::Admin, "en"),
        ("advisor@nordljus.test", "Sam Rådgivare", Role::Advisor, "sv"),
        ("viewer@nordljus.test", "Vic Viewer", Role::Read, "en"),
    ] {
        let password = fordra_app::keys::random_hex(8);
        let u = NewUser {
            id: id.into(),
            creditor: Some(creditor.clone()),
            name: name.into(),
            role,
            password: password.clone(),
            language: language.into(),
            now,
        };
        app.add_user(&u).map_err(crate::cli_error)?;
        println!("  {:<8} {id}  password {password}  ({language})", role.as_str());
    }
    let q = fordra_app::claims::ClaimQuery {
        status: Some(fordra_core::domain::ClaimStatus::Open),
        customer: None,
        after: String::new(),
        limit: 1,
    };
    if let (Some(l), Some(c)) = (&links, app.list_claims(&creditor, &q).map_err(crate::cli_error)?.claims.first()) {
        println!(
            "A debtor's page (each letter in out/ carries its own link): {}",
            l.link_for(DEMO_CREDITOR, &c.customer, end)?
        );
    }
    drop(store);
    let mut config = fordra_http::config::ServeConfig {
        addr: a.addr.clone(),
        db: db.to_string(),
        today: a.end,
        log_json: false,
        ..Default::default()
    };
    config.delivery_config =
        Some(a.delivery.path().unwrap_or(std::path::Path::new("fordra.toml")).display().to_string());
    crate::serve::run_service(config, law.clone())
}
