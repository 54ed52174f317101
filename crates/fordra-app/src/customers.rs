//! A customer's view (segment with its reasons, claims, steps, credit), VIP choice, refunds.

use crate::{App, AppError, ClaimId, CreditorId, CustomerId, Minor, Result};
use chrono::NaiveDate;
use fordra_core::domain::{Channel, ClaimStatus, DebtorKind, Segment, StepKind};
use fordra_core::money::{format_minor, Currency};
use serde::Serialize;

/// A customer as the advisor sees it.
#[derive(Clone, Debug, Serialize)]
pub struct CustomerView {
    /// The customer.
    pub customer: CustomerId,
    /// Name.
    pub name: String,
    /// Consumer or business.
    pub kind: DebtorKind,
    /// Language of letters.
    pub language: String,
    /// E-mail.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// Credit score 0–100.
    pub credit_score: Option<i32>,
    /// When the score was taken.
    pub credit_score_date: Option<NaiveDate>,
    /// Chosen as VIP by the creditor.
    pub vip: bool,
    /// Segment stored by the latest run.
    pub segment: Option<Segment>,
    /// The reason given when it changed.
    pub segment_reason: Option<String>,
    /// Credit on account from overpayments.
    pub credit: Minor,
    /// What the rules say today.
    pub explanation: Explanation,
    /// Every segment change.
    pub segment_changes: Vec<SegmentChangeOut>,
    /// The customer's claims.
    pub claims: Vec<CustomerClaim>,
    /// Every step taken.
    pub actions: Vec<CustomerAction>,
}

/// The live segment explanation.
#[derive(Clone, Debug, Serialize)]
pub struct Explanation {
    /// As of (the latest run, or today).
    pub as_of: NaiveDate,
    /// The segment the rules give.
    pub segment: Segment,
    /// Why.
    pub reason: String,
}

/// A stored segment change.
#[derive(Clone, Debug, Serialize)]
pub struct SegmentChangeOut {
    /// When.
    pub date: NaiveDate,
    /// Before.
    pub from: Option<Segment>,
    /// After.
    pub to: Segment,
    /// Why.
    pub reason: String,
}

/// A claim of the customer.
#[derive(Clone, Debug, Serialize)]
pub struct CustomerClaim {
    /// The claim.
    pub claim: ClaimId,
    /// Due.
    pub due_date: NaiveDate,
    /// Principal.
    pub principal: Minor,
    /// Open in total.
    pub open: Minor,
    /// Open or paid.
    pub status: ClaimStatus,
    /// When settled.
    pub settled_date: Option<NaiveDate>,
    /// Latest step taken, or "".
    pub last_step: String,
}

/// A step taken on one of the customer's claims.
#[derive(Clone, Debug, Serialize)]
pub struct CustomerAction {
    /// When.
    pub date: NaiveDate,
    /// The claim.
    pub claim: ClaimId,
    /// The step.
    pub step: StepKind,
    /// Channel.
    pub channel: Channel,
    /// Fee charged.
    pub fee: Minor,
    /// Taken as a formality.
    pub skipped: bool,
    /// Why.
    pub reason: String,
}

/// A VIP choice.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct VipSet {
    /// The customer.
    #[schema(value_type = String)]
    pub customer: CustomerId,
    /// Chosen (true) or unchosen.
    pub vip: bool,
}

/// A refund asked for.
#[derive(Clone, Debug)]
pub struct RefundInput {
    /// The customer.
    pub customer: CustomerId,
    /// Amount.
    pub amount: Minor,
    /// Default: the creditor's.
    pub currency: Option<Currency>,
    /// When (the adapter's default: today).
    pub date: NaiveDate,
    /// Why.
    pub note: String,
}

/// A refund made (or found made).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Refunded {
    /// Its id.
    pub refund: String,
    /// The customer.
    #[schema(value_type = String)]
    pub customer: CustomerId,
    /// Amount.
    #[schema(value_type = String)]
    pub amount: Minor,
    /// When.
    pub date: NaiveDate,
    /// Credit left after it.
    #[schema(value_type = String)]
    pub credit_left: Minor,
}

