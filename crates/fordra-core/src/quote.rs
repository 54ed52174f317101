//! The advisor's calculator: interest and lawful fees for a claim, without a database.

use crate::domain::{DebtorKind, FeeKind, JurisdictionCode};
use crate::fees::{fees_for, FeeContext, FeeLine, PriorFees};
use crate::interest::{late_interest, ContractRate, InterestPeriod};
use crate::law::{LawBook, LawError};
use crate::model::FeeSpec;
use crate::money::{Currency, Money};
use chrono::NaiveDate;
use rust_decimal::Decimal;

pub struct QuoteInput {
    pub jurisdiction: JurisdictionCode,
    pub debtor: DebtorKind,
    pub principal: i64,
    pub currency: Currency,
    pub due: NaiveDate,
    pub as_of: NaiveDate,
    pub steps: Vec<FeeKind>,
    pub reminder_fee_agreed: bool,
    pub contract_rate: Option<Decimal>,
}

pub struct Quote {
    pub interest: i64,
    pub interest_periods: Vec<InterestPeriod>,
    pub fees: Vec<FeeLine>,
    pub notes: Vec<String>,
    pub fees_total: i64,
    pub total: i64,
}

pub fn quote(law: &LawBook, q: &QuoteInput) -> Result<Quote, LawError> {
    let j = law.jurisdiction(q.jurisdiction)?;
    let calc = late_interest(j, q.debtor, q.contract_rate.map(ContractRate), q.due, &[(q.due, q.principal)], q.as_of)?;
    let interest = Money::from_decimal_rounded(calc.total, q.currency).minor;
    let mut prior = PriorFees::default();
    let mut fees = Vec::new();
    let mut notes = Vec::new();
    for kind in &q.steps {
        let ctx = FeeContext {
            law: j,
            debtor: q.debtor,
            reminder_fee_agreed: q.reminder_fee_agreed,
            currency: q.currency,
            principal: q.principal,
            due: q.due,
            date: q.as_of,
            prior: &prior,
        };
        let d = fees_for(&ctx, *kind, FeeSpec::Statutory);
        prior.record(&d.lines, d.notional);
        fees.extend(d.lines);
        notes.extend(d.notes);
    }
    let fees_total = fees.iter().map(|f| f.amount).sum();
    Ok(Quote { interest, interest_periods: calc.periods, fees, notes, fees_total, total: q.principal + interest + fees_total })
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
            },
        )
        .unwrap();
        assert_eq!(q.fees.len(), 1);
        assert_eq!(q.fees[0].kind, FeeKind::LateCompensation);
        assert_eq!(q.total, 1_064_726);
    }
}
