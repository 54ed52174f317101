//! The one way entries enter the ledger. Every write records facts (an invoice, a payment, a
//! reversal, a step, a plan fee, a refund) and then reconciles the customers it touched: their
//! facts are loaded, the ledger of record is derived (`fordra_core::settle`), and the difference
//! from what the ledger holds is appended as new entries. Nothing is ever updated or deleted in
//! the ledger, and the same facts always give the same ledger, whatever order they came in.

use crate::{Insert, ReadRow, Result, RowRef, Store, StoreError, Val};
use chrono::NaiveDate;
use fordra_core::domain::{Component, DebtorKind, PauseKind, StepKind};
use fordra_core::fees::FeeLine;
use fordra_core::law::Jurisdiction;
use fordra_core::ledger::EntryKind;
use fordra_core::money::Currency;
use fordra_core::run::{Creditor, Pause};
use fordra_core::settle::{
    corrections, settle, ClaimFact, CustomerFacts, Held, PauseFact, PaymentFact, PaymentKind, Posting, RefundFact,
    Settlement, StepFact,
};
use rustc_hash::FxHashMap as HashMap;

/// How many ids go into one `IN (…)` list.
const CHUNK: usize = 400;

/// The payment kinds as stored.
pub(crate) fn payment_kind_name(k: PaymentKind) -> &'static str {
    match k {
        PaymentKind::Bank => "bank",
        PaymentKind::Settled { interest: true } => "settled",
        PaymentKind::Settled { interest: false } => "history",
    }
}

/// A payment's kind as stored; rows from before kinds were stored (NULL) are bank payments.
fn payment_kind<R: RowRef + ?Sized>(r: &R) -> Result<PaymentKind> {
    match r.opt_str("kind")?.unwrap_or("bank") {
        "bank" => Ok(PaymentKind::Bank),
        "settled" => Ok(PaymentKind::Settled { interest: true }),
        "history" => Ok(PaymentKind::Settled { interest: false }),
        other => Err(r.fail("kind", format!("unknown payment kind '{other}'"))),
    }
}

/// Fee lines as stored on an action or a pause (JSON).
pub(crate) fn fee_lines_json(lines: &[FeeLine]) -> String {
    serde_json::to_string(lines).unwrap_or_else(|_| "[]".into())
}

/// Fee lines stored as JSON (NULL or empty: none).
fn fee_lines<R: RowRef + ?Sized>(r: &R, column: &str) -> Result<Vec<FeeLine>> {
    match r.opt_str(column)? {
        None | Some("") => Ok(vec![]),
        Some(_) => r.json(column),
    }
}

/// What a reconciliation did, kept small (a file of a million payments reconciles hundreds of
/// thousands of customers): each payment's allocation, each claim's settled date, plan fees.
#[derive(Clone, Debug, Default)]
pub struct Reconciled {
    /// Payment id → (parts by component, credit it left).
    pub payments: HashMap<String, (Vec<(Component, i64)>, i64)>,
    /// Claim → the day it was settled, if it is.
    pub settled: HashMap<String, Option<NaiveDate>>,
    /// Cause ("pause:ID") → fee posted.
    pub pause_fees: HashMap<String, i64>,
    /// How many entries were appended.
    pub appended: usize,
}

impl Reconciled {
    fn absorb(&mut self, s: &Settlement, appended: usize) {
        for p in &s.postings {
            if let Some(id) = p.cause.strip_prefix("payment:") {
                let e = self.payments.entry(id.to_string()).or_default();
                match (p.kind, p.component) {
                    (EntryKind::Payment, Some(c)) => e.0.push((c, -p.amount)),
                    (EntryKind::CustomerCredit, _) => e.1 -= p.amount,
                    _ => {}
                }
            } else if p.cause.starts_with("pause:") {
                *self.pause_fees.entry(p.cause.clone()).or_default() += p.amount;
            }
        }
        self.settled.extend(s.settled_on.iter().cloned());
        self.appended += appended;
    }
}

/// How many customers are reconciled at a time (memory stays bounded for any file).
const CUSTOMERS_AT_ONCE: usize = 2000;

