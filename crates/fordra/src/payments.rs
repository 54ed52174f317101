//! `fordra payments …` and `fordra ref …`: bank files in, matched to claims, the unmatched
//! queue, the ERP payment report, and payment references.

use crate::{m, table};
use anyhow::{anyhow, bail, Result};
use chrono::NaiveDate;
use clap::{Subcommand, ValueEnum};
use fordra_core::law::LawBook;
use fordra_core::matching::Incoming;
use fordra_core::reference::{self, Scheme};
use fordra_formats::{bgmax, camt, ktl};
use fordra_store::{bank_digest as digest, BankPaymentResult, FileItem, Reversal, ReversalTarget, Store};
use serde_json::json;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::rc::Rc;

#[derive(Subcommand)]
pub enum PaymentsCmd {
    /// Import a bank file (BgMax, camt.054, camt.053, KTL or CSV; detected when --format is not given).
    Import {
        file: PathBuf,
        #[arg(long)]
        format: Option<Format>,
        /// Match and show, book nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Payments no claim could be found for, with ranked suggestions.
    Unmatched,
    /// Book an unmatched payment to a claim.
    Assign { payment: String, claim: String },
    /// What was received and allocated per invoice in a period (for the ERP).
    Report {
        #[arg(long)]
        from: NaiveDate,
        #[arg(long)]
        to: NaiveDate,
        /// CSV instead of a table.
        #[arg(long)]
        csv: bool,
    },
}

#[derive(Subcommand)]
pub enum RefCmd {
    /// Make a payment reference from a base number.
    Make {
        #[arg(long)]
        scheme: Scheme,
        base: String,
    },
    /// In which schemes a reference is valid (exit status 1 if none).
    Check { reference: String },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Bgmax,
    Camt054,
    Camt053,
    Ktl,
    Csv,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Bgmax => "bgmax",
            Format::Camt054 => "camt054",
            Format::Camt053 => "camt053",
            Format::Ktl => "ktl",
            Format::Csv => "csv",
        }
    }
}

/// Recognises a file by its first bytes (a UTF-8 byte-order mark is skipped).
pub fn detect(bytes: &[u8]) -> Format {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(2048)]).to_string();
    let first = head.lines().next().unwrap_or("").trim_end_matches('\r');
    if first.starts_with("01BGMAX") {
        Format::Bgmax
    } else if head.contains("camt.053") {
        Format::Camt053
    } else if head.trim_start().starts_with('<') {
        Format::Camt054
    } else if first.starts_with('0') && first.chars().count() == 90 {
        Format::Ktl
    } else {
        Format::Csv
    }
}

/// FNV-1a over the file: identifies a file already imported (each payment's bank key is what
/// keeps bookings single; a file seen before books nothing at all). Hand-written because a
/// cryptographic hash crate would be a dependency for a non-security purpose.
fn checksum(bytes: &[u8]) -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x100000001b3);
    }
    format!("{h:016x}-{}", bytes.len())
}

/// Keys for payments a file gives no bank reference for: a digest of what the payment says and
/// its place among identical payments in the file. The same payment in two files gets the same
/// key (one booking); two identical payments in one file get two.
#[derive(Default)]
struct ContentKeys(HashMap<String, usize>);

impl ContentKeys {
    fn key(&mut self, prefix: &str, parts: &[&str]) -> String {
        let d = digest(parts);
        let n = self.0.entry(d.clone()).or_insert(0);
        *n += 1;
        format!("{prefix}:content:{d}:{n}")
    }
}

