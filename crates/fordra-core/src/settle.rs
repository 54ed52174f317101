//! The ledger of record: every entry of one customer's claims as processing all known facts in
//! date order gives it — whatever order the facts arrived in.
//!
//! Facts are what happened: an invoice, a payment on its booking date (and its reversal), a step
//! taken with the fees it recorded, a payment plan with its fee, a refund. Entries are derived:
//! late interest is posted through each payment and step date, a payment is allocated over the
//! claim as it stood on its own date, an overpayment becomes a credit that pays the customer's
//! next open claim, a leftover below the write-off tolerance is written off. A step's fees stand
//! only if processing in date order would have charged them: the claim still open that day, not
//! paused, above the step's minimum. The reminder fee of a grouped letter is carried by the first
//! invoice of the letter that was open.
//!
//! The store compares this with the entries it holds and appends the differences as correcting
//! entries ([`corrections`]): the ledger is never edited, and a late bank file, a reversal or a run
//! changes it only by new entries dated where they belong.

use crate::domain::{Component, DebtorKind, FeeKind, StepKind};
use crate::fees::FeeLine;
use crate::interest::{accrue, ContractRate};
use crate::law::Jurisdiction;
use crate::ledger::{allocate, Balances, EntryKind};
use crate::money::{format_minor, Currency};
use crate::run::Pause;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet};

/// The creditor's terms that shape the entries.
#[derive(Clone, Copy, Debug)]
pub struct Terms<'a> {
    /// The law tables in force.
    pub law: &'a Jurisdiction,
    /// Consumer or business.
    pub debtor: DebtorKind,
    /// Late interest is charged.
    pub charge_interest: bool,
    /// A contractual late-interest rate, percent per year.
    pub contract_rate: Option<Decimal>,
    /// The write-off tolerance for claims in `currency` (the creditor's); other currencies use
    /// [`default_write_off`].
    pub currency: Currency,
    /// The write-off tolerance in `currency`.
    pub write_off_below: i64,
    /// Who sends the steps.
    pub collector: crate::domain::Collector,
}

impl Terms<'_> {
    /// The write-off tolerance for claims in a currency.
    pub fn write_off_for(&self, c: Currency) -> i64 {
        if c == self.currency {
            self.write_off_below
        } else {
            default_write_off(c)
        }
    }
}

/// Leftovers below this are never dunned and are written off: 1 krone, 10 cents.
pub fn default_write_off(c: Currency) -> i64 {
    match c {
        Currency::SEK | Currency::NOK | Currency::DKK => 100,
        Currency::EUR | Currency::USD => 10,
    }
}

/// A claim as the ledger of record needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimFact {
    /// Its id.
    pub id: String,
    /// Currency.
    pub currency: Currency,
    /// Invoice date.
    pub issue: NaiveDate,
    /// Due date.
    pub due: NaiveDate,
    /// The due date was not agreed in advance: interest runs from 30 days after this demand.
    pub demand: Option<NaiveDate>,
    /// Principal in minor units.
    pub principal: i64,
}

/// Where a payment comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum PaymentKind {
    /// Money received (bank file, CSV, an advisor's assignment).
    Bank,
    /// Settled outside Fordra on this date (an invoice file's paid date): whatever is open then
    /// is paid; `interest` says whether late interest through that date is owed (not for history
    /// imported already paid).
    Settled {
        /// Late interest through that date is owed.
        interest: bool,
    },
}

/// A payment as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaymentFact {
    /// Its id.
    pub id: String,
    /// The claim it was booked to.
    pub claim: String,
    /// The booking date; a payment before the invoice date counts from the invoice date.
    pub date: NaiveDate,
    /// Amount in minor units.
    pub amount: i64,
    /// Received, or settled outside Fordra.
    pub kind: PaymentKind,
    /// The bank reversed it on this date.
    pub reversed: Option<NaiveDate>,
}

/// A step as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepFact {
    /// The claim.
    pub claim: String,
    /// Its number on the claim.
    pub seq: u32,
    /// When it was taken.
    pub date: NaiveDate,
    /// The step.
    pub kind: StepKind,
    /// The fees recorded when the step was taken.
    pub fees: Vec<FeeLine>,
    /// Grouped reminders: the letter's id (one fee per letter).
    pub letter: Option<String>,
    /// The step's minimum open amount when it was taken.
    pub min_amount: i64,
    /// Taken as a formality.
    pub skipped: bool,
}

