//! Booking the items of a bank file: every payment is matched and booked, queued for an advisor,
//! refused with its reason, or recognised as a duplicate (its key imported before, or the whole
//! file seen before); reversals undo what they name. One transaction per file: a file that does
//! not parse to its end, pays another account or reuses a payment id with other data stores
//! nothing. The store keeps what is decided here (`fordra_store::bank`).

use crate::payments::outcome;
use crate::{App, AppError, ClaimId, CreditorId, Result};
use chrono::NaiveDate;
use fordra_core::domain::{fnv1a, BankStatus, PaymentOutcome};
use fordra_core::limits;
use fordra_core::matching::{Decision, Incoming, Matcher, Suggestion};
use fordra_core::money::{format_minor, Currency};
use fordra_core::run::Creditor;
use fordra_core::settle::PaymentKind;
use fordra_store::{BankPaymentRecord, NewPayment, Store};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, Seek, Write};

/// Which earlier payment a reversal undoes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum ReversalTarget {
    /// The bank key of the payment (camt: its account servicer reference).
    Key(String),
    /// The latest booked payment with this reference and amount (KTL corrections).
    ReferenceAmount(String, i64),
}

/// A bank's reversal of an earlier payment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Reversal {
    /// The reversal's own bank key.
    pub key: String,
    /// Its line in the file.
    pub line: usize,
    /// Booking date.
    pub date: NaiveDate,
    /// What it undoes.
    pub target: ReversalTarget,
}

/// One item of a bank file, in file order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FileItem {
    /// Money received.
    Payment(Incoming),
    /// Money taken back.
    Reversal(Reversal),
    /// Money the file reports that is not booked, with the reason (a BgMax deduction, an entry
    /// the bank has not booked yet, a debit). It is recorded and counted, never dropped.
    Refused {
        /// Its bank key.
        key: String,
        /// Its line.
        line: usize,
        /// Booking date.
        date: NaiveDate,
        /// Amount in minor units.
        amount: i64,
        /// Currency code.
        currency: String,
        /// Why it is not booked.
        reason: String,
    },
}

/// What became of one item of a bank file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BankPaymentResult {
    /// Its bank key.
    pub key: String,
    /// Its line.
    pub line: usize,
    /// Booking date.
    pub date: NaiveDate,
    /// Amount in minor units.
    pub amount: i64,
    /// Currency code.
    pub currency: String,
    /// The payer's references.
    pub reference: Option<String>,
    /// The payer's name.
    pub payer: Option<String>,
    /// What became of it.
    pub status: BankStatus,
    /// Claims booked to, with amounts.
    pub claims: Vec<(String, i64)>,
    /// Why, in words.
    pub how: String,
    /// For a queued payment: the claims it may be for.
    pub suggestions: Vec<Suggestion>,
}

/// How many items of a file ended in a status, and their sum, per currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StatusTotal {
    /// The status.
    pub status: BankStatus,
    /// Currency code.
    pub currency: String,
    /// Items.
    pub count: usize,
    /// Their sum in minor units.
    pub amount: i64,
}

/// What importing a file did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BankImport {
    /// The same file was imported before: nothing booked.
    pub file_seen_before: bool,
    /// Every item's result (only when collected: see [`App::import_bank_items`]).
    pub payments: Vec<BankPaymentResult>,
    /// Per status and currency; the amounts of all statuses add up to `file_total`.
    pub totals: Vec<StatusTotal>,
    /// What the file holds per currency (payments less deductions; reversals not counted).
    pub file_total: Vec<(String, i64)>,
}

/// A file to book: its items come beside it.
#[derive(Clone, Copy, Debug)]
pub struct ItemsOf<'a> {
    /// The format's name.
    pub format: &'a str,
    /// The file's name.
    pub source: &'a str,
    /// What identifies the file's content.
    pub checksum: &'a str,
    /// Decide and show, book nothing.
    pub dry_run: bool,
}

