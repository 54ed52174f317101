//! Payment references: Swedish Bankgiro OCR (Luhn, optional length digit, Bankgirot's four
//! control levels), Finnish viitenumero (7-3-1), RF creditor reference (ISO 11649) and Norwegian
//! KID (MOD10, MOD11). Generation and validation. Hand-written: no maintained crate covers the
//! Nordic schemes together, and each is a few lines of arithmetic checked by the vectors below.

use crate::domain::ParseError;
use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// Payment reference schemes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub enum Scheme {
    /// Swedish OCR: digits + Luhn check digit.
    SeOcr,
    /// Swedish OCR with a length digit (total length mod 10) before the Luhn check digit.
    SeOcrLen,
    /// Finnish national reference (viitenumero): weights 7, 3, 1 from the right.
    Fi,
    /// RF creditor reference, ISO 11649.
    Rf,
    /// Norwegian KID with MOD10 (Luhn).
    NoKid10,
    /// Norwegian KID with MOD11 (weights 2–7; 10 gives '-').
    NoKid11,
    /// Danish FIK / indbetalingskort +71: a 15-digit payment id, 14 digits (the base, zero-padded)
    /// and a modulus-10 check digit (weights 2, 1 from the right, as Luhn).
    DkFik71,
}

impl Scheme {
    /// Every scheme.
    pub const ALL: &'static [Scheme] =
        &[Scheme::SeOcr, Scheme::SeOcrLen, Scheme::Fi, Scheme::Rf, Scheme::NoKid10, Scheme::NoKid11, Scheme::DkFik71];
    /// Its name on the command line ("se-ocr", …).
    pub fn name(self) -> &'static str {
        match self {
            Scheme::SeOcr => "se-ocr",
            Scheme::SeOcrLen => "se-ocr-len",
            Scheme::Fi => "fi",
            Scheme::Rf => "rf",
            Scheme::NoKid10 => "no-kid10",
            Scheme::NoKid11 => "no-kid11",
            Scheme::DkFik71 => "dk-fik71",
        }
    }
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Scheme {
    type Err = ParseError;
    fn from_str(s: &str) -> Result<Self, ParseError> {
        Scheme::ALL.iter().copied().find(|x| x.name() == s.trim().to_ascii_lowercase()).ok_or_else(|| {
            ParseError(format!(
                "unknown scheme '{s}' (one of: {})",
                Scheme::ALL.iter().map(|x| x.name()).collect::<Vec<_>>().join(", ")
            ))
        })
    }
}

/// Removes spaces (and for RF, upper-cases); references are printed in groups.
pub fn normalize(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_uppercase()
}

fn digits(s: &str) -> Option<Vec<u32>> {
    if s.is_empty() {
        return None;
    }
    s.chars().map(|c| c.to_digit(10)).collect()
}

/// The Luhn (mod 10) check digit for `base`.
pub fn luhn_digit(base: &[u32]) -> u32 {
    let sum: u32 = base
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                *d
            }
        })
        .sum();
    (10 - sum % 10) % 10
}

#[allow(clippy::indexing_slicing, reason = "i % 3 indexes three weights")]
fn fi_digit(base: &[u32]) -> u32 {
    const W: [u32; 3] = [7, 3, 1];
    let sum: u32 = base.iter().rev().enumerate().map(|(i, d)| d * W[i % 3]).sum();
    (10 - sum % 10) % 10
}

/// MOD11 check: Some(digit), or None where the remainder gives 10 (written '-').
fn mod11_digit(base: &[u32]) -> Option<u32> {
    let sum: u32 = base.iter().rev().enumerate().map(|(i, d)| d * (2 + (i as u32 % 6))).sum();
    match 11 - sum % 11 {
        11 => Some(0),
        10 => None,
        x => Some(x),
    }
}

fn rf_mod97(s: &str) -> Option<u32> {
    let mut rem: u32 = 0;
    for c in s.chars() {
        let v = c.to_digit(36)?;
        if v >= 10 {
            rem = (rem * 100 + v) % 97;
        } else {
            rem = (rem * 10 + v) % 97;
        }
    }
    Some(rem)
}

fn digits_to_string(d: &[u32]) -> String {
    d.iter().map(|x| char::from_digit(*x, 10).unwrap_or('0')).collect()
}

