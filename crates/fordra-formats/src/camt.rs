//! ISO 20022 camt.054 (debit/credit notification) and camt.053 (statement), versions .001.02 to
//! .001.08: credit entries, structured creditor references (SCOR), unstructured remittance text,
//! reversals, booking dates, debtor name and account, several transactions per entry.
//! Read in one streaming pass (quick-xml): a 100 MB statement takes time and memory in
//! proportion to its size. A UTF-8 byte-order mark is allowed.

use chrono::NaiveDate;
use serde::Serialize;

/// Why a camt file was refused, with the line where it was found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}{}", .line.map(|l| format!(" (line {l})")).unwrap_or_default())]
pub struct CamtError {
    /// Line in the file, when known.
    pub line: Option<usize>,
    /// What is wrong.
    pub message: String,
}

/// A camt.053 or camt.054 message: its accounts and their entries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CamtFile {
    /// "camt.053" or "camt.054".
    pub kind: String,
    /// e.g. "001.02".
    pub version: String,
    /// The message id (GrpHdr/MsgId).
    pub message_id: Option<String>,
    /// One per statement or notification.
    pub accounts: Vec<CamtAccount>,
}

/// An account's statement or notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CamtAccount {
    /// The account's IBAN.
    pub iban: Option<String>,
    /// Its other identification (a domestic number), when no IBAN.
    pub other_id: Option<String>,
    /// camt.053 balances: (type code, signed amount in minor units, date).
    pub balances: Vec<(String, i64, Option<NaiveDate>)>,
    /// The booked (or pending) entries.
    pub entries: Vec<CamtEntry>,
}

/// One entry (Ntry): an amount credited or debited, with its transactions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CamtEntry {
    /// Line where the entry starts.
    pub line: usize,
    /// Amount in minor units.
    pub amount: i64,
    /// Currency code.
    pub currency: String,
    /// Money in (CRDT) rather than out.
    pub credit: bool,
    /// The bank reverses an earlier entry (RvslInd).
    pub reversal: bool,
    /// BOOK, PDNG or INFO (or the code of a later version).
    pub status: String,
    /// The booking date.
    pub booking_date: Option<NaiveDate>,
    /// The value date.
    pub value_date: Option<NaiveDate>,
    /// The bank's reference of the entry (AcctSvcrRef).
    pub account_servicer_ref: Option<String>,
    /// Its transactions (TxDtls); one entry may carry several payments.
    pub transactions: Vec<CamtTx>,
}

/// One transaction of an entry: a payment with its references and payer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CamtTx {
    /// Line where it starts.
    pub line: usize,
    /// Its own amount in minor units, when the entry carries several.
    pub amount: Option<i64>,
    /// The payer's end-to-end id.
    pub end_to_end_id: Option<String>,
    /// The bank's reference of the transaction.
    pub account_servicer_ref: Option<String>,
    /// The payer's name.
    pub debtor_name: Option<String>,
    /// The payer's IBAN.
    pub debtor_iban: Option<String>,
    /// Structured creditor references (RmtInf/Strd/CdtrRefInf/Ref).
    pub references: Vec<String>,
    /// Unstructured remittance text (RmtInf/Ustrd).
    pub text: Vec<String>,
}

// Field limits (ISO 20022).
/// Longest reference (Max35Text).
pub const MAX_REF: usize = 35;
/// Longest name or remittance line (Max140Text).
pub const MAX_TEXT: usize = 140;
/// Elements nested deeper than this are refused (camt needs about a dozen levels).
const MAX_DEPTH: usize = 64;

fn err(line: usize, message: impl Into<String>) -> CamtError {
    CamtError { line: Some(line), message: message.into() }
}

/// Where the parser is inside an entry or a transaction, for the text it collects.
#[derive(Default)]
struct Pending {
    account: Option<CamtAccount>,
    entry: Option<CamtEntry>,
    tx: Option<CamtTx>,
    bal: Option<(String, i64, Option<NaiveDate>, i64)>,
}

