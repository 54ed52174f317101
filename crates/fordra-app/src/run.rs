//! The daily run (and its dry run), and reverting the latest run.

use crate::{predict, App, AppError, ClaimId, CreditorId, CustomerId, Minor, Result};
use chrono::NaiveDate;
use fordra_core::domain::{Channel, FeeKind, Segment, StepKind};
use fordra_core::limits;
use fordra_core::run::{daily_run_learning, RunResult};
use serde::Serialize;

/// What to run.
#[derive(Clone, Copy, Debug)]
pub struct RunInput {
    /// The day (the adapter's default: today).
    pub date: NaiveDate,
    /// Decide and show, write nothing.
    pub dry_run: bool,
    /// Allow a date more than a week after today.
    pub allow_future: bool,
}

/// A day's run.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RunReport {
    /// The day.
    pub date: NaiveDate,
    /// The creditor.
    #[schema(value_type = String)]
    pub creditor: CreditorId,
    /// Nothing was written.
    pub dry_run: bool,
    /// Open claims considered.
    pub open_claims: usize,
    /// Steps written (0 in a dry run).
    pub actions_created: usize,
    /// Every step taken (or, in a dry run, that would be).
    pub actions: Vec<RunAction>,
    /// Customers whose segment changed, with the reason.
    pub segment_changes: Vec<SegmentChange>,
    /// Claims paused, with the reason.
    pub held: Vec<HeldClaim>,
    /// What the run should say that is not a decision.
    pub notes: Vec<String>,
}

/// One step of a run.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RunAction {
    /// The claim.
    #[schema(value_type = String)]
    pub claim: ClaimId,
    /// Its customer.
    #[schema(value_type = String)]
    pub customer: CustomerId,
    /// The customer's segment.
    #[schema(value_type = String)]
    pub segment: Segment,
    /// The step.
    #[schema(value_type = String)]
    pub step: StepKind,
    /// Its place in the handling model (0: a pre-due nudge).
    pub step_no: usize,
    /// How it reaches the debtor.
    #[schema(value_type = String)]
    pub channel: Channel,
    /// Fees charged in total.
    #[schema(value_type = String)]
    pub fee: Minor,
    /// Each fee with its legal basis.
    pub fees: Vec<FeeOut>,
    /// Late interest posted.
    #[schema(value_type = String)]
    pub interest: Minor,
    /// What the debtor pays to settle by the deadline.
    #[schema(value_type = String)]
    pub amount_to_pay: Minor,
    /// The deadline.
    pub deadline: NaiveDate,
    /// The grouped letter it goes in.
    pub letter: Option<String>,
    /// Taken as a formality without contacting the debtor.
    pub skipped: bool,
    /// Why, in words.
    pub reason: String,
    /// The experiment arm that decided it.
    pub arm: Option<String>,
}

/// A fee with its legal basis.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct FeeOut {
    /// Which fee.
    #[schema(value_type = String)]
    pub kind: FeeKind,
    /// Amount.
    #[schema(value_type = String)]
    pub amount: Minor,
    /// Legal basis in words with the source.
    pub basis: String,
}

impl From<&fordra_core::fees::FeeLine> for FeeOut {
    fn from(f: &fordra_core::fees::FeeLine) -> Self {
        FeeOut { kind: f.kind, amount: Minor(f.amount), basis: f.basis.clone() }
    }
}

/// A customer's segment change.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SegmentChange {
    /// The customer.
    #[schema(value_type = String)]
    pub customer: CustomerId,
    /// Before (none at the first run).
    #[schema(value_type = Option<String>)]
    pub from: Option<Segment>,
    /// After.
    #[schema(value_type = String)]
    pub to: Segment,
    /// Why.
    pub reason: String,
}

/// A claim not handled because it is paused.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct HeldClaim {
    /// The claim.
    #[schema(value_type = String)]
    pub claim: ClaimId,
    /// The pause.
    pub reason: String,
}

/// A run undone.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct RunReverted {
    /// The run's date.
    pub reverted: NaiveDate,
    /// Steps undone.
    pub actions: i64,
    /// Segment changes put back.
    pub segment_changes: i64,
    /// Why.
    pub reason: String,
}