/// A pause as recorded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PauseFact {
    /// The claim paused (none: all the customer's).
    pub claim: Option<String>,
    /// Kind, dates and reason.
    pub pause: Pause,
    /// A payment plan's fee, charged on the pause's first day.
    pub plan_fee: Option<FeeLine>,
}

/// A refund of the customer's credit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefundFact {
    /// Its id.
    pub id: String,
    /// When.
    pub date: NaiveDate,
    /// Amount in minor units.
    pub amount: i64,
    /// Currency.
    pub currency: Currency,
}

/// Everything known about one customer's claims.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CustomerFacts {
    /// The claims.
    pub claims: Vec<ClaimFact>,
    /// Payments.
    pub payments: Vec<PaymentFact>,
    /// Steps taken (not reverted).
    pub steps: Vec<StepFact>,
    /// Pauses.
    pub pauses: Vec<PauseFact>,
    /// Refunds.
    pub refunds: Vec<RefundFact>,
}

/// One entry of the ledger of record. `cause` names the fact behind it ("invoice",
/// "payment:ID", "reversal:ID", "action:CLAIM:SEQ", "pause:ID", "offset:ID", "refund:ID",
/// "write-off").
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Posting {
    /// The claim.
    pub claim: String,
    /// The day it takes effect.
    pub date: NaiveDate,
    /// What it records.
    pub kind: EntryKind,
    /// The balance it moves.
    pub component: Option<Component>,
    /// Signed amount in minor units.
    pub amount: i64,
    /// The fact behind it.
    pub cause: String,
    /// In words.
    pub memo: String,
}

/// Whether a step's fees stand in the ledger of record, and why not.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StepOutcome {
    /// The claim.
    pub claim: String,
    /// The step's number.
    pub seq: u32,
    /// Its fees stand.
    pub stands: bool,
    /// Why not, when they do not.
    pub note: Option<String>,
}

/// The ledger of record of one customer, derived from the facts.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Settlement {
    /// Every entry, in order.
    pub postings: Vec<Posting>,
    /// Whether each step's fees stand.
    pub steps: Vec<StepOutcome>,
    /// Per claim (in the order given): the day it was last settled, if it is settled.
    pub settled_on: Vec<(String, Option<NaiveDate>)>,
    /// Credit left on the customer per currency (overpayments not yet used or refunded).
    pub credit: Vec<(Currency, i64)>,
    /// What could not be computed (e.g. no interest rate for a date).
    pub notes: Vec<String>,
}

struct Claim<'a> {
    fact: &'a ClaimFact,
    issued: bool,
    bal: Balances,
    changes: Vec<(NaiveDate, i64)>,
    interest_posted: i64,
    fee_count: [u32; 4],
    settled_on: Option<NaiveDate>,
}

struct Lot {
    claim: usize,
    payment: String,
    currency: Currency,
    remaining: i64,
}

struct Offset {
    lot: usize,
    target: usize,
    parts: Vec<(Component, i64)>,
    remaining: i64,
}

#[derive(Default)]
struct Booked {
    parts: Vec<(Component, i64)>,
    excess: i64,
    lot: Option<usize>,
}

/// A leftover written off: (claim, date, parts).
type WriteOff = (usize, NaiveDate, Vec<(Component, i64)>);

#[derive(Default)]
struct Day {
    issues: Vec<usize>,
    pays: Vec<usize>,
    reverses: Vec<usize>,
    refunds: Vec<usize>,
    plans: Vec<usize>,
    steps: Vec<usize>,
}

struct Books<'a> {
    terms: Terms<'a>,
    facts: &'a CustomerFacts,
    claims: Vec<Claim<'a>>,
    lots: Vec<Lot>,
    offsets: Vec<Offset>,
    booked: Vec<Booked>,
    /// Leftovers written off after the payments of a day: (claim, date, parts), undone if one of
    /// those payments is reversed.
    write_offs: Vec<WriteOff>,
    out: Settlement,
}

