//! Pauses: disputes, promises to pay, payment plans (with the statutory plan fee), holds.

use crate::{App, AppError, ClaimId, CreditorId, CustomerId, Minor, Result};
use chrono::NaiveDate;
use fordra_core::domain::{FeeKind, MessageKind, PauseKind};
use fordra_core::fees::{fees_for, FeeContext, FeeLine};
use fordra_core::law::Jurisdiction;
use fordra_core::limits;
use fordra_core::model::FeeSpec;
use fordra_core::run::Creditor;
use fordra_store::{ClaimRow, Store};
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
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PauseAdded {
    /// Its id.
    pub pause: i64,
    /// Kind.
    #[schema(value_type = String)]
    pub kind: PauseKind,
    /// Start.
    pub from: NaiveDate,
    /// End.
    pub until: Option<NaiveDate>,
    /// The plan fee charged.
    #[schema(value_type = String)]
    pub fee: Minor,
}

/// A pause ended.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
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
        check_pause(p)?;
        let (law, today) = (self.law, self.today);
        let (id, fee) = self.store.write_tx(creditor, |s| -> Result<(i64, i64)> {
            let cr = s.creditor(creditor)?;
            let (claim, customer) = match (&p.claim, &p.customer) {
                (Some(c), _) => {
                    let row = s.claim(creditor, c)?;
                    let customer = row.customer_id.clone();
                    (Some(row), customer)
                }
                (None, Some(c)) => (None, s.customer(creditor, c)?.id),
                (None, None) => return Err(AppError::invalid("", "name a claim or a customer")),
            };
            let j = law.jurisdiction(cr.jurisdiction)?;
            let claim_id: Option<&str> = p.claim.as_deref();
            // What the pause charged, as the ledger of record has it.
            let charged = |s: &mut Store, id: i64| -> Result<i64> {
                let st = s.settlement(&cr, j, &customer)?;
                Ok(st.postings.iter().filter(|x| x.cause == format!("pause:{id}")).map(|x| x.amount).sum())
            };
            // The same pause asked for again (same claim or customer, kind, dates and reason,
            // still open) is the one already there: nothing added, nothing charged twice.
            if let Some(id) = s.find_open_pause(creditor, claim_id, &customer, p.kind, p.from, p.until, &p.reason)? {
                return Ok((id, charged(s, id)?));
            }
            // `plan_fee` goes with payment plans only (checked above).
            let fee = match (&claim, p.plan_fee) {
                (Some(c), true) => plan_fee(s, &cr, j, c, p)?,
                _ => None,
            };
            let id = s.insert_pause(creditor, claim_id, &customer, p.kind, p.from, p.until, &p.reason, fee.as_ref())?;
            s.reconcile(&cr, j, std::slice::from_ref(&customer), &format!("{} {id} from {}", p.kind, p.from))?;
            // The debtor gets it in writing: a promise, a payment plan, a dispute received.
            let message = match p.kind {
                PauseKind::Promise => Some(MessageKind::Promise),
                PauseKind::PaymentPlan => Some(MessageKind::PaymentPlan),
                PauseKind::Dispute => Some(MessageKind::Dispute),
                PauseKind::Hold => None,
            };
            if let Some(kind) = message {
                let covered: Vec<String> = match &claim {
                    Some(c) => vec![c.id.clone()],
                    None => s
                        .claims_of_customer(creditor, &customer)?
                        .into_iter()
                        .filter(|c| c.status == fordra_core::domain::ClaimStatus::Open)
                        .map(|c| c.id)
                        .collect(),
                };
                let key = format!("pause:{id}");
                crate::outbox::queue_confirmation(s, creditor, &customer, kind, &covered, p.until, &key, today)?;
            }
            let until = p.until.map(|u| u.to_string()).unwrap_or_else(|| "resolved".into());
            s.audit(
                creditor,
                &format!("claim:{}", claim_id.unwrap_or("*")),
                &format!("pause:{}", p.kind),
                &format!("customer {customer}, from {} until {until}, reason: {}", p.from, p.reason),
            )?;
            Ok((id, charged(s, id)?))
        })?;
        Ok(PauseAdded { pause: id, kind: p.kind, from: p.from, until: p.until, fee: Minor(fee) })
    }

    /// Ends a pause (a dispute resolved in the creditor's favour, a plan kept).
    pub fn end_pause(&mut self, creditor: &CreditorId, id: i64, date: NaiveDate, note: &str) -> Result<PauseEnded> {
        limits::date("date", date)?;
        limits::text("note", note, limits::MAX_TEXT)?;
        self.store.end_pause(creditor, id, date, note)?;
        Ok(PauseEnded { pause: id, ended: date })
    }

    /// Every pause, open and ended.
    pub fn list_pauses(&mut self, creditor: &CreditorId) -> Result<PauseList> {
        Ok(self.store.pauses(creditor)?)
    }

    /// One customer's pauses (of the customer or of its claims), in the order added.
    pub fn customer_pauses(&mut self, creditor: &CreditorId, customer: &CustomerId) -> Result<PauseList> {
        Ok(self.store.pauses_of_customer(creditor, customer)?)
    }
}

/// A pause's own rules: a plan or promise has an end, the end is not before the start, and the
/// values from outside are within their bounds.
fn check_pause(p: &NewPause) -> Result<()> {
    if let Some(n) = p.instalments {
        limits::days("--instalments", i64::from(n), 1, 1000)?;
    }
    if p.kind != PauseKind::Dispute && p.until.is_none() {
        return Err(AppError::invalid("", format!("a {} needs an end date (--until)", p.kind)));
    }
    if p.until.is_some_and(|u| u < p.from) {
        return Err(AppError::invalid("", "--until is before the start date"));
    }
    limits::date("from", p.from)?;
    if let Some(u) = p.until {
        limits::date("until", u)?;
    }
    limits::text("reason", &p.reason, limits::MAX_TEXT)?;
    Ok(())
}

/// The statutory payment-plan fee for a claim (charged once per claim: the fees it had count).
fn plan_fee(s: &mut Store, cr: &Creditor, j: &Jurisdiction, c: &ClaimRow, p: &NewPause) -> Result<Option<FeeLine>> {
    let debtor = s.customer(&cr.id, &c.customer_id)?.kind;
    let moves = s.moves(&cr.id, &c.id)?;
    let prior = fordra_core::run::prior_fees(&moves, &[]);
    let ctx = FeeContext {
        law: j,
        debtor,
        reminder_fee_agreed: cr.reminder_fee_agreed,
        collector: cr.policy.collector,
        written: true,
        currency: c.currency,
        principal: c.principal,
        due: c.due_date,
        date: p.from,
        previous_letter: None,
        instalments: p.instalments,
        prior: &prior,
    };
    Ok(fees_for(&ctx, FeeKind::PaymentPlan, FeeSpec::Statutory)
        .lines
        .into_iter()
        .find(|l| l.kind == FeeKind::PaymentPlan))
}
