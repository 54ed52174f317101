//! The daily run: state loaded for the core, its decisions written, a run reverted, and the
//! steps (actions) read back.

use crate::claims::demand_of;
use crate::{Insert, ReadRow, Result, Store, StoreError, Val};
use chrono::NaiveDate;
use fordra_core::domain::{Channel, Segment, StepKind};
use fordra_core::ledger::{EntryKind, Movement};
use fordra_core::model::FeeSpec;
use fordra_core::run::{ClaimState, Creditor, CustomerState, DoneStep, RunResult};
use rustc_hash::FxHashMap as HashMap;

fn fee_spec_name(f: FeeSpec) -> String {
    match f {
        FeeSpec::None => "none".into(),
        FeeSpec::Statutory => "statutory".into(),
        FeeSpec::Fixed(m) => fordra_core::money::format_minor(m),
    }
}

/// A step taken, as stored.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ActionRow {
    /// The claim.
    pub claim_id: String,
    /// Its customer.
    pub customer_id: String,
    /// The claim's step number (never reused, even after a revert).
    pub seq: i64,
    /// Its place in the handling model (0: a pre-due nudge).
    pub step_no: i64,
    /// The step.
    pub kind: StepKind,
    /// The customer's segment then.
    pub segment: Segment,
    /// When it was taken.
    pub date: NaiveDate,
    /// The deadline it gave.
    pub deadline: NaiveDate,
    /// How it reached the debtor.
    pub channel: Channel,
    /// The grouped letter it went in.
    pub letter: Option<String>,
    /// Fees charged.
    pub fee: i64,
    /// Late interest posted.
    pub interest: i64,
    /// Open after the step.
    pub open_after: i64,
    /// Taken as a formality without contacting the debtor.
    pub skipped: bool,
    /// Why, in words.
    pub reason: String,
    /// The experiment arm that decided the step, if any.
    pub arm: Option<String>,
    /// What the letter asked for to settle by the deadline.
    pub amount_to_pay: Option<i64>,
    /// Set when the step's run was reverted (the reason).
    pub reverted: Option<String>,
}

/// What a run wrote.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RunRecord {
    /// The run's date.
    pub date: NaiveDate,
    /// Steps written.
    pub actions: i64,
    /// Segment changes written.
    pub segment_changes: i64,
}

/// What the core needs for a run, as loaded from the store.
pub struct RunState {
    /// Every customer with their history in the segmentation window.
    pub customers: Vec<CustomerState>,
    /// Every claim open on the day (or settled after it) with its ledger, steps and pauses.
    pub claims: Vec<ClaimState>,
    /// Whether each customer has a segment reason stored (same order as `customers`).
    pub has_reason: Vec<bool>,
    /// What the run should know that is not a decision (e.g. a rule left out).
    pub notes: Vec<String>,
}