fn order_text(law: &Jurisdiction) -> String {
    law.allocation_order.iter().map(|c| c.as_str()).collect::<Vec<_>>().join(" → ")
}

#[allow(
    clippy::indexing_slicing,
    reason = "claim, lot, offset and payment indexes are positions in the books' own vectors, which only grow; FeeKind indexes its four fee counters"
)]
impl<'a> Books<'a> {
    #[allow(clippy::too_many_arguments)]
    fn post(
        &mut self,
        c: usize,
        date: NaiveDate,
        kind: EntryKind,
        component: Option<Component>,
        amount: i64,
        cause: &str,
        memo: String,
    ) {
        if amount == 0 {
            return;
        }
        let cl = &mut self.claims[c];
        match component {
            Some(Component::Fees) => cl.bal.fees += amount,
            Some(Component::Interest) => cl.bal.interest += amount,
            Some(Component::Principal) => {
                cl.bal.principal += amount;
                cl.changes.push((date, amount));
            }
            None => {}
        }
        self.out.postings.push(Posting {
            claim: cl.fact.id.clone(),
            date,
            kind,
            component,
            amount,
            cause: cause.to_string(),
            memo,
        });
    }

    /// Posts late interest so that what is posted equals the interest accrued through `d`.
    fn post_interest(&mut self, c: usize, d: NaiveDate, cause: &str) {
        let t = self.terms;
        let cl = &self.claims[c];
        let from = t.law.interest_after(cl.fact.due, cl.fact.demand);
        if !t.charge_interest || d <= from {
            return;
        }
        let calc = match accrue(t.law, t.debtor, t.contract_rate.map(ContractRate), from, &cl.changes, d, false) {
            Ok(calc) => {
                if let Some(why) = &calc.stopped {
                    let note = format!("{}: interest only through the last known rate: {why}", cl.fact.id);
                    if !self.out.notes.contains(&note) {
                        self.out.notes.push(note);
                    }
                }
                calc
            }
            Err(e) => {
                let note = format!("{}: no interest through {d}: {e}", cl.fact.id);
                if !self.out.notes.contains(&note) {
                    self.out.notes.push(note);
                }
                return;
            }
        };
        let add = calc.total_minor() - cl.interest_posted;
        if add > 0 {
            let memo =
                format!("late interest from {} through {d}", t.law.interest_due(from) + chrono::Duration::days(1));
            self.claims[c].interest_posted += add;
            self.post(c, d, EntryKind::Interest, Some(Component::Interest), add, cause, memo);
        }
    }

    fn index(&self, claim: &str) -> Option<usize> {
        self.claims.iter().position(|c| c.fact.id == claim)
    }

    fn effective_date(&self, p: &PaymentFact) -> Option<NaiveDate> {
        self.index(&p.claim).map(|c| p.date.max(self.claims[c].fact.issue))
    }

    fn pay(&mut self, k: usize, d: NaiveDate, touched: &mut BTreeSet<usize>) {
        let facts = self.facts;
        let p = &facts.payments[k];
        let Some(c) = self.index(&p.claim) else { return };
        let cause = format!("payment:{}", p.id);
        let law = self.terms.law;
        let order = &law.allocation_order;
        let (parts, excess) = match p.kind {
            PaymentKind::Bank => {
                self.post_interest(c, d, &cause);
                allocate(&self.claims[c].bal, p.amount, order)
            }
            PaymentKind::Settled { interest } => {
                if interest {
                    self.post_interest(c, d, &cause);
                }
                let b = self.claims[c].bal;
                (allocate(&b, b.total().max(0), order).0, 0)
            }
        };
        let how = match p.kind {
            PaymentKind::Bank => format!("payment {} allocated", p.id),
            PaymentKind::Settled { .. } => {
                format!("settled outside Fordra on {} (paid date in the invoice file)", p.date)
            }
        };
        for (comp, x) in &parts {
            let memo = format!("{how} to {comp} ({}: {})", order_text(law), law.allocation_source);
            self.post(c, d, EntryKind::Payment, Some(*comp), -x, &cause, memo);
        }
        let mut lot = None;
        if excess > 0 {
            self.post(
                c,
                d,
                EntryKind::CustomerCredit,
                None,
                -excess,
                &cause,
                format!("overpayment of {} kept as a credit for the customer", format_minor(excess)),
            );
            lot = Some(self.lots.len());
            self.lots.push(Lot {
                claim: c,
                payment: p.id.clone(),
                currency: self.claims[c].fact.currency,
                remaining: excess,
            });
        }
        self.booked[k] = Booked { parts, excess, lot };
        touched.insert(c);
    }

