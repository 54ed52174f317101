//! A claim's timeline: invoice, every step with its reason, fees, interest, payments, pauses;
//! balances, and interest accrued but not yet posted.

use crate::{App, AppError, ClaimId, CreditorId, CustomerId, Minor, Result};
use chrono::NaiveDate;
use fordra_core::domain::{ClaimStatus, DebtorKind, Segment};
use serde::Serialize;

/// A claim as the advisor sees it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ClaimView {
    /// The claim.
    #[schema(value_type = String)]
    pub claim: ClaimId,
    /// Its customer.
    #[schema(value_type = String)]
    pub customer: CustomerId,
    /// Its payment reference (OCR, RF, KID …), when it has one.
    pub reference: Option<String>,
    /// The customer's name.
    pub customer_name: String,
    /// The customer's kind.
    #[serde(skip)]
    #[schema(value_type = String)]
    pub customer_kind: DebtorKind,
    /// The customer's segment (none before the first run).
    #[schema(value_type = Option<String>)]
    pub segment: Option<Segment>,
    /// Invoice number.
    pub invoice_number: String,
    /// Issued.
    pub issue_date: NaiveDate,
    /// Due.
    pub due_date: NaiveDate,
    /// Currency code.
    pub currency: &'static str,
    /// Principal as invoiced.
    #[schema(value_type = String)]
    pub principal: Minor,
    /// Open or paid.
    #[schema(value_type = String)]
    pub status: ClaimStatus,
    /// When it was settled.
    pub settled_date: Option<NaiveDate>,
    /// The latest step taken (not skipped or reverted), or "none".
    pub last_step: String,
    /// The pause in force today, described.
    pub paused: Option<String>,
    /// Open balances.
    pub balances: ClaimBalances,
    /// Every event in date order.
    pub timeline: Vec<TimelineEvent>,
    /// Every message about the claim, with its status and attempts.
    #[schema(value_type = Vec<Object>)]
    pub deliveries: Vec<crate::outbox::DeliveryView>,
    /// The day the accrued interest is computed to.
    #[serde(skip)]
    pub as_of: NaiveDate,
}

/// A claim's open balances.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ClaimBalances {
    /// Principal.
    #[schema(value_type = String)]
    pub principal: Minor,
    /// Fees.
    #[schema(value_type = String)]
    pub fees: Minor,
    /// Interest posted.
    #[schema(value_type = String)]
    pub interest: Minor,
    /// All of it.
    #[schema(value_type = String)]
    pub total: Minor,
    /// Interest accrued to today, posted at the next step or payment.
    #[schema(value_type = String)]
    pub interest_accrued_not_posted: Minor,
}

/// Which claims to list.
#[derive(Clone, Debug)]
pub struct ClaimQuery {
    /// Only open or only paid claims.
    pub status: Option<ClaimStatus>,
    /// Only this customer's.
    pub customer: Option<CustomerId>,
    /// The cursor: ids after this one ("" for the first page).
    pub after: String,
    /// Page size.
    pub limit: usize,
}

/// A page of claims.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ClaimPage {
    /// The claims, by id.
    pub claims: Vec<ClaimLine>,
    /// The cursor of the next page; none on the last.
    pub next: Option<String>,
}

/// A claim in a list.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ClaimLine {
    /// Its id.
    #[schema(value_type = String)]
    pub claim: ClaimId,
    /// Who owes it.
    #[schema(value_type = String)]
    pub customer: CustomerId,
    /// The invoice number.
    pub invoice_number: String,
    /// Invoice date.
    pub issue_date: NaiveDate,
    /// Due date.
    pub due_date: NaiveDate,
    /// Currency.
    pub currency: &'static str,
    /// The invoiced amount.
    #[schema(value_type = String, example = "1250.00")]
    pub principal: Minor,
    /// What is open now (principal, fees and posted interest).
    #[schema(value_type = String, example = "1310.00")]
    pub balance: Minor,
    /// Open or paid.
    #[schema(value_type = String, example = "open")]
    pub status: ClaimStatus,
    /// When it was settled.
    pub settled_date: Option<NaiveDate>,
    /// Its payment reference.
    pub reference: Option<String>,
}

/// One event of a timeline.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TimelineEvent {
    /// When.
    pub date: NaiveDate,
    /// What.
    pub event: String,
    /// The amount it moved, if any.
    #[schema(value_type = Option<String>)]
    pub amount: Option<Minor>,
    /// Details.
    pub detail: String,
    /// Ledger entries before steps on one day, steps before later entries.
    #[serde(skip)]
    order: u8,
}