#[derive(Default)]
struct Loaded {
    facts: CustomerFacts,
    debtor: Option<DebtorKind>,
    held: Vec<Held>,
    /// claim → (currency, status, settled date)
    claims: HashMap<String, (Currency, String, Option<NaiveDate>)>,
}

fn placeholders(from: usize, n: usize) -> String {
    (from..from + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// `sql` (with `{ids}` where the id list goes) and its parameters for each chunk of `ids`,
/// after the `head` parameters.
fn id_lists<'a>(sql: &'a str, head: &'a [Val], ids: &'a [String]) -> impl Iterator<Item = (String, Vec<Val>)> + 'a {
    ids.chunks(CHUNK).map(move |chunk| {
        let q = sql.replace("{ids}", &placeholders(head.len() + 1, chunk.len()));
        let mut params = head.to_vec();
        params.extend(chunk.iter().map(Val::from));
        (q, params)
    })
}

impl Store {
    /// Runs `sql` (with `{ids}` where the id list goes) for chunks of `ids` after `head`
    /// parameters, calling `f` per row.
    pub(crate) fn each_in(
        &mut self,
        sql: &str,
        head: &[Val],
        ids: &[String],
        f: &mut dyn FnMut(&dyn RowRef) -> Result<()>,
    ) -> Result<()> {
        for (q, params) in id_lists(sql, head, ids) {
            self.db.query_each(&q, &params, f)?;
        }
        Ok(())
    }

    /// Executes `sql` (a change, with `{ids}` where the id list goes) for chunks of `ids`.
    pub(crate) fn exec_in(&mut self, sql: &str, head: &[Val], ids: &[String]) -> Result<()> {
        for (q, params) in id_lists(sql, head, ids) {
            self.db.exec(&q, &params)?;
        }
        Ok(())
    }

    /// Runs `sql` over the whole creditor (`ids` none) or, with ` AND {column} IN (…)` added,
    /// over chunks of `ids`, calling `f` per row.
    pub(crate) fn each_of(
        &mut self,
        sql: &str,
        head: &[Val],
        column: &str,
        ids: Option<&[String]>,
        f: &mut dyn FnMut(&dyn RowRef) -> Result<()>,
    ) -> Result<()> {
        match ids {
            None => Ok(self.db.query_each(sql, head, f)?),
            Some(ids) => self.each_in(&format!("{sql} AND {column} IN ({{ids}})"), head, ids, f),
        }
    }

    fn load_facts(&mut self, creditor: &str, customers: &[String]) -> Result<HashMap<String, Loaded>> {
        let head = [Val::from(creditor)];
        let mut out: HashMap<String, Loaded> = customers.iter().map(|c| (c.clone(), Loaded::default())).collect();
        self.customer_kinds_of(&head, customers, &mut out)?;
        self.claim_facts(&head, customers, &mut out)?;
        self.payment_facts(&head, customers, &mut out)?;
        self.step_facts(&head, customers, &mut out)?;
        self.pause_facts(&head, customers, &mut out)?;
        self.refund_facts(&head, customers, &mut out)?;
        self.held_entries(&head, customers, &mut out)?;
        Ok(out)
    }

    /// The kind of each customer of `customers`, into `out`.
    fn customer_kinds_of(
        &mut self,
        head: &[Val],
        customers: &[String],
        out: &mut HashMap<String, Loaded>,
    ) -> Result<()> {
        self.each_in(
            "SELECT id, kind FROM customers WHERE creditor_id = $1 AND id IN ({ids})",
            head,
            customers,
            &mut |r| {
                if let Some(l) = out.get_mut(r.str("id")?) {
                    l.debtor = Some(r.get("kind")?);
                }
                Ok(())
            },
        )
    }

    /// The claims of `customers`, into `out`.
    fn claim_facts(&mut self, head: &[Val], customers: &[String], out: &mut HashMap<String, Loaded>) -> Result<()> {
        self.each_in(
            "SELECT customer_id, id, currency, issue_date, due_date, principal, status, settled_date, due_date_agreed, demand_date FROM claims WHERE creditor_id = $1 AND customer_id IN ({ids})",
            head,
            customers,
            &mut |r| {
            let Some(l) = out.get_mut(r.str("customer_id")?) else { return Ok(()) };
            let currency: Currency = r.get("currency")?;
            l.claims.insert(r.text("id")?, (currency, r.text("status")?, r.opt_date("settled_date")?));
            let issue = r.date("issue_date")?;
            let demand = crate::claims::demand_of(r.opt_int("due_date_agreed")?, r.opt_date("demand_date")?, issue);
            l.facts.claims.push(ClaimFact {
                id: r.text("id")?,
                currency,
                issue,
                due: r.date("due_date")?,
                demand,
                principal: r.int("principal")?,
            });
            Ok(())
            },
        )
    }

