//! Claims and their ledger: invoices imported as claims, ledger entries read back, balances and
//! amounts due derived from them.

use crate::{ReadRow, Result, RowRef, Store, StoreError, Val};
use chrono::NaiveDate;
use fordra_core::domain::{ClaimStatus, DebtorKind};
use fordra_core::ledger::{Balances, Movement};
use fordra_core::money::Currency;
use rustc_hash::FxHashMap as HashMap;

/// An invoice to import; `paid_date` marks a historical invoice already settled.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InvoiceRow {
    /// Line in its file.
    pub line: usize,
    /// The creditor's invoice id (the claim's id).
    pub id: String,
    /// The customer who owes it.
    pub customer_id: String,
    /// The invoice number as printed.
    pub invoice_number: String,
    /// Invoice date.
    pub issue_date: NaiveDate,
    /// Due date.
    pub due_date: NaiveDate,
    /// Currency.
    pub currency: Currency,
    /// Amount in minor units.
    pub amount: i64,
    /// Set for an invoice already paid.
    pub paid_date: Option<NaiveDate>,
    /// The payment reference (OCR/viitenumero/KID/RF); made from the invoice number by the
    /// creditor's scheme when absent.
    pub reference: Option<String>,
    /// The due date was agreed in advance (the usual case); if not, interest starts 30 days
    /// after `demand_date` (default: the issue date), the demand stating that interest is charged.
    pub due_date_agreed: bool,
    /// When payment was demanded, if the due date was not agreed.
    pub demand_date: Option<NaiveDate>,
}

/// A claim to store, as the application layer decided it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewClaim {
    /// Its id (the creditor's invoice id).
    pub id: String,
    /// The customer who owes it.
    pub customer_id: String,
    /// The invoice number.
    pub invoice_number: String,
    /// Invoice date.
    pub issue_date: NaiveDate,
    /// Due date.
    pub due_date: NaiveDate,
    /// Currency.
    pub currency: Currency,
    /// Principal in minor units.
    pub principal: i64,
    /// Set for a historical invoice already paid.
    pub paid_date: Option<NaiveDate>,
    /// The payment reference, normalised (no spaces).
    pub reference: Option<String>,
    /// The due date was agreed in advance.
    pub due_date_agreed: bool,
    /// The demand interest counts from when it was not.
    pub demand_date: Option<NaiveDate>,
}

/// A claim as stored.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ClaimRow {
    /// Its id.
    pub id: String,
    /// The customer who owes it.
    pub customer_id: String,
    /// The invoice number.
    pub invoice_number: String,
    /// Invoice date.
    pub issue_date: NaiveDate,
    /// Due date.
    pub due_date: NaiveDate,
    /// Currency.
    pub currency: Currency,
    /// Principal in minor units.
    pub principal: i64,
    /// Open or paid.
    pub status: ClaimStatus,
    /// The day it was settled, if it is.
    pub settled_date: Option<NaiveDate>,
    /// Its payment reference.
    pub reference: Option<String>,
    /// The due date was not agreed in advance: interest runs from 30 days after this demand.
    pub demand: Option<NaiveDate>,
}

/// One entry of a claim's ledger, as stored.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LedgerRow {
    /// Its number (entries are appended, never changed).
    pub id: i64,
    /// The claim.
    pub claim_id: String,
    /// The day it takes effect.
    pub date: NaiveDate,
    /// What it is (invoice, fee, interest, payment, correction, …).
    pub kind: String,
    /// The balance it moves (fees, interest, principal); none for the customer's credit.
    pub component: Option<String>,
    /// Signed amount in minor units.
    pub amount: i64,
    /// Currency code.
    pub currency: String,
    /// What caused it ("step:…", "payment:…", "correction:…").
    pub reference: String,
    /// In words.
    pub memo: String,
}

const CLAIM_COLS: &str =
    "id, customer_id, invoice_number, issue_date, due_date, currency, principal, status, settled_date, reference, due_date_agreed, demand_date";