impl App<'_> {
    /// A page of claims in id order, after the cursor `after` (the last id of the page before),
    /// filtered by status and customer; at most `limit` (1–1000).
    pub fn list_claims(&mut self, creditor: &CreditorId, q: &ClaimQuery) -> Result<ClaimPage> {
        if !(1..=1000).contains(&q.limit) {
            return Err(AppError::invalid("limit", format!("{} is outside 1–1000", q.limit)));
        }
        self.store.creditor(creditor)?;
        let mut rows = self.store.claims_page(
            creditor,
            q.status,
            q.customer.as_ref().map(|c| c.0.as_str()),
            &q.after,
            q.limit + 1,
        )?;
        let more = rows.len() > q.limit;
        rows.truncate(q.limit);
        let next = if more { rows.last().map(|(c, _)| c.id.clone()) } else { None };
        let claims = rows
            .into_iter()
            .map(|(c, balance)| ClaimLine {
                claim: ClaimId(c.id),
                customer: CustomerId(c.customer_id),
                invoice_number: c.invoice_number,
                issue_date: c.issue_date,
                due_date: c.due_date,
                currency: c.currency.code(),
                principal: Minor(c.principal),
                balance: Minor(balance),
                status: c.status,
                settled_date: c.settled_date,
                reference: c.reference,
            })
            .collect();
        Ok(ClaimPage { claims, next })
    }

    /// The claim's timeline and balances as of today.
    pub fn claim_timeline(&mut self, creditor: &CreditorId, id: &ClaimId) -> Result<ClaimView> {
        self.claim_as_of(creditor, id, self.today)
    }

    /// The claim as it stood at the end of `as_of`: balances from the entries dated by then,
    /// interest accrued to that day, and the events up to it.
    pub fn claim_as_of(&mut self, creditor: &CreditorId, id: &ClaimId, as_of: NaiveDate) -> Result<ClaimView> {
        let cr = self.store.creditor(creditor)?;
        let c = self.store.claim(creditor, id)?;
        let cust = self.store.customer(creditor, &c.customer_id)?;
        let ledger = self.store.ledger(creditor, id)?;
        let actions = self.store.actions_of_claim(creditor, id)?;
        let pauses: Vec<_> = self
            .store
            .pauses_of_customer(creditor, &c.customer_id)?
            .into_iter()
            .filter(|p| {
                p.claim_id.as_deref() == Some(id.as_str()) || (p.claim_id.is_none() && p.customer_id == c.customer_id)
            })
            .collect();
        let now = as_of;
        let bal = self.store.balances(creditor, id, if as_of >= self.today { NaiveDate::MAX } else { as_of })?;
        // Interest accrued to today but not yet posted: what settles it now, less its balance.
        let accrued = if c.status == ClaimStatus::Open {
            amount_due(self.store, &cr, self.law, id, now)? - self.store.balances(creditor, id, now)?.total()
        } else {
            0
        };
        let mut ev: Vec<TimelineEvent> = Vec::new();
        for l in &ledger {
            ev.push(TimelineEvent {
                date: l.date,
                order: if l.kind == "invoice" { 0 } else { 2 },
                event: l.kind.replace("fee:", "fee: "),
                amount: Some(Minor(l.amount)),
                detail: format!("{}{}", l.memo, l.component.as_ref().map(|c| format!(" [{c}]")).unwrap_or_default()),
            });
        }
        for a in &actions {
            let mut what = if a.skipped {
                format!("step {}: {} (skipped)", a.step_no, a.kind)
            } else {
                format!("step {}: {} by {}", a.step_no, a.kind, a.channel)
            };
            let mut detail = format!("deadline {}", a.deadline);
            if let (Some(x), false) = (a.amount_to_pay, a.skipped) {
                detail.push_str(&format!(", to pay {} by then", Minor(x)));
            }
            detail.push_str(&format!("; {}", a.reason));
            if let Some(r) = &a.reverted {
                what.push_str(" (reverted)");
                detail = format!("{r}; {detail}");
            }
            ev.push(TimelineEvent { date: a.date, order: 1, event: what, amount: None, detail });
        }
        for p in &pauses {
            ev.push(TimelineEvent {
                date: p.pause.from,
                order: 1,
                event: format!("pause {}: {}", p.id, p.pause.kind),
                amount: None,
                detail: p.pause.describe(),
            });
            if let Some(e) = p.pause.ended {
                ev.push(TimelineEvent {
                    date: e,
                    order: 1,
                    event: format!("pause {} ended", p.id),
                    amount: None,
                    detail: String::new(),
                });
            }
        }
        ev.retain(|e| as_of >= self.today || e.date <= as_of);
        ev.sort_by_key(|e| (e.date, e.order));
        let last_step = actions
            .iter()
            .rfind(|a| !a.skipped && a.reverted.is_none())
            .map(|a| a.kind.to_string())
            .unwrap_or_else(|| "none".into());
        let paused = pauses.iter().find(|p| p.pause.active_on(now)).map(|p| p.pause.describe());
        Ok(ClaimView {
            claim: id.clone(),
            customer: CustomerId(cust.id),
            reference: c.reference.clone(),
            customer_name: cust.name,
            customer_kind: cust.kind,
            segment: cust.segment,
            invoice_number: c.invoice_number,
            issue_date: c.issue_date,
            due_date: c.due_date,
            currency: c.currency.code(),
            principal: Minor(c.principal),
            status: c.status,
            settled_date: c.settled_date,
            last_step,
            paused,
            balances: ClaimBalances {
                principal: Minor(bal.principal),
                fees: Minor(bal.fees),
                interest: Minor(bal.interest),
                total: Minor(bal.total()),
                interest_accrued_not_posted: Minor(accrued),
            },
            timeline: ev,
            deliveries: self.deliveries_of_claim(creditor, id)?,
            as_of: now,
        })
    }
}

/// What the debtor must pay on `date` to settle the claim: its open balance plus late interest
/// accrued but not yet posted.
pub fn amount_due(
    store: &mut fordra_store::Store,
    creditor: &fordra_core::run::Creditor,
    law: &fordra_core::law::LawBook,
    claim: &str,
    date: NaiveDate,
) -> Result<i64> {
    let c = store.claim(&creditor.id, claim)?;
    let debtor = store.customer(&creditor.id, &c.customer_id)?.kind;
    let moves = store.moves(&creditor.id, claim)?;
    let j = law.jurisdiction(creditor.jurisdiction)?;
    let accrued =
        fordra_core::run::interest_to_post(j, creditor, debtor, j.interest_after(c.due_date, c.demand), &moves, date)
            .unwrap_or(0);
    Ok(fordra_core::ledger::Balances::of(&moves, date).total() + accrued)
}
