//! The daily run: a pure function of (state, as-of date) → decisions with reasons.
//! Deterministic and idempotent: a claim takes at most one step per day and a step is never
//! repeated, and a day's segments are computed from what was known before that day's steps, so
//! running the same date twice decides nothing new; after a gap each claim takes only its next
//! step, dated the run day, so no two steps fall inside one waiting period. The ledger entries a
//! step causes (its fees, the interest it posts) are derived by [`crate::settle`] from the steps
//! recorded here.

use crate::calendar::next_banking_day_on_or_after;
use crate::domain::{Channel, DebtorKind, FeeKind, PauseKind, Segment, StepKind};
use crate::fees::{fees_for_step, FeeContext, FeeLine, PriorFees};
use crate::interest::{accrue, ContractRate};
use crate::law::{Jurisdiction, LawError};
use crate::ledger::{interest_posted, principal_changes, Balances, EntryKind, Movement};
use crate::model::{After, Arm, FeeSpec, Policy, Step};
use crate::money::{format_minor, Currency, Money};
use crate::segment::{describe, findings, segment_of, History, Predicted, SegmentInput};
use chrono::{Duration, NaiveDate};
use rayon::prelude::*;
use rust_decimal::Decimal;
use serde::Serialize;

/// A creditor (tenant) and everything it has tailored.
#[derive(Clone, Debug, PartialEq)]
pub struct Creditor {
    /// Its id (the tenant key).
    pub id: String,
    /// Its name.
    pub name: String,
    /// Whose law applies.
    pub jurisdiction: crate::domain::JurisdictionCode,
    /// Its currency.
    pub currency: Currency,
    /// Reminder fees were agreed with debtors when their debts arose (SE requires it).
    pub reminder_fee_agreed: bool,
    /// Late interest is charged.
    pub charge_interest: bool,
    /// Contractual late-interest rate (percent per year), where agreed.
    pub contract_rate: Option<Decimal>,
    /// Its bankgiro number (bank files must pay it).
    pub bankgiro: Option<String>,
    /// Its IBANs, comma-separated.
    pub iban: Option<String>,
    /// How payment references are made for invoices imported without one.
    pub reference_scheme: Option<crate::reference::Scheme>,
    /// Its segmentation rules and handling models.
    pub policy: Policy,
}

impl Creditor {
    /// Leftovers below this are never dunned and are written off: the policy's tolerance for
    /// claims in the creditor's currency, the currency's default for others.
    pub fn write_off_for(&self, c: Currency) -> i64 {
        match self.policy.write_off_below {
            Some(x) if c == self.currency => x,
            _ => crate::settle::default_write_off(c),
        }
    }

    /// The terms that shape the ledger of record of a debtor's claims.
    pub fn settle_terms<'a>(&self, law: &'a Jurisdiction, debtor: DebtorKind) -> crate::settle::Terms<'a> {
        crate::settle::Terms {
            law,
            debtor,
            charge_interest: self.charge_interest,
            contract_rate: self.contract_rate,
            currency: self.currency,
            write_off_below: self.write_off_for(self.currency),
            collector: self.policy.collector,
        }
    }
}

/// A pause of a claim's (or a customer's) handling.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Pause {
    /// Its id.
    pub id: i64,
    /// Dispute, promise, payment plan or hold.
    pub kind: PauseKind,
    /// From this day.
    pub from: NaiveDate,
    /// Through this day (a dispute has none: open until ended).
    pub until: Option<NaiveDate>,
    /// Ended early on this day.
    pub ended: Option<NaiveDate>,
    /// Why.
    pub reason: String,
}

impl Pause {
    /// Whether it pauses handling on `d`.
    pub fn active_on(&self, d: NaiveDate) -> bool {
        self.from <= d && self.until.is_none_or(|u| d <= u) && self.ended.is_none_or(|e| d < e)
    }
    /// In words: kind, dates and reason.
    pub fn describe(&self) -> String {
        let until = match (self.kind, self.until) {
            (_, Some(u)) => format!(" until {u}"),
            (PauseKind::Dispute, None) => " until resolved".to_string(),
            _ => String::new(),
        };
        format!("{} since {}{until}: {}", self.kind, self.from, self.reason)
    }
}

/// A customer as the run sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct CustomerState {
    /// Its id.
    pub id: String,
    /// Consumer or business.
    pub kind: DebtorKind,
    /// Chosen as VIP.
    pub vip: bool,
    /// Credit score, if known.
    pub credit_score: Option<i32>,
    /// When it was given.
    pub credit_score_date: Option<NaiveDate>,
    /// An e-mail address is known.
    pub has_email: bool,
    /// A mobile number is known.
    pub has_phone: bool,
    /// The channel the debtor asked to be reminded by, if any (reminders and pre-due notices
    /// follow it where the debtor can be reached so; demands follow the handling model).
    pub preferred: Option<Channel>,
    /// A reminder fee agreed with this debtor (None: the creditor's general terms), and since when.
    pub fee_agreed: Option<bool>,
    /// When the customer agreed to the fee.
    pub fee_agreed_on: Option<NaiveDate>,
    /// The segment recorded by the previous run, if any.
    pub segment: Option<Segment>,
    /// Paid invoices: (due date, paid date).
    pub paid: Vec<(NaiveDate, NaiveDate)>,
    /// Dates on which this customer's claims went to collection.
    pub collection_dates: Vec<NaiveDate>,
    /// Pauses of all the customer's claims.
    pub pauses: Vec<Pause>,
    /// The payment-behaviour model's view of the customer, where a model is used (boxed: most
    /// runs have none, and a million states stay small).
    pub predicted: Option<Box<Predicted>>,
    /// Experiment arms the customer was assigned to earlier.
    pub arms: Vec<Arm>,
}

/// A step a claim has taken.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DoneStep {
    /// Its number on the claim.
    pub seq: u32,
    /// The step.
    pub kind: StepKind,
    /// When.
    pub date: NaiveDate,
    /// The deadline it gave.
    pub deadline: NaiveDate,
    /// The statutory fee it would carry (B2B offsetting).
    pub notional_fee: i64,
    /// Taken as a formality without contacting the debtor.
    pub skipped: bool,
}

/// A claim as the run sees it.
#[derive(Clone, Debug, PartialEq)]
pub struct ClaimState {
    /// Its id.
    pub id: String,
    /// Index into the run's customers.
    pub customer: usize,
    /// Invoice date.
    pub issue: NaiveDate,
    /// Due date.
    pub due: NaiveDate,
    /// The due date was not agreed in advance: interest runs from 30 days after this demand.
    pub demand: Option<NaiveDate>,
    /// Principal in minor units.
    pub principal: i64,
    /// Currency.
    pub currency: Currency,
    /// Its ledger.
    pub moves: Vec<Movement>,
    /// Steps taken, in order (reverted ones left out).
    pub steps: Vec<DoneStep>,
    /// The highest step number ever used on the claim (reverted steps keep theirs).
    pub last_seq: u32,
    /// Pauses of this claim.
    pub pauses: Vec<Pause>,
    /// The model's view of this invoice, where a pre-due nudge may need it (boxed, as above).
    pub predicted: Option<Box<Predicted>>,
}

/// A customer's segment on a day, with the reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SegmentDecision {
    /// The customer.
    pub customer_id: String,
    /// The segment.
    pub segment: Segment,
    /// The segment before (none at the first run).
    pub previous: Option<Segment>,
    /// Why, in words.
    pub reason: String,
}

/// A step taken today, with its fees, interest, deadline and reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Action {
    /// The claim.
    pub claim_id: String,
    /// Its customer.
    pub customer_id: String,
    /// The step's number on the claim.
    pub seq: u32,
    /// 1-based position in the handling model (0: a pre-due nudge, outside the model).
    pub step_no: usize,
    /// The step.
    pub kind: StepKind,
    /// The customer's segment.
    pub segment: Segment,
    /// Today.
    pub date: NaiveDate,
    /// The deadline it gives.
    pub deadline: NaiveDate,
    /// How it reaches the debtor.
    pub channel: Channel,
    /// Grouped reminders share one letter per debtor and day.
    pub letter: Option<String>,
    /// Fees charged, each with its legal basis.
    pub fees: Vec<FeeLine>,
    /// The statutory fee it would carry (B2B offsetting).
    pub notional_fee: i64,
    /// The fee the handling model asked for and the step's minimum open amount (the ledger of
    /// record checks a step's fees against them when facts arrive late).
    pub fee_spec: FeeSpec,
    /// The step's minimum open amount.
    pub min_amount: i64,
    /// Late interest posted with it.
    pub interest: i64,
    /// Open after it.
    pub open_after: i64,
    /// What the debtor pays to settle by the deadline: the open amount after the step plus the
    /// late interest that accrues until the deadline.
    pub amount_to_pay: i64,
    /// Taken as a formality without contacting the debtor (amount below the step's minimum).
    pub skipped: bool,
    /// Why, in words.
    pub reason: String,
    /// The experiment arm whose model decided the step ("name:champion" / "name:challenger"),
    /// and the contact policy's ("contact:policy:sms@18" / "contact:champion:letter"), space-separated.
    pub arm: Option<String>,
    /// The local hour the contact policy chose to send it at (none: as soon as the outbox may).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub send_hour: Option<u32>,
}

impl Action {
    /// All fees charged.
    pub fn fee_total(&self) -> i64 {
        self.fees.iter().map(|f| f.amount).sum()
    }
}

/// A claim not handled today, with the reason.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Held {
    /// The claim.
    pub claim_id: String,
    /// Why (paused, below the write-off tolerance).
    pub reason: String,
}