/// Reads a bank file into the items the store imports. BgMax is read a deposit at a time as the
/// items are taken; the others are read whole (they are bounded in size: see the README).
pub fn items<'a>(
    bytes: &'a [u8],
    name: &str,
    format: Format,
    default_currency: &str,
    notes: Rc<RefCell<Vec<String>>>,
) -> Result<Box<dyn Iterator<Item = Result<FileItem, String>> + 'a>> {
    match format {
        Format::Bgmax => {
            let name = name.to_string();
            let mut reader = bgmax::Reader::new(bytes);
            let mut queue: VecDeque<FileItem> = VecDeque::new();
            let mut done = false;
            Ok(Box::new(std::iter::from_fn(move || loop {
                if let Some(x) = queue.pop_front() {
                    return Some(Ok(x));
                }
                if done {
                    return None;
                }
                match reader.next_deposit() {
                    Err(e) => {
                        done = true;
                        return Some(Err(e.to_string()));
                    }
                    Ok(None) => {
                        done = true;
                        notes.borrow_mut().extend(reader.file.warnings.iter().map(|w| format!("{name}: {w}")));
                    }
                    Ok(Some(d)) => queue.extend(bgmax_items(&d, &name, &notes)),
                }
            })))
        }
        Format::Camt053 | Format::Camt054 => {
            let f = camt::parse(bytes).map_err(|e| anyhow!("{name}: {e}"))?;
            Ok(Box::new(camt_items(&f).into_iter().map(Ok)))
        }
        Format::Ktl => {
            let f = ktl::parse(bytes).map_err(|e| anyhow!("{name}: {e}"))?;
            Ok(Box::new(ktl_items(&f, name, &notes).into_iter().map(Ok)))
        }
        Format::Csv => Ok(Box::new(csv_items(bytes, name, default_currency)?.into_iter().map(Ok))),
    }
}

fn bgmax_items(d: &bgmax::Deposit, name: &str, notes: &RefCell<Vec<String>>) -> Vec<FileItem> {
    let mut out = Vec::new();
    for (n, p) in d.payments.iter().enumerate() {
        let key = format!("bgmax:{}:{}:{}:{}:{}", d.payee_bankgiro, d.payment_date, d.serial, p.serial, n + 1);
        if p.record == 21 {
            let reason = format!("deduction (record 21) with reference {}: not booked, review it against your credit notes", p.reference);
            out.push(FileItem::Refused { key, line: p.line, date: d.payment_date, amount: -p.amount, currency: d.currency.clone(), reason });
            continue;
        }
        let mut refs: Vec<String> = Some(p.reference.clone()).filter(|r| !r.is_empty()).into_iter().collect();
        for x in &p.extra_references {
            if x.negative {
                notes.borrow_mut().push(format!("{name}: line {}: negative extra reference {} is not booked", x.line, x.reference));
            } else {
                refs.push(x.reference.clone());
            }
        }
        out.push(FileItem::Payment(Incoming {
            key,
            date: d.payment_date,
            amount: p.amount,
            currency: d.currency.clone(),
            references: refs,
            text: p.info.clone(),
            payer: p.name.clone(),
            claim: None,
            line: p.line,
            account: Some(d.payee_bankgiro.clone()),
        }));
    }
    out
}

