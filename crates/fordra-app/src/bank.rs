//! Bank files in (BgMax, camt.054, camt.053, KTL, CSV: detected by content, read once from
//! bytes), matched to claims and booked; the unmatched queue and assignment; the ERP's payment
//! report.

use crate::booking::{digest, BankPaymentResult, FileItem, ItemsOf, Reversal, ReversalTarget};
use crate::{App, AppError, ClaimId, CreditorId, Minor, Result};
use chrono::NaiveDate;
use fordra_core::domain::{fnv1a, BankStatus};
use fordra_core::matching::{Incoming, Suggestion};
use fordra_formats::{bgmax, camt, ktl};
use serde::Serialize;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap, VecDeque};
use std::rc::Rc;

/// The bank-file formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BankFormat {
    /// Bankgirot's BgMax (SE).
    Bgmax,
    /// ISO 20022 camt.054 (debit/credit notification).
    Camt054,
    /// ISO 20022 camt.053 (statement).
    Camt053,
    /// The Finnish KTL reference-payment file.
    Ktl,
    /// A CSV of payments (id, date, amount, reference, …).
    Csv,
}

impl BankFormat {
    /// Its name.
    pub fn name(self) -> &'static str {
        match self {
            BankFormat::Bgmax => "bgmax",
            BankFormat::Camt054 => "camt054",
            BankFormat::Camt053 => "camt053",
            BankFormat::Ktl => "ktl",
            BankFormat::Csv => "csv",
        }
    }
}

/// Recognises a file by its first bytes (a UTF-8 byte-order mark is skipped).
pub fn detect(bytes: &[u8]) -> BankFormat {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let head = String::from_utf8_lossy(bytes.get(..2048).unwrap_or(bytes)).to_string();
    let first = head.lines().next().unwrap_or("").trim_end_matches('\r');
    if first.starts_with("01BGMAX") {
        BankFormat::Bgmax
    } else if head.contains("camt.053") {
        BankFormat::Camt053
    } else if head.trim_start().starts_with('<') {
        BankFormat::Camt054
    } else if first.starts_with('0') && first.chars().count() == 90 {
        BankFormat::Ktl
    } else {
        BankFormat::Csv
    }
}

/// FNV-1a over the file: identifies a file already imported (each payment's bank key is what
/// keeps bookings single; a file seen before books nothing at all).
fn checksum(bytes: &[u8]) -> String {
    format!("{:016x}-{}", fnv1a(bytes.iter().copied()), bytes.len())
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
fn items<'a>(
    bytes: &'a [u8],
    name: &str,
    format: BankFormat,
    default_currency: &str,
    notes: Rc<RefCell<Vec<String>>>,
) -> Result<Box<dyn Iterator<Item = std::result::Result<FileItem, fordra_core::domain::ParseError>> + 'a>> {
    match format {
        BankFormat::Bgmax => {
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
                        return Some(Err(fordra_core::domain::ParseError(e.to_string())));
                    }
                    Ok(None) => {
                        done = true;
                        notes.borrow_mut().extend(reader.file.warnings.iter().map(|w| format!("{name}: {w}")));
                    }
                    Ok(Some(d)) => queue.extend(bgmax_items(&d, &name, &notes)),
                }
            })))
        }
        BankFormat::Camt053 | BankFormat::Camt054 => {
            let f = camt::parse(bytes).map_err(|e| AppError::invalid(name, e.to_string()))?;
            Ok(Box::new(camt_items(&f).into_iter().map(Ok)))
        }
        BankFormat::Ktl => {
            let f = ktl::parse(bytes).map_err(|e| AppError::invalid(name, e.to_string()))?;
            Ok(Box::new(ktl_items(&f, name, &notes).into_iter().map(Ok)))
        }
        BankFormat::Csv => Ok(Box::new(csv_items(bytes, name, default_currency)?.into_iter().map(Ok))),
    }
}

