//! Fordra's storage: one store over SQLite (the embedded default, a file) and PostgreSQL
//! (production, selected by URL). Every table is keyed by creditor (tenant). The operations here
//! load state for the pure core, call it, and write its decisions in one transaction each, so a
//! failed import or run leaves nothing half-done.

mod backend;
mod bank;
mod ml;
mod schema;
mod strategy;

pub use backend::{parse_day, Backend, Row, RowExt, RowRef, Val};
pub use bank::{BankImport, BankPaymentResult, PaymentReportRow, Reversal, ReversalTarget};
use chrono::NaiveDate;
use fordra_core::domain::{Channel, Component, DebtorKind, FeeKind, JurisdictionCode, PauseKind, Segment, StepKind};
use fordra_core::fees::{fees_for, FeeContext};
use fordra_core::law::LawBook;
use fordra_core::ledger::{Balances, EntryKind, Movement, NewEntry};
use fordra_core::model::{FeeSpec, Policy};
use fordra_core::money::Currency;
use fordra_core::run::{book_payment, daily_run, ClaimState, Creditor, CustomerState, DoneStep, Pause, PaymentIn, RunResult};
pub use ml::ModelRow;
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
    #[error("{0}")]
    NotFound(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

pub struct Store {
    db: Box<dyn Backend>,
    in_tx: bool,
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
    pub status: String,
    pub settled_date: Option<NaiveDate>,
    pub reference: Option<String>,
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
    pub kind: String,
    pub segment: String,
    pub date: NaiveDate,
    pub deadline: NaiveDate,
    pub channel: String,
    pub letter: Option<String>,
    pub fee: i64,
    pub interest: i64,
    pub open_after: i64,
    pub skipped: bool,
    pub reason: String,
    /// The experiment arm that decided the step, if any.
    pub arm: Option<String>,
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
    pub from: Option<String>,
    pub to: String,
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

const CLAIM_COLS: &str = "id, customer_id, invoice_number, issue_date, due_date, currency, principal, status, settled_date, reference";

fn claim_row(r: &Row) -> Result<ClaimRow> {
    Ok(ClaimRow {
        id: r.t(0),
        customer_id: r.t(1),
        invoice_number: r.t(2),
        issue_date: r.date(3),
        due_date: r.date(4),
        currency: r.t(5).parse().map_err(StoreError::Data)?,
        principal: r.i(6),
        status: r.t(7),
        settled_date: r.odate(8),
        reference: r.ot(9),
    })
}

fn parse<T: std::str::FromStr<Err = String>>(s: &str) -> Result<T> {
    s.parse().map_err(StoreError::Data)
}

fn bad(msg: impl Into<String>) -> StoreError {
    StoreError::Rule(msg.into())
}

impl Store {
    /// Opens a store: `postgres://…` / `postgresql://…` for PostgreSQL, otherwise a SQLite file
    /// path (optionally `sqlite://path` or `sqlite:path`). Applies pending migrations.
    pub fn open(url: &str) -> Result<Store> {
        let db: Box<dyn Backend> = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Box::new(backend::Postgres(postgres::Client::connect(url, postgres::NoTls)?))
        } else {
            let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
            let conn = rusqlite::Connection::open(path)?;
            conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000; PRAGMA cache_size = -200000; PRAGMA mmap_size = 4294967296;")?;
            Box::new(backend::Sqlite(conn))
        };
        let mut s = Store { db, in_tx: false };
        s.migrate()?;
        Ok(s)
    }

    pub fn backend(&self) -> &'static str {
        self.db.name()
    }

    fn migrate(&mut self) -> Result<()> {
        self.db.batch("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL)")?;
        let done: Vec<i64> = self.db.query("SELECT version FROM schema_migrations", &[])?.iter().map(|r| r.i(0)).collect();
        for (version, name, sql) in schema::MIGRATIONS {
            if done.contains(version) {
                continue;
            }
            self.tx(|s| {
                s.db.batch(&schema::render(sql, s.db.name()))?;
                s.db.exec("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", &[(*version).into(), (*name).into()])?;
                Ok(())
            })?;
        }
        Ok(())
    }

    /// Runs `f` in one transaction: everything or nothing.
    pub fn tx<T>(&mut self, f: impl FnOnce(&mut Store) -> Result<T>) -> Result<T> {
        self.tx_or_rollback(false, f)
    }

    /// Runs `f` in one transaction, committed on success unless `rollback` (a dry run);
    /// rolled back on error. Nested calls join the open transaction.
    pub(crate) fn tx_or_rollback<T>(&mut self, rollback: bool, f: impl FnOnce(&mut Store) -> Result<T>) -> Result<T> {
        if self.in_tx {
            return f(self);
        }
        self.db.batch("BEGIN")?;
        self.in_tx = true;
        let r = f(self);
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

    pub fn save_creditor(&mut self, c: &Creditor) -> Result<()> {
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

    pub fn creditor(&mut self, id: &str) -> Result<Creditor> {
        let rows = self.db.query(
            "SELECT id, name, jurisdiction, currency, reminder_fee_agreed, charge_interest, contract_rate, bankgiro, iban, policy, reference_scheme FROM creditors WHERE id = $1",
            &[id.into()],
        )?;
        let r = rows.first().ok_or_else(|| StoreError::NotFound(format!("no creditor '{id}' (create one with `fordra creditor add`)")))?;
        Ok(Creditor {
            id: r.t(0),
            name: r.t(1),
            jurisdiction: parse::<JurisdictionCode>(&r.t(2))?,
            currency: parse(&r.t(3))?,
            reminder_fee_agreed: r.i(4) != 0,
            charge_interest: r.i(5) != 0,
            contract_rate: r.ot(6).map(|s| s.parse().map_err(|e| StoreError::Data(format!("contract rate: {e}")))).transpose()?,
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
    pub fn upsert_customers(&mut self, creditor: &str, rows: &[CustomerRow]) -> Result<ImportSummary> {
        self.tx(|s| {
            let existing: HashMap<String, Row> = s
                .db
                .query("SELECT id, name, kind, language, email, phone, address, org_no, credit_score, credit_score_date, vip FROM customers WHERE creditor_id = $1", &[creditor.into()])?
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
                ];
                match existing.get(&c.id) {
                    Some(old) if old[1..] == vals[2..] => sum.unchanged += 1,
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
                "INSERT INTO customers (creditor_id, id, name, kind, language, email, phone, address, org_no, credit_score, credit_score_date, vip) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
                 ON CONFLICT (creditor_id, id) DO UPDATE SET name = excluded.name, kind = excluded.kind, language = excluded.language, email = excluded.email, phone = excluded.phone, \
                 address = excluded.address, org_no = excluded.org_no, credit_score = excluded.credit_score, credit_score_date = excluded.credit_score_date, vip = excluded.vip",
                &mut changed.into_iter(),
            )?;
            Ok(sum)
        })
    }

    pub fn customer(&mut self, creditor: &str, id: &str) -> Result<CustomerRow> {
        let rows = self.db.query(
            "SELECT id, name, kind, language, email, phone, address, org_no, credit_score, credit_score_date, vip, segment, segment_reason FROM customers WHERE creditor_id = $1 AND id = $2",
            &[creditor.into(), id.into()],
        )?;
        let r = rows.first().ok_or_else(|| StoreError::NotFound(format!("no customer '{id}'")))?;
        Ok(CustomerRow {
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
        Ok(self.db.query("SELECT id FROM customers WHERE creditor_id = $1", &[creditor.into()])?.iter().map(|r| r.t(0)).collect())
    }

    pub fn set_vip(&mut self, creditor: &str, customer: &str, vip: bool) -> Result<()> {
        self.tx(|s| {
            if s.db.exec("UPDATE customers SET vip = $1 WHERE creditor_id = $2 AND id = $3", &[vip.into(), creditor.into(), customer.into()])? == 0 {
                return Err(StoreError::NotFound(format!("no customer '{customer}'")));
            }
            s.audit(creditor, &format!("customer:{customer}"), "vip", if vip { "chosen as VIP by the creditor" } else { "VIP choice removed by the creditor" })
        })
    }

    // ----- claims ----------------------------------------------------------------------------

    fn insert_entries(&mut self, creditor: &str, currency_of: &dyn Fn(&str) -> Currency, entries: &[NewEntry]) -> Result<()> {
        let mut rows = entries.iter().map(|e| -> Vec<Val> {
            vec![
                creditor.into(),
                (&e.claim_id).into(),
                (&e.customer_id).into(),
                e.date.into(),
                e.kind.to_string().into(),
                e.component.map(|c| c.as_str()).into(),
                e.amount.into(),
                currency_of(&e.claim_id).code().into(),
                (&e.reference).into(),
                (&e.memo).into(),
            ]
        });
        self.db.exec_many("INSERT INTO ledger (creditor_id, claim_id, customer_id, date, kind, component, amount, currency, reference, memo) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)", &mut rows)?;
        Ok(())
    }

    /// Imports invoices as claims. Identical re-imports change nothing; a known invoice that now
    /// has a paid date is settled; a known invoice with other amount, dates or customer is refused.
    pub fn import_invoices(&mut self, creditor_id: &str, law: &LawBook, rows: &[InvoiceRow], source: &str) -> Result<ImportSummary> {
        let creditor = self.creditor(creditor_id)?;
        self.tx(|s| {
            let customers: HashMap<String, DebtorKind> = s.db.query("SELECT id, kind FROM customers WHERE creditor_id = $1", &[creditor_id.into()])?.into_iter().map(|r| (r.t(0), r.t(1).parse().unwrap_or(DebtorKind::Consumer))).collect();
            let existing: HashMap<String, ClaimRow> = s.db.query(&format!("SELECT {CLAIM_COLS} FROM claims WHERE creditor_id = $1"), &[creditor_id.into()])?.iter().map(|r| claim_row(r).map(|c| (c.id.clone(), c))).collect::<Result<_>>()?;
            let mut sum = ImportSummary::default();
            let mut new_claims = Vec::new();
            let mut entries = Vec::new();
            let mut payments = Vec::new();
            let mut settle_later = Vec::new();
            let mut seen = HashMap::default();
            for r in rows {
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
                            settle_later.push((r.id.clone(), r.customer_id.clone(), p));
                            sum.settled += 1
                        }
                        _ => sum.unchanged += 1,
                    }
                    continue;
                }
                if r.due_date < r.issue_date {
                    return Err(bad(format!("{source}: line {}: column due_date: {} is before the invoice date {}", r.line, r.due_date, r.issue_date)));
                }
                sum.created += 1;
                let status = if r.paid_date.is_some() { "paid" } else { "open" };
                let reference = r.reference.clone().or_else(|| creditor.reference_scheme.and_then(|sch| fordra_core::reference::make(sch, &r.invoice_number).ok()));
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
                ]);
                entries.push(NewEntry { claim_id: r.id.clone(), customer_id: r.customer_id.clone(), date: r.issue_date, kind: EntryKind::Invoice, component: Some(Component::Principal), amount: r.amount, reference: format!("import:{source}"), memo: format!("invoice {} due {}", r.invoice_number, r.due_date) });
                if let Some(p) = r.paid_date {
                    entries.push(NewEntry { claim_id: r.id.clone(), customer_id: r.customer_id.clone(), date: p, kind: EntryKind::Payment, component: Some(Component::Principal), amount: -r.amount, reference: format!("payment:settled:{}", r.id), memo: "settled before import (paid date in the invoice file)".into() });
                    payments.push(vec![creditor_id.into(), format!("settled:{}", r.id).into(), (&r.id).into(), (&r.customer_id).into(), p.into(), r.amount.into(), r.currency.code().into(), Val::T(None), Val::T(None), source.into()]);
                }
            }
            s.db.exec_many(
                "INSERT INTO claims (creditor_id, id, customer_id, invoice_number, issue_date, due_date, currency, principal, status, settled_date, reference) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
                &mut new_claims.into_iter(),
            )?;
            let currencies: HashMap<String, Currency> = rows.iter().map(|r| (r.id.clone(), r.currency)).collect();
            s.insert_entries(creditor_id, &|id| currencies.get(id).copied().unwrap_or(creditor.currency), &entries)?;
            s.insert_payment_rows(payments)?;
            for (claim, customer, date) in settle_later {
                let open = s.amount_due(&creditor, law, &claim, date)?;
                let row = PaymentRow { line: 0, id: format!("settled:{claim}"), claim_id: claim.clone(), date, amount: open, currency: currencies[&claim], reference: None, payer: None };
                s.book_one_payment(&creditor, law, &customers, &row, &customer, &format!("{source} (paid date)"))?;
            }
            s.audit(creditor_id, &format!("import:{source}"), "invoices", &format!("{} created, {} settled, {} unchanged", sum.created, sum.settled, sum.unchanged))?;
            Ok(sum)
        })
    }

    fn insert_payment_rows(&mut self, rows: Vec<Vec<Val>>) -> Result<()> {
        self.db.exec_many(
            "INSERT INTO payments (creditor_id, id, claim_id, customer_id, date, amount, currency, reference, payer, source) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            &mut rows.into_iter(),
        )?;
        Ok(())
    }

    pub fn claim(&mut self, creditor: &str, id: &str) -> Result<ClaimRow> {
        let rows = self.db.query(&format!("SELECT {CLAIM_COLS} FROM claims WHERE creditor_id = $1 AND id = $2"), &[creditor.into(), id.into()])?;
        claim_row(rows.first().ok_or_else(|| StoreError::NotFound(format!("no claim '{id}'")))?)
    }

    pub fn claims_of_customer(&mut self, creditor: &str, customer: &str) -> Result<Vec<ClaimRow>> {
        self.db
            .query(
                &format!("SELECT {CLAIM_COLS} FROM claims WHERE creditor_id = $1 AND customer_id = $2 ORDER BY due_date, id"),
                &[creditor.into(), customer.into()],
            )?
            .iter()
            .map(claim_row)
            .collect()
    }

    fn moves(&mut self, creditor: &str, claim: &str) -> Result<Vec<Movement>> {
        self.db
            .query("SELECT date, kind, component, amount FROM ledger WHERE creditor_id = $1 AND claim_id = $2 ORDER BY id", &[creditor.into(), claim.into()])?
            .iter()
            .map(|r| Ok(Movement { date: r.date(0), kind: parse(&r.t(1))?, component: r.ot(2).map(|c| parse(&c)).transpose()?, amount: r.i(3) }))
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
        let accrued = fordra_core::run::interest_to_post(j, creditor, debtor, c.due_date, &moves, date).unwrap_or(0);
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

    fn refresh_status(&mut self, creditor: &str, claim: &str) -> Result<String> {
        let moves = self.moves(creditor, claim)?;
        let total = Balances::of(&moves, NaiveDate::MAX).total();
        let (status, settled) = if total <= 0 { ("paid", moves.iter().filter(|m| m.kind == EntryKind::Payment).map(|m| m.date).max()) } else { ("open", None) };
        self.db.exec(
            "UPDATE claims SET status = $1, settled_date = $2 WHERE creditor_id = $3 AND id = $4",
            &[status.into(), settled.into(), creditor.into(), claim.into()],
        )?;
        Ok(status.to_string())
    }

    // ----- payments --------------------------------------------------------------------------

    fn book_one_payment(
        &mut self,
        creditor: &Creditor,
        law: &LawBook,
        kinds: &HashMap<String, DebtorKind>,
        p: &PaymentRow,
        customer: &str,
        source: &str,
    ) -> Result<PaymentResult> {
        let j = law.jurisdiction(creditor.jurisdiction).map_err(|e| bad(e.to_string()))?;
        let claim = self.claim(&creditor.id, &p.claim_id)?;
        let state = ClaimState {
            id: claim.id.clone(),
            customer: 0,
            due: claim.due_date,
            principal: claim.principal,
            currency: claim.currency,
            moves: self.moves(&creditor.id, &claim.id)?,
            steps: vec![],
            pauses: vec![],
            predicted: None,
        };
        let debtor = kinds.get(customer).copied().unwrap_or(DebtorKind::Consumer);
        let entries = book_payment(creditor, j, debtor, &state, customer, &PaymentIn { id: p.id.clone(), date: p.date, amount: p.amount });
        self.insert_payment_rows(vec![vec![
            creditor.id.as_str().into(),
            (&p.id).into(),
            (&p.claim_id).into(),
            customer.into(),
            p.date.into(),
            p.amount.into(),
            p.currency.code().into(),
            p.reference.clone().into(),
            p.payer.clone().into(),
            source.into(),
        ]])?;
        self.insert_entries(&creditor.id, &|_| claim.currency, &entries)?;
        let status = self.refresh_status(&creditor.id, &claim.id)?;
        let allocated =
            entries.iter().filter(|e| e.kind == EntryKind::Payment).map(|e| (e.component.map(|c| c.to_string()).unwrap_or_default(), -e.amount)).collect();
        let credit = entries.iter().filter(|e| e.kind == EntryKind::CustomerCredit).map(|e| -e.amount).sum();
        Ok(PaymentResult {
            id: p.id.clone(),
            claim_id: claim.id,
            date: p.date,
            amount: p.amount,
            status: if credit > 0 {
                "overpaid".into()
            } else if status == "paid" {
                "settled".into()
            } else {
                "partly paid".into()
            },
            allocated,
            credit,
        })
    }

    /// Books payments to their claims; a payment id already booked is reported as a duplicate
    /// and changes nothing. One transaction: a bad row stores nothing.
    pub fn book_payments(&mut self, creditor_id: &str, law: &LawBook, rows: &[PaymentRow], source: &str) -> Result<Vec<PaymentResult>> {
        let creditor = self.creditor(creditor_id)?;
        self.tx(|s| {
            let kinds: HashMap<String, DebtorKind> =
                s.db.query("SELECT id, kind FROM customers WHERE creditor_id = $1", &[creditor_id.into()])?
                    .into_iter()
                    .map(|r| (r.t(0), r.t(1).parse().unwrap_or(DebtorKind::Consumer)))
                    .collect();
            let mut out = Vec::new();
            for p in rows {
                let dup =
                    s.db.query("SELECT claim_id, amount, date FROM payments WHERE creditor_id = $1 AND id = $2", &[creditor_id.into(), (&p.id).into()])?;
                if let Some(d) = dup.first() {
                    if d.t(0) != p.claim_id || d.i(1) != p.amount || d.date(2) != p.date {
                        return Err(bad(format!(
                            "{source}: line {}: column id: payment '{}' was already booked with other data (claim {}, amount {}, date {})",
                            p.line,
                            p.id,
                            d.t(0),
                            fordra_core::money::format_minor(d.i(1)),
                            d.date(2)
                        )));
                    }
                    out.push(PaymentResult {
                        id: p.id.clone(),
                        claim_id: p.claim_id.clone(),
                        date: p.date,
                        amount: p.amount,
                        status: "duplicate".into(),
                        allocated: vec![],
                        credit: 0,
                    });
                    continue;
                }
                let claim = s
                    .claim(creditor_id, &p.claim_id)
                    .map_err(|_| bad(format!("{source}: line {}: column invoice_id: unknown invoice '{}'", p.line, p.claim_id)))?;
                if claim.currency != p.currency {
                    return Err(bad(format!("{source}: line {}: column currency: payment in {} for an invoice in {}", p.line, p.currency, claim.currency)));
                }
                if p.amount <= 0 {
                    return Err(bad(format!("{source}: line {}: column amount: a payment must be positive", p.line)));
                }
                out.push(s.book_one_payment(&creditor, law, &kinds, p, &claim.customer_id, source)?);
            }
            Ok(out)
        })
    }

    // ----- pauses ----------------------------------------------------------------------------

    /// Pauses a claim (or all of a customer's claims when `claim` is None). A payment plan may
    /// carry the statutory plan fee.
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
    ) -> Result<(i64, i64)> {
        if kind != PauseKind::Dispute && until.is_none() {
            return Err(bad(format!("a {kind} needs an end date (--until)")));
        }
        if until.is_some_and(|u| u < from) {
            return Err(bad("--until is before the start date"));
        }
        let creditor = self.creditor(creditor_id)?;
        self.tx(|s| {
            let (claim_row, customer_id) = match (claim, customer) {
                (Some(c), _) => {
                    let row = s.claim(creditor_id, c)?;
                    let cust = row.customer_id.clone();
                    (Some(row), cust)
                }
                (None, Some(c)) => (None, s.customer(creditor_id, c)?.id),
                (None, None) => return Err(bad("name a claim or a customer")),
            };
            let rows = s.db.query(
                "INSERT INTO pauses (creditor_id, claim_id, customer_id, kind, from_date, until_date, reason) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
                &[creditor_id.into(), claim.into(), (&customer_id).into(), kind.as_str().into(), from.into(), until.into(), reason.into()],
            )?;
            let id = rows[0].i(0);
            let mut fee = 0;
            if let (true, PauseKind::PaymentPlan, Some(c)) = (plan_fee, kind, &claim_row) {
                let j = law.jurisdiction(creditor.jurisdiction).map_err(|e| bad(e.to_string()))?;
                let debtor = s.customer(creditor_id, &customer_id)?.kind;
                let moves = s.moves(creditor_id, &c.id)?;
                let prior = fordra_core::run::prior_fees(&moves, &[]);
                let ctx = FeeContext {
                    law: j,
                    debtor,
                    reminder_fee_agreed: creditor.reminder_fee_agreed,
                    currency: c.currency,
                    principal: c.principal,
                    due: c.due_date,
                    date: from,
                    prior: &prior,
                };
                let d = fees_for(&ctx, FeeKind::PaymentPlan, FeeSpec::Statutory);
                let entries: Vec<NewEntry> = d
                    .lines
                    .iter()
                    .map(|l| NewEntry {
                        claim_id: c.id.clone(),
                        customer_id: customer_id.clone(),
                        date: from,
                        kind: EntryKind::Fee(l.kind),
                        component: Some(Component::Fees),
                        amount: l.amount,
                        reference: format!("pause:{id}"),
                        memo: l.basis.clone(),
                    })
                    .collect();
                fee = d.total();
                s.insert_entries(creditor_id, &|_| c.currency, &entries)?;
            }
            s.audit(
                creditor_id,
                &format!("claim:{}", claim.unwrap_or("*")),
                &format!("pause:{kind}"),
                &format!("customer {customer_id}, from {from} until {}, reason: {reason}", until.map(|u| u.to_string()).unwrap_or_else(|| "resolved".into())),
            )?;
            Ok((id, fee))
        })
    }

    pub fn end_pause(&mut self, creditor: &str, id: i64, date: NaiveDate, note: &str) -> Result<()> {
        self.tx(|s| {
            if s.db.exec(
                "UPDATE pauses SET ended_date = $1 WHERE creditor_id = $2 AND id = $3 AND ended_date IS NULL",
                &[date.into(), creditor.into(), id.into()],
            )? == 0
            {
                return Err(StoreError::NotFound(format!("no open pause {id}")));
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
        for r in self.db.query(&format!("SELECT id, kind, vip, credit_score, credit_score_date, email, phone, segment, segment_reason FROM customers WHERE creditor_id = $1{one} ORDER BY id"), &params)? {
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
            &format!("SELECT customer_id, date FROM actions WHERE creditor_id = $1 AND kind = 'collection' AND skipped = 0 AND date > $2 AND date <= $3{one}"),
            &params,
        )? {
            if let Some(i) = idx.get(&r.t(0)) {
                customers[*i].collection_dates.push(r.date(1));
            }
        }
        let one = if only.is_some() { " AND customer_id = $2" } else { "" };
        let mut params: Vec<Val> = vec![c.into()];
        params.extend(only.map(Val::from));
        for r in self.db.query(&format!("SELECT customer_id, experiment, arm FROM experiment_arms WHERE creditor_id = $1{one}"), &params)? {
            if let Some(i) = idx.get(&r.t(0)) {
                customers[*i].arms.push(fordra_core::model::Arm { experiment: r.t(1), challenger: r.t(2) == "challenger" });
            }
        }
        Ok((customers, reasons, idx))
    }

    /// The customer's segment and its reason as of `as_of`, computed now from the data.
    pub fn explain_segment(&mut self, creditor: &Creditor, customer: &str, as_of: NaiveDate) -> Result<fordra_core::run::SegmentDecision> {
        let (customers, _, _) = self.load_customers(creditor, Some(customer), as_of)?;
        let mut state = RunState { customers, claims: vec![], stored_reasons: vec![], notes: vec![] };
        self.attach_predictions(creditor, &mut state, as_of, true)?;
        fordra_core::run::segment_customers(creditor, &state.customers, as_of).pop().ok_or_else(|| StoreError::NotFound(format!("no customer '{customer}'")))
    }

    /// Loads what the core needs for a run on `as_of`: customers with history, open claims with
    /// their ledger movements, steps and pauses.
    pub fn load_run_state(&mut self, creditor: &Creditor, as_of: NaiveDate) -> Result<RunState> {
        let c = creditor.id.as_str();
        let (mut customers, reasons, idx) = self.load_customers(creditor, None, as_of)?;
        let mut cidx: HashMap<String, usize> = HashMap::default();
        let mut claims: Vec<ClaimState> = Vec::new();
        let day = |r: &dyn RowRef, i: usize| r.day(i).ok_or_else(|| StoreError::Data(format!("bad date in column {i}")));
        self.db.query_each(
            "SELECT id, customer_id, due_date, principal, currency FROM claims WHERE creditor_id = $1 AND (status = 'open' OR settled_date > $2)",
            &[c.into(), as_of.into()],
            &mut |r| {
                let (Some(id), Some(ci)) = (r.str(0), r.str(1).and_then(|x| idx.get(x))) else { return Ok(()) };
                cidx.insert(id.to_string(), claims.len());
                claims.push(ClaimState {
                    id: id.to_string(),
                    customer: *ci,
                    due: day(r, 2)?,
                    principal: r.int(3).unwrap_or(0),
                    currency: parse(r.str(4).unwrap_or(""))?,
                    moves: vec![],
                    steps: vec![],
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
            "SELECT a.claim_id, a.seq, a.kind, a.date, a.deadline, a.notional_fee, a.skipped FROM claims c CROSS JOIN actions a WHERE c.creditor_id = $1 AND (c.status = 'open' OR c.settled_date > $2) AND a.creditor_id = c.creditor_id AND a.claim_id = c.id",
            &[c.into(), as_of.into()],
            &mut |r| {
                let date = day(r, 3)?;
                if let (Some(i), true) = (r.str(0).and_then(|x| cidx.get(x)), date <= as_of) {
                    claims[*i].steps.push(DoneStep { seq: r.int(1).unwrap_or(0) as u32, kind: parse::<StepKind>(r.str(2).unwrap_or(""))?, date, deadline: day(r, 4)?, notional_fee: r.int(5).unwrap_or(0), skipped: r.int(6) == Some(1) });
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
        Ok(self.db.query("SELECT MAX(date) FROM runs WHERE creditor_id = $1", &[creditor.into()])?.first().and_then(|r| r.odate(0)))
    }

    pub fn runs(&mut self, creditor: &str) -> Result<Vec<RunRecord>> {
        Ok(self
            .db
            .query("SELECT date, actions, segment_changes FROM runs WHERE creditor_id = $1 ORDER BY date", &[creditor.into()])?
            .iter()
            .map(|r| RunRecord { date: r.date(0), actions: r.i(1), segment_changes: r.i(2) })
            .collect())
    }

    /// Decides (core) and, unless `dry_run`, writes the day's run in one transaction.
    /// Runs move forward: a date before the latest recorded run is refused (except dry runs).
    pub fn run_day(&mut self, creditor_id: &str, law: &LawBook, as_of: NaiveDate, dry_run: bool) -> Result<RunResult> {
        let creditor = self.creditor(creditor_id)?;
        let j = law.jurisdiction(creditor.jurisdiction).map_err(|e| bad(e.to_string()))?;
        if !dry_run {
            if let Some(last) = self.last_run(creditor_id)? {
                if last > as_of {
                    return Err(bad(format!("a run for {last} is already recorded; runs move forward (use --dry-run to look at an earlier date)")));
                }
            }
        }
        let state = self.load_run_state(&creditor, as_of)?;
        let mut result = daily_run(&creditor, j, &state.customers, &state.claims, as_of);
        result.notes = state.notes.clone();
        if dry_run {
            return Ok(result);
        }
        self.apply_run(&creditor, as_of, &result, &state.stored_reasons, &state.claims)?;
        Ok(result)
    }

    fn apply_run(&mut self, creditor: &Creditor, as_of: NaiveDate, r: &RunResult, old_reasons: &[Option<String>], claims: &[ClaimState]) -> Result<()> {
        let c = creditor.id.as_str();
        let currencies: HashMap<&str, Currency> = claims.iter().map(|x| (x.id.as_str(), x.currency)).collect();
        self.tx(|s| {
            // The reason is stored when the segment changes: it says why the customer is where it is.
            let mut updates = r.segments.iter().zip(old_reasons).filter(|(d, old)| d.previous != Some(d.segment) || old.is_none()).map(|(d, _)| -> Vec<Val> { vec![d.segment.as_str().into(), (&d.reason).into(), c.into(), (&d.customer_id).into()] });
            s.db.exec_many("UPDATE customers SET segment = $1, segment_reason = $2 WHERE creditor_id = $3 AND id = $4", &mut updates)?;
            let mut changes = r.segment_changes().map(|d| -> Vec<Val> { vec![c.into(), (&d.customer_id).into(), as_of.into(), d.previous.map(|p| p.as_str()).into(), d.segment.as_str().into(), (&d.reason).into()] });
            let n_changes = s.db.exec_many("INSERT INTO segment_changes (creditor_id, customer_id, date, from_segment, to_segment, reason) VALUES ($1, $2, $3, $4, $5, $6)", &mut changes)?;
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
                ]
            });
            let n_actions = s.db.exec_many(
                "INSERT INTO actions (creditor_id, claim_id, seq, customer_id, step_no, kind, segment, date, deadline, channel, letter, fee, notional_fee, interest, open_after, skipped, reason, arm) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18) ON CONFLICT (creditor_id, claim_id, seq) DO NOTHING",
                &mut actions,
            )?;
            let mut arms = r.assignments.iter().map(|(customer, a)| -> Vec<Val> {
                vec![c.into(), (&a.experiment).into(), customer.into(), (if a.challenger { "challenger" } else { "champion" }).into(), as_of.into()]
            });
            s.db.exec_many(
                "INSERT INTO experiment_arms (creditor_id, experiment, customer_id, arm, assigned_on) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (creditor_id, experiment, customer_id) DO NOTHING",
                &mut arms,
            )?;
            if n_actions as usize != r.actions.len() {
                return Err(bad("another run wrote the same steps concurrently; nothing was written, run again"));
            }
            s.insert_entries(c, &|id| currencies.get(id).copied().unwrap_or(creditor.currency), &r.entries)?;
            s.db.exec(
                "INSERT INTO runs (creditor_id, date, actions, segment_changes) VALUES ($1, $2, $3, $4) ON CONFLICT (creditor_id, date) DO UPDATE SET actions = runs.actions + excluded.actions, segment_changes = runs.segment_changes + excluded.segment_changes",
                &[c.into(), as_of.into(), (n_actions as i64).into(), (n_changes as i64).into()],
            )?;
            Ok(())
        })
    }

    fn action_rows(&mut self, sql_where: &str, params: &[Val]) -> Result<Vec<ActionRow>> {
        Ok(self
            .db
            .query(&format!("SELECT claim_id, customer_id, seq, step_no, kind, segment, date, deadline, channel, letter, fee, interest, open_after, skipped, reason, arm FROM actions WHERE {sql_where} ORDER BY date, customer_id, claim_id, seq"), params)?
            .iter()
            .map(|r| ActionRow { claim_id: r.t(0), customer_id: r.t(1), seq: r.i(2), step_no: r.i(3), kind: r.t(4), segment: r.t(5), date: r.date(6), deadline: r.date(7), channel: r.t(8), letter: r.ot(9), fee: r.i(10), interest: r.i(11), open_after: r.i(12), skipped: r.i(13) != 0, reason: r.t(14), arm: r.ot(15) })
            .collect())
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
        Ok(self
            .db
            .query(
                "SELECT customer_id, date, from_segment, to_segment, reason FROM segment_changes WHERE creditor_id = $1 AND customer_id = $2 ORDER BY id",
                &[creditor.into(), customer.into()],
            )?
            .iter()
            .map(|r| SegmentChangeRow { customer_id: r.t(0), date: r.date(1), from: r.ot(2), to: r.t(3), reason: r.t(4) })
            .collect())
    }

    // ----- reports ---------------------------------------------------------------------------

    /// Every claim with its balances and steps as of `as_of`, and every customer's segment.
    pub fn report_data(&mut self, creditor: &str, as_of: NaiveDate) -> Result<(Vec<SegmentedCustomer>, Vec<ReportClaim>)> {
        let customers = self
            .db
            .query("SELECT id, segment, kind FROM customers WHERE creditor_id = $1 ORDER BY id", &[creditor.into()])?
            .iter()
            .map(|r| Ok((r.t(0), r.ot(1).map(|s| parse(&s)).transpose()?, parse(&r.t(2))?)))
            .collect::<Result<Vec<_>>>()?;
        let mut claims = Vec::new();
        let mut idx = HashMap::default();
        for r in self.db.query(
            "SELECT id, customer_id, issue_date, due_date, principal, settled_date FROM claims WHERE creditor_id = $1 AND issue_date <= $2 ORDER BY id",
            &[creditor.into(), as_of.into()],
        )? {
            idx.insert(r.t(0), claims.len());
            claims.push(ReportClaim {
                id: r.t(0),
                customer_id: r.t(1),
                issue_date: r.date(2),
                due_date: r.date(3),
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
            "SELECT claim_id, kind, COUNT(*) FROM actions WHERE creditor_id = $1 AND skipped = 0 AND date <= $2 GROUP BY claim_id, kind",
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
