//! BgMax, Bankgirot's file of incoming payments (80-character records, ISO-8859-1).
//! Written by hand: no maintained crate parses BgMax. Record layout per `nordic-rules.md`
//! (positions 1-based); a file must reconcile — each deposit's amount equals its payments minus
//! deductions, and the end record's counts match the records — or it is refused.

use chrono::NaiveDate;
use serde::Serialize;

/// Why a BgMax file was refused: the line, the record type and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line} (record {record}): {message}")]
pub struct BgMaxError {
    /// Line in the file (1-based).
    pub line: usize,
    /// Record type ("05", "20", …; "-" for the file as a whole).
    pub record: String,
    /// What is wrong.
    pub message: String,
}

/// A BgMax file: the start record's fields and its deposits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BgMaxFile {
    /// Layout version (start record, positions 23-24).
    pub version: String,
    /// When Bankgirot wrote the file (positions 25-44).
    pub created: String,
    /// A test file ("T" in position 45): its payments must not be booked.
    pub test: bool,
    /// The deposits, in file order.
    pub deposits: Vec<Deposit>,
    /// Things that were repaired and should be known (e.g. TAB characters expanded).
    pub warnings: Vec<String>,
}

/// One deposit: an opening record (05), its payments and deductions, and its deposit record (15).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Deposit {
    /// Line of the opening record.
    pub line: usize,
    /// The payee's bankgiro number (leading zeros removed).
    pub payee_bankgiro: String,
    /// The payee's plusgiro number, if given.
    pub payee_plusgiro: Option<String>,
    /// Currency code of the deposit.
    pub currency: String,
    /// The bank account the deposit was credited to.
    pub account: String,
    /// The day the money was credited.
    pub payment_date: NaiveDate,
    /// The deposit's serial number.
    pub serial: String,
    /// In öre.
    pub amount: i64,
    /// Number of payments and deductions the deposit record states.
    pub count: u32,
    /// Deposit type (position 80).
    pub kind: String,
    /// Payments (20) and deductions (21), in file order.
    pub payments: Vec<BgPayment>,
}

/// A payment (record 20) or deduction (21) with its extra references and payer details.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct BgPayment {
    /// Line of the record.
    pub line: usize,
    /// 20 (payment) or 21 (deduction).
    pub record: u8,
    /// The payer's bankgiro number, if the payer has one.
    pub payer_bankgiro: String,
    /// The payment reference (OCR number or free text).
    pub reference: String,
    /// In öre; a deduction (21) is positive here and subtracted from the deposit.
    pub amount: i64,
    /// 0/1 blank, 2 correct OCR, 3 incorrect OCR or free text, 4 correct UB, 5 incorrect UB.
    pub reference_code: u8,
    /// How the payment was made (1 electronic, 2 LB, 3 paper, 4 electronic via autogiro).
    pub channel: u8,
    /// Bankgirot's serial number: unique per payment, the idempotency key.
    pub serial: String,
    /// Bankgirot holds an image of the paper document.
    pub image: bool,
    /// For a deduction (21): its code (0 whole, 1 partial with remainder, 2 final partial).
    pub deduction_code: Option<u8>,
    /// More references for the same payment (records 22/23).
    pub extra_references: Vec<ExtraReference>,
    /// Information lines (record 25).
    pub info: Vec<String>,
    /// The payer's name (record 26).
    pub name: Option<String>,
    /// The payer's street address (record 27).
    pub address: Option<String>,
    /// The payer's postcode (record 27).
    pub postcode: Option<String>,
    /// The payer's city (record 28).
    pub city: Option<String>,
    /// The payer's country (record 28).
    pub country: Option<String>,
    /// The payer's organisation number (record 29).
    pub org_no: Option<String>,
}

impl BgPayment {
    /// The signed amount this record adds to its deposit.
    pub fn signed_amount(&self) -> i64 {
        if self.record == 21 {
            -self.amount
        } else {
            self.amount
        }
    }
}

/// One more reference of a payment (record 22, or 23 when negative).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ExtraReference {
    /// Line of the record.
    pub line: usize,
    /// The reference.
    pub reference: String,
    /// Its amount in öre.
    pub amount: i64,
    /// Record 23: a negative extra reference.
    pub negative: bool,
    /// As for the payment: the kind of reference.
    pub reference_code: u8,
}

