//! Fordra's storage: one store over SQLite (the embedded default, a file) and PostgreSQL
//! (production, selected by URL). Every table is keyed by creditor (tenant). The operations here
//! load state for the pure core, call it, and write its decisions in one transaction each, so a
//! failed import or run leaves nothing half-done.

mod backend;
mod bank;
mod ml;
mod reconcile;
mod schema;
mod strategy;

pub use backend::{parse_day, Backend, Row, RowExt, RowRef, Val};
pub use bank::{
    digest as bank_digest, BankImport, BankPaymentResult, FileItem, PaymentReportRow, Reversal, ReversalTarget,
    StatusTotal,
};
use chrono::NaiveDate;
use fordra_core::domain::{Channel, ClaimStatus, DebtorKind, FeeKind, JurisdictionCode, PauseKind, Segment, StepKind};
use fordra_core::fees::{fees_for, FeeContext};
use fordra_core::law::LawBook;
use fordra_core::ledger::{Balances, EntryKind, Movement};
use fordra_core::limits;
use fordra_core::model::{FeeSpec, Policy};
use fordra_core::money::Currency;
use fordra_core::run::{daily_run, ClaimState, Creditor, CustomerState, DoneStep, Pause, RunResult};
use fordra_core::settle::PaymentKind;
pub use ml::ModelRow;
pub use reconcile::Reconciled;
pub use strategy::ExperimentRow;
// FxHash for the per-claim indexes built on every run (keys are our own ids).
use rustc_hash::FxHashMap as HashMap;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] postgres::Error),
    #[error("stored data: {0}")]
    Data(String),
    #[error("{0}")]
    Rule(String),
    /// No such entity (for this creditor).
    #[error("no {entity} '{id}'")]
    NotFound { entity: &'static str, id: String },
    /// A stored value is missing or malformed: the database holds what this version cannot read.
    #[error("stored data: table {table}, column {column}: {problem}")]
    Row { table: String, column: String, problem: String },
    /// What was asked conflicts with what is stored (an id taken, a run not the latest).
    #[error("{0}")]
    Conflict(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

pub struct Store {
    db: Box<dyn Backend>,
    in_tx: bool,
    /// Today, for the bounds that depend on it (no payment or run far in the future); the
    /// clock's date unless a test or simulation sets it.
    today: NaiveDate,
}

/// How a transaction starts.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TxMode {
    /// A write: SQLite takes the write lock at once (BEGIN IMMEDIATE), PostgreSQL locks the
    /// creditor's row when one is named, so writers of one creditor run one after the other and
    /// each reads what the one before it wrote.
    Write,
    /// A read of one consistent snapshot (dry runs and reports that read several tables).
    Read,
}

/// What `creditor update` may change.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CreditorChange {
    pub name: Option<String>,
    /// Some("") removes it.
    pub bankgiro: Option<String>,
    pub iban: Option<String>,
    pub reminder_fee_agreed: Option<bool>,
    pub jurisdiction: Option<JurisdictionCode>,
    pub currency: Option<Currency>,
}

/// Bounds on what a creditor row holds.
fn check_creditor(c: &Creditor) -> Result<()> {
    limits::id("creditor id", &c.id).map_err(input)?;
    limits::text("creditor name", &c.name, limits::MAX_NAME).map_err(input)?;
    if let Some(v) = &c.bankgiro {
        limits::text("bankgiro", v, limits::MAX_REFERENCE).map_err(input)?;
    }
    if let Some(v) = &c.iban {
        limits::text("iban", v, limits::MAX_NAME).map_err(input)?;
    }
    if c.contract_rate.is_some_and(|r| r < rust_decimal::Decimal::ZERO || r > rust_decimal::Decimal::from(100)) {
        return Err(StoreError::Rule("contract rate: must be between 0 and 100 percent".into()));
    }
    Ok(())
}

/// A value from outside that breaks its bounds.
fn input(e: limits::OutOfBounds) -> StoreError {
    StoreError::Rule(e.to_string())
}

/// A payment fact as a row for `insert_payment_rows`.
#[allow(clippy::too_many_arguments)]
fn payment_fact_row(
    creditor: &str,
    id: &str,
    claim: &str,
    customer: &str,
    date: NaiveDate,
    amount: i64,
    currency: Currency,
    kind: PaymentKind,
    bank_key: Option<&str>,
    source: &str,
) -> Vec<Val> {
    vec![
        creditor.into(),
        id.into(),
        claim.into(),
        customer.into(),
        date.into(),
        amount.into(),
        currency.code().into(),
        Val::T(None),
        Val::T(None),
        source.into(),
        reconcile::payment_kind_name(kind).into(),
        bank_key.into(),
    ]
}

fn fee_spec_name(f: FeeSpec) -> String {
    match f {
        FeeSpec::None => "none".into(),
        FeeSpec::Statutory => "statutory".into(),
        FeeSpec::Fixed(m) => fordra_core::money::format_minor(m),
    }
}

/// Bounds on a customer from outside.
fn check_customer(c: &CustomerRow) -> Result<()> {
    limits::id("customer id", &c.id).map_err(input)?;
    limits::text("name", &c.name, limits::MAX_NAME).map_err(input)?;
    limits::text("language", &c.language, 8).map_err(input)?;
    for (field, v, max) in [
        ("email", &c.email, 254),
        ("phone", &c.phone, 32),
        ("address", &c.address, limits::MAX_NAME),
        ("org_no", &c.org_no, 32),
    ] {
        if let Some(v) = v {
            limits::text(field, v, max).map_err(input)?;
        }
    }
    if let Some(score) = c.credit_score {
        limits::days("credit_score", i64::from(score), 0, 100).map_err(input)?;
    }
    if let Some(d) = c.credit_score_date {
        limits::date("credit_score_date", d).map_err(input)?;
    }
    Ok(())
}

/// A customer (debtor) as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerRow {
    pub id: String,
    pub name: String,
    pub kind: DebtorKind,
    pub language: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub address: Option<String>,
    pub org_no: Option<String>,
    pub credit_score: Option<i32>,
    pub credit_score_date: Option<NaiveDate>,
    pub vip: bool,
    pub segment: Option<Segment>,
    pub segment_reason: Option<String>,
    /// A reminder fee agreed with this debtor (None: the creditor's general terms) and the date
    /// of the agreement (a fee only on claims that arose on or after it).
    pub reminder_fee_agreed: Option<bool>,
    pub reminder_fee_agreed_on: Option<NaiveDate>,
}

