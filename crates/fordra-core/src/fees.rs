//! Which fee a step may lawfully carry. Never a fee the law forbids: every precondition in the
//! law tables is checked, and every line says its legal basis.

use crate::domain::{Collector, DebtorKind, FeeKind, StepKind};
use crate::law::Jurisdiction;
use crate::model::FeeSpec;
use crate::money::{format_minor, Currency};
use chrono::NaiveDate;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One fee charged, with its legal basis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeLine {
    /// Which fee.
    pub kind: FeeKind,
    /// Amount in minor units.
    pub amount: i64,
    /// The legal basis in words, with its source.
    pub basis: String,
}

/// Fees already on the claim, as the law counts them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PriorFees {
    /// How many fees of each kind were charged (index: FeeKind as usize).
    pub count: [u32; 4],
    /// How many letters could lawfully carry a fee of each kind, charged or not (a B2B fee
    /// covered by the compensation still counts against the law's limit on fee letters).
    pub letters: [u32; 4],
    /// The B2B late-payment compensation was charged.
    pub compensation_charged: bool,
    /// Sum of the statutory fees the steps would have carried (for B2B compensation offsetting).
    pub notional_total: i64,
    /// What the claim has been charged in fees so far (for the total cost cap).
    pub charged_total: i64,
}

impl PriorFees {
    /// How many fees of a kind the law counts as charged (letters that could carry one included).
    #[allow(clippy::indexing_slicing, reason = "FeeKind has four variants and the arrays four slots")]
    pub fn count_of(&self, k: FeeKind) -> u32 {
        self.count[k as usize].max(self.letters[k as usize])
    }
    /// Records one step's decision: `kind` is the fee kind the step could carry.
    #[allow(clippy::indexing_slicing, reason = "FeeKind has four variants and the arrays four slots")]
    pub fn record(&mut self, kind: Option<FeeKind>, lines: &[FeeLine], notional: i64) {
        for l in lines {
            if l.amount > 0 {
                self.count[l.kind as usize] += 1;
                self.charged_total += l.amount;
                if l.kind == FeeKind::LateCompensation {
                    self.compensation_charged = true;
                }
            }
        }
        if let (Some(k), true) = (kind, notional > 0) {
            self.letters[k as usize] += 1;
        }
        self.notional_total += notional;
    }
}

/// What the fee rules need to know about a step.
pub struct FeeContext<'a> {
    /// The law tables in force.
    pub law: &'a Jurisdiction,
    /// Consumer or business.
    pub debtor: DebtorKind,
    /// Whether a reminder fee was agreed with this debtor no later than when the debt arose.
    pub reminder_fee_agreed: bool,
    /// Who sends the step: the creditor or a licensed agency.
    pub collector: Collector,
    /// Whether the step is a written message (a letter or e-mail; an SMS is not).
    pub written: bool,
    /// The claim's currency.
    pub currency: Currency,
    /// The claim's original principal (tiers are by principal).
    pub principal: i64,
    /// The claim's due date.
    pub due: NaiveDate,
    /// The step's date.
    pub date: NaiveDate,
    /// The claim's previous dunning letter: its date and its deadline.
    pub previous_letter: Option<(NaiveDate, NaiveDate)>,
    /// A payment plan's number of instalments (payment-plan fees only).
    pub instalments: Option<u32>,
    /// Fees already on the claim.
    pub prior: &'a PriorFees,
}

/// The fee lines for one step, the notional statutory fee (for B2B offsetting) and notes on
/// fees that were not charged and why.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FeeDecision {
    /// Fees charged.
    pub lines: Vec<FeeLine>,
    /// The statutory fee the step would carry (for B2B offsetting).
    pub notional: i64,
    /// Fees not charged, and why.
    pub notes: Vec<String>,
}

impl FeeDecision {
    /// All fees charged.
    pub fn total(&self) -> i64 {
        self.lines.iter().map(|l| l.amount).sum()
    }
}

fn sender(c: Collector) -> &'static str {
    match c {
        Collector::Own => "sent by the creditor itself",
        Collector::Agency => "sent by a licensed collection agency",
    }
}

