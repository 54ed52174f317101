//! `fordra`: the command-line adapter. Each command parses its arguments, reads the files it
//! names, calls one use case of `fordra-app` and renders the result as a table or JSON. Rules,
//! SQL and decisions live below it (see ARCHITECTURE.md).

mod bench;
mod bench_http;
mod bench_ml;
mod bench_run;
mod demo;
mod model;
mod outbox;
mod payments;
mod progress;
mod serve;
mod show;
mod strategy;

use anyhow::{anyhow, bail, Context, Result};
use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};
use fordra_app::{App, AppError, ClaimId, CreditorId, CustomerId};
use fordra_core::domain::{DebtorKind, FeeKind, JurisdictionCode, PauseKind};
use fordra_core::law::LawBook;
use fordra_core::money::{format_minor, Currency, Minor};
use fordra_store::Store;
use serde::Serialize;
use std::path::{Path, PathBuf};

// The run and the imports allocate millions of short strings (ids, references, names); glibc's
// allocator spent about a quarter of a benchmark's CPU time in malloc, free and consolidation.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// mimalloc's `mi_option_purge_delay` (mimalloc.h: the option after `mi_option_eager_commit_delay`,
/// 14; the Rust bindings name only some options).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// A command is one process that ends when its work is done: memory freed in one phase is kept for
/// the next instead of being returned to the system after 10 ms and faulted in again (that made the
/// model's scoring phase twice as slow as with glibc).
fn keep_freed_memory() {
    // SAFETY: sets a plain integer option; mimalloc allows it at any time, from any thread.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, -1) }
}

/// The embedded default database.
const DEFAULT_DB: &str = "fordra.db";

