//! The message the letter and channel tests send.

#![allow(dead_code, reason = "each test file uses part of it")]

use chrono::NaiveDate;
use fordra_app::outbox::{ClaimLine, FeeLine, InterestLine, Message, Party, PaymentInfo};
use fordra_app::{ClaimId, CreditorId, CustomerId, Minor};
use fordra_core::domain::{Channel, DebtorKind, JurisdictionCode, MessageKind, Segment};

pub fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// One claim of 1 000.00 with 12.34 interest and a 60.00 reminder fee, due 2026-10-15,
/// sent 2026-11-02 with a deadline of 2026-11-16.
pub fn message(j: JurisdictionCode, lang: &str, currency: &'static str, kind: MessageKind) -> Message {
    let (reference, bankgiro, iban) = match j {
        JurisdictionCode::SE => ("10016405", Some("5050-1055".to_string()), None),
        JurisdictionCode::FI => ("11112", None, Some("FI3715903000000776".to_string())),
        JurisdictionCode::NO => ("0001234567", None, Some("NO9386011117947".to_string())),
        _ => ("RF9811112", None, Some("DK5000400440116243".to_string())),
    };
    let claim = ClaimLine {
        claim: ClaimId("INV-1001".into()),
        invoice_number: "1001".into(),
        issue_date: d("2026-09-15"),
        due_date: d("2026-10-15"),
        reference: Some(reference.into()),
        invoiced: Minor(1000_00),
        paid: Minor(0),
        principal: Minor(1000_00),
        interest: Minor(0),
        interest_accrued: Minor(12_34),
        interest_total: Minor(12_34),
        interest_periods: vec![InterestLine {
            from: d("2026-10-16"),
            through: d("2026-11-02"),
            days: 18,
            principal: Minor(1000_00),
            rate: "25".into(),
            basis: "statutory".into(),
        }],
        fees: Minor(60_00),
        fee_lines: vec![FeeLine {
            kind: "reminder".into(),
            date: d("2026-11-02"),
            amount: Minor(60_00),
            basis: "law".into(),
        }],
        total: Minor(1072_34),
        to_pay: Minor(1080_56),
    };
    Message {
        key: "INV-1001/2".into(),
        creditor_id: CreditorId("acme".into()),
        customer_id: CustomerId("C-7".into()),
        kind,
        channel: Channel::Letter,
        language: lang.into(),
        segment: Some(Segment::Normal),
        debtor_kind: DebtorKind::Consumer,
        jurisdiction: j,
        date: d("2026-11-02"),
        deadline: Some(d("2026-11-16")),
        creditor: Party {
            name: "Acme AB".into(),
            address: vec!["Box 1".into(), "111 11 Stockholm".into()],
            org_no: Some("556677-8899".into()),
            email: Some("inkasso@acme.example".into()),
            phone: None,
        },
        agency: None,
        debtor: Party {
            name: "Eva Ek".into(),
            address: vec!["Storgatan 1".into(), "411 01 Göteborg".into()],
            org_no: None,
            email: Some("eva@example.se".into()),
            phone: Some("+46701234567".into()),
        },
        claims: vec![claim],
        total: Minor(1072_34),
        payment: PaymentInfo {
            bankgiro,
            iban,
            reference: Some(reference.into()),
            amount: Minor(1080_56),
            currency,
            deadline: Some(d("2026-11-16")),
        },
        arm: None,
        step_no: 2,
        in_doubt: false,
        texts: Default::default(),
        mailbox: None,
        logo: None,
        track_opening: false,
    }
}