    fn reverse(&mut self, k: usize, d: NaiveDate) {
        let facts = self.facts;
        let p = &facts.payments[k];
        let Some(c) = self.index(&p.claim) else { return };
        let cause = format!("reversal:{}", p.id);
        // A leftover written off after this payment was small only because of it.
        if let Some(paid_on) = self.effective_date(p) {
            for w in 0..self.write_offs.len() {
                if self.write_offs[w].0 == c && self.write_offs[w].1 == paid_on {
                    for (comp, x) in std::mem::take(&mut self.write_offs[w].2) {
                        self.post(
                            c,
                            d,
                            EntryKind::WriteOff,
                            Some(comp),
                            x,
                            &cause,
                            format!("reversal of payment {}: the leftover written off after it is owed again", p.id),
                        );
                    }
                }
            }
        }
        let b = std::mem::take(&mut self.booked[k]);
        for (comp, x) in &b.parts {
            self.post(
                c,
                d,
                EntryKind::Payment,
                Some(*comp),
                *x,
                &cause,
                format!("reversal of payment {}: {comp} owed again", p.id),
            );
        }
        let Some(lot) = b.lot else { return };
        let r = self.lots[lot].remaining.min(b.excess);
        self.lots[lot].remaining -= r;
        self.post(
            c,
            d,
            EntryKind::CustomerCredit,
            None,
            r,
            &cause,
            format!("reversal of payment {}: its credit of {} withdrawn", p.id, format_minor(r)),
        );
        let mut need = b.excess - r;
        // Credit already used on other claims is taken back from them, latest first.
        for o in (0..self.offsets.len()).rev() {
            if need == 0 {
                break;
            }
            if self.offsets[o].lot != lot || self.offsets[o].remaining == 0 {
                continue;
            }
            let z = self.offsets[o].remaining.min(need);
            self.offsets[o].remaining -= z;
            need -= z;
            let target = self.offsets[o].target;
            let mut left = z;
            let parts = self.offsets[o].parts.clone();
            for (comp, x) in parts.iter().rev() {
                let y = (*x).min(left);
                left -= y;
                let memo = format!("reversal of payment {}: the credit it gave is taken back ({comp})", p.id);
                self.post(target, d, EntryKind::CreditApplied, Some(*comp), y, &cause, memo);
            }
        }
        if need > 0 {
            let memo = format!(
                "reversal of payment {}: {} of its credit was refunded and is owed back",
                p.id,
                format_minor(need)
            );
            self.post(c, d, EntryKind::Payment, Some(Component::Principal), need, &cause, memo);
        }
    }

    fn refund(&mut self, k: usize, d: NaiveDate) {
        let facts = self.facts;
        let r = &facts.refunds[k];
        let cause = format!("refund:{}", r.id);
        let mut left = r.amount;
        for l in 0..self.lots.len() {
            if left == 0 {
                break;
            }
            if self.lots[l].currency != r.currency || self.lots[l].remaining == 0 {
                continue;
            }
            let t = self.lots[l].remaining.min(left);
            self.lots[l].remaining -= t;
            left -= t;
            let c = self.lots[l].claim;
            self.post(
                c,
                d,
                EntryKind::CustomerCredit,
                None,
                t,
                &cause,
                format!("credit of {} refunded to the customer (refund {})", format_minor(t), r.id),
            );
        }
        if left > 0 {
            // The credit is gone (a payment behind it was reversed after the refund): what was
            // refunded beyond it is owed back on the customer's latest claim in that currency.
            let of_currency = |c: &usize| self.claims[*c].fact.currency == r.currency;
            let latest = (0..self.claims.len()).rev().filter(of_currency).find(|c| self.claims[*c].issued);
            if let Some(c) = latest.or_else(|| (0..self.claims.len()).find(of_currency)) {
                let memo =
                    format!("refund {} exceeded the customer's credit by {}: owed back", r.id, format_minor(left));
                self.post(c, d, EntryKind::Payment, Some(Component::Principal), left, &cause, memo);
            }
        }
    }

