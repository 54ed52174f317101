//! Nordic banking calendar: weekends and public/bank holidays for SE, FI and NO,
//! computed from the rules (Easter-based and midsummer rules included).
//! No crate covers Nordic banking days, so this is written by hand and property-tested.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

/// Countries with banking calendars.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Country {
    /// Sweden.
    SE,
    /// Finland.
    FI,
    /// Norway.
    NO,
    /// Denmark.
    DK,
}

#[allow(
    clippy::expect_used,
    reason = "called with fixed holidays that exist in every year and Easter-based dates computed within their month; years are bounded by limits::MAX_DATE"
)]
fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("valid calendar date")
}

/// Easter Sunday (Gregorian), anonymous Gregorian algorithm (Meeus/Jones/Butcher).
pub fn easter_sunday(year: i32) -> NaiveDate {
    let a = year % 19;
    let b = year / 100;
    let c = year % 100;
    let dd = b / 4;
    let e = b % 4;
    let f = (b + 8) / 25;
    let g = (b - f + 1) / 3;
    let h = (19 * a + b - dd - g + 15) % 30;
    let i = c / 4;
    let k = c % 4;
    let l = (32 + 2 * e + 2 * i - h - k) % 7;
    let m = (a + 11 * h + 22 * l) / 451;
    let month = (h + l - 7 * m + 114) / 31;
    let day = (h + l - 7 * m + 114) % 31 + 1;
    d(year, month as u32, day as u32)
}

/// The first `weekday` on or after `from`.
fn weekday_on_or_after(from: NaiveDate, weekday: Weekday) -> NaiveDate {
    let mut x = from;
    while x.weekday() != weekday {
        x += Duration::days(1);
    }
    x
}

/// Days on which banks in `country` are closed besides weekends, with their names.
/// Includes bank holidays that are not public holidays (SE/FI midsummer eve, Christmas Eve,
/// SE/NO New Year's Eve), because payment deadlines follow banking days.
pub fn holidays(country: Country, year: i32) -> Vec<(NaiveDate, &'static str)> {
    let easter = easter_sunday(year);
    let days = |n: i64| easter + Duration::days(n);
    let mut v = vec![
        (d(year, 1, 1), "New Year's Day"),
        (days(-2), "Good Friday"),
        (days(0), "Easter Sunday"),
        (days(1), "Easter Monday"),
        (d(year, 5, 1), "May Day"),
        (days(39), "Ascension Day"),
        (d(year, 12, 25), "Christmas Day"),
        (d(year, 12, 26), "Boxing Day"),
    ];
    match country {
        Country::SE => {
            let midsummer_eve = weekday_on_or_after(d(year, 6, 19), Weekday::Fri);
            v.extend([
                (d(year, 1, 6), "Epiphany"),
                (days(49), "Whit Sunday"),
                (d(year, 6, 6), "National Day"),
                (midsummer_eve, "Midsummer Eve"),
                (midsummer_eve + Duration::days(1), "Midsummer Day"),
                (weekday_on_or_after(d(year, 10, 31), Weekday::Sat), "All Saints' Day"),
                (d(year, 12, 24), "Christmas Eve"),
                (d(year, 12, 31), "New Year's Eve"),
            ]);
        }
        Country::FI => {
            let midsummer_eve = weekday_on_or_after(d(year, 6, 19), Weekday::Fri);
            v.extend([
                (d(year, 1, 6), "Epiphany"),
                (days(49), "Whit Sunday"),
                (midsummer_eve, "Midsummer Eve"),
                (midsummer_eve + Duration::days(1), "Midsummer Day"),
                (weekday_on_or_after(d(year, 10, 31), Weekday::Sat), "All Saints' Day"),
                (d(year, 12, 6), "Independence Day"),
                (d(year, 12, 24), "Christmas Eve"),
            ]);
        }
        Country::DK => {
            // Store Bededag (4th Friday after Easter) was abolished from 2024 (lov nr. 2005 of
            // 2023); banks close on Constitution Day, Christmas Eve and New Year's Eve.
            v.retain(|(_, n)| *n != "May Day");
            v.extend([
                (days(-3), "Maundy Thursday"),
                (days(49), "Whit Sunday"),
                (days(40), "Day after Ascension Day"),
                (days(50), "Whit Monday"),
                (d(year, 6, 5), "Constitution Day"),
                (d(year, 12, 24), "Christmas Eve"),
                (d(year, 12, 31), "New Year's Eve"),
            ]);
            if year < 2024 {
                v.push((days(26), "Store Bededag"));
            }
        }
        Country::NO => {
            v.extend([
                (days(-3), "Maundy Thursday"),
                (d(year, 5, 17), "Constitution Day"),
                (days(49), "Whit Sunday"),
                (days(50), "Whit Monday"),
                (d(year, 12, 24), "Christmas Eve"),
                (d(year, 12, 31), "New Year's Eve"),
            ]);
        }
    }
    v.sort();
    v.dedup_by_key(|x| x.0);
    v
}

/// The name of the holiday on `date`, if banks in `country` are closed for one.
pub fn holiday_name(country: Country, date: NaiveDate) -> Option<&'static str> {
    holidays(country, date.year()).into_iter().find(|(h, _)| *h == date).map(|(_, n)| n)
}

/// Not a weekend, a public holiday or a bank holiday of the country.
pub fn is_banking_day(country: Country, date: NaiveDate) -> bool {
    !matches!(date.weekday(), Weekday::Sat | Weekday::Sun) && holiday_name(country, date).is_none()
}