/// Makes a reference in `scheme` from `base` (digits; alphanumerics for RF).
pub fn make(scheme: Scheme, base: &str) -> Result<String, ParseError> {
    let base = normalize(base);
    match scheme {
        Scheme::Rf => {
            if base.is_empty() || base.len() > 21 || !base.chars().all(|c| c.is_ascii_alphanumeric()) {
                return Err("an RF reference's base is 1–21 letters or digits".into());
            }
            let rem = rf_mod97(&format!("{base}RF00")).ok_or("invalid character")?;
            Ok(format!("RF{:02}{base}", 98 - rem))
        }
        _ => {
            let d = digits(&base).ok_or_else(|| format!("'{base}' is not a number"))?;
            let (min, max) = match scheme {
                Scheme::SeOcr => (1, 24),
                Scheme::SeOcrLen => (1, 23),
                Scheme::Fi => (3, 19),
                Scheme::DkFik71 => (1, 14),
                _ => (1, 24),
            };
            if d.len() < min || d.len() > max {
                return Err(ParseError(format!("{scheme} needs a base of {min}–{max} digits")));
            }
            Ok(match scheme {
                Scheme::SeOcr | Scheme::NoKid10 => format!("{base}{}", luhn_digit(&d)),
                Scheme::SeOcrLen => {
                    let mut v = d.clone();
                    v.push(((d.len() + 2) % 10) as u32);
                    format!("{}{}", digits_to_string(&v), luhn_digit(&v))
                }
                Scheme::Fi => format!("{base}{}", fi_digit(&d)),
                Scheme::NoKid11 => match mod11_digit(&d) {
                    Some(c) => format!("{base}{c}"),
                    None => format!("{base}-"),
                },
                Scheme::DkFik71 => {
                    let padded = format!("{base:0>14}");
                    let v = digits(&padded).ok_or("not a number")?;
                    format!("{padded}{}", luhn_digit(&v))
                }
                Scheme::Rf => unreachable!(),
            })
        }
    }
}

/// Whether `reference` is valid in `scheme`.
#[allow(
    clippy::indexing_slicing,
    reason = "lengths are checked before each slice, and references are ASCII after normalize"
)]
pub fn is_valid(scheme: Scheme, reference: &str) -> bool {
    let r = normalize(reference);
    if scheme == Scheme::Rf {
        let ok_shape = r.len() >= 5
            && r.len() <= 25
            && r.starts_with("RF")
            && r[2..4].chars().all(|c| c.is_ascii_digit())
            && r[4..].chars().all(|c| c.is_ascii_alphanumeric());
        return ok_shape && rf_mod97(&format!("{}{}", &r[4..], &r[..4])) == Some(1);
    }
    if r.len() < 2 {
        return false;
    }
    let (base, check) = r.split_at(r.len() - 1);
    if scheme == Scheme::NoKid11 && check == "-" {
        return digits(base).is_some_and(|d| mod11_digit(&d).is_none());
    }
    let Some(all) = digits(&r) else { return false };
    let (b, c) = (&all[..all.len() - 1], all[all.len() - 1]);
    match scheme {
        Scheme::SeOcr | Scheme::NoKid10 => (2..=25).contains(&all.len()) && luhn_digit(b) == c,
        Scheme::SeOcrLen => {
            all.len() >= 3 && all.len() <= 25 && luhn_digit(b) == c && b[b.len() - 1] == (all.len() % 10) as u32
        }
        Scheme::Fi => (4..=20).contains(&all.len()) && fi_digit(b) == c,
        Scheme::NoKid11 => mod11_digit(b) == Some(c),
        Scheme::DkFik71 => all.len() == 15 && luhn_digit(b) == c,
        Scheme::Rf => unreachable!(),
    }
}

/// Every scheme in which `reference` is valid.
pub fn valid_schemes(reference: &str) -> Vec<Scheme> {
    Scheme::ALL.iter().copied().filter(|s| is_valid(*s, reference)).collect()
}

/// Bankgirot's OCR control levels for a payee's bankgiro number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BgControl {
    /// Any reference accepted (no check).
    Soft,
    /// Luhn check digit required.
    Hard,
    /// Luhn check digit and length digit.
    VariableLength,
    /// Luhn check digit and one of (at most) two fixed lengths.
    FixedLength(usize, Option<usize>),
}

