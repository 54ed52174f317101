//! Payments from bank files: match each to claims, book what matches, queue the rest for an
//! advisor, undo reversals. One transaction per file; a payment's bank key is its idempotency key,
//! so the same file (or the same payment in two files) is booked once.

use crate::NewPayment;
use crate::{bad, ReadRow, Result, Store, StoreError};
use chrono::NaiveDate;
use fordra_core::law::LawBook;
use fordra_core::ledger::EntryKind;
use fordra_core::limits;
use fordra_core::matching::{Decision, Incoming, Matcher, OpenClaim, Suggestion};
use fordra_core::money::Currency;
use fordra_core::settle::PaymentKind;
// FxHash for the per-claim indexes built on every run (keys are our own ids).
use rustc_hash::FxHashMap as HashMap;

/// Which earlier payment a reversal undoes.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub enum ReversalTarget {
    /// The bank key of the payment (camt: its account servicer reference).
    Key(String),
    /// The latest booked payment with this reference and amount (KTL corrections).
    ReferenceAmount(String, i64),
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Reversal {
    pub key: String,
    pub line: usize,
    pub date: NaiveDate,
    pub target: ReversalTarget,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BankPaymentResult {
    pub key: String,
    pub line: usize,
    pub date: NaiveDate,
    pub amount: i64,
    pub currency: String,
    pub reference: Option<String>,
    pub payer: Option<String>,
    /// matched, partly matched, overpaid, unmatched, duplicate, reversal, refused, assigned
    pub status: String,
    pub claims: Vec<(String, i64)>,
    pub how: String,
    pub suggestions: Vec<Suggestion>,
}

/// One item of a bank file, in file order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileItem {
    Payment(Incoming),
    Reversal(Reversal),
    /// Money the file reports that is not booked, with the reason (a BgMax deduction, an entry
    /// the bank has not booked yet, a debit). It is recorded and counted, never dropped.
    Refused {
        key: String,
        line: usize,
        date: NaiveDate,
        amount: i64,
        currency: String,
        reason: String,
    },
}

/// A booked bank payment: its result's index in the batch and its bookings (payment id, claim),
/// whose outcome is read after the batch's customers are reconciled.
type Booked = (usize, Vec<(String, String)>);

/// A file being imported: the results of the item just read, the booked payments (by their
/// result's number in the file, once `numbered`) and the customers touched (each once).
#[derive(Default)]
struct Batch {
    seen: std::collections::HashSet<String>,
    out: Vec<BankPaymentResult>,
    booked: Vec<Booked>,
    touched: Vec<String>,
    numbered: usize,
}

impl Batch {
    fn touch(&mut self, customer: &str) {
        if self.seen.insert(customer.to_string()) {
            self.touched.push(customer.to_string());
        }
    }
}

/// How many items of a file ended in a status, and their sum, per currency.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct StatusTotal {
    pub status: String,
    pub currency: String,
    pub count: usize,
    pub amount: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct BankImport {
    pub file_seen_before: bool,
    pub payments: Vec<BankPaymentResult>,
    /// Per status and currency; the amounts of all statuses add up to `file_total`.
    pub totals: Vec<StatusTotal>,
    /// What the file holds per currency (payments less deductions; reversals not counted).
    pub file_total: Vec<(String, i64)>,
}

/// FNV-1a: a short, stable digest (not for security; collisions only weaken a duplicate check).
pub fn digest(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain(std::iter::once(0)) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// What identifies a payment's content: the same bank key with another fingerprint is not the
/// same payment.
fn fingerprint(p: &Incoming) -> String {
    digest(&[&p.date.to_string(), &p.amount.to_string(), &p.currency, p.claim.as_deref().unwrap_or("")])
}

fn digits(s: &str) -> String {
    s.chars().filter(|c| c.is_ascii_alphanumeric()).collect::<String>().to_ascii_uppercase()
}

/// Whether `account` (as a file gives it) is one of the creditor's: its bankgiro, one of its
/// IBANs (comma-separated), or the domestic account inside an IBAN (Finnish KTL files give that).
fn own_account(c: &fordra_core::run::Creditor, account: &str) -> bool {
    let a = digits(account);
    let trimmed = a.trim_start_matches('0');
    let bg = c.bankgiro.as_deref().map(digits).map(|b| b.trim_start_matches('0').to_string());
    let ibans = c.iban.as_deref().unwrap_or("").split(',').map(digits).filter(|i| !i.is_empty());
    bg.as_deref().is_some_and(|b| !b.is_empty() && b == trimmed)
        || ibans.into_iter().any(|i| i == a || i.get(4..) == Some(a.as_str()))
}

/// One booking of a bank payment, for the creditor's ERP.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PaymentReportRow {
    pub date: NaiveDate,
    pub payment: String,
    pub claim: String,
    pub invoice_number: String,
    pub customer: String,
    pub currency: String,
    pub amount: i64,
    pub principal: i64,
    pub interest: i64,
    pub fees: i64,
    pub credit: i64,
    pub reversed: i64,
}

