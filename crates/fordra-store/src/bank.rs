//! Payments from bank files as stored: each item of a file with its status, the files seen,
//! and what matching and reversals read. Which status an item gets is decided in the
//! application layer (`fordra-app`, booking.rs); a payment's bank key is its idempotency key.

use crate::{ReadRow, Result, Store, StoreError};
use chrono::NaiveDate;
use fordra_core::domain::BankStatus;
use fordra_core::ledger::EntryKind;
use fordra_core::matching::{OpenClaim, Suggestion};
// FxHash for the per-claim indexes built on every run (keys are our own ids).
use rustc_hash::FxHashMap as HashMap;

/// One item of a bank file as stored: a payment (booked, queued or refused), a reversal, or a
/// duplicate's original.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BankPaymentRecord {
    /// The bank's key of the item (its idempotency key).
    pub key: String,
    /// The file format it came in.
    pub format: String,
    /// The file's name.
    pub source: String,
    /// Its line in the file.
    pub line: usize,
    /// Booking date.
    pub date: NaiveDate,
    /// Amount in minor units.
    pub amount: i64,
    /// Currency code as the file gave it.
    pub currency: String,
    /// The payer's references, space-separated.
    pub reference: Option<String>,
    /// The payer's name.
    pub payer: Option<String>,
    /// Free text of the payment, ` | `-separated.
    pub text: Option<String>,
    /// What became of it.
    pub status: BankStatus,
    /// Why, in words.
    pub how: String,
    /// The claims it was booked to, with amounts.
    pub claims: Vec<(String, i64)>,
    /// For a queued payment: the claims it may be for.
    pub suggestions: Vec<Suggestion>,
    /// What identifies its content (the same key with another fingerprint is not the same
    /// payment); none for reversals and refused items.
    pub fingerprint: Option<String>,
}

/// A bank key already imported: its status, content fingerprint and file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KnownKey {
    /// What became of it.
    pub status: BankStatus,
    /// Its content fingerprint, if a payment.
    pub fingerprint: Option<String>,
    /// The file it came in.
    pub source: String,
}

/// A booked or queued bank payment a reversal may undo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reversible {
    /// Its bank key.
    pub key: String,
    /// Its currency.
    pub currency: String,
    /// Matched, assigned or unmatched.
    pub status: BankStatus,
}

/// Statuses a reversal can undo.
const REVERSIBLE: &str = "status IN ('matched', 'assigned', 'unmatched')";

/// One booking of a bank payment, for the creditor's ERP.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PaymentReportRow {
    /// Booking date.
    pub date: NaiveDate,
    /// Payment id.
    pub payment: String,
    /// The claim it was booked to.
    pub claim: String,
    /// The claim's invoice number.
    pub invoice_number: String,
    /// The customer.
    pub customer: String,
    /// Currency code.
    pub currency: String,
    /// Received, in minor units.
    pub amount: i64,
    /// Allocated to principal.
    pub principal: i64,
    /// Allocated to interest.
    pub interest: i64,
    /// Allocated to fees.
    pub fees: i64,
    /// Left as the customer's credit.
    pub credit: i64,
    /// Reversed later.
    pub reversed: i64,
}

/// A bank payment's line in its file.
fn line_of(r: &crate::Row) -> Result<usize> {
    let line = r.int("line")?;
    usize::try_from(line).map_err(|_| r.fail("line", format!("out of range: {line}")))
}

fn json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Data(format!("bank payment as JSON: {e}")))
}

const RECORD_COLUMNS: &str =
    "key, format, source, line, date, amount, currency, reference, payer, text, status, how, claims, suggestions, fingerprint";

fn record_of(r: &crate::Row) -> Result<BankPaymentRecord> {
    Ok(BankPaymentRecord {
        key: r.text("key")?,
        format: r.text("format")?,
        source: r.text("source")?,
        line: line_of(r)?,
        date: r.date("date")?,
        amount: r.int("amount")?,
        currency: r.text("currency")?,
        reference: r.opt_text("reference")?,
        payer: r.opt_text("payer")?,
        text: r.opt_text("text")?,
        status: r.get("status")?,
        how: r.text("how")?,
        claims: r.json("claims")?,
        suggestions: r.json("suggestions")?,
        fingerprint: r.opt_text("fingerprint")?,
    })
}

