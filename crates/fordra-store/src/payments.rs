//! Payments from payment files and refunds of customer credit.

use crate::Reconciled;
use crate::{bad, input, ReadRow, Result, Store, Val};
use chrono::NaiveDate;
use fordra_core::law::LawBook;
use fordra_core::limits;
use fordra_core::money::Currency;
use fordra_core::settle::PaymentKind;
use rustc_hash::FxHashMap as HashMap;

/// A payment fact as a row for `insert_payment_rows`.
#[allow(clippy::too_many_arguments)]
pub(crate) fn payment_fact_row(
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
        crate::reconcile::payment_kind_name(kind).into(),
        bank_key.into(),
    ]
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

impl Store {
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
                    duplicate(d.str("claim_id")?, d.int("amount")?, d.date("date")?, "was already booked")?;
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
                return Ok((r.text("id")?, available));
            }
            if amount > available {
                return Err(bad(format!(
                    "customer '{customer}' has {} {currency} of credit, less than the {} asked for",
                    fordra_core::money::format_minor(available),
                    fordra_core::money::format_minor(amount)
                )));
            }
            let n = s.db.query("SELECT COUNT(*) AS n FROM refunds WHERE creditor_id = $1", &[creditor_id.into()])?.first().map(|r| r.int("n")).transpose()?.unwrap_or(0) + 1;
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
}
