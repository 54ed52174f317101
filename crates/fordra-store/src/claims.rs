//! Claims and their ledger: invoices imported as claims, ledger entries read back, balances and
//! amounts due derived from them.

use crate::payments::payment_fact_row;
use crate::{bad, ImportSummary, ReadRow, Result, RowRef, Store, StoreError, Val};
use chrono::NaiveDate;
use fordra_core::domain::{ClaimStatus, DebtorKind};
use fordra_core::law::LawBook;
use fordra_core::ledger::{Balances, Movement};
use fordra_core::limits;
use fordra_core::money::Currency;
use fordra_core::run::Creditor;
use fordra_core::settle::PaymentKind;
use rustc_hash::FxHashMap as HashMap;

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
            let customers: HashMap<String, DebtorKind> = s.db.query("SELECT id, kind FROM customers WHERE creditor_id = $1", &[creditor_id.into()])?.iter().map(|r| Ok((r.text("id")?, r.get("kind")?))).collect::<Result<_>>()?;
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
                let c = claim_row(r)?;
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
                references.insert(fordra_core::reference::normalize(r.str("reference")?), r.text("id")?);
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

    pub(crate) fn insert_payment_rows(&mut self, rows: Vec<Vec<Val>>) -> Result<()> {
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

    pub(crate) fn moves(&mut self, creditor: &str, claim: &str) -> Result<Vec<Movement>> {
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