/// A bank payment (or one part of it) booked to a claim, with the payer's references and name.
fn booking(
    p: &Incoming,
    id: &str,
    claim: &str,
    customer: &str,
    amount: i64,
    currency: Currency,
    source: &str,
) -> NewPayment {
    NewPayment {
        id: id.to_string(),
        claim: claim.to_string(),
        customer: customer.to_string(),
        date: p.date,
        amount,
        currency,
        kind: PaymentKind::Bank,
        bank_key: Some(p.key.clone()),
        source: source.to_string(),
        reference: (!p.references.is_empty()).then(|| p.references.join(" ")),
        payer: p.payer.clone(),
    }
}

fn result_of(
    p: &Incoming,
    status: &str,
    claims: Vec<(String, i64)>,
    how: String,
    suggestions: Vec<Suggestion>,
) -> BankPaymentResult {
    BankPaymentResult {
        key: p.key.clone(),
        line: p.line,
        date: p.date,
        amount: p.amount,
        currency: p.currency.clone(),
        reference: (!p.references.is_empty()).then(|| p.references.join(" ")),
        payer: p.payer.clone(),
        status: status.into(),
        claims,
        how,
        suggestions,
    }
}

/// A bank payment's line in its file.
fn line_of(r: &crate::Row) -> Result<usize> {
    let line = r.int("line")?;
    usize::try_from(line).map_err(|_| r.fail("line", format!("out of range: {line}")))
}

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

impl Store {
    /// Every open claim with what matching needs; balances are not read (`open` is 0).
    pub fn open_claims_for_matching(&mut self, creditor: &str) -> Result<Vec<OpenClaim>> {
        let mut out: Vec<OpenClaim> = Vec::new();
        let names: HashMap<String, std::sync::Arc<str>> = self
            .db
            .query("SELECT id, name FROM customers WHERE creditor_id = $1", &[creditor.into()])?
            .iter()
            .map(|r| Ok((r.text("id")?, r.str("name")?.into())))
            .collect::<Result<_>>()?;
        self.db.query_each(
            "SELECT id, invoice_number, reference, customer_id, currency, due_date FROM claims WHERE creditor_id = $1 AND status = 'open'",
            &[creditor.into()],
            &mut |r| {
                out.push(OpenClaim {
                    id: r.text("id")?,
                    invoice_number: r.text("invoice_number")?,
                    reference: r.opt_text("reference")?,
                    customer_name: names.get(r.str("customer_id")?).cloned().unwrap_or_else(|| "".into()),
                    currency: r.get("currency")?,
                    due: r.date("due_date")?,
                    open: 0,
                });
                Ok(())
            },
        )?;
        Ok(out)
    }

    /// The open balance of every open claim (claim id → amount), read per open claim from the
    /// covering ledger index as the daily run does.
    pub fn open_balances(&mut self, creditor: &str) -> Result<std::collections::HashMap<String, i64>> {
        let mut open = std::collections::HashMap::new();
        self.db.query_each(
            "SELECT l.claim_id, l.amount FROM claims c CROSS JOIN ledger l WHERE c.creditor_id = $1 AND c.status = 'open' AND l.creditor_id = c.creditor_id AND l.claim_id = c.id AND l.component IS NOT NULL",
            &[creditor.into()],
            &mut |r| {
                *open.entry(r.text("claim_id")?).or_insert(0) += r.int("amount")?;
                Ok(())
            },
        )?;
        Ok(open)
    }

    #[allow(clippy::too_many_arguments)]
    fn record_bank_payment(
        &mut self,
        creditor: &str,
        format: &str,
        source: &str,
        p: &Incoming,
        status: &str,
        how: &str,
        claims: &[(String, i64)],
        suggestions: &[Suggestion],
        fingerprint: &str,
    ) -> Result<()> {
        let reference = (!p.references.is_empty()).then(|| p.references.join(" "));
        self.db.exec(
            "INSERT INTO bank_payments (creditor_id, key, format, source, line, date, amount, currency, reference, payer, text, status, how, claims, suggestions, fingerprint) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
            &[
                creditor.into(),
                (&p.key).into(),
                format.into(),
                source.into(),
                (p.line as i64).into(),
                p.date.into(),
                p.amount.into(),
                (&p.currency).into(),
                reference.into(),
                p.payer.clone().into(),
                Some(p.text.join(" | ")).filter(|t| !t.is_empty()).into(),
                status.into(),
                how.into(),
                json(&claims).into(),
                json(&suggestions).into(),
                Some(fingerprint).filter(|f| !f.is_empty()).into(),
            ],
        )?;
        Ok(())
    }

