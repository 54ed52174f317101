//! The Finnish reference payment file (KTL, "saapuvat viitemaksut"): 90-character records.
//! 0 = batch header, 3 = reference payment, 5 = correction, 9 = batch summary. Positions 1-based:
//! record 3/5: 2-15 account, 16-21 booking date, 22-27 payment date (YYMMDD), 28-43 archive id,
//! 44-63 reference, 64-75 payer name, 76 currency (1 = euro), 78-87 amount in cents,
//! 88 correction flag; record 9: 2-7 number of payments, 8-18 their sum, 19-24 number of
//! corrections, 25-35 their sum. Written by hand: no maintained crate reads KTL.

use chrono::NaiveDate;
use serde::Serialize;

/// Why a KTL file was refused: the line, the record type and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line} (record {record}): {message}")]
pub struct KtlError {
    /// Line in the file (1-based).
    pub line: usize,
    /// Record type ("0", "3", "5", "9").
    pub record: String,
    /// What is wrong.
    pub message: String,
}

/// A KTL file: its batches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KtlFile {
    /// In file order.
    pub batches: Vec<KtlBatch>,
}

/// One batch: a header (0), payments and corrections (3/5), a summary (9).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KtlBatch {
    /// Line of the header.
    pub line: usize,
    /// When the bank made the batch.
    pub created: Option<NaiveDate>,
    /// Its payments and corrections.
    pub payments: Vec<KtlPayment>,
}

/// A reference payment (3) or a correction (5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KtlPayment {
    /// Line of the record.
    pub line: usize,
    /// The creditor's account the money came to (domestic form).
    pub account: String,
    /// The day the bank booked it.
    pub booking_date: NaiveDate,
    /// The day the payer paid.
    pub payment_date: NaiveDate,
    /// The bank's archive id: unique per payment, the idempotency key.
    pub archive_id: String,
    /// The Finnish reference (viitenumero) or RF reference.
    pub reference: String,
    /// The payer's name (abbreviated by the bank).
    pub payer: String,
    /// In cents; a correction (record 5 or flag 1) reverses a payment and is negative here.
    pub amount: i64,
    /// A correction of an earlier payment.
    pub correction: bool,
}

fn yymmdd(s: &str) -> Option<NaiveDate> {
    if s.len() != 6 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let y: i32 = s[0..2].parse().ok()?;
    NaiveDate::from_ymd_opt(2000 + y, s[2..4].parse().ok()?, s[4..6].parse().ok()?)
}

/// Parses a KTL file; every batch must reconcile with its summary record or the file is refused.
pub fn parse(bytes: &[u8]) -> Result<KtlFile, KtlError> {
    let text = crate::bgmax::latin1(bytes);
    let mut file = KtlFile { batches: vec![] };
    let mut open: Option<KtlBatch> = None;
    for (i, raw) in text.split('\n').enumerate() {
        let line = i + 1;
        let raw = raw.strip_suffix('\r').unwrap_or(raw);
        if raw.trim().is_empty() {
            continue;
        }
        let c: Vec<char> = raw.chars().collect();
        let kind: String = c.iter().take(1).collect();
        let err = |m: String| KtlError { line, record: kind.clone(), message: m };
        if c.len() > 90 {
            return Err(err(format!("{} characters; a record has 90", c.len())));
        }
        let f = |a: usize, b: usize| -> String {
            c.get(a - 1..b.min(c.len())).map(|s| s.iter().collect::<String>()).unwrap_or_default().trim().to_string()
        };
        let num = |a: usize, b: usize, what: &str| -> Result<i64, KtlError> {
            let v = f(a, b);
            if v.is_empty() || !v.bytes().all(|x| x.is_ascii_digit()) {
                return Err(err(format!("positions {a}-{b} ({what}): '{v}' is not a number")));
            }
            v.parse().map_err(|_| err(format!("positions {a}-{b} ({what}): too large")))
        };
        let date = |a: usize, b: usize, what: &str| -> Result<NaiveDate, KtlError> {
            yymmdd(&f(a, b))
                .ok_or_else(|| err(format!("positions {a}-{b} ({what}): '{}' is not a date YYMMDD", f(a, b))))
        };
        match kind.as_str() {
            "0" => {
                if open.is_some() {
                    return Err(err("a new batch before the previous batch's summary (9)".into()));
                }
                open = Some(KtlBatch { line, created: yymmdd(&f(2, 7)), payments: vec![] });
            }
            "3" | "5" => {
                let Some(b) = open.as_mut() else { return Err(err("a payment outside a batch (no header 0)".into())) };
                let correction = kind == "5" || f(88, 88) == "1";
                let amount = num(78, 87, "amount")?;
                let cur = f(76, 76);
                if !cur.is_empty() && cur != "1" {
                    return Err(err(format!("position 76: currency code '{cur}' (only 1 = euro is in use)")));
                }
                b.payments.push(KtlPayment {
                    line,
                    account: f(2, 15),
                    booking_date: date(16, 21, "booking date")?,
                    payment_date: date(22, 27, "payment date")?,
                    archive_id: f(28, 43),
                    reference: f(44, 63).trim_start_matches('0').to_string(),
                    payer: f(64, 75),
                    amount: if correction { -amount } else { amount },
                    correction,
                });
            }
            "9" => {
                let Some(b) = open.take() else { return Err(err("a summary outside a batch".into())) };
                let (n, sum) = (num(2, 7, "number of payments")?, num(8, 18, "sum of payments")?);
                let pays: Vec<&KtlPayment> = b.payments.iter().filter(|p| !p.correction).collect();
                let found: i64 = pays.iter().map(|p| p.amount).sum();
                if n != pays.len() as i64 || sum != found {
                    return Err(err(format!(
                        "the summary says {n} payments of {}, the batch has {} of {}",
                        cents(sum),
                        pays.len(),
                        cents(found)
                    )));
                }
                let corr: Vec<&KtlPayment> = b.payments.iter().filter(|p| p.correction).collect();
                if f(19, 24).chars().any(|x| x.is_ascii_digit()) {
                    let (cn, cs) = (num(19, 24, "number of corrections")?, num(25, 35, "sum of corrections")?);
                    let found: i64 = corr.iter().map(|p| -p.amount).sum();
                    if cn != corr.len() as i64 || cs != found {
                        return Err(err(format!(
                            "the summary says {cn} corrections of {}, the batch has {} of {}",
                            cents(cs),
                            corr.len(),
                            cents(found)
                        )));
                    }
                }
                file.batches.push(b);
            }
            other => return Err(err(format!("unknown record type '{other}'"))),
        }
    }
    if let Some(b) = open {
        return Err(KtlError {
            line: b.line,
            record: "0".into(),
            message: "the batch has no summary record (9)".into(),
        });
    }
    if file.batches.is_empty() {
        return Err(KtlError { line: 1, record: "-".into(), message: "no batch in the file".into() });
    }
    Ok(file)
}