/// A day's decisions.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RunResult {
    /// Every customer's segment.
    pub segments: Vec<SegmentDecision>,
    /// Steps taken.
    pub actions: Vec<Action>,
    /// Claims held.
    pub held: Vec<Held>,
    /// Open claims considered.
    pub open_claims: usize,
    /// Customers assigned to an experiment arm for the first time (customer id, arm).
    pub assignments: Vec<(String, Arm)>,
    /// What the run should know that is not a decision (e.g. a rule left out).
    pub notes: Vec<String>,
}

impl RunResult {
    /// The customers whose segment changed.
    pub fn segment_changes(&self) -> impl Iterator<Item = &SegmentDecision> {
        self.segments.iter().filter(|s| s.previous != Some(s.segment))
    }
}

/// The segment of each customer on `as_of`. The reason is put in words where the segment
/// changes (or `explain_all`); elsewhere it is left empty, because rendering it for every customer
/// on every run was most of the run's cost.
pub fn segment_customers_with(
    creditor: &Creditor,
    customers: &[CustomerState],
    as_of: NaiveDate,
    explain_all: bool,
) -> Vec<SegmentDecision> {
    let rules = &creditor.policy.segmentation;
    let window_start = as_of - Duration::days(rules.lookback_days);
    customers
        .par_iter()
        .with_min_len(PAR_CHUNK)
        .map(|c| {
            let mut h = History::default();
            for (due, paid) in &c.paid {
                if *paid > window_start && *paid <= as_of {
                    h.add_paid(rules, *due, *paid);
                }
            }
            // Collection cases opened before the day: the day's own run must not feed its segments.
            h.collection_cases = c.collection_dates.iter().filter(|d| **d > window_start && **d < as_of).count() as u32;
            let input = SegmentInput {
                vip: c.vip,
                credit_score: c.credit_score,
                credit_score_date: c.credit_score_date,
                history: &h,
                predicted: c.predicted.as_deref(),
            };
            let f = findings(rules, &input, as_of);
            let segment = segment_of(c.vip, &f);
            let reason =
                if explain_all || c.segment != Some(segment) { describe(rules, &input, &f) } else { String::new() };
            SegmentDecision { customer_id: c.id.clone(), segment, previous: c.segment, reason }
        })
        .collect()
}

/// Every customer's segment with its reason in words.
pub fn segment_customers(creditor: &Creditor, customers: &[CustomerState], as_of: NaiveDate) -> Vec<SegmentDecision> {
    segment_customers_with(creditor, customers, as_of, true)
}