    /// Credit pays the customer's open claims, oldest due date first, before any step that day.
    fn apply_credit(&mut self, d: NaiveDate, touched: &mut BTreeSet<usize>) {
        for l in 0..self.lots.len() {
            if self.lots[l].remaining == 0 {
                continue;
            }
            for t in 0..self.claims.len() {
                if self.lots[l].remaining == 0 {
                    break;
                }
                let cl = &self.claims[t];
                if !cl.issued || cl.fact.currency != self.lots[l].currency || cl.bal.total() <= 0 {
                    continue;
                }
                let cause = format!("offset:{}", self.lots[l].payment);
                self.post_interest(t, d, &cause);
                let y = self.lots[l].remaining.min(self.claims[t].bal.total());
                let (parts, _) = allocate(&self.claims[t].bal, y, &self.terms.law.allocation_order);
                let (src, payment) = (self.lots[l].claim, self.lots[l].payment.clone());
                for (comp, x) in &parts {
                    let memo = format!("credit from overpayment {payment} applied to {comp}");
                    self.post(t, d, EntryKind::CreditApplied, Some(*comp), -x, &cause, memo);
                }
                let target = self.claims[t].fact.id.clone();
                self.post(
                    src,
                    d,
                    EntryKind::CustomerCredit,
                    None,
                    y,
                    &cause,
                    format!("credit of {} used for claim {target}", format_minor(y)),
                );
                self.lots[l].remaining -= y;
                self.offsets.push(Offset { lot: l, target: t, parts, remaining: y });
                touched.insert(t);
            }
        }
    }

    fn write_off_leftovers(&mut self, d: NaiveDate, touched: &BTreeSet<usize>) {
        for c in touched.iter().copied() {
            let b = self.claims[c].bal;
            let tol = self.terms.write_off_for(self.claims[c].fact.currency);
            if b.total() > 0 && b.total() < tol {
                let memo = format!(
                    "open {} is below the write-off tolerance {}: written off",
                    format_minor(b.total()),
                    format_minor(tol)
                );
                let mut parts = Vec::new();
                for comp in [Component::Fees, Component::Interest, Component::Principal] {
                    let x = b.get(comp);
                    if x > 0 {
                        self.post(c, d, EntryKind::WriteOff, Some(comp), -x, "write-off", memo.clone());
                        parts.push((comp, x));
                    }
                }
                self.write_offs.push((c, d, parts));
            }
        }
    }

    fn paused(&self, claim: &str, d: NaiveDate) -> Option<&Pause> {
        self.facts
            .pauses
            .iter()
            .filter(|p| p.claim.as_deref().is_none_or(|c| c == claim))
            .map(|p| &p.pause)
            .find(|p| p.active_on(d))
    }

    fn plan_fee(&mut self, k: usize, d: NaiveDate) {
        let facts = self.facts;
        let p = &facts.pauses[k];
        let (Some(fee), Some(claim)) = (&p.plan_fee, &p.claim) else { return };
        let Some(c) = self.index(claim) else { return };
        let tol = self.terms.write_off_for(self.claims[c].fact.currency);
        if self.claims[c].bal.total() < tol || self.claims[c].fee_count[FeeKind::PaymentPlan as usize] > 0 {
            return;
        }
        self.claims[c].fee_count[FeeKind::PaymentPlan as usize] += 1;
        self.post(
            c,
            d,
            EntryKind::Fee(fee.kind),
            Some(Component::Fees),
            fee.amount,
            &format!("pause:{}", p.pause.id),
            fee.basis.clone(),
        );
    }

    /// Why a step's fees would not have been charged by processing in date order, if so.
    fn step_void(&self, s: &StepFact, c: usize) -> Option<String> {
        let cl = &self.claims[c];
        let open = cl.bal.total();
        let tol = self.terms.write_off_for(cl.fact.currency);
        if s.skipped {
            Some("taken as a formality (below the step's minimum): no fee".into())
        } else if open < tol {
            Some(format!("nothing was open on {} (paid before the step): its fees are reversed", s.date))
        } else if let Some(p) = self.paused(&s.claim, s.date) {
            Some(format!("the claim was paused on {} ({}): its fees are reversed", s.date, p.describe()))
        } else if open < s.min_amount {
            Some(format!(
                "open {} was below the step's minimum {} on {}: its fees are reversed",
                format_minor(open),
                format_minor(s.min_amount),
                s.date
            ))
        } else {
            None
        }
    }

