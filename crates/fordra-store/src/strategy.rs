//! The strategy lab's data: experiments (a challenger handling model against the champion) with
//! their recorded arms, the claims each arm handled, and past claims to replay in a backtest.

use crate::{bad, ReadRow, Result, Store, StoreError};
use chrono::NaiveDate;
use fordra_core::contact::{self, Sent};
use fordra_core::domain::{Channel, DebtorKind, Segment, StepKind};
use fordra_core::model::{Challenger, Step};
use fordra_core::strategy::{ArmClaim, PastClaim};
use rustc_hash::FxHashMap as HashMap;

/// An experiment as recorded (it outlives its place in the policy).
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct ExperimentRow {
    /// Its name.
    pub name: String,
    /// The segment it runs in.
    pub segment: Segment,
    /// The share of the segment's customers given the challenger.
    pub share: String,
    /// When it started.
    pub started: NaiveDate,
    /// When it ended, if it has.
    pub ended: Option<NaiveDate>,
    /// "running", "adopted" or "stopped".
    pub outcome: String,
    /// The challenger's steps.
    pub steps: Vec<Step>,
    /// Customers assigned to (champion, challenger) so far.
    pub customers: (usize, usize),
}

impl Store {
    /// Records a new experiment (the caller puts the challenger in the policy).
    pub fn start_experiment(&mut self, creditor: &str, c: &Challenger) -> Result<()> {
        let known = self.db.query(
            "SELECT outcome FROM experiments WHERE creditor_id = $1 AND name = $2",
            &[creditor.into(), c.name.as_str().into()],
        )?;
        if let Some(r) = known.first() {
            return Err(StoreError::Conflict(format!(
                "an experiment named '{}' exists already ({}): choose another name",
                c.name,
                r.str("outcome")?
            )));
        }
        let steps = serde_json::to_string(&c.steps).map_err(|e| bad(e.to_string()))?;
        self.db.exec(
            "INSERT INTO experiments (creditor_id, name, segment, share, started, ended, outcome, steps) VALUES ($1, $2, $3, $4, $5, NULL, 'running', $6)",
            &[creditor.into(), c.name.as_str().into(), c.segment.as_str().into(), c.share.to_string().into(), c.from.into(), steps.into()],
        )?;
        self.audit(
            creditor,
            &format!("experiment:{}", c.name),
            "started",
            &format!("{} segment, share {}, from {}", c.segment, c.share, c.from),
        )
    }

    /// Ends a running experiment ("adopted" or "stopped").
    pub fn end_experiment(&mut self, creditor: &str, name: &str, date: NaiveDate, outcome: &str) -> Result<()> {
        let n = self.db.exec(
            "UPDATE experiments SET ended = $1, outcome = $2 WHERE creditor_id = $3 AND name = $4 AND ended IS NULL",
            &[date.into(), outcome.into(), creditor.into(), name.into()],
        )?;
        if n == 0 {
            return Err(crate::StoreError::NotFound { entity: "running experiment", id: name.to_string() });
        }
        self.audit(creditor, &format!("experiment:{name}"), outcome, &format!("on {date}"))
    }

    /// The creditor's experiments, running and ended, in start order.
    pub fn experiments(&mut self, creditor: &str) -> Result<Vec<ExperimentRow>> {
        let mut counts: HashMap<(String, bool), usize> = HashMap::default();
        for r in self.db.query(
            "SELECT experiment, arm, COUNT(*) AS n FROM experiment_arms WHERE creditor_id = $1 GROUP BY experiment, arm",
            &[creditor.into()],
        )? {
            counts.insert((r.text("experiment")?, r.str("arm")? == "challenger"), r.int("n")? as usize);
        }
        self.db
            .query(
                "SELECT name, segment, share, started, ended, outcome, steps FROM experiments WHERE creditor_id = $1 ORDER BY started, name",
                &[creditor.into()],
            )?
            .iter()
            .map(|r| {
                let name = r.text("name")?;
                Ok(ExperimentRow {
                    customers: (counts.get(&(name.clone(), false)).copied().unwrap_or(0), counts.get(&(name.clone(), true)).copied().unwrap_or(0)),
                    name,
                    segment: r.get("segment")?,
                    share: r.text("share")?,
                    started: r.date("started")?,
                    ended: r.opt_date("ended")?,
                    outcome: r.text("outcome")?,
                    steps: r.json("steps")?,
                })
            })
            .collect()
    }