    /// Imports one bank file: every item is matched and booked, queued as unmatched, refused with
    /// its reason, or recognised as a duplicate (a key already imported, or the whole file seen
    /// before). One transaction: a file that does not parse to its end, pays another account or
    /// reuses a payment id with other data stores nothing. `checksum` identifies the file.
    /// The results are kept in the answer (small files) or handed to `each` as they are known and
    /// then forgotten, so a file of a million payments is imported in bounded memory.
    #[allow(clippy::too_many_arguments)]
    pub fn import_bank_payments(
        &mut self,
        creditor_id: &str,
        law: &LawBook,
        format: &str,
        source: &str,
        checksum: &str,
        items: &mut dyn Iterator<Item = std::result::Result<FileItem, String>>,
        dry_run: bool,
    ) -> Result<BankImport> {
        let mut kept = Vec::new();
        let mut r =
            self.import_bank_payments_each(creditor_id, law, format, source, checksum, items, dry_run, &mut |p| {
                kept.push(p.clone());
                Ok(())
            })?;
        r.payments = kept;
        Ok(r)
    }

    /// [`Store::import_bank_payments`], each result handed to `each` (the answer's `payments`
    /// stays empty). Results wait in a spool file (not in memory) until the touched customers
    /// are reconciled, each once, at the end of the file.
    #[allow(clippy::too_many_arguments)]
    pub fn import_bank_payments_each(
        &mut self,
        creditor_id: &str,
        law: &LawBook,
        format: &str,
        source: &str,
        checksum: &str,
        items: &mut dyn Iterator<Item = std::result::Result<FileItem, String>>,
        dry_run: bool,
        each: &mut dyn FnMut(&BankPaymentResult) -> Result<()>,
    ) -> Result<BankImport> {
        use std::io::{BufRead, Seek, Write};
        let io = |e: std::io::Error| StoreError::Data(format!("spooling the results: {e}"));
        let today = self.today;
        self.tx_or_rollback(creditor_id, dry_run, |s| {
            let creditor = s.creditor(creditor_id)?;
            let j = law.jurisdiction(creditor.jurisdiction).map_err(|e| bad(e.to_string()))?;
            let file_seen_before = !s.db.query("SELECT name FROM payment_files WHERE creditor_id = $1 AND checksum = $2", &[creditor_id.into(), checksum.into()])?.is_empty();
            let mut matcher = Matcher::without_balances(s.open_claims_for_matching(creditor_id)?);
            let mut batch = Batch::default();
            let mut spool = std::io::BufWriter::new(tempfile::spooled_tempfile(8 << 20));
            let mut written = 0usize;
            let mut in_file: HashMap<String, (String, usize)> = HashMap::default();
            let mut file_total: std::collections::BTreeMap<String, i64> = Default::default();
            let mut count = 0usize;
            for item in items {
                let item = item.map_err(|e| bad(format!("{source}: {e}")))?;
                count += 1;
                match item {
                    FileItem::Payment(p) => {
                        *file_total.entry(p.currency.clone()).or_default() += p.amount;
                        s.import_payment(&creditor, format, source, today, file_seen_before, &p, &mut matcher, &mut in_file, &mut batch)?;
                    }
                    FileItem::Refused { key, line, date, amount, currency, reason } => {
                        *file_total.entry(currency.clone()).or_default() += amount;
                        let p = Incoming { key, date, amount, currency, references: vec![], text: vec![], payer: None, claim: None, line, account: None };
                        let known = file_seen_before || s.known_key(creditor_id, &p.key)?.is_some() || in_file.contains_key(&p.key);
                        let status = if known { "duplicate" } else { "refused" };
                        if !known {
                            s.record_bank_payment(creditor_id, format, source, &p, "refused", &reason, &[], &[], "")?;
                            in_file.insert(p.key.clone(), (String::new(), p.line));
                        }
                        batch.out.push(result_of(&p, status, vec![], reason, vec![]));
                    }
                    FileItem::Reversal(r) => s.import_reversal(creditor_id, format, source, file_seen_before, &r, &mut batch.out, &mut batch.touched)?,
                }
                // Results leave memory for the spool; a booked one is known by its number.
                let base = written;
                for r in batch.out.drain(..) {
                    serde_json::to_writer(&mut spool, &r).map_err(|e| StoreError::Data(e.to_string()))?;
                    spool.write_all(b"\n").map_err(io)?;
                    written += 1;
                }
                for b in &mut batch.booked[batch.numbered..] {
                    b.0 += base;
                }
                batch.numbered = batch.booked.len();
            }
            let rec = s.reconcile(&creditor, j, &batch.touched, &format!("bank file {source}"))?;
            let mut status: HashMap<usize, &'static str> = HashMap::default();
            for (i, parts) in std::mem::take(&mut batch.booked) {
                let statuses: Vec<String> = parts.iter().map(|(id, claim)| Store::payment_outcome(&rec, id, claim, NaiveDate::MIN, 0).status).collect();
                let word = if statuses.iter().any(|x| x == "overpaid") {
                    "overpaid"
                } else if !statuses.is_empty() && statuses.iter().all(|x| x == "settled") {
                    "matched"
                } else {
                    "partly matched"
                };
                status.insert(i, word);
            }
            drop(rec);
            let mut totals: std::collections::BTreeMap<(String, String), (usize, i64)> = Default::default();
            let mut spool = spool.into_inner().map_err(|e| io(e.into_error()))?;
            spool.rewind().map_err(io)?;
            for (i, line) in std::io::BufReader::new(spool).lines().enumerate() {
                let mut r: BankPaymentResult = serde_json::from_str(&line.map_err(io)?).map_err(|e| StoreError::Data(e.to_string()))?;
                if let Some(w) = status.remove(&i) {
                    r.status = w.to_string();
                }
                if r.status != "reversal" {
                    let t = totals.entry((r.status.clone(), r.currency.clone())).or_default();
                    t.0 += 1;
                    t.1 += r.amount;
                }
                each(&r)?;
            }
            s.db.exec(
                "INSERT INTO payment_files (creditor_id, checksum, name, format, payments) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (creditor_id, checksum) DO NOTHING",
                &[creditor_id.into(), checksum.into(), source.into(), format.into(), (count as i64).into()],
            )?;
            if !dry_run {
                s.audit(creditor_id, &format!("payments:{source}"), "imported", &format!("{format}, {count} items"))?;
            }
            Ok(BankImport {
                file_seen_before,
                payments: vec![],
                totals: totals.into_iter().map(|((status, currency), (count, amount))| StatusTotal { status, currency, count, amount }).collect(),
                file_total: file_total.into_iter().collect(),
            })
        })
    }