    /// Whether the letter's reminder fee may lawfully move to claim `c` on `d`.
    fn reminder_fee_lawful(&self, c: usize, d: NaiveDate) -> bool {
        let cl = &self.claims[c];
        match self.terms.law.fee_rule(FeeKind::Reminder, self.terms.debtor, self.terms.collector, d) {
            None => true,
            Some(rule) => {
                rule.max_count.is_none_or(|m| cl.fee_count[FeeKind::Reminder as usize] < m)
                    && rule.min_days_after_due.is_none_or(|n| (d - cl.fact.due).num_days() >= n)
            }
        }
    }

    fn post_fee(&mut self, c: usize, d: NaiveDate, line: &FeeLine, cause: &str) {
        if line.amount > 0 {
            self.claims[c].fee_count[line.kind as usize] += 1;
        }
        self.post(c, d, EntryKind::Fee(line.kind), Some(Component::Fees), line.amount, cause, line.basis.clone());
    }

    /// The steps of one letter (or a single step), members in the order the run takes them.
    fn letter(&mut self, members: &[usize], d: NaiveDate) {
        let facts = self.facts;
        let steps = &facts.steps;
        let grouped = members.len() > 1 || steps[members[0]].letter.is_some();
        let mut letter_fee: Option<(usize, FeeLine)> = None;
        let mut standing = Vec::new();
        for &k in members {
            let s = &steps[k];
            let Some(c) = self.index(&s.claim) else { continue };
            let void = self.step_void(s, c);
            let cause = format!("action:{}:{}", s.claim, s.seq);
            if void.is_none() {
                // A letter shows the interest to its day; a step that processing in date order
                // would not have taken (or a formality) leaves no entry at all.
                self.post_interest(c, d, &cause);
                standing.push((k, c));
                for l in &s.fees {
                    if grouped && l.kind == FeeKind::Reminder {
                        continue;
                    }
                    self.post_fee(c, d, l, &cause);
                }
            }
            if grouped {
                if let Some(l) = s.fees.iter().find(|l| l.kind == FeeKind::Reminder) {
                    letter_fee.get_or_insert((k, l.clone()));
                }
            }
            self.out.steps.push(StepOutcome { claim: s.claim.clone(), seq: s.seq, stands: void.is_none(), note: void });
        }
        let Some((carrier, line)) = letter_fee else { return };
        // The carrier keeps it while it stands; otherwise the first open invoice that may carry it.
        let to = standing
            .iter()
            .copied()
            .find(|(k, _)| *k == carrier)
            .or_else(|| standing.iter().copied().find(|(_, c)| self.reminder_fee_lawful(*c, d)));
        if let Some((k, c)) = to {
            let s = &steps[k];
            let cause = format!("action:{}:{}", s.claim, s.seq);
            let mut line = line;
            if k != carrier {
                line.basis = format!("{} (the letter's fee, carried by its first invoice still open)", line.basis);
                if let Some(o) = self.out.steps.iter_mut().find(|o| o.claim == s.claim && o.seq == s.seq) {
                    o.note = Some(
                        "carries the letter's reminder fee: the invoice that carried it was no longer open".into(),
                    );
                }
            }
            self.post_fee(c, d, &line, &cause);
        }
    }

    fn close_day(&mut self, d: NaiveDate) {
        for cl in &mut self.claims {
            if !cl.issued {
                continue;
            }
            if cl.bal.total() > 0 {
                cl.settled_on = None;
            } else if cl.settled_on.is_none() {
                cl.settled_on = Some(d);
            }
        }
    }
}

/// The ledger of record for one customer's claims.
pub fn settle(terms: Terms<'_>, facts: &CustomerFacts) -> Settlement {
    let mut books = Books::new(terms, facts);
    for (d, day) in books.calendar() {
        books.day(d, day);
    }
    books.finish()
}