#[derive(Parser)]
#[command(name = "fordra", version, about = "Differentiated dunning and debt collection for Nordic creditors")]
struct Cli {
    /// Database: a SQLite file path, or a postgres:// URL.
    #[arg(long, global = true, env = "FORDRA_DATABASE_URL", default_value = DEFAULT_DB)]
    db: String,
    /// The creditor (tenant) to work on; needed only when the database holds several.
    #[arg(long, global = true, env = "FORDRA_CREDITOR")]
    creditor: Option<String>,
    /// Law tables to use instead of the embedded ones (same TOML format as `fordra law export`).
    #[arg(long, global = true, env = "FORDRA_LAW_FILE")]
    law: Option<PathBuf>,
    /// Machine-readable JSON output.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Create a demo creditor with a synthetic portfolio and simulate the last days day by day.
    Demo(demo::DemoArgs),
    /// Creditors (tenants).
    #[command(subcommand)]
    Creditor(CreditorCmd),
    /// The creditor's handling models and segmentation rules.
    #[command(subcommand)]
    Policy(PolicyCmd),
    /// Import customers, invoices, payments or accounts-receivable history from CSV.
    Import {
        what: ImportWhat,
        file: PathBuf,
        /// History: the export's currency.
        #[arg(long)]
        currency: Option<Currency>,
        /// History: KEY=COLUMN for customer, invoice, invoice_date, due_date, amount, paid_date,
        /// disputed, channel, country, credit_score (unmapped keys use their own name).
        #[arg(long = "map")]
        maps: Vec<String>,
        /// History: the date format of the export (e.g. %m/%d/%Y or %d.%m.%Y; default %Y-%m-%d).
        #[arg(long)]
        date_format: Option<String>,
        /// History: extra numeric columns to use as features.
        #[arg(long = "feature")]
        features: Vec<String>,
        /// History: a mapping file (TOML: KEY = "COLUMN" lines, and optionally date_format,
        /// currency and features = [...]); flags given as well take precedence.
        #[arg(long)]
        mapping: Option<PathBuf>,
    },
    /// The payment-behaviour model: train and evaluate on the creditor's own history.
    #[command(subcommand)]
    Model(model::ModelCmd),
    /// The daily run: decide and record every open claim's next step.
    #[command(args_conflicts_with_subcommands = true)]
    Run {
        #[command(subcommand)]
        action: Option<RunAction>,
        /// The run date (default: today).
        #[arg(long)]
        date: Option<NaiveDate>,
        /// Decide and show, write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Allow a run dated more than 7 days after today.
        #[arg(long)]
        allow_future: bool,
        /// Run the day for every creditor in the database, each under its lock (a creditor
        /// another process is running is left to it).
        #[arg(long)]
        all_creditors: bool,
        /// With --all-creditors: how many creditors run at once, each on its own connection
        /// (PostgreSQL runs them side by side; SQLite writes one at a time).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=64))]
        workers: u16,
    },
    /// Interest and lawful fees for a claim (no database needed).
    Quote(QuoteArgs),
    /// A claim's timeline.
    #[command(subcommand)]
    Claim(ClaimCmd),
    /// A customer's timeline and segment.
    #[command(subcommand)]
    Customer(CustomerCmd),
    /// Disputes, promises to pay, payment plans and holds.
    #[command(subcommand)]
    Pause(PauseCmd),
    /// Reports.
    Report {
        kind: ReportKind,
        /// Report date (default: today).
        #[arg(long)]
        date: Option<NaiveDate>,
        /// DSO window in days.
        #[arg(long, default_value_t = 90)]
        window: i64,
        /// Forecast horizon in weeks (with --backtest: weeks ahead of each past forecast).
        #[arg(long, default_value_t = 12)]
        weeks: i64,
        /// Forecast: replay it for past weeks, with only what was known then, against the
        /// receipts that followed.
        #[arg(long)]
        backtest: bool,
        /// Forecast backtest: how many past forecasts, a week apart.
        #[arg(long, default_value_t = 12)]
        back: i64,
    },
    /// The law tables in force and their sources.
    #[command(subcommand)]
    Law(LawCmd),
    /// Bank files in, matching, the unmatched queue, the ERP payment report.
    #[command(subcommand)]
    Payments(payments::PaymentsCmd),
    /// Payment references: make and check (no database needed).
    #[command(subcommand)]
    Ref(payments::RefCmd),
    /// The strategy lab: backtests and champion/challenger experiments of handling models.
    #[command(subcommand)]
    Strategy(strategy::StrategyCmd),
    /// Benchmark the daily run on a large generated portfolio.
    Bench(bench::BenchArgs),
    /// Send what the runs decided: letters to the print batch, e-mails, texts (the outbox's
    /// worker; without --creditor, every creditor's).
    Deliver(outbox::DeliverArgs),
    /// The outbox: every message with its status and attempts.
    Deliveries {
        /// queued, sending, sent, delivered, bounced, failed or cancelled.
        #[arg(long)]
        status: Option<fordra_core::domain::DeliveryStatus>,
        /// letter, email, sms, phone or edi.
        #[arg(long)]
        channel: Option<fordra_core::domain::Channel>,
    },
    /// Write a delivery's letter (PDF) as it would be sent now.
    Letter {
        /// The delivery (see `fordra deliveries`).
        key: String,
        /// The PDF to write.
        #[arg(long, default_value = "letter.pdf")]
        out: PathBuf,
        #[command(flatten)]
        config: outbox::ConfigArg,
    },
    /// Phone tasks for advisors: the worklist, and recording a call's outcome.
    #[command(subcommand)]
    Tasks(outbox::TasksCmd),
    /// The HTTP service: the REST API for the creditor's systems (see /docs when it runs).
    Serve(serve::ServeArgs),
    /// API keys of the HTTP service: add (printed once), list, revoke.
    #[command(subcommand)]
    Key(serve::KeyCmd),
    /// Users of the web pages: add (or change), list, disable.
    #[command(subcommand)]
    User(serve::UserCmd),
    /// A day's print (or digital-mailbox) batch for the print service: one merged PDF and a
    /// manifest (CSV and JSON) beside the letters the worker wrote.
    Batch(outbox::BatchArgs),
    /// The database's layout (PostgreSQL): split the large tables by creditor.
    #[command(subcommand)]
    Db(DbCmd),
}

#[derive(Subcommand)]
enum DbCmd {
    /// Split the large tables (claims, ledger, steps, payments, messages, events, history) into
    /// partitions by the hash of the creditor, in one transaction; tables split already are left
    /// as they are. PostgreSQL only. Takes the tables' locks while it copies their rows.
    Partition {
        /// How many partitions each table gets (2 to 256).
        #[arg(long, default_value_t = 8)]
        partitions: u32,
    },
}