impl App<'_> {
    /// Decides the day for every open claim and, unless a dry run, writes it in one
    /// transaction: steps, fees, interest, segment changes.
    pub fn run_day(&mut self, creditor: &CreditorId, input: RunInput) -> Result<RunReport> {
        let r = self.decide_day(creditor, input)?;
        let actions: Vec<RunAction> = r
            .actions
            .iter()
            .map(|a| RunAction {
                claim: ClaimId(a.claim_id.clone()),
                customer: CustomerId(a.customer_id.clone()),
                segment: a.segment,
                step: a.kind,
                step_no: a.step_no,
                channel: a.channel,
                fee: Minor(a.fee_total()),
                fees: a.fees.iter().map(FeeOut::from).collect(),
                interest: Minor(a.interest),
                amount_to_pay: Minor(a.amount_to_pay),
                deadline: a.deadline,
                letter: a.letter.clone(),
                skipped: a.skipped,
                reason: a.reason.clone(),
                arm: a.arm.clone(),
            })
            .collect();
        Ok(RunReport {
            date: input.date,
            creditor: creditor.clone(),
            dry_run: input.dry_run,
            open_claims: r.open_claims,
            actions_created: if input.dry_run { 0 } else { actions.len() },
            actions,
            segment_changes: r
                .segment_changes()
                .map(|s| SegmentChange {
                    customer: CustomerId(s.customer_id.clone()),
                    from: s.previous,
                    to: s.segment,
                    reason: s.reason.clone(),
                })
                .collect(),
            held: r
                .held
                .iter()
                .map(|h| HeldClaim { claim: ClaimId(h.claim_id.clone()), reason: h.reason.clone() })
                .collect(),
            notes: r.notes,
        })
    }

    /// The core's decisions for a day, as it returns them, written unless a dry run: in one
    /// transaction holding the creditor's lock from the first read to the last write, so a
    /// payment imported at the same time waits and the run never acts on a claim paid
    /// meanwhile. Runs move forward: a date before the latest recorded run is refused (except
    /// dry runs), as is a date more than a week after today unless `allow_future`.
    pub fn decide_day(&mut self, creditor: &CreditorId, input: RunInput) -> Result<RunResult> {
        self.decide_day_timed(creditor, input).map(|(r, _)| r)
    }

    /// [`App::decide_day`] with the time each phase took (for `fordra bench` and the logs).
    pub fn decide_day_timed(&mut self, creditor: &CreditorId, input: RunInput) -> Result<(RunResult, RunPhases)> {
        let RunInput { date, dry_run, allow_future } = input;
        limits::date("run date", date)?;
        if !allow_future && !dry_run {
            limits::past_date("run date", date, self.today).map_err(|e| {
                AppError::invalid("", format!("{e}: a run dated in the future posts interest and fees for days that have not come (allow it explicitly if meant)"))
            })?;
        }
        let law = self.law;
        let mut phases = RunPhases::default();
        let started = std::time::Instant::now();
        let result = self.store.tx_or_rollback(creditor, dry_run, |s| {
            let creditor = s.creditor(creditor)?;
            let j = law.jurisdiction(creditor.jurisdiction).map_err(|e| AppError::invalid("", e.to_string()))?;
            if let Some(last) = s.last_run(&creditor.id)?.filter(|last| !dry_run && *last > date) {
                return Err(AppError::Conflict(format!(
                    "a run for {last} is already recorded; runs move forward (a dry run may look at an earlier date)"
                )));
            }
            let t = std::time::Instant::now();
            let mut state = s.load_run_state(&creditor, date)?;
            phases.load = t.elapsed();
            let t = std::time::Instant::now();
            predict::attach(s, &creditor, &mut state, date, false)?;
            phases.predict = t.elapsed();
            let t = std::time::Instant::now();
            let learned = crate::contact::learned(s, &creditor, date)?;
            let mut result = daily_run_learning(&creditor, j, &state.customers, &state.claims, date, &learned);
            result.notes = state.notes;
            phases.decide = t.elapsed();
            if !dry_run {
                s.apply_run(&creditor, j, date, &result, &state.has_reason)?;
                // Every message the day decided, in the same transaction as its step; one the
                // contact policy gave a send hour waits for it.
                let from = date.and_time(chrono::NaiveTime::MIN).and_utc().timestamp();
                let mut by_time: std::collections::BTreeMap<i64, Vec<_>> = Default::default();
                for d in fordra_core::outbox::plan(&result.actions) {
                    by_time.entry(d.not_before(j.country, from)).or_default().push(d);
                }
                for (at, planned) in by_time {
                    s.queue_deliveries(&creditor.id, &planned, at, None)?;
                }
            }
            Ok(result)
        })?;
        phases.total = started.elapsed();
        // The rest: the writes, the commit and the few small reads around them.
        phases.write = phases.total.saturating_sub(phases.load + phases.predict + phases.decide);
        Ok((result, phases))
    }

    /// The creditor's runs, oldest first.
    pub fn list_runs(&mut self, creditor: &CreditorId) -> Result<Vec<fordra_store::RunRecord>> {
        self.store.creditor(creditor)?;
        Ok(self.store.runs(creditor)?)
    }

    /// Undoes the latest run (only the latest): its steps stay recorded as reverted, their fees
    /// and interest are reversed by correcting entries, its segment changes are put back.
    pub fn revert_run(&mut self, creditor: &CreditorId, date: NaiveDate, reason: &str) -> Result<RunReverted> {
        limits::text("reason", reason, limits::MAX_TEXT)?;
        if reason.trim().is_empty() {
            return Err(AppError::invalid("", "a reverted run needs a reason"));
        }
        let law = self.law;
        let record = self.store.write_tx(creditor, |s| {
            let creditor = s.creditor(creditor)?;
            let j = law.jurisdiction(creditor.jurisdiction).map_err(|e| AppError::invalid("", e.to_string()))?;
            let Some(last) = s.last_run(&creditor.id)? else {
                return Err(AppError::NotFound { entity: "run to revert of creditor", id: creditor.id.clone() });
            };
            if last != date {
                return Err(AppError::Conflict(format!(
                    "the latest run is {last}: only the latest run can be reverted"
                )));
            }
            let record = s
                .runs(&creditor.id)?
                .into_iter()
                .find(|r| r.date == date)
                .ok_or_else(|| AppError::NotFound { entity: "run on", id: date.to_string() })?;
            s.revert_run(&creditor, j, &record, reason)?;
            s.cancel_run_deliveries(&creditor.id, date, &format!("run {date} reverted: {reason}"))?;
            Ok(record)
        })?;
        Ok(RunReverted {
            reverted: date,
            actions: record.actions,
            segment_changes: record.segment_changes,
            reason: reason.to_string(),
        })
    }
}