/// Which step of `model` comes next for a claim that has taken `done`. Steps already covered
/// (same kind taken as often, or milder than the harshest taken) are passed over, so a claim
/// keeps its place when its segment changes; pre-due notices pass once the due date has come.
#[allow(clippy::indexing_slicing, reason = "the arrays have one slot per StepKind, indexed by StepKind::index")]
pub fn next_step_index(model: &[crate::model::Step], done: &[DoneStep], due_reached: bool) -> usize {
    let max_sev = done.iter().map(|d| d.kind.severity()).max();
    let mut done_count = [0usize; StepKind::ALL.len()];
    for d in done {
        done_count[d.kind.index()] += 1;
    }
    let mut seen = [0usize; StepKind::ALL.len()];
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

/// The fees already on a claim as the law counts them (from its ledger and its steps).
#[allow(clippy::indexing_slicing, reason = "FeeKind has four variants and the arrays four slots")]
pub fn prior_fees(moves: &[Movement], steps: &[DoneStep]) -> PriorFees {
    let mut p = PriorFees::default();
    for m in moves {
        if let EntryKind::Fee(k) = m.kind {
            p.charged_total += m.amount;
            if m.amount > 0 {
                p.count[k as usize] += 1;
                if k == FeeKind::LateCompensation {
                    p.compensation_charged = true;
                }
            }
        }
    }
    for s in steps.iter().filter(|s| s.notional_fee > 0 && !s.skipped) {
        if let Some(k) = s.kind.fee_kind() {
            p.letters[k as usize] += 1;
        }
    }
    p.notional_total = steps.iter().map(|s| s.notional_fee).sum();
    p
}

/// A step's deadline: its payment period, moved to a banking day, and where the law says so
/// at least some banking days after the day the letter is presumed received (SE: 4 banking days
/// after receipt for a collection demand).
pub fn deadline_for(
    law: &Jurisdiction,
    limits: &crate::law::StepLimits,
    sent: NaiveDate,
    payment_days: i64,
) -> NaiveDate {
    let by_days = next_banking_day_on_or_after(law.country, sent + Duration::days(payment_days));
    if limits.min_banking_days_after_receipt <= 0 {
        return by_days;
    }
    let received =
        crate::calendar::add_banking_days(law.country, sent, limits.presumed_receipt_banking_days.clamp(0, 30) as u32);
    by_days.max(crate::calendar::add_banking_days(
        law.country,
        received,
        limits.min_banking_days_after_receipt.clamp(0, 30) as u32,
    ))
}

/// Whether a reminder fee was agreed with the debtor no later than when this claim arose
/// (SE 1981:739 2 §): the customer's own agreement, else the creditor's general terms.
pub fn fee_agreed(creditor: &Creditor, customer: &CustomerState, issue: NaiveDate) -> bool {
    customer.fee_agreed.unwrap_or(creditor.reminder_fee_agreed) && customer.fee_agreed_on.is_none_or(|d| d <= issue)
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
    let calc = accrue(
        law,
        debtor,
        creditor.contract_rate.map(ContractRate),
        due,
        &principal_changes(known()),
        through,
        false,
    )?;
    Ok((calc.total_minor() - interest_posted(known())).max(0))
}

fn channel_for(step: &crate::model::Step, c: &CustomerState) -> (Channel, Option<String>) {
    let reachable = |ch: Channel| match ch {
        Channel::Email => c.has_email,
        Channel::Sms => c.has_phone,
        _ => true,
    };
    let softer = matches!(step.kind, StepKind::PreDue | StepKind::Reminder);
    let ordinary = matches!(step.channel, Channel::Letter | Channel::Email | Channel::Sms);
    if let Some(p) = c.preferred.filter(|p| softer && ordinary && *p != step.channel && reachable(*p)) {
        if matches!(p, Channel::Letter | Channel::Email | Channel::Sms) {
            return (p, Some(format!("the debtor prefers {p}")));
        }
    }
    match step.channel {
        Channel::Email if !c.has_email => {
            (Channel::Letter, Some("no e-mail address (or no consent to e-mail): sent as a letter".into()))
        }
        Channel::Sms if !c.has_phone && c.has_email => {
            (Channel::Email, Some("no mobile number: sent by e-mail".into()))
        }
        Channel::Sms if !c.has_phone => (Channel::Letter, Some("no mobile number or e-mail: sent as a letter".into())),
        ch => (ch, None),
    }
}

/// A claim that is due for a step today, found by the first pass (no allocation).
struct Due {
    claim: usize,
    step: usize,
    base: NaiveDate,
    trigger: NaiveDate,
    earliest: NaiveDate,
    /// The law moved the step to this many days after due / after this letter.
    law_after_due: bool,
    law_after_letter: Option<NaiveDate>,
    /// A pre-due nudge (outside the handling model).
    nudge: bool,
}

/// Decides today's steps for every open claim: which claims take a step (a first pass without
/// allocating), then each step with its fees, interest, deadline and reason.
pub fn daily_run(
    creditor: &Creditor,
    law: &Jurisdiction,
    customers: &[CustomerState],
    claims: &[ClaimState],
    as_of: NaiveDate,
) -> RunResult {
    decide(creditor, law, customers, claims, as_of, PAR_CHUNK, &crate::contact::Learned::default())
}

/// [`daily_run`] with what earlier reminders taught the contact policy.
pub fn daily_run_learning(
    creditor: &Creditor,
    law: &Jurisdiction,
    customers: &[CustomerState],
    claims: &[ClaimState],
    as_of: NaiveDate,
    learned: &crate::contact::Learned,
) -> RunResult {
    decide(creditor, law, customers, claims, as_of, PAR_CHUNK, learned)
}

/// [`daily_run`] with claims (and customers' groups of steps) handed out in pieces of `chunk`.
#[allow(clippy::indexing_slicing, reason = "Due.claim enumerates `claims`")]
fn decide(
    creditor: &Creditor,
    law: &Jurisdiction,
    customers: &[CustomerState],
    claims: &[ClaimState],
    as_of: NaiveDate,
    chunk: usize,
    learned: &crate::contact::Learned,
) -> RunResult {
    let chunk = chunk.max(1);
    let day = Day::new(creditor, law, customers, claims, as_of, learned);
    let mut out = RunResult { segments: Vec::new(), ..Default::default() };
    for (c, (_, arm)) in customers.iter().zip(&day.plans) {
        if let Some(a) = arm.as_ref().filter(|a| !c.arms.iter().any(|r| r.experiment == a.experiment)) {
            out.assignments.push((c.id.clone(), a.clone()));
        }
    }
    // The first pass over chunks of claims on every core; the chunks' results are joined in
    // order, so the outcome is the sequential one.
    let firsts: Vec<(usize, Vec<Held>, Vec<Due>)> = claims
        .par_chunks(chunk)
        .enumerate()
        .map(|(k, piece)| {
            let (mut open, mut held, mut due) = (0, Vec::new(), Vec::new());
            for (j, claim) in piece.iter().enumerate() {
                match day.today(k * chunk + j, claim) {
                    Today::Closed => {}
                    Today::Held(h) => {
                        open += 1;
                        held.push(h);
                    }
                    Today::Waits => open += 1,
                    Today::Due(d) => {
                        open += 1;
                        due.push(d);
                    }
                }
            }
            (open, held, due)
        })
        .collect();
    let mut due: Vec<Due> = Vec::new();
    for (open, held, d) in firsts {
        out.open_claims += open;
        out.held.extend(held);
        due.extend(d);
    }
    // By customer (customers come in id order), due date and claim id, so grouped letters and
    // their fees are deterministic.
    due.par_sort_unstable_by(|a, b| {
        let (x, y) = (&claims[a.claim], &claims[b.claim]);
        (x.customer, x.due, &x.id).cmp(&(y.customer, y.due, &y.id))
    });
    // Grouped reminders: the first claim in a debtor's letter carries the letter's fee. A
    // customer's claims are decided together, customers in parallel, the steps joined in order.
    let by_customer: Vec<&[Due]> = due.chunk_by(|a, b| claims[a.claim].customer == claims[b.claim].customer).collect();
    let acted: Vec<(Vec<Action>, Vec<Held>)> = by_customer
        .par_iter()
        .with_min_len((chunk / 16).max(1))
        .map(|group| {
            let mut letter_fee_taken: Option<(usize, NaiveDate)> = None;
            // Which of the debtor's steps the contact policy decides, worked out once.
            let applies: Vec<bool> = group.iter().map(|d| day.contact_applies(d)).collect();
            let contact = day.contact_for(group, &applies);
            let mut held = Vec::new();
            let mut acts = Vec::new();
            for (d, applies) in group.iter().zip(applies) {
                match contact.as_ref().filter(|_| applies) {
                    Some(Contact::Hold(why)) => {
                        held.push(Held { claim_id: claims[d.claim].id.clone(), reason: why.clone() })
                    }
                    c => acts.push(day.act(d, &mut letter_fee_taken, c)),
                }
            }
            (acts, held)
        })
        .collect();
    for (acts, held) in acted {
        out.actions.extend(acts);
        out.held.extend(held);
    }
    out.held.sort_by(|a, b| a.claim_id.cmp(&b.claim_id));
    out.segments = day.segments;
    out
}

/// Claims (or customers) per piece of parallel work: large enough that scheduling is noise,
/// small enough that two cores share a day evenly.
const PAR_CHUNK: usize = 16_384;

/// What a claim does today, from the first pass.
enum Today {
    /// Nothing open.
    Closed,
    /// Open but not handled: below the write-off tolerance, or paused.
    Held(Held),
    /// Open, no step due today.
    Waits,
    /// A step is due.
    Due(Due),
}

/// What a day's run works with, looked up once.
struct Day<'a> {
    creditor: &'a Creditor,
    law: &'a Jurisdiction,
    customers: &'a [CustomerState],
    claims: &'a [ClaimState],
    as_of: NaiveDate,
    segments: Vec<SegmentDecision>,
    /// Each customer's steps: the segment's model, or its challenger's in an experiment.
    plans: Vec<(&'a [Step], Option<Arm>)>,
    /// The law's limits per step kind and debtor kind.
    limits: Vec<[crate::law::StepLimits; 2]>,
    nudge: Option<&'a crate::model::Nudge>,
    /// The nudge as a step outside the handling model.
    nudge_step: Option<Step>,
    /// The same for every step of the day: the half-year's rate is not in the tables yet.
    pending_rate: Option<String>,
    /// The contact policy in force today, its costs and what earlier reminders taught.
    contact: Option<(&'a crate::contact::ContactPolicy, crate::strategy::Costs, &'a crate::contact::Learned)>,
}

/// What the contact policy decided for a debtor's reminders of the day.
enum Contact {
    /// Kept on the handling model's channel: the share the policy is measured against.
    Champion,
    /// The policy's choice.
    Chosen(crate::contact::Choice),
    /// Held for payday, and why: the reminders wait (they are due again tomorrow).
    Hold(String),
}

impl<'a> Day<'a> {
    fn new(
        creditor: &'a Creditor,
        law: &'a Jurisdiction,
        customers: &'a [CustomerState],
        claims: &'a [ClaimState],
        as_of: NaiveDate,
        learned: &'a crate::contact::Learned,
    ) -> Day<'a> {
        let segments = segment_customers_with(creditor, customers, as_of, false);
        let plans = customers
            .par_iter()
            .zip(&segments)
            .map(|(c, s)| creditor.policy.steps_for(s.segment, &c.id, &c.arms, as_of))
            .collect();
        let limits = StepKind::ALL
            .iter()
            .map(|k| [law.step_limits(*k, DebtorKind::Consumer), law.step_limits(*k, DebtorKind::Business)])
            .collect();
        let nudge = creditor.policy.nudge.as_ref();
        let nudge_step = nudge.map(|n| Step {
            kind: StepKind::PreDue,
            after: After::Due,
            days: -n.days_before_due,
            payment_days: n.days_before_due,
            fee: FeeSpec::None,
            channel: n.channel,
            min_amount: 0,
            texts: Default::default(),
        });
        let pending_rate = law.interest_row(as_of).ok().filter(|_| creditor.charge_interest).and_then(|r| {
            r.pending.as_ref().map(|why| format!("; interest only through {}: {why}", r.from - Duration::days(1)))
        });
        let contact = creditor
            .policy
            .contact
            .as_ref()
            .filter(|c| c.from <= as_of)
            .map(|c| (c, c.costs(crate::strategy::Costs::default_for(creditor.currency)), learned));
        Day {
            creditor,
            law,
            customers,
            claims,
            as_of,
            segments,
            plans,
            limits,
            nudge,
            nudge_step,
            pending_rate,
            contact,
        }
    }

    /// Whether the contact policy chooses a due step's channel: a reminder of the handling model
    /// by letter, e-mail or text, for a debtor outside an experiment's challenger arm who has not
    /// asked for a channel of their own.
    #[allow(
        clippy::indexing_slicing,
        reason = "Due.claim enumerates `claims`, ClaimState.customer indexes `customers` and plans"
    )]
    fn contact_applies(&self, d: &Due) -> bool {
        let claim = &self.claims[d.claim];
        let (steps, arm) = &self.plans[claim.customer];
        let step = steps.get(d.step);
        self.contact.is_some()
            && !d.nudge
            && !arm.as_ref().is_some_and(|a| a.challenger)
            && self.customers[claim.customer].preferred.is_none()
            && step.is_some_and(|s| {
                s.kind == StepKind::Reminder && matches!(s.channel, Channel::Letter | Channel::Email | Channel::Sms)
            })
    }

    /// The contact policy's decision for one debtor's due steps of the day, those `applies`
    /// marks (one choice for all, so a grouped letter stays one message).
    #[allow(
        clippy::indexing_slicing,
        reason = "Due.claim enumerates `claims`, ClaimState.customer indexes `customers`, segments and plans"
    )]
    fn contact_for(&self, group: &[Due], applies: &[bool]) -> Option<Contact> {
        let (policy, costs, learned) = self.contact?;
        let applies: Vec<&Due> = group.iter().zip(applies).filter(|(_, a)| **a).map(|(d, _)| d).collect();
        let first = applies.first()?;
        let customer = self.claims[first.claim].customer;
        let cust = &self.customers[customer];
        let step_channel = self.plans[customer].0.get(first.step)?.channel;
        if policy.champion(&cust.id) {
            return Some(Contact::Champion);
        }
        let open: i64 = applies.iter().map(|d| Balances::of(&self.claims[d.claim].moves, self.as_of).total()).sum();
        let debtor = crate::contact::Debtor {
            id: &cust.id,
            segment: self.segments[customer].segment,
            kind: cust.kind,
            score: cust.credit_score,
            has_email: cust.has_email,
            has_phone: cust.has_phone,
            open: open as f64 / 100.0,
        };
        // Seeded by the step's first day, so a reminder held for payday is drawn the same option
        // on payday as on the day it was held for it.
        let earliest = applies.iter().map(|d| d.earliest).min().unwrap_or(self.as_of);
        Some(match crate::contact::choose(policy, self.law.code, &costs, learned, &debtor, step_channel, earliest) {
            Some(mut c) => {
                let sd = crate::contact::send_day(
                    policy,
                    self.law.country,
                    learned,
                    &debtor,
                    c.option.channel,
                    earliest,
                    self.as_of,
                );
                match sd {
                    crate::contact::SendDay::Hold(_, why) => return Some(Contact::Hold(why)),
                    crate::contact::SendDay::Today(Some((label, why))) => {
                        c.label.push_str(&format!(" {label}"));
                        c.why.push_str(&format!("; {why}"));
                    }
                    crate::contact::SendDay::Today(None) => {}
                }
                Contact::Chosen(c)
            }
            // No option reaches the debtor (say, no e-mail and letters not among the options):
            // the handling model's channel, outside the comparison, whose champion share must
            // stay a random draw.
            None => return None,
        })
    }

    #[allow(clippy::indexing_slicing, reason = "one row per StepKind (ALL), one column per DebtorKind")]
    fn limits(&self, step: &Step, debtor: DebtorKind) -> &crate::law::StepLimits {
        &self.limits[step.kind.index()][debtor as usize]
    }

    /// The first pass, in memory order and without allocating for claims that wait: whether
    /// the claim is open, held, or takes a step today (a nudge, or its model's next step once
    /// its day and the law's waiting periods have come).
    #[allow(
        clippy::indexing_slicing,
        reason = "ClaimState.customer indexes the run's customers (loaded together), plans has one entry per customer"
    )]
    fn today(&self, ci: usize, claim: &ClaimState) -> Today {
        let as_of = self.as_of;
        let cust = &self.customers[claim.customer];
        let open = Balances::of(&claim.moves, as_of).total();
        if open <= 0 {
            return Today::Closed;
        }
        let tolerance = self.creditor.write_off_for(claim.currency);
        if open < tolerance {
            let reason = format!(
                "open {} is below the write-off tolerance {}: not dunned",
                Money::new(open, claim.currency),
                format_minor(tolerance)
            );
            return Today::Held(Held { claim_id: claim.id.clone(), reason });
        }
        if let Some(p) = claim.pauses.iter().chain(cust.pauses.iter()).find(|p| p.active_on(as_of)) {
            return Today::Held(Held { claim_id: claim.id.clone(), reason: format!("paused: {}", p.describe()) });
        }
        let last = claim.steps.last();
        if last.is_some_and(|s| s.date >= as_of) {
            return Today::Waits;
        }
        let steps = self.plans[claim.customer].0;
        if let Some(d) = self.nudge_due(ci, claim, steps) {
            return Today::Due(d);
        }
        let j = next_step_index(steps, &claim.steps, as_of >= claim.due);
        let Some(step) = steps.get(j) else { return Today::Waits };
        let base = match (step.after, last) {
            // The debtor may pay on the deadline day itself: counting starts the day after.
            (After::Previous, Some(l)) => l.deadline + Duration::days(1),
            _ => claim.due,
        };
        let trigger = base + Duration::days(step.days);
        let limits = self.limits(step, cust.kind);
        let mut d = Due {
            claim: ci,
            step: j,
            base,
            trigger,
            earliest: trigger,
            law_after_due: false,
            law_after_letter: None,
            nudge: false,
        };
        if limits.min_days_after_due > 0 && claim.due + Duration::days(limits.min_days_after_due) > d.earliest {
            d.earliest = claim.due + Duration::days(limits.min_days_after_due);
            d.law_after_due = true;
        }
        if limits.min_days_since_previous > 0 {
            if let Some(letter) = claim.steps.iter().rev().find(|s| s.kind != StepKind::PhoneCall && !s.skipped) {
                if letter.date + Duration::days(limits.min_days_since_previous) > d.earliest {
                    d.earliest = letter.date + Duration::days(limits.min_days_since_previous);
                    d.law_after_letter = Some(letter.date);
                }
            }
        }
        if as_of >= d.earliest {
            Today::Due(d)
        } else {
            Today::Waits
        }
    }

    /// A nudge: before due, nothing sent yet, the model expects lateness, and the handling
    /// model has no pre-due step of its own.
    fn nudge_due(&self, ci: usize, claim: &ClaimState, steps: &[Step]) -> Option<Due> {
        let (n, p) = (self.nudge?, claim.predicted.as_ref()?);
        if !claim.steps.is_empty() {
            return None;
        }
        let window = self.as_of < claim.due && claim.due - Duration::days(n.days_before_due) <= self.as_of;
        let wanted = window
            && !steps.iter().any(|s| s.kind == StepKind::PreDue)
            && Decimal::from_f64_retain(p.p_late).is_some_and(|x| x >= n.min_p_late);
        let trigger = claim.due - Duration::days(n.days_before_due);
        wanted.then_some(Due {
            claim: ci,
            step: 0,
            base: claim.due,
            trigger,
            earliest: trigger,
            law_after_due: false,
            law_after_letter: None,
            nudge: true,
        })
    }

    /// The second pass: the step a due claim takes, with its fees, interest, deadline and reason;
    /// `contact` is the contact policy's decision where it decides this step.
    #[allow(
        clippy::indexing_slicing,
        reason = "Due.claim enumerates `claims`, ClaimState.customer indexes `customers`, segments and plans; d.step was found by get in `today`"
    )]
    fn act(&self, d: &Due, letter_fee_taken: &mut Option<(usize, NaiveDate)>, contact: Option<&Contact>) -> Action {
        let (as_of, law, creditor) = (self.as_of, self.law, self.creditor);
        let claim = &self.claims[d.claim];
        let cust = &self.customers[claim.customer];
        let seg = &self.segments[claim.customer];
        let (steps, arm) = (self.plans[claim.customer].0, &self.plans[claim.customer].1);
        // 1-based position in the model; 0 for a nudge, which stands outside it.
        let (step_no, step) = match (&self.nudge_step, d.nudge) {
            (Some(n), true) => (0, n),
            _ => (d.step + 1, &steps[d.step]),
        };
        let balances = Balances::of(&claim.moves, as_of);
        let limits = self.limits(step, cust.kind);
        debug_assert!(d.base <= d.trigger || step.days < 0);
        let mut reason = self.reason(d, step_no, step);
        let deadline = if d.nudge { claim.due } else { deadline_for(law, limits, as_of, step.payment_days) };
        let (mut channel, channel_note) = channel_for(step, cust);
        if let Some(note) = channel_note {
            reason.push_str(&format!("; {note}"));
        }
        let mut arm = arm.as_ref().map(Arm::label);
        let mut send_hour = None;
        let contact_label = match contact {
            Some(Contact::Chosen(c)) => {
                channel = c.option.channel;
                send_hour = c.option.hour;
                reason.push_str(&format!("; {}", c.why));
                Some(c.label.clone())
            }
            Some(Contact::Champion) => {
                reason.push_str(
                    "; contact policy: kept on the handling model's channel (the share the policy is measured against)",
                );
                Some(crate::contact::champion_label(channel))
            }
            Some(Contact::Hold(_)) | None => None,
        };
        // The contact policy's label after the experiment's, space-separated.
        if let Some(label) = contact_label {
            arm = Some(match arm {
                Some(a) => format!("{a} {label}"),
                None => label,
            });
        }
        let mut action = Action {
            claim_id: claim.id.clone(),
            customer_id: cust.id.clone(),
            seq: claim.last_seq.max(claim.steps.len() as u32) + 1,
            step_no,
            kind: step.kind,
            segment: seg.segment,
            date: as_of,
            deadline,
            channel,
            letter: None,
            fees: vec![],
            notional_fee: 0,
            fee_spec: step.fee,
            min_amount: step.min_amount,
            interest: 0,
            open_after: balances.total(),
            amount_to_pay: balances.total(),
            skipped: true,
            reason: String::new(),
            arm,
            send_hour,
        };
        if balances.total() < step.min_amount {
            reason.push_str(&format!(
                "; skipped: open amount below the step's minimum {}",
                format_minor(step.min_amount)
            ));
            action.reason = reason;
            return action;
        }
        let letter = (creditor.policy.group_reminders && step.kind == StepKind::Reminder)
            .then(|| format!("{}/{}/reminder/{}", cust.id, as_of, channel));
        let mut fee = self.fee(claim, cust, step, channel);
        if letter.is_some() && step.fee != FeeSpec::None {
            if *letter_fee_taken == Some((claim.customer, as_of)) {
                fee.lines.retain(|l| l.kind != FeeKind::Reminder);
                fee.notes.push("reminder fee charged once, on the first invoice of this debtor's letter".into());
            } else if fee.lines.iter().any(|l| l.kind == FeeKind::Reminder) {
                *letter_fee_taken = Some((claim.customer, as_of));
            }
        }
        for n in &fee.notes {
            reason.push_str(&format!("; {n}"));
        }
        let interest_through = |date| {
            interest_to_post(law, creditor, cust.kind, law.interest_after(claim.due, claim.demand), &claim.moves, date)
        };
        let interest = interest_through(as_of).unwrap_or_else(|e| {
            reason.push_str(&format!("; no interest posted: {e}"));
            0
        });
        if let Some(note) = &self.pending_rate {
            reason.push_str(note);
        }
        let open_after = balances.total() + interest + fee.total();
        // Interest keeps accruing until the deadline: the letter asks for the amount that settles then.
        let to_deadline = if d.nudge {
            0
        } else {
            interest_through(deadline).map_or(0, |through_deadline| (through_deadline - interest).max(0))
        };
        Action {
            letter,
            fees: fee.lines,
            notional_fee: fee.notional,
            interest,
            open_after,
            amount_to_pay: open_after + to_deadline,
            skipped: false,
            reason,
            ..action
        }
    }

    /// The fees the law and the step allow for this claim today.
    fn fee(&self, claim: &ClaimState, cust: &CustomerState, step: &Step, channel: Channel) -> crate::fees::FeeDecision {
        let prior = prior_fees(&claim.moves, &claim.steps);
        let ctx = FeeContext {
            law: self.law,
            debtor: cust.kind,
            reminder_fee_agreed: fee_agreed(self.creditor, cust, claim.issue),
            collector: self.creditor.policy.collector,
            written: channel.is_written(),
            currency: claim.currency,
            principal: claim.principal,
            due: claim.due,
            date: self.as_of,
            previous_letter: claim
                .steps
                .iter()
                .rev()
                .find(|s| s.kind.is_letter() && !s.skipped)
                .map(|s| (s.date, s.deadline)),
            instalments: None,
            prior: &prior,
        };
        fees_for_step(&ctx, step.kind, step.fee)
    }

    /// Why the step is taken today, in words: its place in the model (or the model's forecast
    /// for a nudge), the law's waiting periods that moved it, a catch-up, a pause that ended, and
    /// what is open.
    #[allow(
        clippy::indexing_slicing,
        reason = "Due.claim enumerates `claims`, ClaimState.customer indexes `customers`, segments and plans"
    )]
    fn reason(&self, d: &Due, step_no: usize, step: &Step) -> String {
        let as_of = self.as_of;
        let claim = &self.claims[d.claim];
        let cust = &self.customers[claim.customer];
        let seg = &self.segments[claim.customer];
        let (steps, arm) = (self.plans[claim.customer].0, &self.plans[claim.customer].1);
        let limits = self.limits(step, cust.kind);
        let base_text = match (step.after, claim.steps.last()) {
            (After::Previous, Some(l)) => format!("day after previous deadline {}", l.deadline),
            _ => format!("due {}", claim.due),
        };
        let mut why_later = Vec::new();
        if d.law_after_due {
            why_later.push(format!(
                "law: {} days after due ({})",
                limits.min_days_after_due,
                limits.sources.join("; ")
            ));
        }
        if let Some(letter) = d.law_after_letter {
            why_later.push(format!(
                "law: {} days after the previous letter of {letter} ({})",
                limits.min_days_since_previous,
                limits.sources.join("; ")
            ));
        }
        let model_name = match arm {
            Some(a) if a.challenger => format!("{} challenger '{}'", seg.segment, a.experiment),
            _ => seg.segment.to_string(),
        };
        let mut reason = match (d.nudge, &claim.predicted) {
            (true, Some(p)) => format!(
                "pre-due nudge: {}; due {} in {} days",
                p.describe(
                    &format!(
                        " (nudge from {} %)",
                        (self.nudge.map_or(Decimal::ZERO, |n| n.min_p_late) * Decimal::ONE_HUNDRED).normalize()
                    ),
                    true
                ),
                claim.due,
                (claim.due - as_of).num_days()
            ),
            _ => format!(
                "{model_name} step {step_no}/{} ({}): {} {:+} days = {}",
                steps.len(),
                step.kind,
                base_text,
                step.days,
                d.trigger
            ),
        };
        if !why_later.is_empty() {
            reason.push_str(&format!(", earliest {} by {}", d.earliest, why_later.join(", ")));
        }
        if as_of > d.earliest && !d.nudge {
            reason.push_str(&format!("; taken on {as_of} (catch-up: first run since it came due)"));
        }
        let resumed = claim
            .pauses
            .iter()
            .chain(cust.pauses.iter())
            .filter(|p| !p.active_on(as_of) && p.from <= as_of)
            .max_by_key(|p| p.ended.or(p.until));
        if let Some(p) = resumed {
            if p.ended.or(p.until).is_some_and(|e| e >= d.earliest - Duration::days(1)) {
                reason.push_str(&format!("; resumed after {}", p.describe()));
            }
        }
        reason.push_str(&format!("; open {}", Money::new(Balances::of(&claim.moves, as_of).total(), claim.currency)));
        reason
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Collector, Component, JurisdictionCode};
    use crate::law::LawBook;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// An in-memory world that records facts and derives each claim's ledger from them with
    /// the ledger of record, the way the store does.
    struct World {
        creditor: Creditor,
        law: LawBook,
        customers: Vec<CustomerState>,
        claims: Vec<ClaimState>,
        payments: Vec<crate::settle::PaymentFact>,
        steps: Vec<crate::settle::StepFact>,
    }
    fn customer(id: &str, kind: DebtorKind) -> CustomerState {
        CustomerState {
            id: id.into(),
            kind,
            vip: false,
            credit_score: None,
            credit_score_date: None,
            has_email: true,
            has_phone: true,
            preferred: None,
            fee_agreed: None,
            fee_agreed_on: None,
            segment: None,
            paid: vec![],
            collection_dates: vec![],
            pauses: vec![],
            predicted: None,
            arms: vec![],
        }
    }

    impl World {
        fn new(j: JurisdictionCode) -> World {
            let law = LawBook::embedded();
            let currency = law.jurisdiction(j).unwrap().currency;
            let creditor = Creditor {
                id: "t".into(),
                name: "T".into(),
                jurisdiction: j,
                currency,
                reminder_fee_agreed: true,
                charge_interest: true,
                contract_rate: None,
                bankgiro: None,
                iban: None,
                reference_scheme: None,
                policy: Policy::default_for(j),
            };
            World { creditor, law, customers: vec![], claims: vec![], payments: vec![], steps: vec![] }
        }
        fn add_claim(&mut self, id: &str, customer: usize, due: &str, principal: i64) -> usize {
            let due = d(due);
            self.claims.push(ClaimState {
                id: id.into(),
                customer,
                issue: due - Duration::days(30),
                due,
                demand: None,
                principal,
                currency: self.creditor.currency,
                moves: vec![],
                steps: vec![],
                last_seq: 0,
                pauses: vec![],
                predicted: None,
            });
            self.settle();
            self.claims.len() - 1
        }
        /// Derives every claim's movements from the facts, per customer.
        fn settle(&mut self) -> Vec<crate::settle::Posting> {
            use crate::settle::{settle, ClaimFact, CustomerFacts};
            let law = self.law.jurisdiction(self.creditor.jurisdiction).unwrap().clone();
            let mut all = Vec::new();
            for (ci, cust) in self.customers.iter().enumerate() {
                let mine: Vec<&ClaimState> = self.claims.iter().filter(|c| c.customer == ci).collect();
                let facts = CustomerFacts {
                    claims: mine
                        .iter()
                        .map(|c| ClaimFact {
                            id: c.id.clone(),
                            currency: c.currency,
                            issue: c.issue,
                            due: c.due,
                            demand: c.demand,
                            principal: c.principal,
                        })
                        .collect(),
                    payments: self.payments.iter().filter(|p| mine.iter().any(|c| c.id == p.claim)).cloned().collect(),
                    steps: self.steps.iter().filter(|p| mine.iter().any(|c| c.id == p.claim)).cloned().collect(),
                    pauses: vec![],
                    refunds: vec![],
                };
                all.extend(settle(self.creditor.settle_terms(&law, cust.kind), &facts).postings);
            }
            for c in &mut self.claims {
                c.moves = all
                    .iter()
                    .filter(|p| p.claim == c.id)
                    .map(|p| Movement { date: p.date, kind: p.kind, component: p.component, amount: p.amount })
                    .collect();
            }
            all
        }
        fn run(&mut self, day: &str) -> RunResult {
            let law = self.law.jurisdiction(self.creditor.jurisdiction).unwrap().clone();
            let r = daily_run(&self.creditor, &law, &self.customers, &self.claims, d(day));
            for a in &r.actions {
                let c = self.claims.iter_mut().find(|c| c.id == a.claim_id).unwrap();
                assert_eq!(a.seq, c.last_seq + 1);
                c.last_seq = a.seq;
                c.steps.push(DoneStep {
                    seq: a.seq,
                    kind: a.kind,
                    date: a.date,
                    deadline: a.deadline,
                    notional_fee: a.notional_fee,
                    skipped: a.skipped,
                });
                self.steps.push(crate::settle::StepFact {
                    claim: a.claim_id.clone(),
                    seq: a.seq,
                    date: a.date,
                    kind: a.kind,
                    fees: a.fees.clone(),
                    letter: a.letter.clone(),
                    min_amount: a.min_amount,
                    skipped: a.skipped,
                });
            }
            let postings = self.settle();
            // What the run said it posts is what the ledger of record holds for its steps.
            for a in &r.actions {
                let cause = format!("action:{}:{}", a.claim_id, a.seq);
                let posted: i64 = postings
                    .iter()
                    .filter(|p| p.cause == cause && p.kind == EntryKind::Interest)
                    .map(|p| p.amount)
                    .sum();
                assert_eq!(posted, a.interest, "interest of {cause}");
                let fees: i64 = postings
                    .iter()
                    .filter(|p| p.cause == cause && matches!(p.kind, EntryKind::Fee(_)))
                    .map(|p| p.amount)
                    .sum();
                assert_eq!(fees, a.fee_total(), "fees of {cause}");
            }
            for (c, s) in self.customers.iter_mut().zip(&r.segments) {
                c.segment = Some(s.segment);
            }
            for (id, arm) in &r.assignments {
                self.customers.iter_mut().find(|c| &c.id == id).unwrap().arms.push(arm.clone());
            }
            r
        }
        /// Books a payment; returns the entries it caused.
        fn pay(&mut self, claim: usize, day: &str, amount: i64) -> Vec<crate::settle::Posting> {
            let id = format!("p{}", self.payments.len() + 1);
            self.payments.push(crate::settle::PaymentFact {
                id: id.clone(),
                claim: self.claims[claim].id.clone(),
                date: d(day),
                amount,
                kind: crate::settle::PaymentKind::Bank,
                reversed: None,
            });
            let cause = format!("payment:{id}");
            self.settle().into_iter().filter(|p| p.cause == cause).collect()
        }
        fn balance(&self, claim: usize) -> Balances {
            Balances::of(&self.claims[claim].moves, NaiveDate::MAX)
        }
        fn kinds(&self, claim: usize) -> Vec<StepKind> {
            self.claims[claim].steps.iter().map(|s| s.kind).collect()
        }
    }

    #[test]
    fn normal_consumer_gets_reminder_then_collection_with_lawful_fees() {
        let mut w = World::new(JurisdictionCode::SE);
        w.customers.push(customer("c1", DebtorKind::Consumer));
        let c = w.add_claim("i1", 0, "2024-03-15", 1_000_000);
        assert!(w.run("2024-03-21").actions.is_empty(), "due + 6: too early for the reminder at due + 7");
        let r = w.run("2024-03-22");
        assert_eq!(r.actions.len(), 1);
        let a = &r.actions[0];
        assert_eq!((a.kind, a.fee_total()), (StepKind::Reminder, 6000));
        assert!(
            a.reason.starts_with("normal step 1/3 (reminder): due 2024-03-15 +7 days = 2024-03-22"),
            "{}",
            a.reason
        );
        // 10 days to pay → 2024-04-01 is Easter Monday → deadline Tuesday 2024-04-02.
        assert_eq!(a.deadline, d("2024-04-02"));
        // Interest 7 days × 12 % on 10 000 = 23.01.
        assert_eq!(a.interest, 2301);
        // Collection the day after the day after the deadline (normal model: +1 day).
        assert!(w.run("2024-04-03").actions.is_empty());
        let r = w.run("2024-04-04");
        assert_eq!((r.actions[0].kind, r.actions[0].fee_total()), (StepKind::Collection, 18000));
        assert_eq!(w.balance(c).fees, 24000);
    }

    #[test]
    fn same_date_twice_decides_nothing_new() {
        let mut w = World::new(JurisdictionCode::SE);
        w.customers.push(customer("c1", DebtorKind::Consumer));
        w.add_claim("i1", 0, "2024-03-15", 500_000);
        assert_eq!(w.run("2024-03-22").actions.len(), 1);
        let again = w.run("2024-03-22");
        assert!(again.actions.is_empty());
    }

    /// Issue #8 case 3: the first run's own collection step made its customer Risk on a second
    /// run of the same day (collection_cases = 1), which then took new steps. A day's segments
    /// count collection cases opened before that day.
    #[test]
    fn a_days_own_collection_steps_do_not_feed_that_days_segments() {
        let mut w = World::new(JurisdictionCode::SE);
        w.customers.push(customer("c1", DebtorKind::Consumer));
        let c = w.add_claim("i1", 0, "2024-03-15", 500_000);
        w.add_claim("i2", 0, "2024-04-20", 500_000);
        w.run("2024-03-22");
        let day = w.claims[c].steps[0].deadline + Duration::days(2);
        let first = w.run(&day.to_string());
        assert_eq!(first.actions[0].kind, StepKind::Collection);
        w.customers[0].collection_dates.push(day);
        let again = w.run(&day.to_string());
        assert!(again.actions.is_empty(), "{:?}", again.actions);
        assert_eq!(again.segment_changes().count(), 0, "{:?}", again.segments);
        let next = w.run(&(day + Duration::days(1)).to_string());
        assert_eq!(
            next.segment_changes().next().map(|s| s.segment),
            Some(Segment::Risk),
            "from the next day the case counts"
        );
    }

    /// A letter states what settles the claim by its deadline: 10 000 SEK due 2024-03-15, reminder
    /// on 2024-03-22 (fee 60, interest through 03-22: 7 days × 12 % = 23.01), deadline 2024-04-02.
    /// Interest through 04-02: 10 000 × 0.12 × 18 / 365 = 59.178 → 59.18, 36.17 more than posted:
    /// 10 000 + 60 + 23.01 + 36.17 = 10 119.18.
    #[test]
    fn letters_ask_for_the_amount_that_settles_by_the_deadline() {
        let mut w = World::new(JurisdictionCode::SE);
        w.customers.push(customer("c1", DebtorKind::Consumer));
        let c = w.add_claim("i1", 0, "2024-03-15", 1_000_000);
        let r = w.run("2024-03-22");
        let a = &r.actions[0];
        assert_eq!((a.deadline, a.open_after, a.amount_to_pay), (d("2024-04-02"), 1_008_301, 1_011_918));
        // Paying exactly that on the deadline settles it, nothing left to dun.
        w.pay(c, "2024-04-02", 1_011_918);
        assert_eq!(w.balance(c).total(), 0);
    }

    #[test]
    fn leftovers_below_the_tolerance_are_not_dunned() {
        let mut w = World::new(JurisdictionCode::SE);
        w.customers.push(customer("c1", DebtorKind::Consumer));
        w.add_claim("i1", 0, "2024-03-15", 50);
        let r = w.run("2024-04-15");
        assert!(r.actions.is_empty());
        assert_eq!(r.held[0].reason, "open 0.50 SEK is below the write-off tolerance 1.00: not dunned");
    }

    #[test]
    fn catch_up_after_a_gap_takes_one_step_dated_today() {
        let mut w = World::new(JurisdictionCode::SE);
        w.customers.push(customer("c1", DebtorKind::Consumer));
        let c = w.add_claim("i1", 0, "2024-03-15", 500_000);
        // First run 60 days after due: only the reminder, dated today, not a collection demand.
        let r = w.run("2024-05-14");
        assert_eq!(r.actions.len(), 1);
        assert_eq!(r.actions[0].kind, StepKind::Reminder);
        assert!(r.actions[0].reason.contains("catch-up"), "{}", r.actions[0].reason);
        // The next day nothing: the reminder's payment period must run first.
        assert!(w.run("2024-05-15").actions.is_empty());
        let deadline = w.claims[c].steps[0].deadline;
        assert!(w.run(&(deadline + Duration::days(1)).to_string()).actions.is_empty());
        let r = w.run(&(deadline + Duration::days(2)).to_string());
        assert_eq!(r.actions[0].kind, StepKind::Collection);
    }

    #[test]
    fn finnish_demand_waits_fourteen_days_after_the_reminder_even_after_a_gap() {
        let mut w = World::new(JurisdictionCode::FI);
        // A model that would send the demand right after a 7-day reminder period.
        w.creditor.policy.models[1].steps[0].payment_days = 7;
        w.creditor.policy.models[1].steps[1].days = 0;
        w.customers.push(customer("c1", DebtorKind::Consumer));
        let c = w.add_claim("i1", 0, "2024-03-15", 50_000);
        // The fee-bearing reminder 14 days after due (perintälaki 10 b §).
        w.run("2024-03-29");
        let reminder = w.claims[c].steps[0].date;
        // KKV/378/2022: strictly more than 14 days after the reminder, so day 14 is too early.
        let r = w.run(&(reminder + Duration::days(14)).to_string());
        assert!(r.actions.is_empty(), "14 days after the reminder is too early: {:?}", r.actions);
        let r = w.run(&(reminder + Duration::days(15)).to_string());
        assert_eq!(r.actions[0].kind, StepKind::Collection);
        assert!(r.actions[0].reason.contains("law: 15 days after the previous letter"), "{}", r.actions[0].reason);
    }

    #[test]
    fn pauses_hold_and_broken_promise_resumes() {
        let mut w = World::new(JurisdictionCode::SE);
        w.customers.push(customer("c1", DebtorKind::Consumer));
        let c = w.add_claim("i1", 0, "2024-03-15", 500_000);
        w.claims[c].pauses.push(Pause {
            id: 1,
            kind: PauseKind::Promise,
            from: d("2024-03-20"),
            until: Some(d("2024-04-10")),
            ended: None,
            reason: "will pay on salary day".into(),
        });
        let r = w.run("2024-03-22");
        assert!(r.actions.is_empty());
        assert!(r.held[0].reason.contains("promise since 2024-03-20 until 2024-04-10"), "{}", r.held[0].reason);
        let r = w.run("2024-04-11");
        assert_eq!(r.actions[0].kind, StepKind::Reminder);
        assert!(r.actions[0].reason.contains("resumed after promise"), "{}", r.actions[0].reason);
        // A dispute holds until it is ended.
        w.claims[c].pauses.push(Pause {
            id: 2,
            kind: PauseKind::Dispute,
            from: d("2024-04-12"),
            until: None,
            ended: None,
            reason: "goods not delivered".into(),
        });
        assert!(w.run("2024-06-01").actions.is_empty());
        w.claims[c].pauses[1].ended = Some(d("2024-06-10"));
        assert_eq!(w.run("2024-06-10").actions[0].kind, StepKind::Collection);
    }

    #[test]
    fn customer_level_hold_applies_to_all_claims() {
        let mut w = World::new(JurisdictionCode::SE);
        w.customers.push(customer("c1", DebtorKind::Consumer));
        w.add_claim("i1", 0, "2024-03-15", 500_000);
        w.add_claim("i2", 0, "2024-03-10", 500_000);
        w.customers[0].pauses.push(Pause {
            id: 1,
            kind: PauseKind::Hold,
            from: d("2024-03-01"),
            until: Some(d("2024-04-30")),
            ended: None,
            reason: "bankruptcy check".into(),
        });
        let r = w.run("2024-04-01");
        assert_eq!(r.held.len(), 2);
        assert!(r.actions.is_empty());
    }

    #[test]
    fn partial_payment_keeps_place_and_interest_survives() {
        let mut w = World::new(JurisdictionCode::SE);
        w.customers.push(customer("c1", DebtorKind::Consumer));
        let c = w.add_claim("i1", 0, "2024-03-15", 1_000_000);
        w.run("2024-03-22"); // reminder: fee 60, interest 23.01
                             // Pay 5 000 on 2024-03-25: first interest through 03-25 (10 days = 32.88, 9.87 more),
                             // then fees 60, interest 32.88, principal 4 907.12.
        let e = w.pay(c, "2024-03-25", 500_000);
        assert_eq!(e[0].kind, EntryKind::Interest);
        assert_eq!(e[0].amount, 987);
        let b = w.balance(c);
        assert_eq!((b.fees, b.interest, b.principal), (0, 0, 1_000_000 - (500_000 - 6000 - 3288)));
        // Still in its place: the next step is collection, not a second reminder.
        let deadline = w.claims[c].steps[0].deadline;
        let r = w.run(&(deadline + Duration::days(2)).to_string());
        assert_eq!(r.actions[0].kind, StepKind::Collection);
        // With the allocation order principal first (law tables are data: the ledger of record
        // allocates every payment by the order in the tables), paying exactly the principal
        // leaves the interest accrued through the payment day and the fee owed.
        let mut w = World::new(JurisdictionCode::SE);
        for j in &mut w.law.jurisdictions {
            j.allocation_order = vec![Component::Principal, Component::Interest, Component::Fees];
        }
        w.customers.push(customer("c1", DebtorKind::Consumer));
        let c = w.add_claim("i1", 0, "2024-03-15", 1_000_000);
        w.run("2024-03-22");
        w.pay(c, "2024-05-01", 1_000_000);
        let b = w.balance(c);
        assert_eq!(b.principal, 0);
        assert_eq!(b.fees, 6000);
        assert!(b.interest > 0, "interest accrued through the payment day stays owed: {b:?}");
        assert_eq!(w.run("2024-05-02").open_claims, 1, "the claim stays open for its interest and fee");
    }

    #[test]
    fn overpayment_becomes_customer_credit() {
        let mut w = World::new(JurisdictionCode::SE);
        w.customers.push(customer("c1", DebtorKind::Consumer));
        let c = w.add_claim("i1", 0, "2024-03-15", 100_000);
        let e = w.pay(c, "2024-03-10", 120_000);
        assert_eq!(w.balance(c).total(), 0);
        let credit: i64 = e.iter().filter(|x| x.kind == EntryKind::CustomerCredit).map(|x| x.amount).sum();
        assert_eq!(credit, -20_000);
        assert!(w.run("2024-04-01").actions.is_empty());
    }

    #[test]
    fn business_claim_gets_late_compensation_not_fees() {
        let mut w = World::new(JurisdictionCode::SE);
        w.customers.push(customer("b1", DebtorKind::Business));
        let c = w.add_claim("i1", 0, "2024-03-15", 1_000_000);
        let r = w.run("2024-03-22");
        assert_eq!(
            r.actions[0].fees.iter().map(|f| (f.kind, f.amount)).collect::<Vec<_>>(),
            vec![(FeeKind::LateCompensation, 45000)]
        );
        let deadline = w.claims[c].steps[0].deadline;
        let r = w.run(&(deadline + Duration::days(2)).to_string());
        assert_eq!(r.actions[0].kind, StepKind::Collection);
        assert_eq!(r.actions[0].fee_total(), 0);
        assert_eq!(w.balance(c).fees, 45000);
    }

    #[test]
    fn grouped_reminder_charges_one_fee_per_letter() {
        let mut w = World::new(JurisdictionCode::SE);
        w.customers.push(customer("c1", DebtorKind::Consumer));
        w.add_claim("i1", 0, "2024-03-15", 100_000);
        w.add_claim("i2", 0, "2024-03-15", 200_000);
        let r = w.run("2024-03-22");
        assert_eq!(r.actions.len(), 2);
        assert_eq!(r.actions[0].letter, r.actions[1].letter);
        assert_eq!(r.actions.iter().map(|a| a.fee_total()).sum::<i64>(), 6000);
    }

    #[test]
    fn segments_change_with_reasons_and_models_follow() {
        let mut w = World::new(JurisdictionCode::SE);
        let mut c = customer("c1", DebtorKind::Consumer);
        c.paid = vec![
            (d("2024-01-01"), d("2024-01-20")),
            (d("2024-02-01"), d("2024-02-25")),
            (d("2024-03-01"), d("2024-03-02")),
        ];
        w.customers.push(c);
        let mut v = customer("v1", DebtorKind::Business);
        v.vip = true;
        w.customers.push(v);
        let claim = w.add_claim("i1", 0, "2024-04-20", 100_000);
        let r = w.run("2024-04-17");
        assert_eq!(r.segments[0].segment, Segment::Risk);
        // Days late 19, 24 and 1: two above 10 (share 2/3 ≥ 50 %), average 14 (below the limit 20).
        assert_eq!(r.segments[0].reason, "Risk: 2 of the last 3 invoices paid more than 10 days late");
        assert_eq!(r.segments[1].segment, Segment::Vip);
        assert_eq!(r.segment_changes().count(), 2);
        // Risk model: a pre-due text 3 days before due.
        assert_eq!(r.actions[0].kind, StepKind::PreDue);
        assert_eq!(r.actions[0].channel, Channel::Sms);
        assert_eq!(w.run("2024-04-18").segment_changes().count(), 0);
        // Chosen as VIP: the claim keeps its place in the new model.
        w.customers[0].vip = true;
        let r = w.run("2024-04-30");
        assert_eq!(r.segment_changes().next().unwrap().segment, Segment::Vip);
        assert_eq!(r.actions[0].kind, StepKind::Reminder);
        assert_eq!(w.kinds(claim), vec![StepKind::PreDue, StepKind::Reminder]);
    }

    #[test]
    fn next_step_skips_covered_steps_when_the_model_changes() {
        let vip = Policy::default_for(JurisdictionCode::SE).model(Segment::Vip).steps.clone();
        let risk = Policy::default_for(JurisdictionCode::SE).model(Segment::Risk).steps.clone();
        let done = |kinds: &[StepKind]| {
            kinds
                .iter()
                .enumerate()
                .map(|(i, k)| DoneStep {
                    seq: i as u32 + 1,
                    kind: *k,
                    date: d("2024-01-01"),
                    deadline: d("2024-01-10"),
                    notional_fee: 0,
                    skipped: false,
                })
                .collect::<Vec<_>>()
        };
        // VIP after a reminder and a phone call moves to Risk: next is collection.
        assert_eq!(
            risk[next_step_index(&risk, &done(&[StepKind::Reminder, StepKind::PhoneCall]), true)].kind,
            StepKind::Collection
        );
        // Risk after one reminder moves to VIP: the second reminder is next.
        assert_eq!(next_step_index(&vip, &done(&[StepKind::PreDue, StepKind::Reminder]), true), 1);
        assert_eq!(next_step_index(&risk, &done(&[]), true), 1, "pre-due passes once due");
    }

    fn predicted(p: f64) -> Option<Box<Predicted>> {
        Some(Box::new(Predicted {
            p_late: p,
            late_after_days: 10,
            model: "model v1".into(),
            reasons: vec!["paid late on 80 % of earlier invoices".into()],
        }))
    }

    #[test]
    fn high_risk_invoices_get_a_nudge_before_due_once() {
        let mut w = World::new(JurisdictionCode::SE);
        w.creditor.policy.nudge =
            Some(crate::model::Nudge { min_p_late: Decimal::new(5, 1), days_before_due: 3, channel: Channel::Sms });
        w.customers.push(customer("c1", DebtorKind::Consumer));
        w.customers.push(customer("c2", DebtorKind::Consumer));
        let risky = w.add_claim("i1", 0, "2024-04-20", 100_000);
        let safe = w.add_claim("i2", 1, "2024-04-20", 100_000);
        w.claims[risky].predicted = predicted(0.7);
        w.claims[safe].predicted = predicted(0.2);
        assert!(w.run("2024-04-16").actions.is_empty(), "four days before due: too early");
        let r = w.run("2024-04-17");
        assert_eq!(r.actions.len(), 1);
        let a = &r.actions[0];
        assert_eq!(
            (a.claim_id.as_str(), a.kind, a.step_no, a.channel, a.fee_total()),
            ("i1", StepKind::PreDue, 0, Channel::Sms, 0)
        );
        assert_eq!(a.deadline, d("2024-04-20"), "pay by the due date");
        assert_eq!(
            a.reason,
            "pre-due nudge: model v1: 70 % likely to pay more than 10 days late (nudge from 50 %), mainly: paid late on 80 % of earlier invoices; due 2024-04-20 in 3 days; open 1000.00 SEK"
        );
        assert!(w.run("2024-04-18").actions.is_empty(), "one nudge only");
        // A run missed on the first day of the window nudges on the next, without "catch-up".
        w.claims[safe].predicted = predicted(0.9);
        w.claims[safe].due = d("2024-04-21");
        let r = w.run("2024-04-19");
        assert!(r.actions[0].reason.contains("due 2024-04-21 in 2 days; open"), "{}", r.actions[0].reason);
        w.claims[safe].due = d("2024-04-20");
        // After due the normal model goes on from its first step.
        let r = w.run("2024-04-27");
        assert_eq!(
            r.actions.iter().map(|a| (a.claim_id.as_str(), a.kind)).collect::<Vec<_>>(),
            vec![("i1", StepKind::Reminder), ("i2", StepKind::Reminder)]
        );
        assert_eq!(w.kinds(safe), vec![StepKind::PreDue, StepKind::Reminder]);
        // The Risk model has its own pre-due text: no nudge on top of it.
        let mut w2 = World::new(JurisdictionCode::SE);
        w2.creditor.policy.nudge = w.creditor.policy.nudge.clone();
        let mut c = customer("r", DebtorKind::Consumer);
        c.collection_dates = vec![d("2024-03-01")];
        w2.customers.push(c);
        let i = w2.add_claim("i", 0, "2024-04-20", 100_000);
        w2.claims[i].predicted = predicted(0.9);
        let r = w2.run("2024-04-17");
        assert_eq!((r.actions[0].kind, r.actions[0].step_no), (StepKind::PreDue, 1));
    }

    #[test]
    fn challenger_arm_is_stable_recorded_and_uses_its_own_model() {
        let mut w = World::new(JurisdictionCode::SE);
        let mut steps = w.creditor.policy.model(Segment::Normal).steps.clone();
        steps[0].days = 3;
        steps[0].channel = Channel::Sms;
        w.creditor.policy.challengers.push(crate::model::Challenger {
            name: "early".into(),
            segment: Segment::Normal,
            share: Decimal::new(5, 1),
            from: d("2024-03-01"),
            steps,
        });
        for i in 0..40 {
            w.customers.push(customer(&format!("c{i:02}"), DebtorKind::Consumer));
            w.add_claim(&format!("i{i:02}"), i, "2024-03-15", 100_000);
        }
        let r = w.run("2024-03-18");
        assert_eq!(r.assignments.len(), 40, "every customer of the segment is assigned once");
        let challengers: Vec<&str> = r.assignments.iter().filter(|a| a.1.challenger).map(|a| a.0.as_str()).collect();
        assert!((10..=30).contains(&challengers.len()), "about half: {}", challengers.len());
        // The challenger arm got its early SMS reminder, the champion nothing yet.
        assert_eq!(r.actions.len(), challengers.len());
        assert!(r.actions.iter().all(|a| a.arm.as_deref() == Some("early:challenger")
            && a.channel == Channel::Sms
            && a.reason.starts_with("normal challenger 'early' step 1/3")));
        let r = w.run("2024-03-22");
        assert!(r.assignments.is_empty(), "assignments are recorded, not drawn again");
        assert!(r.actions.iter().all(|a| a.arm.as_deref() == Some("early:champion")));
        assert_eq!(r.actions.len(), 40 - challengers.len());
        // The draw is a pure function of the experiment and the customer.
        assert_eq!(crate::model::arm_draw("early", "c01"), crate::model::arm_draw("early", "c01"));
        assert_ne!(crate::model::arm_draw("early", "c01"), crate::model::arm_draw("late", "c01"));
    }

    #[test]
    fn missing_contact_falls_back_to_letter() {
        let mut w = World::new(JurisdictionCode::SE);
        let mut c = customer("v1", DebtorKind::Business);
        c.vip = true;
        c.has_email = false;
        w.customers.push(c);
        w.add_claim("i1", 0, "2024-03-15", 100_000);
        let r = w.run("2024-03-25");
        assert_eq!(r.actions[0].channel, Channel::Letter);
        assert!(r.actions[0].reason.contains("no e-mail address"));
    }

    /// SE collection demand (god inkassosed, imy.se): at least 8 days from sending and 4 banking
    /// days after the presumed receipt (2 banking days after sending). Sent Monday 2025-04-14:
    /// 8 days → Tue 04-22; received Wed 04-16; 4 banking days: Thu 04-17, (Good Friday 04-18,
    /// Easter Monday 04-21 closed) Tue 04-22, Wed 04-23, Thu 04-24 → deadline 2025-04-24.
    /// Sent Thursday 2025-03-06: 8 days → Fri 03-14; received Mon 03-10, + 4 → Fri 03-14.
    #[test]
    fn swedish_demand_deadline_counts_banking_days_after_receipt() {
        let law = LawBook::embedded();
        let se = law.jurisdiction(JurisdictionCode::SE).unwrap();
        let limits = se.step_limits(StepKind::Collection, DebtorKind::Consumer);
        assert_eq!(deadline_for(se, &limits, d("2025-04-14"), 8), d("2025-04-24"));
        assert_eq!(deadline_for(se, &limits, d("2025-03-06"), 8), d("2025-03-14"));
    }

    /// SE 1981:739 2 §: the reminder fee must be agreed with each debtor no later than when the
    /// debt arose: a customer who agreed on 2024-03-01 pays it on a claim issued 2024-03-01, not
    /// on one issued 2024-02-29; a customer's own "no" overrides the creditor's terms.
    #[test]
    fn reminder_fee_agreement_is_per_debtor_and_dated() {
        let w = World::new(JurisdictionCode::SE);
        let mut c = customer("c1", DebtorKind::Consumer);
        c.fee_agreed = Some(true);
        c.fee_agreed_on = Some(d("2024-03-01"));
        assert!(fee_agreed(&w.creditor, &c, d("2024-03-01")));
        assert!(!fee_agreed(&w.creditor, &c, d("2024-02-29")));
        c.fee_agreed = Some(false);
        c.fee_agreed_on = None;
        assert!(!fee_agreed(&w.creditor, &c, d("2024-03-01")), "the creditor agreed in general, this debtor did not");
        c.fee_agreed = None;
        assert!(fee_agreed(&w.creditor, &c, d("2024-03-01")), "no own agreement: the creditor's terms");
    }

    #[test]
    fn small_amount_skips_collection_without_fee() {
        let mut w = World::new(JurisdictionCode::SE);
        w.customers.push(customer("c1", DebtorKind::Consumer));
        let c = w.add_claim("i1", 0, "2024-03-15", 2_000);
        w.run("2024-03-22");
        let deadline = w.claims[c].steps[0].deadline;
        let r = w.run(&(deadline + Duration::days(2)).to_string());
        assert!(r.actions[0].skipped);
        assert_eq!(r.actions[0].fee_total(), 0);
        assert!(r.actions[0].reason.contains("below the step's minimum 100.00"));
    }

    fn fee_cap(law: &Jurisdiction, kind: FeeKind, debtor: DebtorKind, principal: i64, date: NaiveDate) -> i64 {
        match kind {
            FeeKind::LateCompensation => law.compensation(date).map(|c| c.amount).unwrap_or(0),
            _ => law.fee_rule(kind, debtor, Collector::Own, date).map(|r| r.cap(principal)).unwrap_or(0),
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        /// The day decided in parallel, over small pieces on four threads, is the day decided on
        /// one thread in one piece: random portfolios (several claims per customer, so grouped
        /// letters cross the pieces' borders), worked for a few days with payments first.
        #[test]
        fn parallel_decisions_are_the_sequential_ones(
            jur in 0usize..3,
            kinds in proptest::collection::vec((any::<bool>(), any::<bool>(), proptest::option::of(1i32..100)), 2..40),
            claims in proptest::collection::vec((0usize..40, 0i64..90, 1i64..5_000_000), 1..160),
            days in proptest::collection::vec((1i64..12, proptest::option::of(1i64..3_000_000)), 1..8),
            chunk in 1usize..9,
        ) {
            let j = [JurisdictionCode::SE, JurisdictionCode::FI, JurisdictionCode::NO][jur];
            let mut w = World::new(j);
            for (i, (business, vip, score)) in kinds.iter().enumerate() {
                let mut c = customer(&format!("c{i:02}"), if *business { DebtorKind::Business } else { DebtorKind::Consumer });
                c.vip = *vip;
                c.credit_score = *score;
                c.credit_score_date = score.map(|_| d("2024-01-01"));
                w.customers.push(c);
            }
            let start = d("2024-01-10");
            for (i, (cust, offset, principal)) in claims.iter().enumerate() {
                w.add_claim(&format!("i{i:03}"), cust % kinds.len(), &(start + Duration::days(*offset)).to_string(), *principal);
            }
            let mut day = start + Duration::days(30);
            for (step, pay) in days {
                day += Duration::days(step);
                if let Some(amount) = pay {
                    let target = (amount as usize) % w.claims.len();
                    w.pay(target, &day.to_string(), amount);
                }
                w.run(&day.to_string());
            }
            day += Duration::days(9);
            let law = w.law.jurisdiction(j).unwrap();
            let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
            let four = rayon::ThreadPoolBuilder::new().num_threads(4).build().unwrap();
            let sequential = one.install(|| decide(&w.creditor, law, &w.customers, &w.claims, day, usize::MAX, &Default::default()));
            let parallel = four.install(|| decide(&w.creditor, law, &w.customers, &w.claims, day, chunk, &Default::default()));
            prop_assert_eq!(&parallel, &sequential);
            prop_assert_eq!(daily_run(&w.creditor, law, &w.customers, &w.claims, day), sequential);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Random portfolios, random run days and random payments: no fee above its cap, no
        /// two steps on one day, component balances never negative, and every payment's
        /// entries add up to the payment.
        #[test]
        fn invariants_hold(
            jur in 0usize..3,
            claims in proptest::collection::vec((0usize..3, 0i64..60, 1i64..5_000_000), 1..6),
            kinds in proptest::collection::vec(any::<bool>(), 3),
            days in proptest::collection::vec((1i64..9, proptest::option::of(1i64..3_000_000)), 5..40),
        ) {
            let j = [JurisdictionCode::SE, JurisdictionCode::FI, JurisdictionCode::NO][jur];
            let mut w = World::new(j);
            for (i, b) in kinds.iter().enumerate() {
                w.customers.push(customer(&format!("c{i}"), if *b { DebtorKind::Business } else { DebtorKind::Consumer }));
            }
            let start = d("2024-01-10");
            for (i, (cust, offset, principal)) in claims.iter().enumerate() {
                w.add_claim(&format!("i{i}"), *cust, &(start + Duration::days(*offset)).to_string(), *principal);
            }
            let mut day = start;
            for (step, pay) in days {
                day += Duration::days(step);
                if let Some(amount) = pay {
                    let target = (amount as usize) % w.claims.len();
                    let e = w.pay(target, &day.to_string(), amount);
                    let paid: i64 = e.iter().filter(|x| x.kind != EntryKind::Interest).map(|x| -x.amount).sum();
                    prop_assert_eq!(paid, amount);
                }
                w.run(&day.to_string());
            }
            let law = w.law.jurisdiction(j).unwrap().clone();
            for c in &w.claims {
                let debtor = w.customers[c.customer].kind;
                let b = Balances::of(&c.moves, NaiveDate::MAX);
                prop_assert!(b.fees >= 0 && b.interest >= 0 && b.principal >= 0, "{:?}", b);
                let sum: i64 = c.moves.iter().filter(|m| m.component.is_some()).map(|m| m.amount).sum();
                prop_assert_eq!(sum, b.total());
                for (k, s) in c.steps.iter().enumerate() {
                    if k > 0 { prop_assert!(s.date > c.steps[k - 1].date, "two steps on one day"); }
                }
                for m in &c.moves {
                    if let EntryKind::Fee(kind) = m.kind {
                        prop_assert!(m.date > c.due, "fee on or before the due date");
                        prop_assert!(m.amount <= fee_cap(&law, kind, debtor, c.principal, m.date), "{kind} fee {} above cap", m.amount);
                    }
                }
                if debtor == DebtorKind::Business {
                    if let Some(comp) = law.compensation(c.due) {
                        let fees: i64 = c.moves.iter().filter(|m| matches!(m.kind, EntryKind::Fee(_))).map(|m| m.amount).sum();
                        let caps: i64 = c.steps.iter().map(|s| s.notional_fee).sum();
                        prop_assert!(fees <= comp.amount.max(caps), "B2B fees {} above max(compensation, caps)", fees);
                    }
                }
            }
        }
    }
}