#[derive(Subcommand)]
enum RunAction {
    /// Undo the latest run (e.g. one dated by mistake): its steps are kept as reverted, their
    /// fees and interest reversed by correcting entries, segments put back.
    Revert {
        #[arg(long)]
        date: NaiveDate,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum ImportWhat {
    Customers,
    Invoices,
    Payments,
    History,
}

#[derive(Clone, Copy, ValueEnum)]
enum ReportKind {
    Aging,
    Segments,
    Dso,
    /// Cash-flow forecast: each open invoice's chance of being paid in each coming week, from a
    /// survival model of the creditor's own claims (`--backtest` replays past weeks).
    Forecast,
}

#[derive(Subcommand)]
enum CreditorCmd {
    /// Add a creditor with the default handling models of its jurisdiction (the same command
    /// again changes nothing; another creditor with the same id is refused).
    Add {
        #[arg(long)]
        id: String,
        #[arg(long)]
        name: String,
        /// SE, FI, NO, DK or EU.
        #[arg(long)]
        jurisdiction: JurisdictionCode,
        /// Default: the jurisdiction's currency.
        #[arg(long)]
        currency: Option<Currency>,
        /// Reminder fees were agreed with debtors when their debts arose.
        #[arg(long)]
        reminder_fee_agreed: bool,
        /// Do not charge late interest.
        #[arg(long)]
        no_interest: bool,
        /// Contractual late-interest rate, percent per year.
        #[arg(long)]
        contract_rate: Option<rust_decimal::Decimal>,
        #[arg(long)]
        bankgiro: Option<String>,
        /// The creditor's bank account (IBAN); give it once per account.
        #[arg(long)]
        iban: Vec<String>,
        /// Who sends the steps: own (the creditor collects its own claims) or agency (a
        /// licensed collection agency on its behalf; FI and NO fee scales differ).
        #[arg(long, default_value = "own")]
        collector: fordra_core::domain::Collector,
        /// The agency's name (with --collector agency).
        #[arg(long)]
        agency_name: Option<String>,
        /// The agency's licence number (with --collector agency).
        #[arg(long)]
        agency_licence: Option<String>,
    },
    /// Change a creditor's name, accounts or fee agreement (law and currency only while it has
    /// no claims).
    Update {
        #[arg(long)]
        name: Option<String>,
        /// A bankgiro number ("" removes it).
        #[arg(long)]
        bankgiro: Option<String>,
        /// The bank accounts (IBANs), comma-separated, replacing those registered ("" removes them).
        #[arg(long)]
        iban: Option<String>,
        #[arg(long)]
        reminder_fee_agreed: Option<bool>,
        #[arg(long)]
        jurisdiction: Option<JurisdictionCode>,
        #[arg(long)]
        currency: Option<Currency>,
    },
    /// Show the creditor.
    Show,
    /// List creditors.
    List,
}

#[derive(Subcommand)]
enum PolicyCmd {
    /// Print the creditor's policy (TOML).
    Show,
    /// Replace the policy from a TOML file; refused if any step breaks the law.
    Set { file: PathBuf },
    /// Set the logo printed on letters (a PNG file), or remove it with --remove.
    Logo {
        #[arg(required_unless_present = "remove")]
        file: Option<PathBuf>,
        #[arg(long)]
        remove: bool,
    },
    /// Print the default policy for a jurisdiction.
    Default {
        #[arg(long)]
        jurisdiction: JurisdictionCode,
    },
}

#[derive(Subcommand)]
enum ClaimCmd {
    Show { id: String },
}

#[derive(Subcommand)]
enum CustomerCmd {
    Show {
        id: String,
    },
    /// Choose (or with --off, unchoose) a customer as VIP.
    Vip {
        id: String,
        #[arg(long)]
        off: bool,
    },
    /// Pay back (part of) a customer's credit from overpayments.
    Refund {
        id: String,
        #[arg(long)]
        amount: String,
        #[arg(long)]
        currency: Option<Currency>,
        /// Default: today.
        #[arg(long)]
        date: Option<NaiveDate>,
        #[arg(long, default_value = "refunded to the customer")]
        note: String,
    },
}

#[derive(Subcommand)]
enum PauseCmd {
    /// Pause a claim (--claim) or all of a customer's claims (--customer).
    Add {
        #[arg(long)]
        claim: Option<String>,
        #[arg(long)]
        customer: Option<String>,
        #[arg(long)]
        kind: PauseKind,
        /// Start (default: today).
        #[arg(long)]
        from: Option<NaiveDate>,
        /// End date; a dispute may stay open until resolved.
        #[arg(long)]
        until: Option<NaiveDate>,
        #[arg(long)]
        reason: String,
        /// Charge the statutory payment-plan fee (payment plans only).
        #[arg(long)]
        plan_fee: bool,
        /// The plan's number of instalments (FI: one new due date costs €5, a plan €20–50).
        #[arg(long)]
        instalments: Option<u32>,
    },
    /// End a pause (e.g. a dispute resolved in the creditor's favour).
    End {
        id: i64,
        #[arg(long)]
        date: Option<NaiveDate>,
        #[arg(long, default_value = "ended by the advisor")]
        note: String,
    },
    List,
}

#[derive(Subcommand)]
enum LawCmd {
    /// Show rates, fee caps and periods with sources (values marked * are unconfirmed).
    Show {
        #[arg(long)]
        jurisdiction: Option<JurisdictionCode>,
    },
    /// Print the law tables in force as TOML (a starting point for an override file).
    Export,
}

#[derive(Args)]
struct QuoteArgs {
    #[arg(long)]
    jurisdiction: JurisdictionCode,
    #[arg(long)]
    debtor: DebtorKind,
    #[arg(long)]
    principal: String,
    #[arg(long)]
    currency: Option<Currency>,
    #[arg(long)]
    due: NaiveDate,
    #[arg(long)]
    as_of: Option<NaiveDate>,
    /// Measures taken: reminder, collection, late_compensation, payment_plan (comma-separated).
    #[arg(long, value_delimiter = ',')]
    steps: Vec<FeeKind>,
    #[arg(long)]
    reminder_fee_agreed: bool,
    /// Contractual late-interest rate, percent per year.
    #[arg(long)]
    contract_rate: Option<rust_decimal::Decimal>,
    /// Who sends the steps: own (the creditor) or agency (a licensed collection agency).
    #[arg(long, default_value = "own")]
    collector: fordra_core::domain::Collector,
    /// No due date was agreed in advance: the date of the demand that said interest would be
    /// charged (interest from 30 days after it).
    #[arg(long)]
    demand_date: Option<NaiveDate>,
    /// A payment plan's number of instalments (FI: one new due date costs less than a plan).
    #[arg(long)]
    instalments: Option<u32>,
}

pub fn today() -> NaiveDate {
    fordra_app::today()
}

/// Reads a whole file named on the command line, refusing one above the size limit before
/// reading it.
pub fn read_file(path: &Path) -> Result<Vec<u8>> {
    let len = std::fs::metadata(path).with_context(|| format!("reading {}", path.display()))?.len();
    if len > fordra_core::limits::MAX_FILE_BYTES {
        bail!(
            "{}: {len} bytes, above the limit of {} bytes for one file",
            path.display(),
            fordra_core::limits::MAX_FILE_BYTES
        );
    }
    std::fs::read(path).with_context(|| format!("reading {}", path.display()))
}

/// The name a file is known by in messages and records: its path as given.
pub fn source(path: &Path) -> String {
    path.display().to_string()
}

pub fn load_law(path: &Option<PathBuf>) -> Result<LawBook> {
    match path {
        None => Ok(LawBook::embedded()),
        Some(p) => Ok(fordra_app::law::parse_law(&source(p), &read_file(p)?).map_err(cli_error)?),
    }
}

/// An application error as the CLI says it: the error's own line, and where a command helps,
/// which one.
pub fn cli_error(e: AppError) -> anyhow::Error {
    let hint = match &e {
        AppError::NotFound { entity: "creditor", id } if id.is_empty() => {
            return anyhow!("no creditor in this database: run `fordra demo` or `fordra creditor add`")
        }
        AppError::Conflict(m) if m.starts_with("this database holds several creditors") => " with --creditor",
        AppError::Conflict(m) if m.starts_with("creditor '") && m.contains("already exists") => {
            ": change it with `fordra creditor update`"
        }
        AppError::NotFound { entity: "database at", id } => {
            return anyhow!("no database at {id} (create one with `fordra creditor add` or `fordra demo`)")
        }
        AppError::NotFound { entity: "Fordra database at", id } => {
            return anyhow!("{id} holds no Fordra database (create one with `fordra creditor add` or `fordra demo`)")
        }
        AppError::NotFound { entity: "model", .. } => ": run `fordra model train`",
        AppError::NotFound { entity: "model version", .. } => " (see `fordra model list`)",
        AppError::NotFound { entity: "history", .. } => {
            return anyhow!(
                "{e}: import an accounts-receivable export with `fordra import history` (or import invoices)"
            )
        }
        AppError::NotFound { entity: "experiment" | "running experiment", .. } => " (see `fordra strategy list`)",
        _ => "",
    };
    anyhow!("{e}{hint}")
}

/// Prints a use case's result: one line of JSON, or the sentence `text` makes of it.
pub fn say<T: Serialize>(json: bool, r: &T, text: impl FnOnce(&T) -> String) -> Result<()> {
    if json {
        println!("{}", serde_json::to_string(r)?);
    } else {
        println!("{}", text(r));
    }
    Ok(())
}

/// Prints a use case's result as JSON.
pub fn print_json<T: Serialize>(v: &T) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

pub fn table(headers: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut t = comfy_table::Table::new();
    t.load_preset(comfy_table::presets::UTF8_BORDERS_ONLY);
    t.set_header(headers.iter().copied());
    for r in rows {
        t.add_row(r);
    }
    t.to_string()
}

pub fn m(minor: i64) -> String {
    format_minor(minor)
}

fn main() {
    keep_freed_memory();
    // Output piped into `head` and closed early is not an error worth a panic message.
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let msg = info.payload().downcast_ref::<String>().map(String::as_str).unwrap_or("");
        if msg.contains("Broken pipe") {
            std::process::exit(0);
        }
        default_hook(info);
    }));
    let cli = Cli::parse();
    if let Err(e) = run(cli) {
        eprintln!("error: {e:#}");
        std::process::exit(2);
    }
}

