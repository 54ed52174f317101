//! `fordra`: the command-line adapter around the core and the store.

mod bench;
mod bench_ml;
mod csvin;
mod demo;
mod model;
mod payments;
mod show;
mod strategy;

use anyhow::{anyhow, bail, Context, Result};
use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};
use fordra_core::domain::{DebtorKind, FeeKind, JurisdictionCode, PauseKind};
use fordra_core::law::LawBook;
use fordra_core::model::Policy;
use fordra_core::money::{format_minor, parse_minor, Currency};
use fordra_core::run::Creditor;
use fordra_store::Store;
use serde_json::json;
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "fordra", version, about = "Differentiated dunning and debt collection for Nordic creditors")]
struct Cli {
    /// Database: a SQLite file path, or a postgres:// URL.
    #[arg(long, global = true, env = "FORDRA_DATABASE_URL", default_value = "fordra.db")]
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
        /// Forecast horizon in weeks.
        #[arg(long, default_value_t = 12)]
        weeks: i64,
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
    /// Cash-flow forecast from the payment-behaviour model's predicted pay dates.
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

/// The payment-reference scheme a creditor in this jurisdiction uses unless told otherwise.
pub fn default_scheme(j: JurisdictionCode) -> fordra_core::reference::Scheme {
    use fordra_core::reference::Scheme;
    match j {
        JurisdictionCode::SE => Scheme::SeOcrLen,
        JurisdictionCode::FI => Scheme::Fi,
        JurisdictionCode::NO => Scheme::NoKid10,
        JurisdictionCode::DK => Scheme::DkFik71,
        JurisdictionCode::EU => Scheme::Rf,
    }
}

pub fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

pub fn load_law(path: &Option<PathBuf>) -> Result<LawBook> {
    match path {
        None => Ok(LawBook::embedded()),
        Some(p) => {
            let text = read_config(p)?;
            Ok(LawBook::parse(&text, &p.display().to_string())?)
        }
    }
}

/// Reads a configuration file (policy, law tables, mapping), refusing one above the size limit.
pub fn read_config(p: &std::path::Path) -> Result<String> {
    let len = std::fs::metadata(p).with_context(|| format!("reading {}", p.display()))?.len();
    if len > fordra_core::limits::MAX_CONFIG_BYTES {
        bail!("{}: {len} bytes, above the limit of {} bytes for a configuration file", p.display(), fordra_core::limits::MAX_CONFIG_BYTES);
    }
    std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))
}

pub fn resolve_creditor(store: &mut Store, given: &Option<String>) -> Result<String> {
    if let Some(c) = given {
        // An unknown creditor is an error, never an empty report.
        store.creditor(c)?;
        return Ok(c.clone());
    }
    let ids = store.creditor_ids()?;
    match ids.len() {
        1 => Ok(ids[0].clone()),
        0 => bail!("no creditor in this database: run `fordra demo` or `fordra creditor add`"),
        _ => bail!("this database holds several creditors ({}): choose one with --creditor", ids.join(", ")),
    }
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
        Cmd::Bench(a) => bench::bench(&law, &a, cli.json),
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
            print!("{}", toml::to_string_pretty(&law)?);
            Ok(())
        }
        Cmd::Policy(PolicyCmd::Default { jurisdiction }) => {
            print!("{}", Policy::default_for(jurisdiction).to_toml());
            Ok(())
        }
        cmd => {
            // Only `creditor add` creates a database (and `demo`, above): a mistyped --db path
            // must be an error, not a new empty database.
            let creates = matches!(cmd, Cmd::Creditor(CreditorCmd::Add { .. }));
            let opened = if creates { Store::create(&cli.db) } else { Store::open(&cli.db) };
            let mut store = opened.map_err(|e| match e {
                fordra_store::StoreError::NotFound(m) => anyhow!("{m} (create one with `fordra creditor add` or `fordra demo`)"),
                e => anyhow!("opening database {}: {e}", cli.db),
            })?;
            with_store(&mut store, &law, cli.creditor, cli.json, cmd)
        }
    }
}