    /// The status and fingerprint of a bank key already imported.
    fn known_key(&mut self, creditor: &str, key: &str) -> Result<Option<(String, Option<String>, String)>> {
        self.db
            .query(
                "SELECT status, fingerprint, source FROM bank_payments WHERE creditor_id = $1 AND key = $2",
                &[creditor.into(), key.into()],
            )?
            .first()
            .map(|r| -> Result<_> { Ok((r.text("status")?, r.opt_text("fingerprint")?, r.text("source")?)) })
            .transpose()
    }

    #[allow(clippy::too_many_arguments)]
    fn import_payment(
        &mut self,
        creditor: &fordra_core::run::Creditor,
        format: &str,
        source: &str,
        today: NaiveDate,
        file_seen_before: bool,
        p: &Incoming,
        matcher: &mut Matcher,
        in_file: &mut HashMap<String, (String, usize)>,
        batch: &mut Batch,
    ) -> Result<()> {
        let cid = creditor.id.as_str();
        let at = |e: limits::OutOfBounds| bad(format!("{source}: line {}: {e}", p.line));
        limits::amount("amount", p.amount, 0).map_err(at)?;
        limits::past_date("date", p.date, today).map_err(at)?;
        limits::text("payment id", &p.key, 200).map_err(at)?;
        if let Some(account) = &p.account {
            if creditor.bankgiro.is_none() && creditor.iban.is_none() {
                return Err(bad(format!(
                    "{source}: creditor '{cid}' has no bankgiro or IBAN registered, so the file's account {account} cannot be checked as its own"
                )));
            }
            if !own_account(creditor, account) {
                return Err(bad(format!(
                    "{source}: line {}: the payments are to account {account}, which is not creditor '{cid}''s (bankgiro {}, IBAN {}): this file belongs to someone else",
                    p.line,
                    creditor.bankgiro.as_deref().unwrap_or("-"),
                    creditor.iban.as_deref().unwrap_or("-")
                )));
            }
        }
        let print = fingerprint(p);
        if file_seen_before {
            batch.out.push(result_of(p, "duplicate", vec![], "this file was imported before".into(), vec![]));
            return Ok(());
        }
        if let Some((first, line)) = in_file.get(&p.key) {
            if *first != print {
                return Err(bad(format!(
                    "{source}: line {}: payment id {} is already on line {line} of this file with other data",
                    p.line, p.key
                )));
            }
            batch.out.push(result_of(p, "duplicate", vec![], format!("the same as line {line} of this file"), vec![]));
            return Ok(());
        }
        in_file.insert(p.key.clone(), (print.clone(), p.line));
        if let Some((status, stored, from)) = self.known_key(cid, &p.key)? {
            if stored.as_deref().is_some_and(|x| x != print) {
                return Err(bad(format!(
                    "{source}: line {}: payment id {} was imported before from {from} with other data (amount, date, currency or invoice differ)",
                    p.line, p.key
                )));
            }
            batch.out.push(result_of(
                p,
                "duplicate",
                vec![],
                format!("already imported from {from} ({status})"),
                vec![],
            ));
            return Ok(());
        }
        if p.amount == 0 {
            self.record_bank_payment(cid, format, source, p, "refused", "no amount", &[], &[], &print)?;
            batch.out.push(result_of(p, "refused", vec![], "no amount".into(), vec![]));
            return Ok(());
        }
        let mut decision = matcher.decide(p);
        if decision == Decision::NeedBalances {
            let open = self.open_balances(cid)?;
            matcher.set_balances(&open);
            decision = matcher.decide(p);
        }
        match decision {
            Decision::Book { parts, how } => {
                let mut ids = Vec::new();
                for (n, (claim, amount)) in parts.iter().enumerate() {
                    let id = if parts.len() == 1 { p.key.clone() } else { format!("{}#{}", p.key, n + 1) };
                    let c = self.claim(cid, claim)?;
                    let currency: Currency = p.currency.parse().map_err(StoreError::Rule)?;
                    self.insert_payments(cid, &[booking(p, &id, claim, &c.customer_id, *amount, currency, source)])?;
                    batch.touch(&c.customer_id);
                    matcher.booked(claim, *amount);
                    ids.push((id, claim.clone()));
                }
                self.record_bank_payment(cid, format, source, p, "matched", &how, &parts, &[], &print)?;
                batch.booked.push((batch.out.len(), ids));
                batch.out.push(result_of(p, "matched", parts, how, vec![]));
            }
            Decision::Unmatched { reason, suggestions } => match self.settled_claim_named(cid, p)? {
                // A payment for a claim already paid is this customer's money all the same: booked
                // to that claim, it becomes their credit (so the outcome does not depend on
                // whether the earlier payment arrived first).
                Some(claim) => {
                    let how = format!("reference matched {claim}, already paid: kept as the customer's credit");
                    let c = self.claim(cid, &claim)?;
                    let booked = booking(p, &p.key, &claim, &c.customer_id, p.amount, c.currency, source);
                    self.insert_payments(cid, &[booked])?;
                    batch.touch(&c.customer_id);
                    let parts = vec![(claim.clone(), p.amount)];
                    self.record_bank_payment(cid, format, source, p, "matched", &how, &parts, &[], &print)?;
                    batch.booked.push((batch.out.len(), vec![(p.key.clone(), claim)]));
                    batch.out.push(result_of(p, "matched", parts, how, vec![]));
                }
                None => {
                    self.record_bank_payment(cid, format, source, p, "unmatched", &reason, &[], &suggestions, &print)?;
                    batch.out.push(result_of(p, "unmatched", vec![], reason, suggestions));
                }
            },
            Decision::NeedBalances => return Err(StoreError::Data("matching asked for balances twice".into())),
        }
        Ok(())
    }