fn run(cli: Cli) -> Result<()> {
    let law = load_law(&cli.law)?;
    match cli.cmd {
        Cmd::Demo(a) => demo::demo(&cli.db, &law, &a, cli.json),
        Cmd::Serve(a) => serve::serve(&cli.db, cli.db != DEFAULT_DB, law, &a),
        Cmd::Batch(a) => outbox::batch(&a, cli.json),
        Cmd::Bench(a) => {
            let pg = cli.db.starts_with("postgres").then_some(cli.db.as_str());
            bench::bench(&law, &a, pg, cli.json)
        }
        Cmd::Quote(q) => quote(&law, q, cli.json),
        Cmd::Ref(r) => {
            let code = payments::reference_cmd(r, cli.json)?;
            if code != 0 {
                std::process::exit(code);
            }
            Ok(())
        }
        Cmd::Law(LawCmd::Show { jurisdiction }) => show::law(&law, jurisdiction, cli.json),
        Cmd::Law(LawCmd::Export) => {
            print!("{}", fordra_app::law::export_law(&law).map_err(cli_error)?);
            Ok(())
        }
        Cmd::Policy(PolicyCmd::Default { jurisdiction }) => {
            print!("{}", fordra_app::policy::default_policy(jurisdiction).to_toml());
            Ok(())
        }
        Cmd::Run { action: None, date, dry_run, allow_future, all_creditors: true, workers } => {
            let input = fordra_app::run::RunInput { date: date.unwrap_or_else(today), dry_run, allow_future };
            run_all_creditors(&cli.db, &law, input, workers.into(), cli.json)
        }
        cmd => {
            // Only `creditor add` creates a database (and `demo`, above): a mistyped --db path
            // must be an error, not a new empty database.
            let creates = matches!(cmd, Cmd::Creditor(CreditorCmd::Add { .. }));
            let opened = if creates { Store::create(&cli.db) } else { Store::open(&cli.db) };
            let mut store = opened.map_err(|e| match e {
                e @ fordra_store::StoreError::NotFound { .. } => cli_error(e.into()),
                e => anyhow!("opening database {}: {e}", cli.db),
            })?;
            let mut app = App::new(&mut store, &law, today());
            with_app(&mut app, cli.creditor, cli.json, cmd).map_err(|e| match e.downcast::<AppError>() {
                Ok(a) => cli_error(a),
                Err(e) => e,
            })
        }
    }
}