fn with_store(store: &mut Store, law: &LawBook, creditor: Option<String>, json: bool, cmd: Cmd) -> Result<()> {
    if let Cmd::Creditor(CreditorCmd::Add {
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
    }) = cmd
    {
        let j = law.jurisdiction(jurisdiction)?;
        let mut policy = Policy::default_for(jurisdiction);
        policy.collector = collector;
        policy.agency = match (agency_name, agency_licence) {
            (None, None) => None,
            (name, licence) => Some(fordra_core::model::Agency { name: name.unwrap_or_default(), licence: licence.unwrap_or_default() }),
        };
        let c = Creditor {
            id,
            name,
            jurisdiction,
            currency: currency.unwrap_or(j.currency),
            reminder_fee_agreed,
            charge_interest: !no_interest,
            contract_rate,
            bankgiro,
            iban: (!iban.is_empty()).then(|| iban.join(", ")),
            reference_scheme: Some(default_scheme(jurisdiction)),
            policy,
        };
        c.policy.validate(j, c.reminder_fee_agreed, today()).map_err(|e| anyhow!("creditor {}: {}", c.id, e.join("; ")))?;
        let created = store.create_creditor(&c)?;
        if json {
            println!(
                "{}",
                json!({"creditor": c.id, "jurisdiction": c.jurisdiction.upper(), "currency": c.currency.code(), "collector": c.policy.collector, "agency": c.policy.agency, "created": created})
            );
        } else {
            println!(
                "Creditor {} ({}) {}: {} law, {}, reminder fees agreed: {}, late interest: {}, steps sent by {}",
                c.id,
                c.name,
                if created { "added" } else { "already exists, unchanged" },
                c.jurisdiction.upper(),
                c.currency,
                c.reminder_fee_agreed,
                c.charge_interest,
                match &c.policy.agency {
                    Some(a) => format!("the agency {} (licence {})", a.name, a.licence),
                    None => "the creditor itself".into(),
                }
            );
        }
        return Ok(());
    }
    if let Cmd::Creditor(CreditorCmd::List) = cmd {
        let ids = store.creditor_ids()?;
        if json {
            println!("{}", json!(ids));
        } else {
            ids.iter().for_each(|i| println!("{i}"));
        }
        return Ok(());
    }
    let cid = resolve_creditor(store, &creditor)?;
    match cmd {
        Cmd::Creditor(CreditorCmd::Show) => show::creditor(store, &cid, json),
        Cmd::Creditor(CreditorCmd::Update { name, bankgiro, iban, reminder_fee_agreed, jurisdiction, currency }) => {
            let change = fordra_store::CreditorChange { name, bankgiro, iban, reminder_fee_agreed, jurisdiction, currency };
            let c = store.update_creditor(&cid, &change)?;
            if json {
                println!(
                    "{}",
                    json!({"creditor": c.id, "name": c.name, "bankgiro": c.bankgiro, "iban": c.iban, "reminder_fee_agreed": c.reminder_fee_agreed, "jurisdiction": c.jurisdiction.upper(), "currency": c.currency.code()})
                );
            } else {
                println!("Creditor {} updated", c.id);
            }
            Ok(())
        }
        Cmd::Policy(PolicyCmd::Show) => {
            let c = store.creditor(&cid)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&c.policy)?);
            } else {
                print!("{}", c.policy.to_toml());
            }
            Ok(())
        }
        Cmd::Policy(PolicyCmd::Set { file }) => {
            let text = read_config(&file)?;
            let policy = Policy::from_toml(&text).map_err(|e| anyhow!("{}: {e}", file.display()))?;
            let mut c = store.creditor(&cid)?;
            let j = law.jurisdiction(c.jurisdiction)?;
            policy
                .validate(j, c.reminder_fee_agreed, today())
                .map_err(|e| anyhow!("{}: refused, the policy breaks these rules:\n  - {}", file.display(), e.join("\n  - ")))?;
            // Experiments follow the policy: a challenger added here starts one, one removed ends it.
            let (before, after) = (c.policy.challengers.clone(), policy.challengers.clone());
            c.policy = policy;
            store.tx(|s| {
                for ch in after.iter().filter(|n| !before.iter().any(|o| o.name == n.name)) {
                    s.start_experiment(&cid, ch)?;
                }
                for ch in before.iter().filter(|o| !after.iter().any(|n| n.name == o.name)) {
                    s.end_experiment(&cid, &ch.name, today(), "stopped")?;
                }
                s.save_creditor(&c)?;
                s.audit(&cid, "policy", "set", &format!("from {}", file.display()))
            })?;
            if json {
                println!("{}", json!({"creditor": cid, "policy": "updated", "file": file.display().to_string()}));
            } else {
                println!("Policy of {cid} updated from {}", file.display());
            }
            Ok(())
        }
        Cmd::Import { what: ImportWhat::History, file, currency, maps, date_format, features, mapping } => {
            let c = store.creditor(&cid)?;
            let saved = mapping.as_deref().map(model::MappingFile::read).transpose()?.unwrap_or_default();
            let mut all_maps = saved.maps();
            all_maps.extend(maps);
            let currency = match (currency, &saved.currency) {
                (Some(c), _) => c,
                (None, Some(code)) => code.parse().map_err(|e| anyhow!("{}: currency: {e}", mapping.as_deref().unwrap_or(file.as_path()).display()))?,
                (None, None) => c.currency,
            };
            let date_format = date_format.or(saved.date_format.clone()).unwrap_or_else(|| "%Y-%m-%d".into());
            let features = if features.is_empty() { saved.features.clone() } else { features };
            model::import_history(store, &cid, &file, currency, &model::Mapping { maps: &all_maps, date_format: &date_format, extra: &features }, json)
        }
        Cmd::Import { what, file, .. } => import(store, law, &cid, what, &file, json),
        Cmd::Model(m) => model::run(store, &cid, m, json),
        Cmd::Run { action: Some(RunAction::Revert { date, reason }), .. } => {
            let r = store.revert_run(&cid, law, date, &reason)?;
            if json {
                println!("{}", json!({"reverted": date, "actions": r.actions, "segment_changes": r.segment_changes, "reason": reason}));
            } else {
                println!("Run {date} reverted: {} steps and {} segment changes undone ({reason})", r.actions, r.segment_changes);
            }
            Ok(())
        }
        Cmd::Run { action: None, date, dry_run, allow_future } => run_day(store, law, &cid, date.unwrap_or_else(today), dry_run, allow_future, json),
        Cmd::Claim(ClaimCmd::Show { id }) => show::claim(store, law, &cid, &id, json),
        Cmd::Customer(CustomerCmd::Show { id }) => show::customer(store, &cid, &id, json),
        Cmd::Customer(CustomerCmd::Vip { id, off }) => {
            store.set_vip(&cid, &id, !off)?;
            if json {
                println!("{}", json!({"customer": id, "vip": !off}));
            } else {
                println!("Customer {id} {} (takes effect at the next run)", if off { "is no longer VIP" } else { "chosen as VIP" });
            }
            Ok(())
        }
        Cmd::Customer(CustomerCmd::Refund { id, amount, currency, date, note }) => {
            let amount = parse_minor(&amount).map_err(|e| anyhow!("--amount: {e}"))?;
            let date = date.unwrap_or_else(today);
            let (refund, left) = store.refund(&cid, law, &id, amount, currency, date, &note)?;
            if json {
                println!("{}", json!({"refund": refund, "customer": id, "amount": m(amount), "date": date, "credit_left": m(left)}));
            } else {
                println!("Refund {refund}: {} to {id} on {date}; credit left {}", m(amount), m(left));
            }
            Ok(())
        }
        Cmd::Pause(p) => pause(store, law, &cid, p, json),
        Cmd::Payments(p) => payments::run(store, law, &cid, p, json),
        Cmd::Strategy(c) => strategy::run(store, law, &cid, c, json),
        Cmd::Report { kind: ReportKind::Forecast, date, weeks, .. } => {
            fordra_core::limits::days("--weeks", weeks, 1, 104)?;
            model::forecast(store, &cid, date.unwrap_or_else(today), weeks, json)
        }
        Cmd::Report { kind, date, window, .. } => {
            fordra_core::limits::days("--window", window, 1, fordra_core::limits::MAX_DAYS)?;
            if let Some(d) = date {
                fordra_core::limits::date("--date", d)?;
            }
            show::report(store, &cid, matches!(kind, ReportKind::Aging), matches!(kind, ReportKind::Dso), date.unwrap_or_else(today), window, json)
        }
        _ => unreachable!("handled before opening the store"),
    }
}