    /// The claims of each arm, as of `as_of`: claims of the customers assigned to it that fell
    /// due from their assignment (and before the experiment ended). Counted by intention to
    /// treat: a claim stays in its arm when its customer later changes segment, because leaving
    /// out claims that escalated (a collection case makes a customer Risk) would flatter the
    /// harsher arm's figures.
    pub fn experiment_claims(&mut self, creditor: &str, e: &ExperimentRow, as_of: NaiveDate) -> Result<Vec<ArmClaim>> {
        let name = e.name.as_str();
        let end = e.ended.unwrap_or(as_of).min(as_of);
        let c = creditor;
        let mut arm: HashMap<String, (bool, NaiveDate)> = HashMap::default();
        for r in self.db.query(
            "SELECT customer_id, arm, assigned_on FROM experiment_arms WHERE creditor_id = $1 AND experiment = $2",
            &[c.into(), name.into()],
        )? {
            arm.insert(r.text("customer_id")?, (r.str("arm")? == "challenger", r.date("assigned_on")?));
        }
        let mut claims: Vec<ArmClaim> = Vec::new();
        let mut at: HashMap<String, usize> = HashMap::default();
        for r in self.db.query(
            "SELECT id, customer_id, due_date, principal, settled_date FROM claims WHERE creditor_id = $1 AND due_date >= $2 AND due_date < $3 ORDER BY id",
            &[c.into(), e.started.into(), end.into()],
        )? {
            let Some((ch, assigned)) = arm.get(r.str("customer_id")?).copied() else { continue };
            let due = r.date("due_date")?;
            if due < assigned {
                continue;
            }
            at.insert(r.text("id")?, claims.len());
            claims.push(ArmClaim {
                challenger: ch,
                due,
                principal: r.int("principal")?,
                settled: r.opt_date("settled_date")?,
                collected: 0,
                reached_collection: false,
                letters: 0,
                emails: 0,
                texts: 0,
                calls: 0,
                fees: 0,
            });
        }
        for r in self
            .db
            .query("SELECT claim_id, kind, channel FROM actions WHERE creditor_id = $1 AND date <= $2 AND skipped = 0 AND reverted IS NULL", &[c.into(), as_of.into()])?
        {
            let Some(claim) = at.get(r.str("claim_id")?).and_then(|i| claims.get_mut(*i)) else { continue };
            let kind: StepKind = r.get("kind")?;
            let channel: Channel = r.get("channel")?;
            let call = kind == StepKind::PhoneCall || channel == Channel::Phone;
            claim.letters += u32::from(!call);
            claim.emails += u32::from(!call && channel == Channel::Email);
            claim.texts += u32::from(!call && channel == Channel::Sms);
            claim.calls += u32::from(call);
            claim.reached_collection |= kind == StepKind::Collection;
        }
        for r in self.db.query(
            "SELECT claim_id, kind, amount FROM ledger WHERE creditor_id = $1 AND date <= $2 AND (kind IN ('payment', 'credit_applied') OR kind LIKE 'fee%')",
            &[c.into(), as_of.into()],
        )? {
            let Some(claim) = at.get(r.str("claim_id")?).and_then(|i| claims.get_mut(*i)) else { continue };
            let amount = r.int("amount")?;
            if matches!(r.str("kind")?, "payment" | "credit_applied") {
                claim.collected -= amount;
            } else {
                claim.fees += amount;
            }
        }
        Ok(claims)
    }