fn camt_items(f: &camt::CamtFile) -> Vec<FileItem> {
    let mut out = Vec::new();
    let mut content = ContentKeys::default();
    for a in &f.accounts {
        let acct = a.iban.clone().or(a.other_id.clone()).unwrap_or_default();
        for e in &a.entries {
            let Some(date) = e.booking_date.or(e.value_date) else {
                let reason = "an entry without a booking date".to_string();
                out.push(FileItem::Refused {
                    key: format!("camt:{acct}:undated:{}", e.line),
                    line: e.line,
                    date: chrono::NaiveDate::MIN,
                    amount: 0,
                    currency: e.currency.clone(),
                    reason,
                });
                continue;
            };
            let txs: Vec<camt::CamtTx> =
                if e.transactions.is_empty() { vec![camt::CamtTx { line: e.line, ..Default::default() }] } else { e.transactions.clone() };
            for (n, t) in txs.iter().enumerate() {
                let amount = t.amount.unwrap_or(if txs.len() == 1 { e.amount } else { 0 });
                // The bank's reference for the transaction, else the entry's with the position,
                // else what the payment says (a payer's EndToEndId alone is not unique).
                let key = match (&t.account_servicer_ref, &e.account_servicer_ref) {
                    (Some(r), _) => format!("camt:{acct}:{r}"),
                    (None, Some(r)) => format!("camt:{acct}:{r}/{}", n + 1),
                    (None, None) => content.key(
                        &format!("camt:{acct}"),
                        &[
                            &date.to_string(),
                            &amount.to_string(),
                            &e.currency,
                            &e.credit.to_string(),
                            &e.reversal.to_string(),
                            &t.references.join(" "),
                            &t.text.join(" "),
                            t.debtor_name.as_deref().unwrap_or(""),
                            t.debtor_iban.as_deref().unwrap_or(""),
                            t.end_to_end_id.as_deref().unwrap_or(""),
                        ],
                    ),
                };
                if e.reversal {
                    let target = match (&t.account_servicer_ref, t.references.is_empty()) {
                        (Some(r), _) => ReversalTarget::Key(format!("camt:{acct}:{r}")),
                        (None, false) => ReversalTarget::ReferenceAmount(t.references.join(" "), amount),
                        (None, true) => ReversalTarget::Key(key.clone()),
                    };
                    out.push(FileItem::Reversal(Reversal { key: format!("{key}:reversal"), line: t.line, date, target }));
                    continue;
                }
                if !e.status.is_empty() && e.status != "BOOK" {
                    let reason = format!("entry with status {}: not booked by the bank yet", e.status);
                    out.push(FileItem::Refused { key: format!("{key}:{}", e.status), line: t.line, date, amount, currency: e.currency.clone(), reason });
                    continue;
                }
                if !e.credit {
                    let reason = "a debit (money out), not a payment".to_string();
                    out.push(FileItem::Refused { key, line: t.line, date, amount: -amount, currency: e.currency.clone(), reason });
                    continue;
                }
                out.push(FileItem::Payment(Incoming {
                    key,
                    date,
                    amount,
                    currency: e.currency.clone(),
                    references: t.references.clone(),
                    text: t.text.clone(),
                    payer: t.debtor_name.clone(),
                    claim: None,
                    line: t.line,
                    account: Some(acct.clone()),
                }));
            }
        }
    }
    out
}

fn ktl_items(f: &ktl::KtlFile, name: &str, notes: &RefCell<Vec<String>>) -> Vec<FileItem> {
    let mut out = Vec::new();
    let mut content = ContentKeys::default();
    for b in &f.batches {
        for p in &b.payments {
            let key = if p.archive_id.is_empty() {
                notes.borrow_mut().push(format!("{name}: line {}: no archive id: the payment is known by its content", p.line));
                content.key("ktl", &[&p.account, &p.payment_date.to_string(), &p.reference, &p.payer, &p.amount.to_string(), &p.correction.to_string()])
            } else {
                format!("ktl:{}", p.archive_id)
            };
            if p.correction {
                out.push(FileItem::Reversal(Reversal {
                    key,
                    line: p.line,
                    date: p.payment_date,
                    target: ReversalTarget::ReferenceAmount(p.reference.clone(), -p.amount),
                }));
            } else {
                out.push(FileItem::Payment(Incoming {
                    key,
                    date: p.payment_date,
                    amount: p.amount,
                    currency: "EUR".into(),
                    references: vec![p.reference.clone()].into_iter().filter(|r| !r.is_empty()).collect(),
                    text: vec![],
                    payer: Some(p.payer.clone()).filter(|x| !x.is_empty()),
                    claim: None,
                    line: p.line,
                    account: Some(p.account.clone()),
                }));
            }
        }
    }
    out
}

fn csv_items(bytes: &[u8], name: &str, default_currency: &str) -> Result<Vec<FileItem>> {
    let sheet = crate::csvin::Sheet::parse(name, bytes, &["id", "date", "amount"])?;
    let mut out = Vec::new();
    for l in sheet.lines() {
        let at = |e: anyhow::Error| e;
        let amount = l.amount("amount").map_err(at)?;
        if amount <= 0 {
            bail!("{name}: line {}: column amount: must be positive", l.line);
        }
        out.push(FileItem::Payment(Incoming {
            key: format!("csv:{}", l.id("id").map_err(at)?),
            date: l.date("date").map_err(at)?,
            amount,
            currency: l.opt("currency").unwrap_or(default_currency).to_ascii_uppercase(),
            references: l.text("reference", 60).map_err(at)?.map(str::to_string).into_iter().collect(),
            text: l.text("text", 500).map_err(at)?.map(str::to_string).into_iter().collect(),
            payer: l.text("payer", 200).map_err(at)?.map(str::to_string),
            claim: l.text("invoice_id", 64).map_err(at)?.map(str::to_string),
            line: l.line,
            account: None,
        }));
    }
    Ok(out)
}

