//! Machine-readable payment codes printed on letters (letters-and-payment-codes.md): the Finnish
//! bank barcode ("virtuaaliviivakoodi", versions 4 and 5), the EPC QR code for SEPA credit
//! transfers (EPC069-12) and the Swedish/Norwegian UsingQR payload. Each is the text the code
//! carries; drawing it (Code 128, QR) is the letter renderer's. Hand-written: each is a fixed
//! layout of a few fields, checked against the published vectors below.

use crate::domain::ParseError;
use crate::reference::{is_valid, normalize, Scheme};
use chrono::{Datelike, NaiveDate};

/// The 54-digit Finnish bank barcode for a payment to `iban` (a Finnish IBAN) of `cents` euro
/// cents with `reference` (a national viitenumero: version 4; an RF reference: version 5) due on
/// `due` (none: `000000`). Pankkiviivakoodi-opas v5.3 (Finanssiala).
pub fn fi_bank_barcode(iban: &str, reference: &str, cents: i64, due: Option<NaiveDate>) -> Result<String, ParseError> {
    let iban = normalize(iban);
    let account =
        iban.strip_prefix("FI").filter(|a| a.len() == 16 && a.chars().all(|c| c.is_ascii_digit())).ok_or_else(
            || ParseError(format!("the Finnish bank barcode needs a Finnish IBAN (FI + 16 digits), not '{iban}'")),
        )?;
    if !(0..=99_999_999).contains(&cents) {
        return Err(ParseError(format!(
            "the Finnish bank barcode holds amounts up to 999 999.99 €, not {}",
            crate::money::format_minor(cents)
        )));
    }
    let amount = format!("{:06}{:02}", cents / 100, cents % 100);
    let due =
        due.map_or_else(|| "000000".to_string(), |d| format!("{:02}{:02}{:02}", d.year() % 100, d.month(), d.day()));
    let r = normalize(reference);
    if let Some(rest) = r.strip_prefix("RF").filter(|_| is_valid(Scheme::Rf, &r)) {
        let (check, body) = rest.split_at(2.min(rest.len()));
        if body.len() > 21 || !body.chars().all(|c| c.is_ascii_digit()) {
            return Err(ParseError(format!("version 5 carries a numeric RF reference of up to 21 digits, not '{r}'")));
        }
        return Ok(format!("5{account}{amount}{check}{body:0>21}{due}"));
    }
    if r.len() > 20 || !is_valid(Scheme::Fi, &r) {
        return Err(ParseError(format!("'{reference}' is not a Finnish reference (viitenumero) or RF reference")));
    }
    Ok(format!("4{account}{amount}000{r:0>20}{due}"))
}

/// What an EPC QR code asks the payer's bank to pay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SepaTransfer<'a> {
    /// The beneficiary (at most 70 characters).
    pub name: &'a str,
    /// The beneficiary's IBAN.
    pub iban: &'a str,
    /// The BIC (optional in version 002).
    pub bic: Option<&'a str>,
    /// Euro cents, 1 to 99 999 999 999.
    pub cents: i64,
    /// A structured reference (RF, or a national one; at most 35 characters).
    pub reference: Option<&'a str>,
    /// Unstructured text when there is no reference (at most 140 characters).
    pub text: Option<&'a str>,
}

/// The EPC QR code's payload (EPC069-12 version 002, UTF-8): lines separated by LF, nothing after
/// the last element given, at most 331 bytes. Error correction level M when drawn.
pub fn epc_qr(t: &SepaTransfer<'_>) -> Result<String, ParseError> {
    let name: String = t.name.chars().take(70).collect();
    if !(1..=99_999_999_999).contains(&t.cents) {
        return Err(ParseError("an EPC QR code's amount is from EUR0.01 to EUR999999999.99".into()));
    }
    let iban = normalize(t.iban);
    if iban.len() < 15 || iban.len() > 34 {
        return Err(ParseError(format!("'{}' is not an IBAN", t.iban)));
    }
    let reference = t.reference.map(normalize).filter(|r| !r.is_empty());
    if reference.as_ref().is_some_and(|r| r.len() > 35) {
        return Err(ParseError("an EPC QR code's reference is at most 35 characters".into()));
    }
    let text: String =
        if reference.is_some() { String::new() } else { t.text.unwrap_or("").chars().take(140).collect() };
    let mut lines = vec![
        "BCD".to_string(),
        "002".into(),
        "1".into(),
        "SCT".into(),
        t.bic.unwrap_or("").to_string(),
        name,
        iban,
        format!("EUR{}.{:02}", t.cents / 100, t.cents % 100),
        String::new(),
        reference.unwrap_or_default(),
        text,
    ];
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    let payload = lines.join("\n");
    if payload.len() > 331 {
        return Err(ParseError(format!("an EPC QR payload is at most 331 bytes, this one is {}", payload.len())));
    }
    Ok(payload)
}