#[allow(
    clippy::indexing_slicing,
    reason = "claim, payment, refund, pause and step indexes are positions in the books' own vectors and in `facts`, built from them here"
)]
impl<'a> Books<'a> {
    /// Books for a customer's facts, claims in due-date order, nothing posted yet.
    fn new(terms: Terms<'a>, facts: &'a CustomerFacts) -> Books<'a> {
        let mut order: Vec<&ClaimFact> = facts.claims.iter().collect();
        order.sort_by(|a, b| (a.due, &a.id).cmp(&(b.due, &b.id)));
        Books {
            terms,
            facts,
            claims: order
                .into_iter()
                .map(|fact| Claim {
                    fact,
                    issued: false,
                    bal: Balances::default(),
                    changes: vec![],
                    interest_posted: 0,
                    fee_count: [0; 4],
                    settled_on: None,
                })
                .collect(),
            lots: vec![],
            offsets: vec![],
            booked: (0..facts.payments.len()).map(|_| Booked::default()).collect(),
            write_offs: vec![],
            out: Settlement::default(),
        }
    }

    /// Every fact on the day it takes effect.
    fn calendar(&self) -> BTreeMap<NaiveDate, Day> {
        let facts = self.facts;
        let mut days: BTreeMap<NaiveDate, Day> = BTreeMap::new();
        for (c, cl) in self.claims.iter().enumerate() {
            days.entry(cl.fact.issue).or_default().issues.push(c);
        }
        for (k, p) in facts.payments.iter().enumerate() {
            let Some(d) = self.effective_date(p) else { continue };
            days.entry(d).or_default().pays.push(k);
            if let Some(r) = p.reversed {
                days.entry(r.max(d)).or_default().reverses.push(k);
            }
        }
        for (k, r) in facts.refunds.iter().enumerate() {
            days.entry(r.date).or_default().refunds.push(k);
        }
        for (k, p) in facts.pauses.iter().enumerate() {
            if p.plan_fee.is_some() {
                days.entry(p.pause.from).or_default().plans.push(k);
            }
        }
        for (k, s) in facts.steps.iter().enumerate() {
            days.entry(s.date).or_default().steps.push(k);
        }
        days
    }

    /// One day: invoices issued, payments, reversals and refunds (each in id order), credit
    /// applied, leftovers written off, plan fees, then the day's steps.
    fn day(&mut self, d: NaiveDate, mut day: Day) {
        let facts = self.facts;
        for c in &day.issues {
            let cl = &mut self.claims[*c];
            cl.issued = true;
            let (principal, due) = (cl.fact.principal, cl.fact.due);
            self.post(
                *c,
                d,
                EntryKind::Invoice,
                Some(Component::Principal),
                principal,
                "invoice",
                format!("invoice due {due}"),
            );
        }
        let mut touched = BTreeSet::new();
        day.pays.sort_by(|a, b| facts.payments[*a].id.cmp(&facts.payments[*b].id));
        for k in day.pays {
            self.pay(k, d, &mut touched);
        }
        day.reverses.sort_by(|a, b| facts.payments[*a].id.cmp(&facts.payments[*b].id));
        for k in day.reverses {
            self.reverse(k, d);
        }
        day.refunds.sort_by(|a, b| facts.refunds[*a].id.cmp(&facts.refunds[*b].id));
        for k in day.refunds {
            self.refund(k, d);
        }
        self.apply_credit(d, &mut touched);
        self.write_off_leftovers(d, &touched);
        day.plans.sort_by_key(|k| facts.pauses[*k].pause.id);
        for k in day.plans {
            self.plan_fee(k, d);
        }
        self.steps_of_day(d, day.steps);
        self.close_day(d);
    }

    /// Steps in the run's order (claims by due date and id, then step number); a letter's
    /// members together, at the place of its first member.
    fn steps_of_day(&mut self, d: NaiveDate, mut steps: Vec<usize>) {
        let facts = self.facts;
        steps.sort_by_key(|k| (self.index(&facts.steps[*k].claim).unwrap_or(usize::MAX), facts.steps[*k].seq));
        let mut done = vec![false; steps.len()];
        for i in 0..steps.len() {
            if done[i] {
                continue;
            }
            let letter = facts.steps[steps[i]].letter.as_ref();
            let members: Vec<usize> = (i..steps.len())
                .filter(|j| {
                    !done[*j] && (*j == i || letter.is_some() && facts.steps[steps[*j]].letter.as_ref() == letter)
                })
                .collect();
            for j in &members {
                done[*j] = true;
            }
            let ks: Vec<usize> = members.iter().map(|j| steps[*j]).collect();
            self.letter(&ks, d);
        }
    }

    /// The settlement: postings, steps' outcomes, credit left per currency, settled days.
    fn finish(self) -> Settlement {
        let mut credit: BTreeMap<Currency, i64> = BTreeMap::new();
        for l in &self.lots {
            *credit.entry(l.currency).or_default() += l.remaining;
        }
        let mut out = self.out;
        out.credit = credit.into_iter().filter(|(_, v)| *v != 0).collect();
        out.settled_on = self
            .facts
            .claims
            .iter()
            .map(|f| (f.id.clone(), self.claims.iter().find(|c| c.fact.id == f.id).and_then(|c| c.settled_on)))
            .collect();
        out
    }
}

