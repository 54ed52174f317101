//! The advisor's workplace: what needs a person today (calls to make, payments nobody could
//! match, disputes to decide, promises broken, claims about to go to collection or court,
//! what debtors did on their own page), and the advisor's own records: notes and decisions on
//! disputes.

use crate::bank::PaymentOut;
use crate::outbox::PhoneTask;
use crate::pauses::NewPause;
use crate::run::RunInput;
use crate::{App, AppError, ClaimId, CreditorId, CustomerId, Minor, Result};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use fordra_core::domain::{ClaimStatus, PauseKind, Segment, StepKind};
use fordra_core::limits;
use fordra_store::{AuditRow, NoteRow, PauseRow};
use serde::Serialize;

/// Days ahead the worklist looks for claims about to go to collection or court.
pub const ESCALATION_DAYS: i64 = 7;
/// Days back the worklist shows what debtors did on their page.
pub const DEBTOR_DAYS: i64 = 30;

/// An open pause the advisor should look at.
#[derive(Clone, Debug, Serialize)]
pub struct OpenPause {
    /// The pause.
    pub pause: i64,
    /// Its claim (none: all of the customer's).
    pub claim: Option<String>,
    /// The customer.
    pub customer: String,
    /// The customer's name.
    pub name: String,
    /// Dispute, promise, plan, hold.
    pub kind: PauseKind,
    /// Since.
    pub from: NaiveDate,
    /// Until.
    pub until: Option<NaiveDate>,
    /// Why.
    pub reason: String,
}

/// A claim whose next step is collection or legal action.
#[derive(Clone, Debug, Serialize)]
pub struct Escalation {
    /// The claim.
    pub claim: ClaimId,
    /// The customer.
    pub customer: CustomerId,
    /// The customer's segment.
    pub segment: Segment,
    /// The step due.
    pub step: StepKind,
    /// What the debtor would be asked to pay.
    pub amount: Minor,
}

/// What needs a person.
#[derive(Clone, Debug, Serialize)]
pub struct Worklist {
    /// The day.
    pub today: NaiveDate,
    /// The creditor's currency (of the escalations' amounts).
    pub currency: &'static str,
    /// Calls to make.
    pub phone_tasks: Vec<PhoneTask>,
    /// Payments nobody could match, with suggestions.
    pub unmatched: Vec<PaymentOut>,
    /// Disputes awaiting a decision.
    pub disputes: Vec<OpenPause>,
    /// Promises whose day passed with the claim still open.
    pub broken_promises: Vec<OpenPause>,
    /// Claims whose next step, within [`ESCALATION_DAYS`], is collection or legal action.
    pub escalations: Vec<Escalation>,
    /// What debtors did on their own page in the last [`DEBTOR_DAYS`] days.
    pub from_debtors: Vec<AuditRow>,
}

/// How a dispute is decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DisputeDecision {
    /// The claim stands: the dispute ends and the handling model goes on.
    Rejected,
    /// The debtor is right: the dispute ends and the claim is held for a year while the creditor
    /// credits it in its billing system (the credit arrives as an invoice change).
    Upheld,
}

/// A dispute decided.
#[derive(Clone, Debug, Serialize)]
pub struct DisputeDecided {
    /// The dispute.
    pub pause: i64,
    /// The decision.
    pub decision: DisputeDecision,
    /// The hold that replaces it (upheld only).
    pub hold: Option<i64>,
}

/// A note to add.
#[derive(Clone, Debug)]
pub struct NewNote {
    /// The customer.
    pub customer: CustomerId,
    /// The claim, if it is about one.
    pub claim: Option<ClaimId>,
    /// The text.
    pub text: String,
    /// Now.
    pub now: DateTime<Utc>,
}

fn open_pause(p: PauseRow, name: String) -> OpenPause {
    OpenPause {
        pause: p.id,
        claim: p.claim_id,
        customer: p.customer_id,
        name,
        kind: p.pause.kind,
        from: p.pause.from,
        until: p.pause.until,
        reason: p.pause.reason,
    }
}