/// The capped fee of `kind` for this step, before B2B offsetting.
fn capped(ctx: &FeeContext<'_>, kind: FeeKind, spec: FeeSpec, notes: &mut Vec<String>) -> Option<(i64, String)> {
    let Some(rule) = ctx.law.plan_fee_rule(
        kind,
        ctx.debtor,
        ctx.collector,
        ctx.date,
        ctx.instalments.filter(|_| kind == FeeKind::PaymentPlan),
    ) else {
        notes.push(format!(
            "no {kind} fee: {} law has no {kind} fee for {} debtors {}",
            ctx.law.code.upper(),
            ctx.debtor,
            sender(ctx.collector)
        ));
        return None;
    };
    if rule.requires_agreement && !ctx.reminder_fee_agreed {
        notes.push(format!("no {kind} fee: it was not agreed with the debtor when the debt arose ({})", rule.source));
        return None;
    }
    if rule.written_only && !ctx.written {
        notes.push(format!("no {kind} fee: only a written reminder may carry one, not an SMS ({})", rule.source));
        return None;
    }
    if let Some(n) = rule.min_days_after_due {
        if (ctx.date - ctx.due).num_days() < n {
            notes.push(format!(
                "no {kind} fee: only {} days after the due date, the law requires {n} ({})",
                (ctx.date - ctx.due).num_days(),
                rule.source
            ));
            return None;
        }
    }
    if let (Some(n), Some((prev, deadline))) = (rule.min_days_since_previous, ctx.previous_letter) {
        if (ctx.date - prev).num_days() < n {
            notes.push(format!(
                "no {kind} fee: only {} days after the previous letter of {prev}, the law requires {n} ({})",
                (ctx.date - prev).num_days(),
                rule.source
            ));
            return None;
        }
        if rule.after_previous_deadline && ctx.date <= deadline {
            notes.push(format!(
                "no {kind} fee: the previous letter's deadline {deadline} has not passed ({})",
                rule.source
            ));
            return None;
        }
    }
    let prior = ctx.prior.count_of(kind);
    if let Some(max) = rule.max_count {
        if prior >= max {
            notes.push(format!(
                "no {kind} fee: already {prior} fee letters of this kind, the law allows {max} ({})",
                rule.source
            ));
            return None;
        }
    }
    if let Some(limit) = ctx.law.letter_limit(kind, ctx.debtor, ctx.date) {
        let letters: u32 = limit.kinds.iter().map(|k| ctx.prior.count_of(*k)).sum();
        if letters >= limit.max {
            notes.push(format!(
                "no {kind} fee: already {letters} fee-bearing letters on this claim, the law allows {} ({})",
                limit.max, limit.source
            ));
            return None;
        }
    }
    let mut cap = rule.cap(ctx.principal);
    // Who sent the step is part of the basis (SE: the 180 SEK is open to both; record which).
    let sender = sender(ctx.collector);
    let mut basis = format!("cap {} {}: {}; {sender}", format_minor(cap), ctx.law.currency, rule.source);
    if let (Some(f), true) = (rule.repeat_factor, prior > 0) {
        cap = (Decimal::from(cap) * f).floor().to_i64().unwrap_or(0);
        basis = format!(
            "repeat {kind}: cap {} {} ({f} of the first): {}; {sender}",
            format_minor(cap),
            ctx.law.currency,
            rule.source
        );
    }
    let amount = match spec {
        FeeSpec::None => 0,
        FeeSpec::Statutory => cap,
        FeeSpec::Fixed(x) if x > cap => {
            notes.push(format!("{kind} fee {} lowered to the legal cap {}", format_minor(x), format_minor(cap)));
            cap
        }
        FeeSpec::Fixed(x) => x,
    };
    Some((amount, basis))
}

/// Lowers the lines so that the claim's costs stay within the law's total cap (FI 10 d §).
fn within_cost_cap(ctx: &FeeContext<'_>, d: &mut FeeDecision) {
    let Some((cap, source)) = ctx.law.cost_cap(ctx.debtor, ctx.date, ctx.principal) else { return };
    let mut room = (cap - ctx.prior.charged_total).max(0);
    for l in &mut d.lines {
        if l.amount > room {
            d.notes.push(format!(
                "{} fee {} not charged: the claim's collection costs may total at most {} ({source})",
                l.kind,
                format_minor(l.amount - room),
                format_minor(cap)
            ));
            l.amount = room;
        }
        room -= l.amount;
    }
    d.lines.retain(|l| l.amount > 0);
}

/// The fees for taking `step` on `ctx.date`.
pub fn fees_for_step(ctx: &FeeContext<'_>, step: StepKind, spec: FeeSpec) -> FeeDecision {
    match step.fee_kind() {
        Some(kind) => fees_for(ctx, kind, spec),
        None => FeeDecision::default(),
    }
}