    /// Reminders the contact policy decided (its choices and the champion share's) from `from`
    /// through `sent_through`, each with whether it was paid in full within `window` days, as
    /// known on `as_of` (what the runs learn from; [`Store::follow_contact_sends`] adds the rest).
    pub fn contact_sends(
        &mut self,
        creditor: &str,
        from: NaiveDate,
        sent_through: NaiveDate,
        as_of: NaiveDate,
        window: i64,
    ) -> Result<Vec<Sent>> {
        let c = creditor;
        let mut out: Vec<Sent> = Vec::new();
        let mut of_claim: HashMap<String, Vec<usize>> = HashMap::default();
        let mut of_step: HashMap<(String, i64), usize> = HashMap::default();
        let mut customers: HashMap<String, (DebtorKind, contact::ScoreBand)> = HashMap::default();
        for r in self.db.query(
            "SELECT claim_id, seq, customer_id, segment, date, arm, open_after FROM actions WHERE creditor_id = $1 AND date >= $2 AND date <= $3 AND skipped = 0 AND reverted IS NULL AND arm LIKE '%contact:%' ORDER BY date, claim_id, seq",
            &[c.into(), from.into(), sent_through.min(as_of).into()],
        )? {
            let arm = r.str("arm")?;
            let Some((champion, option)) = contact::parse_label(arm) else { continue };
            let wording = contact::parse_wording(arm).map(str::to_string);
            let (day, held) = contact::parse_day(arm).map_or((None, 0), |(d, h)| (Some(d.to_string()), h));
            let (customer, claim) = (r.text("customer_id")?, r.text("claim_id")?);
            customers.insert(customer.clone(), (DebtorKind::Consumer, contact::ScoreBand::Unknown));
            of_claim.entry(claim.clone()).or_default().push(out.len());
            of_step.insert((claim.clone(), r.int("seq")?), out.len());
            out.push(Sent {
                claim,
                customer,
                segment: r.get("segment")?,
                kind: DebtorKind::Consumer,
                band: contact::ScoreBand::Unknown,
                champion,
                option,
                date: r.date("date")?,
                open: r.int("open_after")?,
                paid_in_window: false,
                wording,
                day,
                held,
                unreached: false,
                collected: 0,
                letters: 0,
                emails: 0,
                texts: 0,
                calls: 0,
            });
        }
        if out.is_empty() {
            return Ok(out);
        }
        // Only the debtors reminded in the period, not the creditor's whole register.
        for r in self.db.query(
            "SELECT DISTINCT c.id, c.kind, c.credit_score FROM customers c JOIN actions a ON a.creditor_id = c.creditor_id AND a.customer_id = c.id \
             WHERE c.creditor_id = $1 AND a.date >= $2 AND a.date <= $3 AND a.skipped = 0 AND a.reverted IS NULL AND a.arm LIKE '%contact:%'",
            &[c.into(), from.into(), sent_through.min(as_of).into()],
        )? {
            if let Some(k) = customers.get_mut(r.str("id")?) {
                let score = r.opt_int("credit_score")?.and_then(|s| i32::try_from(s).ok());
                *k = (r.get("kind")?, contact::ScoreBand::of(score));
            }
        }
        for s in &mut out {
            (s.kind, s.band) =
                customers.get(&s.customer).copied().unwrap_or((DebtorKind::Consumer, contact::ScoreBand::Unknown));
        }
        // The reminders whose own message did not reach the debtor: it bounced or failed for good,
        // or something went in its place (a fallback carries the same claims and steps: after a
        // bounce, a failure, or an e-mail left unopened where the creditor sends those again).
        for r in self.db.query(
            "SELECT i.claim_id, i.seq FROM deliveries d JOIN delivery_items i ON i.creditor_id = d.creditor_id AND i.delivery_id = d.id \
             WHERE d.creditor_id = $1 AND d.created >= $2 AND (d.status IN ('bounced', 'failed') OR d.fallback_of IS NOT NULL)",
            &[c.into(), from.into()],
        )? {
            let Some(seq) = r.opt_int("seq")? else { continue };
            if let Some(s) = of_step.get(&(r.text("claim_id")?, seq)).and_then(|i| out.get_mut(*i)) {
                s.unreached = true;
            }
        }
        for r in self.db.query(
            "SELECT id, settled_date FROM claims WHERE creditor_id = $1 AND settled_date >= $2",
            &[c.into(), from.into()],
        )? {
            let (Some(at), Some(settled)) = (of_claim.get(r.str("id")?), r.opt_date("settled_date")?) else { continue };
            for i in at {
                if let Some(s) = out.get_mut(*i) {
                    s.paid_in_window = settled <= as_of && s.within(settled, window);
                }
            }
        }
        Ok(out)
    }