/// A digest of text parts (FNV-1a, each part ended by a zero byte, so parts cannot run into
/// each other); collisions only weaken a duplicate check.
pub(crate) fn digest(parts: &[&str]) -> String {
    format!("{:016x}", fnv1a(parts.iter().flat_map(|p| p.bytes().chain(std::iter::once(0)))))
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
fn own_account(c: &Creditor, account: &str) -> bool {
    let a = digits(account);
    let trimmed = a.trim_start_matches('0');
    let bg = c.bankgiro.as_deref().map(digits).map(|b| b.trim_start_matches('0').to_string());
    let ibans = c.iban.as_deref().unwrap_or("").split(',').map(digits).filter(|i| !i.is_empty());
    bg.as_deref().is_some_and(|b| !b.is_empty() && b == trimmed)
        || ibans.into_iter().any(|i| i == a || i.get(4..) == Some(a.as_str()))
}

fn references(p: &Incoming) -> Option<String> {
    (!p.references.is_empty()).then(|| p.references.join(" "))
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
        reference: references(p),
        payer: p.payer.clone(),
    }
}

fn result_of(
    p: &Incoming,
    status: BankStatus,
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
        reference: references(p),
        payer: p.payer.clone(),
        status,
        claims,
        how,
        suggestions,
    }
}

/// A reversal as an item without money of its own (its currency is the original's).
fn as_incoming(r: &Reversal, currency: String) -> Incoming {
    Incoming {
        key: r.key.clone(),
        date: r.date,
        amount: 0,
        currency,
        references: vec![],
        text: vec![],
        payer: None,
        claim: None,
        line: r.line,
        account: None,
    }
}

/// A booked bank payment: its result's number in the file and its bookings (payment id, claim),
/// whose outcome is read after the file's customers are reconciled.
type Booked = (usize, Vec<(String, String)>);

/// A file being booked, inside its transaction.
struct Batch<'a> {
    creditor: Creditor,
    file: ItemsOf<'a>,
    today: NaiveDate,
    file_seen_before: bool,
    matcher: Matcher,
    /// Keys already in this file: content fingerprint and line.
    in_file: HashMap<String, (String, usize)>,
    /// Results of the item just read (they then go to the spool).
    out: Vec<BankPaymentResult>,
    /// Booked payments, by their result's number in the file once `numbered`.
    booked: Vec<Booked>,
    numbered: usize,
    /// Customers whose ledgers are reconciled at the end of the file, each once.
    seen: HashSet<String>,
    touched: Vec<String>,
}