impl Store {
    /// Customers with their payment history in the segmentation window (one, or all in id order),
    /// whether each has a segment reason stored, and their index by id.
    #[allow(clippy::type_complexity)]
    pub fn load_customers(
        &mut self,
        creditor: &Creditor,
        only: Option<&str>,
        as_of: NaiveDate,
    ) -> Result<(Vec<CustomerState>, Vec<bool>, HashMap<String, usize>)> {
        let c = creditor.id.as_str();
        let window = as_of - chrono::Duration::days(creditor.policy.segmentation.lookback_days);
        let mut idx: HashMap<String, usize> = HashMap::default();
        let mut customers = Vec::new();
        let mut reasons = Vec::new();
        // One customer (`only`) or all of them; the same queries either way.
        let one = if only.is_some() { " AND id = $2" } else { "" };
        let mut params: Vec<Val> = vec![c.into()];
        params.extend(only.map(Val::from));
        self.db.query_each(
            &format!("SELECT id, kind, vip, credit_score, credit_score_date, email, email_consent, phone, sms_consent, channel, segment, CASE WHEN segment_reason IS NULL THEN 0 ELSE 1 END AS has_reason, reminder_fee_agreed, reminder_fee_agreed_on FROM customers WHERE creditor_id = $1{one} ORDER BY id"),
            &params,
            &mut |r| {
                let id = r.text("id")?;
                idx.insert(id.clone(), customers.len());
                let kind = r.get("kind")?;
                let vip = r.flag("vip")?;
                let score = r.opt_int("credit_score")?;
                let credit_score = score
                    .map(|x| i32::try_from(x).map_err(|_| r.fail("credit_score", format!("out of range: {x}"))))
                    .transpose()?;
                let credit_score_date = r.opt_date("credit_score_date")?;
                // Reachable: an address, and no refusal of the channel on record.
                let has_email = r.opt_str("email")?.is_some_and(|e| !e.is_empty()) && r.opt_flag("email_consent")? != Some(false);
                let has_phone = r.opt_str("phone")?.is_some_and(|e| !e.is_empty()) && r.opt_flag("sms_consent")? != Some(false);
                let preferred = r.opt("channel")?;
                let segment = r.opt("segment")?;
                reasons.push(r.flag("has_reason")?);
                customers.push(CustomerState {
                    id,
                    kind,
                    vip,
                    credit_score,
                    credit_score_date,
                    has_email,
                    has_phone,
                    preferred,
                    segment,
                    fee_agreed: r.opt_flag("reminder_fee_agreed")?,
                    fee_agreed_on: r.opt_date("reminder_fee_agreed_on")?,
                    paid: vec![],
                    collection_dates: vec![],
                    pauses: vec![],
                    predicted: None,
                    arms: vec![],
                });
                Ok(())
            },
        )?;
        let one = if only.is_some() { " AND customer_id = $4" } else { "" };
        let mut params: Vec<Val> = vec![c.into(), window.into(), as_of.into()];
        params.extend(only.map(Val::from));
        self.db.query_each(
            &format!("SELECT customer_id, due_date, settled_date FROM claims WHERE creditor_id = $1 AND status = 'paid' AND settled_date > $2 AND settled_date <= $3{one}"),
            &params,
            &mut |r| {
                if let Some(c) = idx.get(r.str("customer_id")?).and_then(|i| customers.get_mut(*i)) {
                    c.paid.push((r.date("due_date")?, r.date("settled_date")?));
                }
                Ok(())
            },
        )?;
        self.db.query_each(
            &format!("SELECT customer_id, date FROM actions WHERE creditor_id = $1 AND kind = 'collection' AND skipped = 0 AND reverted IS NULL AND date > $2 AND date < $3{one}"),
            &params,
            &mut |r| {
                if let Some(c) = idx.get(r.str("customer_id")?).and_then(|i| customers.get_mut(*i)) {
                    c.collection_dates.push(r.date("date")?);
                }
                Ok(())
            },
        )?;
        let one = if only.is_some() { " AND customer_id = $2" } else { "" };
        let mut params: Vec<Val> = vec![c.into()];
        params.extend(only.map(Val::from));
        for r in self.db.query(
            &format!("SELECT customer_id, experiment, arm FROM experiment_arms WHERE creditor_id = $1{one}"),
            &params,
        )? {
            if let Some(c) = idx.get(r.str("customer_id")?).and_then(|i| customers.get_mut(*i)) {
                c.arms.push(fordra_core::model::Arm {
                    experiment: r.text("experiment")?,
                    challenger: r.str("arm")? == "challenger",
                });
            }
        }
        Ok((customers, reasons, idx))
    }