    /// The payments, with their reversals of `customers`, into `out`.
    fn payment_facts(&mut self, head: &[Val], customers: &[String], out: &mut HashMap<String, Loaded>) -> Result<()> {
        self.each_in(
            "SELECT customer_id, id, claim_id, date, amount, kind, reversed_on FROM payments WHERE creditor_id = $1 AND customer_id IN ({ids})",
            head,
            customers,
            &mut |r| {
            let Some(l) = out.get_mut(r.str("customer_id")?) else { return Ok(()) };
            l.facts.payments.push(PaymentFact {
                id: r.text("id")?,
                claim: r.text("claim_id")?,
                date: r.date("date")?,
                amount: r.int("amount")?,
                kind: payment_kind(r)?,
                reversed: r.opt_date("reversed_on")?,
            });
            Ok(())
            },
        )
    }

    /// The steps not reverted of `customers`, into `out`.
    fn step_facts(&mut self, head: &[Val], customers: &[String], out: &mut HashMap<String, Loaded>) -> Result<()> {
        self.each_in(
            "SELECT customer_id, claim_id, seq, date, kind, fees, letter, min_amount, skipped FROM actions WHERE creditor_id = $1 AND reverted IS NULL AND customer_id IN ({ids})",
            head,
            customers,
            &mut |r| {
            let Some(l) = out.get_mut(r.str("customer_id")?) else { return Ok(()) };
            let seq = r.int("seq")?;
            l.facts.steps.push(StepFact {
                claim: r.text("claim_id")?,
                seq: u32::try_from(seq).map_err(|_| r.fail("seq", format!("out of range: {seq}")))?,
                date: r.date("date")?,
                kind: r.get::<StepKind>("kind")?,
                fees: fee_lines(r, "fees")?,
                letter: r.opt_text("letter")?,
                min_amount: r.int("min_amount")?,
                skipped: r.flag("skipped")?,
            });
            Ok(())
            },
        )
    }

    /// The pauses with their plan fees of `customers`, into `out`.
    fn pause_facts(&mut self, head: &[Val], customers: &[String], out: &mut HashMap<String, Loaded>) -> Result<()> {
        self.each_in(
            "SELECT customer_id, id, claim_id, kind, from_date, until_date, ended_date, reason, plan_fee FROM pauses WHERE creditor_id = $1 AND customer_id IN ({ids})",
            head,
            customers,
            &mut |r| {
            let Some(l) = out.get_mut(r.str("customer_id")?) else { return Ok(()) };
            let pause = Pause {
                id: r.int("id")?,
                kind: r.get::<PauseKind>("kind")?,
                from: r.date("from_date")?,
                until: r.opt_date("until_date")?,
                ended: r.opt_date("ended_date")?,
                reason: r.text("reason")?,
            };
            let plan_fee = fee_lines(r, "plan_fee")?.into_iter().next();
            l.facts.pauses.push(PauseFact { claim: r.opt_text("claim_id")?, pause, plan_fee });
            Ok(())
            },
        )
    }

    /// The refunds of `customers`, into `out`.
    fn refund_facts(&mut self, head: &[Val], customers: &[String], out: &mut HashMap<String, Loaded>) -> Result<()> {
        self.each_in(
            "SELECT customer_id, id, date, amount, currency FROM refunds WHERE creditor_id = $1 AND customer_id IN ({ids})",
            head,
            customers,
            &mut |r| {
            let Some(l) = out.get_mut(r.str("customer_id")?) else { return Ok(()) };
            l.facts.refunds.push(RefundFact {
                id: r.text("id")?,
                date: r.date("date")?,
                amount: r.int("amount")?,
                currency: r.get("currency")?,
            });
            Ok(())
            },
        )
    }