impl Batch<'_> {
    fn touch(&mut self, customer: &str) {
        if self.seen.insert(customer.to_string()) {
            self.touched.push(customer.to_string());
        }
    }

    /// Stores one item as the file gave it with what became of it, and keeps the result.
    fn keep(&mut self, s: &mut Store, p: &Incoming, r: BankPaymentResult, fingerprint: Option<&str>) -> Result<()> {
        // The result already carries what the file said of the item; the record adds its file,
        // free text and fingerprint.
        let record = BankPaymentRecord {
            key: r.key.clone(),
            format: self.file.format.to_string(),
            source: self.file.source.to_string(),
            line: r.line,
            date: r.date,
            amount: r.amount,
            currency: r.currency.clone(),
            reference: r.reference.clone(),
            payer: r.payer.clone(),
            text: Some(p.text.join(" | ")).filter(|t| !t.is_empty()),
            status: r.status,
            how: r.how.clone(),
            claims: r.claims.clone(),
            suggestions: r.suggestions.clone(),
            fingerprint: fingerprint.filter(|f| !f.is_empty()).map(str::to_string),
        };
        s.insert_bank_payment(&self.creditor.id, &record)?;
        self.out.push(r);
        Ok(())
    }

    fn at(&self, line: usize, reason: impl Into<String>) -> AppError {
        AppError::at(self.file.source, line, None, reason)
    }

    /// The payment's bounds and its account (the file must pay this creditor).
    fn check(&self, p: &Incoming) -> Result<()> {
        let at = |e: limits::OutOfBounds| self.at(p.line, e.to_string());
        limits::amount("amount", p.amount, 0).map_err(at)?;
        limits::past_date("date", p.date, self.today).map_err(at)?;
        limits::text("payment id", &p.key, 200).map_err(at)?;
        let (c, source) = (&self.creditor, self.file.source);
        if let Some(account) = &p.account {
            if c.bankgiro.is_none() && c.iban.is_none() {
                return Err(AppError::invalid(source, format!(
                    "creditor '{}' has no bankgiro or IBAN registered, so the file's account {account} cannot be checked as its own",
                    c.id
                )));
            }
            if !own_account(c, account) {
                return Err(self.at(p.line, format!(
                    "the payments are to account {account}, which is not creditor '{}''s (bankgiro {}, IBAN {}): this file belongs to someone else",
                    c.id,
                    c.bankgiro.as_deref().unwrap_or("-"),
                    c.iban.as_deref().unwrap_or("-")
                )));
            }
        }
        Ok(())
    }

    /// A payment seen before — in an earlier import of this file, earlier in this file, or in
    /// another file — as a duplicate result; the same key with other content is refused.
    fn duplicate(&mut self, s: &mut Store, p: &Incoming, print: &str) -> Result<Option<BankPaymentResult>> {
        let dup = |how: String| Some(result_of(p, BankStatus::Duplicate, vec![], how, vec![]));
        if self.file_seen_before {
            return Ok(dup("this file was imported before".into()));
        }
        if let Some((first, line)) = self.in_file.get(&p.key) {
            if first != print {
                return Err(self.at(
                    p.line,
                    format!("payment id {} is already on line {line} of this file with other data", p.key),
                ));
            }
            return Ok(dup(format!("the same as line {line} of this file")));
        }
        self.in_file.insert(p.key.clone(), (print.to_string(), p.line));
        let Some(known) = s.known_bank_key(&self.creditor.id, &p.key)? else { return Ok(None) };
        if known.fingerprint.as_deref().is_some_and(|x| x != print) {
            return Err(self.at(
                p.line,
                format!(
                    "payment id {} was imported before from {} with other data (amount, date, currency or invoice differ)",
                    p.key, known.source
                ),
            ));
        }
        Ok(dup(format!("already imported from {} ({})", known.source, known.status)))
    }

    fn payment(&mut self, s: &mut Store, p: &Incoming) -> Result<()> {
        self.check(p)?;
        let print = fingerprint(p);
        if let Some(dup) = self.duplicate(s, p, &print)? {
            self.out.push(dup);
            return Ok(());
        }
        if p.amount == 0 {
            let r = result_of(p, BankStatus::Refused, vec![], "no amount".into(), vec![]);
            return self.keep(s, p, r, Some(&print));
        }
        let mut decision = self.matcher.decide(p);
        if decision == Decision::NeedBalances {
            let open = s.open_balances(&self.creditor.id)?;
            self.matcher.set_balances(&open);
            decision = self.matcher.decide(p);
        }
        match decision {
            Decision::Book { parts, how } => self.book(s, p, parts, how, &print),
            Decision::Unmatched { reason, suggestions } => match settled_claim_named(s, &self.creditor.id, p)? {
                // A payment for a claim already paid is this customer's money all the same:
                // booked to that claim, it becomes their credit (so the outcome does not depend
                // on whether the earlier payment arrived first).
                Some(claim) => {
                    let how = format!("reference matched {claim}, already paid: kept as the customer's credit");
                    self.book(s, p, vec![(claim, p.amount)], how, &print)
                }
                None => self.keep(s, p, result_of(p, BankStatus::Unmatched, vec![], reason, suggestions), Some(&print)),
            },
            Decision::NeedBalances => Err(AppError::Storage("matching asked for balances twice".into())),
        }
    }

    /// Books a payment to its claims (one part each; a split payment's parts are `KEY#n`).
    fn book(&mut self, s: &mut Store, p: &Incoming, parts: Vec<(String, i64)>, how: String, print: &str) -> Result<()> {
        let cid = self.creditor.id.clone();
        let mut ids = Vec::new();
        for (n, (claim, amount)) in parts.iter().enumerate() {
            let id = if parts.len() == 1 { p.key.clone() } else { format!("{}#{}", p.key, n + 1) };
            let c = s.claim(&cid, claim)?;
            let currency: Currency =
                p.currency.parse().map_err(|e: fordra_core::domain::ParseError| self.at(p.line, e.0))?;
            s.insert_payments(&cid, &[booking(p, &id, claim, &c.customer_id, *amount, currency, self.file.source)])?;
            self.touch(&c.customer_id);
            self.matcher.booked(claim, *amount);
            ids.push((id, claim.clone()));
        }
        self.booked.push((self.out.len(), ids));
        self.keep(s, p, result_of(p, BankStatus::Matched, parts, how, vec![]), Some(print))
    }

    fn refused(&mut self, s: &mut Store, p: &Incoming, reason: String) -> Result<()> {
        let known = self.file_seen_before
            || self.in_file.contains_key(&p.key)
            || s.known_bank_key(&self.creditor.id, &p.key)?.is_some();
        if known {
            self.out.push(result_of(p, BankStatus::Duplicate, vec![], reason, vec![]));
            return Ok(());
        }
        self.in_file.insert(p.key.clone(), (String::new(), p.line));
        self.keep(s, p, result_of(p, BankStatus::Refused, vec![], reason, vec![]), None)
    }

    fn reversal(&mut self, s: &mut Store, r: &Reversal) -> Result<()> {
        let cid = self.creditor.id.clone();
        if self.file_seen_before || s.known_bank_key(&cid, &r.key)?.is_some() {
            let how = "reversal already imported".into();
            self.out.push(result_of(&as_incoming(r, String::new()), BankStatus::Duplicate, vec![], how, vec![]));
            return Ok(());
        }
        let target = match &r.target {
            ReversalTarget::Key(k) => s.reversible_by_key(&cid, k)?,
            ReversalTarget::ReferenceAmount(reference, amount) => {
                s.reversible_by_reference(&cid, reference, *amount)?
            }
        };
        let Some(target) = target else {
            // Nothing to undo (never booked here, or reversed already): refused with the reason,
            // never queued as if it were money to assign.
            let what = match &r.target {
                ReversalTarget::Key(k) => format!("payment {k}"),
                ReversalTarget::ReferenceAmount(reference, amount) => {
                    format!("a payment of {} with reference {reference}", format_minor(*amount))
                }
            };
            let how = format!("reversal of {what}: no booked payment to reverse (not imported, or reversed already)");
            let p = as_incoming(r, String::new());
            return self.keep(s, &p, result_of(&p, BankStatus::Refused, vec![], how, vec![]), None);
        };
        let by = format!("by {} ({}, line {})", r.key, self.file.source, r.line);
        let (how, claims) = if target.status == BankStatus::Unmatched {
            // The bank took back money still waiting in the queue: it leaves the queue, nothing
            // was booked so nothing is undone.
            let note = format!("reversed before it was booked: {by}");
            s.set_bank_payment_status(&cid, &target.key, BankStatus::Reversed, &note, None)?;
            (format!("reverses queued payment {} (it was never booked)", target.key), vec![])
        } else {
            let bookings = s.reverse_bank_payment(&cid, &target.key, r.date, &format!("reversed {by}"))?;
            let mut claims = Vec::new();
            for (claim, amount, customer) in bookings {
                self.touch(&customer);
                claims.push((claim, amount));
            }
            (format!("reverses payment {}", target.key), claims)
        };
        let p = as_incoming(r, target.currency);
        self.keep(s, &p, result_of(&p, BankStatus::Reversal, claims, how, vec![]), None)
    }
}