    /// Loads what the core needs for a run on `as_of`: customers with history, open claims with
    /// their ledger movements, steps and pauses (the application adds the model's predictions).
    ///
    /// Only the claims the day needs are read (open ones, and those settled after `as_of` for a
    /// look back), and only the columns the core uses, through covering indexes (migration 14):
    /// no table row is visited. Their ledger entries and steps are read in one pass per table,
    /// whichever way reads less: where most of the creditor's claims are open (a young
    /// portfolio), the creditor's range of each index in key order
    /// (`SEARCH l USING COVERING INDEX ledger_claim (creditor_id=?)`), merged with the claims
    /// sorted the same way; where a long history lies behind them, a join from the day's claims
    /// (`SEARCH c USING COVERING INDEX claims_open (creditor_id=? AND status=?)`, then
    /// `SEARCH l USING COVERING INDEX ledger_claim (creditor_id=? AND claim_id=?)`), so the
    /// history is never read. PostgreSQL always gets the join and plans it itself.
    pub fn load_run_state(&mut self, creditor: &Creditor, as_of: NaiveDate) -> Result<RunState> {
        let c = creditor.id.as_str();
        self.db.refresh_stale_statistics(&["customers", "claims", "ledger", "actions", "payments"])?;
        let (mut customers, reasons, idx) = self.load_customers(creditor, None, as_of)?;
        let mut claims = RunClaims::default();
        for set in CLAIM_SETS {
            self.claim_rows(c, as_of, set, &idx, &mut claims.claims)?;
        }
        claims.sort();
        let scan = self.db.name() == "sqlite" && {
            let all = self.db.query("SELECT COUNT(*) AS n FROM claims WHERE creditor_id = $1", &[c.into()])?;
            all.first().map(|r| r.int("n")).transpose()?.unwrap_or(0) <= 2 * claims.claims.len() as i64
        };
        for (from, params) in sources(c, as_of, scan, "ledger l", "l") {
            self.ledger_rows(&from, &params, as_of, &mut claims)?;
        }
        for (from, params) in sources(c, as_of, scan, "actions a", "a") {
            self.step_rows(&from, &params, as_of, &mut claims)?;
        }
        for cl in claims.claims.iter_mut().filter(|c| c.steps.len() > 1) {
            cl.steps.sort_by_key(|s| s.seq);
        }
        for p in self.pauses(c)? {
            match &p.claim_id {
                Some(id) => {
                    if let Some(claim) = claims.find(id) {
                        claim.pauses.push(p.pause);
                    }
                }
                None => {
                    if let Some(c) = idx.get(&p.customer_id).and_then(|i| customers.get_mut(*i)) {
                        c.pauses.push(p.pause)
                    }
                }
            }
        }
        Ok(RunState { customers, claims: claims.claims, has_reason: reasons, notes: vec![] })
    }

    /// The claims of one set (see [`CLAIM_SETS`]), into `out`.
    fn claim_rows(
        &mut self,
        c: &str,
        as_of: NaiveDate,
        set: &str,
        customers: &HashMap<String, usize>,
        out: &mut Vec<ClaimState>,
    ) -> Result<()> {
        // Each SELECT lists its columns in the order the closure reads them: a column is then
        // found with one comparison (millions of cells per load).
        self.db.query_each(
            &format!("SELECT c.customer_id, c.id, c.issue_date, c.due_date_agreed, c.demand_date, c.due_date, c.principal, c.currency FROM claims c WHERE c.creditor_id = $1 AND {set} ORDER BY c.id"),
            &set_params(c, as_of, set),
            &mut |r| {
                let Some(ci) = customers.get(r.str("customer_id")?) else { return Ok(()) };
                let issue = r.date("issue_date")?;
                out.push(ClaimState {
                    id: r.text("id")?,
                    customer: *ci,
                    issue,
                    demand: demand_of(r.opt_int("due_date_agreed")?, r.opt_date("demand_date")?, issue),
                    due: r.date("due_date")?,
                    principal: r.int("principal")?,
                    currency: r.get("currency")?,
                    moves: vec![],
                    steps: vec![],
                    last_seq: 0,
                    pauses: vec![],
                    predicted: None,
                });
                Ok(())
            },
        )
    }