fn import(store: &mut Store, law: &LawBook, cid: &str, what: ImportWhat, file: &std::path::Path, json: bool) -> Result<()> {
    let c = store.creditor(cid)?;
    let source = file.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
    let lang = match c.jurisdiction {
        JurisdictionCode::SE => "sv",
        JurisdictionCode::FI => "fi",
        JurisdictionCode::NO => "nb",
        JurisdictionCode::DK => "da",
        JurisdictionCode::EU => "en",
    };
    match what {
        ImportWhat::Customers => {
            let rows = csvin::customers(file, lang)?;
            let s = store.upsert_customers(cid, &rows)?;
            store.audit(cid, &format!("import:{source}"), "customers", &format!("{} created, {} updated, {} unchanged", s.created, s.updated, s.unchanged))?;
            if json {
                println!(
                    "{}",
                    json!({"file": file.display().to_string(), "rows": rows.len(), "created": s.created, "updated": s.updated, "unchanged": s.unchanged})
                );
            } else {
                println!("{}: {} customers: {} created, {} updated, {} unchanged", file.display(), rows.len(), s.created, s.updated, s.unchanged);
            }
        }
        ImportWhat::Invoices => {
            let rows = csvin::invoices(file, c.currency)?;
            let s = store.import_invoices(cid, law, &rows, &source)?;
            if json {
                println!(
                    "{}",
                    json!({"file": file.display().to_string(), "rows": rows.len(), "created": s.created, "settled": s.settled, "unchanged": s.unchanged})
                );
            } else {
                println!("{}: {} invoices: {} created, {} settled, {} unchanged", file.display(), rows.len(), s.created, s.settled, s.unchanged);
            }
        }
        ImportWhat::Payments => payments::import(store, law, cid, file, Some(payments::Format::Csv), false, json)?,
        ImportWhat::History => unreachable!("handled by model::import_history"),
    }
    Ok(())
}