/// The one settled claim (in the payment's currency) the payment names by id, reference (an RF
/// reference also by its body) or invoice number, if exactly one. Matching keeps only open
/// claims in memory; a payment it cannot place is looked up here, in the claims' indexes.
fn settled_claim_named(s: &mut Store, cid: &str, p: &Incoming) -> Result<Option<String>> {
    use fordra_core::reference::{is_valid, normalize, Scheme};
    let mut keys: Vec<String> = Vec::new();
    for r in &p.references {
        for t in std::iter::once(r.as_str()).chain(r.split_whitespace()) {
            let n = normalize(t);
            if let Some(body) = n.get(4..).filter(|_| n.starts_with("RF") && is_valid(Scheme::Rf, &n)) {
                keys.push(body.trim_start_matches('0').to_string());
            }
            keys.push(n.trim_start_matches('0').to_string());
            keys.push(n);
        }
    }
    keys.retain(|k| !k.is_empty() && k.len() <= limits::MAX_REFERENCE);
    let mut names: Vec<String> = p.claim.iter().cloned().collect();
    if keys.is_empty() && names.is_empty() {
        return Ok(None);
    }
    keys.sort();
    keys.dedup();
    names.extend(keys.iter().cloned());
    let found = s.paid_claims_named(cid, &p.currency, &keys, &names)?;
    Ok((found.len() == 1).then(|| found.into_iter().next()).flatten())
}