    /// The one settled claim (in the payment's currency) the payment names by id, reference (an
    /// RF reference also by its body) or invoice number, if exactly one. Matching keeps only open
    /// claims in memory; a payment it cannot place is looked up here, in the claims' indexes.
    fn settled_claim_named(&mut self, cid: &str, p: &Incoming) -> Result<Option<String>> {
        let mut keys: Vec<String> = Vec::new();
        for r in &p.references {
            for t in std::iter::once(r.as_str()).chain(r.split_whitespace()) {
                let n = fordra_core::reference::normalize(t);
                if n.len() > 4
                    && n.starts_with("RF")
                    && fordra_core::reference::is_valid(fordra_core::reference::Scheme::Rf, &n)
                {
                    keys.push(n[4..].trim_start_matches('0').to_string());
                }
                keys.push(n.trim_start_matches('0').to_string());
                keys.push(n);
            }
        }
        keys.retain(|k| !k.is_empty() && k.len() <= limits::MAX_REFERENCE);
        let mut ids: Vec<String> = p.claim.iter().cloned().collect();
        if keys.is_empty() && ids.is_empty() {
            return Ok(None);
        }
        keys.sort();
        keys.dedup();
        let mut found: std::collections::BTreeSet<String> = Default::default();
        let head = [cid.into(), p.currency.as_str().into()];
        self.each_in("SELECT id FROM claims WHERE creditor_id = $1 AND currency = $2 AND status = 'paid' AND reference IN ({ids})", &head, &keys, &mut |r| {
            found.insert(r.text("id")?);
            Ok(())
        })?;
        ids.extend(keys);
        self.each_in(
            "SELECT id FROM claims WHERE creditor_id = $1 AND currency = $2 AND status = 'paid' AND (id IN ({ids}) OR invoice_number IN ({ids}))",
            &head,
            &ids,
            &mut |r| {
                found.insert(r.text("id")?);
                Ok(())
            },
        )?;
        Ok((found.len() == 1).then(|| found.into_iter().next()).flatten())
    }

