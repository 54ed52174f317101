//! Payments from bank files: match each to claims, book what matches, queue the rest for an
//! advisor, undo reversals. One transaction per file; a payment's bank key is its idempotency key,
//! so the same file (or the same payment in two files) is booked once.

use crate::{bad, parse, PaymentRow, Result, RowExt, Store, StoreError, Val};
use chrono::NaiveDate;
use fordra_core::domain::DebtorKind;
use fordra_core::law::LawBook;
use fordra_core::ledger::EntryKind;
use fordra_core::matching::{Decision, Incoming, Matcher, OpenClaim, Suggestion};
use fordra_core::money::Currency;
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

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct BankPaymentResult {
    pub key: String,
    pub line: usize,
    pub date: NaiveDate,
    pub amount: i64,
    pub currency: String,
    pub reference: Option<String>,
    pub payer: Option<String>,
    /// matched, partly matched, overpaid, unmatched, duplicate, reversal, assigned
    pub status: String,
    pub claims: Vec<(String, i64)>,
    pub how: String,
    pub suggestions: Vec<Suggestion>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct BankImport {
    pub file_seen_before: bool,
    pub payments: Vec<BankPaymentResult>,
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

fn json<T: serde::Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|_| "[]".into())
}

impl Store {
    /// Every open claim with what matching needs; balances are not read (`open` is 0).
    pub fn open_claims_for_matching(&mut self, creditor: &str) -> Result<Vec<OpenClaim>> {
        let mut out: Vec<OpenClaim> = Vec::new();
        let names: HashMap<String, std::sync::Arc<str>> =
            self.db.query("SELECT id, name FROM customers WHERE creditor_id = $1", &[creditor.into()])?.into_iter().map(|r| (r.t(0), r.t(1).into())).collect();
        self.db.query_each(
            "SELECT id, invoice_number, reference, customer_id, currency, due_date FROM claims WHERE creditor_id = $1 AND status = 'open'",
            &[creditor.into()],
            &mut |r| {
                out.push(OpenClaim {
                    id: r.str(0).unwrap_or("").to_string(),
                    invoice_number: r.str(1).unwrap_or("").to_string(),
                    reference: r.str(2).map(str::to_string),
                    customer_name: r.str(3).and_then(|c| names.get(c)).cloned().unwrap_or_else(|| "".into()),
                    currency: parse(r.str(4).unwrap_or(""))?,
                    due: r.day(5).unwrap_or_default(),
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
                *open.entry(r.str(0).unwrap_or("").to_string()).or_insert(0) += r.int(1).unwrap_or(0);
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
    ) -> Result<()> {
        let reference = (!p.references.is_empty()).then(|| p.references.join(" "));
        self.db.exec(
            "INSERT INTO bank_payments (creditor_id, key, format, source, line, date, amount, currency, reference, payer, text, status, how, claims, suggestions) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
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
            ],
        )?;
        Ok(())
    }

    /// Books the parts of one bank payment; returns the status word.
    fn book_parts(
        &mut self,
        creditor: &fordra_core::run::Creditor,
        law: &LawBook,
        kinds: &HashMap<String, DebtorKind>,
        p: &Incoming,
        parts: &[(String, i64)],
        source: &str,
    ) -> Result<String> {
        let currency: Currency = p.currency.parse().map_err(StoreError::Rule)?;
        let mut statuses = Vec::new();
        for (n, (claim, amount)) in parts.iter().enumerate() {
            let c = self.claim(&creditor.id, claim)?;
            let id = if parts.len() == 1 { p.key.clone() } else { format!("{}#{}", p.key, n + 1) };
            let row = PaymentRow {
                line: p.line,
                id,
                claim_id: claim.clone(),
                date: p.date,
                amount: *amount,
                currency,
                reference: (!p.references.is_empty()).then(|| p.references.join(" ")),
                payer: p.payer.clone(),
            };
            statuses.push(self.book_one_payment(creditor, law, kinds, &row, &c.customer_id, source)?.status);
        }
        Ok(if statuses.iter().any(|s| s == "overpaid") {
            "overpaid".into()
        } else if statuses.iter().all(|s| s == "settled") {
            "matched".into()
        } else {
            "partly matched".into()
        })
    }

    /// Imports the payments of one bank file. `checksum` identifies the file.
    #[allow(clippy::too_many_arguments)]
    pub fn import_bank_payments(
        &mut self,
        creditor_id: &str,
        law: &LawBook,
        format: &str,
        source: &str,
        checksum: &str,
        incoming: &[Incoming],
        reversals: &[Reversal],
        dry_run: bool,
    ) -> Result<BankImport> {
        let creditor = self.creditor(creditor_id)?;
        self.tx_or_rollback(dry_run, |s| {
            let file_seen_before = !s.db.query("SELECT name FROM payment_files WHERE creditor_id = $1 AND checksum = $2", &[creditor_id.into(), checksum.into()])?.is_empty();
            let kinds: HashMap<String, DebtorKind> = s.db.query("SELECT id, kind FROM customers WHERE creditor_id = $1", &[creditor_id.into()])?.into_iter().map(|r| (r.t(0), r.t(1).parse().unwrap_or(DebtorKind::Consumer))).collect();
            let mut matcher = Matcher::without_balances(s.open_claims_for_matching(creditor_id)?);
            let mut out = Vec::new();
            for p in incoming {
                let result = |status: &str, claims: Vec<(String, i64)>, how: String, suggestions: Vec<Suggestion>| BankPaymentResult {
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
                };
                if let Some(prev) = s.db.query("SELECT status, source FROM bank_payments WHERE creditor_id = $1 AND key = $2", &[creditor_id.into(), (&p.key).into()])?.first() {
                    out.push(result("duplicate", vec![], format!("already imported from {} ({})", prev.t(1), prev.t(0)), vec![]));
                    continue;
                }
                if p.amount <= 0 {
                    return Err(bad(format!("{source}: line {}: payment {} has no positive amount", p.line, p.key)));
                }
                let mut decision = matcher.decide(p);
                if decision == Decision::NeedBalances {
                    let open = s.open_balances(creditor_id)?;
                    matcher.set_balances(&open);
                    decision = matcher.decide(p);
                }
                match decision {
                    Decision::Book { parts, how } => {
                        let status = s.book_parts(&creditor, law, &kinds, p, &parts, source)?;
                        for (c, a) in &parts {
                            matcher.booked(c, *a);
                        }
                        s.record_bank_payment(creditor_id, format, source, p, "matched", &how, &parts, &[])?;
                        out.push(result(&status, parts, how, vec![]));
                    }
                    Decision::Unmatched { reason, suggestions } => {
                        s.record_bank_payment(creditor_id, format, source, p, "unmatched", &reason, &[], &suggestions)?;
                        out.push(result("unmatched", vec![], reason, suggestions));
                    }
                    Decision::NeedBalances => unreachable!("balances were just set"),
                }
            }
            for r in reversals {
                let as_incoming = Incoming { key: r.key.clone(), date: r.date, amount: 0, currency: String::new(), references: vec![], text: vec![], payer: None, claim: None, line: r.line };
                let res = |status: &str, how: String| BankPaymentResult { key: r.key.clone(), line: r.line, date: r.date, amount: 0, currency: String::new(), reference: None, payer: None, status: status.into(), claims: vec![], how, suggestions: vec![] };
                if !s.db.query("SELECT status FROM bank_payments WHERE creditor_id = $1 AND key = $2", &[creditor_id.into(), (&r.key).into()])?.is_empty() {
                    out.push(res("duplicate", "reversal already imported".into()));
                    continue;
                }
                let target = match &r.target {
                    ReversalTarget::Key(k) => s.db.query("SELECT key, currency FROM bank_payments WHERE creditor_id = $1 AND key = $2 AND status IN ('matched', 'assigned')", &[creditor_id.into(), k.into()])?,
                    ReversalTarget::ReferenceAmount(reference, amount) => s.db.query(
                        "SELECT key, currency FROM bank_payments WHERE creditor_id = $1 AND reference = $2 AND amount = $3 AND status IN ('matched', 'assigned') ORDER BY date DESC, key DESC",
                        &[creditor_id.into(), reference.into(), (*amount).into()],
                    )?,
                };
                let Some(t) = target.first() else {
                    let how = format!("reversal of {:?}: no booked payment found", r.target);
                    s.record_bank_payment(creditor_id, format, source, &as_incoming, "unmatched", &how, &[], &[])?;
                    out.push(res("unmatched", how));
                    continue;
                };
                let original = t.t(0);
                let claims = s.reverse_bank_payment(creditor_id, &original, r.date, &format!("reversed by {} ({source}, line {})", r.key, r.line))?;
                let how = format!("reverses payment {original}");
                s.record_bank_payment(creditor_id, format, source, &Incoming { currency: t.t(1), ..as_incoming.clone() }, "reversal", &how, &claims, &[])?;
                out.push(BankPaymentResult { claims, currency: t.t(1), ..res("reversal", how) });
            }
            s.db.exec(
                "INSERT INTO payment_files (creditor_id, checksum, name, format, payments) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (creditor_id, checksum) DO NOTHING",
                &[creditor_id.into(), checksum.into(), source.into(), format.into(), ((incoming.len() + reversals.len()) as i64).into()],
            )?;
            if !dry_run {
                s.audit(creditor_id, &format!("payments:{source}"), "imported", &format!("{format}, {} payments, {} reversals", incoming.len(), reversals.len()))?;
            }
            Ok(BankImport { file_seen_before, payments: out })
        })
    }

    /// Undoes the bookings of a bank payment with opposite entries (interest accrued through the
    /// payment day stays: it was owed on that day either way). Returns the claims touched.
    fn reverse_bank_payment(&mut self, creditor: &str, key: &str, date: NaiveDate, why: &str) -> Result<Vec<(String, i64)>> {
        let bookings = self.db.query(
            "SELECT id, claim_id, amount FROM payments WHERE creditor_id = $1 AND (id = $2 OR id LIKE $3) ORDER BY id",
            &[creditor.into(), key.into(), format!("{key}#%").into()],
        )?;
        let mut touched = Vec::new();
        for b in bookings {
            let (id, claim) = (b.t(0), b.t(1));
            let entries = self.db.query(
                "SELECT customer_id, kind, component, amount, currency FROM ledger WHERE creditor_id = $1 AND reference = $2 AND kind IN ('payment', 'customer_credit') ORDER BY id",
                &[creditor.into(), format!("payment:{id}").into()],
            )?;
            let mut rows = entries.iter().map(|e| -> Vec<Val> {
                vec![
                    creditor.into(),
                    (&claim).into(),
                    e.t(0).into(),
                    date.into(),
                    e.t(1).into(),
                    e.ot(2).into(),
                    (-e.i(3)).into(),
                    e.t(4).into(),
                    format!("reversal:{id}").into(),
                    format!("reversal of payment {id}: {why}").into(),
                ]
            });
            self.db.exec_many("INSERT INTO ledger (creditor_id, claim_id, customer_id, date, kind, component, amount, currency, reference, memo) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)", &mut rows)?;
            self.refresh_status(creditor, &claim)?;
            touched.push((claim, b.i(2)));
        }
        self.db.exec(
            "UPDATE bank_payments SET status = 'reversed', how = $1 WHERE creditor_id = $2 AND key = $3",
            &[format!("reversed: {why}").into(), creditor.into(), key.into()],
        )?;
        Ok(touched)
    }

    /// The unmatched queue, oldest first.
    pub fn unmatched_payments(&mut self, creditor: &str) -> Result<Vec<BankPaymentResult>> {
        Ok(self
            .db
            .query("SELECT key, line, date, amount, currency, reference, payer, how, suggestions, text FROM bank_payments WHERE creditor_id = $1 AND status = 'unmatched' ORDER BY date, key", &[creditor.into()])?
            .iter()
            .map(|r| BankPaymentResult {
                key: r.t(0),
                line: r.i(1) as usize,
                date: r.date(2),
                amount: r.i(3),
                currency: r.t(4),
                reference: r.ot(5),
                payer: r.ot(6),
                status: "unmatched".into(),
                claims: vec![],
                how: match r.ot(9) {
                    Some(t) => format!("{} (text: {t})", r.t(7)),
                    None => r.t(7),
                },
                suggestions: serde_json::from_str(&r.t(8)).unwrap_or_default(),
            })
            .collect())
    }

    /// An advisor books an unmatched payment to a claim.
    pub fn assign_payment(&mut self, creditor_id: &str, law: &LawBook, key: &str, claim: &str) -> Result<BankPaymentResult> {
        let creditor = self.creditor(creditor_id)?;
        self.tx(|s| {
            let rows = s.db.query(
                "SELECT date, amount, currency, reference, payer, line, status FROM bank_payments WHERE creditor_id = $1 AND key = $2",
                &[creditor_id.into(), key.into()],
            )?;
            let r = rows.first().ok_or_else(|| StoreError::NotFound(format!("no payment '{key}' (see `fordra payments unmatched`)")))?;
            if r.t(6) != "unmatched" || r.i(1) <= 0 {
                return Err(bad(format!("payment {key} is {}, not waiting in the unmatched queue", r.t(6))));
            }
            let c = s.claim(creditor_id, claim)?;
            if c.currency.code() != r.t(2) {
                return Err(bad(format!("payment {key} is in {}, claim {claim} in {}", r.t(2), c.currency)));
            }
            let kinds: HashMap<String, DebtorKind> =
                s.db.query("SELECT id, kind FROM customers WHERE creditor_id = $1 AND id = $2", &[creditor_id.into(), (&c.customer_id).into()])?
                    .into_iter()
                    .map(|x| (x.t(0), x.t(1).parse().unwrap_or(DebtorKind::Consumer)))
                    .collect();
            let p = Incoming {
                key: key.into(),
                date: r.date(0),
                amount: r.i(1),
                currency: r.t(2),
                references: r.ot(3).into_iter().collect(),
                text: vec![],
                payer: r.ot(4),
                claim: None,
                line: r.i(5) as usize,
            };
            let parts = vec![(claim.to_string(), p.amount)];
            let status = s.book_parts(&creditor, law, &kinds, &p, &parts, "assigned by advisor")?;
            let how = format!("assigned by the advisor to {claim}");
            s.db.exec(
                "UPDATE bank_payments SET status = 'assigned', how = $1, claims = $2 WHERE creditor_id = $3 AND key = $4",
                &[(&how).into(), json(&parts).into(), creditor_id.into(), key.into()],
            )?;
            s.audit(creditor_id, &format!("payment:{key}"), "assigned", &how)?;
            Ok(BankPaymentResult {
                key: key.into(),
                line: p.line,
                date: p.date,
                amount: p.amount,
                currency: p.currency.clone(),
                reference: p.references.first().cloned(),
                payer: p.payer.clone(),
                status,
                claims: parts,
                how,
                suggestions: vec![],
            })
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
            let id = r.t(1);
            let mut row = PaymentReportRow {
                date: r.date(0),
                payment: id.clone(),
                claim: r.t(2),
                invoice_number: r.t(3),
                customer: r.t(4),
                currency: r.t(5),
                amount: r.i(6),
                principal: 0,
                interest: 0,
                fees: 0,
                credit: 0,
                reversed: 0,
            };
            for e in self.db.query("SELECT kind, component, CAST(SUM(amount) AS BIGINT), reference FROM ledger WHERE creditor_id = $1 AND reference IN ($2, $3) GROUP BY kind, component, reference", &[creditor.into(), format!("payment:{id}").into(), format!("reversal:{id}").into()])? {
                let amount = -e.i(2);
                if e.t(3).starts_with("reversal:") {
                    row.reversed -= amount;
                    continue;
                }
                match (e.t(0).parse::<EntryKind>().ok(), e.ot(1).as_deref()) {
                    (Some(EntryKind::CustomerCredit), _) => row.credit += amount,
                    (Some(EntryKind::Payment), Some("principal")) => row.principal += amount,
                    (Some(EntryKind::Payment), Some("interest")) => row.interest += amount,
                    (Some(EntryKind::Payment), Some("fees")) => row.fees += amount,
                    _ => {}
                }
            }
            out.push(row);
        }
        Ok(out)
    }
}
