//! The strategy lab: backtest a handling model on past claims, run a champion/challenger
//! experiment, report its outcomes per arm, adopt the winner or stop.

use crate::{App, AppError, CreditorId, Result};
use chrono::{Duration, NaiveDate};
use fordra_core::domain::Segment;
use fordra_core::model::{Challenger, Step};
use fordra_core::strategy::{
    experiment_report, observed, replay, Costs, ExperimentReport, Outcomes, ReplayContext, Response,
};
use fordra_store::ExperimentRow;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A handling model's steps on their own, as a file.
#[derive(Serialize, Deserialize)]
struct StepsFile {
    step: Vec<Step>,
}

/// Steps from TOML bytes named `source` (a steps file, as `strategy model` prints it).
pub fn parse_steps(source: &str, bytes: &[u8]) -> Result<Vec<Step>> {
    let text = crate::input::config_text(source, bytes)?;
    let f: StepsFile = toml::from_str(&text).map_err(|e| AppError::invalid(source, e.to_string()))?;
    Ok(f.step)
}

/// A backtest asked for.
#[derive(Clone, Debug)]
pub struct BacktestInput {
    /// The segment.
    pub segment: Segment,
    /// The alternative model's steps.
    pub steps: Vec<Step>,
    /// Claims due from (default: the first run) ...
    pub from: Option<NaiveDate>,
    /// ... through (default: the horizon before `date`).
    pub to: Option<NaiveDate>,
    /// Days after due each claim is followed.
    pub horizon: i64,
    /// What is known (the adapter's default: today).
    pub date: NaiveDate,
}

/// A backtest's outcome: observed, the current model replayed, the alternative replayed.
#[derive(Clone, Debug, Serialize)]
pub struct Backtest {
    /// The segment.
    pub segment: Segment,
    /// Claims due from.
    pub claims_due_from: NaiveDate,
    /// Claims due through.
    pub claims_due_to: NaiveDate,
    /// Days followed.
    pub horizon_days: i64,
    /// Claims replayed.
    pub claims: usize,
    /// Claims the responses were learned from.
    #[serde(skip)]
    pub learned_from: usize,
    /// What happened.
    pub observed: Outcomes,
    /// The current model, replayed.
    pub current: Outcomes,
    /// The alternative, replayed.
    pub alternative: Outcomes,
    /// The creditor's currency (for fees).
    #[serde(skip)]
    pub currency: &'static str,
    /// Assumptions made.
    pub notes: Vec<String>,
}

/// A challenger to start.
#[derive(Clone, Debug)]
pub struct ChallengerInput {
    /// The experiment's name.
    pub name: String,
    /// The segment.
    pub segment: Segment,
    /// Share of the segment's customers in the challenger arm.
    pub share: Decimal,
    /// The challenger's steps.
    pub steps: Vec<Step>,
    /// Start (the adapter's default: today).
    pub from: NaiveDate,
}

/// An experiment started.
#[derive(Clone, Debug, Serialize)]
pub struct ExperimentStarted {
    /// Name.
    pub experiment: String,
    /// Segment.
    pub segment: Segment,
    /// Share, as given.
    pub share: String,
    /// Start.
    pub from: NaiveDate,
}

/// An experiment's report.
#[derive(Clone, Debug, Serialize)]
pub struct ExperimentOut {
    /// The experiment.
    pub experiment: ExperimentRow,
    /// Outcomes per arm.
    pub report: ExperimentReport,
    /// The creditor's currency (for fees).
    #[serde(skip)]
    pub currency: &'static str,
}

/// The creditor's own costs for an experiment's net value, where they differ from the
/// defaults of its currency ([`Costs::default_for`]).
#[derive(Clone, Copy, Debug, Default, Deserialize)]
pub struct CostInput {
    /// A letter, in major units.
    pub letter: Option<f64>,
    /// An e-mail.
    pub email: Option<f64>,
    /// A text message.
    pub text: Option<f64>,
    /// A phone call.
    pub call: Option<f64>,
    /// Cost of capital, per cent a year.
    pub capital_rate: Option<f64>,
}