    #[allow(clippy::too_many_arguments)]
    fn import_reversal(
        &mut self,
        cid: &str,
        format: &str,
        source: &str,
        file_seen_before: bool,
        r: &Reversal,
        out: &mut Vec<BankPaymentResult>,
        touched: &mut Vec<String>,
    ) -> Result<()> {
        let as_incoming = Incoming {
            key: r.key.clone(),
            date: r.date,
            amount: 0,
            currency: String::new(),
            references: vec![],
            text: vec![],
            payer: None,
            claim: None,
            line: r.line,
            account: None,
        };
        let res = |status: &str, how: String| BankPaymentResult {
            key: r.key.clone(),
            line: r.line,
            date: r.date,
            amount: 0,
            currency: String::new(),
            reference: None,
            payer: None,
            status: status.into(),
            claims: vec![],
            how,
            suggestions: vec![],
        };
        if file_seen_before || self.known_key(cid, &r.key)?.is_some() {
            out.push(res("duplicate", "reversal already imported".into()));
            return Ok(());
        }
        let target = match &r.target {
            ReversalTarget::Key(k) => self.db.query("SELECT key, currency, status FROM bank_payments WHERE creditor_id = $1 AND key = $2 AND status IN ('matched', 'assigned', 'unmatched')", &[cid.into(), k.into()])?,
            ReversalTarget::ReferenceAmount(reference, amount) => self.db.query(
                "SELECT key, currency, status FROM bank_payments WHERE creditor_id = $1 AND reference = $2 AND amount = $3 AND status IN ('matched', 'assigned', 'unmatched') ORDER BY date DESC, key DESC",
                &[cid.into(), reference.into(), (*amount).into()],
            )?,
        };
        let queued = target.first().map(|t| t.str("status").map(|s| s == "unmatched")).transpose()?;
        if let (Some(t), Some(true)) = (target.first(), queued) {
            // The bank took back money still waiting in the queue: it leaves the queue, nothing
            // was booked so nothing is undone.
            let original = t.text("key")?;
            let currency = t.text("currency")?;
            let how = format!("reverses queued payment {original} (it was never booked)");
            self.db.exec(
                "UPDATE bank_payments SET status = 'reversed', how = $1 WHERE creditor_id = $2 AND key = $3",
                &[
                    format!("reversed before it was booked: by {} ({source}, line {})", r.key, r.line).into(),
                    cid.into(),
                    original.as_str().into(),
                ],
            )?;
            self.record_bank_payment(
                cid,
                format,
                source,
                &Incoming { currency: currency.clone(), ..as_incoming.clone() },
                "reversal",
                &how,
                &[],
                &[],
                "",
            )?;
            out.push(BankPaymentResult { currency, ..res("reversal", how) });
            return Ok(());
        }
        let Some(t) = target.first() else {
            // Nothing to undo (never booked here, or reversed already): refused with the reason,
            // never queued as if it were money to assign.
            let what = match &r.target {
                ReversalTarget::Key(k) => format!("payment {k}"),
                ReversalTarget::ReferenceAmount(reference, amount) => {
                    format!("a payment of {} with reference {reference}", fordra_core::money::format_minor(*amount))
                }
            };
            let how = format!("reversal of {what}: no booked payment to reverse (not imported, or reversed already)");
            self.record_bank_payment(cid, format, source, &as_incoming, "refused", &how, &[], &[], "")?;
            out.push(res("refused", how));
            return Ok(());
        };
        let original = t.text("key")?;
        let currency = t.text("currency")?;
        let claims = self.reverse_bank_payment(
            cid,
            &original,
            r.date,
            &format!("reversed by {} ({source}, line {})", r.key, r.line),
            touched,
        )?;
        let how = format!("reverses payment {original}");
        self.record_bank_payment(
            cid,
            format,
            source,
            &Incoming { currency: currency.clone(), ..as_incoming.clone() },
            "reversal",
            &how,
            &claims,
            &[],
            "",
        )?;
        out.push(BankPaymentResult { claims, currency, ..res("reversal", how) });
        Ok(())
    }