/// A deadline that falls on a non-banking day moves to the next banking day.
pub fn next_banking_day_on_or_after(country: Country, date: NaiveDate) -> NaiveDate {
    let mut x = date;
    while !is_banking_day(country, x) {
        x += Duration::days(1);
    }
    x
}

/// `date` plus `n` banking days (n ≥ 0); with n = 0 the date itself if a banking day, else the next.
pub fn add_banking_days(country: Country, date: NaiveDate, n: u32) -> NaiveDate {
    let mut x = next_banking_day_on_or_after(country, date);
    for _ in 0..n {
        x = next_banking_day_on_or_after(country, x + Duration::days(1));
    }
    x
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Danish banking days: Store Bededag (Easter + 26) was a holiday until 2023 and is not from
    /// 2024 (lov nr. 2005 of 2023); Constitution Day 5 June; the
    /// Friday after Ascension Day (Danmarks Nationalbank's closing days); 1 May is a working day.
    #[test]
    fn danish_holidays() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert!(!is_banking_day(Country::DK, d("2023-05-05")), "Store Bededag 2023 (Easter 9 April + 26)");
        assert!(is_banking_day(Country::DK, d("2024-04-26")), "no Store Bededag from 2024");
        assert!(!is_banking_day(Country::DK, d("2024-06-05")), "Grundlovsdag");
        assert!(!is_banking_day(Country::DK, d("2024-05-10")), "Friday after Ascension Day (9 May 2024)");
        assert!(is_banking_day(Country::DK, d("2024-05-01")), "1 May is not a bank holiday in Denmark");
        assert_eq!(next_banking_day_on_or_after(Country::DK, d("2024-12-24")), d("2024-12-27"));
    }

    #[test]
    fn easter_dates() {
        assert_eq!(easter_sunday(2024), d(2024, 3, 31));
        assert_eq!(easter_sunday(2025), d(2025, 4, 20));
        assert_eq!(easter_sunday(2026), d(2026, 4, 5));
        assert_eq!(easter_sunday(2019), d(2019, 4, 21));
        assert_eq!(easter_sunday(2038), d(2038, 4, 25));
    }

    #[test]
    fn swedish_holidays_2024() {
        let h: Vec<_> = holidays(Country::SE, 2024).into_iter().map(|x| x.0).collect();
        for day in [
            d(2024, 1, 1),
            d(2024, 1, 6),
            d(2024, 3, 29),
            d(2024, 4, 1),
            d(2024, 5, 1),
            d(2024, 5, 9),
            d(2024, 6, 6),
            d(2024, 6, 21),
            d(2024, 6, 22),
            d(2024, 11, 2),
            d(2024, 12, 24),
            d(2024, 12, 25),
            d(2024, 12, 26),
            d(2024, 12, 31),
        ] {
            assert!(h.contains(&day), "{day} missing");
        }
        assert_eq!(holiday_name(Country::SE, d(2024, 6, 21)), Some("Midsummer Eve"));
    }

    #[test]
    fn finnish_and_norwegian_specifics() {
        assert_eq!(holiday_name(Country::FI, d(2024, 12, 6)), Some("Independence Day"));
        assert_eq!(holiday_name(Country::SE, d(2024, 12, 6)), None);
        assert_eq!(holiday_name(Country::NO, d(2024, 5, 17)), Some("Constitution Day"));
        assert_eq!(holiday_name(Country::NO, d(2024, 3, 28)), Some("Maundy Thursday"));
        assert_eq!(holiday_name(Country::NO, d(2024, 5, 20)), Some("Whit Monday"));
        assert_eq!(holiday_name(Country::SE, d(2024, 5, 20)), None);
    }

    #[test]
    fn deadlines_move_to_next_banking_day() {
        // Easter 2024 in Sweden: Good Friday 29 Mar .. Easter Monday 1 Apr -> Tuesday 2 Apr.
        assert_eq!(next_banking_day_on_or_after(Country::SE, d(2024, 3, 29)), d(2024, 4, 2));
        // Midsummer eve Friday 21 Jun 2024 -> Monday 24 Jun.
        assert_eq!(next_banking_day_on_or_after(Country::SE, d(2024, 6, 21)), d(2024, 6, 24));
        // Christmas 2024 in Norway: 24, 25, 26 closed -> Friday 27.
        assert_eq!(next_banking_day_on_or_after(Country::NO, d(2024, 12, 24)), d(2024, 12, 27));
        assert_eq!(add_banking_days(Country::FI, d(2024, 12, 5), 1), d(2024, 12, 9));
    }

    proptest! {
        #[test]
        fn next_banking_day_is_banking_and_minimal(days in 0i64..20000, c in 0usize..3) {
            let country = [Country::SE, Country::FI, Country::NO][c];
            let date = d(2000, 1, 1) + Duration::days(days);
            let n = next_banking_day_on_or_after(country, date);
            prop_assert!(n >= date);
            prop_assert!(is_banking_day(country, n));
            prop_assert!((n - date).num_days() <= 6, "at most 6 closed days in a row");
            let mut x = date;
            while x < n { prop_assert!(!is_banking_day(country, x)); x += Duration::days(1); }
        }

        #[test]
        fn easter_is_a_sunday_in_spring(year in 1900i32..2200) {
            let e = easter_sunday(year);
            prop_assert_eq!(e.weekday(), Weekday::Sun);
            prop_assert!(e >= d(year, 3, 22) && e <= d(year, 4, 25));
        }
    }
}