pub fn import(store: &mut Store, law: &LawBook, cid: &str, file: &Path, format: Option<Format>, dry_run: bool, json: bool) -> Result<()> {
    let c = store.creditor(cid)?;
    let bytes = crate::csvin::read_bounded(file)?;
    let format = format.unwrap_or_else(|| detect(&bytes));
    let source = file.file_name().map(|f| f.to_string_lossy().into_owned()).unwrap_or_default();
    let notes = Rc::new(RefCell::new(Vec::new()));
    let mut it = items(&bytes, &file.display().to_string(), format, c.currency.code(), notes.clone())?;
    // Results are written as they are known (JSON, to a spool that reaches stdout only if the
    // import succeeds) or the first rows kept (table): a file of a million payments is never held
    // whole, and a refused file prints no half an answer.
    let mut w = std::io::BufWriter::new(tempfile::spooled_tempfile(8 << 20));
    let mut shown: Vec<BankPaymentResult> = Vec::new();
    let mut n = 0usize;
    if json {
        write!(
            w,
            "{{\"file\": {}, \"format\": \"{}\", \"dry_run\": {dry_run}, \"payments\": [",
            serde_json::to_string(&file.display().to_string())?,
            format.name()
        )?;
    }
    let mut each = |p: &BankPaymentResult| -> fordra_store::Result<()> {
        if json {
            let sep = if n == 0 { "\n" } else { ",\n" };
            let text = serde_json::to_string(&payment_out(p)).map_err(|e| fordra_store::StoreError::Data(e.to_string()))?;
            write!(w, "{sep}{text}").map_err(|e| fordra_store::StoreError::Data(e.to_string()))?;
        } else if shown.len() < SHOW_ROWS {
            shown.push(p.clone());
        }
        n += 1;
        Ok(())
    };
    let r = store.import_bank_payments_each(cid, law, format.name(), &source, &checksum(&bytes), &mut it, dry_run, &mut each);
    drop(it);
    // Nothing was booked on an error; what was spooled of the answer is dropped with it.
    let r = r?;
    let notes = notes.borrow().clone();
    let count = |f: &dyn Fn(&str) -> bool| r.totals.iter().filter(|t| f(&t.status)).map(|t| t.count).sum::<usize>();
    let counts = [
        ("matched", count(&|s| s == "matched" || s == "overpaid")),
        ("partly_matched", count(&|s| s == "partly matched")),
        ("unmatched", count(&|s| s == "unmatched")),
        ("duplicates", count(&|s| s == "duplicate")),
        ("refused", count(&|s| s == "refused")),
    ];
    let mut totals: BTreeMap<String, i64> = BTreeMap::new();
    for t in r.totals.iter().filter(|t| !matches!(t.status.as_str(), "duplicate" | "refused")) {
        *totals.entry(t.currency.clone()).or_default() += t.amount;
    }
    let reversals = n - r.totals.iter().map(|t| t.count).sum::<usize>();
    if json {
        let mut tail = serde_json::Map::new();
        tail.insert("file_seen_before".into(), json!(r.file_seen_before));
        // Booked or queued, per currency (duplicates, reversals and refused items not counted).
        tail.insert("totals".into(), json!(totals.iter().map(|(k, v)| (k.clone(), m(*v))).collect::<BTreeMap<_, _>>()));
        // What the file holds per currency; the statuses add up to it.
        tail.insert("file_total".into(), json!(r.file_total.iter().map(|(k, v)| (k.clone(), m(*v))).collect::<BTreeMap<_, _>>()));
        tail.insert(
            "by_status".into(),
            json!(r.totals.iter().map(|t| json!({"status": t.status, "currency": t.currency, "count": t.count, "amount": m(t.amount)})).collect::<Vec<_>>()),
        );
        for (k, v) in counts {
            tail.insert(k.into(), json!(v));
        }
        tail.insert("reversals".into(), json!(reversals));
        tail.insert("notes".into(), json!(notes));
        let tail = serde_json::to_string(&serde_json::Value::Object(tail))?;
        writeln!(w, "\n], {}", &tail[1..])?;
        return copy_out(w);
    }
    writeln!(
        w,
        "{} ({}){}: {n} items, {}; {} matched, {} partly matched, {} unmatched, {} refused, {} already imported, {reversals} reversals{}",
        file.display(),
        format.name(),
        if dry_run { " — dry run, nothing booked" } else { "" },
        if totals.is_empty() { "nothing new".to_string() } else { totals.iter().map(|(k, v)| format!("{} {k}", m(*v))).collect::<Vec<_>>().join(", ") },
        counts[0].1,
        counts[1].1,
        counts[2].1,
        counts[4].1,
        counts[3].1,
        if r.file_seen_before { " (this file was imported before: nothing booked)" } else { "" }
    )?;
    let rows = shown
        .iter()
        .map(|p| {
            vec![
                p.line.to_string(),
                p.reference.clone().unwrap_or_default(),
                m(p.amount),
                p.date.to_string(),
                p.payer.clone().unwrap_or_default(),
                p.claims.iter().map(|(c, a)| format!("{c} {}", m(*a))).collect::<Vec<_>>().join(", "),
                p.status.clone(),
                p.how.clone(),
            ]
        })
        .collect();
    writeln!(w, "{}", table(&["line", "reference", "amount", "date", "payer", "claim", "status", "why"], rows))?;
    if n > SHOW_ROWS {
        writeln!(w, "… {} more (use --json for all)", n - SHOW_ROWS)?;
    }
    let by_status: Vec<String> = r.totals.iter().map(|t| format!("{} {}: {} ({})", t.count, t.status, m(t.amount), t.currency)).collect();
    writeln!(w, "In the file: {}; {}", r.file_total.iter().map(|(c, v)| format!("{} {c}", m(*v))).collect::<Vec<_>>().join(", "), by_status.join(", "))?;
    for note in notes {
        writeln!(w, "note: {note}")?;
    }
    copy_out(w)
}