    /// The ledger entries as held of `customers`, into `out`.
    fn held_entries(&mut self, head: &[Val], customers: &[String], out: &mut HashMap<String, Loaded>) -> Result<()> {
        self.each_in(
            "SELECT customer_id, claim_id, date, kind, component, amount, reference FROM ledger WHERE creditor_id = $1 AND customer_id IN ({ids})",
            head,
            customers,
            &mut |r| {
            let Some(l) = out.get_mut(r.str("customer_id")?) else { return Ok(()) };
            l.held.push(Held {
                claim: r.text("claim_id")?,
                date: r.date("date")?,
                kind: r.get::<EntryKind>("kind")?,
                component: r.opt::<Component>("component")?,
                amount: r.int("amount")?,
                reference: r.text("reference")?,
            });
            Ok(())
            },
        )
    }

    /// Brings the ledger of these customers to the ledger of record, appending only differences
    /// (`why` is written into every correction), and refreshes each claim's status.
    pub fn reconcile(
        &mut self,
        creditor: &Creditor,
        law: &Jurisdiction,
        customers: &[String],
        why: &str,
    ) -> Result<Reconciled> {
        let mut ids: Vec<String> = customers.to_vec();
        ids.sort();
        ids.dedup();
        let mut out = Reconciled::default();
        for chunk in ids.chunks(CUSTOMERS_AT_ONCE) {
            let loaded = self.load_facts(&creditor.id, chunk)?;
            let mut rows: Vec<Vec<Val>> = Vec::new();
            let mut status: Vec<Vec<Val>> = Vec::new();
            let mut events = Vec::new();
            // Customers whose claims' paid dates moved (the model's kept scores of them no longer hold).
            let mut resettled: Vec<String> = Vec::new();
            for id in chunk {
                let Some(l) = loaded.get(id) else { continue };
                let Some(debtor) = l.debtor else { continue };
                let s = settle(creditor.settle_terms(law, debtor), &l.facts);
                let appended = corrections(&l.held, &s.postings, why);
                for p in &appended {
                    let currency = l.claims.get(&p.claim).map_or(creditor.currency, |c| c.0);
                    rows.push(vec![
                        creditor.id.as_str().into(),
                        (&p.claim).into(),
                        id.into(),
                        p.date.into(),
                        p.kind.to_string().into(),
                        p.component.map(|c| c.as_str()).into(),
                        p.amount.into(),
                        currency.code().into(),
                        (&p.cause).into(),
                        (&p.memo).into(),
                    ]);
                }
                for (claim, settled) in &s.settled_on {
                    let now = if settled.is_some() { "paid" } else { "open" };
                    if let Some((_, was, was_date)) = l.claims.get(claim) {
                        if was_date != settled {
                            resettled.push(id.clone());
                        }
                        if was != now || was_date != settled {
                            status.push(vec![now.into(), (*settled).into(), creditor.id.as_str().into(), claim.into()]);
                            events.push(settled_event(claim, id, *settled));
                        }
                    }
                }
                out.absorb(&s, appended.len());
            }
            self.db.insert_rows(
                &Insert {
                    table: "ledger",
                    columns: &[
                        "creditor_id",
                        "claim_id",
                        "customer_id",
                        "date",
                        "kind",
                        "component",
                        "amount",
                        "currency",
                        "reference",
                        "memo",
                    ],
                    conflict: None,
                },
                rows,
            )?;
            self.db.exec_many(
                "UPDATE claims SET status = $1, settled_date = $2 WHERE creditor_id = $3 AND id = $4",
                &mut status.into_iter(),
            )?;
            if !events.is_empty() {
                self.emit(&creditor.id, |_| Ok(events))?;
            }
            self.history_changed(&creditor.id, resettled.iter().map(String::as_str))?;
        }
        Ok(out)
    }

    /// The ledger of record of one customer without writing anything (for views and checks).
    pub fn settlement(&mut self, creditor: &Creditor, law: &Jurisdiction, customer: &str) -> Result<Settlement> {
        let ids = vec![customer.to_string()];
        let loaded = self.load_facts(&creditor.id, &ids)?;
        let l = loaded
            .get(customer)
            .ok_or_else(|| StoreError::NotFound { entity: "customer", id: customer.to_string() })?;
        let debtor = l.debtor.ok_or_else(|| StoreError::NotFound { entity: "customer", id: customer.to_string() })?;
        Ok(settle(creditor.settle_terms(law, debtor), &l.facts))
    }