    /// Ledger movements up to `as_of` of the claims in `out`, from `from` (see [`sources`]).
    fn ledger_rows(&mut self, from: &str, params: &[Val], as_of: NaiveDate, out: &mut RunClaims) -> Result<()> {
        // Dates are filtered here, not in SQL, so no date index can tempt the planner into a
        // scan per claim.
        self.db.query_each(
            &format!("SELECT l.date, l.claim_id, l.kind, l.component, l.amount FROM {from}"),
            params,
            &mut |r| {
                let date = r.date("date")?;
                if date > as_of {
                    return Ok(());
                }
                let Some(claim) = out.find(r.str("claim_id")?) else { return Ok(()) };
                let kind = match r.str("kind")? {
                    "invoice" => EntryKind::Invoice,
                    _ => r.get("kind")?,
                };
                let component = r.opt("component")?;
                claim.moves.push(Movement { date, kind, component, amount: r.int("amount")? });
                Ok(())
            },
        )
    }

    /// Steps up to `as_of` (not reverted) of the claims in `out`, and each claim's highest step
    /// number, from `from` (see [`sources`]).
    fn step_rows(&mut self, from: &str, params: &[Val], as_of: NaiveDate, out: &mut RunClaims) -> Result<()> {
        self.db.query_each(
            &format!("SELECT a.date, a.claim_id, a.seq, a.reverted, a.kind, a.deadline, a.notional_fee, a.skipped FROM {from}"),
            params,
            &mut |r| {
                let date = r.date("date")?;
                let Some(claim) = out.find(r.str("claim_id")?) else { return Ok(()) };
                let seq = r.int("seq")?;
                let seq = u32::try_from(seq).map_err(|_| r.fail("seq", format!("out of range: {seq}")))?;
                // A reverted step keeps its number, so the next step gets a new one.
                claim.last_seq = claim.last_seq.max(seq);
                if date <= as_of && r.opt_str("reverted")?.is_none() {
                    claim.steps.push(DoneStep {
                        seq,
                        kind: r.get::<StepKind>("kind")?,
                        date,
                        deadline: r.date("deadline")?,
                        notional_fee: r.int("notional_fee")?,
                        skipped: r.flag("skipped")?,
                    });
                }
                Ok(())
            },
        )
    }

    /// The latest run date of a creditor.
    pub fn last_run(&mut self, creditor: &str) -> Result<Option<NaiveDate>> {
        Ok(self
            .db
            .query("SELECT MAX(date) AS last FROM runs WHERE creditor_id = $1", &[creditor.into()])?
            .first()
            .map(|r| r.opt_date("last"))
            .transpose()?
            .flatten())
    }

    /// The creditor's runs, by date.
    pub fn runs(&mut self, creditor: &str) -> Result<Vec<RunRecord>> {
        self.db
            .query(
                "SELECT date, actions, segment_changes FROM runs WHERE creditor_id = $1 ORDER BY date",
                &[creditor.into()],
            )?
            .iter()
            .map(|r| {
                Ok(RunRecord {
                    date: r.date("date")?,
                    actions: r.int("actions")?,
                    segment_changes: r.int("segment_changes")?,
                })
            })
            .collect::<Result<_>>()
    }