fn reversible_of(r: &crate::Row) -> Result<Reversible> {
    Ok(Reversible { key: r.text("key")?, currency: r.text("currency")?, status: r.get("status")? })
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

    /// Records one item of a bank file.
    pub fn insert_bank_payment(&mut self, creditor: &str, p: &BankPaymentRecord) -> Result<()> {
        self.db.exec(
            &format!("INSERT INTO bank_payments (creditor_id, {RECORD_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)"),
            &[
                creditor.into(),
                (&p.key).into(),
                (&p.format).into(),
                (&p.source).into(),
                (p.line as i64).into(),
                p.date.into(),
                p.amount.into(),
                (&p.currency).into(),
                p.reference.clone().into(),
                p.payer.clone().into(),
                p.text.clone().into(),
                p.status.as_str().into(),
                (&p.how).into(),
                json(&p.claims)?.into(),
                json(&p.suggestions)?.into(),
                p.fingerprint.clone().into(),
            ],
        )?;
        self.emit(creditor, |_| Ok(payment_event(p, p.status, &p.claims).into_iter().collect()))
    }

    /// A stored bank payment by its key.
    pub fn bank_payment(&mut self, creditor: &str, key: &str) -> Result<Option<BankPaymentRecord>> {
        self.db
            .query(
                &format!("SELECT {RECORD_COLUMNS} FROM bank_payments WHERE creditor_id = $1 AND key = $2"),
                &[creditor.into(), key.into()],
            )?
            .first()
            .map(record_of)
            .transpose()
    }

    /// Sets what became of a stored bank payment (and, if given, the claims it is booked to).
    pub fn set_bank_payment_status(
        &mut self,
        creditor: &str,
        key: &str,
        status: BankStatus,
        how: &str,
        claims: Option<&[(String, i64)]>,
    ) -> Result<()> {
        match claims {
            Some(claims) => {
                let n = self.db.exec(
                    "UPDATE bank_payments SET status = $1, how = $2, claims = $3 WHERE creditor_id = $4 AND key = $5",
                    &[status.as_str().into(), how.into(), json(&claims)?.into(), creditor.into(), key.into()],
                )?;
                if status == BankStatus::Assigned {
                    self.emit(creditor, |s| {
                        Ok(s.bank_payment(creditor, key)?
                            .and_then(|p| payment_event(&p, status, claims))
                            .into_iter()
                            .collect())
                    })?;
                }
                n
            }
            None => self.db.exec(
                "UPDATE bank_payments SET status = $1, how = $2 WHERE creditor_id = $3 AND key = $4",
                &[status.as_str().into(), how.into(), creditor.into(), key.into()],
            )?,
        };
        Ok(())
    }

    /// The status, fingerprint and file of a bank key already imported.
    pub fn known_bank_key(&mut self, creditor: &str, key: &str) -> Result<Option<KnownKey>> {
        self.db
            .query(
                "SELECT status, fingerprint, source FROM bank_payments WHERE creditor_id = $1 AND key = $2",
                &[creditor.into(), key.into()],
            )?
            .first()
            .map(|r| -> Result<_> {
                Ok(KnownKey {
                    status: r.get("status")?,
                    fingerprint: r.opt_text("fingerprint")?,
                    source: r.text("source")?,
                })
            })
            .transpose()
    }

    /// Whether a file with this checksum was imported for the creditor.
    pub fn payment_file_seen(&mut self, creditor: &str, checksum: &str) -> Result<bool> {
        Ok(!self
            .db
            .query(
                "SELECT name FROM payment_files WHERE creditor_id = $1 AND checksum = $2",
                &[creditor.into(), checksum.into()],
            )?
            .is_empty())
    }

    /// Records a file as imported (once per checksum).
    pub fn record_payment_file(
        &mut self,
        creditor: &str,
        checksum: &str,
        name: &str,
        format: &str,
        items: usize,
    ) -> Result<()> {
        self.db.exec(
            "INSERT INTO payment_files (creditor_id, checksum, name, format, payments) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (creditor_id, checksum) DO NOTHING",
            &[creditor.into(), checksum.into(), name.into(), format.into(), (items as i64).into()],
        )?;
        Ok(())
    }

    /// Paid claims in `currency` whose reference is one of `references`, or whose id or invoice
    /// number is one of `names` (read from the claims' indexes).
    pub fn paid_claims_named(
        &mut self,
        creditor: &str,
        currency: &str,
        references: &[String],
        names: &[String],
    ) -> Result<std::collections::BTreeSet<String>> {
        let mut found = std::collections::BTreeSet::new();
        let head = [creditor.into(), currency.into()];
        self.each_in(
            "SELECT id FROM claims WHERE creditor_id = $1 AND currency = $2 AND status = 'paid' AND reference IN ({ids})",
            &head,
            references,
            &mut |r| {
                found.insert(r.text("id")?);
                Ok(())
            },
        )?;
        self.each_in(
            "SELECT id FROM claims WHERE creditor_id = $1 AND currency = $2 AND status = 'paid' AND (id IN ({ids}) OR invoice_number IN ({ids}))",
            &head,
            names,
            &mut |r| {
                found.insert(r.text("id")?);
                Ok(())
            },
        )?;
        Ok(found)
    }

    /// The booked or queued bank payment with this key, if any.
    pub fn reversible_by_key(&mut self, creditor: &str, key: &str) -> Result<Option<Reversible>> {
        self.db
            .query(
                &format!("SELECT key, currency, status FROM bank_payments WHERE creditor_id = $1 AND key = $2 AND {REVERSIBLE}"),
                &[creditor.into(), key.into()],
            )?
            .first()
            .map(reversible_of)
            .transpose()
    }

    /// The latest booked or queued bank payment with this reference and amount, if any.
    pub fn reversible_by_reference(
        &mut self,
        creditor: &str,
        reference: &str,
        amount: i64,
    ) -> Result<Option<Reversible>> {
        self.db
            .query(
                &format!("SELECT key, currency, status FROM bank_payments WHERE creditor_id = $1 AND reference = $2 AND amount = $3 AND {REVERSIBLE} ORDER BY date DESC, key DESC LIMIT 1"),
                &[creditor.into(), reference.into(), amount.into()],
            )?
            .first()
            .map(reversible_of)
            .transpose()
    }

    /// Records the reversal of a bank payment on `date` (the ledger of record then undoes its
    /// bookings with opposite entries; interest accrued through the payment day stays, it was
    /// owed on that day either way). Finds the payment's bookings by their exact bank key: a key
    /// is never a pattern. Returns each booking's claim, amount and customer.
    pub fn reverse_bank_payment(
        &mut self,
        creditor: &str,
        key: &str,
        date: NaiveDate,
        why: &str,
    ) -> Result<Vec<(String, i64, String)>> {
        let bookings = self.db.query(
            "SELECT id, claim_id, amount, customer_id FROM payments WHERE creditor_id = $1 AND bank_key = $2 AND reversed_on IS NULL ORDER BY id",
            &[creditor.into(), key.into()],
        )?;
        self.db.exec(
            "UPDATE payments SET reversed_on = $1, reversed_by = $2 WHERE creditor_id = $3 AND bank_key = $4 AND reversed_on IS NULL",
            &[date.into(), why.into(), creditor.into(), key.into()],
        )?;
        self.set_bank_payment_status(creditor, key, BankStatus::Reversed, &format!("reversed: {why}"), None)?;
        bookings.iter().map(|b| Ok((b.text("claim_id")?, b.int("amount")?, b.text("customer_id")?))).collect()
    }

    /// The unmatched queue, oldest first.
    pub fn queued_bank_payments(&mut self, creditor: &str) -> Result<Vec<BankPaymentRecord>> {
        self.db
            .query(
                &format!("SELECT {RECORD_COLUMNS} FROM bank_payments WHERE creditor_id = $1 AND status = 'unmatched' ORDER BY date, key"),
                &[creditor.into()],
            )?
            .iter()
            .map(record_of)
            .collect()
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

/// The event of a bank payment's outcome: received (booked on claims) or unmatched; none for a
/// duplicate, a reversal or a refused item.
fn payment_event(p: &BankPaymentRecord, status: BankStatus, claims: &[(String, i64)]) -> Option<crate::NewEvent> {
    let kind = match status {
        BankStatus::Matched | BankStatus::PartlyMatched | BankStatus::Overpaid | BankStatus::Assigned => {
            "payment.received"
        }
        BankStatus::Unmatched => "payment.unmatched",
        _ => return None,
    };
    let money = fordra_core::money::format_minor;
    let booked: Vec<serde_json::Value> =
        claims.iter().map(|(c, a)| serde_json::json!({"claim": c, "amount": money(*a)})).collect();
    Some(crate::NewEvent {
        claim: claims.first().map(|(c, _)| c.clone()),
        kind,
        dedup: Some(format!("{kind}:{}", p.key)),
        payload: serde_json::json!({
            "payment": p.key, "status": status.as_str(), "amount": money(p.amount), "currency": p.currency,
            "date": p.date, "reference": p.reference, "claims": booked
        }),
    })
}