impl App<'_> {
    /// The advisor's worklist on `now`.
    pub fn worklist(&mut self, creditor: &CreditorId, now: DateTime<Utc>) -> Result<Worklist> {
        let today = self.today;
        let currency = self.store.creditor(creditor)?.currency.code();
        let phone_tasks = self.phone_tasks(creditor, now)?;
        let unmatched = self.unmatched_payments(creditor)?;
        let (disputes, broken_promises) = self.pauses_to_look_at(creditor, today)?;
        let escalations = self.escalations(creditor, today + Duration::days(ESCALATION_DAYS))?;
        let since = (today - Duration::days(DEBTOR_DAYS)).and_time(chrono::NaiveTime::MIN).and_utc().timestamp();
        let from_debtors =
            self.store.audit_recent(&creditor.0, "debtor:", "", 200)?.into_iter().filter(|a| a.at >= since).collect();
        Ok(Worklist { today, currency, phone_tasks, unmatched, disputes, broken_promises, escalations, from_debtors })
    }

    fn pauses_to_look_at(
        &mut self,
        creditor: &CreditorId,
        today: NaiveDate,
    ) -> Result<(Vec<OpenPause>, Vec<OpenPause>)> {
        let (mut disputes, mut broken) = (Vec::new(), Vec::new());
        for p in self.store.pauses(&creditor.0)? {
            if p.pause.ended.is_some() {
                continue;
            }
            let name = self.store.customer(&creditor.0, &p.customer_id)?.name;
            match p.pause.kind {
                PauseKind::Dispute => disputes.push(open_pause(p, name)),
                PauseKind::Promise if p.pause.until.is_some_and(|u| u < today) => {
                    let open = match &p.claim_id {
                        Some(c) => self.store.claim(&creditor.0, c)?.status == ClaimStatus::Open,
                        None => self
                            .store
                            .claims_of_customer(&creditor.0, &p.customer_id)?
                            .iter()
                            .any(|c| c.status == ClaimStatus::Open),
                    };
                    if open {
                        broken.push(open_pause(p, name));
                    }
                }
                _ => {}
            }
        }
        Ok((disputes, broken))
    }

    /// Claims the engine would send to collection or court by `by` if nothing changed (a dry
    /// run on that day: nothing is written).
    fn escalations(&mut self, creditor: &CreditorId, by: NaiveDate) -> Result<Vec<Escalation>> {
        let r = self.decide_day(creditor, RunInput { date: by, dry_run: true, allow_future: true })?;
        Ok(r.actions
            .iter()
            .filter(|a| matches!(a.kind, StepKind::Collection | StepKind::Legal))
            .map(|a| Escalation {
                claim: ClaimId(a.claim_id.clone()),
                customer: CustomerId(a.customer_id.clone()),
                segment: a.segment,
                step: a.kind,
                amount: Minor(a.amount_to_pay),
            })
            .collect())
    }

    /// Decides an open dispute.
    pub fn decide_dispute(
        &mut self,
        creditor: &CreditorId,
        pause: i64,
        decision: DisputeDecision,
        note: &str,
    ) -> Result<DisputeDecided> {
        limits::text("note", note, limits::MAX_TEXT)?;
        let today = self.today;
        let row = self
            .store
            .pauses(&creditor.0)?
            .into_iter()
            .find(|p| p.id == pause && p.pause.kind == PauseKind::Dispute && p.pause.ended.is_none())
            .ok_or_else(|| AppError::NotFound { entity: "open dispute", id: pause.to_string() })?;
        let word = match decision {
            DisputeDecision::Rejected => "rejected: the claim stands",
            DisputeDecision::Upheld => "upheld: the debtor is right",
        };
        self.end_pause(creditor, pause, today, &format!("dispute {word}. {note}"))?;
        let hold = match decision {
            DisputeDecision::Rejected => None,
            DisputeDecision::Upheld => {
                let p = NewPause {
                    claim: row.claim_id.map(ClaimId),
                    customer: Some(CustomerId(row.customer_id)),
                    kind: PauseKind::Hold,
                    from: today,
                    until: Some(today + Duration::days(365)),
                    reason: format!("dispute {pause} upheld: to be credited by the creditor. {note}"),
                    plan_fee: false,
                    instalments: None,
                };
                Some(self.add_pause(creditor, &p)?.pause)
            }
        };
        Ok(DisputeDecided { pause, decision, hold })
    }

    /// Adds an advisor's note to a customer (and one of its claims).
    pub fn add_note(&mut self, creditor: &CreditorId, n: &NewNote) -> Result<i64> {
        limits::text("note", &n.text, limits::MAX_TEXT)?;
        if n.text.trim().is_empty() {
            return Err(AppError::invalid("note", "write something"));
        }
        self.store.customer(&creditor.0, &n.customer.0)?;
        if let Some(c) = &n.claim {
            if self.store.claim(&creditor.0, &c.0)?.customer_id != n.customer.0 {
                return Err(AppError::NotFound { entity: "claim of this customer", id: c.0.clone() });
            }
        }
        let at = n.now.timestamp();
        self.store.write_tx(&creditor.0, |s| -> Result<i64> {
            let author = s.actor().to_string();
            let id = s.insert_note(&creditor.0, &n.customer.0, n.claim.as_deref(), &author, at, &n.text)?;
            s.audit(&creditor.0, &format!("customer:{}", n.customer.0), "note", &n.text)?;
            Ok(id)
        })
    }

    /// A customer's notes, newest first.
    pub fn notes(&mut self, creditor: &CreditorId, customer: &CustomerId) -> Result<Vec<NoteRow>> {
        Ok(self.store.notes_of_customer(&creditor.0, &customer.0)?)
    }
}