/// What a UsingQR code (Sweden, Norway) carries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsingQr<'a> {
    /// Payee.
    pub name: &'a str,
    /// Country code ("SE", "NO").
    pub country: &'a str,
    /// The payee's organisation number.
    pub org_no: Option<&'a str>,
    /// The reference (OCR, KID) or invoice number.
    pub reference: &'a str,
    /// Invoice date.
    pub issued: NaiveDate,
    /// Due date.
    pub due: NaiveDate,
    /// Amount in minor units.
    pub minor: i64,
    /// Currency code.
    pub currency: &'a str,
    /// `BG`, `PG`, `BBAN` or `IBAN`.
    pub account_type: &'a str,
    /// The account.
    pub account: &'a str,
}

/// The UsingQR payload (Visma's open format, revision 2): one line of JSON, fields in the
/// format's order, the amount with two decimals.
pub fn using_qr(u: &UsingQr<'_>) -> String {
    let q = |s: &str| serde_json::Value::from(s).to_string();
    let cid = u.org_no.map(|o| format!(",\"cid\":{}", q(o))).unwrap_or_default();
    format!(
        "{{\"uqr\":1,\"tp\":1,\"nme\":{},\"cc\":{}{cid},\"iref\":{},\"idt\":\"{}\",\"ddt\":\"{}\",\"due\":{},\"cur\":{},\"pt\":{},\"acc\":{}}}",
        q(u.name),
        q(u.country),
        q(u.reference),
        u.issued.format("%Y%m%d"),
        u.due.format("%Y%m%d"),
        crate::money::format_minor(u.minor),
        q(u.currency),
        q(u.account_type),
        q(u.account),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// Pankkiviivakoodi-opas v5.3, example: IBAN FI37 1590 3000 0007 76, reference 11112, 12.25 €,
    /// due 2016-12-21 → version 4; RF9811112, 1.10 €, due 2017-01-01 → version 5.
    #[test]
    fn finnish_bank_barcode_matches_the_guide() {
        assert_eq!(
            fi_bank_barcode("FI37 1590 3000 0007 76", "11112", 12_25, Some(d("2016-12-21"))).unwrap(),
            "437159030000007760000122500000000000000000011112161221"
        );
        assert_eq!(
            fi_bank_barcode("FI37 1590 3000 0007 76", "RF98 1111 2", 1_10, Some(d("2017-01-01"))).unwrap(),
            "537159030000007760000011098000000000000000011112170101"
        );
        assert_eq!(fi_bank_barcode("FI3715903000000776", "11112", 12_25, None).unwrap().len(), 54);
        assert!(fi_bank_barcode("SE4550000000058398257466", "11112", 100, None).is_err());
        assert!(fi_bank_barcode("FI3715903000000776", "11113", 100, None).is_err(), "bad check digit");
        assert!(fi_bank_barcode("FI3715903000000776", "11112", 100_000_000, None).is_err());
    }

    /// EPC069-12: the lines in order, the reference instead of text, nothing after the last.
    #[test]
    fn epc_qr_payload() {
        let t = SepaTransfer {
            name: "Acme Oy",
            iban: "FI37 1590 3000 0007 76",
            bic: None,
            cents: 12_25,
            reference: Some("RF98 1111 2"),
            text: Some("ignored when a reference is given"),
        };
        assert_eq!(epc_qr(&t).unwrap(), "BCD\n002\n1\nSCT\n\nAcme Oy\nFI3715903000000776\nEUR12.25\n\nRF9811112");
        let t = SepaTransfer { reference: None, text: Some("Invoice 1001"), ..t };
        assert!(epc_qr(&t).unwrap().ends_with("EUR12.25\n\n\nInvoice 1001"));
        assert!(epc_qr(&SepaTransfer { cents: 0, ..t }).is_err());
    }

    /// The format's own example, field by field.
    #[test]
    fn using_qr_payload() {
        let u = UsingQr {
            name: "Acme AB",
            country: "SE",
            org_no: Some("556677-8899"),
            reference: "100164",
            issued: d("2026-11-01"),
            due: d("2026-11-30"),
            minor: 1250_00,
            currency: "SEK",
            account_type: "BG",
            account: "5050-1055",
        };
        assert_eq!(
            using_qr(&u),
            r#"{"uqr":1,"tp":1,"nme":"Acme AB","cc":"SE","cid":"556677-8899","iref":"100164","idt":"20261101","ddt":"20261130","due":1250.00,"cur":"SEK","pt":"BG","acc":"5050-1055"}"#
        );
    }
}
