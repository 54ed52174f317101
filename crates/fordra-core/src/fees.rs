//! Which fee a step may lawfully carry. Never a fee the law forbids: every precondition in the
//! law tables is checked, and every line says its legal basis.

use crate::domain::{DebtorKind, FeeKind, StepKind};
use crate::law::Jurisdiction;
use crate::model::FeeSpec;
use crate::money::{format_minor, Currency};
use chrono::NaiveDate;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeeLine {
    pub kind: FeeKind,
    pub amount: i64,
    pub basis: String,
}

/// Fees already on the claim, as the law counts them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PriorFees {
    /// How many fees of each kind were charged (index: FeeKind as usize).
    pub count: [u32; 4],
    pub compensation_charged: bool,
    /// Sum of the statutory fees the steps would have carried (for B2B compensation offsetting).
    pub notional_total: i64,
}

impl PriorFees {
    pub fn count_of(&self, k: FeeKind) -> u32 {
        self.count[k as usize]
    }
    pub fn record(&mut self, lines: &[FeeLine], notional: i64) {
        for l in lines {
            if l.amount > 0 {
                self.count[l.kind as usize] += 1;
                if l.kind == FeeKind::LateCompensation {
                    self.compensation_charged = true;
                }
            }
        }
        self.notional_total += notional;
    }
}

pub struct FeeContext<'a> {
    pub law: &'a Jurisdiction,
    pub debtor: DebtorKind,
    pub reminder_fee_agreed: bool,
    pub currency: Currency,
    /// The claim's original principal (tiers are by principal).
    pub principal: i64,
    pub due: NaiveDate,
    pub date: NaiveDate,
    pub prior: &'a PriorFees,
}

/// The fee lines for one step, the notional statutory fee (for B2B offsetting) and notes on
/// fees that were not charged and why.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FeeDecision {
    pub lines: Vec<FeeLine>,
    pub notional: i64,
    pub notes: Vec<String>,
}

impl FeeDecision {
    pub fn total(&self) -> i64 {
        self.lines.iter().map(|l| l.amount).sum()
    }
}

