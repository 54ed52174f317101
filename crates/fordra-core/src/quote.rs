//! The advisor's calculator: interest and lawful fees for a claim, without a database.

use crate::domain::{Collector, DebtorKind, FeeKind, JurisdictionCode};
use crate::fees::{fees_for, FeeContext, FeeLine, PriorFees};
use crate::interest::{late_interest, ContractRate, InterestPeriod};
use crate::law::{LawBook, LawError};
use crate::model::FeeSpec;
use crate::money::{Currency, Money};
use chrono::NaiveDate;
use rust_decimal::Decimal;

/// What the advisor's calculator is asked.
pub struct QuoteInput {
    /// Whose law.
    pub jurisdiction: JurisdictionCode,
    /// Consumer or business.
    pub debtor: DebtorKind,
    /// Principal in minor units.
    pub principal: i64,
    /// Currency.
    pub currency: Currency,
    /// Due date.
    pub due: NaiveDate,
    /// The day to compute to.
    pub as_of: NaiveDate,
    /// The steps taken, whose fees to add.
    pub steps: Vec<FeeKind>,
    /// A reminder fee was agreed when the debt arose.
    pub reminder_fee_agreed: bool,
    /// A contractual late-interest rate, percent per year.
    pub contract_rate: Option<Decimal>,
    /// Who sends the steps (the FI and NO scales differ).
    pub collector: Collector,
    /// The due date was not agreed in advance: interest runs from 30 days after this demand.
    pub demand: Option<NaiveDate>,
    /// A payment plan's number of instalments (FI: the fee depends on it).
    pub instalments: Option<u32>,
}

/// Interest and lawful fees for a claim.
pub struct Quote {
    /// Late interest through `as_of`, in minor units.
    pub interest: i64,
    /// How it was computed, period by period.
    pub interest_periods: Vec<InterestPeriod>,
    /// Each fee with its legal basis.
    pub fees: Vec<FeeLine>,
    /// Fees not charged and why; interest not yet computable.
    pub notes: Vec<String>,
    /// All fees.
    pub fees_total: i64,
    /// Principal, interest and fees.
    pub total: i64,
}