/// Decodes ISO-8859-1: every byte is the code point of the same value.
pub fn latin1(bytes: &[u8]) -> String {
    bytes.iter().map(|b| char::from(*b)).collect()
}

/// Expands TABs to 8-column tab stops (Bankgirot's own sample holds a line where spaces were
/// replaced by TABs; expanding them restores the field positions).
fn expand_tabs(line: &str) -> String {
    let mut out = String::with_capacity(80);
    for c in line.chars() {
        if c == '\t' {
            let n = 8 - out.chars().count() % 8;
            out.extend(std::iter::repeat_n(' ', n));
        } else {
            out.push(c);
        }
    }
    out
}

struct Rec<'a> {
    line: usize,
    chars: Vec<char>,
    kind: &'a str,
}

impl Rec<'_> {
    fn err(&self, message: impl Into<String>) -> BgMaxError {
        BgMaxError { line: self.line, record: self.kind.to_string(), message: message.into() }
    }
    /// Positions `from..=to`, 1-based, trimmed.
    fn field(&self, from: usize, to: usize) -> String {
        self.chars
            .get(from - 1..to.min(self.chars.len()))
            .map(|s| s.iter().collect::<String>())
            .unwrap_or_default()
            .trim()
            .to_string()
    }
    fn num(&self, from: usize, to: usize, what: &str) -> Result<i64, BgMaxError> {
        let f = self.field(from, to);
        if f.is_empty() {
            return Ok(0);
        }
        if !f.chars().all(|c| c.is_ascii_digit()) {
            return Err(self.err(format!("positions {from}-{to} ({what}): '{f}' is not a number")));
        }
        f.parse().map_err(|_| self.err(format!("positions {from}-{to} ({what}): '{f}' is too large")))
    }
    fn digit(&self, pos: usize) -> u8 {
        self.chars.get(pos - 1).and_then(|c| c.to_digit(10)).unwrap_or(0) as u8
    }
    fn opt(&self, from: usize, to: usize) -> Option<String> {
        Some(self.field(from, to)).filter(|s| !s.is_empty())
    }
}

/// An amount within what any bank file may carry.
fn bounded(r: &Rec<'_>, x: i64, what: &str) -> Result<i64, BgMaxError> {
    if x > MAX_AMOUNT {
        return Err(r.err(format!("{what} {} is above the limit {}", ore(x), ore(MAX_AMOUNT))));
    }
    Ok(x)
}

fn payment_from(r: &Rec<'_>, record: u8) -> Result<BgPayment, BgMaxError> {
    Ok(BgPayment {
        line: r.line,
        record,
        payer_bankgiro: r.field(3, 12).trim_start_matches('0').to_string(),
        reference: r.field(13, 37),
        amount: r.num(38, 55, "amount")?,
        reference_code: r.digit(56),
        channel: r.digit(57),
        serial: r.field(58, 69),
        image: r.digit(70) == 1,
        deduction_code: (record == 21).then(|| r.digit(71)),
        ..Default::default()
    })
}

/// Parses and reconciles a BgMax file, keeping every deposit.
pub fn parse(bytes: &[u8]) -> Result<BgMaxFile, BgMaxError> {
    let mut r = Reader::new(bytes);
    let mut deposits = Vec::new();
    while let Some(d) = r.next_deposit()? {
        deposits.push(d);
    }
    let mut file = r.file;
    file.deposits = deposits;
    Ok(file)
}

/// The largest amount of one record, in öre (10 000 000 000.00 SEK, Fordra's limit): a file
/// claiming more is refused rather than summed.
pub const MAX_AMOUNT: i64 = 1_000_000_000_000;

/// The file's lines, numbered.
type Lines<'a> = std::iter::Enumerate<std::slice::Split<'a, u8, fn(&u8) -> bool>>;

/// Reads a BgMax file record by record and yields each deposit as soon as its deposit record (15)
/// has reconciled it; the file is never held whole as text, so a 100 MB file costs one deposit
/// of memory at a time. A caller booking deposits as they come must undo them if a later call
/// fails (a later deposit that does not reconcile, end-record counts that do not match): the
/// file stands or falls whole. [`parse`] reads the whole file at once.
pub struct Reader<'a> {
    lines: Lines<'a>,
    /// Start-record fields and warnings (its `deposits` stay empty).
    pub file: BgMaxFile,
    open: Option<Deposit>,
    seen_start: bool,
    seen_end: bool,
    counts: (i64, i64, i64, i64),
    last_line: usize,
}

