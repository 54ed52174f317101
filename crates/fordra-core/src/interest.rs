//! Late interest (Fordra convention, nordic-rules.md): simple interest for each day after the due
//! date up to and including the as-of (or payment) date, actual/365, each day at the rate in force
//! that day, on the principal outstanding at the start of that day; the total is rounded to the
//! minor unit half away from zero.

use crate::domain::DebtorKind;
use crate::law::{Jurisdiction, LawError};
use chrono::{Datelike, Duration, NaiveDate};
use rust_decimal::Decimal;
use serde::Serialize;

/// A contractual late-interest rate (percent per year) agreed with the debtor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ContractRate(pub Decimal);

/// One stretch of days with the same principal and rate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InterestPeriod {
    /// First day.
    pub from: NaiveDate,
    /// Last day (inclusive).
    pub through: NaiveDate,
    /// Days in the period.
    pub days: i64,
    /// The principal interest runs on, in minor units.
    pub principal_minor: i64,
    /// Percent per year.
    pub rate: Decimal,
    /// Unrounded, in major units.
    pub amount: Decimal,
    /// The rate's legal basis, with its source.
    pub basis: String,
}

/// Late interest over a span, period by period.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InterestCalc {
    /// The periods, in order.
    pub periods: Vec<InterestPeriod>,
    /// Unrounded total in major units.
    pub total: Decimal,
    /// Why interest stops before the requested day (a half-year whose rate is not yet known).
    pub stopped: Option<String>,
}

impl InterestCalc {
    /// The total rounded to minor units (half away from zero).
    pub fn total_minor(&self) -> i64 {
        // Every currency Fordra handles has two decimals.
        crate::money::round_to_minor(self.total, 2)
    }
}

/// Interest from the day after `due` through `through` (inclusive).
/// `principal_changes` are dated principal movements (the invoice, payments, credits); a movement
/// dated `d` affects the interest from day `d + 1` on, so a payment still bears interest on its day.
pub fn late_interest(
    law: &Jurisdiction,
    debtor: DebtorKind,
    contract: Option<ContractRate>,
    due: NaiveDate,
    principal_changes: &[(NaiveDate, i64)],
    through: NaiveDate,
) -> Result<InterestCalc, LawError> {
    accrue(law, debtor, contract, due, principal_changes, through, true)
}