/// `fordra run --all-creditors`: the day of every creditor, `workers` at a time.
fn run_all_creditors(
    db: &str,
    law: &fordra_core::law::LawBook,
    input: fordra_app::run::RunInput,
    workers: usize,
    json: bool,
) -> Result<()> {
    let connect = || Store::open(db).map_err(AppError::from);
    let holder = format!("cli-{}", std::process::id());
    let pool = fordra_app::run::Workers { connect: &connect, law, today: today(), workers, holder: &holder };
    let started = std::time::Instant::now();
    let runs = progress::working(&format!("running every creditor's day, {workers} at a time"), json, || {
        pool.run_all(input, chrono::Utc::now())
    })
    .map_err(cli_error)?;
    show::all_runs(&runs, workers, started.elapsed(), json)?;
    let failed = runs.iter().filter(|r| r.error.is_some()).count();
    if failed > 0 {
        return Err(anyhow!("{failed} of {} creditors did not run (see above)", runs.len()));
    }
    Ok(())
}

fn with_app(app: &mut App<'_>, creditor: Option<String>, json: bool, cmd: Cmd) -> Result<()> {
    let cmd = match cmd {
        Cmd::Deliver(a) => {
            let only = creditor.map(|c| app.resolve_creditor(Some(&c))).transpose()?;
            return outbox::deliver(app, only, &a, json);
        }
        Cmd::Creditor(add @ CreditorCmd::Add { .. }) => return creditor_add(app, add, json),
        Cmd::Key(k) => return serve::key(app, creditor, k, json),
        Cmd::User(u) => return serve::user(app, creditor, u, json),
        Cmd::Creditor(CreditorCmd::List) => return creditor_list(app, json),
        Cmd::Db(DbCmd::Partition { partitions }) => {
            let r = app.partition_by_creditor(partitions)?;
            return say(json, &r, |r| {
                let mut text = match r.split.len() {
                    0 => "Nothing to split: every large table is partitioned by creditor already".to_string(),
                    n => {
                        format!("Split {n} tables into {} partitions by creditor: {}", r.partitions, r.split.join(", "))
                    }
                };
                if !r.split.is_empty() && !r.already.is_empty() {
                    text.push_str(&format!(" ({} were split already)", r.already.len()));
                }
                text
            });
        }
        other => other,
    };
    let cid = app.resolve_creditor(creditor.as_deref())?;
    let today = app.today;
    match cmd {
        Cmd::Creditor(CreditorCmd::Show) => show::creditor(app.show_creditor(&cid)?, json),
        Cmd::Creditor(CreditorCmd::Update { name, bankgiro, iban, reminder_fee_agreed, jurisdiction, currency }) => {
            let change = fordra_app::creditors::CreditorChange {
                name,
                bankgiro,
                iban,
                reminder_fee_agreed,
                jurisdiction,
                currency,
            };
            let c = app.update_creditor(&cid, &change)?;
            say(json, &c, |c| format!("Creditor {} updated", c.creditor))
        }
        Cmd::Policy(PolicyCmd::Show) => {
            let p = app.show_policy(&cid)?;
            if json {
                print_json(&p)
            } else {
                print!("{}", p.to_toml());
                Ok(())
            }
        }
        Cmd::Policy(PolicyCmd::Set { file }) => {
            let name = source(&file);
            let policy = fordra_app::policy::parse_policy(&name, &read_file(&file)?)?;
            let r = app.set_policy(&cid, policy, &name, &fordra_comms::messages::check_own_texts)?;
            say(json, &r, |_| format!("Policy of {cid} updated from {name}"))
        }
        Cmd::Policy(PolicyCmd::Logo { file, remove: _ }) => {
            let (name, bytes) = match &file {
                Some(f) => (source(f), Some(read_file(f)?)),
                None => ("--remove".to_string(), None),
            };
            let r = app.set_logo(&cid, &name, bytes.as_deref())?;
            say(json, &r, |_| match &file {
                Some(_) => format!("Logo of {cid} set from {name}"),
                None => format!("Logo of {cid} removed"),
            })
        }
        Cmd::Import { what, file, currency, maps, date_format, features, mapping } => {
            let history = HistoryArgs { currency, maps, date_format, features, mapping };
            import(app, &cid, what, &file, history, json)
        }
        Cmd::Model(m) => model::run(app, &cid, m, json),
        Cmd::Run { action: Some(RunAction::Revert { date, reason }), .. } => {
            let r = app.revert_run(&cid, date, &reason)?;
            say(json, &r, |r| {
                format!(
                    "Run {date} reverted: {} steps and {} segment changes undone ({reason})",
                    r.actions, r.segment_changes
                )
            })
        }
        Cmd::Run { action: None, date, dry_run, allow_future, .. } => {
            let input = fordra_app::run::RunInput { date: date.unwrap_or(today), dry_run, allow_future };
            let r = progress::working(&format!("running {}", input.date), json, || app.run_day(&cid, input))?;
            show::run(&r, json)
        }
        Cmd::Claim(ClaimCmd::Show { id }) => show::claim(&app.claim_timeline(&cid, &ClaimId(id))?, json),
        Cmd::Customer(c) => customer(app, &cid, c, json),
        Cmd::Pause(p) => pause(app, &cid, p, json),
        Cmd::Payments(p) => payments::run(app, &cid, p, json),
        Cmd::Strategy(c) => strategy::run(app, &cid, c, json),
        Cmd::Report { kind: ReportKind::Forecast, date, weeks, backtest: true, back, .. } => {
            model::backtest(&app.forecast_backtest(&cid, date.unwrap_or(today), back, weeks)?, &cid, json)
        }
        Cmd::Report { kind, date, window, weeks, .. } => {
            report(app, &cid, kind, date.unwrap_or(today), (window, weeks), json)
        }
        Cmd::Deliveries { status, channel } => outbox::list(app, &cid, status, channel, json),
        Cmd::Letter { key, out, config } => outbox::letter(app, &cid, &key, &out, &config, json),
        Cmd::Tasks(t) => outbox::tasks(app, &cid, t, json),
        Cmd::Demo(_)
        | Cmd::Deliver(_)
        | Cmd::Batch(_)
        | Cmd::Bench(_)
        | Cmd::Quote(_)
        | Cmd::Ref(_)
        | Cmd::Law(_)
        | Cmd::Policy(PolicyCmd::Default { .. })
        | Cmd::Serve(_)
        | Cmd::Key(_)
        | Cmd::User(_)
        | Cmd::Db(_)
        | Cmd::Creditor(_) => {
            bail!("handled before opening the store")
        }
    }
}