/// The fees for a measure of `kind` (reminder, demand, payment plan, late compensation).
pub fn fees_for(ctx: &FeeContext<'_>, kind: FeeKind, spec: FeeSpec) -> FeeDecision {
    let mut d = uncapped(ctx, kind, spec);
    within_cost_cap(ctx, &mut d);
    d
}

fn uncapped(ctx: &FeeContext<'_>, kind: FeeKind, spec: FeeSpec) -> FeeDecision {
    let mut d = FeeDecision::default();
    if spec == FeeSpec::None {
        return d;
    }
    if ctx.date <= ctx.due {
        d.notes.push("no fee: fees are only for measures after the due date".into());
        return d;
    }
    if ctx.currency != ctx.law.currency {
        d.notes
            .push(format!("no fee: the law's amounts are in {}, the claim is in {}", ctx.law.currency, ctx.currency));
        return d;
    }
    let compensation = match ctx.debtor {
        DebtorKind::Business => ctx.law.compensation(ctx.date),
        DebtorKind::Consumer => None,
    };
    if kind == FeeKind::LateCompensation && compensation.is_none() {
        d.notes.push(format!("no late compensation: {} law gives it only between businesses", ctx.law.code.upper()));
        return d;
    }
    let Some(comp) = compensation else {
        if let Some((amount, basis)) = capped(ctx, kind, spec, &mut d.notes) {
            d.notional = amount;
            if amount > 0 {
                d.lines.push(FeeLine { kind, amount, basis });
            }
        }
        return d;
    };
    if !ctx.prior.compensation_charged {
        d.lines.push(FeeLine { kind: FeeKind::LateCompensation, amount: comp.amount, basis: comp.source.clone() });
    }
    if kind == FeeKind::LateCompensation {
        return d;
    }
    if let Some((amount, basis)) = capped(ctx, kind, spec, &mut d.notes) {
        d.notional = amount;
        if comp.replaces_fees {
            // Only what the fees add up to beyond the compensation may be charged on top.
            let before = (ctx.prior.notional_total - comp.amount).max(0);
            let after = (ctx.prior.notional_total + amount - comp.amount).max(0);
            let extra = after - before;
            if extra > 0 {
                if extra < amount {
                    d.notes.push(format!(
                        "{kind} fee: {} of its {} covered by the late compensation ({})",
                        format_minor(amount - extra),
                        format_minor(amount),
                        comp.source
                    ));
                }
                d.lines.push(FeeLine {
                    kind,
                    amount: extra,
                    basis: format!("{basis}; part above the late compensation {}", format_minor(comp.amount)),
                });
            } else if amount > 0 {
                d.notes.push(format!("no {kind} fee: covered by the late compensation ({})", comp.source));
            }
        } else if amount > 0 {
            d.lines.push(FeeLine { kind, amount, basis });
        }
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::JurisdictionCode;
    use crate::law::LawBook;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// The fee kind a decision was for (tests record steps by it).
    fn f_kind(f: &FeeDecision) -> FeeKind {
        f.lines.iter().map(|l| l.kind).find(|k| *k != FeeKind::LateCompensation).unwrap_or(FeeKind::Reminder)
    }

    fn ctx<'a>(
        law: &'a Jurisdiction,
        debtor: DebtorKind,
        agreed: bool,
        principal: i64,
        date: &str,
        prior: &'a PriorFees,
    ) -> FeeContext<'a> {
        FeeContext {
            law,
            debtor,
            reminder_fee_agreed: agreed,
            collector: Collector::Agency,
            written: true,
            currency: law.currency,
            principal,
            due: d("2024-03-15"),
            date: d(date),
            previous_letter: None,
            instalments: None,
            prior,
        }
    }

    #[test]
    fn swedish_consumer_reminder_needs_agreement() {
        let book = LawBook::embedded();
        let se = book.jurisdiction(JurisdictionCode::SE).unwrap();
        let p = PriorFees::default();
        let f = fees_for_step(
            &ctx(se, DebtorKind::Consumer, true, 1_000_000, "2024-03-25", &p),
            StepKind::Reminder,
            FeeSpec::Statutory,
        );
        assert_eq!(f.total(), 6000);
        assert!(f.lines[0].basis.contains("1981:739"));
        let f = fees_for_step(
            &ctx(se, DebtorKind::Consumer, false, 1_000_000, "2024-03-25", &p),
            StepKind::Reminder,
            FeeSpec::Statutory,
        );
        assert_eq!(f.total(), 0);
        assert!(f.notes[0].contains("not agreed"));
        let f = fees_for_step(
            &ctx(se, DebtorKind::Consumer, false, 1_000_000, "2024-04-10", &p),
            StepKind::Collection,
            FeeSpec::Statutory,
        );
        assert_eq!(f.total(), 18000);
        // 180 SEK is open to the creditor and to an agency alike; the basis records which sent it.
        assert!(f.lines[0].basis.ends_with("sent by a licensed collection agency"), "{}", f.lines[0].basis);
        let own = FeeContext {
            collector: Collector::Own,
            ..ctx(se, DebtorKind::Consumer, false, 1_000_000, "2024-04-10", &p)
        };
        let f = fees_for_step(&own, StepKind::Collection, FeeSpec::Statutory);
        assert_eq!(f.total(), 18000);
        assert!(f.lines[0].basis.ends_with("sent by the creditor itself"), "{}", f.lines[0].basis);
    }

    #[test]
    fn swedish_b2b_late_compensation_replaces_fees() {
        let book = LawBook::embedded();
        let se = book.jurisdiction(JurisdictionCode::SE).unwrap();
        let mut p = PriorFees::default();
        let f = fees_for_step(
            &ctx(se, DebtorKind::Business, true, 1_000_000, "2024-03-25", &p),
            StepKind::Reminder,
            FeeSpec::Statutory,
        );
        assert_eq!(f.lines.len(), 1);
        assert_eq!((f.lines[0].kind, f.lines[0].amount), (FeeKind::LateCompensation, 45000));
        p.record(Some(f_kind(&f)), &f.lines, f.notional);
        let f = fees_for_step(
            &ctx(se, DebtorKind::Business, true, 1_000_000, "2024-04-10", &p),
            StepKind::Collection,
            FeeSpec::Statutory,
        );
        assert_eq!(f.total(), 0, "60 + 180 < 450: nothing on top");
        assert!(f.notes.iter().any(|n| n.contains("covered by the late compensation")));
    }

    #[test]
    fn finnish_b2b_fees_above_compensation() {
        // €40 compensation; reminder 12 → covered; demand 50 on 2 000 € principal → tier 70:
        // notional 12 + 70 = 82, charged above 40: 42.
        let book = LawBook::embedded();
        let fi = book.jurisdiction(JurisdictionCode::FI).unwrap();
        let mut p = PriorFees::default();
        let f = fees_for_step(
            &ctx(fi, DebtorKind::Business, true, 200_000, "2024-03-25", &p),
            StepKind::Reminder,
            FeeSpec::Statutory,
        );
        assert_eq!(f.total(), 4000);
        p.record(Some(f_kind(&f)), &f.lines, f.notional);
        let f = fees_for_step(
            &ctx(fi, DebtorKind::Business, true, 200_000, "2024-04-10", &p),
            StepKind::Collection,
            FeeSpec::Statutory,
        );
        assert_eq!(f.total(), 4200);
        p.record(Some(f_kind(&f)), &f.lines, f.notional);
        // A second demand is half: 35 more notional, all above 40 → 35.
        let f = fees_for_step(
            &ctx(fi, DebtorKind::Business, true, 200_000, "2024-04-30", &p),
            StepKind::Collection,
            FeeSpec::Statutory,
        );
        assert_eq!(f.total(), 3500);
    }

    #[test]
    fn finnish_consumer_demand_by_principal_and_repeat_half() {
        let book = LawBook::embedded();
        let fi = book.jurisdiction(JurisdictionCode::FI).unwrap();
        let mut p = PriorFees::default();
        let f = fees_for_step(
            &ctx(fi, DebtorKind::Consumer, true, 50_000, "2024-04-10", &p),
            StepKind::Collection,
            FeeSpec::Statutory,
        );
        assert_eq!(f.total(), 2400);
        p.record(Some(f_kind(&f)), &f.lines, f.notional);
        let f = fees_for_step(
            &ctx(fi, DebtorKind::Consumer, true, 50_000, "2024-05-10", &p),
            StepKind::Collection,
            FeeSpec::Statutory,
        );
        assert_eq!(f.total(), 1200);
        let f = fees_for_step(
            &ctx(fi, DebtorKind::Consumer, true, 50_000, "2024-05-10", &PriorFees::default()),
            StepKind::Reminder,
            FeeSpec::Statutory,
        );
        assert_eq!(f.total(), 500);
    }

    #[test]
    fn norwegian_reminder_fee_only_after_14_days_and_at_most_two() {
        let book = LawBook::embedded();
        let no = book.jurisdiction(JurisdictionCode::NO).unwrap();
        let mut p = PriorFees::default();
        let f = fees_for_step(
            &ctx(no, DebtorKind::Consumer, false, 100_000, "2024-03-28", &p),
            StepKind::Reminder,
            FeeSpec::Statutory,
        );
        assert_eq!(f.total(), 0, "13 days after due");
        assert!(f.notes[0].contains("requires 14"));
        let f = fees_for_step(
            &ctx(no, DebtorKind::Consumer, false, 100_000, "2024-03-29", &p),
            StepKind::Reminder,
            FeeSpec::Statutory,
        );
        assert_eq!(f.total(), 3500);
        p.record(Some(f_kind(&f)), &f.lines, f.notional);
        p.record(Some(f_kind(&f)), &f.lines, f.notional);
        let f = fees_for_step(
            &ctx(no, DebtorKind::Consumer, false, 100_000, "2024-05-01", &p),
            StepKind::Reminder,
            FeeSpec::Statutory,
        );
        assert_eq!(f.total(), 0);
        let f = fees_for_step(
            &ctx(no, DebtorKind::Consumer, false, 100_000, "2024-05-01", &p),
            StepKind::Collection,
            FeeSpec::Statutory,
        );
        assert_eq!(f.total(), 24500, "light fee for principal ≤ 1 000 NOK");
    }

    #[test]
    fn norwegian_business_collection_fee_is_one_and_a_half_times() {
        // 30 000 NOK principal: light fee 1 120 for consumers, 1 680 for businesses — but the
        // business claim first gets the 470 NOK compensation, and the fee counts against it:
        // 1 680 − 470 = 1 210 on top.
        let book = LawBook::embedded();
        let no = book.jurisdiction(JurisdictionCode::NO).unwrap();
        let p = PriorFees::default();
        let c = fees_for_step(
            &ctx(no, DebtorKind::Consumer, false, 3_000_000, "2024-05-01", &p),
            StepKind::Collection,
            FeeSpec::Statutory,
        );
        assert_eq!(c.total(), 112_000);
        let b = fees_for_step(
            &ctx(no, DebtorKind::Business, false, 3_000_000, "2024-05-01", &p),
            StepKind::Collection,
            FeeSpec::Statutory,
        );
        assert_eq!(
            b.lines.iter().map(|l| (l.kind, l.amount)).collect::<Vec<_>>(),
            vec![(FeeKind::LateCompensation, 47_000), (FeeKind::Collection, 121_000)]
        );
    }

    #[test]
    fn eu_b2b_gets_forty_euro_and_consumers_nothing() {
        let book = LawBook::embedded();
        let eu = book.jurisdiction(JurisdictionCode::EU).unwrap();
        let p = PriorFees::default();
        let b = fees_for_step(
            &ctx(eu, DebtorKind::Business, false, 100_000, "2024-04-01", &p),
            StepKind::Reminder,
            FeeSpec::Statutory,
        );
        assert_eq!(b.total(), 4000);
        let c = fees_for_step(
            &ctx(eu, DebtorKind::Consumer, false, 100_000, "2024-04-01", &p),
            StepKind::Reminder,
            FeeSpec::Statutory,
        );
        assert_eq!(c.total(), 0);
        assert!(c.notes[0].contains("EU law has no reminder fee for consumer debtors"), "{:?}", c.notes);
    }

    #[test]
    fn no_fee_on_or_before_due_or_in_foreign_currency() {
        let book = LawBook::embedded();
        let se = book.jurisdiction(JurisdictionCode::SE).unwrap();
        let p = PriorFees::default();
        let f = fees_for_step(
            &ctx(se, DebtorKind::Consumer, true, 1_000_000, "2024-03-15", &p),
            StepKind::Reminder,
            FeeSpec::Statutory,
        );
        assert_eq!(f.total(), 0);
        let mut c = ctx(se, DebtorKind::Consumer, true, 1_000_000, "2024-03-25", &p);
        c.currency = Currency::EUR;
        assert_eq!(fees_for_step(&c, StepKind::Reminder, FeeSpec::Statutory).total(), 0);
    }

    #[test]
    fn fixed_fee_is_clamped_to_cap() {
        let book = LawBook::embedded();
        let se = book.jurisdiction(JurisdictionCode::SE).unwrap();
        let p = PriorFees::default();
        let f = fees_for_step(
            &ctx(se, DebtorKind::Consumer, true, 1_000_000, "2024-03-25", &p),
            StepKind::Reminder,
            FeeSpec::Fixed(9900),
        );
        assert_eq!(f.total(), 6000);
        let f = fees_for_step(
            &ctx(se, DebtorKind::Consumer, true, 1_000_000, "2024-03-25", &p),
            StepKind::Reminder,
            FeeSpec::Fixed(2500),
        );
        assert_eq!(f.total(), 2500);
    }

    fn with(c: FeeContext<'_>, f: impl FnOnce(&mut FeeContext<'_>)) -> FeeContext<'_> {
        let mut c = c;
        f(&mut c);
        c
    }

    /// Issue #9: who collects. FI perintälaki 10 a §: a creditor's own demand letter to a
    /// consumer is capped like a reminder (€5); an agency's by principal (€24 for 500 €). To a
    /// business: own €12, agency €50 (≤ 500 €) (laki 299/2022).
    #[test]
    fn finnish_demand_letter_depends_on_who_sends_it() {
        let book = LawBook::embedded();
        let fi = book.jurisdiction(JurisdictionCode::FI).unwrap();
        let p = PriorFees::default();
        let own = |debtor| with(ctx(fi, debtor, true, 50_000, "2024-04-10", &p), |c| c.collector = Collector::Own);
        assert_eq!(fees_for_step(&own(DebtorKind::Consumer), StepKind::Collection, FeeSpec::Statutory).total(), 500);
        assert_eq!(
            fees_for_step(
                &ctx(fi, DebtorKind::Consumer, true, 50_000, "2024-04-10", &p),
                StepKind::Collection,
                FeeSpec::Statutory
            )
            .total(),
            2400
        );
        // Business: the €40 compensation comes first and the fee counts against it (12 < 40).
        let b = fees_for_step(&own(DebtorKind::Business), StepKind::Collection, FeeSpec::Statutory);
        assert_eq!(
            b.lines.iter().map(|l| (l.kind, l.amount)).collect::<Vec<_>>(),
            vec![(FeeKind::LateCompensation, 4000)]
        );
        assert_eq!(b.notional, 1200);
        let a = fees_for_step(
            &ctx(fi, DebtorKind::Business, true, 50_000, "2024-04-10", &p),
            StepKind::Collection,
            FeeSpec::Statutory,
        );
        assert_eq!(a.notional, 5000);
    }

    /// NO inkassoforskriften §§ 1-1 to 1-3: a creditor's own betalingsoppfordring at most 3/20
    /// of the inkassosats: 700 × 3/20 = 105.00 NOK (2025), 750 × 3/20 = 112.50 (2026); an
    /// agency's light fee for 1 000 NOK principal: 0.35 × 700 = 245.00, 0.35 × 750 = 262.50.
    #[test]
    fn norwegian_own_demand_is_three_twentieths_of_the_inkassosats() {
        let book = LawBook::embedded();
        let no = book.jurisdiction(JurisdictionCode::NO).unwrap();
        let p = PriorFees::default();
        let c = |date: &'static str, who| {
            with(ctx(no, DebtorKind::Consumer, false, 100_000, date, &p), |c| c.collector = who)
        };
        assert_eq!(
            fees_for_step(&c("2025-05-01", Collector::Own), StepKind::Collection, FeeSpec::Statutory).total(),
            10_500
        );
        assert_eq!(
            fees_for_step(&c("2026-05-01", Collector::Own), StepKind::Collection, FeeSpec::Statutory).total(),
            11_250
        );
        assert_eq!(
            fees_for_step(&c("2025-05-01", Collector::Agency), StepKind::Collection, FeeSpec::Statutory).total(),
            24_500
        );
        assert_eq!(
            fees_for_step(&c("2026-05-01", Collector::Agency), StepKind::Collection, FeeSpec::Statutory).total(),
            26_250
        );
        // The 2026 reminder fee: 750 / 20 = 37.50 NOK.
        assert_eq!(
            fees_for_step(&c("2026-05-01", Collector::Own), StepKind::Reminder, FeeSpec::Statutory).total(),
            3_750
        );
    }

    /// FI perintälaki 10 b §: the €5 consumer reminder fee only 14 days after the due date or
    /// after the previous reminder (due 2024-03-15: not on 03-28, yes on 03-29).
    #[test]
    fn finnish_consumer_reminder_fee_needs_fourteen_days() {
        let book = LawBook::embedded();
        let fi = book.jurisdiction(JurisdictionCode::FI).unwrap();
        let p = PriorFees::default();
        let f = fees_for_step(
            &ctx(fi, DebtorKind::Consumer, true, 50_000, "2024-03-28", &p),
            StepKind::Reminder,
            FeeSpec::Statutory,
        );
        assert_eq!(f.total(), 0);
        assert!(f.notes[0].contains("only 13 days after the due date, the law requires 14"), "{:?}", f.notes);
        assert_eq!(
            fees_for_step(
                &ctx(fi, DebtorKind::Consumer, true, 50_000, "2024-03-29", &p),
                StepKind::Reminder,
                FeeSpec::Statutory
            )
            .total(),
            500
        );
        let again = |date: &'static str| {
            with(ctx(fi, DebtorKind::Consumer, true, 50_000, date, &p), |c| {
                c.previous_letter = Some((d("2024-03-29"), d("2024-04-12")))
            })
        };
        assert_eq!(
            fees_for_step(&again("2024-04-11"), StepKind::Reminder, FeeSpec::Statutory).total(),
            0,
            "13 days after the first reminder"
        );
        assert_eq!(fees_for_step(&again("2024-04-12"), StepKind::Reminder, FeeSpec::Statutory).total(), 500);
        // A business reminder needs 10 days (laki 299/2022): not on day 9.
        let b = fees_for_step(
            &ctx(fi, DebtorKind::Business, true, 50_000, "2024-03-24", &p),
            StepKind::Reminder,
            FeeSpec::Statutory,
        );
        assert!(b.notes.iter().any(|n| n.contains("the law requires 10")), "{:?}", b.notes);
    }

    /// FI perintälaki 10 d §: a consumer claim of 80 € may carry at most 60 € of collection
    /// costs in all. With 50 € charged, an agency's demand (14 €) is charged 10 € and the note
    /// says why; with 60 € charged, nothing. 10 c §: a fourth fee letter carries no fee.
    #[test]
    fn finnish_total_cost_cap_and_letter_count() {
        let book = LawBook::embedded();
        let fi = book.jurisdiction(JurisdictionCode::FI).unwrap();
        let p = PriorFees { charged_total: 5000, ..PriorFees::default() };
        let f = fees_for_step(
            &ctx(fi, DebtorKind::Consumer, true, 8_000, "2024-05-10", &p),
            StepKind::Collection,
            FeeSpec::Statutory,
        );
        assert_eq!(f.total(), 1000);
        assert!(
            f.notes.iter().any(|n| n.contains("collection fee 4.00 not charged")
                && n.contains("at most 60.00")
                && n.contains("10 d §")),
            "{:?}",
            f.notes
        );
        let p = PriorFees { charged_total: 6000, ..PriorFees::default() };
        assert_eq!(
            fees_for_step(
                &ctx(fi, DebtorKind::Consumer, true, 8_000, "2024-05-10", &p),
                StepKind::Reminder,
                FeeSpec::Statutory
            )
            .total(),
            0
        );
        let mut p = PriorFees::default();
        p.letters[FeeKind::Reminder as usize] = 2;
        p.letters[FeeKind::Collection as usize] = 1;
        let f = fees_for_step(
            &ctx(fi, DebtorKind::Consumer, true, 500_000, "2024-06-10", &p),
            StepKind::Collection,
            FeeSpec::Statutory,
        );
        assert_eq!(f.total(), 0);
        assert!(
            f.notes.iter().any(|n| n.contains("already 3 fee-bearing letters") && n.contains("10 c §")),
            "{:?}",
            f.notes
        );
    }

    /// FI perintälaki 10 a §: one new due date €5; a plan of two or more instalments by
    /// principal: 500 € → €30, 2 000 € → €50.
    #[test]
    fn finnish_plan_fee_by_size_and_instalments() {
        let book = LawBook::embedded();
        let fi = book.jurisdiction(JurisdictionCode::FI).unwrap();
        let p = PriorFees::default();
        let plan = |principal, n| {
            with(ctx(fi, DebtorKind::Consumer, true, principal, "2024-05-10", &p), |c| c.instalments = Some(n))
        };
        assert_eq!(fees_for(&plan(50_000, 1), FeeKind::PaymentPlan, FeeSpec::Statutory).total(), 500);
        assert_eq!(fees_for(&plan(50_000, 6), FeeKind::PaymentPlan, FeeSpec::Statutory).total(), 3000);
        assert_eq!(fees_for(&plan(200_000, 6), FeeKind::PaymentPlan, FeeSpec::Statutory).total(), 5000);
    }

    /// NO inkassoforskriften § 1-2: at most two reminder fees, for business debtors too — even
    /// when the standard compensation covers them — and a second fee letter only after the
    /// first letter's 14-day deadline has passed.
    #[test]
    fn norwegian_two_fee_letters_for_businesses_too_and_after_the_deadline() {
        let book = LawBook::embedded();
        let no = book.jurisdiction(JurisdictionCode::NO).unwrap();
        let mut p = PriorFees::default();
        for date in ["2025-03-01", "2025-03-20"] {
            let c = with(ctx(no, DebtorKind::Business, false, 100_000, date, &p), |c| c.due = d("2025-02-01"));
            let f = fees_for_step(&c, StepKind::Reminder, FeeSpec::Statutory);
            assert_eq!(f.notional, 3500, "{date}: a fee letter, covered by the 470 NOK compensation");
            p.record(Some(FeeKind::Reminder), &f.lines, f.notional);
        }
        let c = with(ctx(no, DebtorKind::Business, false, 100_000, "2025-04-20", &p), |c| c.due = d("2025-02-01"));
        let f = fees_for_step(&c, StepKind::Reminder, FeeSpec::Statutory);
        assert_eq!((f.total(), f.notional), (0, 0));
        assert!(f.notes.iter().any(|n| n.contains("already 2 fee letters")), "{:?}", f.notes);
        // Before the previous letter's deadline: no fee.
        let none = PriorFees::default();
        let c = with(ctx(no, DebtorKind::Consumer, false, 100_000, "2025-03-20", &none), |c| {
            c.due = d("2025-02-01");
            c.previous_letter = Some((d("2025-03-01"), d("2025-03-21")));
        });
        let f = fees_for_step(&c, StepKind::Reminder, FeeSpec::Statutory);
        assert!(f.notes.iter().any(|n| n.contains("deadline 2025-03-21 has not passed")), "{:?}", f.notes);
    }

    /// SE 1981:739 2 §: a reminder fee only on a written reminder, never on an SMS.
    #[test]
    fn no_swedish_reminder_fee_on_an_sms() {
        let book = LawBook::embedded();
        let se = book.jurisdiction(JurisdictionCode::SE).unwrap();
        let p = PriorFees::default();
        let c = with(ctx(se, DebtorKind::Consumer, true, 1_000_000, "2024-03-25", &p), |c| c.written = false);
        let f = fees_for_step(&c, StepKind::Reminder, FeeSpec::Statutory);
        assert_eq!(f.total(), 0);
        assert!(f.notes[0].contains("not an SMS"), "{:?}", f.notes);
    }

    /// DK renteloven § 9 b: rykkergebyr 100 DKK, at least 10 days apart, at most three.
    #[test]
    fn danish_reminder_fees() {
        let book = LawBook::embedded();
        let dk = book.jurisdiction(JurisdictionCode::DK).unwrap();
        let mut p = PriorFees::default();
        let c = ctx(dk, DebtorKind::Consumer, false, 100_000, "2024-03-20", &p);
        assert_eq!(fees_for_step(&c, StepKind::Reminder, FeeSpec::Statutory).total(), 10_000);
        let c = with(ctx(dk, DebtorKind::Consumer, false, 100_000, "2024-03-29", &p), |c| {
            c.previous_letter = Some((d("2024-03-20"), d("2024-03-30")))
        });
        assert_eq!(fees_for_step(&c, StepKind::Reminder, FeeSpec::Statutory).total(), 0, "9 days apart");
        p.letters[FeeKind::Reminder as usize] = 3;
        let c = ctx(dk, DebtorKind::Consumer, false, 100_000, "2024-05-20", &p);
        assert_eq!(fees_for_step(&c, StepKind::Reminder, FeeSpec::Statutory).total(), 0, "a fourth reminder");
    }
}