/// Whether Bankgirot would accept `reference` under `control`.
pub fn bankgirot_accepts(control: BgControl, reference: &str) -> bool {
    let r = normalize(reference);
    let numeric = !r.is_empty() && r.len() <= 25 && r.chars().all(|c| c.is_ascii_digit());
    match control {
        BgControl::Soft => !r.is_empty() && r.len() <= 25,
        BgControl::Hard => numeric && is_valid(Scheme::SeOcr, &r),
        BgControl::VariableLength => numeric && is_valid(Scheme::SeOcrLen, &r),
        BgControl::FixedLength(a, b) => numeric && is_valid(Scheme::SeOcr, &r) && (r.len() == a || Some(r.len()) == b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn vectors_from_the_rules() {
        assert_eq!(make(Scheme::SeOcr, "123").unwrap(), "1230");
        assert_eq!(make(Scheme::SeOcrLen, "1234567890").unwrap(), "123456789023");
        assert_eq!(make(Scheme::Fi, "123123").unwrap(), "1231234");
        assert_eq!(make(Scheme::Rf, "539007547034").unwrap(), "RF18539007547034");
        assert!(is_valid(Scheme::Rf, "RF18 5390 0754 7034"));
        assert!(!is_valid(Scheme::Rf, "RF19 5390 0754 7034"));
        assert_eq!(make(Scheme::NoKid10, "234567").unwrap(), "2345676");
        // FIK +71: "123" padded to 00000000000123; from the right 3×2 + 2×1 + 1×2 = 10 → check 0.
        assert_eq!(make(Scheme::DkFik71, "123").unwrap(), "000000000001230");
        assert!(is_valid(Scheme::DkFik71, "000000000001230"));
        assert!(!is_valid(Scheme::DkFik71, "000000000001231"));
        assert!(!is_valid(Scheme::DkFik71, "1230"), "a payment id has 15 digits");
        assert_eq!(make(Scheme::NoKid11, "1234567890").unwrap(), "12345678903");
    }

    #[test]
    fn validation_and_schemes() {
        assert!(is_valid(Scheme::SeOcr, "1230"));
        assert!(!is_valid(Scheme::SeOcr, "1231"));
        assert!(is_valid(Scheme::SeOcrLen, "123456789023"));
        assert!(!is_valid(Scheme::SeOcrLen, "123456789013"), "wrong length digit");
        assert!(is_valid(Scheme::Fi, "12312 34"));
        assert!(valid_schemes("RF18539007547034") == vec![Scheme::Rf]);
        assert!(valid_schemes("abc").is_empty());
        assert!(make(Scheme::Fi, "12").is_err(), "FI base needs 3 digits");
        assert!(make(Scheme::SeOcr, "12a").is_err());
    }

    #[test]
    fn mod11_remainder_ten_gives_dash() {
        // Find a base whose MOD11 remainder is 10 and check the round trip.
        let base = (1..1000).map(|n| n.to_string()).find(|b| mod11_digit(&digits(b).unwrap()).is_none()).unwrap();
        let r = make(Scheme::NoKid11, &base).unwrap();
        assert!(r.ends_with('-'));
        assert!(is_valid(Scheme::NoKid11, &r));
    }

    #[test]
    fn bankgirot_control_levels() {
        assert!(bankgirot_accepts(BgControl::Soft, "ABC 12"));
        assert!(bankgirot_accepts(BgControl::Hard, "1230"));
        assert!(!bankgirot_accepts(BgControl::Hard, "1231"));
        assert!(bankgirot_accepts(BgControl::VariableLength, "123456789023"));
        assert!(!bankgirot_accepts(BgControl::VariableLength, "1230"));
        assert!(bankgirot_accepts(BgControl::FixedLength(4, Some(12)), "1230"));
        assert!(!bankgirot_accepts(BgControl::FixedLength(5, None), "1230"));
    }

    proptest! {
        #[test]
        fn made_references_validate_and_one_changed_digit_does_not(base in "[1-9][0-9]{3,17}", pos in 0usize..18, delta in 1u32..10) {
            for s in Scheme::ALL.iter().copied() {
                // A FIK payment id holds at most 14 digits of base.
                let base = if s == Scheme::DkFik71 { &base[..base.len().min(14)] } else { base.as_str() };
                let r = make(s, base).unwrap();
                prop_assert!(is_valid(s, &r), "{} {}", s, r);
                // Luhn, 7-3-1 and mod 97 detect every single-digit error; MOD11 too.
                let mut chars: Vec<char> = r.chars().collect();
                let i = if s == Scheme::Rf { 4 + pos % (chars.len() - 4) } else { pos % chars.len() };
                if let Some(d) = chars[i].to_digit(10) {
                    chars[i] = char::from_digit((d + delta) % 10, 10).unwrap();
                    let changed: String = chars.iter().collect();
                    if s != Scheme::SeOcrLen || i != chars.len() - 2 {
                        prop_assert!(!is_valid(s, &changed) || changed == r, "{} accepted {} (from {})", s, changed, r);
                    }
                }
            }
        }
    }
}