fn creditor_add(app: &mut App<'_>, cmd: CreditorCmd, json: bool) -> Result<()> {
    let CreditorCmd::Add {
        id,
        name,
        jurisdiction,
        currency,
        reminder_fee_agreed,
        no_interest,
        contract_rate,
        bankgiro,
        iban,
        collector,
        agency_name,
        agency_licence,
    } = cmd
    else {
        bail!("not creditor add")
    };
    let n = fordra_app::creditors::NewCreditor {
        id: CreditorId(id),
        name,
        jurisdiction,
        currency,
        reminder_fee_agreed,
        charge_interest: !no_interest,
        contract_rate,
        bankgiro,
        iban,
        collector,
        agency_name,
        agency_licence,
    };
    let c = app.add_creditor(n)?;
    say(json, &c, |c| {
        format!(
            "Creditor {} ({}) {}: {} law, {}, reminder fees agreed: {}, late interest: {}, steps sent by {}",
            c.creditor,
            c.name,
            if c.created { "added" } else { "already exists, unchanged" },
            c.jurisdiction,
            c.currency,
            c.reminder_fee_agreed,
            c.charge_interest,
            match &c.agency {
                Some(a) => format!("the agency {} (licence {})", a.name, a.licence),
                None => "the creditor itself".into(),
            }
        )
    })
}