/// The same computation; `explain = false` leaves each period's basis text empty (the daily
/// run needs only the amounts, and building the texts dominated its cost).
pub fn accrue(
    law: &Jurisdiction,
    debtor: DebtorKind,
    contract: Option<ContractRate>,
    due: NaiveDate,
    principal_changes: &[(NaiveDate, i64)],
    through: NaiveDate,
    explain: bool,
) -> Result<InterestCalc, LawError> {
    let mut periods = Vec::new();
    let mut total = Decimal::ZERO;
    let mut stopped = None;
    // NO: a due date on a weekend or holiday moves to the next banking day first.
    let due = law.interest_due(due);
    let start = due + Duration::days(1);
    if through < start {
        return Ok(InterestCalc { periods, total, stopped });
    }
    let mut changes: Vec<(NaiveDate, i64)> = principal_changes.to_vec();
    changes.sort_unstable_by_key(|c| c.0);
    let principal_at = |day: NaiveDate| -> i64 { changes.iter().filter(|c| c.0 < day).map(|c| c.1).sum() };
    let mut day = start;
    while day <= through {
        // The stretch ends before the next rate change or the day after the next principal change.
        let mut end = through;
        if let Some(next_rate) = law.next_rate_change(day) {
            end = end.min(next_rate - Duration::days(1));
        }
        // A leap year's days are 1/366 of the yearly rate where the law counts so: stretches
        // end with the year.
        if law.day_count == crate::law::DayCount::ActualActual {
            end = end.min(NaiveDate::from_ymd_opt(day.year(), 12, 31).unwrap_or(end));
        }
        if let Some(c) = changes.iter().find(|c| c.0 >= day) {
            end = end.min(c.0);
        }
        let principal = principal_at(day).max(0);
        let row = law.interest_row(day)?;
        if let Some(why) = &row.pending {
            stopped = Some(
                LawError::RatePending { jurisdiction: law.code.upper(), from: row.from, why: why.clone() }.to_string(),
            );
            break;
        }
        let statutory = row.rate(debtor);
        let (rate, basis) = match contract {
            None if !explain => (statutory, String::new()),
            None => (
                statutory,
                format!(
                    "statutory {}% ({} + {} pp): {}",
                    statutory,
                    row.reference,
                    statutory - row.reference,
                    row.source
                ),
            ),
            Some(ContractRate(c)) => match debtor {
                DebtorKind::Business => (c, format!("contractual {c}% agreed with the debtor")),
                DebtorKind::Consumer if law.contract_rate_above_statutory_for_consumers => {
                    if c > statutory {
                        (c, format!("contractual {c}% (above statutory {statutory}%): {}", law.contract_rate_source))
                    } else {
                        (statutory, format!("statutory {statutory}% (contract {c}% is lower): {}", row.source))
                    }
                }
                DebtorKind::Consumer => {
                    if c < statutory {
                        (c, format!("contractual {c}% (below statutory {statutory}%)"))
                    } else {
                        (
                            statutory,
                            format!(
                                "statutory {statutory}% caps contractual {c}% for consumers: {}",
                                law.contract_rate_source
                            ),
                        )
                    }
                }
            },
        };
        let days = (end - day).num_days() + 1;
        let year_days = match law.day_count {
            crate::law::DayCount::ActualActual if day.leap_year() => 366,
            _ => 365,
        };
        let amount = Decimal::from(principal) * rate * Decimal::from(days) / Decimal::from(100 * 100 * year_days);
        if principal > 0 {
            total += amount;
            periods.push(InterestPeriod {
                from: day,
                through: end,
                days,
                principal_minor: principal,
                rate,
                amount,
                basis,
            });
        }
        day = end + Duration::days(1);
    }
    Ok(InterestCalc { periods, total, stopped })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::JurisdictionCode;
    use crate::law::LawBook;
    use rust_decimal_macros::dec;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// 10 000 SEK due 2024-03-15, as of 2024-05-14: 60 days at 12 % (4.00 + 8):
    /// 10000 × 0.12 × 60 / 365 = 197.2603 → 197.26 SEK.
    #[test]
    fn swedish_worked_example() {
        let book = LawBook::embedded();
        let se = book.jurisdiction(JurisdictionCode::SE).unwrap();
        let c = late_interest(
            se,
            DebtorKind::Consumer,
            None,
            d("2024-03-15"),
            &[(d("2024-02-14"), 1_000_000)],
            d("2024-05-14"),
        )
        .unwrap();
        assert_eq!(c.periods.len(), 1);
        assert_eq!(c.periods[0].days, 60);
        assert_eq!(c.total_minor(), 19726);
    }

    /// Across the 2023-07-01 change: 5 000 SEK due 2023-06-20, as of 2023-07-10.
    /// 2023-06-21..30: 10 days at 10.5 % = 14.3836; 2023-07-01..10: 10 days at 11.5 % = 15.7534;
    /// total 30.1370 → 30.14 SEK.
    #[test]
    fn splits_at_rate_change() {
        let book = LawBook::embedded();
        let se = book.jurisdiction(JurisdictionCode::SE).unwrap();
        let c = late_interest(
            se,
            DebtorKind::Consumer,
            None,
            d("2023-06-20"),
            &[(d("2023-06-01"), 500_000)],
            d("2023-07-10"),
        )
        .unwrap();
        assert_eq!(c.periods.len(), 2);
        assert_eq!((c.periods[0].days, c.periods[0].rate), (10, dec!(10.50)));
        assert_eq!((c.periods[1].days, c.periods[1].rate), (10, dec!(11.50)));
        assert_eq!(c.total_minor(), 3014);
    }

    /// Partial payment: 1 000 EUR consumer claim in FI due 2024-01-31 (rate 4.5 + 7 = 11.5 %);
    /// 600 EUR paid 2024-02-10 (still bears interest that day); as of 2024-02-29.
    /// Days 02-01..02-10: 1000 × 0.115 × 10/365 = 3.1507; 02-11..02-29: 400 × 0.115 × 19/365 = 2.3945;
    /// total 5.5452 → 5.55 EUR.
    #[test]
    fn partial_payment_reduces_principal_from_next_day() {
        let book = LawBook::embedded();
        let fi = book.jurisdiction(JurisdictionCode::FI).unwrap();
        let c = late_interest(
            fi,
            DebtorKind::Consumer,
            None,
            d("2024-01-31"),
            &[(d("2024-01-01"), 100_000), (d("2024-02-10"), -60_000)],
            d("2024-02-29"),
        )
        .unwrap();
        assert_eq!(c.periods.len(), 2);
        assert_eq!(c.total_minor(), 555);
    }

    /// Norway 2024 H1: 12.50 %. 10 000 NOK due 2024-02-01, as of 2024-03-02: 30 days in the
    /// leap year 2024, each 1/366 of the yearly rate (the Ministry's reading, forsinkelsesrente.no):
    /// 10000 × 0.125 × 30 / 366 = 102.4590 → 102.46 NOK (at 1/365 it would be 102.74).
    /// Finland, business (4 a §): 4.5 + 8 = 12.5 % on 2 000 € for 73 days (2024-01-31..04-13):
    /// 2000 × 0.125 × 73 / 365 = 50.00 €.
    #[test]
    fn norwegian_and_finnish_business_examples() {
        let book = LawBook::embedded();
        let no = book.jurisdiction(JurisdictionCode::NO).unwrap();
        let c = late_interest(
            no,
            DebtorKind::Consumer,
            None,
            d("2024-02-01"),
            &[(d("2024-01-01"), 1_000_000)],
            d("2024-03-02"),
        )
        .unwrap();
        assert_eq!((c.periods[0].days, c.periods[0].rate), (30, dec!(12.50)));
        assert_eq!(c.total_minor(), 10246);
        let fi = book.jurisdiction(JurisdictionCode::FI).unwrap();
        let c = late_interest(
            fi,
            DebtorKind::Business,
            None,
            d("2024-01-31"),
            &[(d("2024-01-01"), 200_000)],
            d("2024-04-13"),
        )
        .unwrap();
        assert_eq!(c.periods[0].rate, dec!(12.5));
        assert_eq!(c.total_minor(), 5000);
    }

    #[test]
    fn no_interest_on_or_before_due_date() {
        let book = LawBook::embedded();
        let se = book.jurisdiction(JurisdictionCode::SE).unwrap();
        let c = late_interest(
            se,
            DebtorKind::Consumer,
            None,
            d("2024-03-15"),
            &[(d("2024-02-14"), 1_000_000)],
            d("2024-03-15"),
        )
        .unwrap();
        assert_eq!(c.total, Decimal::ZERO);
    }

    #[test]
    fn contract_rate_rules() {
        let book = LawBook::embedded();
        let se = book.jurisdiction(JurisdictionCode::SE).unwrap();
        let ch = [(d("2024-01-01"), 1_000_000)];
        // Business: 24 % agreed, 30 days: 10000 × 0.24 × 30/365 = 197.26.
        let b = late_interest(
            se,
            DebtorKind::Business,
            Some(ContractRate(dec!(24))),
            d("2024-03-01"),
            &ch,
            d("2024-03-31"),
        )
        .unwrap();
        assert_eq!(b.total_minor(), 19726);
        // Consumer in SE: capped at statutory 12 %: 98.63.
        let c = late_interest(
            se,
            DebtorKind::Consumer,
            Some(ContractRate(dec!(24))),
            d("2024-03-01"),
            &ch,
            d("2024-03-31"),
        )
        .unwrap();
        assert_eq!(c.total_minor(), 9863);
    }

    #[test]
    fn missing_rate_is_an_error() {
        let book = LawBook::embedded();
        let se = book.jurisdiction(JurisdictionCode::SE).unwrap();
        assert!(late_interest(
            se,
            DebtorKind::Consumer,
            None,
            d("2018-01-01"),
            &[(d("2017-12-01"), 100)],
            d("2018-02-01")
        )
        .is_err());
    }

    /// Norway: a due date on a Saturday moves to the next banking day before interest starts
    /// (fristloven § 5; jusinfo.no). 10 000 NOK due Saturday 2025-03-01 → Monday 2025-03-03;
    /// as of 2025-03-13: 10 days (03-04..03-13) at 12.50 % (2025 H1), 2025 not a leap year:
    /// 10000 × 0.125 × 10 / 365 = 34.2466 → 34.25 NOK (from the Saturday it would be 12 days, 41.10).
    #[test]
    fn norwegian_weekend_due_date_moves_to_the_next_banking_day() {
        let book = LawBook::embedded();
        let no = book.jurisdiction(JurisdictionCode::NO).unwrap();
        let c = late_interest(
            no,
            DebtorKind::Consumer,
            None,
            d("2025-03-01"),
            &[(d("2025-01-01"), 1_000_000)],
            d("2025-03-13"),
        )
        .unwrap();
        assert_eq!(c.periods[0].from, d("2025-03-04"));
        assert_eq!(c.total_minor(), 3425);
        // Sweden has no such rule in its tables: from the Saturday, 12 days at 3 + 8 = 11 %:
        // 10000 × 0.11 × 12 / 365 = 36.1644 → 36.16 SEK.
        let se = book.jurisdiction(JurisdictionCode::SE).unwrap();
        let c = late_interest(
            se,
            DebtorKind::Consumer,
            None,
            d("2025-03-01"),
            &[(d("2025-01-01"), 1_000_000)],
            d("2025-03-13"),
        )
        .unwrap();
        assert_eq!(c.total_minor(), 3616);
    }

    /// Norway across a year end: 10 000 NOK due 2023-12-21, as of 2024-01-10: 10 days of 2023
    /// at 11.75 % over 365 and 10 days of 2024 at 12.50 % over 366:
    /// 10000 × 0.1175 × 10/365 = 32.1918 + 10000 × 0.125 × 10/366 = 34.1530 → 66.3448 → 66.34.
    #[test]
    fn norwegian_day_count_changes_with_the_year() {
        let book = LawBook::embedded();
        let no = book.jurisdiction(JurisdictionCode::NO).unwrap();
        let c = late_interest(
            no,
            DebtorKind::Consumer,
            None,
            d("2023-12-21"),
            &[(d("2023-11-01"), 1_000_000)],
            d("2024-01-10"),
        )
        .unwrap();
        assert_eq!(c.periods.len(), 2);
        assert_eq!(c.total_minor(), 6634);
    }

    /// Sweden 2025 H1: reference 3.00 (the policy rate on 2024-12-31 was 2.75, rounded up;
    /// räntelagen 9 §), + 8 = 11 %. 10 000 SEK due 2025-01-31, as of 2025-03-02: 30 days:
    /// 10000 × 0.11 × 30 / 365 = 90.4110 → 90.41 SEK (the old table's 2.50 gave 86.30).
    #[test]
    fn swedish_reference_rate_2025_h1_is_three() {
        let book = LawBook::embedded();
        let se = book.jurisdiction(JurisdictionCode::SE).unwrap();
        let c = late_interest(
            se,
            DebtorKind::Consumer,
            None,
            d("2025-01-31"),
            &[(d("2025-01-01"), 1_000_000)],
            d("2025-03-02"),
        )
        .unwrap();
        assert_eq!(c.periods[0].rate, dec!(11.00));
        assert_eq!(c.total_minor(), 9041);
    }

    /// EU B2B: the ECB rate without rounding (art. 2(7)): 2025 H1 3.15 + 8 = 11.15 %. 10 000 €
    /// due 2025-01-31, as of 2025-03-02: 10000 × 0.1115 × 30 / 365 = 91.6438 → 91.64 €
    /// (Finland's rounded 3.5 + 8 would give 94.11). 2024 H2: 4.25 + 8 = 12.25 %.
    #[test]
    fn eu_rate_is_the_ecb_rate_unrounded() {
        let book = LawBook::embedded();
        let eu = book.jurisdiction(JurisdictionCode::EU).unwrap();
        let c = late_interest(
            eu,
            DebtorKind::Business,
            None,
            d("2025-01-31"),
            &[(d("2025-01-01"), 1_000_000)],
            d("2025-03-02"),
        )
        .unwrap();
        assert_eq!(c.total_minor(), 9164);
        assert_eq!(eu.interest_row(d("2024-08-01")).unwrap().rate(DebtorKind::Business), dec!(12.25));
        assert_eq!(eu.interest_row(d("2025-08-01")).unwrap().rate(DebtorKind::Business), dec!(10.15));
    }

    /// Finland 2019 H1: reference 0.0 (Suomen Pankki), consumer + 7 = 7 %. 1 000 € due
    /// 2019-02-28, as of 2019-03-30: 30 days: 1000 × 0.07 × 30 / 365 = 5.7534 → 5.75 €.
    #[test]
    fn finnish_2019_h1_rate_exists() {
        let book = LawBook::embedded();
        let fi = book.jurisdiction(JurisdictionCode::FI).unwrap();
        let c = late_interest(
            fi,
            DebtorKind::Consumer,
            None,
            d("2019-02-28"),
            &[(d("2019-01-01"), 100_000)],
            d("2019-03-30"),
        )
        .unwrap();
        assert_eq!(c.total_minor(), 575);
    }

    /// A half-year whose rate is not in the sources stops interest the day before, saying why:
    /// NO 2026 H2 follows the policy rate on 1 July + 8 and is never assumed unchanged.
    /// 10 000 NOK due Friday 2026-06-19, as of 2026-07-10: only 06-20..06-30 = 11 days at
    /// 12.00 % (2026 not a leap year): 10000 × 0.12 × 11 / 365 = 36.1644 → 36.16 NOK.
    #[test]
    fn pending_rate_stops_interest_with_the_reason() {
        let book = LawBook::embedded();
        let no = book.jurisdiction(JurisdictionCode::NO).unwrap();
        let c = late_interest(
            no,
            DebtorKind::Consumer,
            None,
            d("2026-06-19"),
            &[(d("2026-06-01"), 1_000_000)],
            d("2026-07-10"),
        )
        .unwrap();
        assert_eq!(c.total_minor(), 3616);
        assert!(
            c.stopped
                .as_deref()
                .is_some_and(|s| s.contains("NO: the late-interest rate from 2026-07-01 is not in the law tables yet")),
            "{:?}",
            c.stopped
        );
    }

    /// Denmark (renteloven § 5): Nationalbanken's lending rate on 1 January 2025 (2.75, flagged
    /// unconfirmed in the tables) + 8 = 10.75 %. 10 000 DKK due 2025-01-31, as of 2025-03-02:
    /// 10000 × 0.1075 × 30 / 365 = 88.3562 → 88.36 DKK.
    #[test]
    fn danish_morarente() {
        let book = LawBook::embedded();
        let dk = book.jurisdiction(JurisdictionCode::DK).unwrap();
        let c = late_interest(
            dk,
            DebtorKind::Consumer,
            None,
            d("2025-01-31"),
            &[(d("2025-01-01"), 1_000_000)],
            d("2025-03-02"),
        )
        .unwrap();
        assert_eq!(c.periods[0].rate, dec!(10.75));
        assert_eq!(c.total_minor(), 8836);
    }
}