/// An entry already in the ledger, as the comparison needs it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Held {
    /// The claim.
    pub claim: String,
    /// The day it takes effect.
    pub date: NaiveDate,
    /// What it records.
    pub kind: EntryKind,
    /// The balance it moves.
    pub component: Option<Component>,
    /// Signed amount in minor units.
    pub amount: i64,
    /// Its reference (a correction's counts for the cause it corrects).
    pub reference: String,
}

/// The cause an existing reference stands for.
pub fn cause_of(reference: &str) -> &str {
    let r = reference.strip_prefix("correction:").unwrap_or(reference);
    if r.starts_with("import:") {
        "invoice"
    } else {
        r
    }
}

/// The entries to append so that the ledger holds exactly the ledger of record: for every
/// (claim, date, kind, component, cause) the difference between what should be and what is.
/// A first entry keeps the record's memo; a later difference is a correction saying `why`.
pub fn corrections(held: &[Held], record: &[Posting], why: &str) -> Vec<Posting> {
    type Key = (String, NaiveDate, String, Option<Component>, String);
    let key = |claim: &str, date: NaiveDate, kind: EntryKind, comp: Option<Component>, cause: &str| -> Key {
        (claim.to_string(), date, kind.to_string(), comp, cause.to_string())
    };
    let mut is: BTreeMap<Key, i64> = BTreeMap::new();
    for h in held {
        *is.entry(key(&h.claim, h.date, h.kind, h.component, cause_of(&h.reference))).or_default() += h.amount;
    }
    let mut should: BTreeMap<Key, (i64, &Posting)> = BTreeMap::new();
    for p in record {
        let e = should.entry(key(&p.claim, p.date, p.kind, p.component, &p.cause)).or_insert((0, p));
        e.0 += p.amount;
    }
    let mut out = Vec::new();
    for (k, (amount, p)) in &should {
        let was = is.get(k).copied().unwrap_or(0);
        if *amount == was {
            continue;
        }
        if was == 0 {
            out.push(Posting { amount: *amount, ..(*p).clone() });
        } else {
            out.push(Posting {
                amount: amount - was,
                cause: format!("correction:{}", p.cause),
                memo: format!(
                    "correction ({why}): {} {} on {} is {}, was {}",
                    p.kind,
                    p.component.map(|c| c.as_str()).unwrap_or(""),
                    p.date,
                    format_minor(*amount),
                    format_minor(was)
                ),
                ..(*p).clone()
            });
        }
    }
    for (k, was) in &is {
        if *was != 0 && !should.contains_key(k) {
            let (claim, date, kind, component, cause) = k.clone();
            let kind: EntryKind = kind.parse().unwrap_or(EntryKind::WriteOff);
            out.push(Posting {
                claim,
                date,
                kind,
                component,
                amount: -was,
                memo: format!("correction ({why}): {kind} on {date} is no longer owed, was {}", format_minor(*was)),
                cause: format!("correction:{cause}"),
            });
        }
    }
    out.sort_by(|a, b| (&a.claim, a.date).cmp(&(&b.claim, b.date)));
    out
}

#[cfg(test)]
mod tests;