fn creditor_list(app: &mut App<'_>, json: bool) -> Result<()> {
    let ids = app.list_creditors()?;
    if json {
        println!("{}", serde_json::to_string(&ids)?);
    } else {
        ids.iter().for_each(|i| println!("{i}"));
    }
    Ok(())
}

/// The options of `import history`.
struct HistoryArgs {
    currency: Option<Currency>,
    maps: Vec<String>,
    date_format: Option<String>,
    features: Vec<String>,
    mapping: Option<PathBuf>,
}

fn import(
    app: &mut App<'_>,
    cid: &CreditorId,
    what: ImportWhat,
    file: &Path,
    h: HistoryArgs,
    json: bool,
) -> Result<()> {
    match what {
        ImportWhat::History => {
            let bytes = read_file(file)?;
            let mapping_bytes = h.mapping.as_deref().map(read_file).transpose()?;
            let mapping_name = h.mapping.as_deref().map(source);
            let h = fordra_app::history::HistoryImport {
                source: &source(file),
                bytes: &bytes,
                mapping_file: mapping_name.as_deref().zip(mapping_bytes.as_deref()),
                currency: h.currency,
                maps: h.maps,
                date_format: h.date_format,
                features: h.features,
            };
            let r = progress::working(&format!("importing {}", h.source), json, || app.import_history(cid, &h))?;
            say(json, &r, |r| {
                format!(
                    "{}: {} history rows: {} new, {} updated, {} credit notes or zero lines skipped",
                    r.file, r.rows, r.created, r.updated, r.skipped_non_positive
                )
            })
        }
        ImportWhat::Customers => {
            let bytes = read_file(file)?;
            let r = progress::working(&format!("importing {}", source(file)), json, || {
                app.import_customers(cid, &source(file), &bytes)
            })?;
            say(json, &r, |r| {
                format!(
                    "{}: {} customers: {} created, {} updated, {} unchanged",
                    r.file, r.rows, r.created, r.updated, r.unchanged
                )
            })
        }
        ImportWhat::Invoices => {
            let bytes = read_file(file)?;
            let r = progress::working(&format!("importing {}", source(file)), json, || {
                app.import_invoices(cid, &source(file), &bytes)
            })?;
            say(json, &r, |r| {
                format!(
                    "{}: {} invoices: {} created, {} settled, {} unchanged",
                    r.file, r.rows, r.created, r.settled, r.unchanged
                )
            })
        }
        ImportWhat::Payments => payments::import(app, cid, file, Some(fordra_app::bank::BankFormat::Csv), false, json),
    }
}

fn customer(app: &mut App<'_>, cid: &CreditorId, cmd: CustomerCmd, json: bool) -> Result<()> {
    match cmd {
        CustomerCmd::Show { id } => show::customer(&app.customer_view(cid, &CustomerId(id))?, json),
        CustomerCmd::Vip { id, off } => {
            let r = app.set_vip(cid, &CustomerId(id), !off)?;
            say(json, &r, |r| {
                format!(
                    "Customer {} {} (takes effect at the next run)",
                    r.customer,
                    if off { "is no longer VIP" } else { "chosen as VIP" }
                )
            })
        }
        CustomerCmd::Refund { id, amount, currency, date, note } => {
            let amount: Minor = amount.parse().map_err(|e| anyhow!("--amount: {e}"))?;
            let input = fordra_app::customers::RefundInput {
                customer: CustomerId(id),
                amount,
                currency,
                date: date.unwrap_or(app.today),
                note,
            };
            let r = app.refund(cid, &input)?;
            say(json, &r, |r| {
                format!(
                    "Refund {}: {} to {} on {}; credit left {}",
                    r.refund, r.amount, r.customer, r.date, r.credit_left
                )
            })
        }
    }
}

