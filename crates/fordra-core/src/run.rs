//! The daily run: a pure function of (state, as-of date) → decisions with reasons.
//! Deterministic and idempotent: a claim takes at most one step per day and a step is never
//! repeated, so running the same date twice decides nothing new; after a gap each claim takes
//! only its next step, dated the run day, so no two steps fall inside one waiting period.

use crate::calendar::next_banking_day_on_or_after;
use crate::domain::{Channel, DebtorKind, FeeKind, PauseKind, Segment, StepKind};
use crate::fees::{fees_for_step, FeeContext, FeeLine, PriorFees};
use crate::interest::{accrue, ContractRate};
use crate::law::{Jurisdiction, LawError};
use crate::ledger::{allocate, interest_posted, principal_changes, Balances, EntryKind, Movement, NewEntry};
use crate::model::{After, FeeSpec, Policy};
use crate::money::{format_minor, Currency, Money};
use crate::segment::{classify, History, SegmentInput};
use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

/// A creditor (tenant) and everything it has tailored.
#[derive(Clone, Debug, PartialEq)]
pub struct Creditor {
    pub id: String,
    pub name: String,
    pub jurisdiction: crate::domain::JurisdictionCode,
    pub currency: Currency,
    /// Reminder fees were agreed with debtors when their debts arose (SE requires it).
    pub reminder_fee_agreed: bool,
    pub charge_interest: bool,
    /// Contractual late-interest rate (percent per year), where agreed.
    pub contract_rate: Option<Decimal>,
    pub bankgiro: Option<String>,
    pub iban: Option<String>,
    pub policy: Policy,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Pause {
    pub id: i64,
    pub kind: PauseKind,
    pub from: NaiveDate,
    pub until: Option<NaiveDate>,
    pub ended: Option<NaiveDate>,
    pub reason: String,
}

impl Pause {
    pub fn active_on(&self, d: NaiveDate) -> bool {
        self.from <= d && self.until.is_none_or(|u| d <= u) && self.ended.is_none_or(|e| d < e)
    }
    pub fn describe(&self) -> String {
        let until = match (self.kind, self.until) {
            (_, Some(u)) => format!(" until {u}"),
            (PauseKind::Dispute, None) => " until resolved".to_string(),
            _ => String::new(),
        };
        format!("{} since {}{until}: {}", self.kind, self.from, self.reason)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CustomerState {
    pub id: String,
    pub kind: DebtorKind,
    pub vip: bool,
    pub credit_score: Option<i32>,
    pub credit_score_date: Option<NaiveDate>,
    pub has_email: bool,
    pub has_phone: bool,
    /// The segment recorded by the previous run, if any.
    pub segment: Option<Segment>,
    /// Paid invoices: (due date, paid date).
    pub paid: Vec<(NaiveDate, NaiveDate)>,
    /// Dates on which this customer's claims went to collection.
    pub collection_dates: Vec<NaiveDate>,
    pub pauses: Vec<Pause>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DoneStep {
    pub seq: u32,
    pub kind: StepKind,
    pub date: NaiveDate,
    pub deadline: NaiveDate,
    pub notional_fee: i64,
    pub skipped: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimState {
    pub id: String,
    /// Index into the run's customers.
    pub customer: usize,
    pub due: NaiveDate,
    pub principal: i64,
    pub currency: Currency,
    pub moves: Vec<Movement>,
    pub steps: Vec<DoneStep>,
    pub pauses: Vec<Pause>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SegmentDecision {
    pub customer_id: String,
    pub segment: Segment,
    pub previous: Option<Segment>,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Action {
    pub claim_id: String,
    pub customer_id: String,
    pub seq: u32,
    /// 1-based position in the handling model.
    pub step_no: usize,
    pub kind: StepKind,
    pub segment: Segment,
    pub date: NaiveDate,
    pub deadline: NaiveDate,
    pub channel: Channel,
    /// Grouped reminders share one letter per debtor and day.
    pub letter: Option<String>,
    pub fees: Vec<FeeLine>,
    pub notional_fee: i64,
    pub interest: i64,
    pub open_after: i64,
    /// Taken as a formality without contacting the debtor (amount below the step's minimum).
    pub skipped: bool,
    pub reason: String,
}

impl Action {
    pub fn fee_total(&self) -> i64 {
        self.fees.iter().map(|f| f.amount).sum()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Held {
    pub claim_id: String,
    pub reason: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RunResult {
    pub segments: Vec<SegmentDecision>,
    pub actions: Vec<Action>,
    pub entries: Vec<NewEntry>,
    pub held: Vec<Held>,
    pub open_claims: usize,
}

impl RunResult {
    pub fn segment_changes(&self) -> impl Iterator<Item = &SegmentDecision> {
        self.segments.iter().filter(|s| s.previous != Some(s.segment))
    }
}

/// The segment of each customer on `as_of`, with reasons.
pub fn segment_customers(creditor: &Creditor, customers: &[CustomerState], as_of: NaiveDate) -> Vec<SegmentDecision> {
    let rules = &creditor.policy.segmentation;
    let window_start = as_of - Duration::days(rules.lookback_days);
    customers
        .iter()
        .map(|c| {
            let mut h = History::default();
            for (due, paid) in &c.paid {
                if *paid > window_start && *paid <= as_of {
                    h.add_paid(rules, *due, *paid);
                }
            }
            h.collection_cases = c.collection_dates.iter().filter(|d| **d > window_start && **d <= as_of).count() as u32;
            let (segment, reason) =
                classify(rules, &SegmentInput { vip: c.vip, credit_score: c.credit_score, credit_score_date: c.credit_score_date, history: &h }, as_of);
            SegmentDecision { customer_id: c.id.clone(), segment, previous: c.segment, reason }
        })
        .collect()
}

/// Which step of `model` comes next for a claim that has taken `done`. Steps already covered
/// (same kind taken as often, or milder than the harshest taken) are passed over, so a claim
/// keeps its place when its segment changes; pre-due notices pass once the due date has come.
pub fn next_step_index(model: &[crate::model::Step], done: &[DoneStep], due_reached: bool) -> usize {
    let max_sev = done.iter().map(|d| d.kind.severity()).max();
    let mut done_count = [0usize; 6];
    for d in done {
        done_count[d.kind.index()] += 1;
    }
    let mut seen = [0usize; 6];
    for (j, s) in model.iter().enumerate() {
        let k = s.kind.index();
        let covered = seen[k] < done_count[k];
        seen[k] += 1;
        if covered || max_sev.is_some_and(|m| s.kind.severity() < m) || (s.kind == StepKind::PreDue && due_reached) {
            continue;
        }
        return j;
    }
    model.len()
}

fn prior_fees(moves: &[Movement], steps: &[DoneStep]) -> PriorFees {
    let mut p = PriorFees::default();
    for m in moves {
        if let (EntryKind::Fee(k), true) = (m.kind, m.amount > 0) {
            p.count[k as usize] += 1;
            if k == FeeKind::LateCompensation {
                p.compensation_charged = true;
            }
        }
    }
    p.notional_total = steps.iter().map(|s| s.notional_fee).sum();
    p
}

/// Interest to post so that the posted total equals the rounded interest due→`through`.
pub fn interest_to_post(
    law: &Jurisdiction,
    creditor: &Creditor,
    debtor: DebtorKind,
    due: NaiveDate,
    moves: &[Movement],
    through: NaiveDate,
) -> Result<i64, LawError> {
    if !creditor.charge_interest {
        return Ok(0);
    }
    let known = || moves.iter().filter(|m| m.date <= through);
    let calc = accrue(law, debtor, creditor.contract_rate.map(ContractRate), due, &principal_changes(known()), through, false)?;
    Ok((calc.total_minor() - interest_posted(known())).max(0))
}

fn channel_for(step: &crate::model::Step, c: &CustomerState) -> (Channel, Option<String>) {
    match step.channel {
        Channel::Email if !c.has_email => (Channel::Letter, Some("no e-mail address: sent as a letter".into())),
        Channel::Sms | Channel::Phone if !c.has_phone && step.kind != StepKind::PhoneCall => {
            (Channel::Letter, Some("no phone number: sent as a letter".into()))
        }
        ch => (ch, None),
    }
}

/// Decides today's steps for every open claim.
pub fn daily_run(creditor: &Creditor, law: &Jurisdiction, customers: &[CustomerState], claims: &[ClaimState], as_of: NaiveDate) -> RunResult {
    let segments = segment_customers(creditor, customers, as_of);
    // Deterministic order: by customer (the caller lists customers in id order), due date, claim.
    let mut order: Vec<usize> = (0..claims.len()).collect();
    order.sort_unstable_by(|a, b| {
        let (x, y) = (&claims[*a], &claims[*b]);
        (x.customer, x.due, &x.id).cmp(&(y.customer, y.due, &y.id))
    });
    // The law's limits per step kind and debtor kind, looked up once per run.
    let limits_table: Vec<[crate::law::StepLimits; 2]> = StepKind::ALL.iter().map(|k| [law.step_limits(*k, DebtorKind::Consumer), law.step_limits(*k, DebtorKind::Business)]).collect();
    let mut out = RunResult { segments: Vec::new(), ..Default::default() };
    // Grouped reminders: the first claim in a debtor's letter carries the letter's fee.
    let mut letter_fee_taken: Option<(usize, NaiveDate)> = None;
    for ci in order {
        let claim = &claims[ci];
        let cust = &customers[claim.customer];
        let balances = Balances::of(&claim.moves, as_of);
        if balances.total() <= 0 {
            continue;
        }
        out.open_claims += 1;
        if let Some(p) = claim.pauses.iter().chain(cust.pauses.iter()).find(|p| p.active_on(as_of)) {
            out.held.push(Held { claim_id: claim.id.clone(), reason: format!("paused: {}", p.describe()) });
            continue;
        }
        if claim.steps.last().is_some_and(|s| s.date >= as_of) {
            continue;
        }
        let seg = &segments[claim.customer];
        let model = creditor.policy.model(seg.segment);
        let j = next_step_index(&model.steps, &claim.steps, as_of >= claim.due);
        let Some(step) = model.steps.get(j) else { continue };
        let last = claim.steps.last();
        let (base, base_text) = match (step.after, last) {
            (After::Previous, Some(l)) => (l.deadline, format!("previous deadline {}", l.deadline)),
            _ => (claim.due, format!("due {}", claim.due)),
        };
        let trigger = base + Duration::days(step.days);
        let limits = &limits_table[step.kind.index()][cust.kind as usize];
        let mut earliest = trigger;
        let mut why_later = Vec::new();
        if limits.min_days_after_due > 0 && claim.due + Duration::days(limits.min_days_after_due) > earliest {
            earliest = claim.due + Duration::days(limits.min_days_after_due);
            why_later.push(format!("law: {} days after due ({})", limits.min_days_after_due, limits.sources.join("; ")));
        }
        if let Some(letter) = claim.steps.iter().rev().find(|s| s.kind != StepKind::PhoneCall && !s.skipped) {
            if limits.min_days_since_previous > 0 && letter.date + Duration::days(limits.min_days_since_previous) > earliest {
                earliest = letter.date + Duration::days(limits.min_days_since_previous);
                why_later.push(format!(
                    "law: {} days after the previous letter of {} ({})",
                    limits.min_days_since_previous,
                    letter.date,
                    limits.sources.join("; ")
                ));
            }
        }
        if as_of < earliest {
            continue;
        }
        let seq = claim.steps.len() as u32 + 1;
        let n = model.steps.len();
        let mut reason = format!("{} step {}/{} ({}): {} {:+} days = {}", seg.segment, j + 1, n, step.kind, base_text, step.days, trigger);
        if !why_later.is_empty() {
            reason.push_str(&format!(", earliest {earliest} by {}", why_later.join(", ")));
        }
        if as_of > earliest {
            reason.push_str(&format!("; taken on {as_of} (catch-up: first run since it came due)"));
        }
        let resumed = claim.pauses.iter().chain(cust.pauses.iter()).filter(|p| !p.active_on(as_of) && p.from <= as_of).max_by_key(|p| p.ended.or(p.until));
        if let Some(p) = resumed {
            if p.ended.or(p.until).is_some_and(|e| e >= earliest - Duration::days(1)) {
                reason.push_str(&format!("; resumed after {}", p.describe()));
            }
        }
        reason.push_str(&format!("; open {}", Money::new(balances.total(), claim.currency)));
        let deadline = next_banking_day_on_or_after(law.country, as_of + Duration::days(step.payment_days));
        let (channel, channel_note) = channel_for(step, cust);
        if let Some(note) = channel_note {
            reason.push_str(&format!("; {note}"));
        }
        if balances.total() < step.min_amount {
            reason.push_str(&format!("; skipped: open amount below the step's minimum {}", format_minor(step.min_amount)));
            out.actions.push(Action {
                claim_id: claim.id.clone(),
                customer_id: cust.id.clone(),
                seq,
                step_no: j + 1,
                kind: step.kind,
                segment: seg.segment,
                date: as_of,
                deadline,
                channel,
                letter: None,
                fees: vec![],
                notional_fee: 0,
                interest: 0,
                open_after: balances.total(),
                skipped: true,
                reason,
            });
            continue;
        }
        let letter = (creditor.policy.group_reminders && step.kind == StepKind::Reminder).then(|| format!("{}/{}/reminder/{}", cust.id, as_of, channel));
        let prior = prior_fees(&claim.moves, &claim.steps);
        let ctx = FeeContext {
            law,
            debtor: cust.kind,
            reminder_fee_agreed: creditor.reminder_fee_agreed,
            currency: claim.currency,
            principal: claim.principal,
            due: claim.due,
            date: as_of,
            prior: &prior,
        };
        let mut fee = fees_for_step(&ctx, step.kind, step.fee);
        if letter.is_some() && step.fee != FeeSpec::None {
            if letter_fee_taken == Some((claim.customer, as_of)) {
                fee.lines.retain(|l| l.kind != FeeKind::Reminder);
                fee.notes.push("reminder fee charged once, on the first invoice of this debtor's letter".into());
            } else if fee.lines.iter().any(|l| l.kind == FeeKind::Reminder) {
                letter_fee_taken = Some((claim.customer, as_of));
            }
        }
        for n in &fee.notes {
            reason.push_str(&format!("; {n}"));
        }
        let interest = match interest_to_post(law, creditor, cust.kind, claim.due, &claim.moves, as_of) {
            Ok(i) => i,
            Err(e) => {
                reason.push_str(&format!("; no interest posted: {e}"));
                0
            }
        };
        let key = format!("action:{}:{}", claim.id, seq);
        if interest > 0 {
            out.entries.push(NewEntry {
                claim_id: claim.id.clone(),
                customer_id: cust.id.clone(),
                date: as_of,
                kind: EntryKind::Interest,
                component: Some(crate::domain::Component::Interest),
                amount: interest,
                reference: key.clone(),
                memo: format!("late interest from {} through {as_of}", claim.due + Duration::days(1)),
            });
        }
        for l in &fee.lines {
            out.entries.push(NewEntry {
                claim_id: claim.id.clone(),
                customer_id: cust.id.clone(),
                date: as_of,
                kind: EntryKind::Fee(l.kind),
                component: Some(crate::domain::Component::Fees),
                amount: l.amount,
                reference: key.clone(),
                memo: l.basis.clone(),
            });
        }
        let open_after = balances.total() + interest + fee.total();
        out.actions.push(Action {
            claim_id: claim.id.clone(),
            customer_id: cust.id.clone(),
            seq,
            step_no: j + 1,
            kind: step.kind,
            segment: seg.segment,
            date: as_of,
            deadline,
            channel,
            letter,
            fees: fee.lines,
            notional_fee: fee.notional,
            interest,
            open_after,
            skipped: false,
            reason,
        });
    }
    out.segments = segments;
    out
}

/// A payment for one claim.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentIn {
    pub id: String,
    pub date: NaiveDate,
    pub amount: i64,
}

/// Books a payment: first the interest accrued through the payment date, then the amount over
/// fees, interest and principal in the jurisdiction's order; any excess becomes a customer credit.
pub fn book_payment(creditor: &Creditor, law: &Jurisdiction, debtor: DebtorKind, claim: &ClaimState, customer_id: &str, p: &PaymentIn) -> Vec<NewEntry> {
    let mut out = Vec::new();
    let reference = format!("payment:{}", p.id);
    let entry = |kind, component, amount, memo: String| NewEntry {
        claim_id: claim.id.clone(),
        customer_id: customer_id.to_string(),
        date: p.date,
        kind,
        component,
        amount,
        reference: reference.clone(),
        memo,
    };
    let mut moves = claim.moves.clone();
    let interest = interest_to_post(law, creditor, debtor, claim.due, &moves, p.date).unwrap_or(0);
    if interest > 0 && Balances::of(&moves, p.date).principal > 0 {
        let m = entry(EntryKind::Interest, Some(crate::domain::Component::Interest), interest, format!("late interest through {} (payment date)", p.date));
        moves.push(Movement { date: p.date, kind: EntryKind::Interest, component: m.component, amount: interest });
        out.push(m);
    }
    let (parts, excess) = allocate(&Balances::of(&moves, p.date), p.amount, &law.allocation_order);
    let order = law.allocation_order.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(" → ");
    for (c, a) in parts {
        out.push(entry(EntryKind::Payment, Some(c), -a, format!("payment {} allocated to {c} ({order}: {})", p.id, law.allocation_source)));
    }
    if excess > 0 {
        out.push(entry(EntryKind::CustomerCredit, None, -excess, format!("overpayment of {} kept as a credit for the customer", format_minor(excess))));
    }
    out
}