impl Pending {
    /// Starts collecting an account, an entry, a transaction or a balance when `name` opens
    /// one at its place; whether it did.
    fn open(&mut self, stack: &[Box<str>], name: &str, item: &str, container: &str, line: usize) -> bool {
        if stack.len() == 3 && name == item && stack.get(1).is_some_and(|c| &**c == container) {
            self.account = Some(CamtAccount { iban: None, other_id: None, balances: vec![], entries: vec![] });
        } else if self.account.is_some() && name == "Ntry" && stack.len() == 4 {
            self.entry = Some(CamtEntry {
                line,
                amount: 0,
                currency: String::new(),
                credit: false,
                reversal: false,
                status: String::new(),
                booking_date: None,
                value_date: None,
                account_servicer_ref: None,
                transactions: vec![],
            });
        } else if self.entry.is_some() && name == "TxDtls" {
            self.tx = Some(CamtTx { line, ..Default::default() });
        } else if self.account.is_some() && name == "Bal" && stack.len() == 4 {
            self.bal = Some((String::new(), 0, None, 1));
        } else {
            return false;
        }
        true
    }
}

/// The message a root element declares by its namespace: the container element, the kind
/// ("camt.053" or "camt.054") and the version (001.02 to 001.08).
fn document(e: &quick_xml::events::BytesStart<'_>) -> Result<(&'static str, String, String), CamtError> {
    let prefix = e.name().prefix().map(|x| String::from_utf8_lossy(x.as_ref()).into_owned());
    let want = prefix.map_or("xmlns".to_string(), |x| format!("xmlns:{x}"));
    let ns = e
        .attributes()
        .flatten()
        .find(|a| a.key.as_ref() == want.as_bytes())
        .map(|a| String::from_utf8_lossy(&a.value).into_owned())
        .unwrap_or_default();
    let Some(msg) = ns.strip_prefix("urn:iso:std:iso:20022:tech:xsd:") else {
        return Err(err(1, format!("not an ISO 20022 document (namespace '{ns}')")));
    };
    let (kind, version) = msg.split_at(msg.len().min(8));
    let version = version.trim_start_matches('.').to_string();
    let container = match kind {
        "camt.054" => "BkToCstmrDbtCdtNtfctn",
        "camt.053" => "BkToCstmrStmt",
        other => return Err(err(1, format!("{other} is not a camt.053 or camt.054 message"))),
    };
    let v: u32 = version.strip_prefix("001.").and_then(|x| x.parse().ok()).unwrap_or(0);
    if !(2..=8).contains(&v) {
        return Err(err(1, format!("{kind} version {version} is not supported (001.02 to 001.08)")));
    }
    Ok((container, kind.to_string(), version))
}

fn ends(stack: &[Box<str>], tail: &[&str]) -> bool {
    stack
        .len()
        .checked_sub(tail.len())
        .and_then(|from| stack.get(from..))
        .is_some_and(|end| end.iter().zip(tail).all(|(a, b)| &**a == *b))
}

fn within(stack: &[Box<str>], name: &str) -> Option<usize> {
    stack.iter().rposition(|x| &**x == name)
}

fn limited(line: usize, what: &str, t: String, max: usize) -> Result<String, CamtError> {
    let n = t.chars().count();
    if n > max {
        return Err(err(line, format!("{what}: {n} characters, at most {max} allowed")));
    }
    if t.chars().any(|c| c.is_control()) {
        return Err(err(line, format!("{what}: contains a control character")));
    }
    Ok(t)
}

fn date_of(line: usize, name: &str, t: &str) -> Result<NaiveDate, CamtError> {
    let d: String = t.chars().take(10).collect();
    NaiveDate::parse_from_str(&d, "%Y-%m-%d").map_err(|_| err(line, format!("{name}: '{t}' is not a date")))
}