fn report(
    app: &mut App<'_>,
    cid: &CreditorId,
    kind: ReportKind,
    date: NaiveDate,
    (window, weeks): (i64, i64),
    json: bool,
) -> Result<()> {
    match kind {
        ReportKind::Forecast => model::forecast(&app.forecast(cid, date, weeks)?, cid, json),
        ReportKind::Aging => show::aging(&app.aging(cid, date)?, json),
        ReportKind::Dso => show::dso(&app.dso(cid, date, window)?, json),
        ReportKind::Segments => show::segments(&app.segments(cid, date)?, json),
    }
}

fn quote(law: &LawBook, q: QuoteArgs, json: bool) -> Result<()> {
    let principal: Minor = q.principal.parse().map_err(|e| anyhow!("--principal: {e}"))?;
    let req = fordra_app::quote::QuoteRequest {
        jurisdiction: q.jurisdiction,
        debtor: q.debtor,
        principal,
        currency: q.currency,
        due: q.due,
        as_of: q.as_of.unwrap_or_else(today),
        steps: q.steps,
        reminder_fee_agreed: q.reminder_fee_agreed,
        contract_rate: q.contract_rate,
        collector: q.collector,
        demand_date: q.demand_date,
        instalments: q.instalments,
    };
    let r = fordra_app::quote::quote(law, &req).map_err(cli_error)?;
    if json {
        return print_json(&r);
    }
    let interest_basis = r
        .interest_periods
        .iter()
        .map(|p| format!("{}..{} {} days × {}% on {}: {}", p.from, p.through, p.days, p.rate, p.principal, p.basis))
        .collect::<Vec<_>>();
    let mut rows = vec![vec!["principal".to_string(), r.principal.to_string(), format!("due {}", r.due)]];
    rows.push(vec!["late interest".into(), r.interest.to_string(), interest_basis.join("\n")]);
    for f in &r.fees {
        rows.push(vec![f.kind.to_string(), f.amount.to_string(), f.basis.clone()]);
    }
    rows.push(vec!["total".into(), r.total.to_string(), format!("as of {}, {}", r.as_of, r.currency)]);
    println!("{}", table(&["line", "amount", "legal basis"], rows));
    for n in &r.notes {
        println!("note: {n}");
    }
    Ok(())
}

fn pause(app: &mut App<'_>, cid: &CreditorId, p: PauseCmd, json: bool) -> Result<()> {
    let today = app.today;
    match p {
        PauseCmd::Add { claim, customer, kind, from, until, reason, plan_fee, instalments } => {
            let input = fordra_app::pauses::NewPause {
                claim: claim.map(ClaimId),
                customer: customer.map(CustomerId),
                kind,
                from: from.unwrap_or(today),
                until,
                reason,
                plan_fee,
                instalments,
            };
            let r = app.add_pause(cid, &input)?;
            say(json, &r, |r| {
                format!(
                    "Pause {}: {} from {}{}{}",
                    r.pause,
                    r.kind,
                    r.from,
                    r.until.map(|u| format!(" until {u}")).unwrap_or_else(|| " until resolved".into()),
                    if r.fee.0 > 0 { format!(", plan fee {} charged", r.fee) } else { String::new() }
                )
            })?;
        }
        PauseCmd::End { id, date, note } => {
            let r = app.end_pause(cid, id, date.unwrap_or(today), &note)?;
            say(json, &r, |r| format!("Pause {} ended on {}; handling resumes at the next run", r.pause, r.ended))?;
        }
        PauseCmd::List => {
            let rows = app.list_pauses(cid)?;
            if json {
                print_json(&rows)?;
            } else {
                let t = rows
                    .iter()
                    .map(|p| {
                        vec![
                            p.id.to_string(),
                            p.claim_id.clone().unwrap_or_else(|| "(all)".into()),
                            p.customer_id.clone(),
                            p.pause.kind.to_string(),
                            p.pause.from.to_string(),
                            p.pause.until.map(|d| d.to_string()).unwrap_or_default(),
                            p.pause.ended.map(|d| d.to_string()).unwrap_or_default(),
                            p.pause.reason.clone(),
                        ]
                    })
                    .collect();
                println!("{}", table(&["id", "claim", "customer", "kind", "from", "until", "ended", "reason"], t));
            }
        }
    }
    Ok(())
}