fn claim_row<R: RowRef + ?Sized>(r: &R) -> Result<ClaimRow> {
    let issue_date = r.date("issue_date")?;
    Ok(ClaimRow {
        id: r.text("id")?,
        customer_id: r.text("customer_id")?,
        invoice_number: r.text("invoice_number")?,
        issue_date,
        due_date: r.date("due_date")?,
        currency: r.get("currency")?,
        principal: r.int("principal")?,
        status: r.get("status")?,
        settled_date: r.opt_date("settled_date")?,
        reference: r.opt_text("reference")?,
        demand: demand_of(r.opt_int("due_date_agreed")?, r.opt_date("demand_date")?, issue_date),
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

impl Store {
    /// Every customer's kind (consumer or business), by id.
    pub fn customer_kinds(&mut self, creditor: &str) -> Result<HashMap<String, DebtorKind>> {
        self.db
            .query("SELECT id, kind FROM customers WHERE creditor_id = $1", &[creditor.into()])?
            .iter()
            .map(|r| Ok((r.text("id")?, r.get("kind")?)))
            .collect()
    }

    /// The claims with these ids that exist. Only these are read: a daily file must not cost a
    /// scan of every claim ever imported.
    pub fn claims_by_ids(&mut self, creditor: &str, ids: &[String]) -> Result<HashMap<String, ClaimRow>> {
        let mut out: HashMap<String, ClaimRow> = HashMap::default();
        self.each_in(
            &format!("SELECT {CLAIM_COLS} FROM claims WHERE creditor_id = $1 AND id IN ({{ids}})"),
            &[creditor.into()],
            ids,
            &mut |r| {
                let c = claim_row(r)?;
                out.insert(c.id.clone(), c);
                Ok(())
            },
        )?;
        Ok(out)
    }

    /// The claims that carry these payment references: normalised reference → claim id.
    pub fn claims_by_references(&mut self, creditor: &str, references: &[String]) -> Result<HashMap<String, String>> {
        let mut out: HashMap<String, String> = HashMap::default();
        self.each_in(
            "SELECT reference, id FROM claims WHERE creditor_id = $1 AND reference IN ({ids})",
            &[creditor.into()],
            references,
            &mut |r| {
                out.insert(fordra_core::reference::normalize(r.str("reference")?), r.text("id")?);
                Ok(())
            },
        )?;
        Ok(out)
    }

    /// Stores new claims (open, or paid when `paid_date` is set).
    pub fn insert_claims(&mut self, creditor: &str, claims: &[NewClaim]) -> Result<()> {
        let mut rows = claims.iter().map(|c| -> Vec<Val> {
            let status = if c.paid_date.is_some() { ClaimStatus::Paid } else { ClaimStatus::Open };
            vec![
                creditor.into(),
                c.id.as_str().into(),
                c.customer_id.as_str().into(),
                c.invoice_number.as_str().into(),
                c.issue_date.into(),
                c.due_date.into(),
                c.currency.code().into(),
                c.principal.into(),
                status.as_str().into(),
                c.paid_date.into(),
                c.reference.clone().into(),
                c.due_date_agreed.into(),
                c.demand_date.into(),
            ]
        });
        self.db.exec_many(
            "INSERT INTO claims (creditor_id, id, customer_id, invoice_number, issue_date, due_date, currency, principal, status, settled_date, reference, due_date_agreed, demand_date) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
            &mut rows,
        )?;
        self.db.refresh_statistics("claims", claims.len())?;
        self.history_changed(creditor, claims.iter().map(|c| c.customer_id.as_str()))?;
        Ok(())
    }

    /// A claim by id.
    pub fn claim(&mut self, creditor: &str, id: &str) -> Result<ClaimRow> {
        let rows = self.db.query(
            &format!("SELECT {CLAIM_COLS} FROM claims WHERE creditor_id = $1 AND id = $2"),
            &[creditor.into(), id.into()],
        )?;
        claim_row(rows.first().ok_or_else(|| StoreError::NotFound { entity: "claim", id: id.to_string() })?)
    }

    /// A page of claims by id after `after` (a cursor), with their open balance: the API's list.
    /// `status` and `customer` filter when given.
    pub fn claims_page(
        &mut self,
        creditor: &str,
        status: Option<ClaimStatus>,
        customer: Option<&str>,
        after: &str,
        limit: usize,
    ) -> Result<Vec<(ClaimRow, i64)>> {
        let status = status.map(|s| s.as_str()).unwrap_or("");
        let customer = customer.unwrap_or("");
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = self.db.query(
            &format!(
                "SELECT {CLAIM_COLS}, (SELECT CAST(COALESCE(SUM(l.amount), 0) AS BIGINT) FROM ledger l \
                 WHERE l.creditor_id = claims.creditor_id AND l.claim_id = claims.id AND l.component IS NOT NULL) AS balance \
                 FROM claims WHERE creditor_id = $1 AND id > $2 AND ($3 = '' OR status = $4) AND ($5 = '' OR customer_id = $6) \
                 ORDER BY id LIMIT $7"
            ),
            &[
                creditor.into(),
                after.into(),
                status.into(),
                status.into(),
                customer.into(),
                customer.into(),
                limit.into(),
            ],
        )?;
        rows.iter().map(|r| Ok((claim_row(r)?, r.int("balance")?))).collect()
    }

    /// A customer's claims, by due date.
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

    /// A claim's ledger movements, in the order written.
    pub fn moves(&mut self, creditor: &str, claim: &str) -> Result<Vec<Movement>> {
        self.db
            .query(
                "SELECT date, kind, component, amount FROM ledger WHERE creditor_id = $1 AND claim_id = $2 ORDER BY id",
                &[creditor.into(), claim.into()],
            )?
            .iter()
            .map(|r| {
                Ok(Movement {
                    date: r.date("date")?,
                    kind: r.get("kind")?,
                    component: r.opt("component")?,
                    amount: r.int("amount")?,
                })
            })
            .collect()
    }

    /// Balances of a claim as of `as_of`, derived from its ledger entries.
    pub fn balances(&mut self, creditor: &str, claim: &str, as_of: NaiveDate) -> Result<Balances> {
        Ok(Balances::of(&self.moves(creditor, claim)?, as_of))
    }

    /// A claim's ledger, in entry order.
    pub fn ledger(&mut self, creditor: &str, claim: &str) -> Result<Vec<LedgerRow>> {
        self
            .db
            .query("SELECT id, claim_id, date, kind, component, amount, currency, reference, memo FROM ledger WHERE creditor_id = $1 AND claim_id = $2 ORDER BY date, id", &[creditor.into(), claim.into()])?
            .iter()
            .map(|r| {
                Ok(LedgerRow {
                    id: r.int("id")?,
                    claim_id: r.text("claim_id")?,
                    date: r.date("date")?,
                    kind: r.text("kind")?,
                    component: r.opt_text("component")?,
                    amount: r.int("amount")?,
                    currency: r.text("currency")?,
                    reference: r.text("reference")?,
                    memo: r.text("memo")?,
                })
            })
            .collect::<Result<_>>()
    }

    /// Customer credits (overpayments) of a customer.
    pub fn customer_credit(&mut self, creditor: &str, customer: &str) -> Result<i64> {
        let r = self.db.query(
            "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) AS total FROM ledger WHERE creditor_id = $1 AND customer_id = $2 AND kind = 'customer_credit'",
            &[creditor.into(), customer.into()],
        )?;
        Ok(-r.first().map(|r| r.int("total")).transpose()?.unwrap_or(0))
    }

    /// Sums that must agree whatever the backend (used by tests and `fordra check`).
    pub fn ledger_totals(&mut self, creditor: &str) -> Result<Vec<(String, String, i64)>> {
        self
            .db
            .query("SELECT kind, COALESCE(component, '-') AS part, CAST(SUM(amount) AS BIGINT) AS total FROM ledger WHERE creditor_id = $1 GROUP BY kind, COALESCE(component, '-') ORDER BY kind, COALESCE(component, '-')", &[creditor.into()])?
            .iter()
            .map(|r| Ok((r.text("kind")?, r.text("part")?, r.int("total")?)))
            .collect::<Result<_>>()
    }
}