    /// Writes a day's decisions: segments (with the reason when they change), segment changes,
    /// steps, experiment arms, the ledger entries they post, and the run's record. A step
    /// already written (a concurrent run) is a conflict and nothing is written.
    pub fn apply_run(
        &mut self,
        creditor: &Creditor,
        law: &fordra_core::law::Jurisdiction,
        as_of: NaiveDate,
        r: &RunResult,
        has_reason: &[bool],
    ) -> Result<()> {
        let c = creditor.id.as_str();
        // The reason is stored when the segment changes: it says why the customer is where it is.
        let mut updates =
            r.segments.iter().zip(has_reason).filter(|(d, had)| d.previous != Some(d.segment) || !**had).map(
                |(d, _)| -> Vec<Val> {
                    vec![d.segment.as_str().into(), (&d.reason).into(), c.into(), (&d.customer_id).into()]
                },
            );
        self.db.exec_many(
            "UPDATE customers SET segment = $1, segment_reason = $2 WHERE creditor_id = $3 AND id = $4",
            &mut updates,
        )?;
        let changes = r.segment_changes().map(|d| -> Vec<Val> {
            vec![
                c.into(),
                (&d.customer_id).into(),
                as_of.into(),
                d.previous.map(|p| p.as_str()).into(),
                d.segment.as_str().into(),
                (&d.reason).into(),
            ]
        });
        let n_changes = self.db.insert_rows(
            &Insert {
                table: "segment_changes",
                columns: &["creditor_id", "customer_id", "date", "from_segment", "to_segment", "reason"],
                conflict: None,
            },
            changes.collect(),
        )?;
        let actions = r.actions.iter().map(|a| -> Vec<Val> {
            vec![
                c.into(),
                (&a.claim_id).into(),
                i64::from(a.seq).into(),
                (&a.customer_id).into(),
                (a.step_no as i64).into(),
                a.kind.as_str().into(),
                a.segment.as_str().into(),
                a.date.into(),
                a.deadline.into(),
                a.channel.as_str().into(),
                a.letter.clone().into(),
                a.fee_total().into(),
                a.notional_fee.into(),
                a.interest.into(),
                a.open_after.into(),
                a.skipped.into(),
                (&a.reason).into(),
                a.arm.clone().into(),
                crate::reconcile::fee_lines_json(&a.fees).into(),
                fee_spec_name(a.fee_spec).into(),
                a.min_amount.into(),
                a.amount_to_pay.into(),
            ]
        });
        let n_actions = self.db.insert_rows(
            &Insert {
                table: "actions",
                columns: &[
                    "creditor_id",
                    "claim_id",
                    "seq",
                    "customer_id",
                    "step_no",
                    "kind",
                    "segment",
                    "date",
                    "deadline",
                    "channel",
                    "letter",
                    "fee",
                    "notional_fee",
                    "interest",
                    "open_after",
                    "skipped",
                    "reason",
                    "arm",
                    "fees",
                    "fee_spec",
                    "min_amount",
                    "amount_to_pay",
                ],
                conflict: Some("(creditor_id, claim_id, seq)"),
            },
            actions.collect(),
        )?;
        let arms = r.assignments.iter().map(|(customer, a)| -> Vec<Val> {
            vec![
                c.into(),
                (&a.experiment).into(),
                customer.into(),
                (if a.challenger { "challenger" } else { "champion" }).into(),
                as_of.into(),
            ]
        });
        self.db.insert_rows(
            &Insert {
                table: "experiment_arms",
                columns: &["creditor_id", "experiment", "customer_id", "arm", "assigned_on"],
                conflict: Some("(creditor_id, experiment, customer_id)"),
            },
            arms.collect(),
        )?;
        if n_actions as usize != r.actions.len() {
            return Err(StoreError::Conflict(
                "another run wrote the same steps concurrently; nothing was written, run again".into(),
            ));
        }
        let customers: Vec<String> = r.actions.iter().map(|a| a.customer_id.clone()).collect();
        self.reconcile(creditor, law, &customers, &format!("run {as_of}"))?;
        self.db.exec(
            "INSERT INTO runs (creditor_id, date, actions, segment_changes) VALUES ($1, $2, $3, $4) ON CONFLICT (creditor_id, date) DO UPDATE SET actions = runs.actions + excluded.actions, segment_changes = runs.segment_changes + excluded.segment_changes",
            &[c.into(), as_of.into(), (n_actions as i64).into(), (n_changes as i64).into()],
        )?;
        self.emit(c, |s| {
            let mut events = run_events(r, as_of);
            events.extend(s.broken_promises(c, as_of)?);
            events.push(crate::NewEvent {
                claim: None,
                kind: "run.finished",
                dedup: None,
                payload: serde_json::json!({"date": as_of, "actions": n_actions, "segment_changes": n_changes}),
            });
            Ok(events)
        })
    }

