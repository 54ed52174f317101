//! Pauses: disputes, promises to pay, payment plans (with the statutory plan fee), holds.

use crate::{App, AppError, ClaimId, CreditorId, CustomerId, Minor, Result};
use chrono::NaiveDate;
use fordra_core::domain::PauseKind;
use serde::Serialize;

/// A pause asked for: on one claim, or on all of a customer's claims.
#[derive(Clone, Debug)]
pub struct NewPause {
    /// One claim ...
    pub claim: Option<ClaimId>,
    /// ... or all of a customer's.
    pub customer: Option<CustomerId>,
    /// Dispute, promise, payment plan or hold.
    pub kind: PauseKind,
    /// Start (the adapter's default: today).
    pub from: NaiveDate,
    /// End; a dispute may stay open until resolved.
    pub until: Option<NaiveDate>,
    /// Why.
    pub reason: String,
    /// Charge the statutory payment-plan fee (payment plans only).
    pub plan_fee: bool,
    /// A payment plan's number of instalments.
    pub instalments: Option<u32>,
}

/// A pause added (or found already there).
#[derive(Clone, Debug, Serialize)]
pub struct PauseAdded {
    /// Its id.
    pub pause: i64,
    /// Kind.
    pub kind: PauseKind,
    /// Start.
    pub from: NaiveDate,
    /// End.
    pub until: Option<NaiveDate>,
    /// The plan fee charged.
    pub fee: Minor,
}

/// A pause ended.
#[derive(Clone, Debug, Serialize)]
pub struct PauseEnded {
    /// Its id.
    pub pause: i64,
    /// When.
    pub ended: NaiveDate,
}

/// Every pause of the creditor.
pub type PauseList = Vec<fordra_store::PauseRow>;

impl App<'_> {
    /// Pauses a claim or a customer; a payment plan may carry the statutory plan fee, once.
    pub fn add_pause(&mut self, creditor: &CreditorId, p: &NewPause) -> Result<PauseAdded> {
        if p.plan_fee && p.kind != PauseKind::PaymentPlan {
            return Err(AppError::invalid("", "--plan-fee goes with --kind payment_plan"));
        }
        let (id, fee) = self.store.add_pause(
            creditor,
            self.law,
            p.claim.as_deref(),
            p.customer.as_deref(),
            p.kind,
            p.from,
            p.until,
            &p.reason,
            p.plan_fee,
            p.instalments,
        )?;
        Ok(PauseAdded { pause: id, kind: p.kind, from: p.from, until: p.until, fee: Minor(fee) })
    }

    /// Ends a pause (a dispute resolved in the creditor's favour, a plan kept).
    pub fn end_pause(&mut self, creditor: &CreditorId, id: i64, date: NaiveDate, note: &str) -> Result<PauseEnded> {
        self.store.end_pause(creditor, id, date, note)?;
        Ok(PauseEnded { pause: id, ended: date })
    }

    /// Every pause, open and ended.
    pub fn list_pauses(&mut self, creditor: &CreditorId) -> Result<PauseList> {
        Ok(self.store.pauses(creditor)?)
    }
}