fn cents(x: i64) -> String {
    format!("{}.{:02}", x / 100, (x % 100).abs())
}

/// Writes a KTL file: the inverse of `parse` (tests and fixtures).
pub fn write(file: &KtlFile) -> Vec<u8> {
    let mut out = String::new();
    for b in &file.batches {
        out.push_str(&format!(
            "{:<90}\r\n",
            format!(
                "0{}0000{:<2}",
                b.created.map(|d| d.format("%y%m%d").to_string()).unwrap_or_else(|| "000000".into()),
                "01"
            )
        ));
        for p in &b.payments {
            let rec = format!(
                "{}{:<14}{}{}{:<16}{:0>20}{:<12}1 {:0>10}{}  ",
                if p.correction { 5 } else { 3 },
                p.account,
                p.booking_date.format("%y%m%d"),
                p.payment_date.format("%y%m%d"),
                p.archive_id,
                p.reference,
                p.payer.chars().take(12).collect::<String>(),
                p.amount.abs(),
                u8::from(p.correction)
            );
            out.push_str(&format!("{rec:<90}\r\n"));
        }
        let pays: Vec<&KtlPayment> = b.payments.iter().filter(|p| !p.correction).collect();
        let corr: Vec<&KtlPayment> = b.payments.iter().filter(|p| p.correction).collect();
        let rec = format!(
            "9{:0>6}{:0>11}{:0>6}{:0>11}",
            pays.len(),
            pays.iter().map(|p| p.amount).sum::<i64>(),
            corr.len(),
            corr.iter().map(|p| -p.amount).sum::<i64>()
        );
        out.push_str(&format!("{rec:<90}\r\n"));
    }
    out.chars().map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?')).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn sample() -> KtlFile {
        let p = |ref_: &str, amount: i64, arch: &str, corr: bool| KtlPayment {
            line: 0,
            account: "29501800000014".into(),
            booking_date: d("2024-04-02"),
            payment_date: d("2024-04-02"),
            archive_id: arch.into(),
            reference: ref_.into(),
            payer: "MEIKÄLÄINEN".into(),
            amount,
            correction: corr,
        };
        KtlFile {
            batches: vec![KtlBatch {
                line: 0,
                created: Some(d("2024-04-02")),
                payments: vec![
                    p("1231234", 12050, "240402ABCD000001", false),
                    p("1231247", 5000, "240402ABCD000002", false),
                    p("1231234", -12050, "240402ABCD000003", true),
                ],
            }],
        }
    }

    #[test]
    fn round_trip_with_correction() {
        let bytes = write(&sample());
        assert!(crate::bgmax::latin1(&bytes).lines().all(|l| l.trim_end_matches('\r').chars().count() == 90));
        let f = parse(&bytes).unwrap();
        let p = &f.batches[0].payments;
        assert_eq!((p[0].reference.as_str(), p[0].amount, p[0].payer.as_str()), ("1231234", 12050, "MEIKÄLÄINEN"));
        assert_eq!(p[0].payment_date, d("2024-04-02"));
        assert_eq!(p[0].archive_id, "240402ABCD000001");
        assert!(p[2].correction && p[2].amount == -12050);
    }

    #[test]
    fn the_fixture_file() {
        let f = parse(include_bytes!("../tests/data/viitemaksut.ktl")).unwrap();
        let p = &f.batches[0].payments;
        assert_eq!(
            (p[0].reference.as_str(), p[0].amount, p[0].payer.as_str(), p[0].archive_id.as_str()),
            ("1231234", 12050, "MEIKÄLÄINEN", "240402ABCD000001")
        );
        assert!(p[1].correction && p[1].amount == -12050);
    }

    #[test]
    fn summary_must_match() {
        let text = crate::bgmax::latin1(&write(&sample())).replacen("9000002", "9000003", 1);
        let bytes: Vec<u8> = text.chars().map(|c| u32::from(c) as u8).collect();
        let e = parse(&bytes).unwrap_err().to_string();
        assert_eq!(e, "line 5 (record 9): the summary says 3 payments of 170.50, the batch has 2 of 170.50");
        assert!(parse(b"3abc").unwrap_err().to_string().contains("outside a batch"));
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let _ = parse(&bytes);
        }
    }
}