/// Parses a camt.053 or camt.054 document in one pass (the time and memory it takes grow with
/// the file, never faster), with every field checked against its limit.
pub fn parse(bytes: &[u8]) -> Result<CamtFile, CamtError> {
    use quick_xml::events::Event;
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| CamtError { line: None, message: format!("not UTF-8 text: {e}") })?;
    let mut reader = quick_xml::Reader::from_reader(bytes);
    reader.config_mut().check_end_names = true;
    let mut stack: Vec<Box<str>> = Vec::new();
    let mut text = String::new();
    let (mut line, mut seen) = (1usize, 0usize);
    let mut file = CamtFile { kind: String::new(), version: String::new(), message_id: None, accounts: vec![] };
    let mut p = Pending::default();
    let mut container = "";
    let mut ccy = String::new();
    let mut amt_line = 0;
    let well_formed = |e: quick_xml::Error, at: u64| {
        let upto = (at as usize).min(bytes.len());
        let row = 1 + bytes.get(..upto).unwrap_or(bytes).iter().filter(|b| **b == b'\n').count();
        err(row, format!("not well-formed XML: {e}"))
    };
    loop {
        let ev = reader.read_event().map_err(|e| well_formed(e, reader.error_position()))?;
        let pos = (reader.buffer_position() as usize).min(bytes.len());
        line += bytes.get(seen..pos).unwrap_or_default().iter().filter(|b| **b == b'\n').count();
        seen = pos;
        match ev {
            Event::Start(ref e) | Event::Empty(ref e) => {
                let name = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
                if stack.is_empty() {
                    if name != "Document" {
                        return Err(err(line, format!("not an ISO 20022 document (root element '{name}')")));
                    }
                    (container, file.kind, file.version) = document(e)?;
                }
                let item = if container == "BkToCstmrStmt" { "Stmt" } else { "Ntfctn" };
                stack.push(name.clone().into_boxed_str());
                if stack.len() > MAX_DEPTH {
                    return Err(err(line, format!("elements nested more than {MAX_DEPTH} deep")));
                }
                text.clear();
                if !p.open(&stack, &name, item, container, line) && name == "Amt" {
                    ccy = e
                        .attributes()
                        .flatten()
                        .find(|a| a.key.as_ref() == b"Ccy")
                        .map(|a| String::from_utf8_lossy(&a.value).into_owned())
                        .unwrap_or_default();
                    amt_line = line;
                }
                if matches!(ev, Event::Empty(_)) {
                    stack.pop();
                }
            }
            Event::Text(t) => {
                text.push_str(&t.xml10_content().map_err(|e| err(line, format!("not UTF-8 text: {e}")))?);
                if text.len() > 4 * MAX_TEXT + 64 {
                    return Err(err(line, format!("text longer than {MAX_TEXT} characters")));
                }
            }
            Event::CData(t) => text.push_str(&String::from_utf8_lossy(&t)),
            Event::GeneralRef(r) => {
                let name = r.decode().map_err(|e| err(line, format!("not UTF-8 text: {e}")))?;
                match r.resolve_char_ref() {
                    Ok(Some(c)) => text.push(c),
                    _ => match quick_xml::escape::resolve_xml_entity(&name) {
                        Some(x) => text.push_str(x),
                        None => return Err(err(line, format!("unknown entity &{name};"))),
                    },
                }
            }
            Event::End(_) => {
                let value = std::mem::take(&mut text).trim().to_string();
                end_element(&stack, &mut p, &mut file, value, line, amt_line, &ccy, container)?;
                stack.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if file.kind.is_empty() {
        return Err(err(1, "not an ISO 20022 document (no Document element)"));
    }
    if !stack.is_empty() {
        return Err(err(line, "not well-formed XML: the document ends inside an element"));
    }
    Ok(file)
}

/// Takes the text of the element that just ended into its place.
#[allow(clippy::too_many_arguments)]
fn end_element(
    stack: &[Box<str>],
    p: &mut Pending,
    file: &mut CamtFile,
    value: String,
    line: usize,
    amt_line: usize,
    ccy: &str,
    container: &str,
) -> Result<(), CamtError> {
    let name = stack.last().map(|x| &**x).unwrap_or("");
    if stack.len() == 2 && name == container {
        return Ok(());
    }
    if ends(stack, &["GrpHdr", "MsgId"]) && stack.len() == 4 {
        file.message_id = Some(limited(line, "MsgId", value, MAX_REF)?).filter(|x| !x.is_empty());
        return Ok(());
    }
    let at = At { value, line, amt_line };
    // Inside a transaction.
    if let (Some(tx), Some(t)) = (p.tx.as_mut(), within(stack, "TxDtls")) {
        let rel = stack.get(t + 1..).unwrap_or_default();
        if rel.is_empty() {
            if let Some(e) = p.entry.as_mut() {
                e.transactions.push(p.tx.take().unwrap_or_default());
            }
            return Ok(());
        }
        return tx_field(tx, rel, at);
    }
    // Inside an entry (outside its transactions).
    if let (Some(e), Some(n)) = (p.entry.as_mut(), within(stack, "Ntry")) {
        let rel = stack.get(n + 1..).unwrap_or_default();
        if rel.is_empty() {
            if let (Some(a), Some(e)) = (p.account.as_mut(), p.entry.take()) {
                a.entries.push(e);
            }
            return Ok(());
        }
        return entry_field(e, rel, at, ccy);
    }
    // A balance (camt.053).
    if let (Some(b), Some(n)) = (p.bal.as_mut(), within(stack, "Bal")) {
        let rel = stack.get(n + 1..).unwrap_or_default();
        if rel.is_empty() {
            if let (Some(a), Some((code, amt, date, sign))) = (p.account.as_mut(), p.bal.take()) {
                a.balances.push((code, sign * amt, date));
            }
            return Ok(());
        }
        return balance_field(b, rel, at);
    }
    // The account of a notification or statement.
    if let Some(a) = p.account.as_mut() {
        if stack.len() == 3 {
            if let Some(a) = p.account.take() {
                file.accounts.push(a);
            }
        } else if stack.len() == 6 && ends(stack, &["Acct", "Id", "IBAN"]) {
            a.iban = Some(limited(line, "Acct/IBAN", at.value, MAX_REF)?).filter(|x| !x.is_empty());
        } else if stack.len() == 7 && ends(stack, &["Acct", "Id", "Othr", "Id"]) {
            a.other_id = Some(limited(line, "Acct/Othr/Id", at.value, MAX_REF)?).filter(|x| !x.is_empty());
        }
    }
    Ok(())
}

/// The text of an element that ended, where it ended, and where the latest amount began.
struct At {
    value: String,
    line: usize,
    amt_line: usize,
}

impl At {
    fn amount(&self) -> Result<i64, CamtError> {
        parse_amount(&self.value).ok_or_else(|| {
            err(self.amt_line, format!("amount '{}' is not a decimal with at most two decimals", self.value))
        })
    }
    fn text(self, what: &str, max: usize) -> Result<Option<String>, CamtError> {
        Ok(Some(limited(self.line, what, self.value, max)?).filter(|x| !x.is_empty()))
    }
}

/// Whether the path below the enclosing element is exactly `path`.
fn is(rel: &[Box<str>], path: &[&str]) -> bool {
    rel.len() == path.len() && rel.iter().zip(path).all(|(a, b)| &**a == *b)
}

/// A field of a transaction (TxDtls).
fn tx_field(tx: &mut CamtTx, rel: &[Box<str>], at: At) -> Result<(), CamtError> {
    if is(rel, &["Amt"]) || is(rel, &["AmtDtls", "TxAmt", "Amt"]) {
        if is(rel, &["Amt"]) || tx.amount.is_none() {
            tx.amount = Some(at.amount()?);
        }
    } else if is(rel, &["Refs", "EndToEndId"]) {
        tx.end_to_end_id = at.text("EndToEndId", MAX_REF)?.filter(|x| x != "NOTPROVIDED");
    } else if is(rel, &["Refs", "AcctSvcrRef"]) {
        tx.account_servicer_ref = at.text("AcctSvcrRef", MAX_REF)?;
    } else if is(rel, &["RltdPties", "Dbtr", "Nm"]) || is(rel, &["RltdPties", "Dbtr", "Pty", "Nm"]) {
        tx.debtor_name = at.text("Dbtr/Nm", MAX_TEXT)?;
    } else if is(rel, &["RltdPties", "DbtrAcct", "Id", "IBAN"]) {
        tx.debtor_iban = at.text("DbtrAcct/IBAN", MAX_REF)?;
    } else if is(rel, &["RmtInf", "Strd", "CdtrRefInf", "Ref"]) {
        tx.references.extend(at.text("CdtrRefInf/Ref", MAX_REF)?);
    } else if is(rel, &["RmtInf", "Ustrd"]) {
        tx.text.extend(at.text("Ustrd", MAX_TEXT)?);
    }
    Ok(())
}

/// A field of an entry (Ntry), outside its transactions.
fn entry_field(e: &mut CamtEntry, rel: &[Box<str>], at: At, ccy: &str) -> Result<(), CamtError> {
    let line = at.line;
    if is(rel, &["Amt"]) {
        e.amount = at.amount()?;
        e.currency = limited(line, "Ccy", ccy.to_string(), 3)?;
    } else if is(rel, &["CdtDbtInd"]) {
        e.credit = at.value == "CRDT";
    } else if is(rel, &["RvslInd"]) {
        e.reversal = at.value == "true" || at.value == "1";
    } else if is(rel, &["Sts"]) || is(rel, &["Sts", "Cd"]) {
        if let Some(s) = at.text("Sts", MAX_REF)? {
            e.status = s;
        }
    } else if is(rel, &["BookgDt", "Dt"]) || is(rel, &["BookgDt", "DtTm"]) {
        e.booking_date = Some(date_of(line, "BookgDt", &at.value)?);
    } else if is(rel, &["ValDt", "Dt"]) || is(rel, &["ValDt", "DtTm"]) {
        e.value_date = Some(date_of(line, "ValDt", &at.value)?);
    } else if is(rel, &["AcctSvcrRef"]) {
        e.account_servicer_ref = at.text("AcctSvcrRef", MAX_REF)?;
    }
    Ok(())
}

/// A field of a balance (Bal, camt.053): type code, amount, sign, date.
fn balance_field(b: &mut (String, i64, Option<NaiveDate>, i64), rel: &[Box<str>], at: At) -> Result<(), CamtError> {
    if is(rel, &["Tp", "CdOrPrtry", "Cd"]) {
        b.0 = limited(at.line, "Bal/Tp", at.value, MAX_REF)?;
    } else if is(rel, &["Amt"]) {
        b.1 = at.amount()?;
    } else if is(rel, &["CdtDbtInd"]) {
        b.3 = if at.value == "DBIT" { -1 } else { 1 };
    } else if is(rel, &["Dt", "Dt"]) || is(rel, &["Dt", "DtTm"]) {
        b.2 = Some(date_of(at.line, "Dt", &at.value)?);
    }
    Ok(())
}

/// "1234.5" → 123450 minor units; at most two decimals, no sign (camt amounts are unsigned).
pub fn parse_amount(t: &str) -> Option<i64> {
    let (i, f) = t.split_once('.').unwrap_or((t, ""));
    if i.is_empty() || f.len() > 2 || !i.bytes().all(|b| b.is_ascii_digit()) || !f.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let frac: i64 = format!("{f:0<2}").parse().ok()?;
    i.parse::<i64>().ok()?.checked_mul(100)?.checked_add(frac)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    pub const CAMT054_V2: &str = include_str!("../tests/data/camt054_v02.xml");

    const CAMT053_V8: &str = include_str!("../tests/data/camt053_v08.xml");

    #[test]
    fn camt054_v02_credits_references_text_and_reversal() {
        let f = parse(CAMT054_V2.as_bytes()).unwrap();
        assert_eq!(
            (f.kind.as_str(), f.version.as_str(), f.message_id.as_deref()),
            ("camt.054", "001.02", Some("MSG-1"))
        );
        let a = &f.accounts[0];
        assert_eq!(a.iban.as_deref(), Some("FI1431313001234567"));
        let e = &a.entries[0];
        assert_eq!(
            (e.amount, e.currency.as_str(), e.credit, e.reversal, e.status.as_str()),
            (15000, "EUR", true, false, "BOOK")
        );
        assert_eq!(e.booking_date, NaiveDate::from_ymd_opt(2024, 4, 2));
        assert_eq!(e.transactions.len(), 2);
        let t = &e.transactions[0];
        assert_eq!(
            (t.amount, t.end_to_end_id.as_deref(), t.debtor_name.as_deref()),
            (Some(10000), None, Some("Matti Meikäläinen"))
        );
        assert_eq!(t.references, vec!["RF18539007547034"]);
        assert_eq!(t.debtor_iban.as_deref(), Some("FI2112345600000785"));
        assert_eq!(e.transactions[1].text, vec!["Lasku 1002 & 1003"]);
        let r = &a.entries[1];
        assert!(r.reversal && !r.credit);
        assert_eq!(r.transactions[0].account_servicer_ref.as_deref(), Some("T-1"));
    }

    #[test]
    fn camt053_v08_party_name_balances_and_datetime() {
        let f = parse(CAMT053_V8.as_bytes()).unwrap();
        assert_eq!((f.kind.as_str(), f.version.as_str()), ("camt.053", "001.08"));
        let a = &f.accounts[0];
        assert_eq!(a.balances[1], ("CLBD".to_string(), 125050, NaiveDate::from_ymd_opt(2024, 4, 1)));
        let e = &a.entries[0];
        assert_eq!((e.amount, e.status.as_str()), (25050, "BOOK"));
        assert_eq!(e.booking_date, NaiveDate::from_ymd_opt(2024, 4, 1));
        assert_eq!(e.transactions[0].debtor_name.as_deref(), Some("Anna Andersson"));
        assert_eq!(e.transactions[0].references, vec!["1230"]);
    }

    #[test]
    fn every_version_from_02_to_08() {
        for v in 2..=8 {
            let x = CAMT054_V2.replace("camt.054.001.02", &format!("camt.054.001.0{v}"));
            assert_eq!(parse(x.as_bytes()).unwrap().version, format!("001.0{v}"));
        }
        let e = parse(CAMT054_V2.replace("camt.054.001.02", "camt.054.001.09").as_bytes()).unwrap_err();
        assert!(e.to_string().contains("version 001.09 is not supported"), "{e}");
    }

    #[test]
    fn clear_errors() {
        assert!(parse(b"<a>").unwrap_err().to_string().contains("not an ISO 20022 document (root element 'a')"));
        let open = b"<Document xmlns='urn:iso:std:iso:20022:tech:xsd:camt.054.001.02'><BkToCstmrDbtCdtNtfctn>";
        assert!(parse(open).unwrap_err().to_string().contains("not well-formed XML"), "{}", parse(open).unwrap_err());
        assert!(parse(b"<Document xmlns='urn:x'><a></b></Document>")
            .unwrap_err()
            .to_string()
            .contains("not an ISO 20022 document"));
        assert!(parse(b"<Document xmlns='urn:x'/>").unwrap_err().to_string().contains("not an ISO 20022 document"));
        let bad = CAMT054_V2.replacen("150.00", "150.001", 1);
        assert_eq!(
            parse(bad.as_bytes()).unwrap_err().to_string(),
            "amount '150.001' is not a decimal with at most two decimals (line 9)"
        );
        let bad = CAMT054_V2.replacen("<Dt>2024-04-02</Dt></BookgDt>", "<Dt>02.04.2024</Dt></BookgDt>", 1);
        assert!(parse(bad.as_bytes()).unwrap_err().to_string().contains("BookgDt: '02.04.2024' is not a date"));
    }

    /// Issue #8 case 18: a camt file with a UTF-8 byte-order mark was not recognised.
    #[test]
    fn byte_order_mark_is_allowed() {
        let mut bytes = b"\xEF\xBB\xBF".to_vec();
        bytes.extend_from_slice(CAMT054_V2.as_bytes());
        assert_eq!(parse(&bytes).unwrap(), parse(CAMT054_V2.as_bytes()).unwrap());
    }

    #[test]
    fn fields_are_bounded() {
        let long = CAMT054_V2.replacen("Lasku 1002 &amp; 1003", &"x".repeat(141), 1);
        assert_eq!(
            parse(long.as_bytes()).unwrap_err().to_string(),
            "Ustrd: 141 characters, at most 140 allowed (line 26)"
        );
        let deep = format!("<Document xmlns='urn:iso:std:iso:20022:tech:xsd:camt.054.001.02'>{}", "<a>".repeat(100));
        assert!(parse(deep.as_bytes()).unwrap_err().to_string().contains("nested more than 64 deep"));
    }

    /// Issue #8 case 17: parsing was quadratic (20 000 entries took 13 s). One pass now: a
    /// statement of 20 000 entries is read whole, every line number right.
    #[test]
    fn many_entries_in_one_pass() {
        let entry = |i: usize| {
            format!("<Ntry>\n<Amt Ccy=\"EUR\">{i}.00</Amt><CdtDbtInd>CRDT</CdtDbtInd><Sts>BOOK</Sts><BookgDt><Dt>2024-04-02</Dt></BookgDt><AcctSvcrRef>R{i}</AcctSvcrRef>\n</Ntry>\n")
        };
        let body: String = (1..=20_000).map(entry).collect();
        let doc = format!("<Document xmlns=\"urn:iso:std:iso:20022:tech:xsd:camt.054.001.02\">\n<BkToCstmrDbtCdtNtfctn><Ntfctn><Acct><Id><IBAN>FI1431313001234567</IBAN></Id></Acct>\n{body}</Ntfctn></BkToCstmrDbtCdtNtfctn></Document>");
        let f = parse(doc.as_bytes()).unwrap();
        let e = &f.accounts[0].entries;
        assert_eq!(e.len(), 20_000);
        assert_eq!(
            (e[19_999].amount, e[19_999].line, e[19_999].account_servicer_ref.as_deref()),
            (2_000_000, 3 + 3 * 19_999, Some("R20000"))
        );
    }

    proptest! {
        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..300), cut in 0usize..2000) {
            let _ = parse(&bytes);
            let s = CAMT054_V2.as_bytes();
            let _ = parse(&s[..cut.min(s.len())]);
        }
    }
}
