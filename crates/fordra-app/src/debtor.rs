//! The debtor's own page: what is owed and why, how to pay, and what the debtor may arrange
//! alone within the creditor's rules (`[self_service]`): dispute a claim, promise to pay by a
//! date, a payment plan, the channel and language of the messages. Each action is recorded as
//! done by the debtor, and lands in the advisor's worklist.

use crate::outbox::{address_lines, claim_line, creditor_party, ClaimLine, Party, PaymentInfo};
use crate::pauses::{NewPause, PauseAdded};
use crate::{App, AppError, ClaimId, CreditorId, CustomerId, Result};
use chrono::{Duration, Months, NaiveDate};
use fordra_core::domain::{Channel, ClaimStatus, JurisdictionCode, PauseKind};
use fordra_core::law::Jurisdiction;
use fordra_core::model::{SelfService, TEXT_LANGUAGES};
use serde::Serialize;

/// One open claim on the debtor's page.
#[derive(Clone, Debug, Serialize)]
pub struct DebtorClaim {
    /// Every amount as the ledger stands today, with each fee and the interest's periods.
    pub line: ClaimLine,
    /// How to pay this claim (its own reference), today.
    pub payment: PaymentInfo,
    /// The pause it is under today, in words (dispute, promise, plan, hold).
    pub paused: Option<String>,
    /// An open dispute on it (the debtor cannot dispute twice).
    pub disputed: bool,
}

/// Everything the debtor's page shows.
#[derive(Clone, Debug, Serialize)]
pub struct DebtorPage {
    /// The creditor.
    pub creditor_id: CreditorId,
    /// The creditor as on its letters.
    pub creditor: Party,
    /// Whose law.
    pub jurisdiction: JurisdictionCode,
    /// The debtor.
    pub customer_id: CustomerId,
    /// The debtor as on the letters.
    pub debtor: Party,
    /// The debtor's language.
    pub language: String,
    /// The channel the debtor asked for.
    pub channel: Option<Channel>,
    /// The open claims.
    pub claims: Vec<DebtorClaim>,
    /// What the debtor may arrange alone.
    pub rules: SelfService,
    /// Today.
    pub today: NaiveDate,
}

/// What a debtor asks for on the page.
#[derive(Clone, Debug)]
pub enum DebtorRequest {
    /// "This claim is wrong", with why.
    Dispute {
        /// The claim.
        claim: ClaimId,
        /// Why.
        reason: String,
    },
    /// "I will pay by this day."
    Promise {
        /// The claim.
        claim: ClaimId,
        /// The day.
        by: NaiveDate,
    },
    /// "Let me pay in monthly instalments."
    Plan {
        /// The claim.
        claim: ClaimId,
        /// How many months.
        months: u32,
    },
}

/// The channels a debtor may choose (a phone call is the creditor's choice, EDI a business's).
pub const DEBTOR_CHANNELS: &[Channel] = &[Channel::Letter, Channel::Email, Channel::Sms];