impl CostInput {
    /// The defaults of `currency` with these overrides, each within its bounds.
    pub fn costs(&self, currency: fordra_core::money::Currency) -> Result<Costs> {
        self.over(Costs::default_for(currency))
    }

    /// `d` with these overrides, each within its bounds.
    pub fn over(&self, d: Costs) -> Result<Costs> {
        let bounded = |name: &str, v: Option<f64>, default: f64, max: f64| -> Result<f64> {
            match v {
                None => Ok(default),
                Some(x) if x.is_finite() && (0.0..=max).contains(&x) => Ok(x),
                Some(x) => Err(AppError::invalid(name, format!("{x} is outside 0..={max}"))),
            }
        };
        Ok(Costs {
            letter: bounded("--letter-cost", self.letter, d.letter, 1000.0)?,
            email: bounded("--email-cost", self.email, d.email, 1000.0)?,
            text: bounded("--text-cost", self.text, d.text, 1000.0)?,
            call: bounded("--call-cost", self.call, d.call, 1000.0)?,
            capital_rate: bounded("--capital-rate", self.capital_rate.map(|p| p / 100.0), d.capital_rate, 1.0)?,
        })
    }
}

/// An experiment ended.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ExperimentEnded {
    /// Name.
    pub experiment: String,
    /// The challenger became the model on this day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub adopted: Option<NaiveDate>,
    /// Stopped on this day (the champion stays).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<NaiveDate>,
    /// The segment (when adopted).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub segment: Option<Segment>,
}