    /// Records the reversal of a bank payment on `date` (the ledger of record then undoes its
    /// bookings with opposite entries; interest accrued through the payment day stays, it was
    /// owed on that day either way). Finds the payment's bookings by their exact bank key: a key
    /// is never a pattern. Returns the claims touched.
    fn reverse_bank_payment(
        &mut self,
        creditor: &str,
        key: &str,
        date: NaiveDate,
        why: &str,
        touched: &mut Vec<String>,
    ) -> Result<Vec<(String, i64)>> {
        let bookings = self.db.query(
            "SELECT id, claim_id, amount, customer_id FROM payments WHERE creditor_id = $1 AND bank_key = $2 AND reversed_on IS NULL ORDER BY id",
            &[creditor.into(), key.into()],
        )?;
        self.db.exec(
            "UPDATE payments SET reversed_on = $1, reversed_by = $2 WHERE creditor_id = $3 AND bank_key = $4 AND reversed_on IS NULL",
            &[date.into(), why.into(), creditor.into(), key.into()],
        )?;
        let mut claims = Vec::new();
        for b in bookings {
            touched.push(b.text("customer_id")?);
            claims.push((b.text("claim_id")?, b.int("amount")?));
        }
        self.db.exec(
            "UPDATE bank_payments SET status = 'reversed', how = $1 WHERE creditor_id = $2 AND key = $3",
            &[format!("reversed: {why}").into(), creditor.into(), key.into()],
        )?;
        Ok(claims)
    }

    /// The unmatched queue, oldest first.
    pub fn unmatched_payments(&mut self, creditor: &str) -> Result<Vec<BankPaymentResult>> {
        self
            .db
            .query("SELECT key, line, date, amount, currency, reference, payer, how, suggestions, text FROM bank_payments WHERE creditor_id = $1 AND status = 'unmatched' ORDER BY date, key", &[creditor.into()])?
            .iter()
            .map(|r| {
                let how = r.text("how")?;
                Ok(BankPaymentResult {
                    key: r.text("key")?,
                    line: line_of(r)?,
                    date: r.date("date")?,
                    amount: r.int("amount")?,
                    currency: r.text("currency")?,
                    reference: r.opt_text("reference")?,
                    payer: r.opt_text("payer")?,
                    status: "unmatched".into(),
                    claims: vec![],
                    how: match r.opt_str("text")? {
                        Some(t) => format!("{how} (text: {t})"),
                        None => how,
                    },
                    suggestions: r.json("suggestions")?,
                })
            })
            .collect::<Result<_>>()
    }