/// Where a run's time went.
#[derive(Clone, Copy, Debug, Default)]
pub struct RunPhases {
    /// Reading the day's customers and claims.
    pub load: std::time::Duration,
    /// The payment-behaviour model's predictions (where a model is in use).
    pub predict: std::time::Duration,
    /// The decisions (the pure core).
    pub decide: std::time::Duration,
    /// Writing the steps, the ledger, the deliveries and the events, and committing.
    pub write: std::time::Duration,
    /// All of it, the transaction included.
    pub total: std::time::Duration,
}

/// A day the scheduler ran (or could not run) for a creditor.
#[derive(Clone, Debug, Serialize)]
pub struct ScheduledRun {
    /// The creditor.
    pub creditor: CreditorId,
    /// The day.
    pub date: NaiveDate,
    /// Steps taken.
    pub actions_created: usize,
    /// Why the day could not run (the creditor's later days wait for it).
    pub error: Option<String>,
}

/// How long the scheduler holds a creditor's lock: longer than the largest day's run.
pub const SCHEDULE_LEASE_SECONDS: i64 = 15 * 60;

impl App<'_> {
    /// The scheduler's pass at `now`: for each creditor whose day is due by its schedule (the
    /// local run time in its country; missed days caught up in order), takes the creditor's lock
    /// in the database as `holder`, reads the last run again under it, and runs each due day.
    /// Another process holding the lock is left to do it.
    pub fn scheduled_runs(&mut self, holder: &str, now: chrono::DateTime<chrono::Utc>) -> Result<Vec<ScheduledRun>> {
        let mut out = Vec::new();
        for id in self.store.creditor_ids()? {
            out.extend(self.scheduled_creditor(holder, &CreditorId(id), now)?);
        }
        Ok(out)
    }

    /// One creditor's part of the scheduler's pass (see [`App::scheduled_runs`]).
    pub fn scheduled_creditor(
        &mut self,
        holder: &str,
        creditor: &CreditorId,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<ScheduledRun>> {
        let c = self.store.creditor(creditor)?;
        let country = self.law.jurisdiction(c.jurisdiction)?.country;
        let schedule = c.policy.schedule;
        if fordra_core::schedule::due_days(&schedule, country, now, self.store.last_run(creditor)?).is_empty() {
            return Ok(vec![]);
        }
        let t = now.timestamp();
        if !self.store.try_schedule_lock(creditor, holder, t, t + SCHEDULE_LEASE_SECONDS)? {
            return Ok(vec![]);
        }
        let mut out = Vec::new();
        let days = fordra_core::schedule::due_days(&schedule, country, now, self.store.last_run(creditor)?);
        for date in days {
            let input = RunInput { date, dry_run: false, allow_future: false };
            let ran = self.run_day(creditor, input);
            let failed = ran.is_err();
            out.push(ScheduledRun::of(creditor, date, ran));
            if failed {
                break;
            }
        }
        self.store.release_schedule_lock(creditor, holder)?;
        Ok(out)
    }

    /// Runs `input` for one creditor under its lock in the database (as `holder`), as
    /// `fordra run --all-creditors` does: a creditor whose lock another process holds is left to
    /// it and reported so.
    pub fn run_creditor_locked(
        &mut self,
        holder: &str,
        creditor: &CreditorId,
        input: RunInput,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<ScheduledRun> {
        let t = now.timestamp();
        if !input.dry_run && !self.store.try_schedule_lock(creditor, holder, t, t + SCHEDULE_LEASE_SECONDS)? {
            return Ok(ScheduledRun {
                creditor: creditor.clone(),
                date: input.date,
                actions_created: 0,
                error: Some("another process is running this creditor (its lock is held); left to it".into()),
            });
        }
        let ran = ScheduledRun::of(creditor, input.date, self.run_day(creditor, input));
        if !input.dry_run {
            self.store.release_schedule_lock(creditor, holder)?;
        }
        Ok(ran)
    }
}

impl ScheduledRun {
    fn of(creditor: &CreditorId, date: NaiveDate, ran: Result<RunReport>) -> ScheduledRun {
        let (actions_created, error) = match ran {
            Ok(r) => (r.actions_created, None),
            Err(e) => (0, Some(e.to_string())),
        };
        ScheduledRun { creditor: creditor.clone(), date, actions_created, error }
    }
}

/// What a worker does with one creditor: (the app on its connection, the lock holder, the
/// creditor) to results.
pub type CreditorWork<'w, T> = dyn Fn(&mut App<'_>, &str, &CreditorId) -> Result<Vec<T>> + Sync + 'w;

