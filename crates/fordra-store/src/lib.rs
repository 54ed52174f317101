//! Fordra's storage: one store over SQLite (the embedded default, a file) and PostgreSQL
//! (production, selected by URL). Every table is keyed by creditor (tenant). The operations here
//! read and write; the application layer (`fordra-app`) decides and composes them, one
//! transaction per use case, so a failed import or run leaves nothing half-done. The store holds
//! SQL and no rules.

#![warn(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

mod backend;
mod bank;
mod claims;
mod creditors;
mod customers;
mod deliveries;
mod ml;
mod partition;
mod pauses;
mod payments;
mod reconcile;
mod reports;
mod runs;
mod schema;
mod scores;
mod service;
mod strategy;
mod web;
mod webhooks;

pub use backend::{parse_day, Backend, CellError, Insert, ReadRow, Row, RowRef, Val};
pub use bank::{BankPaymentRecord, KnownKey, PaymentReportRow, Reversible};
use chrono::NaiveDate;
pub use claims::{ClaimRow, InvoiceRow, LedgerRow, NewClaim};
pub use customers::{CustomerRow, SegmentChangeRow};
pub use deliveries::{AttemptRow, DeliveryRow, Finish};
use fordra_core::ledger::EntryKind;
pub use ml::ModelRow;
pub use partition::{Partitioned, MAX_PARTITIONS, PARTITIONED_TABLES};
pub use pauses::PauseRow;
pub use payments::{NewPayment, PaymentResult, PaymentRow};
pub use reconcile::Reconciled;
pub use reports::{ReportClaim, SegmentedCustomer};
pub use runs::{channel_label, ActionRow, RunRecord, RunState};
pub use scores::KeptScore;
pub use service::{ApiKeyRow, Idempotent};
pub use strategy::ExperimentRow;
pub use web::{NoteRow, SessionRow, UserRow};
pub use webhooks::{DueWebhook, NewEvent, WebhookDeliveryRow, WebhookOutcome, WebhookRow};
// FxHash for the per-claim indexes built on every run (keys are our own ids).
use rustc_hash::FxHashMap as HashMap;

