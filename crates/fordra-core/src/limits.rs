//! Bounds on every value that comes from outside (files, the command line, configuration).
//! Checked at the edge, so the arithmetic inside can never overflow: an amount is at most
//! `MAX_AMOUNT` minor units, so even nine million of them add up without leaving an `i64`; a date
//! lies in `MIN_DATE..=MAX_DATE`, so date arithmetic with bounded day counts never leaves chrono's
//! range. Every refusal is one line naming the field and the limit.

use crate::money::format_minor;
use chrono::NaiveDate;

/// The largest amount accepted anywhere: 10 000 000 000.00 in minor units.
pub const MAX_AMOUNT: i64 = 1_000_000_000_000;
/// The earliest date accepted from outside.
pub const MIN_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2000, 1, 1) {
    Some(d) => d,
    None => panic!("2000-01-01 is a date"),
};
/// The latest date accepted from outside.
pub const MAX_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2099, 12, 31) {
    Some(d) => d,
    None => panic!("2099-12-31 is a date"),
};
/// The longest period (in days) any setting may name: ten years.
pub const MAX_DAYS: i64 = 3650;
/// A payment or run date may lie at most this many days after today (bank files describe the
/// past; a week covers time zones and late cut-offs).
pub const FUTURE_SLACK_DAYS: i64 = 7;
/// Identifiers (customer, invoice, payment ids): characters.
pub const MAX_ID: usize = 64;
/// Names and addresses: characters.
pub const MAX_NAME: usize = 200;
/// Free text (payment text, reasons, notes): characters.
pub const MAX_TEXT: usize = 1000;
/// Payment references (OCR, viitenumero, KID, RF): characters after removing spaces.
pub const MAX_REFERENCE: usize = 35;
/// Bank files and CSV files: bytes (documented in the README).
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;
/// Policy and law tables (TOML): bytes.
pub const MAX_CONFIG_BYTES: u64 = 1024 * 1024;

/// A value outside its bounds: `field` names it, `problem` says which limit it breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct OutOfBounds {
    /// The value's name (a column, an option).
    pub field: String,
    /// Which limit it breaks.
    pub problem: String,
}

fn oob(field: &str, problem: String) -> OutOfBounds {
    OutOfBounds { field: field.to_string(), problem }
}

/// An amount in minor units that must lie in `min..=MAX_AMOUNT`.
pub fn amount(field: &str, minor: i64, min: i64) -> Result<i64, OutOfBounds> {
    if minor < min {
        return Err(oob(field, format!("{} is below the minimum {}", format_minor(minor), format_minor(min))));
    }
    if minor > MAX_AMOUNT {
        return Err(oob(field, format!("{} is above the limit {}", format_minor(minor), format_minor(MAX_AMOUNT))));
    }
    Ok(minor)
}

/// A date within `MIN_DATE..=MAX_DATE`.
pub fn date(field: &str, d: NaiveDate) -> Result<NaiveDate, OutOfBounds> {
    if d < MIN_DATE || d > MAX_DATE {
        return Err(oob(field, format!("{d} is outside {MIN_DATE}..{MAX_DATE}")));
    }
    Ok(d)
}

/// A date of something that has happened (a payment, a run): not more than
/// `FUTURE_SLACK_DAYS` after `today`.
pub fn past_date(field: &str, d: NaiveDate, today: NaiveDate) -> Result<NaiveDate, OutOfBounds> {
    date(field, d)?;
    if (d - today).num_days() > FUTURE_SLACK_DAYS {
        return Err(oob(field, format!("{d} is more than {FUTURE_SLACK_DAYS} days after today ({today})")));
    }
    Ok(d)
}

/// A whole number of days (or count) in `min..=max`.
pub fn days(field: &str, n: i64, min: i64, max: i64) -> Result<i64, OutOfBounds> {
    if n < min || n > max {
        return Err(oob(field, format!("{n} is outside {min}..{max}")));
    }
    Ok(n)
}

/// Text from outside: at most `max` characters, no control characters (NUL, escapes, line
/// breaks), so both databases store it alike and it prints on one line.
pub fn text<'a>(field: &str, s: &'a str, max: usize) -> Result<&'a str, OutOfBounds> {
    let n = s.chars().count();
    if n > max {
        return Err(oob(field, format!("{n} characters, at most {max} allowed")));
    }
    if let Some(c) = s.chars().find(|c| c.is_control()) {
        return Err(oob(field, format!("contains the control character U+{:04X}", u32::from(c))));
    }
    Ok(s)
}

/// An identifier: non-empty text of at most `MAX_ID` characters.
pub fn id<'a>(field: &str, s: &'a str) -> Result<&'a str, OutOfBounds> {
    if s.trim().is_empty() {
        return Err(oob(field, "is empty".into()));
    }
    text(field, s, MAX_ID)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn every_refusal_names_field_and_limit() {
        assert_eq!(amount("amount", MAX_AMOUNT, 1), Ok(MAX_AMOUNT));
        assert_eq!(
            amount("amount", MAX_AMOUNT + 1, 1).unwrap_err().to_string(),
            "amount: 10000000000.01 is above the limit 10000000000.00"
        );
        assert_eq!(amount("fee", -5000, 0).unwrap_err().to_string(), "fee: -50.00 is below the minimum 0.00");
        assert_eq!(
            date("due_date", d("0001-01-01")).unwrap_err().to_string(),
            "due_date: 0001-01-01 is outside 2000-01-01..2099-12-31"
        );
        assert!(date("x", d("9999-01-01")).is_err());
        assert_eq!(
            past_date("date", d("2026-12-01"), d("2026-11-23")).unwrap_err().to_string(),
            "date: 2026-12-01 is more than 7 days after today (2026-11-23)"
        );
        assert!(past_date("date", d("2026-11-30"), d("2026-11-23")).is_ok());
        assert_eq!(
            days("lookback_days", 100_000_000, 1, MAX_DAYS).unwrap_err().to_string(),
            "lookback_days: 100000000 is outside 1..3650"
        );
        assert_eq!(id("id", &"x".repeat(65)).unwrap_err().to_string(), "id: 65 characters, at most 64 allowed");
        assert_eq!(id("id", "a\0b").unwrap_err().to_string(), "id: contains the control character U+0000");
        assert_eq!(id("id", "  ").unwrap_err().to_string(), "id: is empty");
        assert!(text("name", "Åsa Öberg AB", MAX_NAME).is_ok());
    }

    /// The bounds keep sums exact: nine million maximal amounts still fit in an i64.
    #[test]
    fn sums_of_bounded_amounts_cannot_overflow() {
        assert!(MAX_AMOUNT.checked_mul(9_000_000).is_some());
        // And a day count of MAX_DAYS from any bounded date stays a valid date.
        assert!(MAX_DATE.checked_add_signed(chrono::Duration::days(2 * MAX_DAYS)).is_some());
        assert!(MIN_DATE.checked_sub_signed(chrono::Duration::days(2 * MAX_DAYS)).is_some());
    }
}