/// What runs many creditors at once: a connection per worker, the law, today.
pub struct Workers<'a> {
    /// Opens a connection to the database (one per worker).
    pub connect: &'a (dyn Fn() -> Result<fordra_store::Store> + Sync),
    /// The law.
    pub law: &'a fordra_core::law::LawBook,
    /// Today.
    pub today: NaiveDate,
    /// How many creditors run at once (each on its own connection and thread).
    pub workers: usize,
    /// Who takes the creditors' locks (this process); each worker adds its number.
    pub holder: &'a str,
}

impl Workers<'_> {
    /// Calls `each` for every creditor, `workers` at a time, each worker on its own
    /// connection; the results in creditor order. The run within one creditor uses every core
    /// as well (the decisions are parallel), so a few workers are enough to keep the database
    /// busy. A worker that cannot connect stops the whole with its error.
    pub fn each_creditor<T: Send>(&self, each: &CreditorWork<'_, T>) -> Result<Vec<T>> {
        let ids = (self.connect)()?.creditor_ids()?;
        let next = std::sync::atomic::AtomicUsize::new(0);
        let results = std::sync::Mutex::new(Vec::new());
        let workers = self.workers.clamp(1, 64).min(ids.len().max(1));
        std::thread::scope(|scope| -> Result<()> {
            let handles: Vec<_> = (0..workers)
                .map(|w| {
                    let (ids, next, results) = (&ids, &next, &results);
                    scope.spawn(move || -> Result<()> {
                        let mut store = (self.connect)()?;
                        let mut app = App::new(&mut store, self.law, self.today);
                        let holder = format!("{}/{w}", self.holder);
                        loop {
                            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                            let Some(id) = ids.get(i) else { return Ok(()) };
                            let out = each(&mut app, &holder, &CreditorId(id.clone()))?;
                            results
                                .lock()
                                .map_err(|_| AppError::Storage("a run worker stopped unexpectedly".into()))?
                                .push((i, out));
                        }
                    })
                })
                .collect();
            for h in handles {
                h.join().map_err(|_| AppError::Storage("a run worker stopped unexpectedly".into()))??;
            }
            Ok(())
        })?;
        let mut results =
            results.into_inner().map_err(|_| AppError::Storage("a run worker stopped unexpectedly".into()))?;
        results.sort_by_key(|(i, _)| *i);
        Ok(results.into_iter().flat_map(|(_, r)| r).collect())
    }

    /// The scheduler's pass at `now` over every creditor, `workers` at a time.
    pub fn scheduled_runs(&self, now: chrono::DateTime<chrono::Utc>) -> Result<Vec<ScheduledRun>> {
        self.each_creditor(&|app, holder, id| app.scheduled_creditor(holder, id, now))
    }

    /// `input` for every creditor, `workers` at a time, each under its lock.
    pub fn run_all(&self, input: RunInput, now: chrono::DateTime<chrono::Utc>) -> Result<Vec<ScheduledRun>> {
        self.each_creditor(&|app, holder, id| Ok(vec![app.run_creditor_locked(holder, id, input, now)?]))
    }
}