/// A booked payment's status from its parts' outcomes.
fn booked_status(outcomes: &[PaymentOutcome]) -> BankStatus {
    if outcomes.contains(&PaymentOutcome::Overpaid) {
        BankStatus::Overpaid
    } else if !outcomes.is_empty() && outcomes.iter().all(|x| *x == PaymentOutcome::Settled) {
        BankStatus::Matched
    } else {
        BankStatus::PartlyMatched
    }
}

/// Each booked payment's status, by its result's number, once its customers are reconciled.
fn booked_statuses(rec: &fordra_store::Reconciled, booked: Vec<Booked>) -> HashMap<usize, BankStatus> {
    booked
        .into_iter()
        .map(|(i, parts)| {
            let outcomes: Vec<PaymentOutcome> =
                parts.iter().map(|(id, claim)| outcome(rec, id, claim, NaiveDate::MIN, 0).status).collect();
            (i, booked_status(&outcomes))
        })
        .collect()
}

type Spool = std::io::BufWriter<tempfile::SpooledTempFile>;

/// Reads the spooled results back in file order, with the booked ones' final status, hands each
/// to `each`, and totals them per status and currency (reversals move no money of their own).
fn replay(
    spool: Spool,
    status: &HashMap<usize, BankStatus>,
    each: &mut dyn FnMut(&BankPaymentResult) -> Result<()>,
) -> Result<Vec<StatusTotal>> {
    let mut totals: BTreeMap<(BankStatus, String), (usize, i64)> = BTreeMap::new();
    let mut spool = spool.into_inner().map_err(|e| spool_error(e.into_error()))?;
    spool.rewind().map_err(spool_error)?;
    for (i, line) in std::io::BufReader::new(spool).lines().enumerate() {
        let mut r: BankPaymentResult = serde_json::from_str(&line.map_err(spool_error)?).map_err(spool_error)?;
        if let Some(w) = status.get(&i) {
            r.status = *w;
        }
        if r.status != BankStatus::Reversal {
            let t = totals.entry((r.status, r.currency.clone())).or_default();
            t.0 += 1;
            t.1 += r.amount;
        }
        each(&r)?;
    }
    Ok(totals
        .into_iter()
        .map(|((status, currency), (count, amount))| StatusTotal { status, currency, count, amount })
        .collect())
}

fn spool_error(e: impl std::fmt::Display) -> AppError {
    AppError::Storage(format!("spooling the results: {e}"))
}

