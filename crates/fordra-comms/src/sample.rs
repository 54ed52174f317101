//! Sample messages for the letter benchmark (`fordra bench --letters`): every language, every
//! kind, one to three claims, the payment codes of each country. Made up, never sent.

use chrono::{Duration, NaiveDate};
use fordra_app::outbox::{ClaimLine, FeeLine, InterestLine, Message, Party, PaymentInfo};
use fordra_app::{ClaimId, CreditorId, CustomerId, Minor};
use fordra_core::domain::{Channel, DebtorKind, JurisdictionCode, MessageKind, Segment};

/// The `i`-th sample message (the same `i` gives the same message).
#[allow(clippy::indexing_slicing, reason = "indices are taken modulo the arrays' lengths")]
pub fn message(i: usize) -> Message {
    let countries = [
        (JurisdictionCode::SE, "sv", "SEK", "5050-1055", "10016405"),
        (JurisdictionCode::FI, "fi", "EUR", "FI3715903000000776", "11112"),
        (JurisdictionCode::NO, "nb", "NOK", "NO9386011117947", "0001234567"),
        (JurisdictionCode::DK, "da", "DKK", "DK5000400440116243", "RF9811112"),
        (JurisdictionCode::SE, "en", "SEK", "5050-1055", "10016405"),
    ];
    let (j, lang, currency, account, reference) = countries[i % countries.len()];
    let kinds = [MessageKind::Reminder, MessageKind::Collection, MessageKind::PreDue, MessageKind::CollectionNotice];
    let kind = kinds[(i / countries.len()) % kinds.len()];
    let day = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap_or_default();
    let n = 1 + i % 3;
    let claims: Vec<ClaimLine> = (0..n)
        .map(|k| {
            let principal = 500_00 + ((i * 7919 + k * 104_729) % 20_000_00) as i64;
            ClaimLine {
                claim: ClaimId(format!("INV-{i}-{k}")),
                invoice_number: format!("{}", 100_000 + i * 3 + k),
                issue_date: day - Duration::days(60),
                due_date: day - Duration::days(30),
                reference: Some(reference.to_string()),
                invoiced: Minor(principal),
                paid: Minor(0),
                principal: Minor(principal),
                interest: Minor(0),
                interest_accrued: Minor(principal / 100),
                interest_total: Minor(principal / 100),
                interest_periods: vec![InterestLine {
                    from: day - Duration::days(29),
                    through: day,
                    days: 30,
                    principal: Minor(principal),
                    rate: "12.5".into(),
                    basis: "statutory".into(),
                }],
                fees: Minor(60_00),
                fee_lines: vec![FeeLine {
                    kind: "reminder".into(),
                    date: day,
                    amount: Minor(60_00),
                    basis: "law".into(),
                }],
                total: Minor(principal + principal / 100 + 60_00),
                to_pay: Minor(principal + principal / 100 + 60_00),
            }
        })
        .collect();
    let total: i64 = claims.iter().map(|c| c.total.0).sum();
    let (bankgiro, iban) =
        if account.contains('-') { (Some(account.to_string()), None) } else { (None, Some(account.to_string())) };
    Message {
        key: format!("INV-{i}-0/1"),
        creditor_id: CreditorId("sample".into()),
        customer_id: CustomerId(format!("C{i}")),
        kind,
        channel: Channel::Letter,
        language: lang.into(),
        segment: Some([Segment::Normal, Segment::Vip, Segment::Risk][i % 3]),
        debtor_kind: if i.is_multiple_of(4) { DebtorKind::Business } else { DebtorKind::Consumer },
        jurisdiction: j,
        date: day,
        deadline: Some(day + Duration::days(14)),
        creditor: Party {
            name: "Sample Creditor AB".into(),
            address: vec!["Box 1".into(), "111 11 Stockholm".into()],
            org_no: Some("556677-8899".into()),
            email: Some("ar@sample.example".into()),
            phone: Some("08-123 456".into()),
        },
        agency: None,
        debtor: Party {
            name: format!("Debtor {i}"),
            address: vec![format!("Street {}", i % 100), "411 01 Göteborg".into()],
            org_no: None,
            email: None,
            phone: None,
        },
        claims,
        total: Minor(total),
        payment: PaymentInfo {
            bankgiro,
            iban,
            reference: Some(reference.to_string()),
            amount: Minor(total),
            currency,
            deadline: Some(day + Duration::days(14)),
        },
        arm: None,
        step_no: 1,
        in_doubt: false,
        texts: Default::default(),
        mailbox: None,
        logo: None,
        track_opening: false,
    }
}