/// What went wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The SQLite driver failed.
    #[error("SQLite: {0}")]
    Sqlite(#[from] rusqlite::Error),
    /// The PostgreSQL driver failed.
    #[error("PostgreSQL: {0}")]
    Postgres(#[from] postgres::Error),
    /// Stored data this version cannot use, or a value that cannot be stored.
    #[error("stored data: {0}")]
    Data(String),
    /// A value from outside out of its bounds.
    #[error("{0}")]
    Rule(String),
    /// No such entity (for this creditor).
    #[error("no {entity} '{id}'")]
    NotFound {
        /// What was looked for.
        entity: &'static str,
        /// The id asked for.
        id: String,
    },
    /// A stored value is missing or malformed: the database holds what this version cannot read.
    #[error("stored data: table {table}, column {column}: {problem}")]
    Row {
        /// The table.
        table: String,
        /// The column.
        column: String,
        /// What is wrong with the value.
        problem: String,
    },
    /// What was asked conflicts with what is stored (an id taken, a run not the latest).
    #[error("{0}")]
    Conflict(String),
}

/// The store's result.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// One database (SQLite file or PostgreSQL), migrated, with the operations the use cases compose.
pub struct Store {
    db: Box<dyn Backend>,
    in_tx: bool,
    /// Within a transaction: whether this creditor has a webhook subscription (asked once per
    /// transaction, not once per event: an import of a bank file records an event per payment).
    wants_events: Option<(String, bool)>,
    /// Today, for the bounds that depend on it (no payment or run far in the future); the
    /// clock's date unless a test or simulation sets it.
    today: NaiveDate,
    /// Who the changes are made for (a web user, an API key, the command line), written into
    /// each audit record.
    actor: String,
    /// The last creditor policy parsed, with its text: the delivery worker reads the creditor
    /// once per message, and parsing the TOML each time cost more than the message.
    policy_memo: Option<(String, fordra_core::model::Policy)>,
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

/// What an import did.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ImportSummary {
    /// Rows new to the store.
    pub created: usize,
    /// Rows that changed something stored.
    pub updated: usize,
    /// Rows identical to what was stored.
    pub unchanged: usize,
    /// Invoices settled by a paid date.
    pub settled: usize,
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
            Box::new(backend::Postgres::new(postgres::Client::connect(url, postgres::NoTls)?))
        } else {
            let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
            if !create && !std::path::Path::new(path).exists() {
                return Err(StoreError::NotFound { entity: "database at", id: path.to_string() });
            }
            let conn = rusqlite::Connection::open(path)?;
            // A writer waits up to a minute for another (a run on a million claims takes seconds).
            // The WAL is checkpointed every 64 MB rather than SQLite's 4 MB: a day's writes touch
            // the same pages again and again, and each checkpoint copies and syncs them (a
            // profile put 13 % of the demo's time in checkpoints after commits).
            conn.execute_batch("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 60000; PRAGMA cache_size = -200000; PRAGMA mmap_size = 4294967296; PRAGMA wal_autocheckpoint = 16384;")?;
            Box::new(backend::Sqlite(conn))
        };
        let mut s = Store {
            db,
            in_tx: false,
            wants_events: None,
            policy_memo: None,
            today: chrono::Local::now().date_naive(),
            actor: "cli".into(),
        };
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

    /// Names who the following changes are made for ("user:ana@acme.se", "key:k_…",
    /// "debtor:C-1"); the command line's default is "cli".
    pub fn set_actor(&mut self, actor: &str) {
        self.actor = actor.to_string();
    }

    /// Who the changes are made for.
    pub fn actor(&self) -> &str {
        &self.actor
    }

    /// "sqlite" or "postgres".
    pub fn backend(&self) -> &'static str {
        self.db.name()
    }

    fn migrate(&mut self) -> Result<()> {
        self.db
            .batch("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL)")?;
        let done: Vec<i64> = self
            .db
            .query("SELECT version FROM schema_migrations", &[])?
            .iter()
            .map(|r| r.int("version"))
            .collect::<Result<_>>()?;
        for (version, name, sql) in schema::MIGRATIONS {
            if done.contains(version) {
                continue;
            }
            self.tx(|s| -> Result<()> {
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
            let EntryKind::Fee(kind) = r.get("kind")? else { continue };
            fees.entry(format!("{}\u{0}{}", r.str("creditor_id")?, r.str("reference")?))
                .or_default()
                .push(fordra_core::fees::FeeLine { kind, amount: r.int("amount")?, basis: r.text("memo")? });
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
        for r in self.db.query("SELECT creditor_id, reference, MIN(date) AS first FROM ledger WHERE reference LIKE 'reversal:%' GROUP BY creditor_id, reference", &[])? {
            if let Some(id) = r.str("reference")?.strip_prefix("reversal:") {
                reversed.push(vec![r.str("first")?.into(), r.str("creditor_id")?.into(), id.into()]);
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
            let parts: Vec<(String, i64)> =
                serde_json::from_str(r.str("claims")?).map_err(|e| r.fail("claims", e.to_string()))?;
            let key = r.text("key")?;
            let ids: Vec<String> = if parts.len() <= 1 {
                vec![key.clone()]
            } else {
                (1..=parts.len()).map(|n| format!("{key}#{n}")).collect()
            };
            for id in ids {
                keys.push(vec![key.as_str().into(), r.str("creditor_id")?.into(), id.into()]);
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
    pub fn tx<T, E: From<StoreError>>(&mut self, f: impl FnOnce(&mut Store) -> Result<T, E>) -> Result<T, E> {
        self.transaction(TxMode::Write, None, false, f)
    }

    /// Runs `f` in one write transaction for `creditor`, which must exist: writers of one
    /// creditor are serialised (a run and a payment import at once give the serial result). The
    /// application layer composes its use cases from store operations inside it (with its own
    /// error type).
    pub fn write_tx<T, E: From<StoreError>>(
        &mut self,
        creditor: &str,
        f: impl FnOnce(&mut Store) -> Result<T, E>,
    ) -> Result<T, E> {
        self.transaction(TxMode::Write, Some(creditor), false, f)
    }

    /// Runs `f` in one transaction, committed on success unless `rollback` (a dry run);
    /// rolled back on error. Nested calls join the open transaction.
    pub fn tx_or_rollback<T, E: From<StoreError>>(
        &mut self,
        creditor: &str,
        rollback: bool,
        f: impl FnOnce(&mut Store) -> Result<T, E>,
    ) -> Result<T, E> {
        self.transaction(TxMode::Write, Some(creditor), rollback, f)
    }

    /// Runs `f` on one consistent snapshot, writing nothing.
    pub fn read_tx<T, E: From<StoreError>>(&mut self, f: impl FnOnce(&mut Store) -> Result<T, E>) -> Result<T, E> {
        self.transaction(TxMode::Read, None, true, f)
    }

    fn transaction<T, E: From<StoreError>>(
        &mut self,
        mode: TxMode,
        creditor: Option<&str>,
        rollback: bool,
        f: impl FnOnce(&mut Store) -> Result<T, E>,
    ) -> Result<T, E> {
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
        self.wants_events = None;
        let r = match creditor {
            Some(c) => self.lock_creditor(c).map_err(E::from).and_then(|_| f(self)),
            None => f(self),
        };
        self.in_tx = false;
        self.wants_events = None;
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

    /// Appends to the creditor's audit log, with who (the store's actor) and when.
    pub fn audit(&mut self, creditor: &str, subject: &str, event: &str, detail: &str) -> Result<()> {
        let at = chrono::Utc::now().timestamp();
        self.db.exec(
            "INSERT INTO audit (creditor_id, subject, event, detail, actor, at) VALUES ($1, $2, $3, $4, $5, $6)",
            &[creditor.into(), subject.into(), event.into(), detail.into(), self.actor.clone().into(), at.into()],
        )?;
        Ok(())
    }

    /// The creditor's newest audit records (newest first), optionally only those whose actor
    /// starts with `actor_prefix` or whose subject is `subject`.
    pub fn audit_recent(
        &mut self,
        creditor: &str,
        actor_prefix: &str,
        subject_prefix: &str,
        limit: i64,
    ) -> Result<Vec<AuditRow>> {
        self.db
            .query(
                "SELECT id, subject, event, detail, actor, at FROM audit WHERE creditor_id = $1 \
                 AND actor LIKE $2 ESCAPE '!' AND subject LIKE $3 ESCAPE '!' ORDER BY id DESC LIMIT $4",
                &[
                    creditor.into(),
                    format!("{}%", like_escape(actor_prefix)).into(),
                    format!("{}%", like_escape(subject_prefix)).into(),
                    limit.into(),
                ],
            )?
            .iter()
            .map(|r| {
                Ok(AuditRow {
                    id: r.int("id")?,
                    subject: r.text("subject")?,
                    event: r.text("event")?,
                    detail: r.text("detail")?,
                    actor: r.text("actor")?,
                    at: r.int("at")?,
                })
            })
            .collect::<Result<_>>()
    }

    /// The creditor's audit log, oldest first: (subject, event, detail).
    pub fn audit_log(&mut self, creditor: &str) -> Result<Vec<(String, String, String)>> {
        self.db
            .query("SELECT subject, event, detail FROM audit WHERE creditor_id = $1 ORDER BY id", &[creditor.into()])?
            .iter()
            .map(|r| Ok((r.text("subject")?, r.text("event")?, r.text("detail")?)))
            .collect::<Result<_>>()
    }
}

/// One audit record.
#[derive(Clone, Debug, serde::Serialize)]
pub struct AuditRow {
    /// Its id.
    pub id: i64,
    /// What changed ("claim:INV-1", "customer:C-1").
    pub subject: String,
    /// The change.
    pub event: String,
    /// In words.
    pub detail: String,
    /// Who ("user:…", "key:…", "debtor:…", "cli").
    pub actor: String,
    /// When (Unix seconds; 0 before migration 13).
    pub at: i64,
}

/// `s` with LIKE's wildcards taken literally (`!` is the queries' escape character): a claim
/// or customer id may hold `_` or `%`.
fn like_escape(s: &str) -> String {
    s.chars().fold(String::with_capacity(s.len()), |mut out, c| {
        if matches!(c, '%' | '_' | '!') {
            out.push('!');
        }
        out.push(c);
        out
    })
}

impl Store {
    /// The newest migration applied and the newest this version knows: equal when the schema is
    /// current (the service's readiness check).
    pub fn schema_version(&mut self) -> Result<(i64, i64)> {
        let rows =
            self.db.query("SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) AS v FROM schema_migrations", &[])?;
        let applied = rows.first().map(|r| r.int("v")).transpose()?.unwrap_or(0);
        let known = schema::MIGRATIONS.iter().map(|(v, _, _)| *v).max().unwrap_or(0);
        Ok((applied, known))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;

    /// A SQLite file keeps its write-ahead log up to 64 MB before copying it back: the demo's
    /// thousands of small commits spent 13 % of their time in checkpoints at SQLite's 4 MB.
    #[test]
    fn sqlite_checkpoints_every_64_mb_in_wal_mode() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::create(&dir.path().join("f.db").display().to_string()).unwrap();
        let rows = s.db.query("PRAGMA wal_autocheckpoint", &[]).unwrap();
        assert_eq!(rows[0].int("wal_autocheckpoint").unwrap(), 16_384);
        let rows = s.db.query("PRAGMA journal_mode", &[]).unwrap();
        assert_eq!(rows[0].str("journal_mode").unwrap(), "wal");
    }
}