    /// Promises whose day has passed with the claim still open: each reported once.
    fn broken_promises(&mut self, creditor: &str, as_of: NaiveDate) -> Result<Vec<crate::NewEvent>> {
        self.db
            .query(
                "SELECT p.id, p.claim_id, p.customer_id, p.until_date FROM pauses p WHERE p.creditor_id = $1 AND p.kind = 'promise' \
                 AND p.ended_date IS NULL AND p.until_date < $2 AND EXISTS (SELECT 1 FROM claims c WHERE c.creditor_id = p.creditor_id \
                 AND c.customer_id = p.customer_id AND c.status = 'open' AND (p.claim_id IS NULL OR c.id = p.claim_id))",
                &[creditor.into(), as_of.into()],
            )?
            .iter()
            .map(|r| {
                let id = r.int("id")?;
                let claim = r.opt_text("claim_id")?;
                Ok(crate::NewEvent {
                    claim: claim.clone(),
                    kind: "promise.broken",
                    dedup: Some(format!("promise:{id}")),
                    payload: serde_json::json!({
                        "pause": id, "claim": claim, "customer": r.text("customer_id")?, "promised_by": r.opt_date("until_date")?
                    }),
                })
            })
            .collect()
    }

    /// Undoes the run `record` inside the caller's transaction: its steps are marked reverted
    /// (kept, with `reason`), their fees and interest reversed by correcting entries, segments
    /// put back as they were, and the run's record removed so the date can be run again. Which
    /// run may be reverted is the application's rule (the latest).
    pub fn revert_run(
        &mut self,
        creditor: &Creditor,
        law: &fordra_core::law::Jurisdiction,
        record: &RunRecord,
        reason: &str,
    ) -> Result<()> {
        let (creditor_id, date, s) = (creditor.id.as_str(), record.date, self);
        {
            let why = format!("run {date} reverted: {reason}");
            let customers: Vec<String> =
                s.db.query(
                    "SELECT DISTINCT customer_id FROM actions WHERE creditor_id = $1 AND date = $2 AND reverted IS NULL",
                    &[creditor_id.into(), date.into()],
                )?
                .iter()
                .map(|r| r.text("customer_id"))
                .collect::<Result<_>>()?;
            s.db.exec(
                "UPDATE actions SET reverted = $1 WHERE creditor_id = $2 AND date = $3 AND reverted IS NULL",
                &[(&why).into(), creditor_id.into(), date.into()],
            )?;
            // Segments go back to what they were before the run, with the reason given then.
            let changes = s.db.query(
                "SELECT id, customer_id, from_segment FROM segment_changes WHERE creditor_id = $1 AND date = $2 AND reverted IS NULL ORDER BY id DESC",
                &[creditor_id.into(), date.into()],
            )?;
            for ch in &changes {
                let previous = s.db.query(
                    "SELECT reason FROM segment_changes WHERE creditor_id = $1 AND customer_id = $2 AND id < $3 AND reverted IS NULL ORDER BY id DESC LIMIT 1",
                    &[creditor_id.into(), ch.str("customer_id")?.into(), ch.int("id")?.into()],
                )?;
                s.db.exec(
                    "UPDATE customers SET segment = $1, segment_reason = $2 WHERE creditor_id = $3 AND id = $4",
                    &[
                        ch.opt_str("from_segment")?.into(),
                        previous.first().map(|r| r.opt_text("reason")).transpose()?.flatten().into(),
                        creditor_id.into(),
                        ch.str("customer_id")?.into(),
                    ],
                )?;
            }
            s.db.exec(
                "UPDATE segment_changes SET reverted = $1 WHERE creditor_id = $2 AND date = $3 AND reverted IS NULL",
                &[(&why).into(), creditor_id.into(), date.into()],
            )?;
            s.db.exec(
                "DELETE FROM experiment_arms WHERE creditor_id = $1 AND assigned_on = $2",
                &[creditor_id.into(), date.into()],
            )?;
            s.db.exec("DELETE FROM runs WHERE creditor_id = $1 AND date = $2", &[creditor_id.into(), date.into()])?;
            s.db.exec(
                "INSERT INTO run_reverts (creditor_id, date, actions, segment_changes, reason) VALUES ($1, $2, $3, $4, $5)",
                &[creditor_id.into(), date.into(), record.actions.into(), record.segment_changes.into(), reason.into()],
            )?;
            s.reconcile(creditor, law, &customers, &why)?;
            s.audit(creditor_id, &format!("run:{date}"), "reverted", reason)?;
            Ok(())
        }
    }

