//! The advisor's calculator: interest and lawful fees for a claim, without a database.

use crate::{AppError, Minor, Result};
use chrono::NaiveDate;
use fordra_core::domain::{Collector, DebtorKind, FeeKind, JurisdictionCode};
use fordra_core::law::LawBook;
use fordra_core::quote::{quote as core_quote, QuoteError, QuoteInput};
use rust_decimal::Decimal;
use serde::Serialize;

/// What to quote.
#[derive(Clone, Debug)]
pub struct QuoteRequest {
    /// Whose law.
    pub jurisdiction: JurisdictionCode,
    /// Consumer or business.
    pub debtor: DebtorKind,
    /// The principal.
    pub principal: Minor,
    /// Default: the jurisdiction's.
    pub currency: Option<fordra_core::money::Currency>,
    /// Due date.
    pub due: NaiveDate,
    /// As of (the adapter's default: today).
    pub as_of: NaiveDate,
    /// Measures taken.
    pub steps: Vec<FeeKind>,
    /// Reminder fee agreed.
    pub reminder_fee_agreed: bool,
    /// Contractual rate, percent per year.
    pub contract_rate: Option<Decimal>,
    /// Who sends the steps.
    pub collector: Collector,
    /// No due date agreed: the demand's date.
    pub demand_date: Option<NaiveDate>,
    /// A payment plan's instalments.
    pub instalments: Option<u32>,
}

/// A quote.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct QuoteOut {
    /// Jurisdiction code.
    pub jurisdiction: &'static str,
    /// Debtor kind.
    #[schema(value_type = String)]
    pub debtor: DebtorKind,
    /// Currency code.
    pub currency: &'static str,
    /// Principal.
    #[schema(value_type = String)]
    pub principal: Minor,
    /// Due date.
    pub due: NaiveDate,
    /// As of.
    pub as_of: NaiveDate,
    /// Days late on `as_of`.
    pub days_late: i64,
    /// Late interest.
    #[schema(value_type = String)]
    pub interest: Minor,
    /// How the interest was computed, per period.
    pub interest_periods: Vec<PeriodOut>,
    /// Each fee with its legal basis.
    pub fees: Vec<crate::run::FeeOut>,
    /// What the quote should say beside the figures.
    pub notes: Vec<String>,
    /// Fees in total.
    #[schema(value_type = String)]
    pub fees_total: Minor,
    /// Principal, interest and fees.
    #[schema(value_type = String)]
    pub total: Minor,
}

/// One interest period.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PeriodOut {
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub through: NaiveDate,
    /// Days.
    pub days: i64,
    /// Rate, percent per year.
    pub rate: String,
    /// The principal interest runs on.
    #[schema(value_type = String)]
    pub principal: Minor,
    /// The rate's source.
    pub basis: String,
}

/// Interest and each lawful fee for a claim, with their legal bases.
pub fn quote(law: &LawBook, q: &QuoteRequest) -> Result<QuoteOut> {
    let j = law.jurisdiction(q.jurisdiction)?;
    let currency = q.currency.unwrap_or(j.currency);
    let principal = fordra_core::limits::amount("--principal", q.principal.0, 1)?;
    fordra_core::limits::date("--due", q.due)?;
    fordra_core::limits::date("--as-of", q.as_of)?;
    if let Some(r) = q.contract_rate {
        if r < Decimal::ZERO || r > Decimal::from(100) {
            return Err(AppError::invalid("--contract-rate", format!("{r} is outside 0..100 percent")));
        }
    }
    let input = QuoteInput {
        jurisdiction: q.jurisdiction,
        debtor: q.debtor,
        principal,
        currency,
        due: q.due,
        as_of: q.as_of,
        steps: q.steps.clone(),
        reminder_fee_agreed: q.reminder_fee_agreed,
        contract_rate: q.contract_rate,
        collector: q.collector,
        demand: q.demand_date,
        instalments: q.instalments,
    };
    let r = core_quote(law, &input).map_err(|e| match e {
        QuoteError::Law(l) => AppError::from(l),
        QuoteError::Refused(m) => AppError::Unlawful { rules: vec![m] },
    })?;
    Ok(QuoteOut {
        jurisdiction: q.jurisdiction.upper(),
        debtor: q.debtor,
        currency: currency.code(),
        principal: Minor(principal),
        due: q.due,
        as_of: q.as_of,
        days_late: (q.as_of - q.due).num_days().max(0),
        interest: Minor(r.interest),
        interest_periods: r
            .interest_periods
            .iter()
            .map(|p| PeriodOut {
                from: p.from,
                through: p.through,
                days: p.days,
                rate: p.rate.to_string(),
                principal: Minor(p.principal_minor),
                basis: p.basis.clone(),
            })
            .collect(),
        fees: r.fees.iter().map(crate::run::FeeOut::from).collect(),
        notes: r.notes,
        fees_total: Minor(r.fees_total),
        total: Minor(r.total),
    })
}