fn copy_out(w: std::io::BufWriter<tempfile::SpooledTempFile>) -> Result<()> {
    use std::io::Seek;
    let mut spool = w.into_inner().map_err(|e| anyhow!("{e}"))?;
    spool.rewind()?;
    std::io::copy(&mut spool, &mut std::io::stdout().lock())?;
    Ok(())
}

/// How many payment rows the table shows (JSON lists all).
const SHOW_ROWS: usize = 200;

#[derive(serde::Serialize)]
struct PaymentOut<'a> {
    key: &'a str,
    line: usize,
    reference: &'a Option<String>,
    amount: String,
    currency: &'a str,
    date: chrono::NaiveDate,
    payer: &'a Option<String>,
    matched_claim: Option<&'a str>,
    claims: Vec<serde_json::Value>,
    status: &'a str,
    how: &'a str,
    suggestions: &'a [fordra_core::matching::Suggestion],
}

fn payment_out(p: &BankPaymentResult) -> PaymentOut<'_> {
    PaymentOut {
        key: &p.key,
        line: p.line,
        reference: &p.reference,
        amount: m(p.amount),
        currency: &p.currency,
        date: p.date,
        payer: &p.payer,
        matched_claim: p.claims.first().map(|c| c.0.as_str()),
        claims: p.claims.iter().map(|(c, a)| json!({"claim": c, "amount": m(*a)})).collect(),
        status: &p.status,
        how: &p.how,
        suggestions: &p.suggestions,
    }
}

/// A text cell for a spreadsheet: a value starting with = + - @ TAB or CR would be read as a
/// formula (=HYPERLINK(…), =cmd|…), so it gets a leading apostrophe (OWASP's CSV injection rule).
pub fn cell(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}