impl App<'_> {
    /// A segment's handling model's steps.
    pub fn segment_steps(&mut self, creditor: &CreditorId, segment: Segment) -> Result<String> {
        let c = self.store.creditor(creditor)?;
        toml::to_string_pretty(&StepsFile { step: c.policy.model(segment).steps.clone() })
            .map_err(|e| AppError::Storage(e.to_string()))
    }

    /// Replays past claims of a segment under another handling model.
    pub fn backtest(&mut self, creditor: &CreditorId, b: &BacktestInput) -> Result<Backtest> {
        let c = self.store.creditor(creditor)?;
        let j = self.law.jurisdiction(c.jurisdiction)?;
        let first_run = self.store.runs(creditor)?.first().map(|r| r.date);
        let from = b.from.or(first_run).ok_or_else(|| {
            AppError::invalid(
                "",
                "no run recorded yet: a backtest learns from claims Fordra has handled (give --from to use older ones)",
            )
        })?;
        let to = b.to.unwrap_or(b.date - Duration::days(b.horizon));
        if to < from {
            return Err(AppError::invalid(
                "",
                format!(
                    "no claim is due between {from} and {to} with {} days to follow it before {}: use a shorter --horizon or an earlier --from",
                    b.horizon, b.date
                ),
            ));
        }
        let rows = self.store.past_claims(creditor, from - Duration::days(120), b.date)?;
        let learn: Vec<_> = rows.iter().filter(|(c, _)| c.due >= from).map(|(c, _)| c.clone()).collect();
        let response = Response::learn(&learn, b.date, b.horizon);
        let (claims, fees): (Vec<_>, Vec<i64>) = rows
            .iter()
            .filter(|(c, _)| c.segment == b.segment && c.due >= from && c.due <= to)
            .map(|(c, f)| (c, *f))
            .unzip();
        if claims.is_empty() {
            return Err(AppError::invalid("", format!("no {} claim is due between {from} and {to}", b.segment)));
        }
        let ctx = ReplayContext {
            law: j,
            reminder_fee_agreed: c.reminder_fee_agreed,
            collector: c.policy.collector,
            horizon: b.horizon,
        };
        Ok(Backtest {
            segment: b.segment,
            claims_due_from: from,
            claims_due_to: to,
            horizon_days: b.horizon,
            claims: claims.len(),
            learned_from: learn.len(),
            observed: observed(&claims, &fees, b.date, b.horizon),
            current: replay(&response, &ctx, &claims, &c.policy.model(b.segment).steps),
            alternative: replay(&response, &ctx, &claims, &b.steps),
            currency: c.currency.code(),
            notes: response
                .borrowed
                .iter()
                .map(|(k, o)| format!("no {k} was ever taken: assumed to work like a {o}"))
                .collect(),
        })
    }

    /// Starts a champion/challenger experiment (the challenger must be lawful).
    pub fn start_challenger(
        &mut self,
        creditor: &CreditorId,
        x: &ChallengerInput,
        source: &str,
    ) -> Result<ExperimentStarted> {
        let mut c = self.store.creditor(creditor)?;
        let j = self.law.jurisdiction(c.jurisdiction)?;
        let ch = Challenger {
            name: x.name.clone(),
            segment: x.segment,
            share: x.share,
            from: x.from,
            steps: x.steps.clone(),
        };
        c.policy.challengers.push(ch.clone());
        c.policy.validate(j, c.reminder_fee_agreed, ch.from).map_err(|rules| {
            AppError::invalid(
                source,
                format!("refused, the challenger breaks these rules:\n  - {}", rules.join("\n  - ")),
            )
        })?;
        self.store.tx(|s| {
            s.start_experiment(creditor, &ch)?;
            s.save_creditor(&c)
        })?;
        Ok(ExperimentStarted {
            experiment: x.name.clone(),
            segment: x.segment,
            share: x.share.to_string(),
            from: x.from,
        })
    }

    /// Experiments, running and ended.
    pub fn list_experiments(&mut self, creditor: &CreditorId) -> Result<Vec<ExperimentRow>> {
        Ok(self.store.experiments(creditor)?)
    }

    /// Outcomes per arm with 95 % confidence intervals.
    pub fn experiment_report(
        &mut self,
        creditor: &CreditorId,
        name: &str,
        as_of: NaiveDate,
        horizon: i64,
        costs: &CostInput,
    ) -> Result<ExperimentOut> {
        let c = self.store.creditor(creditor)?;
        let costs = costs.costs(c.currency)?;
        let e = self
            .store
            .experiments(creditor)?
            .into_iter()
            .find(|e| e.name == name)
            .ok_or_else(|| AppError::NotFound { entity: "experiment", id: name.to_string() })?;
        let claims = self.store.experiment_claims(creditor, &e, as_of)?;
        let report = experiment_report(&claims, e.customers, as_of, horizon, costs);
        Ok(ExperimentOut { experiment: e, report, currency: c.currency.code() })
    }

    /// Makes the challenger the segment's handling model, ending the experiment.
    pub fn adopt_challenger(&mut self, creditor: &CreditorId, name: &str, date: NaiveDate) -> Result<ExperimentEnded> {
        let mut c = self.store.creditor(creditor)?;
        let ch = running(&c.policy.challengers, name)?;
        c.policy.challengers.retain(|x| x.name != name);
        if let Some(m) = c.policy.models.iter_mut().find(|m| m.segment == ch.segment) {
            m.steps = ch.steps.clone();
        }
        self.store.tx(|s| {
            s.end_experiment(creditor, name, date, "adopted")?;
            s.save_creditor(&c)
        })?;
        Ok(ExperimentEnded {
            experiment: name.to_string(),
            adopted: Some(date),
            stopped: None,
            segment: Some(ch.segment),
        })
    }

    /// Ends the experiment and keeps the champion.
    pub fn stop_challenger(&mut self, creditor: &CreditorId, name: &str, date: NaiveDate) -> Result<ExperimentEnded> {
        let mut c = self.store.creditor(creditor)?;
        running(&c.policy.challengers, name)?;
        c.policy.challengers.retain(|x| x.name != name);
        self.store.tx(|s| {
            s.end_experiment(creditor, name, date, "stopped")?;
            s.save_creditor(&c)
        })?;
        Ok(ExperimentEnded { experiment: name.to_string(), adopted: None, stopped: Some(date), segment: None })
    }
}

/// The running experiment `name` of the policy.
fn running(challengers: &[Challenger], name: &str) -> Result<Challenger> {
    challengers
        .iter()
        .find(|c| c.name == name)
        .cloned()
        .ok_or_else(|| AppError::NotFound { entity: "running experiment", id: name.to_string() })
}