/// Why a quote cannot be given.
#[derive(Debug, thiserror::Error)]
pub enum QuoteError {
    /// The law tables do not cover the question.
    #[error(transparent)]
    Law(#[from] LawError),
    /// The question breaks a rule (a fee the law does not allow here).
    #[error("{0}")]
    Refused(String),
}

/// Computes interest and fees as the law allows on `as_of`.
pub fn quote(law: &LawBook, q: &QuoteInput) -> Result<Quote, QuoteError> {
    let j = law.jurisdiction(q.jurisdiction)?;
    if j.business_only && q.debtor == DebtorKind::Consumer {
        return Err(QuoteError::Refused(format!(
            "{} ({}) applies between businesses only; a consumer claim falls under the law of the consumer's country (SE, FI, NO, DK)",
            j.code.upper(),
            j.name
        )));
    }
    let from = j.interest_after(q.due, q.demand);
    let calc = late_interest(j, q.debtor, q.contract_rate.map(ContractRate), from, &[(q.due, q.principal)], q.as_of)?;
    let interest = Money::from_decimal_rounded(calc.total, q.currency).minor;
    let mut prior = PriorFees::default();
    let mut fees = Vec::new();
    let mut notes: Vec<String> = calc.stopped.iter().cloned().collect();
    if q.demand.is_some() {
        notes.push(format!(
            "no due date agreed in advance: interest from {} ({})",
            from + chrono::Duration::days(1),
            j.interest_start_source
        ));
    }
    // A business debtor owes the fixed compensation from the first day late, without any
    // reminder (directive 2011/7/EU art. 6): it is claimable whatever the steps.
    let mut steps = q.steps.clone();
    if q.debtor == DebtorKind::Business
        && j.compensation(q.as_of).is_some()
        && q.as_of > q.due
        && !steps.contains(&FeeKind::LateCompensation)
    {
        steps.insert(0, FeeKind::LateCompensation);
        notes.push("late compensation: owed by a business debtor from the first day late, without a reminder (directive 2011/7/EU art. 6)".into());
    }
    for kind in &steps {
        let ctx = FeeContext {
            law: j,
            debtor: q.debtor,
            reminder_fee_agreed: q.reminder_fee_agreed,
            collector: q.collector,
            written: true,
            currency: q.currency,
            principal: q.principal,
            due: q.due,
            date: q.as_of,
            previous_letter: None,
            instalments: q.instalments,
            prior: &prior,
        };
        let d = fees_for(&ctx, *kind, FeeSpec::Statutory);
        prior.record(Some(*kind), &d.lines, d.notional);
        fees.extend(d.lines);
        notes.extend(d.notes);
    }
    let fees_total = fees.iter().map(|f| f.amount).sum();
    Ok(Quote {
        interest,
        interest_periods: calc.periods,
        fees,
        notes,
        fees_total,
        total: q.principal + interest + fees_total,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The README example: 10 000 SEK due 2024-03-15, as of 2024-05-14, reminder fee agreed,
    /// reminder + collection: interest 197.26, fees 60 + 180, total 10 437.26.
    #[test]
    fn swedish_consumer_quote() {
        let q = quote(
            &LawBook::embedded(),
            &QuoteInput {
                jurisdiction: JurisdictionCode::SE,
                debtor: DebtorKind::Consumer,
                principal: 1_000_000,
                currency: Currency::SEK,
                due: "2024-03-15".parse().unwrap(),
                as_of: "2024-05-14".parse().unwrap(),
                steps: vec![FeeKind::Reminder, FeeKind::Collection],
                reminder_fee_agreed: true,
                contract_rate: None,
                collector: Collector::Own,
                demand: None,
                instalments: None,
            },
        )
        .unwrap();
        assert_eq!(q.interest, 19726);
        assert_eq!(q.fees.iter().map(|f| f.amount).collect::<Vec<_>>(), vec![6000, 18000]);
        assert_eq!(q.total, 1_043_726);
    }

    /// Business: late compensation 450 instead of the fees: 10 000 + 197.26 + 450 = 10 647.26.
    #[test]
    fn swedish_business_quote() {
        let q = quote(
            &LawBook::embedded(),
            &QuoteInput {
                jurisdiction: JurisdictionCode::SE,
                debtor: DebtorKind::Business,
                principal: 1_000_000,
                currency: Currency::SEK,
                due: "2024-03-15".parse().unwrap(),
                as_of: "2024-05-14".parse().unwrap(),
                steps: vec![FeeKind::Reminder, FeeKind::Collection],
                reminder_fee_agreed: true,
                contract_rate: None,
                collector: Collector::Own,
                demand: None,
                instalments: None,
            },
        )
        .unwrap();
        assert_eq!(q.fees.len(), 1);
        assert_eq!(q.fees[0].kind, FeeKind::LateCompensation);
        assert_eq!(q.total, 1_064_726);
    }

    fn input(j: JurisdictionCode, debtor: DebtorKind, steps: Vec<FeeKind>) -> QuoteInput {
        QuoteInput {
            jurisdiction: j,
            debtor,
            principal: 1_000_000,
            currency: LawBook::embedded().jurisdiction(j).unwrap().currency,
            due: "2024-03-15".parse().unwrap(),
            as_of: "2024-05-14".parse().unwrap(),
            steps,
            reminder_fee_agreed: true,
            contract_rate: None,
            collector: Collector::Own,
            demand: None,
            instalments: None,
        }
    }

    /// Directive 2011/7/EU art. 6, 1981:739 4 a §: a business owes the 450 SEK from the first day
    /// late without any reminder, so a quote with no steps lists it: 10 000 + 197.26 + 450.
    #[test]
    fn business_compensation_without_steps() {
        let q = quote(&LawBook::embedded(), &input(JurisdictionCode::SE, DebtorKind::Business, vec![])).unwrap();
        assert_eq!(
            q.fees.iter().map(|f| (f.kind, f.amount)).collect::<Vec<_>>(),
            vec![(FeeKind::LateCompensation, 45000)]
        );
        assert_eq!(q.total, 1_064_726);
        assert!(q.notes.iter().any(|n| n.contains("without a reminder")), "{:?}", q.notes);
    }

    /// Lines add up as shown: FI business, reminder €12 and an agency's demand (10 000 € → €90)
    /// against the €40 compensation: 40 + (12 + 90 − 40 = 62) = 102 in lines; the covered part
    /// of each fee is a note, never folded into another line.
    #[test]
    fn fees_covered_by_the_compensation_are_notes() {
        let mut i = input(JurisdictionCode::FI, DebtorKind::Business, vec![FeeKind::Reminder, FeeKind::Collection]);
        i.collector = Collector::Agency;
        let q = quote(&LawBook::embedded(), &i).unwrap();
        assert_eq!(
            q.fees.iter().map(|f| (f.kind, f.amount)).collect::<Vec<_>>(),
            vec![(FeeKind::LateCompensation, 4000), (FeeKind::Collection, 6200)]
        );
        assert_eq!(q.fees_total, q.fees.iter().map(|f| f.amount).sum::<i64>());
        assert!(
            q.notes.iter().any(|n| n.contains("no reminder fee: covered by the late compensation")),
            "{:?}",
            q.notes
        );
        assert!(q.notes.iter().any(|n| n.contains("collection fee: 28.00 of its 90.00 covered")), "{:?}", q.notes);
    }

    /// The EU tables are for business debtors only: a consumer quote is refused, saying so.
    #[test]
    fn eu_consumer_is_refused() {
        let e = quote(&LawBook::embedded(), &input(JurisdictionCode::EU, DebtorKind::Consumer, vec![]))
            .err()
            .unwrap()
            .to_string();
        assert!(e.contains("applies between businesses only"), "{e}");
    }

    /// räntelagen 4 §: no due date agreed, demand sent 2024-03-01 → interest from 30 days after
    /// it: days 2024-04-01..05-14 = 44 days at 12 % on 10 000: 10000 × 0.12 × 44 / 365 = 144.66.
    #[test]
    fn interest_starts_thirty_days_after_the_demand_without_an_agreed_due_date() {
        let mut i = input(JurisdictionCode::SE, DebtorKind::Consumer, vec![]);
        i.due = "2024-03-11".parse().unwrap();
        i.demand = Some("2024-03-01".parse().unwrap());
        let q = quote(&LawBook::embedded(), &i).unwrap();
        assert_eq!(q.interest, 14466);
        assert!(q.notes.iter().any(|n| n.contains("interest from 2024-04-01")), "{:?}", q.notes);
    }
}