pub fn run(store: &mut Store, law: &LawBook, cid: &str, cmd: PaymentsCmd, json: bool) -> Result<()> {
    match cmd {
        PaymentsCmd::Import { file, format, dry_run } => import(store, law, cid, &file, format, dry_run, json),
        PaymentsCmd::Unmatched => {
            let q = store.unmatched_payments(cid)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&q)?);
            } else {
                println!("{} unmatched payments", q.len());
                let rows = q
                    .iter()
                    .map(|p| {
                        vec![
                            p.key.clone(),
                            p.date.to_string(),
                            format!("{} {}", m(p.amount), p.currency),
                            p.reference.clone().unwrap_or_default(),
                            p.payer.clone().unwrap_or_default(),
                            p.how.clone(),
                            p.suggestions.iter().map(|s| format!("{} ({}: {})", s.claim, s.score, s.reason)).collect::<Vec<_>>().join("\n"),
                        ]
                    })
                    .collect();
                println!("{}", table(&["payment", "date", "amount", "reference", "payer", "why unmatched", "suggestions"], rows));
                println!("Book one with `fordra payments assign PAYMENT CLAIM`.");
            }
            Ok(())
        }
        PaymentsCmd::Assign { payment, claim } => {
            let r = store.assign_payment(cid, law, &payment, &claim)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&r)?);
            } else {
                println!("Payment {payment} ({} {}) booked to {claim}: {}", m(r.amount), r.currency, r.status);
            }
            Ok(())
        }
        PaymentsCmd::Report { from, to, csv } => {
            let rows = store.payment_report(cid, from, to)?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows.iter().map(|r| json!({"date": r.date, "payment": r.payment, "invoice": r.claim, "invoice_number": r.invoice_number, "customer": r.customer, "currency": r.currency, "amount": m(r.amount), "principal": m(r.principal), "interest": m(r.interest), "fees": m(r.fees), "credit": m(r.credit), "reversed": m(r.reversed)})).collect::<Vec<_>>())?);
            } else if csv {
                let mut w = csv::Writer::from_writer(std::io::stdout());
                w.write_record([
                    "date",
                    "payment",
                    "invoice_id",
                    "invoice_number",
                    "customer_id",
                    "currency",
                    "amount",
                    "principal",
                    "interest",
                    "fees",
                    "credit",
                    "reversed",
                ])?;
                for r in &rows {
                    w.write_record([
                        r.date.to_string(),
                        cell(&r.payment),
                        cell(&r.claim),
                        cell(&r.invoice_number),
                        cell(&r.customer),
                        cell(&r.currency),
                        m(r.amount),
                        m(r.principal),
                        m(r.interest),
                        m(r.fees),
                        m(r.credit),
                        m(r.reversed),
                    ])?;
                }
                w.flush()?;
            } else {
                let t = rows
                    .iter()
                    .map(|r| {
                        vec![
                            r.date.to_string(),
                            r.payment.clone(),
                            r.claim.clone(),
                            r.customer.clone(),
                            m(r.amount),
                            m(r.principal),
                            m(r.interest),
                            m(r.fees),
                            m(r.credit),
                            m(r.reversed),
                        ]
                    })
                    .collect();
                println!("{}", table(&["date", "payment", "invoice", "customer", "amount", "principal", "interest", "fees", "credit", "reversed"], t));
            }
            Ok(())
        }
    }
}

pub fn reference_cmd(cmd: RefCmd, json: bool) -> Result<i32> {
    match cmd {
        RefCmd::Make { scheme, base } => {
            let r = reference::make(scheme, &base).map_err(|e| anyhow!("{e}"))?;
            if json {
                println!("{}", json!({"scheme": scheme.name(), "base": base, "reference": r}));
            } else {
                println!("{r}");
            }
            Ok(0)
        }
        RefCmd::Check { reference: r } => {
            let valid = reference::valid_schemes(&r);
            if json {
                println!("{}", json!({"reference": r, "valid": !valid.is_empty(), "schemes": valid.iter().map(|s| s.name()).collect::<Vec<_>>()}));
            } else if valid.is_empty() {
                println!("{r}: not valid in any scheme ({})", Scheme::ALL.iter().map(|s| s.name()).collect::<Vec<_>>().join(", "));
            } else {
                println!("{r}: valid as {}", valid.iter().map(|s| s.name()).collect::<Vec<_>>().join(", "));
            }
            Ok(if valid.is_empty() { 1 } else { 0 })
        }
    }
}