impl App<'_> {
    /// Books the items of a bank file in one transaction (rolled back if a dry run). Each
    /// item's result goes to `each` once the file's customers are reconciled; until then results
    /// wait in a spool file, not in memory, so a file of a million payments is booked in bounded
    /// memory. The answer's `payments` stays empty.
    pub fn import_bank_items(
        &mut self,
        creditor: &CreditorId,
        file: ItemsOf<'_>,
        items: &mut dyn Iterator<Item = std::result::Result<FileItem, fordra_core::domain::ParseError>>,
        each: &mut dyn FnMut(&BankPaymentResult) -> Result<()>,
    ) -> Result<BankImport> {
        let (law, today) = (self.law, self.today);
        self.store.tx_or_rollback(creditor, file.dry_run, |s| {
            let creditor = s.creditor(creditor)?;
            let j = law.jurisdiction(creditor.jurisdiction).map_err(|e| AppError::invalid("", e.to_string()))?;
            let cid = creditor.id.clone();
            let mut batch = Batch {
                file_seen_before: s.payment_file_seen(&cid, file.checksum)?,
                matcher: Matcher::without_balances(s.open_claims_for_matching(&cid)?),
                creditor,
                file,
                today,
                in_file: HashMap::new(),
                out: Vec::new(),
                booked: Vec::new(),
                numbered: 0,
                seen: HashSet::new(),
                touched: Vec::new(),
            };
            let mut spool: Spool = std::io::BufWriter::new(tempfile::spooled_tempfile(8 << 20));
            let mut written = 0usize;
            let mut file_total: BTreeMap<String, i64> = BTreeMap::new();
            let mut count = 0usize;
            for item in items {
                let item = item.map_err(|e| AppError::invalid(file.source, e.0))?;
                count += 1;
                match item {
                    FileItem::Payment(p) => {
                        *file_total.entry(p.currency.clone()).or_default() += p.amount;
                        batch.payment(s, &p)?;
                    }
                    FileItem::Refused { key, line, date, amount, currency, reason } => {
                        *file_total.entry(currency.clone()).or_default() += amount;
                        let p = Incoming {
                            key,
                            date,
                            amount,
                            currency,
                            references: vec![],
                            text: vec![],
                            payer: None,
                            claim: None,
                            line,
                            account: None,
                        };
                        batch.refused(s, &p, reason)?;
                    }
                    FileItem::Reversal(r) => batch.reversal(s, &r)?,
                }
                // Results leave memory for the spool; a booked one is known by its number.
                let base = written;
                for r in batch.out.drain(..) {
                    serde_json::to_writer(&mut spool, &r).map_err(spool_error)?;
                    spool.write_all(b"\n").map_err(spool_error)?;
                    written += 1;
                }
                batch.booked.iter_mut().skip(batch.numbered).for_each(|b| b.0 += base);
                batch.numbered = batch.booked.len();
            }
            let rec = s.reconcile(&batch.creditor, j, &batch.touched, &format!("bank file {}", file.source))?;
            let status = booked_statuses(&rec, std::mem::take(&mut batch.booked));
            drop(rec);
            let totals = replay(spool, &status, each)?;
            s.record_payment_file(&cid, file.checksum, file.source, file.format, count)?;
            if !file.dry_run {
                s.audit(
                    &cid,
                    &format!("payments:{}", file.source),
                    "imported",
                    &format!("{}, {count} items", file.format),
                )?;
            }
            Ok(BankImport {
                file_seen_before: batch.file_seen_before,
                payments: vec![],
                totals,
                file_total: file_total.into_iter().collect(),
            })
        })
    }

    /// [`App::import_bank_items`] with every result kept in the answer (small files, tests).
    pub fn import_bank_items_kept(
        &mut self,
        creditor: &CreditorId,
        file: ItemsOf<'_>,
        items: &mut dyn Iterator<Item = std::result::Result<FileItem, fordra_core::domain::ParseError>>,
    ) -> Result<BankImport> {
        let mut kept = Vec::new();
        let mut r = self.import_bank_items(creditor, file, items, &mut |p| {
            kept.push(p.clone());
            Ok(())
        })?;
        r.payments = kept;
        Ok(r)
    }

    /// The unmatched queue, oldest first, each with the payment's text beside the reason.
    pub fn queued_payments(&mut self, creditor: &CreditorId) -> Result<Vec<BankPaymentResult>> {
        Ok(self
            .store
            .queued_bank_payments(creditor)?
            .into_iter()
            .map(|r| BankPaymentResult {
                how: match &r.text {
                    Some(t) => format!("{} (text: {t})", r.how),
                    None => r.how,
                },
                key: r.key,
                line: r.line,
                date: r.date,
                amount: r.amount,
                currency: r.currency,
                reference: r.reference,
                payer: r.payer,
                status: BankStatus::Unmatched,
                claims: vec![],
                suggestions: r.suggestions,
            })
            .collect())
    }

    /// An advisor books an unmatched payment to a claim (in the claim's currency). Booked as a
    /// payment of that claim, allocated as of its own date like any payment; assigning it again
    /// to the same claim changes nothing.
    pub fn assign_queued_payment(
        &mut self,
        creditor: &CreditorId,
        key: &str,
        claim: &ClaimId,
    ) -> Result<BankPaymentResult> {
        let (law, claim) = (self.law, claim.as_str());
        self.store.write_tx(creditor, |s| {
            let cr = s.creditor(creditor)?;
            let j = law.jurisdiction(cr.jurisdiction).map_err(|e| AppError::invalid("", e.to_string()))?;
            let r = s
                .bank_payment(creditor, key)?
                .ok_or_else(|| AppError::NotFound { entity: "payment", id: key.to_string() })?;
            let result = |status, claims, how| BankPaymentResult {
                key: key.into(),
                line: r.line,
                date: r.date,
                amount: r.amount,
                currency: r.currency.clone(),
                reference: r.reference.clone(),
                payer: r.payer.clone(),
                status,
                claims,
                how,
                suggestions: vec![],
            };
            if r.status == BankStatus::Assigned && r.claims.iter().any(|(c, _)| c == claim) {
                return Ok(result(BankStatus::Assigned, r.claims.clone(), r.how.clone()));
            }
            if r.status != BankStatus::Unmatched || r.amount <= 0 {
                return Err(AppError::Conflict(format!(
                    "payment {key} is {}, not waiting in the unmatched queue",
                    r.status
                )));
            }
            let c = s.claim(creditor, claim)?;
            if c.currency.code() != r.currency {
                return Err(AppError::invalid(
                    "",
                    format!("payment {key} is in {}, claim {claim} in {}", r.currency, c.currency),
                ));
            }
            let booked = NewPayment {
                id: key.to_string(),
                claim: claim.to_string(),
                customer: c.customer_id.clone(),
                date: r.date,
                amount: r.amount,
                currency: c.currency,
                kind: PaymentKind::Bank,
                bank_key: Some(key.to_string()),
                source: "assigned by advisor".into(),
                reference: r.reference.clone(),
                payer: r.payer.clone(),
            };
            s.insert_payments(creditor, &[booked])?;
            let rec = s.reconcile(
                &cr,
                j,
                std::slice::from_ref(&c.customer_id),
                &format!("payment {key} assigned to {claim}"),
            )?;
            let parts = vec![(claim.to_string(), r.amount)];
            let how = format!("assigned by the advisor to {claim}");
            s.set_bank_payment_status(creditor, key, BankStatus::Assigned, &how, Some(&parts))?;
            s.audit(creditor, &format!("payment:{key}"), "assigned", &how)?;
            let status = booked_status(&[outcome(&rec, key, claim, r.date, r.amount).status]);
            Ok(result(status, parts, how))
        })
    }
}