fn is_newline(b: &u8) -> bool {
    *b == b'\n'
}

impl<'a> Reader<'a> {
    /// A reader over the file's bytes (ISO-8859-1, lines ended by LF or CRLF).
    pub fn new(bytes: &'a [u8]) -> Reader<'a> {
        Reader {
            lines: bytes.split(is_newline as fn(&u8) -> bool).enumerate(),
            file: BgMaxFile {
                version: String::new(),
                created: String::new(),
                test: false,
                deposits: vec![],
                warnings: vec![],
            },
            open: None,
            seen_start: false,
            seen_end: false,
            counts: (0, 0, 0, 0),
            last_line: 0,
        }
    }

    /// The next reconciled deposit; None at the end of a complete file.
    pub fn next_deposit(&mut self) -> Result<Option<Deposit>, BgMaxError> {
        while let Some((i, raw)) = self.lines.next() {
            let line = i + 1;
            self.last_line = line;
            let raw = raw.strip_suffix(b"\r").unwrap_or(raw);
            if raw.len() > 160 {
                return Err(BgMaxError {
                    line,
                    record: latin1(raw.get(..2).unwrap_or(raw)),
                    message: format!("{} characters; a record has 80", raw.len()),
                });
            }
            if let Some(d) = self.record(line, &latin1(raw))? {
                return Ok(Some(d));
            }
        }
        if !self.seen_start {
            return Err(BgMaxError {
                line: 1,
                record: "-".into(),
                message: "empty file: no start record (01 BGMAX)".into(),
            });
        }
        if !self.seen_end {
            return Err(BgMaxError {
                line: self.last_line,
                record: "-".into(),
                message: "the file ends without an end record (70)".into(),
            });
        }
        Ok(None)
    }

    /// One record; a deposit when it closes one.
    fn record(&mut self, line: usize, raw: &str) -> Result<Option<Deposit>, BgMaxError> {
        if raw.trim().is_empty() {
            return Ok(None);
        }
        let expanded;
        let content = if raw.contains('\t') {
            self.file.warnings.push(format!("line {line}: TAB characters expanded to 8-column tab stops"));
            expanded = expand_tabs(raw);
            expanded.as_str()
        } else {
            raw
        };
        let chars: Vec<char> = content.chars().collect();
        let kind: String = chars.iter().take(2).collect();
        let r = Rec { line, chars, kind: &kind };
        if r.chars.len() > 80 {
            return Err(r.err(format!("{} characters; a record has 80", r.chars.len())));
        }
        if self.seen_end {
            return Err(r.err("a record after the end record (70)"));
        }
        if !self.seen_start && kind != "01" {
            return Err(r.err("the file must start with a start record (01 BGMAX)"));
        }
        match kind.as_str() {
            "01" => self.start(&r)?,
            "05" => self.opening(&r)?,
            "20" | "21" => self.payment(&r)?,
            "22" | "23" => self.extra_reference(&r)?,
            "25" | "26" | "27" | "28" | "29" => self.payer_detail(&r)?,
            "15" => return self.deposit(&r).map(Some),
            "70" => self.end(&r)?,
            other => return Err(r.err(format!("unknown record type '{other}'"))),
        }
        Ok(None)
    }

    /// 01: the start record.
    fn start(&mut self, r: &Rec<'_>) -> Result<(), BgMaxError> {
        if self.seen_start {
            return Err(r.err("a second start record"));
        }
        if r.field(3, 22) != "BGMAX" {
            return Err(r.err(format!("positions 3-22: '{}' is not BGMAX", r.field(3, 22))));
        }
        self.seen_start = true;
        self.file.version = r.field(23, 24);
        self.file.created = r.field(25, 44);
        self.file.test = r.field(45, 45) == "T";
        Ok(())
    }

    /// 05: a deposit opens.
    fn opening(&mut self, r: &Rec<'_>) -> Result<(), BgMaxError> {
        if self.open.is_some() {
            return Err(r.err("a new opening record before the previous deposit record (15)"));
        }
        self.open = Some(Deposit {
            line: r.line,
            payee_bankgiro: r.field(3, 12).trim_start_matches('0').to_string(),
            payee_plusgiro: r.opt(13, 22),
            currency: r.field(23, 25),
            account: String::new(),
            payment_date: NaiveDate::MIN,
            serial: String::new(),
            amount: 0,
            count: 0,
            kind: String::new(),
            payments: vec![],
        });
        Ok(())
    }

    /// The open deposit, which a payment and its details need.
    fn open_deposit(&mut self, r: &Rec<'_>) -> Result<&mut Deposit, BgMaxError> {
        self.open.as_mut().ok_or_else(|| r.err("outside a deposit: an opening record (05) must come first"))
    }

    /// The deposit's latest payment, which extra references and payer details belong to.
    fn last_payment(&mut self, r: &Rec<'_>) -> Result<&mut BgPayment, BgMaxError> {
        self.open_deposit(r)?
            .payments
            .last_mut()
            .ok_or_else(|| r.err("belongs to a payment (20/21), but none came before it in this deposit"))
    }

    /// 20/21: a payment, or a deduction.
    fn payment(&mut self, r: &Rec<'_>) -> Result<(), BgMaxError> {
        self.open_deposit(r)?;
        let deduction = r.kind == "21";
        let p = payment_from(r, if deduction { 21 } else { 20 })?;
        bounded(r, p.amount, "amount")?;
        if deduction {
            self.counts.1 += 1
        } else {
            self.counts.0 += 1
        }
        self.open_deposit(r)?.payments.push(p);
        Ok(())
    }

    /// 22/23: one more reference of the latest payment (23: a negative one).
    fn extra_reference(&mut self, r: &Rec<'_>) -> Result<(), BgMaxError> {
        self.last_payment(r)?;
        self.counts.2 += 1;
        let amount = bounded(r, r.num(38, 55, "amount")?, "amount")?;
        let x = ExtraReference {
            line: r.line,
            reference: r.field(13, 37),
            amount,
            negative: r.kind == "23",
            reference_code: r.digit(56),
        };
        self.last_payment(r)?.extra_references.push(x);
        Ok(())
    }

    /// 25-29: information, name, address, city and organisation number of the latest payer.
    fn payer_detail(&mut self, r: &Rec<'_>) -> Result<(), BgMaxError> {
        let p = self.last_payment(r)?;
        match r.kind {
            "25" => p.info.push(r.field(3, 52)),
            "26" => {
                p.name = Some(
                    [r.field(3, 37), r.field(38, 72)]
                        .iter()
                        .filter(|s| !s.is_empty())
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(" "),
                )
            }
            "27" => {
                p.address = r.opt(3, 37);
                p.postcode = r.opt(38, 46);
            }
            "28" => {
                p.city = r.opt(3, 37);
                p.country = r.opt(38, 72).or_else(|| r.opt(73, 74));
            }
            _ => p.org_no = r.opt(3, 14),
        }
        Ok(())
    }

    /// 15: the deposit closes; its amount and count must reconcile with its payments.
    fn deposit(&mut self, r: &Rec<'_>) -> Result<Deposit, BgMaxError> {
        self.open_deposit(r)?;
        self.counts.3 += 1;
        let mut d = self.open.take().ok_or_else(|| r.err("outside a deposit"))?;
        d.account = r.field(3, 37);
        let date = r.field(38, 45);
        d.payment_date = NaiveDate::parse_from_str(&date, "%Y%m%d")
            .map_err(|_| r.err(format!("positions 38-45 (payment date): '{date}' is not a date YYYYMMDD")))?;
        d.serial = r.field(46, 50);
        // 18 digits always fit an i64; the payments' sum is checked against it below.
        d.amount = r.num(51, 68, "deposit amount")?;
        let cur = r.field(69, 71);
        if !cur.is_empty() && !d.currency.is_empty() && cur != d.currency {
            return Err(r.err(format!("currency {cur} differs from the opening record's {}", d.currency)));
        }
        d.count = r.num(72, 79, "number of payments")? as u32;
        d.kind = r.field(80, 80);
        // Checked: amounts are bounded, but a file of a million maximal ones must be refused,
        // never wrapped into a sum that happens to reconcile.
        let sum = d.payments.iter().try_fold(0i64, |acc, p| acc.checked_add(p.signed_amount()));
        let Some(sum) = sum else {
            return Err(r.err(format!(
                "deposit {} of {}: its payments add up to more than any deposit can hold",
                d.serial, d.payment_date
            )));
        };
        if sum != d.amount {
            return Err(r.err(format!(
                "deposit {} of {} does not reconcile: payments minus deductions are {}, the deposit says {} (difference {})",
                d.serial,
                d.payment_date,
                ore(sum),
                ore(d.amount),
                ore(d.amount - sum)
            )));
        }
        if d.count as usize != d.payments.len() {
            return Err(r.err(format!(
                "deposit {} says {} payments, the file has {}",
                d.serial,
                d.count,
                d.payments.len()
            )));
        }
        Ok(d)
    }

    /// 70: the end record; its counts must match the file's.
    fn end(&mut self, r: &Rec<'_>) -> Result<(), BgMaxError> {
        if let Some(d) = &self.open {
            return Err(
                r.err(format!("end record inside the deposit opened on line {} (no deposit record 15)", d.line))
            );
        }
        self.seen_end = true;
        let (n20, n21, n22, n15) = self.counts;
        let counts = [
            (r.num(3, 10, "payment records")?, n20, "payment records (20)"),
            (r.num(11, 18, "deduction records")?, n21, "deduction records (21)"),
            (r.num(19, 26, "extra reference records")?, n22, "extra reference records (22/23)"),
            (r.num(27, 34, "deposit records")?, n15, "deposit records (15)"),
        ];
        for (said, found, what) in counts {
            if said != found {
                return Err(r.err(format!("the end record counts {said} {what}, the file has {found}")));
            }
        }
        Ok(())
    }
}

fn ore(x: i64) -> String {
    let sign = if x < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", x.unsigned_abs() / 100, x.unsigned_abs() % 100)
}

/// Writes a BgMax file (for tests, fixtures and the benchmark): the inverse of `parse`.
pub fn write(file: &BgMaxFile) -> Vec<u8> {
    let mut out = String::new();
    let mut rec = |s: String| {
        out.push_str(&format!("{s:<80}\r\n"));
    };
    rec(format!("01{:<20}{:0>2}{:<20}{}", "BGMAX", file.version, file.created, if file.test { "T" } else { "P" }));
    let (mut n20, mut n21, mut n22) = (0, 0, 0);
    for d in &file.deposits {
        rec(format!(
            "05{:0>10}{:<10}{:<3}",
            d.payee_bankgiro,
            d.payee_plusgiro.clone().unwrap_or_default(),
            d.currency
        ));
        for p in &d.payments {
            if p.record == 21 {
                n21 += 1
            } else {
                n20 += 1
            }
            let mut s = format!(
                "{:02}{:0>10}{:<25}{:0>18}{}{}{:<12}{}",
                p.record,
                p.payer_bankgiro,
                p.reference,
                p.amount,
                p.reference_code,
                p.channel,
                p.serial,
                u8::from(p.image)
            );
            if let Some(c) = p.deduction_code {
                s.push_str(&c.to_string());
            }
            rec(s);
            for x in &p.extra_references {
                n22 += 1;
                rec(format!(
                    "{}{:0>10}{:<25}{:0>18}{}",
                    if x.negative { 23 } else { 22 },
                    p.payer_bankgiro,
                    x.reference,
                    x.amount,
                    x.reference_code
                ));
            }
            for i in &p.info {
                rec(format!("25{i}"));
            }
            if let Some(n) = &p.name {
                rec(format!("26{n}"));
            }
            if p.address.is_some() || p.postcode.is_some() {
                rec(format!(
                    "27{:<35}{}",
                    p.address.clone().unwrap_or_default(),
                    p.postcode.clone().unwrap_or_default()
                ));
            }
            if p.city.is_some() || p.country.is_some() {
                rec(format!("28{:<35}{}", p.city.clone().unwrap_or_default(), p.country.clone().unwrap_or_default()));
            }
            if let Some(o) = &p.org_no {
                rec(format!("29{o:0>12}"));
            }
        }
        rec(format!(
            "15{:0>35}{}{:0>5}{:0>18}{:<3}{:0>8}{}",
            d.account,
            d.payment_date.format("%Y%m%d"),
            d.serial,
            d.amount,
            d.currency,
            d.count,
            d.kind
        ));
    }
    rec(format!("70{:0>8}{:0>8}{:0>8}{:0>8}", n20, n21, n22, file.deposits.len()));
    out.chars().map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?')).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const SAMPLE: &[u8] = include_bytes!("../tests/data/bankgirot_example_ocr_check_length.txt");

    #[test]
    fn the_real_bankgirot_sample() {
        let f = parse(SAMPLE).unwrap();
        assert_eq!((f.version.as_str(), f.test), ("01", false));
        assert_eq!(f.deposits.len(), 2);
        let d = &f.deposits[0];
        assert_eq!((d.payee_bankgiro.as_str(), d.currency.as_str(), d.amount, d.count), ("9912346", "SEK", 190000, 3));
        assert_eq!(d.payment_date, NaiveDate::from_ymd_opt(2004, 5, 25).unwrap());
        assert_eq!(d.payments[0].reference, "655969");
        assert_eq!(d.payments[0].amount, 100000);
        assert_eq!(d.payments[0].reference_code, 2);
        assert_eq!(d.payments[0].name.as_deref(), Some("Kalles Plåt AB"));
        assert_eq!(d.payments[0].city.as_deref(), Some("Storåker"));
        assert_eq!(d.payments[0].org_no.as_deref(), Some("005500001234"));
        assert_eq!((d.payments[1].record, d.payments[1].amount, d.payments[1].deduction_code), (21, 50000, Some(0)));
        let multi = &d.payments[2];
        assert_eq!(multi.amount, 140000);
        assert_eq!(
            multi.extra_references.iter().map(|x| x.reference.as_str()).collect::<Vec<_>>(),
            vec!["657866", "658765", "657767", "657965"]
        );
        assert_eq!(multi.info, vec!["Betalning med extra refnr 657965"]);
        let d2 = &f.deposits[1];
        assert_eq!((d2.amount, d2.payments.len()), (800000, 4));
        assert_eq!(d2.payments[1].reference, "", "a payment without reference");
        assert_eq!(d2.payments[3].info, vec!["Faktura 658369", "Faktura 658468"]);
        assert_eq!(f.warnings, vec!["line 17: TAB characters expanded to 8-column tab stops"]);
    }

    #[test]
    fn sample_round_trips_through_the_writer() {
        let f = parse(SAMPLE).unwrap();
        let again = parse(&write(&f)).unwrap();
        assert_eq!(again.deposits, f.deposits);
    }

    fn err(text: &str) -> String {
        parse(&to_latin1(text)).unwrap_err().to_string()
    }

    fn to_latin1(s: &str) -> Vec<u8> {
        s.chars().map(|c| u8::try_from(u32::from(c)).unwrap()).collect()
    }

    #[test]
    fn every_error_names_its_record() {
        let good = latin1(SAMPLE);
        let bad_sum = good.replacen("000000000000190000SEK", "000000000000190100SEK", 1);
        assert_eq!(err(&bad_sum), "line 23 (record 15): deposit 00074 of 2004-05-25 does not reconcile: payments minus deductions are 1900.00, the deposit says 1901.00 (difference 1.00)");
        let bad_count = good.replacen("7000000006", "7000000007", 1);
        assert_eq!(
            err(&bad_count),
            "line 50 (record 70): the end record counts 7 payment records (20), the file has 6"
        );
        let no_end = good.split("70000000060").next().unwrap().to_string();
        assert!(err(&no_end).contains("without an end record (70)"));
        assert!(err("05000991234").contains("must start with a start record"));
        let unknown = good.replacen("25Betalning", "99Betalning", 1);
        assert!(err(&unknown).contains("(record 99): unknown record type '99'"));
        let bad_amount = good.replacen("000000000000100000", "0000000000001X0000", 1);
        assert!(err(&bad_amount).contains("positions 38-55 (amount): '0000000000001X0000' is not a number"));
        let bad_date = good.replacen("982320040525", "982320041325", 1);
        assert!(err(&bad_date).contains("(payment date): '20041325' is not a date"));
        let orphan = good.replacen("050009912346", "260009912346", 1);
        assert!(err(&orphan).contains("outside a deposit"));
        assert!(err("").contains("empty file"));
    }

    /// Issue #8 case 8: a deposit of "1.00 SEK" holding payments of 10^16 öre reconciled (the sum
    /// wrapped), and every report afterwards failed. Amounts above the limit are refused.
    #[test]
    fn absurd_amounts_are_refused_not_wrapped() {
        let mut f = parse(SAMPLE).unwrap();
        let d = &mut f.deposits[0];
        d.payments.truncate(1);
        d.payments[0].amount = 10_000_000_000_000_000;
        d.count = 1;
        d.amount = 100;
        let e = parse(&write(&f)).unwrap_err().to_string();
        assert_eq!(e, "line 3 (record 20): amount 100000000000000.00 is above the limit 10000000000.00");
        // At the limit each, a deposit still reconciles exactly.
        d_at_limit(&mut f);
        let ok = parse(&write(&f));
        assert!(ok.is_ok(), "{ok:?}");
    }

    fn d_at_limit(f: &mut BgMaxFile) {
        let d = &mut f.deposits[0];
        d.payments[0].amount = MAX_AMOUNT;
        d.payments.push(BgPayment { amount: MAX_AMOUNT, serial: "X2".into(), ..d.payments[0].clone() });
        d.count = 2;
        d.amount = 2 * MAX_AMOUNT;
    }

    /// The reader yields one deposit at a time; a later failure still fails the file.
    #[test]
    fn deposits_come_one_at_a_time() {
        let mut r = Reader::new(SAMPLE);
        let first = r.next_deposit().unwrap().unwrap();
        assert_eq!(first.amount, 190000);
        assert_eq!(r.next_deposit().unwrap().unwrap().amount, 800000);
        assert!(r.next_deposit().unwrap().is_none());
        let bad = latin1(SAMPLE).replacen("7000000006", "7000000007", 1);
        let bytes: Vec<u8> = bad.chars().map(|c| c as u8).collect();
        let mut r = Reader::new(&bytes);
        assert!(r.next_deposit().unwrap().is_some());
        assert!(r.next_deposit().unwrap().is_some());
        assert!(r.next_deposit().is_err(), "the end record's counts are checked last");
    }

    #[test]
    fn negative_extra_reference_and_malformed_records() {
        let good = latin1(SAMPLE);
        // Record 23: a negative extra reference belongs to the payment before it.
        let f = parse(&to_latin1(&good.replacen(
            "220003783511                   657866",
            "230003783511                   657866",
            1,
        )))
        .unwrap();
        let x = &f.deposits[0].payments[2].extra_references[0];
        assert!(x.negative && x.reference == "657866");
        // A record longer than 80 characters.
        let long = good.replacen("26Kalles Pl", "26Kalles Pll", 1);
        assert!(err(&long).contains("line 4 (record 26): 81 characters; a record has 80"), "{}", err(&long));
        // An opening record inside an open deposit.
        let twice = good.replacen("200003783511                   655969", "050009912346          SEK", 1);
        assert!(
            err(&twice).contains("(record 05): a new opening record before the previous deposit record (15)"),
            "{}",
            err(&twice)
        );
        // A deposit in another currency than its opening record.
        let cur = good.replacen("190000SEK", "190000EUR", 1);
        assert!(err(&cur).contains("currency EUR differs from the opening record's SEK"), "{}", err(&cur));
    }

    #[test]
    fn lf_only_line_ends_parse_too() {
        let lf = latin1(SAMPLE).replace("\r\n", "\n");
        assert_eq!(parse(&to_latin1(&lf)).unwrap().deposits.len(), 2);
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = parse(&bytes);
        }

        #[test]
        fn mutated_sample_never_panics(pos in 0usize..4000, byte in any::<u8>()) {
            let mut b = SAMPLE.to_vec();
            let i = pos % b.len();
            b[i] = byte;
            let _ = parse(&b);
        }

        /// Generated files parse back to what was written, and totals match.
        #[test]
        fn generated_files_round_trip(amounts in proptest::collection::vec((1i64..10_000_000, "[0-9]{2,20}"), 1..20)) {
            let payments: Vec<BgPayment> = amounts.iter().enumerate().map(|(i, (a, r))| BgPayment { line: 0, record: 20, payer_bankgiro: "1234567".into(), reference: r.clone(), amount: *a, reference_code: 2, channel: 1, serial: format!("{i:012}"), ..Default::default() }).collect();
            let total: i64 = amounts.iter().map(|x| x.0).sum();
            let file = BgMaxFile { version: "01".into(), created: "20240105120000000000".into(), test: false, warnings: vec![], deposits: vec![Deposit { line: 0, payee_bankgiro: "9912346".into(), payee_plusgiro: None, currency: "SEK".into(), account: "58410000010098232".into(), payment_date: NaiveDate::from_ymd_opt(2024, 1, 5).unwrap(), serial: "00001".into(), amount: total, count: payments.len() as u32, kind: "".into(), payments }] };
            let back = parse(&write(&file)).unwrap();
            prop_assert_eq!(back.deposits[0].amount, total);
            prop_assert_eq!(back.deposits[0].payments.iter().map(|p| p.amount).collect::<Vec<_>>(), amounts.iter().map(|x| x.0).collect::<Vec<_>>());
        }
    }
}