impl App<'_> {
    /// The debtor's page for `customer` of `creditor`, today.
    pub fn debtor_page(&mut self, creditor: &CreditorId, customer: &CustomerId) -> Result<DebtorPage> {
        let (law, today) = (self.law, self.today);
        self.store.read_tx(|s| -> Result<DebtorPage> {
            let cr = s.creditor(creditor)?;
            let j: &Jurisdiction = law.jurisdiction(cr.jurisdiction)?;
            let cust = s.customer(creditor, customer)?;
            let pauses = s.pauses_of_customer(creditor, customer)?;
            let mut claims = Vec::new();
            for c in s.claims_of_customer(creditor, customer)?.into_iter().filter(|c| c.status == ClaimStatus::Open) {
                let line = claim_line(s, &cr, j, cust.kind, &c, today, None)?;
                let mine = |p: &&fordra_store::PauseRow| {
                    p.claim_id.as_deref().is_none_or(|x| x == c.id) && p.pause.ended.is_none()
                };
                let paused = pauses.iter().filter(mine).find(|p| p.pause.active_on(today)).map(|p| p.pause.describe());
                let disputed = pauses.iter().filter(mine).any(|p| p.pause.kind == PauseKind::Dispute);
                let payment = PaymentInfo {
                    bankgiro: cr.bankgiro.clone(),
                    iban: cr.iban.clone(),
                    reference: line.reference.clone(),
                    amount: line.to_pay,
                    currency: cr.currency.code(),
                    deadline: None,
                };
                claims.push(DebtorClaim { line, payment, paused, disputed });
            }
            Ok(DebtorPage {
                creditor_id: creditor.clone(),
                creditor: creditor_party(&cr),
                jurisdiction: cr.jurisdiction,
                customer_id: customer.clone(),
                debtor: Party {
                    name: cust.name.clone(),
                    address: address_lines(cust.address.as_deref()),
                    org_no: cust.org_no.clone(),
                    email: cust.email.clone(),
                    phone: cust.phone.clone(),
                },
                language: cust.language.clone(),
                channel: cust.channel,
                claims,
                rules: cr.policy.self_service,
                today,
            })
        })
    }

    /// Carries out what the debtor asked for on the page, within the creditor's rules; recorded
    /// as the debtor's own doing.
    pub fn debtor_request(
        &mut self,
        creditor: &CreditorId,
        customer: &CustomerId,
        r: &DebtorRequest,
    ) -> Result<PauseAdded> {
        let rules = self.store.creditor(creditor)?.policy.self_service;
        let today = self.today;
        let own = |app: &mut App<'_>, claim: &ClaimId| -> Result<()> {
            let c = app.store.claim(creditor, claim)?;
            if c.customer_id != customer.0 || c.status != ClaimStatus::Open {
                return Err(AppError::NotFound { entity: "open claim", id: claim.0.clone() });
            }
            Ok(())
        };
        let pause = |claim: &ClaimId, kind, until, reason: String, plan: Option<u32>| NewPause {
            claim: Some(claim.clone()),
            customer: None,
            kind,
            from: today,
            until,
            reason,
            plan_fee: plan.is_some() && rules.plan_fee,
            instalments: plan,
        };
        let p = match r {
            DebtorRequest::Dispute { claim, reason } => {
                own(self, claim)?;
                if reason.trim().chars().count() < 3 {
                    return Err(AppError::invalid("reason", "say why the claim is wrong"));
                }
                pause(claim, PauseKind::Dispute, None, format!("disputed by the debtor: {}", reason.trim()), None)
            }
            DebtorRequest::Promise { claim, by } => {
                own(self, claim)?;
                if rules.promise_max_days == 0 {
                    return Err(AppError::invalid("by", "promises are made with the creditor, not on this page"));
                }
                let last = today + Duration::days(i64::from(rules.promise_max_days));
                if *by < today || *by > last {
                    return Err(AppError::invalid("by", format!("a day from {today} to {last}")));
                }
                pause(claim, PauseKind::Promise, Some(*by), format!("the debtor promised to pay by {by}"), None)
            }
            DebtorRequest::Plan { claim, months } => {
                own(self, claim)?;
                if *months < 2 || *months > rules.plan_max_months {
                    return Err(AppError::invalid(
                        "months",
                        format!("a plan here has from 2 to {} monthly instalments", rules.plan_max_months),
                    ));
                }
                let until = today.checked_add_months(Months::new(*months)).unwrap_or(today);
                let why = format!("payment plan asked for by the debtor: {months} monthly instalments");
                pause(claim, PauseKind::PaymentPlan, Some(until), why, Some(*months))
            }
        };
        self.add_pause(creditor, &p)
    }

    /// Sets the channel the debtor wants its messages by and their language.
    pub fn debtor_contact(
        &mut self,
        creditor: &CreditorId,
        customer: &CustomerId,
        channel: Option<Channel>,
        language: &str,
    ) -> Result<()> {
        if channel.is_some_and(|c| !DEBTOR_CHANNELS.contains(&c)) {
            return Err(AppError::invalid("channel", "letter, email or sms"));
        }
        if !TEXT_LANGUAGES.contains(&language) {
            return Err(AppError::invalid("language", format!("one of {}", TEXT_LANGUAGES.join(", "))));
        }
        Ok(self.store.set_contact(creditor, customer, channel, language)?)
    }
}