/// An invoice to import; `paid_date` marks a historical invoice already settled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvoiceRow {
    pub line: usize,
    pub id: String,
    pub customer_id: String,
    pub invoice_number: String,
    pub issue_date: NaiveDate,
    pub due_date: NaiveDate,
    pub currency: Currency,
    pub amount: i64,
    pub paid_date: Option<NaiveDate>,
    /// The payment reference (OCR/viitenumero/KID/RF); made from the invoice number by the
    /// creditor's scheme when absent.
    pub reference: Option<String>,
    /// The due date was agreed in advance (the usual case); if not, interest starts 30 days
    /// after `demand_date` (default: the issue date), the demand stating that interest is charged.
    pub due_date_agreed: bool,
    pub demand_date: Option<NaiveDate>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentRow {
    pub line: usize,
    pub id: String,
    pub claim_id: String,
    pub date: NaiveDate,
    pub amount: i64,
    pub currency: Currency,
    pub reference: Option<String>,
    pub payer: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportSummary {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub settled: usize,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PaymentResult {
    pub id: String,
    pub claim_id: String,
    pub date: NaiveDate,
    pub amount: i64,
    pub status: String,
    pub allocated: Vec<(String, i64)>,
    pub credit: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ClaimRow {
    pub id: String,
    pub customer_id: String,
    pub invoice_number: String,
    pub issue_date: NaiveDate,
    pub due_date: NaiveDate,
    pub currency: Currency,
    pub principal: i64,
    pub status: ClaimStatus,
    pub settled_date: Option<NaiveDate>,
    pub reference: Option<String>,
    /// The due date was not agreed in advance: interest runs from 30 days after this demand.
    pub demand: Option<NaiveDate>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LedgerRow {
    pub id: i64,
    pub claim_id: String,
    pub date: NaiveDate,
    pub kind: String,
    pub component: Option<String>,
    pub amount: i64,
    pub currency: String,
    pub reference: String,
    pub memo: String,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ActionRow {
    pub claim_id: String,
    pub customer_id: String,
    pub seq: i64,
    pub step_no: i64,
    pub kind: StepKind,
    pub segment: Segment,
    pub date: NaiveDate,
    pub deadline: NaiveDate,
    pub channel: Channel,
    pub letter: Option<String>,
    pub fee: i64,
    pub interest: i64,
    pub open_after: i64,
    pub skipped: bool,
    pub reason: String,
    /// The experiment arm that decided the step, if any.
    pub arm: Option<String>,
    /// What the letter asked for to settle by the deadline.
    pub amount_to_pay: Option<i64>,
    /// Set when the step's run was reverted (the reason).
    pub reverted: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PauseRow {
    pub id: i64,
    pub claim_id: Option<String>,
    pub customer_id: String,
    pub pause: Pause,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SegmentChangeRow {
    pub customer_id: String,
    pub date: NaiveDate,
    pub from: Option<Segment>,
    pub to: Segment,
    pub reason: String,
}

/// What a run wrote.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RunRecord {
    pub date: NaiveDate,
    pub actions: i64,
    pub segment_changes: i64,
}

pub use fordra_core::report::ClaimFacts as ReportClaim;

/// A customer id with its current segment and kind, for reports.
pub type SegmentedCustomer = (String, Option<Segment>, DebtorKind);

/// What the core needs for a run, as loaded from the store.
pub struct RunState {
    pub customers: Vec<CustomerState>,
    pub claims: Vec<ClaimState>,
    /// Each customer's stored segment reason (same order as `customers`).
    pub stored_reasons: Vec<Option<String>>,
    /// What the run should know that is not a decision (e.g. a rule left out).
    pub notes: Vec<String>,
}

const CLAIM_COLS: &str =
    "id, customer_id, invoice_number, issue_date, due_date, currency, principal, status, settled_date, reference, due_date_agreed, demand_date";

fn claim_row(r: &Row) -> Result<ClaimRow> {
    Ok(ClaimRow {
        id: r.t(0),
        customer_id: r.t(1),
        invoice_number: r.t(2),
        issue_date: r.date(3),
        due_date: r.date(4),
        currency: r.t(5).parse().map_err(StoreError::Data)?,
        principal: r.i(6),
        status: col("claims", "status", r.ot(7).as_deref())?,
        settled_date: r.odate(8),
        reference: r.ot(9),
        demand: demand_of(r.oi(10), r.odate(11), r.date(3)),
    })
}

fn claim_row_ref(r: &dyn RowRef) -> Result<ClaimRow> {
    let day = |i: usize| r.day(i).ok_or_else(|| StoreError::Data(format!("bad date in column {i}")));
    Ok(ClaimRow {
        id: r.str(0).unwrap_or("").to_string(),
        customer_id: r.str(1).unwrap_or("").to_string(),
        invoice_number: r.str(2).unwrap_or("").to_string(),
        issue_date: day(3)?,
        due_date: day(4)?,
        currency: r.str(5).unwrap_or("").parse().map_err(StoreError::Data)?,
        principal: r.int(6).unwrap_or(0),
        status: col("claims", "status", r.str(7))?,
        settled_date: r.day(8),
        reference: r.str(9).map(str::to_string),
        demand: r.day(3).and_then(|issue| demand_of(r.int(10), r.day(11), issue)),
    })
}

/// The demand an invoice's interest counts from when its due date was not agreed in advance
/// (`due_date_agreed` = 0): the stored demand date, else the invoice date.
pub(crate) fn demand_of(
    due_date_agreed: Option<i64>,
    demand_date: Option<NaiveDate>,
    issue: NaiveDate,
) -> Option<NaiveDate> {
    (due_date_agreed == Some(0)).then(|| demand_date.unwrap_or(issue))
}

fn parse<T: std::str::FromStr<Err = String>>(s: &str) -> Result<T> {
    s.parse().map_err(StoreError::Data)
}

/// A stored text column read as a typed value; a malformed value names its table and column.
fn col<T: std::str::FromStr<Err = String>>(table: &str, column: &str, v: Option<&str>) -> Result<T> {
    let v =
        v.ok_or_else(|| StoreError::Row { table: table.into(), column: column.into(), problem: "missing".into() })?;
    v.parse().map_err(|e| StoreError::Row { table: table.into(), column: column.into(), problem: e })
}

fn bad(msg: impl Into<String>) -> StoreError {
    StoreError::Rule(msg.into())
}

impl Store {
    /// Opens an existing store: `postgres://…` / `postgresql://…` for PostgreSQL, otherwise a
    /// SQLite file path (optionally `sqlite://path` or `sqlite:path`). A SQLite file that does not
    /// exist, or a database Fordra has never initialised, is an error: a mistyped path must not
    /// quietly become a new, empty database. Applies pending migrations.
    pub fn open(url: &str) -> Result<Store> {
        Store::connect(url, false)
    }

    /// Opens a store, creating the SQLite file or the schema if need be (`demo`, `creditor add`).
    pub fn create(url: &str) -> Result<Store> {
        Store::connect(url, true)
    }

    fn connect(url: &str, create: bool) -> Result<Store> {
        let db: Box<dyn Backend> = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Box::new(backend::Postgres(postgres::Client::connect(url, postgres::NoTls)?))
        } else {
            let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
            if !create && !std::path::Path::new(path).exists() {
                return Err(StoreError::NotFound { entity: "database at", id: path.to_string() });
            }
            let conn = rusqlite::Connection::open(path)?;
            // A writer waits up to a minute for another (a run on a million claims takes seconds).
            conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 60000; PRAGMA cache_size = -200000; PRAGMA mmap_size = 4294967296;")?;
            Box::new(backend::Sqlite(conn))
        };
        let mut s = Store { db, in_tx: false, today: chrono::Local::now().date_naive() };
        if !create && !s.has_schema()? {
            return Err(StoreError::NotFound { entity: "Fordra database at", id: url.to_string() });
        }
        s.migrate()?;
        Ok(s)
    }

    fn has_schema(&mut self) -> Result<bool> {
        let sql = if self.db.name() == "postgres" {
            "SELECT 1 FROM information_schema.tables WHERE table_name = 'schema_migrations'"
        } else {
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
        };
        Ok(!self.db.query(sql, &[])?.is_empty())
    }

    /// Today as the store's bounds see it.
    pub fn today(&self) -> NaiveDate {
        self.today
    }

    /// Sets today (tests, simulations and the demo, which replay days).
    pub fn set_today(&mut self, d: NaiveDate) {
        self.today = d;
    }

    pub fn backend(&self) -> &'static str {
        self.db.name()
    }

    fn migrate(&mut self) -> Result<()> {
        self.db
            .batch("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL)")?;
        let done: Vec<i64> =
            self.db.query("SELECT version FROM schema_migrations", &[])?.iter().map(|r| r.i(0)).collect();
        for (version, name, sql) in schema::MIGRATIONS {
            if done.contains(version) {
                continue;
            }
            self.tx(|s| {
                s.db.batch(&schema::render(sql, s.db.name()))?;
                if *version == 5 {
                    s.facts_from_entries()?;
                }
                s.db.exec(
                    "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                    &[(*version).into(), (*name).into()],
                )?;
                Ok(())
            })?;
        }
        Ok(())
    }

    /// Migration 5: the facts the ledger of record needs, recovered from the entries written
    /// before (a step's fees, a plan fee, a payment's reversal, a bank payment's key).
    fn facts_from_entries(&mut self) -> Result<()> {
        let mut fees: HashMap<String, Vec<fordra_core::fees::FeeLine>> = HashMap::default();
        for r in self.db.query(
            "SELECT creditor_id, reference, kind, amount, memo FROM ledger WHERE kind LIKE 'fee:%' ORDER BY id",
            &[],
        )? {
            let kind = match r.t(2).parse::<EntryKind>() {
                Ok(EntryKind::Fee(k)) => k,
                _ => continue,
            };
            fees.entry(format!("{}\u{0}{}", r.t(0), r.t(1))).or_default().push(fordra_core::fees::FeeLine {
                kind,
                amount: r.i(3),
                basis: r.t(4),
            });
        }
        let mut actions = Vec::new();
        let mut pauses = Vec::new();
        for (key, lines) in &fees {
            let Some((creditor, reference)) = key.split_once('\u{0}') else { continue };
            let json = reconcile::fee_lines_json(lines);
            if let Some(rest) = reference.strip_prefix("action:") {
                if let Some((claim, seq)) = rest.rsplit_once(':') {
                    actions.push(vec![
                        json.into(),
                        creditor.into(),
                        claim.into(),
                        seq.parse::<i64>().unwrap_or(0).into(),
                    ]);
                }
            } else if let Some(id) = reference.strip_prefix("pause:") {
                pauses.push(vec![json.into(), creditor.into(), id.parse::<i64>().unwrap_or(0).into()]);
            }
        }
        self.db.exec_many(
            "UPDATE actions SET fees = $1 WHERE creditor_id = $2 AND claim_id = $3 AND seq = $4",
            &mut actions.into_iter(),
        )?;
        self.db
            .exec_many("UPDATE pauses SET plan_fee = $1 WHERE creditor_id = $2 AND id = $3", &mut pauses.into_iter())?;
        let mut reversed = Vec::new();
        for r in self.db.query("SELECT creditor_id, reference, MIN(date) FROM ledger WHERE reference LIKE 'reversal:%' GROUP BY creditor_id, reference", &[])? {
            if let Some(id) = r.t(1).strip_prefix("reversal:") {
                reversed.push(vec![r.t(2).into(), r.t(0).into(), id.into()]);
            }
        }
        self.db.exec_many(
            "UPDATE payments SET reversed_on = $1 WHERE creditor_id = $2 AND id = $3",
            &mut reversed.into_iter(),
        )?;
        let mut keys = Vec::new();
        for r in self.db.query(
            "SELECT creditor_id, key, claims FROM bank_payments WHERE status IN ('matched', 'assigned', 'reversed')",
            &[],
        )? {
            let parts: Vec<(String, i64)> = serde_json::from_str(&r.t(2)).unwrap_or_default();
            let ids: Vec<String> = if parts.len() <= 1 {
                vec![r.t(1)]
            } else {
                (1..=parts.len()).map(|n| format!("{}#{n}", r.t(1))).collect()
            };
            for id in ids {
                keys.push(vec![r.t(1).into(), r.t(0).into(), id.into()]);
            }
        }
        self.db
            .exec_many("UPDATE payments SET bank_key = $1 WHERE creditor_id = $2 AND id = $3", &mut keys.into_iter())?;
        // Invoice files' paid dates: a history row settled without interest, a re-import with it.
        self.db.exec(
            "UPDATE payments SET kind = 'history' WHERE id LIKE 'settled:%' AND source NOT LIKE '% (paid date)'",
            &[],
        )?;
        self.db.exec(
            "UPDATE payments SET kind = 'settled' WHERE id LIKE 'settled:%' AND source LIKE '% (paid date)'",
            &[],
        )?;
        Ok(())
    }

    /// Runs `f` in one transaction: everything or nothing.
    pub fn tx<T>(&mut self, f: impl FnOnce(&mut Store) -> Result<T>) -> Result<T> {
        self.transaction(TxMode::Write, None, false, f)
    }

    /// Runs `f` in one write transaction for `creditor`, which must exist: writers of one
    /// creditor are serialised (a run and a payment import at once give the serial result).
    pub fn write_tx<T>(&mut self, creditor: &str, f: impl FnOnce(&mut Store) -> Result<T>) -> Result<T> {
        self.transaction(TxMode::Write, Some(creditor), false, f)
    }

    /// Runs `f` in one transaction, committed on success unless `rollback` (a dry run);
    /// rolled back on error. Nested calls join the open transaction.
    pub(crate) fn tx_or_rollback<T>(
        &mut self,
        creditor: &str,
        rollback: bool,
        f: impl FnOnce(&mut Store) -> Result<T>,
    ) -> Result<T> {
        self.transaction(TxMode::Write, Some(creditor), rollback, f)
    }

    /// Runs `f` on one consistent snapshot, writing nothing.
    pub fn read_tx<T>(&mut self, f: impl FnOnce(&mut Store) -> Result<T>) -> Result<T> {
        self.transaction(TxMode::Read, None, true, f)
    }

    fn transaction<T>(
        &mut self,
        mode: TxMode,
        creditor: Option<&str>,
        rollback: bool,
        f: impl FnOnce(&mut Store) -> Result<T>,
    ) -> Result<T> {
        if self.in_tx {
            if let Some(c) = creditor {
                self.lock_creditor(c)?;
            }
            return f(self);
        }
        let begin = match (mode, self.db.name()) {
            (TxMode::Write, "sqlite") => "BEGIN IMMEDIATE",
            (TxMode::Read, "postgres") => "BEGIN ISOLATION LEVEL REPEATABLE READ",
            _ => "BEGIN",
        };
        self.db.batch(begin)?;
        self.in_tx = true;
        let r = match creditor {
            Some(c) => self.lock_creditor(c).and_then(|_| f(self)),
            None => f(self),
        };
        self.in_tx = false;
        match r {
            Ok(v) if !rollback => {
                self.db.batch("COMMIT")?;
                Ok(v)
            }
            other => {
                let _ = self.db.batch("ROLLBACK");
                other
            }
        }
    }

    /// Takes the creditor's lock (PostgreSQL: its row; SQLite holds the database's write lock
    /// already) and checks that it exists.
    fn lock_creditor(&mut self, creditor: &str) -> Result<()> {
        let sql = if self.db.name() == "postgres" {
            "SELECT id FROM creditors WHERE id = $1 FOR UPDATE"
        } else {
            "SELECT id FROM creditors WHERE id = $1"
        };
        if self.db.query(sql, &[creditor.into()])?.is_empty() {
            return Err(StoreError::NotFound { entity: "creditor", id: creditor.to_string() });
        }
        Ok(())
    }

    pub fn audit(&mut self, creditor: &str, subject: &str, event: &str, detail: &str) -> Result<()> {
        self.db.exec(
            "INSERT INTO audit (creditor_id, subject, event, detail) VALUES ($1, $2, $3, $4)",
            &[creditor.into(), subject.into(), event.into(), detail.into()],
        )?;
        Ok(())
    }

    pub fn audit_log(&mut self, creditor: &str) -> Result<Vec<(String, String, String)>> {
        Ok(self
            .db
            .query("SELECT subject, event, detail FROM audit WHERE creditor_id = $1 ORDER BY id", &[creditor.into()])?
            .iter()
            .map(|r| (r.t(0), r.t(1), r.t(2)))
            .collect())
    }

    // ----- creditors -------------------------------------------------------------------------

    /// Stores a creditor, replacing one with the same id (the demo, policy changes); `creditor
    /// add` uses [`Store::create_creditor`], which never replaces.
    pub fn save_creditor(&mut self, c: &Creditor) -> Result<()> {
        check_creditor(c)?;
        let params: Vec<Val> = vec![
            (&c.id).into(),
            (&c.name).into(),
            c.jurisdiction.upper().into(),
            c.currency.code().into(),
            c.reminder_fee_agreed.into(),
            c.charge_interest.into(),
            c.contract_rate.map(|r| r.to_string()).into(),
            c.bankgiro.clone().into(),
            c.iban.clone().into(),
            c.policy.to_toml().into(),
            c.reference_scheme.map(|x| x.name()).into(),
        ];
        self.tx(|s| {
            s.db.exec(
                "INSERT INTO creditors (id, name, jurisdiction, currency, reminder_fee_agreed, charge_interest, contract_rate, bankgiro, iban, policy, reference_scheme) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, jurisdiction = excluded.jurisdiction, currency = excluded.currency, reminder_fee_agreed = excluded.reminder_fee_agreed, \
                 charge_interest = excluded.charge_interest, contract_rate = excluded.contract_rate, bankgiro = excluded.bankgiro, iban = excluded.iban, policy = excluded.policy, reference_scheme = excluded.reference_scheme",
                &params,
            )?;
            s.audit(&c.id, "creditor", "saved", &format!("jurisdiction {}, currency {}, reminder fees agreed: {}, interest: {}", c.jurisdiction.upper(), c.currency, c.reminder_fee_agreed, c.charge_interest))
        })
    }

    /// Adds a creditor. The same creditor again changes nothing (false); another creditor with
    /// the same id is refused: an existing creditor is changed with [`Store::update_creditor`].
    pub fn create_creditor(&mut self, c: &Creditor) -> Result<bool> {
        check_creditor(c)?;
        self.tx(|s| {
            if let Some(old) = s.find_creditor(&c.id)? {
                if old == *c {
                    return Ok(false);
                }
                return Err(StoreError::Conflict(format!(
                    "creditor '{}' already exists ({}, {} law, {}): change it with creditor update",
                    c.id,
                    old.name,
                    old.jurisdiction.upper(),
                    old.currency
                )));
            }
            s.save_creditor(c)?;
            Ok(true)
        })
    }

    /// Changes a creditor's name, contact and account data and fee agreement. Law and currency
    /// cannot change under existing claims (their ledgers were computed under them).
    pub fn update_creditor(&mut self, id: &str, change: &CreditorChange) -> Result<Creditor> {
        self.write_tx(id, |s| {
            let mut c = s.creditor(id)?;
            let before = c.clone();
            if let Some(n) = &change.name {
                c.name = n.clone();
            }
            if let Some(b) = &change.bankgiro {
                c.bankgiro = Some(b.clone()).filter(|x| !x.is_empty());
            }
            if let Some(i) = &change.iban {
                c.iban = Some(i.clone()).filter(|x| !x.is_empty());
            }
            if let Some(a) = change.reminder_fee_agreed {
                c.reminder_fee_agreed = a;
            }
            if let Some(j) = change.jurisdiction {
                c.jurisdiction = j;
            }
            if let Some(cur) = change.currency {
                c.currency = cur;
            }
            let law_changed = c.jurisdiction != before.jurisdiction || c.currency != before.currency;
            if law_changed
                && !s.db.query("SELECT 1 FROM claims WHERE creditor_id = $1 LIMIT 1", &[id.into()])?.is_empty()
            {
                return Err(StoreError::Conflict(format!(
                    "creditor '{id}' has claims under {} law in {}: its jurisdiction and currency cannot change",
                    before.jurisdiction.upper(),
                    before.currency
                )));
            }
            if c != before {
                s.save_creditor(&c)?;
            }
            Ok(c)
        })
    }

    fn find_creditor(&mut self, id: &str) -> Result<Option<Creditor>> {
        match self.creditor(id) {
            Ok(c) => Ok(Some(c)),
            Err(StoreError::NotFound { .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    pub fn creditor(&mut self, id: &str) -> Result<Creditor> {
        let rows = self.db.query(
            "SELECT id, name, jurisdiction, currency, reminder_fee_agreed, charge_interest, contract_rate, bankgiro, iban, policy, reference_scheme FROM creditors WHERE id = $1",
            &[id.into()],
        )?;
        let r = rows.first().ok_or_else(|| StoreError::NotFound { entity: "creditor", id: id.to_string() })?;
        Ok(Creditor {
            id: r.t(0),
            name: r.t(1),
            jurisdiction: parse::<JurisdictionCode>(&r.t(2))?,
            currency: parse(&r.t(3))?,
            reminder_fee_agreed: r.i(4) != 0,
            charge_interest: r.i(5) != 0,
            contract_rate: r
                .ot(6)
                .map(|s| s.parse().map_err(|e| StoreError::Data(format!("contract rate: {e}"))))
                .transpose()?,
            bankgiro: r.ot(7),
            iban: r.ot(8),
            policy: Policy::from_toml(&r.t(9)).map_err(|e| StoreError::Data(format!("policy of {id}: {e}")))?,
            reference_scheme: r.ot(10).map(|x| parse(&x)).transpose()?,
        })
    }

    pub fn creditor_ids(&mut self) -> Result<Vec<String>> {
        Ok(self.db.query("SELECT id FROM creditors ORDER BY id", &[])?.iter().map(|r| r.t(0)).collect())
    }

    /// Removes a creditor and all its data (used by `fordra demo` to start afresh).
    pub fn delete_creditor(&mut self, id: &str) -> Result<()> {
        self.tx(|s| {
            for t in [
                "refunds",
                "run_reverts",
                "ar_history",
                "models",
                "experiment_arms",
                "experiments",
                "audit",
                "runs",
                "payment_files",
                "bank_payments",
                "payments",
                "pauses",
                "segment_changes",
                "actions",
                "ledger",
                "claims",
                "customers",
                "creditors",
            ] {
                let col = if t == "creditors" { "id" } else { "creditor_id" };
                s.db.exec(&format!("DELETE FROM {t} WHERE {col} = $1"), &[id.into()])?;
            }
            Ok(())
        })
    }

    // ----- customers -------------------------------------------------------------------------

    /// Inserts or updates customers (contact data, credit score, VIP flag); segment is kept.
    /// A customer listed twice is refused, like a value out of its bounds.
    pub fn upsert_customers(&mut self, creditor: &str, rows: &[CustomerRow]) -> Result<ImportSummary> {
        let mut seen: HashMap<&str, usize> = HashMap::default();
        for (i, c) in rows.iter().enumerate() {
            check_customer(c)?;
            if let Some(first) = seen.insert(c.id.as_str(), i + 1) {
                return Err(bad(format!("customer '{}' appears twice (rows {first} and {})", c.id, i + 1)));
            }
        }
        self.write_tx(creditor, |s| {
            let existing: HashMap<String, Row> = s
                .db
                .query(
                    "SELECT id, name, kind, language, email, phone, address, org_no, credit_score, credit_score_date, vip, reminder_fee_agreed, reminder_fee_agreed_on FROM customers WHERE creditor_id = $1",
                    &[creditor.into()],
                )?
                .into_iter()
                .map(|r| (r.t(0), r))
                .collect();
            let mut sum = ImportSummary::default();
            let mut changed = Vec::new();
            for c in rows {
                let vals: Vec<Val> = vec![
                    creditor.into(),
                    (&c.id).into(),
                    (&c.name).into(),
                    c.kind.as_str().into(),
                    (&c.language).into(),
                    c.email.clone().into(),
                    c.phone.clone().into(),
                    c.address.clone().into(),
                    c.org_no.clone().into(),
                    c.credit_score.map(i64::from).into(),
                    c.credit_score_date.into(),
                    c.vip.into(),
                    c.reminder_fee_agreed.map(i64::from).into(),
                    c.reminder_fee_agreed_on.into(),
                ];
                // A file without the fee-agreement columns keeps what is stored.
                let same = |old: &Row| {
                    old[1..11] == vals[2..12]
                        && (c.reminder_fee_agreed.is_none() || old[11] == vals[12])
                        && (c.reminder_fee_agreed_on.is_none() || old[12] == vals[13])
                };
                match existing.get(&c.id) {
                    Some(old) if same(old) => sum.unchanged += 1,
                    Some(_) => {
                        sum.updated += 1;
                        changed.push(vals)
                    }
                    None => {
                        sum.created += 1;
                        changed.push(vals)
                    }
                }
            }
            s.db.exec_many(
                "INSERT INTO customers (creditor_id, id, name, kind, language, email, phone, address, org_no, credit_score, credit_score_date, vip, reminder_fee_agreed, reminder_fee_agreed_on) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) \
                 ON CONFLICT (creditor_id, id) DO UPDATE SET name = excluded.name, kind = excluded.kind, language = excluded.language, email = excluded.email, phone = excluded.phone, \
                 address = excluded.address, org_no = excluded.org_no, credit_score = excluded.credit_score, credit_score_date = excluded.credit_score_date, vip = excluded.vip, \
                 reminder_fee_agreed = COALESCE(excluded.reminder_fee_agreed, customers.reminder_fee_agreed), \
                 reminder_fee_agreed_on = COALESCE(excluded.reminder_fee_agreed_on, customers.reminder_fee_agreed_on)",
                &mut changed.into_iter(),
            )?;
            Ok(sum)
        })
    }

    pub fn customer(&mut self, creditor: &str, id: &str) -> Result<CustomerRow> {
        let rows = self.db.query(
            "SELECT id, name, kind, language, email, phone, address, org_no, credit_score, credit_score_date, vip, segment, segment_reason, reminder_fee_agreed, reminder_fee_agreed_on FROM customers WHERE creditor_id = $1 AND id = $2",
            &[creditor.into(), id.into()],
        )?;
        let r = rows.first().ok_or_else(|| StoreError::NotFound { entity: "customer", id: id.to_string() })?;
        Ok(CustomerRow {
            reminder_fee_agreed: r.oi(13).map(|x| x != 0),
            reminder_fee_agreed_on: r.odate(14),
            id: r.t(0),
            name: r.t(1),
            kind: parse(&r.t(2))?,
            language: r.t(3),
            email: r.ot(4),
            phone: r.ot(5),
            address: r.ot(6),
            org_no: r.ot(7),
            credit_score: r.oi(8).map(|x| x as i32),
            credit_score_date: r.odate(9),
            vip: r.i(10) != 0,
            segment: r.ot(11).map(|s| parse(&s)).transpose()?,
            segment_reason: r.ot(12),
        })
    }

    pub fn customer_ids(&mut self, creditor: &str) -> Result<Vec<String>> {
        Ok(self
            .db
            .query("SELECT id FROM customers WHERE creditor_id = $1", &[creditor.into()])?
            .iter()
            .map(|r| r.t(0))
            .collect())
    }

    pub fn set_vip(&mut self, creditor: &str, customer: &str, vip: bool) -> Result<()> {
        self.tx(|s| {
            if s.db.exec(
                "UPDATE customers SET vip = $1 WHERE creditor_id = $2 AND id = $3",
                &[vip.into(), creditor.into(), customer.into()],
            )? == 0
            {
                return Err(StoreError::NotFound { entity: "customer", id: customer.to_string() });
            }
            s.audit(
                creditor,
                &format!("customer:{customer}"),
                "vip",
                if vip { "chosen as VIP by the creditor" } else { "VIP choice removed by the creditor" },
            )
        })
    }

    // ----- claims ----------------------------------------------------------------------------

    /// Imports invoices as claims. Identical re-imports change nothing; a known invoice that now
    /// has a paid date is settled; a known invoice with other amount, dates or customer is refused;
    /// a payment reference already used by another claim is refused (one debtor's payment must
    /// never settle another's claim).
    pub fn import_invoices(
        &mut self,
        creditor_id: &str,
        law: &LawBook,
        rows: &[InvoiceRow],
        source: &str,
    ) -> Result<ImportSummary> {
        let today = self.today;
        self.write_tx(creditor_id, |s| {
            let creditor = s.creditor(creditor_id)?;
            let j = law.jurisdiction(creditor.jurisdiction).map_err(|e| bad(e.to_string()))?;
            let customers: HashMap<String, DebtorKind> = s.db.query("SELECT id, kind FROM customers WHERE creditor_id = $1", &[creditor_id.into()])?.into_iter().map(|r| (r.t(0), r.t(1).parse().unwrap_or(DebtorKind::Consumer))).collect();
            if j.business_only {
                if let Some(r) = rows.iter().find(|r| customers.get(&r.customer_id) == Some(&DebtorKind::Consumer)) {
                    return Err(bad(format!(
                        "{source}: line {}: invoice {} is to consumer {}: the {} tables apply between businesses only; a consumer claim falls under the law of the consumer's country",
                        r.line, r.id, r.customer_id, j.code.upper()
                    )));
                }
            }
            // Only the claims and references this file names are read: a daily file must not
            // cost a scan of every claim ever imported.
            let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
            let mut existing: HashMap<String, ClaimRow> = HashMap::default();
            s.each_in(&format!("SELECT {CLAIM_COLS} FROM claims WHERE creditor_id = $1 AND id IN ({{ids}})"), &[creditor_id.into()], &ids, &mut |r| {
                let c = claim_row_ref(r)?;
                existing.insert(c.id.clone(), c);
                Ok(())
            })?;
            let wanted: Vec<String> = rows
                .iter()
                .filter(|r| !existing.contains_key(&r.id))
                .filter_map(|r| r.reference.clone().or_else(|| creditor.reference_scheme.and_then(|sch| fordra_core::reference::make(sch, &r.invoice_number).ok())))
                .flat_map(|x| {
                    let n = fordra_core::reference::normalize(&x);
                    if n == x {
                        vec![x]
                    } else {
                        vec![x, n]
                    }
                })
                .collect();
            let mut references: HashMap<String, String> = HashMap::default();
            s.each_in("SELECT reference, id FROM claims WHERE creditor_id = $1 AND reference IN ({ids})", &[creditor_id.into()], &wanted, &mut |r| {
                references.insert(fordra_core::reference::normalize(r.str(0).unwrap_or("")), r.str(1).unwrap_or("").to_string());
                Ok(())
            })?;
            let mut sum = ImportSummary::default();
            let mut new_claims = Vec::new();
            let mut payments = Vec::new();
            let mut touched: Vec<String> = Vec::new();
            let mut seen = HashMap::default();
            for r in rows {
                let at = |col: &str, e: limits::OutOfBounds| bad(format!("{source}: line {}: column {col}: {}", r.line, e.problem));
                limits::id("id", &r.id).map_err(|e| at("id", e))?;
                limits::text("invoice_number", &r.invoice_number, limits::MAX_ID).map_err(|e| at("invoice_number", e))?;
                limits::amount("amount", r.amount, 1).map_err(|e| at("amount", e))?;
                limits::date("issue_date", r.issue_date).map_err(|e| at("issue_date", e))?;
                limits::date("due_date", r.due_date).map_err(|e| at("due_date", e))?;
                if let Some(p) = r.paid_date {
                    limits::past_date("paid_date", p, today).map_err(|e| at("paid_date", e))?;
                }
                if let Some(first) = seen.insert(r.id.clone(), r.line) {
                    return Err(bad(format!("{source}: line {}: column id: invoice '{}' appears twice (first on line {first})", r.line, r.id)));
                }
                if !customers.contains_key(&r.customer_id) {
                    return Err(bad(format!("{source}: line {}: column customer_id: unknown customer '{}' (import customers first)", r.line, r.customer_id)));
                }
                if let Some(old) = existing.get(&r.id) {
                    let same = old.customer_id == r.customer_id && old.due_date == r.due_date && old.principal == r.amount && old.currency == r.currency && old.issue_date == r.issue_date;
                    if !same {
                        return Err(bad(format!(
                            "{source}: line {}: invoice '{}' already exists with other data (customer {}, due {}, amount {} {}); corrections are made with credit notes, not by re-import",
                            r.line,
                            r.id,
                            old.customer_id,
                            old.due_date,
                            fordra_core::money::format_minor(old.principal),
                            old.currency
                        )));
                    }
                    match (r.paid_date, old.status.as_str()) {
                        (Some(p), "open") => {
                            let open = s.amount_due(&creditor, law, &r.id, p)?;
                            payments.push(payment_fact_row(creditor_id, &format!("settled:{}", r.id), &r.id, &r.customer_id, p, open, r.currency, PaymentKind::Settled { interest: true }, None, &format!("{source} (paid date)")));
                            touched.push(r.customer_id.clone());
                            sum.settled += 1
                        }
                        _ => sum.unchanged += 1,
                    }
                    continue;
                }
                if r.due_date < r.issue_date {
                    return Err(bad(format!("{source}: line {}: column due_date: {} is before the invoice date {}", r.line, r.due_date, r.issue_date)));
                }
                if r.paid_date.is_some_and(|p| p < r.issue_date) {
                    return Err(bad(format!("{source}: line {}: column paid_date: is before the invoice date", r.line)));
                }
                // Stored without spaces, as matching compares them.
                let reference = r
                    .reference
                    .clone()
                    .or_else(|| creditor.reference_scheme.and_then(|sch| fordra_core::reference::make(sch, &r.invoice_number).ok()))
                    .map(|x| fordra_core::reference::normalize(&x));
                if let Some(x) = &reference {
                    let key = x.clone();
                    limits::text("reference", &key, limits::MAX_REFERENCE).map_err(|e| at("reference", e))?;
                    if let Some(other) = references.insert(key.clone(), r.id.clone()) {
                        return Err(bad(format!(
                            "{source}: line {}: column reference: {key} is already the reference of invoice '{other}'; each invoice needs its own, or a payment could settle the wrong claim",
                            r.line
                        )));
                    }
                }
                sum.created += 1;
                let status = if r.paid_date.is_some() { "paid" } else { "open" };
                new_claims.push(vec![
                    creditor_id.into(),
                    (&r.id).into(),
                    (&r.customer_id).into(),
                    (&r.invoice_number).into(),
                    r.issue_date.into(),
                    r.due_date.into(),
                    r.currency.code().into(),
                    r.amount.into(),
                    status.into(),
                    r.paid_date.into(),
                    reference.into(),
                    r.due_date_agreed.into(),
                    r.demand_date.into(),
                ]);
                if let Some(p) = r.paid_date {
                    let id = format!("settled:{}", r.id);
                    payments.push(payment_fact_row(creditor_id, &id, &r.id, &r.customer_id, p, r.amount, r.currency, PaymentKind::Settled { interest: false }, None, source));
                }
                touched.push(r.customer_id.clone());
            }
            s.db.exec_many(
                "INSERT INTO claims (creditor_id, id, customer_id, invoice_number, issue_date, due_date, currency, principal, status, settled_date, reference, due_date_agreed, demand_date) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                &mut new_claims.into_iter(),
            )?;
            s.insert_payment_rows(payments)?;
            s.reconcile(&creditor, j, &touched, &format!("invoices from {source}"))?;
            s.audit(creditor_id, &format!("import:{source}"), "invoices", &format!("{} created, {} settled, {} unchanged", sum.created, sum.settled, sum.unchanged))?;
            Ok(sum)
        })
    }

    fn insert_payment_rows(&mut self, rows: Vec<Vec<Val>>) -> Result<()> {
        self.db.exec_many(
            "INSERT INTO payments (creditor_id, id, claim_id, customer_id, date, amount, currency, reference, payer, source, kind, bank_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            &mut rows.into_iter(),
        )?;
        Ok(())
    }

    pub fn claim(&mut self, creditor: &str, id: &str) -> Result<ClaimRow> {
        let rows = self.db.query(
            &format!("SELECT {CLAIM_COLS} FROM claims WHERE creditor_id = $1 AND id = $2"),
            &[creditor.into(), id.into()],
        )?;
        claim_row(rows.first().ok_or_else(|| StoreError::NotFound { entity: "claim", id: id.to_string() })?)
    }

    pub fn claims_of_customer(&mut self, creditor: &str, customer: &str) -> Result<Vec<ClaimRow>> {
        self.db
            .query(
                &format!(
                    "SELECT {CLAIM_COLS} FROM claims WHERE creditor_id = $1 AND customer_id = $2 ORDER BY due_date, id"
                ),
                &[creditor.into(), customer.into()],
            )?
            .iter()
            .map(claim_row)
            .collect()
    }

    fn moves(&mut self, creditor: &str, claim: &str) -> Result<Vec<Movement>> {
        self.db
            .query(
                "SELECT date, kind, component, amount FROM ledger WHERE creditor_id = $1 AND claim_id = $2 ORDER BY id",
                &[creditor.into(), claim.into()],
            )?
            .iter()
            .map(|r| {
                Ok(Movement {
                    date: r.date(0),
                    kind: parse(&r.t(1))?,
                    component: r.ot(2).map(|c| parse(&c)).transpose()?,
                    amount: r.i(3),
                })
            })
            .collect()
    }

    /// Balances of a claim as of `as_of`, derived from its ledger entries.
    pub fn balances(&mut self, creditor: &str, claim: &str, as_of: NaiveDate) -> Result<Balances> {
        Ok(Balances::of(&self.moves(creditor, claim)?, as_of))
    }

    pub fn ledger(&mut self, creditor: &str, claim: &str) -> Result<Vec<LedgerRow>> {
        Ok(self
            .db
            .query("SELECT id, claim_id, date, kind, component, amount, currency, reference, memo FROM ledger WHERE creditor_id = $1 AND claim_id = $2 ORDER BY date, id", &[creditor.into(), claim.into()])?
            .iter()
            .map(|r| LedgerRow { id: r.i(0), claim_id: r.t(1), date: r.date(2), kind: r.t(3), component: r.ot(4), amount: r.i(5), currency: r.t(6), reference: r.t(7), memo: r.t(8) })
            .collect())
    }

    /// What the debtor must pay on `date` to settle the claim: its open balance plus late
    /// interest accrued but not yet posted.
    pub fn amount_due(&mut self, creditor: &Creditor, law: &LawBook, claim: &str, date: NaiveDate) -> Result<i64> {
        let c = self.claim(&creditor.id, claim)?;
        let debtor = self.customer(&creditor.id, &c.customer_id)?.kind;
        let moves = self.moves(&creditor.id, claim)?;
        let j = law.jurisdiction(creditor.jurisdiction).map_err(|e| bad(e.to_string()))?;
        let accrued = fordra_core::run::interest_to_post(
            j,
            creditor,
            debtor,
            j.interest_after(c.due_date, c.demand),
            &moves,
            date,
        )
        .unwrap_or(0);
        Ok(Balances::of(&moves, date).total() + accrued)
    }

    /// Customer credits (overpayments) of a customer.
    pub fn customer_credit(&mut self, creditor: &str, customer: &str) -> Result<i64> {
        let r = self.db.query(
            "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM ledger WHERE creditor_id = $1 AND customer_id = $2 AND kind = 'customer_credit'",
            &[creditor.into(), customer.into()],
        )?;
        Ok(-r[0].i(0))
    }

    // ----- payments --------------------------------------------------------------------------

    /// What a booked payment did, read from its customer's ledger of record.
    pub(crate) fn payment_outcome(
        rec: &Reconciled,
        id: &str,
        claim: &str,
        date: NaiveDate,
        amount: i64,
    ) -> PaymentResult {
        let (parts, credit) = rec.payments.get(id).cloned().unwrap_or_default();
        let allocated = parts.iter().map(|(c, x)| (c.to_string(), *x)).collect();
        let settled = rec.settled.get(claim).is_some_and(|d| d.is_some());
        let status = if credit > 0 {
            "overpaid"
        } else if settled {
            "settled"
        } else {
            "partly paid"
        };
        PaymentResult {
            id: id.to_string(),
            claim_id: claim.to_string(),
            date,
            amount,
            status: status.into(),
            allocated,
            credit,
        }
    }

    /// Books payments to their claims; a payment id already booked with the same data is a
    /// duplicate and changes nothing, with other data it is refused. One transaction: a bad row
    /// stores nothing.
    pub fn book_payments(
        &mut self,
        creditor_id: &str,
        law: &LawBook,
        rows: &[PaymentRow],
        source: &str,
    ) -> Result<Vec<PaymentResult>> {
        let today = self.today;
        self.write_tx(creditor_id, |s| {
            let creditor = s.creditor(creditor_id)?;
            let j = law.jurisdiction(creditor.jurisdiction).map_err(|e| bad(e.to_string()))?;
            let mut out: Vec<Option<PaymentResult>> = Vec::new();
            let mut facts = Vec::new();
            let mut booked: Vec<(usize, String)> = Vec::new();
            let mut in_file: HashMap<&str, &PaymentRow> = HashMap::default();
            for p in rows {
                let at = |col: &str, e: limits::OutOfBounds| bad(format!("{source}: line {}: column {col}: {}", p.line, e.problem));
                limits::id("id", &p.id).map_err(|e| at("id", e))?;
                limits::amount("amount", p.amount, 1).map_err(|e| at("amount", e))?;
                limits::past_date("date", p.date, today).map_err(|e| at("date", e))?;
                let duplicate = |claim: &str, amount: i64, date: NaiveDate, first: &str| -> Result<bool> {
                    if claim != p.claim_id || amount != p.amount || date != p.date {
                        return Err(bad(format!(
                            "{source}: line {}: column id: payment '{}' {first} with other data (invoice {claim}, amount {}, date {date})",
                            p.line,
                            p.id,
                            fordra_core::money::format_minor(amount)
                        )));
                    }
                    Ok(true)
                };
                if let Some(q) = in_file.get(p.id.as_str()) {
                    duplicate(&q.claim_id, q.amount, q.date, &format!("is already on line {} of this file", q.line))?;
                    out.push(Some(PaymentResult {
                        id: p.id.clone(),
                        claim_id: p.claim_id.clone(),
                        date: p.date,
                        amount: p.amount,
                        status: "duplicate".into(),
                        allocated: vec![],
                        credit: 0,
                    }));
                    continue;
                }
                in_file.insert(p.id.as_str(), p);
                let dup =
                    s.db.query("SELECT claim_id, amount, date FROM payments WHERE creditor_id = $1 AND id = $2", &[creditor_id.into(), (&p.id).into()])?;
                if let Some(d) = dup.first() {
                    duplicate(&d.t(0), d.i(1), d.date(2), "was already booked")?;
                    out.push(Some(PaymentResult {
                        id: p.id.clone(),
                        claim_id: p.claim_id.clone(),
                        date: p.date,
                        amount: p.amount,
                        status: "duplicate".into(),
                        allocated: vec![],
                        credit: 0,
                    }));
                    continue;
                }
                let claim = s
                    .claim(creditor_id, &p.claim_id)
                    .map_err(|_| bad(format!("{source}: line {}: column invoice_id: unknown invoice '{}'", p.line, p.claim_id)))?;
                if claim.currency != p.currency {
                    return Err(bad(format!("{source}: line {}: column currency: payment in {} for an invoice in {}", p.line, p.currency, claim.currency)));
                }
                facts.push(payment_fact_row(
                    creditor_id,
                    &p.id,
                    &p.claim_id,
                    &claim.customer_id,
                    p.date,
                    p.amount,
                    p.currency,
                    PaymentKind::Bank,
                    None,
                    source,
                ));
                booked.push((out.len(), claim.customer_id.clone()));
                out.push(None);
            }
            s.insert_payment_rows(facts)?;
            let customers: Vec<String> = booked.iter().map(|b| b.1.clone()).collect();
            let rec = s.reconcile(&creditor, j, &customers, &format!("payments from {source}"))?;
            for (i, _) in booked {
                let p = &rows[i];
                out[i] = Some(Store::payment_outcome(&rec, &p.id, &p.claim_id, p.date, p.amount));
            }
            Ok(out.into_iter().flatten().collect())
        })
    }

    /// Refunds part of a customer's credit (overpayments not used for other claims).
    #[allow(clippy::too_many_arguments)]
    pub fn refund(
        &mut self,
        creditor_id: &str,
        law: &LawBook,
        customer: &str,
        amount: i64,
        currency: Option<Currency>,
        date: NaiveDate,
        note: &str,
    ) -> Result<(String, i64)> {
        limits::amount("amount", amount, 1).map_err(input)?;
        limits::past_date("date", date, self.today).map_err(input)?;
        limits::text("note", note, limits::MAX_TEXT).map_err(input)?;
        self.write_tx(creditor_id, |s| {
            let creditor = s.creditor(creditor_id)?;
            let j = law.jurisdiction(creditor.jurisdiction).map_err(|e| bad(e.to_string()))?;
            let currency = currency.unwrap_or(creditor.currency);
            let before = s.settlement(&creditor, j, customer)?;
            let available = before.credit.iter().find(|c| c.0 == currency).map_or(0, |c| c.1);
            // The same refund asked for again (customer, amount, currency, date, note) is the one
            // already made: money leaves once.
            let same = s.db.query(
                "SELECT id FROM refunds WHERE creditor_id = $1 AND customer_id = $2 AND amount = $3 AND currency = $4 AND date = $5 AND note = $6",
                &[creditor_id.into(), customer.into(), amount.into(), currency.code().into(), date.into(), note.into()],
            )?;
            if let Some(r) = same.first() {
                return Ok((r.t(0), available));
            }
            if amount > available {
                return Err(bad(format!(
                    "customer '{customer}' has {} {currency} of credit, less than the {} asked for",
                    fordra_core::money::format_minor(available),
                    fordra_core::money::format_minor(amount)
                )));
            }
            let n = s.db.query("SELECT COUNT(*) FROM refunds WHERE creditor_id = $1", &[creditor_id.into()])?.first().map_or(0, |r| r.i(0)) + 1;
            let id = format!("R{n:06}");
            s.db.exec(
                "INSERT INTO refunds (creditor_id, id, customer_id, date, amount, currency, note) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[creditor_id.into(), id.as_str().into(), customer.into(), date.into(), amount.into(), currency.code().into(), note.into()],
            )?;
            s.reconcile(&creditor, j, &[customer.to_string()], &format!("refund {id}"))?;
            s.audit(
                creditor_id,
                &format!("customer:{customer}"),
                "refund",
                &format!("{id}: {} {currency} on {date}: {note}", fordra_core::money::format_minor(amount)),
            )?;
            Ok((id, available - amount))
        })
    }

    // ----- pauses ----------------------------------------------------------------------------

    /// Pauses a claim (or all of a customer's claims when `claim` is None). A payment plan may
    /// carry the statutory plan fee (once per claim). The same pause asked for again (same
    /// claim or customer, kind, dates and reason, still open) is the one already there: nothing
    /// is added and nothing charged twice. `instalments` is a payment plan's number of
    /// instalments (the Finnish fee depends on it). Returns the pause and the fee it charged.
    #[allow(clippy::too_many_arguments)]
    pub fn add_pause(
        &mut self,
        creditor_id: &str,
        law: &LawBook,
        claim: Option<&str>,
        customer: Option<&str>,
        kind: PauseKind,
        from: NaiveDate,
        until: Option<NaiveDate>,
        reason: &str,
        plan_fee: bool,
        instalments: Option<u32>,
    ) -> Result<(i64, i64)> {
        if let Some(n) = instalments {
            limits::days("--instalments", i64::from(n), 1, 1000).map_err(input)?;
        }
        if kind != PauseKind::Dispute && until.is_none() {
            return Err(bad(format!("a {kind} needs an end date (--until)")));
        }
        if until.is_some_and(|u| u < from) {
            return Err(bad("--until is before the start date"));
        }
        limits::date("from", from).map_err(input)?;
        if let Some(u) = until {
            limits::date("until", u).map_err(input)?;
        }
        limits::text("reason", reason, limits::MAX_TEXT).map_err(input)?;
        self.write_tx(creditor_id, |s| {
            let creditor = s.creditor(creditor_id)?;
            let (claim_row, customer_id) = match (claim, customer) {
                (Some(c), _) => {
                    let row = s.claim(creditor_id, c)?;
                    let cust = row.customer_id.clone();
                    (Some(row), cust)
                }
                (None, Some(c)) => (None, s.customer(creditor_id, c)?.id),
                (None, None) => return Err(bad("name a claim or a customer")),
            };
            let same = s.db.query(
                "SELECT id, plan_fee FROM pauses WHERE creditor_id = $1 AND customer_id = $2 AND kind = $3 AND from_date = $4 AND reason = $5 AND ended_date IS NULL \
                 AND ((claim_id IS NULL AND $6 = '') OR claim_id = $6) AND ((until_date IS NULL AND $7 = '') OR until_date = $7)",
                &[
                    creditor_id.into(),
                    (&customer_id).into(),
                    kind.as_str().into(),
                    from.into(),
                    reason.into(),
                    claim.unwrap_or("").into(),
                    until.map(|u| u.to_string()).unwrap_or_default().into(),
                ],
            )?;
            let j = law.jurisdiction(creditor.jurisdiction).map_err(|e| bad(e.to_string()))?;
            let charged = |s: &mut Store, id: i64| -> Result<i64> {
                let st = s.settlement(&creditor, j, &customer_id)?;
                Ok(st.postings.iter().filter(|p| p.cause == format!("pause:{id}")).map(|p| p.amount).sum())
            };
            if let Some(r) = same.first() {
                let id = r.i(0);
                return Ok((id, charged(s, id)?));
            }
            let mut fee_line = None;
            if let (true, PauseKind::PaymentPlan, Some(c)) = (plan_fee, kind, &claim_row) {
                let debtor = s.customer(creditor_id, &customer_id)?.kind;
                let moves = s.moves(creditor_id, &c.id)?;
                let prior = fordra_core::run::prior_fees(&moves, &[]);
                let ctx = FeeContext {
                    law: j,
                    debtor,
                    reminder_fee_agreed: creditor.reminder_fee_agreed,
                    collector: creditor.policy.collector,
                    written: true,
                    currency: c.currency,
                    principal: c.principal,
                    due: c.due_date,
                    date: from,
                    previous_letter: None,
                    instalments,
                    prior: &prior,
                };
                fee_line = fees_for(&ctx, FeeKind::PaymentPlan, FeeSpec::Statutory).lines.into_iter().find(|l| l.kind == FeeKind::PaymentPlan);
            }
            let rows = s.db.query(
                "INSERT INTO pauses (creditor_id, claim_id, customer_id, kind, from_date, until_date, reason, plan_fee) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                &[
                    creditor_id.into(),
                    claim.into(),
                    (&customer_id).into(),
                    kind.as_str().into(),
                    from.into(),
                    until.into(),
                    reason.into(),
                    fee_line.as_ref().map(|l| reconcile::fee_lines_json(std::slice::from_ref(l))).into(),
                ],
            )?;
            let id = rows[0].i(0);
            s.reconcile(&creditor, j, std::slice::from_ref(&customer_id), &format!("{kind} {id} from {from}"))?;
            s.audit(
                creditor_id,
                &format!("claim:{}", claim.unwrap_or("*")),
                &format!("pause:{kind}"),
                &format!("customer {customer_id}, from {from} until {}, reason: {reason}", until.map(|u| u.to_string()).unwrap_or_else(|| "resolved".into())),
            )?;
            Ok((id, charged(s, id)?))
        })
    }

    pub fn end_pause(&mut self, creditor: &str, id: i64, date: NaiveDate, note: &str) -> Result<()> {
        limits::date("date", date).map_err(input)?;
        limits::text("note", note, limits::MAX_TEXT).map_err(input)?;
        self.write_tx(creditor, |s| {
            if s.db.exec(
                "UPDATE pauses SET ended_date = $1 WHERE creditor_id = $2 AND id = $3 AND ended_date IS NULL",
                &[date.into(), creditor.into(), id.into()],
            )? == 0
            {
                return Err(StoreError::NotFound { entity: "open pause", id: id.to_string() });
            }
            s.audit(creditor, &format!("pause:{id}"), "ended", &format!("{date}: {note}"))
        })
    }

    pub fn pauses(&mut self, creditor: &str) -> Result<Vec<PauseRow>> {
        self.db
            .query(
                "SELECT id, claim_id, customer_id, kind, from_date, until_date, ended_date, reason FROM pauses WHERE creditor_id = $1 ORDER BY id",
                &[creditor.into()],
            )?
            .iter()
            .map(|r| {
                Ok(PauseRow {
                    id: r.i(0),
                    claim_id: r.ot(1),
                    customer_id: r.t(2),
                    pause: Pause { id: r.i(0), kind: parse(&r.t(3))?, from: r.date(4), until: r.odate(5), ended: r.odate(6), reason: r.t(7) },
                })
            })
            .collect()
    }

    // ----- the daily run ---------------------------------------------------------------------

    /// Customers with their payment history in the segmentation window (one, or all in id order).
    #[allow(clippy::type_complexity)]
    fn load_customers(
        &mut self,
        creditor: &Creditor,
        only: Option<&str>,
        as_of: NaiveDate,
    ) -> Result<(Vec<CustomerState>, Vec<Option<String>>, HashMap<String, usize>)> {
        let c = creditor.id.as_str();
        let window = as_of - chrono::Duration::days(creditor.policy.segmentation.lookback_days);
        let mut idx: HashMap<String, usize> = HashMap::default();
        let mut customers = Vec::new();
        let mut reasons = Vec::new();
        // One customer (`only`) or all of them; the same queries either way.
        let one = if only.is_some() { " AND id = $2" } else { "" };
        let mut params: Vec<Val> = vec![c.into()];
        params.extend(only.map(Val::from));
        for r in self.db.query(
            &format!("SELECT id, kind, vip, credit_score, credit_score_date, email, phone, segment, segment_reason, reminder_fee_agreed, reminder_fee_agreed_on FROM customers WHERE creditor_id = $1{one} ORDER BY id"),
            &params,
        )? {
            idx.insert(r.t(0), customers.len());
            reasons.push(r.ot(8));
            customers.push(CustomerState {
                id: r.t(0),
                kind: parse(&r.t(1))?,
                vip: r.i(2) != 0,
                credit_score: r.oi(3).map(|x| x as i32),
                credit_score_date: r.odate(4),
                has_email: r.ot(5).is_some_and(|e| !e.is_empty()),
                has_phone: r.ot(6).is_some_and(|e| !e.is_empty()),
                segment: r.ot(7).map(|s| parse(&s)).transpose()?,
                fee_agreed: r.oi(9).map(|x| x != 0),
                fee_agreed_on: r.odate(10),
                paid: vec![],
                collection_dates: vec![],
                pauses: vec![],
                predicted: None,
                arms: vec![],
            });
        }
        let one = if only.is_some() { " AND customer_id = $4" } else { "" };
        let mut params: Vec<Val> = vec![c.into(), window.into(), as_of.into()];
        params.extend(only.map(Val::from));
        for r in self.db.query(&format!("SELECT customer_id, due_date, settled_date FROM claims WHERE creditor_id = $1 AND status = 'paid' AND settled_date > $2 AND settled_date <= $3{one}"), &params)? {
            if let Some(i) = idx.get(&r.t(0)) {
                customers[*i].paid.push((r.date(1), r.date(2)));
            }
        }
        for r in self.db.query(
            &format!("SELECT customer_id, date FROM actions WHERE creditor_id = $1 AND kind = 'collection' AND skipped = 0 AND reverted IS NULL AND date > $2 AND date < $3{one}"),
            &params,
        )? {
            if let Some(i) = idx.get(&r.t(0)) {
                customers[*i].collection_dates.push(r.date(1));
            }
        }
        let one = if only.is_some() { " AND customer_id = $2" } else { "" };
        let mut params: Vec<Val> = vec![c.into()];
        params.extend(only.map(Val::from));
        for r in self.db.query(
            &format!("SELECT customer_id, experiment, arm FROM experiment_arms WHERE creditor_id = $1{one}"),
            &params,
        )? {
            if let Some(i) = idx.get(&r.t(0)) {
                customers[*i]
                    .arms
                    .push(fordra_core::model::Arm { experiment: r.t(1), challenger: r.t(2) == "challenger" });
            }
        }
        Ok((customers, reasons, idx))
    }

    /// The customer's segment and its reason as of `as_of`, computed now from the data.
    pub fn explain_segment(
        &mut self,
        creditor: &Creditor,
        customer: &str,
        as_of: NaiveDate,
    ) -> Result<fordra_core::run::SegmentDecision> {
        let (customers, _, _) = self.load_customers(creditor, Some(customer), as_of)?;
        let mut state = RunState { customers, claims: vec![], stored_reasons: vec![], notes: vec![] };
        self.attach_predictions(creditor, &mut state, as_of, true)?;
        fordra_core::run::segment_customers(creditor, &state.customers, as_of)
            .pop()
            .ok_or_else(|| StoreError::NotFound { entity: "customer", id: customer.to_string() })
    }

    /// Loads what the core needs for a run on `as_of`: customers with history, open claims with
    /// their ledger movements, steps and pauses.
    pub fn load_run_state(&mut self, creditor: &Creditor, as_of: NaiveDate) -> Result<RunState> {
        let c = creditor.id.as_str();
        let (mut customers, reasons, idx) = self.load_customers(creditor, None, as_of)?;
        let mut cidx: HashMap<String, usize> = HashMap::default();
        let mut claims: Vec<ClaimState> = Vec::new();
        let day =
            |r: &dyn RowRef, i: usize| r.day(i).ok_or_else(|| StoreError::Data(format!("bad date in column {i}")));
        self.db.query_each(
            "SELECT id, customer_id, due_date, principal, currency, issue_date, due_date_agreed, demand_date FROM claims WHERE creditor_id = $1 AND (status = 'open' OR settled_date > $2)",
            &[c.into(), as_of.into()],
            &mut |r| {
                let (Some(id), Some(ci)) = (r.str(0), r.str(1).and_then(|x| idx.get(x))) else { return Ok(()) };
                cidx.insert(id.to_string(), claims.len());
                let issue = day(r, 5)?;
                claims.push(ClaimState {
                    id: id.to_string(),
                    customer: *ci,
                    issue,
                    demand: demand_of(r.int(6), r.day(7), issue),
                    due: day(r, 2)?,
                    principal: r.int(3).unwrap_or(0),
                    currency: parse(r.str(4).unwrap_or(""))?,
                    moves: vec![],
                    steps: vec![],
                    last_seq: 0,
                    pauses: vec![],
                    predicted: None,
                });
                Ok(())
            },
        )?;
        // CROSS JOIN makes SQLite drive the join from the open claims, so the covering ledger and
        // action indexes are read per claim in key order (PostgreSQL plans it as the inner join it
        // is). Dates are filtered here, not in SQL, so no date index can tempt the planner into a
        // scan per claim.
        self.db.query_each(
            "SELECT l.claim_id, l.date, l.kind, l.component, l.amount FROM claims c CROSS JOIN ledger l WHERE c.creditor_id = $1 AND (c.status = 'open' OR c.settled_date > $2) AND l.creditor_id = c.creditor_id AND l.claim_id = c.id",
            &[c.into(), as_of.into()],
            &mut |r| {
                let date = day(r, 1)?;
                if let (Some(i), true) = (r.str(0).and_then(|x| cidx.get(x)), date <= as_of) {
                    let kind = match r.str(2) {
                        Some("invoice") => EntryKind::Invoice,
                        k => parse(k.unwrap_or(""))?,
                    };
                    let component = r.str(3).map(parse).transpose()?;
                    claims[*i].moves.push(Movement { date, kind, component, amount: r.int(4).unwrap_or(0) });
                }
                Ok(())
            },
        )?;
        self.db.query_each(
            "SELECT a.claim_id, a.seq, a.kind, a.date, a.deadline, a.notional_fee, a.skipped, a.reverted FROM claims c CROSS JOIN actions a WHERE c.creditor_id = $1 AND (c.status = 'open' OR c.settled_date > $2) AND a.creditor_id = c.creditor_id AND a.claim_id = c.id",
            &[c.into(), as_of.into()],
            &mut |r| {
                let date = day(r, 3)?;
                let Some(i) = r.str(0).and_then(|x| cidx.get(x)).copied() else { return Ok(()) };
                let seq = r.int(1).unwrap_or(0) as u32;
                // A reverted step keeps its number, so the next step gets a new one.
                claims[i].last_seq = claims[i].last_seq.max(seq);
                if date <= as_of && r.str(7).is_none() {
                    claims[i].steps.push(DoneStep { seq, kind: parse::<StepKind>(r.str(2).unwrap_or(""))?, date, deadline: day(r, 4)?, notional_fee: r.int(5).unwrap_or(0), skipped: r.int(6) == Some(1) });
                }
                Ok(())
            },
        )?;
        for cl in claims.iter_mut().filter(|c| c.steps.len() > 1) {
            cl.steps.sort_by_key(|s| s.seq);
        }
        for p in self.pauses(c)? {
            match p.claim_id.as_ref().and_then(|id| cidx.get(id)) {
                Some(i) => claims[*i].pauses.push(p.pause),
                None if p.claim_id.is_none() => {
                    if let Some(i) = idx.get(&p.customer_id) {
                        customers[*i].pauses.push(p.pause)
                    }
                }
                None => {}
            }
        }
        let mut state = RunState { customers, claims, stored_reasons: reasons, notes: vec![] };
        self.attach_predictions(creditor, &mut state, as_of, false)?;
        Ok(state)
    }

    /// The latest run date of a creditor.
    pub fn last_run(&mut self, creditor: &str) -> Result<Option<NaiveDate>> {
        Ok(self
            .db
            .query("SELECT MAX(date) FROM runs WHERE creditor_id = $1", &[creditor.into()])?
            .first()
            .and_then(|r| r.odate(0)))
    }

    pub fn runs(&mut self, creditor: &str) -> Result<Vec<RunRecord>> {
        Ok(self
            .db
            .query(
                "SELECT date, actions, segment_changes FROM runs WHERE creditor_id = $1 ORDER BY date",
                &[creditor.into()],
            )?
            .iter()
            .map(|r| RunRecord { date: r.date(0), actions: r.i(1), segment_changes: r.i(2) })
            .collect())
    }

    /// Decides (core) and, unless `dry_run`, writes the day's run in one transaction, holding the
    /// creditor's lock from the first read to the last write: a payment import at the same time
    /// waits, so the run never acts on a claim paid meanwhile. Runs move forward: a date before
    /// the latest recorded run is refused (except dry runs), as is a date more than a week after
    /// today unless `allow_future`.
    pub fn run_day(&mut self, creditor_id: &str, law: &LawBook, as_of: NaiveDate, dry_run: bool) -> Result<RunResult> {
        self.run_day_with(creditor_id, law, as_of, dry_run, false)
    }

    pub fn run_day_with(
        &mut self,
        creditor_id: &str,
        law: &LawBook,
        as_of: NaiveDate,
        dry_run: bool,
        allow_future: bool,
    ) -> Result<RunResult> {
        limits::date("run date", as_of).map_err(input)?;
        if !allow_future && !dry_run {
            limits::past_date("run date", as_of, self.today).map_err(|e| {
                StoreError::Rule(format!("{e}: a run dated in the future posts interest and fees for days that have not come (allow it explicitly if meant)"))
            })?;
        }
        self.tx_or_rollback(creditor_id, dry_run, |s| {
            let creditor = s.creditor(creditor_id)?;
            let j = law.jurisdiction(creditor.jurisdiction).map_err(|e| bad(e.to_string()))?;
            if !dry_run {
                if let Some(last) = s.last_run(creditor_id)? {
                    if last > as_of {
                        return Err(StoreError::Conflict(format!(
                            "a run for {last} is already recorded; runs move forward (a dry run may look at an earlier date)"
                        )));
                    }
                }
            }
            let state = s.load_run_state(&creditor, as_of)?;
            let mut result = daily_run(&creditor, j, &state.customers, &state.claims, as_of);
            result.notes = state.notes.clone();
            if !dry_run {
                s.apply_run(&creditor, j, as_of, &result, &state.stored_reasons)?;
            }
            Ok(result)
        })
    }

    fn apply_run(
        &mut self,
        creditor: &Creditor,
        law: &fordra_core::law::Jurisdiction,
        as_of: NaiveDate,
        r: &RunResult,
        old_reasons: &[Option<String>],
    ) -> Result<()> {
        let c = creditor.id.as_str();
        // The reason is stored when the segment changes: it says why the customer is where it is.
        let mut updates =
            r.segments.iter().zip(old_reasons).filter(|(d, old)| d.previous != Some(d.segment) || old.is_none()).map(
                |(d, _)| -> Vec<Val> {
                    vec![d.segment.as_str().into(), (&d.reason).into(), c.into(), (&d.customer_id).into()]
                },
            );
        self.db.exec_many(
            "UPDATE customers SET segment = $1, segment_reason = $2 WHERE creditor_id = $3 AND id = $4",
            &mut updates,
        )?;
        let mut changes = r.segment_changes().map(|d| -> Vec<Val> {
            vec![
                c.into(),
                (&d.customer_id).into(),
                as_of.into(),
                d.previous.map(|p| p.as_str()).into(),
                d.segment.as_str().into(),
                (&d.reason).into(),
            ]
        });
        let n_changes = self.db.exec_many(
            "INSERT INTO segment_changes (creditor_id, customer_id, date, from_segment, to_segment, reason) VALUES ($1, $2, $3, $4, $5, $6)",
            &mut changes,
        )?;
        let mut actions = r.actions.iter().map(|a| -> Vec<Val> {
            vec![
                c.into(),
                (&a.claim_id).into(),
                i64::from(a.seq).into(),
                (&a.customer_id).into(),
                (a.step_no as i64).into(),
                a.kind.as_str().into(),
                a.segment.as_str().into(),
                a.date.into(),
                a.deadline.into(),
                a.channel.as_str().into(),
                a.letter.clone().into(),
                a.fee_total().into(),
                a.notional_fee.into(),
                a.interest.into(),
                a.open_after.into(),
                a.skipped.into(),
                (&a.reason).into(),
                a.arm.clone().into(),
                reconcile::fee_lines_json(&a.fees).into(),
                fee_spec_name(a.fee_spec).into(),
                a.min_amount.into(),
                a.amount_to_pay.into(),
            ]
        });
        let n_actions = self.db.exec_many(
            "INSERT INTO actions (creditor_id, claim_id, seq, customer_id, step_no, kind, segment, date, deadline, channel, letter, fee, notional_fee, interest, open_after, skipped, reason, arm, fees, fee_spec, min_amount, amount_to_pay) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22) ON CONFLICT (creditor_id, claim_id, seq) DO NOTHING",
            &mut actions,
        )?;
        let mut arms = r.assignments.iter().map(|(customer, a)| -> Vec<Val> {
            vec![
                c.into(),
                (&a.experiment).into(),
                customer.into(),
                (if a.challenger { "challenger" } else { "champion" }).into(),
                as_of.into(),
            ]
        });
        self.db.exec_many(
            "INSERT INTO experiment_arms (creditor_id, experiment, customer_id, arm, assigned_on) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (creditor_id, experiment, customer_id) DO NOTHING",
            &mut arms,
        )?;
        if n_actions as usize != r.actions.len() {
            return Err(StoreError::Conflict(
                "another run wrote the same steps concurrently; nothing was written, run again".into(),
            ));
        }
        let customers: Vec<String> = r.actions.iter().map(|a| a.customer_id.clone()).collect();
        self.reconcile(creditor, law, &customers, &format!("run {as_of}"))?;
        self.db.exec(
            "INSERT INTO runs (creditor_id, date, actions, segment_changes) VALUES ($1, $2, $3, $4) ON CONFLICT (creditor_id, date) DO UPDATE SET actions = runs.actions + excluded.actions, segment_changes = runs.segment_changes + excluded.segment_changes",
            &[c.into(), as_of.into(), (n_actions as i64).into(), (n_changes as i64).into()],
        )?;
        Ok(())
    }

    /// Undoes the latest run: its steps are marked reverted (kept, with `reason`), their fees and
    /// interest reversed by correcting entries, segments put back as they were, and the run's
    /// record removed so the date can be run again. Only the latest run can be reverted.
    pub fn revert_run(&mut self, creditor_id: &str, law: &LawBook, date: NaiveDate, reason: &str) -> Result<RunRecord> {
        limits::text("reason", reason, limits::MAX_TEXT).map_err(input)?;
        if reason.trim().is_empty() {
            return Err(bad("a reverted run needs a reason"));
        }
        self.write_tx(creditor_id, |s| {
            let creditor = s.creditor(creditor_id)?;
            let j = law.jurisdiction(creditor.jurisdiction).map_err(|e| bad(e.to_string()))?;
            let Some(last) = s.last_run(creditor_id)? else {
                return Err(StoreError::NotFound { entity: "run to revert of creditor", id: creditor_id.to_string() });
            };
            if last != date {
                return Err(StoreError::Conflict(format!("the latest run is {last}: only the latest run can be reverted")));
            }
            let record =
                s.runs(creditor_id)?.into_iter().find(|r| r.date == date).ok_or_else(|| StoreError::NotFound { entity: "run on", id: date.to_string() })?;
            let why = format!("run {date} reverted: {reason}");
            let customers: Vec<String> =
                s.db.query(
                    "SELECT DISTINCT customer_id FROM actions WHERE creditor_id = $1 AND date = $2 AND reverted IS NULL",
                    &[creditor_id.into(), date.into()],
                )?
                .iter()
                .map(|r| r.t(0))
                .collect();
            s.db.exec(
                "UPDATE actions SET reverted = $1 WHERE creditor_id = $2 AND date = $3 AND reverted IS NULL",
                &[(&why).into(), creditor_id.into(), date.into()],
            )?;
            // Segments go back to what they were before the run, with the reason given then.
            let changes = s.db.query(
                "SELECT id, customer_id, from_segment FROM segment_changes WHERE creditor_id = $1 AND date = $2 AND reverted IS NULL ORDER BY id DESC",
                &[creditor_id.into(), date.into()],
            )?;
            for ch in &changes {
                let previous = s.db.query(
                    "SELECT reason FROM segment_changes WHERE creditor_id = $1 AND customer_id = $2 AND id < $3 AND reverted IS NULL ORDER BY id DESC LIMIT 1",
                    &[creditor_id.into(), ch.t(1).into(), ch.i(0).into()],
                )?;
                s.db.exec(
                    "UPDATE customers SET segment = $1, segment_reason = $2 WHERE creditor_id = $3 AND id = $4",
                    &[ch.ot(2).into(), previous.first().and_then(|r| r.ot(0)).into(), creditor_id.into(), ch.t(1).into()],
                )?;
            }
            s.db.exec(
                "UPDATE segment_changes SET reverted = $1 WHERE creditor_id = $2 AND date = $3 AND reverted IS NULL",
                &[(&why).into(), creditor_id.into(), date.into()],
            )?;
            s.db.exec("DELETE FROM experiment_arms WHERE creditor_id = $1 AND assigned_on = $2", &[creditor_id.into(), date.into()])?;
            s.db.exec("DELETE FROM runs WHERE creditor_id = $1 AND date = $2", &[creditor_id.into(), date.into()])?;
            s.db.exec(
                "INSERT INTO run_reverts (creditor_id, date, actions, segment_changes, reason) VALUES ($1, $2, $3, $4, $5)",
                &[creditor_id.into(), date.into(), record.actions.into(), record.segment_changes.into(), reason.into()],
            )?;
            s.reconcile(&creditor, j, &customers, &why)?;
            s.audit(creditor_id, &format!("run:{date}"), "reverted", reason)?;
            Ok(record)
        })
    }

    fn action_rows(&mut self, sql_where: &str, params: &[Val]) -> Result<Vec<ActionRow>> {
        self
            .db
            .query(&format!("SELECT claim_id, customer_id, seq, step_no, kind, segment, date, deadline, channel, letter, fee, interest, open_after, skipped, reason, arm, amount_to_pay, reverted FROM actions WHERE {sql_where} ORDER BY date, customer_id, claim_id, seq"), params)?
            .iter()
            .map(|r| -> Result<ActionRow> {
                Ok(ActionRow {
                claim_id: r.t(0),
                customer_id: r.t(1),
                seq: r.i(2),
                step_no: r.i(3),
                kind: col("actions", "kind", r.ot(4).as_deref())?,
                segment: col("actions", "segment", r.ot(5).as_deref())?,
                date: r.date(6),
                deadline: r.date(7),
                channel: col("actions", "channel", r.ot(8).as_deref())?,
                letter: r.ot(9),
                fee: r.i(10),
                interest: r.i(11),
                open_after: r.i(12),
                skipped: r.i(13) != 0,
                reason: r.t(14),
                arm: r.ot(15),
                amount_to_pay: r.oi(16),
                reverted: r.ot(17),
            })
            })
            .collect::<Result<Vec<_>>>()
    }

    pub fn actions_of_claim(&mut self, creditor: &str, claim: &str) -> Result<Vec<ActionRow>> {
        self.action_rows("creditor_id = $1 AND claim_id = $2", &[creditor.into(), claim.into()])
    }
    pub fn actions_of_customer(&mut self, creditor: &str, customer: &str) -> Result<Vec<ActionRow>> {
        self.action_rows("creditor_id = $1 AND customer_id = $2", &[creditor.into(), customer.into()])
    }
    pub fn actions_on(&mut self, creditor: &str, date: NaiveDate) -> Result<Vec<ActionRow>> {
        self.action_rows("creditor_id = $1 AND date = $2", &[creditor.into(), date.into()])
    }

    pub fn segment_changes(&mut self, creditor: &str, customer: &str) -> Result<Vec<SegmentChangeRow>> {
        self
            .db
            .query(
                "SELECT customer_id, date, from_segment, to_segment, reason FROM segment_changes WHERE creditor_id = $1 AND customer_id = $2 AND reverted IS NULL ORDER BY id",
                &[creditor.into(), customer.into()],
            )?
            .iter()
            .map(|r| -> Result<SegmentChangeRow> {
                Ok(SegmentChangeRow {
                    customer_id: r.t(0),
                    date: r.date(1),
                    from: r.ot(2).map(|v| col("segment_changes", "from_segment", Some(&v))).transpose()?,
                    to: col("segment_changes", "to_segment", r.ot(3).as_deref())?,
                    reason: r.t(4),
                })
            })
            .collect::<Result<Vec<_>>>()
    }

    // ----- reports ---------------------------------------------------------------------------

    /// Every claim with its balances and steps as of `as_of`, and every customer's segment.
    pub fn report_data(
        &mut self,
        creditor: &str,
        as_of: NaiveDate,
    ) -> Result<(Vec<SegmentedCustomer>, Vec<ReportClaim>)> {
        let customers = self
            .db
            .query("SELECT id, segment, kind FROM customers WHERE creditor_id = $1 ORDER BY id", &[creditor.into()])?
            .iter()
            .map(|r| Ok((r.t(0), r.ot(1).map(|s| parse(&s)).transpose()?, parse(&r.t(2))?)))
            .collect::<Result<Vec<_>>>()?;
        let mut claims = Vec::new();
        let mut idx = HashMap::default();
        for r in self.db.query(
            "SELECT id, customer_id, issue_date, due_date, principal, settled_date, currency FROM claims WHERE creditor_id = $1 AND issue_date <= $2 ORDER BY id",
            &[creditor.into(), as_of.into()],
        )? {
            idx.insert(r.t(0), claims.len());
            claims.push(ReportClaim {
                id: r.t(0),
                customer_id: r.t(1),
                issue_date: r.date(2),
                due_date: r.date(3),
                currency: parse(&r.t(6))?,
                principal: r.i(4),
                settled_date: r.odate(5).filter(|d| *d <= as_of),
                open: 0,
                fees: 0,
                interest: 0,
                steps: std::collections::HashMap::new(),
            });
        }
        for r in self.db.query("SELECT claim_id, kind, component, CAST(SUM(amount) AS BIGINT) FROM ledger WHERE creditor_id = $1 AND date <= $2 GROUP BY claim_id, kind, component", &[creditor.into(), as_of.into()])? {
            let Some(i) = idx.get(&r.t(0)) else { continue };
            let c = &mut claims[*i];
            let amount = r.i(3);
            if r.ot(2).is_some() {
                c.open += amount;
            }
            let kind = r.t(1);
            if kind.starts_with("fee:") {
                c.fees += amount;
            } else if kind == "interest" {
                c.interest += amount;
            }
        }
        for r in self.db.query(
            "SELECT claim_id, kind, COUNT(*) FROM actions WHERE creditor_id = $1 AND skipped = 0 AND reverted IS NULL AND date <= $2 GROUP BY claim_id, kind",
            &[creditor.into(), as_of.into()],
        )? {
            if let Some(i) = idx.get(&r.t(0)) {
                claims[*i].steps.insert(r.t(1), r.i(2));
            }
        }
        Ok((customers, claims))
    }

    /// Sums that must agree whatever the backend (used by tests and `fordra check`).
    pub fn ledger_totals(&mut self, creditor: &str) -> Result<Vec<(String, String, i64)>> {
        Ok(self
            .db
            .query("SELECT kind, COALESCE(component, '-'), CAST(SUM(amount) AS BIGINT) FROM ledger WHERE creditor_id = $1 GROUP BY kind, COALESCE(component, '-') ORDER BY kind, COALESCE(component, '-')", &[creditor.into()])?
            .iter()
            .map(|r| (r.t(0), r.t(1), r.i(2)))
            .collect())
    }
}

/// Channel names for letters and tasks.
pub fn channel_label(c: Channel) -> &'static str {
    match c {
        Channel::Letter => "letter (PDF)",
        Channel::Email => "e-mail",
        Channel::Sms => "SMS",
        Channel::Phone => "phone call task",
        Channel::Edi => "EDI",
    }
}