fn bgmax_items(d: &bgmax::Deposit, name: &str, notes: &RefCell<Vec<String>>) -> Vec<FileItem> {
    let mut out = Vec::new();
    for (n, p) in d.payments.iter().enumerate() {
        let key = format!("bgmax:{}:{}:{}:{}:{}", d.payee_bankgiro, d.payment_date, d.serial, p.serial, n + 1);
        if p.record == 21 {
            let reason = format!(
                "deduction (record 21) with reference {}: not booked, review it against your credit notes",
                p.reference
            );
            out.push(FileItem::Refused {
                key,
                line: p.line,
                date: d.payment_date,
                amount: -p.amount,
                currency: d.currency.clone(),
                reason,
            });
            continue;
        }
        let mut refs: Vec<String> = Some(p.reference.clone()).filter(|r| !r.is_empty()).into_iter().collect();
        for x in &p.extra_references {
            if x.negative {
                notes
                    .borrow_mut()
                    .push(format!("{name}: line {}: negative extra reference {} is not booked", x.line, x.reference));
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
            let txs: Vec<camt::CamtTx> = if e.transactions.is_empty() {
                vec![camt::CamtTx { line: e.line, ..Default::default() }]
            } else {
                e.transactions.clone()
            };
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
                    out.push(FileItem::Reversal(Reversal {
                        key: format!("{key}:reversal"),
                        line: t.line,
                        date,
                        target,
                    }));
                    continue;
                }
                if !e.status.is_empty() && e.status != "BOOK" {
                    let reason = format!("entry with status {}: not booked by the bank yet", e.status);
                    out.push(FileItem::Refused {
                        key: format!("{key}:{}", e.status),
                        line: t.line,
                        date,
                        amount,
                        currency: e.currency.clone(),
                        reason,
                    });
                    continue;
                }
                if !e.credit {
                    let reason = "a debit (money out), not a payment".to_string();
                    out.push(FileItem::Refused {
                        key,
                        line: t.line,
                        date,
                        amount: -amount,
                        currency: e.currency.clone(),
                        reason,
                    });
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
                notes
                    .borrow_mut()
                    .push(format!("{name}: line {}: no archive id: the payment is known by its content", p.line));
                content.key(
                    "ktl",
                    &[
                        &p.account,
                        &p.payment_date.to_string(),
                        &p.reference,
                        &p.payer,
                        &p.amount.to_string(),
                        &p.correction.to_string(),
                    ],
                )
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
    let sheet = crate::input::Sheet::parse(name, bytes, &["id", "date", "amount"])?;
    let mut out = Vec::new();
    for l in sheet.lines() {
        let at = |e: AppError| e;
        let amount = l.amount("amount").map_err(at)?;
        if amount <= 0 {
            return Err(l.err("amount", "must be positive"));
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

/// A bank file to import.
#[derive(Clone, Copy, Debug)]
pub struct BankFile<'a> {
    /// Its name (a path or an upload's name): errors and notes name it.
    pub source: &'a str,
    /// Its content, read once.
    pub bytes: &'a [u8],
    /// Detected from the content when not given.
    pub format: Option<BankFormat>,
    /// Match and show, book nothing.
    pub dry_run: bool,
}

/// One payment of a file (or of the unmatched queue) and what became of it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PaymentOut {
    /// The bank key (one booking per key).
    pub key: String,
    /// Line in the file.
    pub line: usize,
    /// The payment reference(s).
    pub reference: Option<String>,
    /// Amount.
    #[schema(value_type = String)]
    pub amount: Minor,
    /// Currency code.
    pub currency: String,
    /// Booking date.
    pub date: NaiveDate,
    /// Payer's name.
    pub payer: Option<String>,
    /// The first claim it went to.
    #[schema(value_type = Option<String>)]
    pub matched_claim: Option<ClaimId>,
    /// Each claim and the amount booked to it.
    pub claims: Vec<ClaimAmount>,
    /// matched, partly matched, overpaid, unmatched, duplicate, reversal, refused, assigned.
    #[schema(value_type = String)]
    pub status: BankStatus,
    /// How it was matched, or why not.
    pub how: String,
    /// Ranked suggestions for an unmatched payment.
    #[schema(value_type = Vec<Object>)]
    pub suggestions: Vec<Suggestion>,
}

/// An amount booked to a claim.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ClaimAmount {
    /// The claim.
    #[schema(value_type = String)]
    pub claim: ClaimId,
    /// Amount.
    #[schema(value_type = String)]
    pub amount: Minor,
}

impl From<&BankPaymentResult> for PaymentOut {
    fn from(p: &BankPaymentResult) -> Self {
        PaymentOut {
            key: p.key.clone(),
            line: p.line,
            reference: p.reference.clone(),
            amount: Minor(p.amount),
            currency: p.currency.clone(),
            date: p.date,
            payer: p.payer.clone(),
            matched_claim: p.claims.first().map(|c| ClaimId(c.0.clone())),
            claims: p
                .claims
                .iter()
                .map(|(c, a)| ClaimAmount { claim: ClaimId(c.clone()), amount: Minor(*a) })
                .collect(),
            status: p.status,
            how: p.how.clone(),
            suggestions: p.suggestions.clone(),
        }
    }
}

/// What a bank file import did (the payments themselves go to the caller one by one).
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct BankImported {
    /// The source.
    pub file: String,
    /// The format read.
    #[schema(value_type = String)]
    pub format: BankFormat,
    /// Nothing was booked.
    pub dry_run: bool,
    /// The same file was imported before: nothing booked.
    pub file_seen_before: bool,
    /// Booked or queued, per currency (duplicates, reversals and refused items not counted).
    #[schema(value_type = BTreeMap<String, String>)]
    pub totals: BTreeMap<String, Minor>,
    /// What the file holds per currency; the statuses add up to it.
    #[schema(value_type = BTreeMap<String, String>)]
    pub file_total: BTreeMap<String, Minor>,
    /// Count and amount per status and currency.
    pub by_status: Vec<StatusCount>,
    /// Matched (incl. overpaid).
    pub matched: usize,
    /// Partly matched.
    pub partly_matched: usize,
    /// Queued for an advisor.
    pub unmatched: usize,
    /// Imported before.
    pub duplicates: usize,
    /// Not booked, with a reason.
    pub refused: usize,
    /// Reversals.
    pub reversals: usize,
    /// Items in the file.
    #[serde(skip)]
    pub items: usize,
    /// What the import should say beside the figures.
    pub notes: Vec<String>,
}

/// Count and amount of one status in one currency.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct StatusCount {
    /// Status.
    #[schema(value_type = String)]
    pub status: BankStatus,
    /// Currency code.
    pub currency: String,
    /// Payments.
    pub count: usize,
    /// Amount.
    #[schema(value_type = String)]
    pub amount: Minor,
}

/// A row of the ERP's payment report.
#[derive(Clone, Debug, Serialize)]
pub struct PaymentReportLine {
    /// Booking date.
    pub date: NaiveDate,
    /// Payment id.
    pub payment: String,
    /// The invoice (claim id).
    pub invoice: String,
    /// Its number.
    pub invoice_number: String,
    /// The customer.
    pub customer: String,
    /// Currency code.
    pub currency: String,
    /// Received.
    pub amount: Minor,
    /// To principal.
    pub principal: Minor,
    /// To interest.
    pub interest: Minor,
    /// To fees.
    pub fees: Minor,
    /// To the customer's credit.
    pub credit: Minor,
    /// Reversed later.
    pub reversed: Minor,
}

impl App<'_> {
    /// Imports a bank file: detects its format, checks its account against the creditor's,
    /// matches every payment, books it (unless a dry run) and queues the rest; reversals and
    /// deductions are recorded. Each payment's result is passed to `each` as it is known (a file
    /// of a million payments is never held whole); on an error nothing is booked.
    pub fn import_bank_file(
        &mut self,
        creditor: &CreditorId,
        file: BankFile<'_>,
        each: &mut dyn FnMut(PaymentOut) -> Result<()>,
    ) -> Result<BankImported> {
        crate::input::bounded(file.source, file.bytes)?;
        let c = self.store.creditor(creditor)?;
        let format = file.format.unwrap_or_else(|| detect(file.bytes));
        let notes = Rc::new(RefCell::new(Vec::new()));
        let mut it = items(file.bytes, file.source, format, c.currency.code(), notes.clone())?;
        let mut n = 0usize;
        let source = crate::imports::base_name(file.source);
        let checksum = checksum(file.bytes);
        let what = ItemsOf { format: format.name(), source: &source, checksum: &checksum, dry_run: file.dry_run };
        let r = self.import_bank_items(creditor, what, &mut it, &mut |p| {
            n += 1;
            each(PaymentOut::from(p))
        });
        drop(it);
        let r = r?;
        let notes = notes.borrow().clone();
        let count =
            |f: &[BankStatus]| r.totals.iter().filter(|t| f.contains(&t.status)).map(|t| t.count).sum::<usize>();
        let mut totals: BTreeMap<String, Minor> = BTreeMap::new();
        for t in r.totals.iter().filter(|t| !matches!(t.status, BankStatus::Duplicate | BankStatus::Refused)) {
            totals.entry(t.currency.clone()).or_default().0 += t.amount;
        }
        Ok(BankImported {
            file: file.source.to_string(),
            format,
            dry_run: file.dry_run,
            file_seen_before: r.file_seen_before,
            totals,
            file_total: r.file_total.iter().map(|(k, v)| (k.clone(), Minor(*v))).collect(),
            by_status: r
                .totals
                .iter()
                .map(|t| StatusCount {
                    status: t.status,
                    currency: t.currency.clone(),
                    count: t.count,
                    amount: Minor(t.amount),
                })
                .collect(),
            matched: count(&[BankStatus::Matched, BankStatus::Overpaid]),
            partly_matched: count(&[BankStatus::PartlyMatched]),
            unmatched: count(&[BankStatus::Unmatched]),
            duplicates: count(&[BankStatus::Duplicate]),
            refused: count(&[BankStatus::Refused]),
            reversals: n - r.totals.iter().map(|t| t.count).sum::<usize>(),
            items: n,
            notes,
        })
    }

    /// Payments no claim could be found for, with ranked suggestions.
    pub fn unmatched_payments(&mut self, creditor: &CreditorId) -> Result<Vec<PaymentOut>> {
        Ok(self.queued_payments(creditor)?.iter().map(PaymentOut::from).collect())
    }

    /// Books an unmatched payment to a claim.
    pub fn assign_payment(&mut self, creditor: &CreditorId, payment: &str, claim: &ClaimId) -> Result<PaymentOut> {
        Ok(PaymentOut::from(&self.assign_queued_payment(creditor, payment, claim)?))
    }

    /// What was received and allocated per invoice from `from` through `to`.
    pub fn payment_report(
        &mut self,
        creditor: &CreditorId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<PaymentReportLine>> {
        Ok(self
            .store
            .payment_report(creditor, from, to)?
            .into_iter()
            .map(|r| PaymentReportLine {
                date: r.date,
                payment: r.payment,
                invoice: r.claim,
                invoice_number: r.invoice_number,
                customer: r.customer,
                currency: r.currency,
                amount: Minor(r.amount),
                principal: Minor(r.principal),
                interest: Minor(r.interest),
                fees: Minor(r.fees),
                credit: Minor(r.credit),
                reversed: Minor(r.reversed),
            })
            .collect())
    }
}