    /// Whether the ledger of these customers is the ledger of record: the entries a
    /// reconciliation would append (none when it is).
    pub fn pending_corrections(
        &mut self,
        creditor: &Creditor,
        law: &Jurisdiction,
        customers: &[String],
    ) -> Result<Vec<Posting>> {
        let loaded = self.load_facts(&creditor.id, customers)?;
        let mut out = Vec::new();
        for l in loaded.values() {
            let Some(debtor) = l.debtor else { continue };
            let s = settle(creditor.settle_terms(law, debtor), &l.facts);
            out.extend(corrections(&l.held, &s.postings, "check"));
        }
        Ok(out)
    }
}

impl Store {
    /// Checks what Fordra promises about a creditor's money, in a few queries: the ledger is the
    /// ledger of record (nothing left to correct), no balance component is negative, a paid claim
    /// has nothing open and an open one has, and no customer's credit is negative. Returns every
    /// problem found, in words (none when all holds).
    pub fn verify(&mut self, creditor: &Creditor, law: &Jurisdiction) -> Result<Vec<String>> {
        let c = creditor.id.as_str();
        let mut problems = Vec::new();
        let customers: Vec<String> = self
            .db
            .query("SELECT id FROM customers WHERE creditor_id = $1 ORDER BY id", &[c.into()])?
            .iter()
            .map(|r| r.text("id"))
            .collect::<Result<_>>()?;
        for p in self.pending_corrections(creditor, law, &customers)? {
            problems.push(format!(
                "claim {}: {} {} on {} differs from the ledger of record by {}",
                p.claim,
                p.kind,
                p.component.map(|x| x.as_str()).unwrap_or("-"),
                p.date,
                fordra_core::money::format_minor(p.amount)
            ));
        }
        let mut open: HashMap<String, i64> = HashMap::default();
        self.db.query_each(
            "SELECT claim_id, component, CAST(SUM(amount) AS BIGINT) AS total FROM ledger WHERE creditor_id = $1 AND component IS NOT NULL GROUP BY claim_id, component",
            &[c.into()],
            &mut |r| {
                let (claim, sum) = (r.text("claim_id")?, r.int("total")?);
                if sum < 0 {
                    problems.push(format!(
                        "claim {claim}: {} is negative ({})",
                        r.str("component")?,
                        fordra_core::money::format_minor(sum)
                    ));
                }
                *open.entry(claim).or_default() += sum;
                Ok(())
            },
        )?;
        self.db.query_each("SELECT id, status FROM claims WHERE creditor_id = $1", &[c.into()], &mut |r| {
            let (claim, status) = (r.text("id")?, r.text("status")?);
            let o = open.get(&claim).copied().unwrap_or(0);
            if (status == "paid") != (o <= 0) {
                problems.push(format!("claim {claim} is {status} with {} open", fordra_core::money::format_minor(o)));
            }
            Ok(())
        })?;
        self.db.query_each(
            "SELECT customer_id, CAST(SUM(amount) AS BIGINT) AS total FROM ledger WHERE creditor_id = $1 AND kind = 'customer_credit' GROUP BY customer_id",
            &[c.into()],
            &mut |r| {
                if r.int("total")? > 0 {
                    problems.push(format!("customer {}: credit is negative", r.str("customer_id")?));
                }
                Ok(())
            },
        )?;
        Ok(problems)
    }
}

/// A claim settled (or, when a payment is reversed, open again).
fn settled_event(claim: &str, customer: &str, settled: Option<NaiveDate>) -> crate::NewEvent {
    match settled {
        Some(date) => crate::NewEvent {
            claim: Some(claim.to_string()),
            kind: "invoice.settled",
            dedup: Some(format!("settled:{claim}:{date}")),
            payload: serde_json::json!({"claim": claim, "customer": customer, "settled_date": date}),
        },
        None => crate::NewEvent {
            claim: Some(claim.to_string()),
            kind: "invoice.reopened",
            dedup: None,
            payload: serde_json::json!({"claim": claim, "customer": customer}),
        },
    }
}
