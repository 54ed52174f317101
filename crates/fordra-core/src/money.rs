//! Exact money: integer minor units with an ISO currency. Never floats.

pub use crate::domain::ParseError;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The currencies Fordra handles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Currency {
    /// Swedish krona.
    SEK,
    /// Euro.
    EUR,
    /// Norwegian krone.
    NOK,
    /// Danish krone.
    DKK,
    /// US dollar (for AR exports of foreign subsidiaries).
    USD,
}

impl Currency {
    /// Every currency Fordra handles has two decimals (öre, cent, øre).
    pub const fn minor_digits(self) -> u32 {
        2
    }
    /// The ISO 4217 code.
    pub fn code(self) -> &'static str {
        match self {
            Currency::SEK => "SEK",
            Currency::EUR => "EUR",
            Currency::NOK => "NOK",
            Currency::DKK => "DKK",
            Currency::USD => "USD",
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Currency {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        match s.trim().to_ascii_uppercase().as_str() {
            "SEK" => Ok(Currency::SEK),
            "EUR" => Ok(Currency::EUR),
            "NOK" => Ok(Currency::NOK),
            "DKK" => Ok(Currency::DKK),
            "USD" => Ok(Currency::USD),
            other => Err(ParseError(format!("unknown currency '{other}' (expected SEK, EUR, NOK, DKK or USD)"))),
        }
    }
}

/// An amount in minor units (öre/cent) of a currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    /// Minor units (öre, cent, øre).
    pub minor: i64,
    /// The currency.
    pub currency: Currency,
}

impl Money {
    /// An amount of `minor` units.
    pub const fn new(minor: i64, currency: Currency) -> Self {
        Money { minor, currency }
    }
    /// Nothing, in a currency.
    pub const fn zero(currency: Currency) -> Self {
        Money { minor: 0, currency }
    }
    /// Parses "1234.5", "1234,50", "-3.00"; more than two decimals is an error, never rounded.
    pub fn parse(s: &str, currency: Currency) -> Result<Self, ParseError> {
        parse_minor(s).map(|minor| Money { minor, currency })
    }
    /// In major units, exactly.
    pub fn to_decimal(self) -> Decimal {
        Decimal::new(self.minor, self.currency.minor_digits())
    }
    /// Rounds a decimal amount of major units to minor units, half away from zero.
    pub fn from_decimal_rounded(d: Decimal, currency: Currency) -> Self {
        Money { minor: round_to_minor(d, currency.minor_digits()), currency }
    }
    /// Nothing.
    pub fn is_zero(self) -> bool {
        self.minor == 0
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", format_minor(self.minor), self.currency)
    }
}

/// Amounts in several currencies, kept apart: a total is per currency, never added across them.
/// Serialised as `{"SEK": "12.00", "EUR": "3.50"}`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Amounts(pub std::collections::BTreeMap<Currency, i64>);

impl Amounts {
    /// Adds to one currency's total.
    pub fn add(&mut self, c: Currency, minor: i64) {
        *self.0.entry(c).or_default() += minor;
    }
    /// One currency's total (0 if none).
    pub fn get(&self, c: Currency) -> i64 {
        self.0.get(&c).copied().unwrap_or(0)
    }
    /// Adds every currency of `other`.
    pub fn merge(&mut self, other: &Amounts) {
        for (c, x) in &other.0 {
            self.add(*c, *x);
        }
    }
    /// Every total is zero.
    pub fn is_zero(&self) -> bool {
        self.0.values().all(|x| *x == 0)
    }
    /// The currencies present, in order.
    pub fn currencies(&self) -> impl Iterator<Item = Currency> + '_ {
        self.0.keys().copied()
    }
}

impl Serialize for Amounts {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (c, x) in &self.0 {
            m.serialize_entry(c.code(), &format_minor(*x))?;
        }
        m.end()
    }
}

impl fmt::Display for Amounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.0.is_empty() {
            return f.write_str("0.00");
        }
        let parts: Vec<String> = self.0.iter().map(|(c, x)| format!("{} {c}", format_minor(*x))).collect();
        f.write_str(&parts.join(" + "))
    }
}