fn run_day(store: &mut Store, law: &LawBook, cid: &str, date: NaiveDate, dry_run: bool, allow_future: bool, json: bool) -> Result<()> {
    let r = store.run_day_with(cid, law, date, dry_run, allow_future)?;
    let changes: Vec<_> = r.segment_changes().collect();
    if json {
        let actions: Vec<_> = r
            .actions
            .iter()
            .map(|a| json!({"claim": a.claim_id, "customer": a.customer_id, "segment": a.segment, "step": a.kind, "step_no": a.step_no, "channel": a.channel, "fee": m(a.fee_total()), "fees": a.fees.iter().map(|f| json!({"kind": f.kind, "amount": m(f.amount), "basis": f.basis})).collect::<Vec<_>>(), "interest": m(a.interest), "amount_to_pay": m(a.amount_to_pay), "deadline": a.deadline, "letter": a.letter, "skipped": a.skipped, "reason": a.reason, "arm": a.arm}))
            .collect();
        let out = json!({
            "date": date, "creditor": cid, "dry_run": dry_run, "open_claims": r.open_claims,
            "actions_created": if dry_run { 0 } else { r.actions.len() },
            "actions": actions,
            "segment_changes": changes.iter().map(|s| json!({"customer": s.customer_id, "from": s.previous, "to": s.segment, "reason": s.reason})).collect::<Vec<_>>(),
            "held": r.held.iter().map(|h| json!({"claim": h.claim_id, "reason": h.reason})).collect::<Vec<_>>(),
            "notes": r.notes,
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    println!(
        "Run {date} for {cid}{}: {} open claims, {} actions{}, {} segment changes, {} paused",
        if dry_run { " (dry run, nothing written)" } else { "" },
        r.open_claims,
        r.actions.len(),
        if dry_run { " would be created" } else { " created" },
        changes.len(),
        r.held.len()
    );
    for n in &r.notes {
        println!("note: {n}");
    }
    const SHOW: usize = 40;
    if !changes.is_empty() {
        let rows = changes
            .iter()
            .take(SHOW)
            .map(|s| vec![s.customer_id.clone(), s.previous.map(|p| p.to_string()).unwrap_or_else(|| "-".into()), s.segment.to_string(), s.reason.clone()])
            .collect();
        println!("{}", table(&["customer", "from", "to", "reason"], rows));
    }
    if !r.actions.is_empty() {
        let rows = r
            .actions
            .iter()
            .take(SHOW)
            .map(|a| {
                vec![
                    a.claim_id.clone(),
                    a.customer_id.clone(),
                    a.segment.to_string(),
                    if a.skipped { format!("{} (skipped)", a.kind) } else { a.kind.to_string() },
                    a.channel.to_string(),
                    m(a.fee_total()),
                    m(a.interest),
                    a.deadline.to_string(),
                    a.reason.clone(),
                ]
            })
            .collect();
        println!("{}", table(&["claim", "customer", "segment", "step", "channel", "fee", "interest", "deadline", "reason"], rows));
    }
    let hidden = r.actions.len().saturating_sub(SHOW) + changes.len().saturating_sub(SHOW);
    if hidden > 0 {
        println!("… {hidden} more rows (use --json for all)");
    }
    Ok(())
}

fn quote(law: &LawBook, q: QuoteArgs, json: bool) -> Result<()> {
    use fordra_core::quote::{quote, QuoteInput};
    let j = law.jurisdiction(q.jurisdiction)?;
    let currency = q.currency.unwrap_or(j.currency);
    let principal = parse_minor(&q.principal).map_err(|e| anyhow!("--principal: {e}"))?;
    fordra_core::limits::amount("--principal", principal, 1)?;
    let as_of = q.as_of.unwrap_or_else(today);
    fordra_core::limits::date("--due", q.due)?;
    fordra_core::limits::date("--as-of", as_of)?;
    if let Some(r) = q.contract_rate {
        if r < rust_decimal::Decimal::ZERO || r > rust_decimal::Decimal::from(100) {
            bail!("--contract-rate: {r} is outside 0..100 percent");
        }
    }
    let r = quote(
        law,
        &QuoteInput {
            jurisdiction: q.jurisdiction,
            debtor: q.debtor,
            principal,
            currency,
            due: q.due,
            as_of,
            steps: q.steps.clone(),
            reminder_fee_agreed: q.reminder_fee_agreed,
            contract_rate: q.contract_rate,
            collector: q.collector,
            demand: q.demand_date,
            instalments: q.instalments,
        },
    )
    .map_err(|e| anyhow!("{e}"))?;
    let interest_basis = r
        .interest_periods
        .iter()
        .map(|p| format!("{}..{} {} days × {}% on {}: {}", p.from, p.through, p.days, p.rate, m(p.principal_minor), p.basis))
        .collect::<Vec<_>>();
    if json {
        let out = json!({
            "jurisdiction": q.jurisdiction.upper(), "debtor": q.debtor, "currency": currency.code(),
            "principal": m(principal), "due": q.due, "as_of": as_of,
            "days_late": (as_of - q.due).num_days().max(0),
            "interest": m(r.interest),
            "interest_periods": r.interest_periods.iter().map(|p| json!({"from": p.from, "through": p.through, "days": p.days, "rate": p.rate.to_string(), "principal": m(p.principal_minor), "basis": p.basis})).collect::<Vec<_>>(),
            "fees": r.fees.iter().map(|f| json!({"kind": f.kind, "amount": m(f.amount), "basis": f.basis})).collect::<Vec<_>>(),
            "notes": r.notes,
            "fees_total": m(r.fees_total), "total": m(r.total),
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }
    let mut rows = vec![vec!["principal".to_string(), m(principal), format!("due {}", q.due)]];
    rows.push(vec!["late interest".into(), m(r.interest), interest_basis.join("\n")]);
    for f in &r.fees {
        rows.push(vec![f.kind.to_string(), m(f.amount), f.basis.clone()]);
    }
    rows.push(vec!["total".into(), m(r.total), format!("as of {as_of}, {currency}")]);
    println!("{}", table(&["line", "amount", "legal basis"], rows));
    for n in &r.notes {
        println!("note: {n}");
    }
    Ok(())
}

fn pause(store: &mut Store, law: &LawBook, cid: &str, p: PauseCmd, json: bool) -> Result<()> {
    match p {
        PauseCmd::Add { claim, customer, kind, from, until, reason, plan_fee, instalments } => {
            if plan_fee && kind != PauseKind::PaymentPlan {
                bail!("--plan-fee goes with --kind payment_plan");
            }
            let from = from.unwrap_or_else(today);
            let (id, fee) = store.add_pause(cid, law, claim.as_deref(), customer.as_deref(), kind, from, until, &reason, plan_fee, instalments)?;
            if json {
                println!("{}", json!({"pause": id, "kind": kind, "from": from, "until": until, "fee": m(fee)}));
            } else {
                println!(
                    "Pause {id}: {kind} from {from}{}{}",
                    until.map(|u| format!(" until {u}")).unwrap_or_else(|| " until resolved".into()),
                    if fee > 0 { format!(", plan fee {} charged", m(fee)) } else { String::new() }
                );
            }
        }
        PauseCmd::End { id, date, note } => {
            let date = date.unwrap_or_else(today);
            store.end_pause(cid, id, date, &note)?;
            if json {
                println!("{}", json!({"pause": id, "ended": date}));
            } else {
                println!("Pause {id} ended on {date}; handling resumes at the next run");
            }
        }
        PauseCmd::List => {
            let rows = store.pauses(cid)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
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