    /// An advisor books an unmatched payment to a claim (in the claim's currency). Booked as a
    /// payment of that claim, allocated as of its own date like any payment; assigning it again
    /// to the same claim changes nothing.
    pub fn assign_payment(
        &mut self,
        creditor_id: &str,
        law: &LawBook,
        key: &str,
        claim: &str,
    ) -> Result<BankPaymentResult> {
        self.write_tx(creditor_id, |s| {
            let creditor = s.creditor(creditor_id)?;
            let j = law.jurisdiction(creditor.jurisdiction).map_err(|e| bad(e.to_string()))?;
            let rows = s.db.query(
                "SELECT date, amount, currency, reference, payer, line, status, claims, how FROM bank_payments WHERE creditor_id = $1 AND key = $2",
                &[creditor_id.into(), key.into()],
            )?;
            let r = rows.first().ok_or_else(|| StoreError::NotFound { entity: "payment", id: key.to_string() })?;
            let (date, amount, currency_code) = (r.date("date")?, r.int("amount")?, r.text("currency")?);
            let (reference, payer, line) = (r.opt_text("reference")?, r.opt_text("payer")?, line_of(r)?);
            let result = |status: &str, claims: Vec<(String, i64)>, how: String| BankPaymentResult {
                key: key.into(),
                line,
                date,
                amount,
                currency: currency_code.clone(),
                reference: reference.clone(),
                payer: payer.clone(),
                status: status.into(),
                claims,
                how,
                suggestions: vec![],
            };
            let status = r.text("status")?;
            if status == "assigned" {
                let parts: Vec<(String, i64)> = r.json("claims")?;
                if parts.iter().any(|(c, _)| c == claim) {
                    return Ok(result("assigned", parts, r.text("how")?));
                }
            }
            if status != "unmatched" || amount <= 0 {
                return Err(StoreError::Conflict(format!("payment {key} is {status}, not waiting in the unmatched queue")));
            }
            let c = s.claim(creditor_id, claim)?;
            if c.currency.code() != currency_code {
                return Err(bad(format!("payment {key} is in {currency_code}, claim {claim} in {}", c.currency)));
            }
            let currency = c.currency;
            s.insert_payments(
                creditor_id,
                &[NewPayment {
                    id: key.to_string(),
                    claim: claim.to_string(),
                    customer: c.customer_id.clone(),
                    date,
                    amount,
                    currency,
                    kind: PaymentKind::Bank,
                    bank_key: Some(key.to_string()),
                    source: "assigned by advisor".into(),
                    reference: reference.clone(),
                    payer: payer.clone(),
                }],
            )?;
            let rec = s.reconcile(&creditor, j, std::slice::from_ref(&c.customer_id), &format!("payment {key} assigned to {claim}"))?;
            let parts = vec![(claim.to_string(), amount)];
            let how = format!("assigned by the advisor to {claim}");
            s.db.exec(
                "UPDATE bank_payments SET status = 'assigned', how = $1, claims = $2 WHERE creditor_id = $3 AND key = $4",
                &[(&how).into(), json(&parts).into(), creditor_id.into(), key.into()],
            )?;
            s.audit(creditor_id, &format!("payment:{key}"), "assigned", &how)?;
            let status = Store::payment_outcome(&rec, key, claim, date, amount).status;
            let status = match status.as_str() {
                "settled" => "matched",
                "partly paid" => "partly matched",
                other => other,
            };
            Ok(result(status, parts, how))
        })
    }

    /// What was received and allocated per invoice between two dates (inclusive).
    pub fn payment_report(&mut self, creditor: &str, from: NaiveDate, to: NaiveDate) -> Result<Vec<PaymentReportRow>> {
        let rows = self.db.query(
            "SELECT p.date, p.id, p.claim_id, c.invoice_number, p.customer_id, p.currency, p.amount FROM payments p JOIN claims c ON c.creditor_id = p.creditor_id AND c.id = p.claim_id \
             WHERE p.creditor_id = $1 AND p.date >= $2 AND p.date <= $3 ORDER BY p.date, p.id",
            &[creditor.into(), from.into(), to.into()],
        )?;
        let mut out = Vec::new();
        for r in rows {
            let id = r.text("id")?;
            let mut row = PaymentReportRow {
                date: r.date("date")?,
                payment: id.clone(),
                claim: r.text("claim_id")?,
                invoice_number: r.text("invoice_number")?,
                customer: r.text("customer_id")?,
                currency: r.text("currency")?,
                amount: r.int("amount")?,
                principal: 0,
                interest: 0,
                fees: 0,
                credit: 0,
                reversed: 0,
            };
            let refs = [
                format!("payment:{id}"),
                format!("reversal:{id}"),
                format!("correction:payment:{id}"),
                format!("correction:reversal:{id}"),
            ];
            for e in self.db.query(
                "SELECT kind, component, CAST(SUM(amount) AS BIGINT) AS total, reference FROM ledger WHERE creditor_id = $1 AND reference IN ($2, $3, $4, $5) GROUP BY kind, component, reference",
                &[creditor.into(), refs[0].as_str().into(), refs[1].as_str().into(), refs[2].as_str().into(), refs[3].as_str().into()],
            )? {
                let amount = -e.int("total")?;
                if e.str("reference")?.contains("reversal:") {
                    row.reversed -= amount;
                    continue;
                }
                match (e.get::<EntryKind>("kind").ok(), e.opt_str("component")?) {
                    (Some(EntryKind::CustomerCredit), _) => row.credit += amount,
                    (Some(EntryKind::Payment), Some("principal")) => row.principal += amount,
                    (Some(EntryKind::Payment), Some("interest")) => row.interest += amount,
                    (Some(EntryKind::Payment), Some("fees")) => row.fees += amount,
                    // Late interest posted through the payment day is not money received.
                    _ => {}
                }
            }
            out.push(row);
        }
        Ok(out)
    }
}