    /// What was collected on each reminder's claim and which contacts followed it within
    /// `horizon` days of it, up to `as_of`.
    pub fn follow_contact_sends(
        &mut self,
        creditor: &str,
        sends: &mut [Sent],
        as_of: NaiveDate,
        horizon: i64,
    ) -> Result<()> {
        let c = creditor;
        let Some(from) = sends.iter().map(Sent::start).min() else { return Ok(()) };
        let mut of_claim: HashMap<String, Vec<usize>> = HashMap::default();
        for (i, s) in sends.iter().enumerate() {
            of_claim.entry(s.claim.clone()).or_default().push(i);
        }
        let out = sends;
        for r in self.db.query(
            "SELECT claim_id, date, amount FROM ledger WHERE creditor_id = $1 AND date >= $2 AND date <= $3 AND kind IN ('payment', 'credit_applied')",
            &[c.into(), from.into(), as_of.into()],
        )? {
            let Some(at) = of_claim.get(r.str("claim_id")?) else { continue };
            let (date, amount) = (r.date("date")?, r.int("amount")?);
            for i in at {
                match out.get_mut(*i) {
                    Some(s) if s.within(date, horizon) => s.collected -= amount,
                    _ => {}
                }
            }
        }
        for r in self.db.query(
            "SELECT claim_id, date, kind, channel FROM actions WHERE creditor_id = $1 AND date >= $2 AND date <= $3 AND skipped = 0 AND reverted IS NULL",
            &[c.into(), from.into(), as_of.into()],
        )? {
            let Some(at) = of_claim.get(r.str("claim_id")?) else { continue };
            let (date, kind, channel): (NaiveDate, StepKind, Channel) = (r.date("date")?, r.get("kind")?, r.get("channel")?);
            let call = kind == StepKind::PhoneCall || channel == Channel::Phone;
            for i in at {
                let Some(s) = out.get_mut(*i).filter(|s| s.within(date, horizon)) else { continue };
                s.letters += 1;
                s.emails += u32::from(!call && channel == Channel::Email);
                s.texts += u32::from(!call && channel == Channel::Sms);
                s.calls += u32::from(call);
            }
        }
        Ok(())
    }

    /// Claims issued from `from` through `to` with the steps they took and the fees charged,
    /// for a backtest. A claim's segment is the one its first step was taken in (else its
    /// customer's today).
    pub fn past_claims(&mut self, creditor: &str, from: NaiveDate, to: NaiveDate) -> Result<Vec<(PastClaim, i64)>> {
        let c = creditor;
        let mut customers: HashMap<String, (DebtorKind, Option<Segment>)> = HashMap::default();
        for r in self.db.query("SELECT id, kind, segment FROM customers WHERE creditor_id = $1", &[c.into()])? {
            customers.insert(r.text("id")?, (r.get("kind")?, r.opt("segment")?));
        }
        let mut out: Vec<(PastClaim, i64)> = Vec::new();
        let mut at: HashMap<String, usize> = HashMap::default();
        let mut first_segment: Vec<Option<Segment>> = Vec::new();
        for r in self.db.query(
            "SELECT id, customer_id, issue_date, due_date, principal, currency, settled_date FROM claims WHERE creditor_id = $1 AND issue_date >= $2 AND issue_date <= $3 ORDER BY id",
            &[c.into(), from.into(), to.into()],
        )? {
            let (debtor, segment) =
                customers.get(r.str("customer_id")?).copied().unwrap_or((DebtorKind::Consumer, None));
            at.insert(r.text("id")?, out.len());
            first_segment.push(None);
            out.push((
                PastClaim {
                    segment: segment.unwrap_or(Segment::Normal),
                    debtor,
                    issue: r.date("issue_date")?,
                    due: r.date("due_date")?,
                    principal: r.int("principal")?,
                    currency: r.get("currency")?,
                    paid: r.opt_date("settled_date")?,
                    steps: vec![],
                },
                0,
            ));
        }
        for r in self.db.query(
            "SELECT claim_id, kind, date, segment, skipped FROM actions WHERE creditor_id = $1 AND reverted IS NULL ORDER BY claim_id, seq",
            &[c.into()],
        )? {
            let Some(i) = at.get(r.str("claim_id")?).copied() else { continue };
            if let Some(first @ None) = first_segment.get_mut(i) {
                *first = Some(r.get("segment")?);
            }
            if !r.flag("skipped")? {
                if let Some((claim, _)) = out.get_mut(i) {
                    claim.steps.push((r.get("kind")?, r.date("date")?));
                }
            }
        }
        for r in self
            .db
            .query("SELECT claim_id, amount FROM ledger WHERE creditor_id = $1 AND kind LIKE 'fee%'", &[c.into()])?
        {
            if let Some((_, fees)) = at.get(r.str("claim_id")?).and_then(|i| out.get_mut(*i)) {
                *fees += r.int("amount")?;
            }
        }
        for (o, s) in out.iter_mut().zip(first_segment) {
            if let Some(s) = s {
                o.0.segment = s;
            }
        }
        Ok(out)
    }
}
