//! Payments from payment files and refunds of customer credit.

use crate::{ReadRow, Result, Store, Val};
use chrono::NaiveDate;
use fordra_core::money::Currency;
use fordra_core::settle::PaymentKind;

/// A payment fact to store: money received for a claim (or a claim settled outside Fordra).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewPayment {
    /// The payment's id (a bank key, a file's id, `settled:<claim>`).
    pub id: String,
    /// The claim it pays.
    pub claim: String,
    /// The claim's customer.
    pub customer: String,
    /// Value date.
    pub date: NaiveDate,
    /// Amount in minor units.
    pub amount: i64,
    /// Currency.
    pub currency: Currency,
    /// Bank payment, or a claim settled (with or without interest).
    pub kind: PaymentKind,
    /// The bank key it came with (reversals find its bookings by it).
    pub bank_key: Option<String>,
    /// Where it came from.
    pub source: String,
    /// The payer's reference(s).
    pub reference: Option<String>,
    /// The payer's name.
    pub payer: Option<String>,
}

/// A payment as a row (a payments CSV, the demo's bank).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentRow {
    /// Line in its file.
    pub line: usize,
    /// The payment's id (its idempotency key).
    pub id: String,
    /// The claim it pays.
    pub claim_id: String,
    /// When it was paid.
    pub date: NaiveDate,
    /// Amount in minor units.
    pub amount: i64,
    /// Its currency (the claim's).
    pub currency: Currency,
    /// The payer's reference.
    pub reference: Option<String>,
    /// The payer's name.
    pub payer: Option<String>,
}

/// What a booked payment did.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PaymentResult {
    /// The payment's id.
    pub id: String,
    /// The claim it was booked to.
    pub claim_id: String,
    /// When it was paid.
    pub date: NaiveDate,
    /// Amount in minor units.
    pub amount: i64,
    /// Settled, partly paid, overpaid or a duplicate.
    pub status: fordra_core::domain::PaymentOutcome,
    /// How it was allocated: (component, amount).
    pub allocated: Vec<(String, i64)>,
    /// What it left as the customer's credit.
    pub credit: i64,
}

impl Store {
    /// Stores payment facts (the ledger of record books them at the next reconciliation).
    pub fn insert_payments(&mut self, creditor: &str, payments: &[NewPayment]) -> Result<()> {
        let mut rows = payments.iter().map(|p| -> Vec<Val> {
            vec![
                creditor.into(),
                p.id.as_str().into(),
                p.claim.as_str().into(),
                p.customer.as_str().into(),
                p.date.into(),
                p.amount.into(),
                p.currency.code().into(),
                p.reference.clone().into(),
                p.payer.clone().into(),
                p.source.as_str().into(),
                crate::reconcile::payment_kind_name(p.kind).into(),
                p.bank_key.clone().into(),
            ]
        });
        self.db.exec_many(
            "INSERT INTO payments (creditor_id, id, claim_id, customer_id, date, amount, currency, reference, payer, source, kind, bank_key) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
            &mut rows,
        )?;
        Ok(())
    }

    /// A payment booked already under `id`: (claim, amount, date).
    pub fn booked_payment(&mut self, creditor: &str, id: &str) -> Result<Option<(String, i64, NaiveDate)>> {
        let rows = self.db.query(
            "SELECT claim_id, amount, date FROM payments WHERE creditor_id = $1 AND id = $2",
            &[creditor.into(), id.into()],
        )?;
        rows.first().map(|r| Ok((r.text("claim_id")?, r.int("amount")?, r.date("date")?))).transpose()
    }

    /// The refund already made with exactly these data (the same request again is that one).
    pub fn find_refund(
        &mut self,
        creditor: &str,
        customer: &str,
        amount: i64,
        currency: Currency,
        date: NaiveDate,
        note: &str,
    ) -> Result<Option<String>> {
        let rows = self.db.query(
            "SELECT id FROM refunds WHERE creditor_id = $1 AND customer_id = $2 AND amount = $3 AND currency = $4 AND date = $5 AND note = $6",
            &[creditor.into(), customer.into(), amount.into(), currency.code().into(), date.into(), note.into()],
        )?;
        rows.first().map(|r| r.text("id")).transpose()
    }

    /// Stores a refund under the creditor's next refund number (`R000001`, …) and returns it.
    pub fn insert_refund(
        &mut self,
        creditor: &str,
        customer: &str,
        amount: i64,
        currency: Currency,
        date: NaiveDate,
        note: &str,
    ) -> Result<String> {
        let rows = self.db.query("SELECT COUNT(*) AS n FROM refunds WHERE creditor_id = $1", &[creditor.into()])?;
        let n = rows.first().map(|r| r.int("n")).transpose()?.unwrap_or(0) + 1;
        let id = format!("R{n:06}");
        self.db.exec(
            "INSERT INTO refunds (creditor_id, id, customer_id, date, amount, currency, note) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[creditor.into(), id.as_str().into(), customer.into(), date.into(), amount.into(), currency.code().into(), note.into()],
        )?;
        Ok(id)
    }
}