impl App<'_> {
    /// The customer's segment and its reason as of `as_of`, computed now from the data (with
    /// the model's reasons when the policy uses it), written nowhere.
    pub fn segment_now(
        &mut self,
        creditor: &fordra_core::run::Creditor,
        customer: &CustomerId,
        as_of: NaiveDate,
    ) -> Result<fordra_core::run::SegmentDecision> {
        let (customers, _, _) = self.store.load_customers(creditor, Some(customer), as_of)?;
        let mut state = fordra_store::RunState { customers, claims: vec![], has_reason: vec![], notes: vec![] };
        crate::predict::attach(self.store, creditor, &mut state, as_of, true)?;
        fordra_core::run::segment_customers(creditor, &state.customers, as_of)
            .pop()
            .ok_or_else(|| AppError::NotFound { entity: "customer", id: customer.to_string() })
    }

    /// The customer with segment, the live explanation, changes, claims and steps.
    pub fn customer_view(&mut self, creditor: &CreditorId, id: &CustomerId) -> Result<CustomerView> {
        let c = self.store.customer(creditor, id)?;
        let cr = self.store.creditor(creditor)?;
        let now = self.store.last_run(creditor)?.unwrap_or(self.today);
        let live = self.segment_now(&cr, id, now)?;
        let claims = self.store.claims_of_customer(creditor, id)?;
        let changes = self.store.segment_changes(creditor, id)?;
        let actions = self.store.actions_of_customer(creditor, id)?;
        let credit = self.store.customer_credit(creditor, id)?;
        let mut claim_rows = Vec::new();
        for cl in claims {
            let b = self.store.balances(creditor, &cl.id, NaiveDate::MAX)?;
            let last = actions
                .iter()
                .rfind(|a| a.claim_id == cl.id && !a.skipped && a.reverted.is_none())
                .map(|a| a.kind.to_string())
                .unwrap_or_default();
            claim_rows.push(CustomerClaim {
                claim: ClaimId(cl.id),
                due_date: cl.due_date,
                principal: Minor(cl.principal),
                open: Minor(b.total()),
                status: cl.status,
                settled_date: cl.settled_date,
                last_step: last,
            });
        }
        Ok(CustomerView {
            customer: id.clone(),
            name: c.name,
            kind: c.kind,
            language: c.language,
            email: c.email,
            phone: c.phone,
            credit_score: c.credit_score,
            credit_score_date: c.credit_score_date,
            vip: c.vip,
            segment: c.segment,
            segment_reason: c.segment_reason,
            credit: Minor(credit),
            explanation: Explanation { as_of: now, segment: live.segment, reason: live.reason },
            segment_changes: changes
                .into_iter()
                .map(|s| SegmentChangeOut { date: s.date, from: s.from, to: s.to, reason: s.reason })
                .collect(),
            claims: claim_rows,
            actions: actions
                .into_iter()
                .map(|a| CustomerAction {
                    date: a.date,
                    claim: ClaimId(a.claim_id),
                    step: a.kind,
                    channel: a.channel,
                    fee: Minor(a.fee),
                    skipped: a.skipped,
                    reason: a.reason,
                })
                .collect(),
        })
    }

    /// Chooses (or unchooses) a customer as VIP; the segment follows at the next run.
    pub fn set_vip(&mut self, creditor: &CreditorId, id: &CustomerId, vip: bool) -> Result<VipSet> {
        self.store.set_vip(creditor, id, vip)?;
        Ok(VipSet { customer: id.clone(), vip })
    }

    /// Pays back (part of) a customer's credit from overpayments; the same refund twice is one.
    pub fn refund(&mut self, creditor: &CreditorId, r: &RefundInput) -> Result<Refunded> {
        let (amount, date, note, customer) = (r.amount.0, r.date, r.note.as_str(), r.customer.as_str());
        fordra_core::limits::amount("amount", amount, 1)?;
        fordra_core::limits::past_date("date", date, self.today)?;
        fordra_core::limits::text("note", note, fordra_core::limits::MAX_TEXT)?;
        let law = self.law;
        let (refund, left) = self.store.write_tx(creditor, |s| -> Result<(String, i64)> {
            let cr = s.creditor(creditor)?;
            let j = law.jurisdiction(cr.jurisdiction)?;
            let currency = r.currency.unwrap_or(cr.currency);
            let available = s.settlement(&cr, j, customer)?.credit.iter().find(|c| c.0 == currency).map_or(0, |c| c.1);
            // The same refund asked for again (customer, amount, currency, date, note) is the one
            // already made: money leaves once.
            if let Some(id) = s.find_refund(creditor, customer, amount, currency, date, note)? {
                return Ok((id, available));
            }
            if amount > available {
                return Err(AppError::invalid(
                    "",
                    format!(
                        "customer '{customer}' has {} {currency} of credit, less than the {} asked for",
                        format_minor(available),
                        format_minor(amount)
                    ),
                ));
            }
            let id = s.insert_refund(creditor, customer, amount, currency, date, note)?;
            s.reconcile(&cr, j, &[customer.to_string()], &format!("refund {id}"))?;
            s.audit(
                creditor,
                &format!("customer:{customer}"),
                "refund",
                &format!("{id}: {} {currency} on {date}: {note}", format_minor(amount)),
            )?;
            Ok((id, available - amount))
        })?;
        Ok(Refunded { refund, customer: r.customer.clone(), amount: r.amount, date: r.date, credit_left: Minor(left) })
    }
}