    /// Steps in the order of the day they were taken, then customer, claim and sequence —
    /// sorted here, not by `ORDER BY`, which tempted SQLite to walk the creditor's steps by date
    /// instead of looking up the few of one customer.
    fn action_rows(&mut self, sql_where: &str, params: &[Val]) -> Result<Vec<ActionRow>> {
        let mut rows = self
            .db
            .query(&format!("SELECT claim_id, customer_id, seq, step_no, kind, segment, date, deadline, channel, letter, fee, interest, open_after, skipped, reason, arm, amount_to_pay, reverted FROM actions WHERE {sql_where}"), params)?
            .iter()
            .map(|r| -> Result<ActionRow> {
                Ok(ActionRow {
                claim_id: r.text("claim_id")?,
                customer_id: r.text("customer_id")?,
                seq: r.int("seq")?,
                step_no: r.int("step_no")?,
                kind: r.get("kind")?,
                segment: r.get("segment")?,
                date: r.date("date")?,
                deadline: r.date("deadline")?,
                channel: r.get("channel")?,
                letter: r.opt_text("letter")?,
                fee: r.int("fee")?,
                interest: r.int("interest")?,
                open_after: r.int("open_after")?,
                skipped: r.flag("skipped")?,
                reason: r.text("reason")?,
                arm: r.opt_text("arm")?,
                amount_to_pay: r.opt_int("amount_to_pay")?,
                reverted: r.opt_text("reverted")?,
            })
            })
            .collect::<Result<Vec<_>>>()?;
        rows.sort_by(|a, b| {
            (a.date, &a.customer_id, &a.claim_id, a.seq).cmp(&(b.date, &b.customer_id, &b.claim_id, b.seq))
        });
        Ok(rows)
    }

    /// A claim's steps, in order.
    pub fn actions_of_claim(&mut self, creditor: &str, claim: &str) -> Result<Vec<ActionRow>> {
        self.action_rows("creditor_id = $1 AND claim_id = $2", &[creditor.into(), claim.into()])
    }
    /// One step of a claim, by its number.
    pub fn action_at(&mut self, creditor: &str, claim: &str, seq: i64) -> Result<Option<ActionRow>> {
        let rows = self.action_rows(
            "creditor_id = $1 AND claim_id = $2 AND seq = $3",
            &[creditor.into(), claim.into(), seq.into()],
        )?;
        Ok(rows.into_iter().next())
    }
    /// A customer's steps, in order.
    pub fn actions_of_customer(&mut self, creditor: &str, customer: &str) -> Result<Vec<ActionRow>> {
        self.action_rows("creditor_id = $1 AND customer_id = $2", &[creditor.into(), customer.into()])
    }
    /// The steps of one day.
    pub fn actions_on(&mut self, creditor: &str, date: NaiveDate) -> Result<Vec<ActionRow>> {
        self.action_rows("creditor_id = $1 AND date = $2", &[creditor.into(), date.into()])
    }
}
/// Channel names for letters and tasks.
pub fn channel_label(c: Channel) -> &'static str {
    match c {
        Channel::Letter => "letter (PDF)",
        Channel::Email => "e-mail",
        Channel::Sms => "SMS",
        Channel::Phone => "phone call task",
        Channel::Edi => "EDI",
    }
}