/// Rounds major units to minor units with `digits` decimals, half away from zero.
pub fn round_to_minor(d: Decimal, digits: u32) -> i64 {
    (d * Decimal::from(10i64.pow(digits)))
        .round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero)
        .to_i64()
        .unwrap_or(i64::MAX)
}

/// Parses a decimal string into minor units (two decimals).
pub fn parse_minor(s: &str) -> Result<i64, ParseError> {
    let t = s.trim().replace([' ', '\u{a0}'], "");
    if t.is_empty() {
        return Err("empty amount".into());
    }
    let (neg, body) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.as_str()),
    };
    let body = body.replace(',', ".");
    let (int_part, frac_part) = match body.split_once('.') {
        Some((i, f)) => (i, f),
        None => (body.as_str(), ""),
    };
    if int_part.is_empty()
        || !int_part.bytes().all(|b| b.is_ascii_digit())
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(ParseError(format!("'{s}' is not an amount (expected e.g. 1234.50)")));
    }
    if frac_part.len() > 2 {
        return Err(ParseError(format!("'{s}' has more than two decimals")));
    }
    let major: i64 = int_part.parse().map_err(|_| format!("'{s}' is too large"))?;
    let mut frac: i64 = if frac_part.is_empty() { 0 } else { frac_part.parse().unwrap_or(0) };
    if frac_part.len() == 1 {
        frac *= 10;
    }
    let minor =
        major.checked_mul(100).and_then(|m| m.checked_add(frac)).ok_or_else(|| format!("'{s}' is too large"))?;
    Ok(if neg { -minor } else { minor })
}

/// Formats minor units as a plain decimal string with two decimals: "-12.05".
pub fn format_minor(minor: i64) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let a = minor.unsigned_abs();
    format!("{sign}{}.{:02}", a / 100, a % 100)
}

/// An amount in minor units (öre, cents) as it crosses a boundary: in JSON and other outputs a
/// decimal string ("1234.50"), never a bare integer that a reader could take for major units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Minor(pub i64);

impl fmt::Display for Minor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&format_minor(self.0))
    }
}

impl From<i64> for Minor {
    fn from(v: i64) -> Self {
        Minor(v)
    }
}

impl std::str::FromStr for Minor {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        parse_minor(s).map(Minor)
    }
}

impl Serialize for Minor {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_minor(self.0))
    }
}

impl<'de> Deserialize<'de> for Minor {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        parse_minor(&text).map(Minor).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn minor_is_a_decimal_string_in_json() {
        assert_eq!(serde_json::to_string(&Minor(-1205)).unwrap(), "\"-12.05\"");
        assert_eq!(serde_json::from_str::<Minor>("\"1 234,50\"").unwrap(), Minor(123450));
    }

    #[test]
    fn parses_and_formats() {
        assert_eq!(parse_minor("10000.00").unwrap(), 1_000_000);
        assert_eq!(parse_minor("12,5").unwrap(), 1250);
        assert_eq!(parse_minor("-0.05").unwrap(), -5);
        assert_eq!(parse_minor("7").unwrap(), 700);
        assert!(parse_minor("1.234").is_err());
        assert!(parse_minor("abc").is_err());
        assert!(parse_minor("").is_err());
        assert_eq!(format_minor(-1205), "-12.05");
        assert_eq!(format_minor(5), "0.05");
    }

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(Money::from_decimal_rounded(dec!(197.2602), Currency::SEK).minor, 19726);
        assert_eq!(Money::from_decimal_rounded(dec!(0.005), Currency::SEK).minor, 1);
        assert_eq!(Money::from_decimal_rounded(dec!(-0.005), Currency::SEK).minor, -1);
        assert_eq!(Money::from_decimal_rounded(dec!(0.0049), Currency::SEK).minor, 0);
    }

    proptest::proptest! {
        #[test]
        fn format_parse_roundtrip(m in -1_000_000_000_000i64..1_000_000_000_000i64) {
            proptest::prop_assert_eq!(parse_minor(&format_minor(m)).unwrap(), m);
        }
    }
}
