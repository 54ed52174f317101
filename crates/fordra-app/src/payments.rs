//! Payments as rows (a payments CSV, the demo's bank): booked to their claims in one
//! transaction, a repeated payment recognised as the one booked already.

use crate::{App, AppError, CreditorId, Result};
use chrono::NaiveDate;
use fordra_core::domain::PaymentOutcome;
use fordra_core::limits::{self, OutOfBounds};
use fordra_core::money::format_minor;
use fordra_core::settle::PaymentKind;
use fordra_store::{NewPayment, PaymentResult, PaymentRow, Reconciled};
use std::collections::HashMap;

/// A payment seen before: the same data is a duplicate (nothing changes), other data is refused.
fn duplicate(
    p: &PaymentRow,
    source: &str,
    claim: &str,
    amount: i64,
    date: NaiveDate,
    first: &str,
) -> Result<PaymentResult> {
    if claim != p.claim_id || amount != p.amount || date != p.date {
        return Err(AppError::at(
            source,
            p.line,
            Some("id"),
            format!(
                "payment '{}' {first} with other data (invoice {claim}, amount {}, date {date})",
                p.id,
                format_minor(amount)
            ),
        ));
    }
    Ok(PaymentResult {
        id: p.id.clone(),
        claim_id: p.claim_id.clone(),
        date: p.date,
        amount: p.amount,
        status: PaymentOutcome::Duplicate,
        allocated: vec![],
        credit: 0,
    })
}

/// What a booked payment did, read from its customer's ledger of record.
pub(crate) fn outcome(rec: &Reconciled, id: &str, claim: &str, date: NaiveDate, amount: i64) -> PaymentResult {
    let (parts, credit) = rec.payments.get(id).cloned().unwrap_or_default();
    let settled = rec.settled.get(claim).is_some_and(|d| d.is_some());
    let status = if credit > 0 {
        PaymentOutcome::Overpaid
    } else if settled {
        PaymentOutcome::Settled
    } else {
        PaymentOutcome::PartlyPaid
    };
    PaymentResult {
        id: id.to_string(),
        claim_id: claim.to_string(),
        date,
        amount,
        status,
        allocated: parts.iter().map(|(c, x)| (c.to_string(), *x)).collect(),
        credit,
    }
}

impl App<'_> {
    /// Books payments to their claims; a payment id already booked with the same data is a
    /// duplicate and changes nothing, with other data it is refused. One transaction: a bad row
    /// stores nothing.
    pub fn book_payment_rows(
        &mut self,
        creditor: &CreditorId,
        rows: &[PaymentRow],
        source: &str,
    ) -> Result<Vec<PaymentResult>> {
        let (law, today) = (self.law, self.today);
        self.store.write_tx(creditor, |s| -> Result<Vec<PaymentResult>> {
            let cr = s.creditor(creditor)?;
            let j = law.jurisdiction(cr.jurisdiction)?;
            let mut out: Vec<Option<PaymentResult>> = Vec::new();
            let mut facts = Vec::new();
            let mut booked: Vec<(usize, &PaymentRow)> = Vec::new();
            let mut in_file: HashMap<&str, &PaymentRow> = HashMap::new();
            for p in rows {
                let at = |col: &str, e: OutOfBounds| AppError::at(source, p.line, Some(col), e.problem);
                limits::id("id", &p.id).map_err(|e| at("id", e))?;
                limits::amount("amount", p.amount, 1).map_err(|e| at("amount", e))?;
                limits::past_date("date", p.date, today).map_err(|e| at("date", e))?;
                if let Some(q) = in_file.get(p.id.as_str()) {
                    let first = format!("is already on line {} of this file", q.line);
                    out.push(Some(duplicate(p, source, &q.claim_id, q.amount, q.date, &first)?));
                    continue;
                }
                in_file.insert(p.id.as_str(), p);
                if let Some((claim, amount, date)) = s.booked_payment(creditor, &p.id)? {
                    out.push(Some(duplicate(p, source, &claim, amount, date, "was already booked")?));
                    continue;
                }
                let claim = s.claim(creditor, &p.claim_id).map_err(|_| {
                    AppError::at(source, p.line, Some("invoice_id"), format!("unknown invoice '{}'", p.claim_id))
                })?;
                if claim.currency != p.currency {
                    return Err(AppError::at(
                        source,
                        p.line,
                        Some("currency"),
                        format!("payment in {} for an invoice in {}", p.currency, claim.currency),
                    ));
                }
                facts.push(NewPayment {
                    id: p.id.clone(),
                    claim: p.claim_id.clone(),
                    customer: claim.customer_id.clone(),
                    date: p.date,
                    amount: p.amount,
                    currency: p.currency,
                    kind: PaymentKind::Bank,
                    bank_key: None,
                    source: source.to_string(),
                    reference: None,
                    payer: None,
                });
                booked.push((out.len(), p));
                out.push(None);
            }
            s.insert_payments(creditor, &facts)?;
            let customers: Vec<String> = facts.iter().map(|f| f.customer.clone()).collect();
            let rec = s.reconcile(&cr, j, &customers, &format!("payments from {source}"))?;
            for (i, p) in booked {
                if let Some(slot) = out.get_mut(i) {
                    *slot = Some(outcome(&rec, &p.id, &p.claim_id, p.date, p.amount));
                }
            }
            Ok(out.into_iter().flatten().collect())
        })
    }
}