/// The events of a run's decisions: each step taken, each hand-over to collection or legal
/// action, each segment change.
fn run_events(r: &RunResult, as_of: NaiveDate) -> Vec<crate::NewEvent> {
    let money = fordra_core::money::format_minor;
    let mut out = Vec::new();
    for a in r.actions.iter().filter(|a| !a.skipped) {
        let payload = serde_json::json!({
            "claim": a.claim_id, "customer": a.customer_id, "step_no": a.step_no, "step": a.kind.as_str(),
            "channel": a.channel.as_str(), "date": a.date, "deadline": a.deadline, "fee": money(a.fee_total()),
            "amount_to_pay": money(a.amount_to_pay), "segment": a.segment.as_str(), "reason": a.reason
        });
        out.push(crate::NewEvent {
            claim: Some(a.claim_id.clone()),
            kind: "step.taken",
            dedup: Some(format!("step:{}/{}", a.claim_id, a.seq)),
            payload: payload.clone(),
        });
        if matches!(a.kind, StepKind::Collection | StepKind::Legal) {
            out.push(crate::NewEvent {
                claim: Some(a.claim_id.clone()),
                kind: "case.handed_over",
                dedup: Some(format!("handover:{}/{}", a.claim_id, a.seq)),
                payload,
            });
        }
    }
    for d in r.segment_changes() {
        out.push(crate::NewEvent {
            claim: None,
            kind: "segment.changed",
            dedup: None,
            payload: serde_json::json!({
                "customer": d.customer_id, "from": d.previous.map(|p| p.as_str()), "to": d.segment.as_str(),
                "reason": d.reason, "date": as_of
            }),
        });
    }
    out
}

/// The sets of claims a run reads, as filters on `claims c`: the open ones, then those settled
/// after the day (a dry run looking back sees them open). Each is read in id order.
const CLAIM_SETS: [&str; 2] = ["c.status = 'open'", "c.status <> 'open' AND c.settled_date > $2"];

/// A set's parameters: its filter names $2 (the day) or not; SQLite binds them by position.
fn set_params(c: &str, as_of: NaiveDate, set: &str) -> Vec<Val> {
    match set.contains("$2") {
        true => vec![c.into(), as_of.into()],
        false => vec![c.into()],
    }
}

/// Where the run's rows of `table` (with `alias`) come from, as FROM clauses with their
/// parameters: the creditor's whole range in claim order (`scan`), or a join from each set of
/// the day's claims (CROSS JOIN makes SQLite drive it from the claims; PostgreSQL plans it as
/// the inner join it is).
fn sources(c: &str, as_of: NaiveDate, scan: bool, table: &str, alias: &str) -> Vec<(String, Vec<Val>)> {
    if scan {
        return vec![(format!("{table} WHERE {alias}.creditor_id = $1 ORDER BY {alias}.claim_id"), vec![c.into()])];
    }
    CLAIM_SETS
        .iter()
        .map(|set| {
            let from = format!("claims c CROSS JOIN {table} WHERE c.creditor_id = $1 AND {set} AND {alias}.creditor_id = c.creditor_id AND {alias}.claim_id = c.id");
            (from, set_params(c, as_of, set))
        })
        .collect()
}

/// The run's claims, sorted by id as Rust compares strings (byte by byte, whatever the
/// database's collation), with a cursor: ledger and step rows mostly arrive grouped by claim
/// in that order (SQLite walks its indexes), so a row's claim is the one at the cursor or the
/// next; otherwise (a claim without rows, a claim not in the run, PostgreSQL's own join order)
/// it is found by binary search.
#[derive(Default)]
struct RunClaims {
    claims: Vec<ClaimState>,
    cursor: usize,
}

impl RunClaims {
    /// Sorts the claims by id (the sets come sorted: this merges them) and resets the cursor.
    fn sort(&mut self) {
        if !self.claims.is_sorted_by(|a, b| a.id <= b.id) {
            self.claims.sort_by(|a, b| a.id.cmp(&b.id));
        }
        self.cursor = 0;
    }

    /// The claim `id`, if it is one of the run's.
    fn find(&mut self, id: &str) -> Option<&mut ClaimState> {
        let at = |c: &[ClaimState], i: usize| c.get(i).is_some_and(|c| c.id == id);
        let i = if at(&self.claims, self.cursor) {
            self.cursor
        } else if at(&self.claims, self.cursor + 1) {
            self.cursor + 1
        } else {
            self.claims.binary_search_by(|c| c.id.as_str().cmp(id)).ok()?
        };
        self.cursor = i;
        self.claims.get_mut(i)
    }
}
