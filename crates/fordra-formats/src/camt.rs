//! ISO 20022 camt.054 (debit/credit notification) and camt.053 (statement), versions .001.02 to
//! .001.08: credit entries, structured creditor references (SCOR), unstructured remittance text,
//! reversals, booking dates, debtor name and account, several transactions per entry.

use chrono::NaiveDate;
use roxmltree::{Document, Node};
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}{}", .line.map(|l| format!(" (line {l})")).unwrap_or_default())]
pub struct CamtError {
    pub line: Option<usize>,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CamtFile {
    /// "camt.053" or "camt.054".
    pub kind: String,
    /// e.g. "001.02".
    pub version: String,
    pub message_id: Option<String>,
    pub accounts: Vec<CamtAccount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CamtAccount {
    pub iban: Option<String>,
    pub other_id: Option<String>,
    /// camt.053 balances: (type code, signed amount in minor units, date).
    pub balances: Vec<(String, i64, Option<NaiveDate>)>,
    pub entries: Vec<CamtEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CamtEntry {
    pub line: usize,
    pub amount: i64,
    pub currency: String,
    pub credit: bool,
    pub reversal: bool,
    pub status: String,
    pub booking_date: Option<NaiveDate>,
    pub value_date: Option<NaiveDate>,
    pub account_servicer_ref: Option<String>,
    pub transactions: Vec<CamtTx>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CamtTx {
    pub line: usize,
    pub amount: Option<i64>,
    pub end_to_end_id: Option<String>,
    pub account_servicer_ref: Option<String>,
    pub debtor_name: Option<String>,
    pub debtor_iban: Option<String>,
    /// Structured creditor references (RmtInf/Strd/CdtrRefInf/Ref).
    pub references: Vec<String>,
    /// Unstructured remittance text (RmtInf/Ustrd).
    pub text: Vec<String>,
}

fn child<'a, 'i>(n: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    n.children().find(|c| c.is_element() && c.tag_name().name() == name)
}
fn children<'a, 'i>(n: Node<'a, 'i>, name: &'static str) -> impl Iterator<Item = Node<'a, 'i>> {
    n.children().filter(move |c| c.is_element() && c.tag_name().name() == name)
}
fn path<'a, 'i>(n: Node<'a, 'i>, p: &[&str]) -> Option<Node<'a, 'i>> {
    p.iter().try_fold(n, |acc, name| child(acc, name))
}
fn text(n: Node<'_, '_>, p: &[&str]) -> Option<String> {
    path(n, p).and_then(|x| x.text()).map(|t| t.trim().to_string()).filter(|t| !t.is_empty())
}

pub fn parse(bytes: &[u8]) -> Result<CamtFile, CamtError> {
    let s = std::str::from_utf8(bytes).map_err(|e| CamtError { line: None, message: format!("not UTF-8 text: {e}") })?;
    let doc = Document::parse(s).map_err(|e| CamtError { line: Some(e.pos().row as usize), message: format!("not well-formed XML: {e}") })?;
    let line_of = |n: Node<'_, '_>| doc.text_pos_at(n.range().start).row as usize;
    let root = doc.root_element();
    let ns = root.tag_name().namespace().unwrap_or("");
    let Some(msg) = ns.strip_prefix("urn:iso:std:iso:20022:tech:xsd:") else {
        return Err(CamtError { line: Some(1), message: format!("not an ISO 20022 document (namespace '{ns}')") });
    };
    let (kind, version) = msg.split_at(msg.len().min(8));
    let version = version.trim_start_matches('.').to_string();
    let (container, item) = match kind {
        "camt.054" => ("BkToCstmrDbtCdtNtfctn", "Ntfctn"),
        "camt.053" => ("BkToCstmrStmt", "Stmt"),
        other => return Err(CamtError { line: Some(1), message: format!("{other} is not a camt.053 or camt.054 message") }),
    };
    let v: u32 = version.strip_prefix("001.").and_then(|x| x.parse().ok()).unwrap_or(0);
    if !(2..=8).contains(&v) {
        return Err(CamtError { line: Some(1), message: format!("{kind} version {version} is not supported (001.02 to 001.08)") });
    }
    let body = child(root, container).ok_or_else(|| CamtError { line: Some(line_of(root)), message: format!("no {container} element") })?;
    let amount = |n: Node<'_, '_>| -> Result<i64, CamtError> {
        let t = n.text().unwrap_or("").trim();
        parse_amount(t).ok_or_else(|| CamtError { line: Some(line_of(n)), message: format!("amount '{t}' is not a decimal with at most two decimals") })
    };
    let date = |n: Node<'_, '_>, name: &str| -> Result<Option<NaiveDate>, CamtError> {
        let Some(d) = child(n, name) else { return Ok(None) };
        let t = text(d, &["Dt"]).or_else(|| text(d, &["DtTm"]).map(|x| x.chars().take(10).collect())).unwrap_or_default();
        NaiveDate::parse_from_str(&t, "%Y-%m-%d").map(Some).map_err(|_| CamtError { line: Some(line_of(d)), message: format!("{name}: '{t}' is not a date") })
    };
    let mut accounts = Vec::new();
    for st in children(body, item) {
        let acct = child(st, "Acct");
        let mut a = CamtAccount {
            iban: acct.and_then(|x| text(x, &["Id", "IBAN"])),
            other_id: acct.and_then(|x| text(x, &["Id", "Othr", "Id"])),
            balances: vec![],
            entries: vec![],
        };
        for b in children(st, "Bal") {
            let code = text(b, &["Tp", "CdOrPrtry", "Cd"]).unwrap_or_default();
            let amt = child(b, "Amt").map(amount).transpose()?.unwrap_or(0);
            let sign = if text(b, &["CdtDbtInd"]).as_deref() == Some("DBIT") { -1 } else { 1 };
            a.balances.push((code, sign * amt, date(b, "Dt")?));
        }
        for e in children(st, "Ntry") {
            let amt_node = child(e, "Amt").ok_or_else(|| CamtError { line: Some(line_of(e)), message: "entry without Amt".into() })?;
            let status = text(e, &["Sts", "Cd"]).or_else(|| text(e, &["Sts"])).unwrap_or_default();
            let mut entry = CamtEntry {
                line: line_of(e),
                amount: amount(amt_node)?,
                currency: amt_node.attribute("Ccy").unwrap_or("").to_string(),
                credit: text(e, &["CdtDbtInd"]).as_deref() == Some("CRDT"),
                reversal: text(e, &["RvslInd"]).is_some_and(|t| t == "true" || t == "1"),
                status,
                booking_date: date(e, "BookgDt")?,
                value_date: date(e, "ValDt")?,
                account_servicer_ref: text(e, &["AcctSvcrRef"]),
                transactions: vec![],
            };
            for d in children(e, "NtryDtls") {
                for t in children(d, "TxDtls") {
                    let amt = child(t, "Amt").or_else(|| path(t, &["AmtDtls", "TxAmt", "Amt"])).map(amount).transpose()?;
                    let debtor = path(t, &["RltdPties", "Dbtr"]);
                    let mut tx = CamtTx {
                        line: line_of(t),
                        amount: amt,
                        end_to_end_id: text(t, &["Refs", "EndToEndId"]).filter(|x| x != "NOTPROVIDED"),
                        account_servicer_ref: text(t, &["Refs", "AcctSvcrRef"]),
                        debtor_name: debtor.and_then(|x| text(x, &["Nm"]).or_else(|| text(x, &["Pty", "Nm"]))),
                        debtor_iban: text(t, &["RltdPties", "DbtrAcct", "Id", "IBAN"]),
                        ..Default::default()
                    };
                    if let Some(r) = child(t, "RmtInf") {
                        for s in children(r, "Strd") {
                            if let Some(x) = text(s, &["CdtrRefInf", "Ref"]) {
                                tx.references.push(x);
                            }
                        }
                        tx.text.extend(children(r, "Ustrd").filter_map(|u| u.text()).map(|x| x.trim().to_string()).filter(|x| !x.is_empty()));
                    }
                    entry.transactions.push(tx);
                }
            }
            a.entries.push(entry);
        }
        accounts.push(a);
    }
    Ok(CamtFile { kind: kind.to_string(), version, message_id: text(body, &["GrpHdr", "MsgId"]), accounts })
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
        assert_eq!((f.kind.as_str(), f.version.as_str(), f.message_id.as_deref()), ("camt.054", "001.02", Some("MSG-1")));
        let a = &f.accounts[0];
        assert_eq!(a.iban.as_deref(), Some("FI1431313001234567"));
        let e = &a.entries[0];
        assert_eq!((e.amount, e.currency.as_str(), e.credit, e.reversal, e.status.as_str()), (15000, "EUR", true, false, "BOOK"));
        assert_eq!(e.booking_date, NaiveDate::from_ymd_opt(2024, 4, 2));
        assert_eq!(e.transactions.len(), 2);
        let t = &e.transactions[0];
        assert_eq!((t.amount, t.end_to_end_id.as_deref(), t.debtor_name.as_deref()), (Some(10000), None, Some("Matti Meikäläinen")));
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
        assert!(parse(b"<a>").unwrap_err().to_string().contains("not well-formed XML"));
        assert!(parse(b"<Document xmlns='urn:x'/>").unwrap_err().to_string().contains("not an ISO 20022 document"));
        let bad = CAMT054_V2.replacen("150.00", "150.001", 1);
        assert_eq!(parse(bad.as_bytes()).unwrap_err().to_string(), "amount '150.001' is not a decimal with at most two decimals (line 9)");
        let bad = CAMT054_V2.replacen("<Dt>2024-04-02</Dt></BookgDt>", "<Dt>02.04.2024</Dt></BookgDt>", 1);
        assert!(parse(bad.as_bytes()).unwrap_err().to_string().contains("BookgDt: '02.04.2024' is not a date"));
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