/// The capped fee of `kind` for this step, before B2B offsetting.
fn capped(ctx: &FeeContext<'_>, kind: FeeKind, spec: FeeSpec, notes: &mut Vec<String>) -> Option<(i64, String)> {
    let Some(rule) = ctx.law.fee_rule(kind, ctx.debtor, ctx.date) else {
        notes.push(format!("no {kind} fee: {} law has no {kind} fee for {} debtors", ctx.law.code.upper(), ctx.debtor));
        return None;
    };
    if rule.requires_agreement && !ctx.reminder_fee_agreed {
        notes.push(format!("no {kind} fee: it was not agreed with the debtor when the debt arose ({})", rule.source));
        return None;
    }
    if let Some(n) = rule.min_days_after_due {
        if (ctx.date - ctx.due).num_days() < n {
            notes.push(format!("no {kind} fee: only {} days after the due date, the law requires {n} ({})", (ctx.date - ctx.due).num_days(), rule.source));
            return None;
        }
    }
    let prior = ctx.prior.count_of(kind);
    if let Some(max) = rule.max_count {
        if prior >= max {
            notes.push(format!("no {kind} fee: already {prior} charged, the law allows {max} ({})", rule.source));
            return None;
        }
    }
    let mut cap = rule.cap(ctx.principal);
    let mut basis = format!("cap {} {}: {}", format_minor(cap), ctx.law.currency, rule.source);
    if let (Some(f), true) = (rule.repeat_factor, prior > 0) {
        cap = (Decimal::from(cap) * f).floor().to_i64().unwrap_or(0);
        basis = format!("repeat {kind}: cap {} {} ({f} of the first): {}", format_minor(cap), ctx.law.currency, rule.source);
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

/// The fees for taking `step` on `ctx.date`.
pub fn fees_for_step(ctx: &FeeContext<'_>, step: StepKind, spec: FeeSpec) -> FeeDecision {
    match step.fee_kind() {
        Some(kind) => fees_for(ctx, kind, spec),
        None => FeeDecision::default(),
    }
}

/// The fees for a measure of `kind` (reminder, demand, payment plan, late compensation).
pub fn fees_for(ctx: &FeeContext<'_>, kind: FeeKind, spec: FeeSpec) -> FeeDecision {
    let mut d = FeeDecision::default();
    if spec == FeeSpec::None {
        return d;
    }
    if ctx.date <= ctx.due {
        d.notes.push("no fee: fees are only for measures after the due date".into());
        return d;
    }
    if ctx.currency != ctx.law.currency {
        d.notes.push(format!("no fee: the law's amounts are in {}, the claim is in {}", ctx.law.currency, ctx.currency));
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
                d.lines.push(FeeLine { kind, amount: extra, basis: format!("{basis}; part above the late compensation {}", format_minor(comp.amount)) });
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

    fn ctx<'a>(law: &'a Jurisdiction, debtor: DebtorKind, agreed: bool, principal: i64, date: &str, prior: &'a PriorFees) -> FeeContext<'a> {
        FeeContext { law, debtor, reminder_fee_agreed: agreed, currency: law.currency, principal, due: d("2024-03-15"), date: d(date), prior }
    }

    #[test]
    fn swedish_consumer_reminder_needs_agreement() {
        let book = LawBook::embedded();
        let se = book.jurisdiction(JurisdictionCode::SE).unwrap();
        let p = PriorFees::default();
        let f = fees_for_step(&ctx(se, DebtorKind::Consumer, true, 1_000_000, "2024-03-25", &p), StepKind::Reminder, FeeSpec::Statutory);
        assert_eq!(f.total(), 6000);
        assert!(f.lines[0].basis.contains("1981:739"));
        let f = fees_for_step(&ctx(se, DebtorKind::Consumer, false, 1_000_000, "2024-03-25", &p), StepKind::Reminder, FeeSpec::Statutory);
        assert_eq!(f.total(), 0);
        assert!(f.notes[0].contains("not agreed"));
        let f = fees_for_step(&ctx(se, DebtorKind::Consumer, false, 1_000_000, "2024-04-10", &p), StepKind::Collection, FeeSpec::Statutory);
        assert_eq!(f.total(), 18000);
    }

    #[test]
    fn swedish_b2b_late_compensation_replaces_fees() {
        let book = LawBook::embedded();
        let se = book.jurisdiction(JurisdictionCode::SE).unwrap();
        let mut p = PriorFees::default();
        let f = fees_for_step(&ctx(se, DebtorKind::Business, true, 1_000_000, "2024-03-25", &p), StepKind::Reminder, FeeSpec::Statutory);
        assert_eq!(f.lines.len(), 1);
        assert_eq!((f.lines[0].kind, f.lines[0].amount), (FeeKind::LateCompensation, 45000));
        p.record(&f.lines, f.notional);
        let f = fees_for_step(&ctx(se, DebtorKind::Business, true, 1_000_000, "2024-04-10", &p), StepKind::Collection, FeeSpec::Statutory);
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
        let f = fees_for_step(&ctx(fi, DebtorKind::Business, true, 200_000, "2024-03-25", &p), StepKind::Reminder, FeeSpec::Statutory);
        assert_eq!(f.total(), 4000);
        p.record(&f.lines, f.notional);
        let f = fees_for_step(&ctx(fi, DebtorKind::Business, true, 200_000, "2024-04-10", &p), StepKind::Collection, FeeSpec::Statutory);
        assert_eq!(f.total(), 4200);
        p.record(&f.lines, f.notional);
        // A second demand is half: 35 more notional, all above 40 → 35.
        let f = fees_for_step(&ctx(fi, DebtorKind::Business, true, 200_000, "2024-04-30", &p), StepKind::Collection, FeeSpec::Statutory);
        assert_eq!(f.total(), 3500);
    }

    #[test]
    fn finnish_consumer_demand_by_principal_and_repeat_half() {
        let book = LawBook::embedded();
        let fi = book.jurisdiction(JurisdictionCode::FI).unwrap();
        let mut p = PriorFees::default();
        let f = fees_for_step(&ctx(fi, DebtorKind::Consumer, true, 50_000, "2024-04-10", &p), StepKind::Collection, FeeSpec::Statutory);
        assert_eq!(f.total(), 2400);
        p.record(&f.lines, f.notional);
        let f = fees_for_step(&ctx(fi, DebtorKind::Consumer, true, 50_000, "2024-05-10", &p), StepKind::Collection, FeeSpec::Statutory);
        assert_eq!(f.total(), 1200);
        let f = fees_for_step(&ctx(fi, DebtorKind::Consumer, true, 50_000, "2024-05-10", &PriorFees::default()), StepKind::Reminder, FeeSpec::Statutory);
        assert_eq!(f.total(), 500);
    }

    #[test]
    fn norwegian_reminder_fee_only_after_14_days_and_at_most_two() {
        let book = LawBook::embedded();
        let no = book.jurisdiction(JurisdictionCode::NO).unwrap();
        let mut p = PriorFees::default();
        let f = fees_for_step(&ctx(no, DebtorKind::Consumer, false, 100_000, "2024-03-28", &p), StepKind::Reminder, FeeSpec::Statutory);
        assert_eq!(f.total(), 0, "13 days after due");
        assert!(f.notes[0].contains("requires 14"));
        let f = fees_for_step(&ctx(no, DebtorKind::Consumer, false, 100_000, "2024-03-29", &p), StepKind::Reminder, FeeSpec::Statutory);
        assert_eq!(f.total(), 3500);
        p.record(&f.lines, f.notional);
        p.record(&f.lines, f.notional);
        let f = fees_for_step(&ctx(no, DebtorKind::Consumer, false, 100_000, "2024-05-01", &p), StepKind::Reminder, FeeSpec::Statutory);
        assert_eq!(f.total(), 0);
        let f = fees_for_step(&ctx(no, DebtorKind::Consumer, false, 100_000, "2024-05-01", &p), StepKind::Collection, FeeSpec::Statutory);
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
        let c = fees_for_step(&ctx(no, DebtorKind::Consumer, false, 3_000_000, "2024-05-01", &p), StepKind::Collection, FeeSpec::Statutory);
        assert_eq!(c.total(), 112_000);
        let b = fees_for_step(&ctx(no, DebtorKind::Business, false, 3_000_000, "2024-05-01", &p), StepKind::Collection, FeeSpec::Statutory);
        assert_eq!(b.lines.iter().map(|l| (l.kind, l.amount)).collect::<Vec<_>>(), vec![(FeeKind::LateCompensation, 47_000), (FeeKind::Collection, 121_000)]);
    }

    #[test]
    fn eu_b2b_gets_forty_euro_and_consumers_nothing() {
        let book = LawBook::embedded();
        let eu = book.jurisdiction(JurisdictionCode::EU).unwrap();
        let p = PriorFees::default();
        let b = fees_for_step(&ctx(eu, DebtorKind::Business, false, 100_000, "2024-04-01", &p), StepKind::Reminder, FeeSpec::Statutory);
        assert_eq!(b.total(), 4000);
        let c = fees_for_step(&ctx(eu, DebtorKind::Consumer, false, 100_000, "2024-04-01", &p), StepKind::Reminder, FeeSpec::Statutory);
        assert_eq!(c.total(), 0);
        assert!(c.notes[0].contains("EU law has no reminder fee for consumer debtors"), "{:?}", c.notes);
    }

    #[test]
    fn no_fee_on_or_before_due_or_in_foreign_currency() {
        let book = LawBook::embedded();
        let se = book.jurisdiction(JurisdictionCode::SE).unwrap();
        let p = PriorFees::default();
        let f = fees_for_step(&ctx(se, DebtorKind::Consumer, true, 1_000_000, "2024-03-15", &p), StepKind::Reminder, FeeSpec::Statutory);
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
        let f = fees_for_step(&ctx(se, DebtorKind::Consumer, true, 1_000_000, "2024-03-25", &p), StepKind::Reminder, FeeSpec::Fixed(9900));
        assert_eq!(f.total(), 6000);
        let f = fees_for_step(&ctx(se, DebtorKind::Consumer, true, 1_000_000, "2024-03-25", &p), StepKind::Reminder, FeeSpec::Fixed(2500));
        assert_eq!(f.total(), 2500);
    }
}
