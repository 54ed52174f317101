//! The payment-behaviour model: train and store versions, list and choose them, an honest
//! out-of-time evaluation against baselines, explanations, scores, and the cash-flow forecast.

use crate::{App, AppError, CreditorId, Minor, Result};
use chrono::{Duration, NaiveDate};
use fordra_core::domain::StepKind;
use fordra_core::history::HistInvoice;
use fordra_ml::choose::Validated;
use fordra_ml::evaluate::{evaluate, Figures, Subset};
use fordra_ml::explain::{self, Factor};
use fordra_ml::features::{at_issue, snapshot, Rows, Snapshot};
use fordra_ml::metrics::CalibrationBin;
use fordra_ml::model::{Importance, Model};
use fordra_ml::survival::{self, Backtest, Hazards, Stage};
use serde::Serialize;
use serde_json::json;
use std::collections::HashMap;

/// Which model to use.
#[derive(Clone, Copy, Debug, Default)]
pub enum ModelChoice<'a> {
    /// The active stored version.
    #[default]
    Active,
    /// A stored version.
    Version(u32),
    /// A model file's bytes (its name for errors).
    File(&'a str, &'a [u8]),
}

/// What to train.
#[derive(Clone, Copy, Debug)]
pub struct TrainInput {
    /// Train on invoices issued before this date.
    pub until: NaiveDate,
    /// "Late" means paid more than this many days after due.
    pub late_after: i64,
    /// "Very late" means paid more than this many days after due (or not at all).
    pub very_late_after: i64,
}

/// A model trained and stored as the next version.
#[derive(Debug, Serialize)]
pub struct Trained {
    /// Its training figures (as `model list` shows them).
    pub model: serde_json::Value,
    /// The model itself (for a file).
    #[serde(skip)]
    pub trained: Model,
}

/// The model chosen for the runs.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ModelActivated {
    /// Its version.
    pub active: u32,
}

/// An out-of-time evaluation against baselines.
#[derive(Clone, Debug, Serialize)]
pub struct EvaluationReport {
    /// Trained on invoices issued before this date.
    pub trained_until: NaiveDate,
    /// Tested on invoices issued through this date.
    pub test_to: NaiveDate,
    /// Late means more than this many days.
    pub late_after_days: i64,
    /// Very late means more than this many days.
    pub very_late_after_days: i64,
    /// Training invoices.
    pub train_invoices: usize,
    /// Invoices issued before the cut-off whose outcome was not known on it (not trained on).
    pub censored_train: usize,
    /// Disputed invoices issued before the cut-off (not trained on).
    pub disputed_train: usize,
    /// Test invoices: every invoice issued in the window whose outcome is known, disputed or not.
    pub test_invoices: usize,
    /// Of them, disputed.
    pub disputed_test: usize,
    /// Invoices issued in the window whose outcome is not known yet (not tested on).
    pub unknown_test: usize,
    /// Share of the test invoices paid late.
    pub late_rate: f64,
    /// What the runs would use for P(late), chosen on the training window's most recent
    /// invoices.
    pub chosen: String,
    /// Why.
    pub why: String,
    /// Every candidate's figures on that validation window.
    pub validated: Vec<Validated>,
    /// The chosen model's ROC AUC.
    pub auc: Option<f64>,
    /// Its log loss.
    pub logloss: f64,
    /// The trees' mean absolute error in days late (the days late are always the trees').
    pub mae_days: f64,
    /// The trees' AUC for very late.
    pub auc_very_late: Option<f64>,
    /// The customer-history rule's AUC.
    pub baseline_auc: Option<f64>,
    /// Its log loss.
    pub baseline_logloss: f64,
    /// Its MAE.
    pub baseline_mae_days: f64,
    /// The chosen model, the trees and the logistic regression.
    pub models: Vec<FiguresOut>,
    /// Customer history and "always on time".
    pub baselines: Vec<FiguresOut>,
    /// Calibration of the chosen model's P(late).
    pub calibration: Vec<CalibrationBin>,
    /// The chosen model against the customer's history on named parts of the test invoices.
    pub subsets: Vec<Subset>,
    /// What makes the figures uncertain.
    pub warnings: Vec<String>,
    /// Strongest factors.
    pub importance: Vec<Importance>,
}

/// One model's or baseline's figures.
#[derive(Clone, Debug, Serialize)]
pub struct FiguresOut {
    /// Name.
    pub name: String,
    /// ROC AUC.
    pub auc: Option<f64>,
    /// Log loss.
    pub logloss: f64,
    /// MAE in days late (none when not finite).
    pub mae_days: Option<f64>,
    /// AUC for very late.
    pub auc_very_late: Option<f64>,
}

impl From<&Figures> for FiguresOut {
    fn from(f: &Figures) -> Self {
        FiguresOut {
            name: f.name.clone(),
            auc: f.auc,
            logloss: f.logloss,
            mae_days: f.mae_days.is_finite().then_some(f.mae_days),
            auc_very_late: f.auc_very_late,
        }
    }
}

/// What to explain.
#[derive(Clone, Debug, Default)]
pub struct ExplainInput<'a> {
    /// The model.
    pub model: ModelChoice<'a>,
    /// An invoice (as of `date` if open then, else as of its invoice date) ...
    pub invoice: Option<String>,
    /// ... or a customer (their latest invoice as known on `date`) ...
    pub customer: Option<String>,
    /// ... as of.
    pub date: Option<NaiveDate>,
    /// Also draw the global ranking as an SVG bar chart.
    pub chart: bool,
}

/// An explanation: the global ranking, or one subject's factors.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum Explained {
    /// What drives the credit time.
    Global {
        /// Model version.
        version: u32,
        /// Trained until.
        trained_until: NaiveDate,
        /// Factors, strongest first.
        factors: Vec<Importance>,
        /// The ranking as an SVG chart, when asked for.
        #[serde(skip)]
        chart: Option<String>,
    },
    /// Why one invoice or customer scores as it does.
    Subject {
        /// What is explained, in words.
        subject: String,
        /// As of.
        as_of: NaiveDate,
        /// Model version.
        model: u32,
        /// P(late).
        p_late: f64,
        /// P(very late).
        p_very_late: f64,
        /// Expected days late.
        expected_days_late: f64,
        /// Factors with their push.
        factors: Vec<Factor>,
        /// Late means more than this many days.
        #[serde(skip)]
        late_after_days: i64,
        /// Very late means more than this many days.
        #[serde(skip)]
        very_late_after_days: i64,
        /// The ranking as an SVG chart, when asked for.
        #[serde(skip)]
        chart: Option<String>,
    },
}

/// Scores as of a day, riskiest first.
#[derive(Clone, Debug, Serialize)]
pub struct Scores {
    /// As of.
    pub as_of: NaiveDate,
    /// Model version.
    pub model: u32,
    /// Invoices (true) or customers.
    #[serde(skip)]
    pub invoices: bool,
    /// Riskiest first.
    pub scores: Vec<ScoreRow>,
}

/// One score.
#[derive(Clone, Debug, Serialize)]
pub struct ScoreRow {
    /// The customer (of the invoice, when scoring invoices).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer: Option<String>,
    /// The invoice, when scoring invoices.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invoice: Option<String>,
    /// P(late).
    pub p_late: f64,
    /// P(very late).
    pub p_very_late: f64,
    /// Expected days late.
    pub expected_days_late: f64,
    /// The invoice's due date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub due_date: Option<NaiveDate>,
    /// The predicted pay date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pay_date: Option<NaiveDate>,
}

/// The cash-flow forecast by week.
#[derive(Clone, Debug, Serialize)]
pub struct Forecast {
    /// As of.
    pub as_of: NaiveDate,
    /// Open invoices forecast.
    pub open_invoices: usize,
    /// Their open amount.
    pub open_amount: Minor,
    /// Per week, the last one "after the horizon, or never".
    pub weeks: Vec<ForecastWeek>,
    /// Per invoice.
    pub invoices: Vec<ForecastInvoice>,
}

/// One week of the forecast.
#[derive(Clone, Debug, Serialize)]
pub struct ForecastWeek {
    /// The week's days.
    pub week: String,
    /// Invoices expected to be paid in it (the sum of their chances).
    pub invoices: f64,
    /// Amount expected (each invoice's open amount times its chance, split exactly).
    pub expected: Minor,
    /// Amount if everyone paid on the due date (overdue ones in the first week).
    pub if_paid_on_due_date: Minor,
}

/// One invoice of the forecast.
#[derive(Clone, Debug, Serialize)]
pub struct ForecastInvoice {
    /// Invoice.
    pub invoice: String,
    /// Its customer's segment ("none" for a customer known only from an export).
    pub group: String,
    /// The furthest step taken.
    pub stage: Stage,
    /// Due.
    pub due_date: NaiveDate,
    /// Open.
    pub open: Minor,
    /// Chance of being paid within the forecast's weeks.
    pub within_horizon: f64,
    /// The end of the first week by which it is more likely paid than not (none within the horizon).
    pub likely_paid_by: Option<NaiveDate>,
}

/// `amount` split by `shares` (summing to 1) into whole minor units that add up to it exactly:
/// each part rounded down, the remainder to the largest fractions.
fn split(amount: i64, shares: &[f64]) -> Vec<i64> {
    let raw: Vec<f64> = shares.iter().map(|s| amount as f64 * s.max(0.0)).collect();
    let mut parts: Vec<i64> = raw.iter().map(|r| r.floor() as i64).collect();
    let mut left = amount - parts.iter().sum::<i64>();
    let mut order: Vec<usize> = (0..raw.len()).collect();
    order.sort_by(|a, b| {
        let frac = |i: &usize| raw.get(*i).map_or(0.0, |r| r - r.floor());
        frac(b).total_cmp(&frac(a)).then(a.cmp(b))
    });
    for i in order.iter().cycle().take(order.len() * 2) {
        if left == 0 {
            break;
        }
        if let Some(p) = parts.get_mut(*i) {
            let step = left.signum();
            *p += step;
            left -= step;
        }
    }
    parts
}

/// The survival model's stage of a step kind (a notice before due is no stage).
fn stage_of(kind: StepKind) -> Option<Stage> {
    match kind {
        StepKind::PreDue => None,
        StepKind::Reminder | StepKind::CollectionNotice | StepKind::PhoneCall | StepKind::LateCompensation => {
            Some(Stage::Reminder)
        }
        StepKind::Collection => Some(Stage::Collection),
        StepKind::Legal => Some(Stage::Legal),
    }
}

fn data_end(h: &[HistInvoice]) -> Option<NaiveDate> {
    h.iter().flat_map(|x| [Some(x.invoice_date), x.paid_date]).flatten().max()
}

fn summary(model: &Model) -> serde_json::Value {
    json!({
        "version": model.version, "trained_from": model.trained_from, "trained_until": model.trained_until,
        "training_invoices": model.training_invoices, "late_after_days": model.late_after_days,
        "very_late_after_days": model.very_late_after_days, "late_rate": model.late_rate,
        "very_late_rate": model.very_late_rate, "trees": model.late.trees(), "metrics": model.metrics,
        "chosen": model.choice.candidate, "chosen_label": model.choice.candidate.label(), "why": model.choice.why,
        "validated": model.choice.validated, "censored": model.censored, "disputed_left_out": model.disputed_left_out,
    })
}

fn ml_error(e: impl std::fmt::Display) -> AppError {
    AppError::invalid("", e.to_string())
}

impl App<'_> {
    fn history_of(&mut self, creditor: &CreditorId) -> Result<Vec<HistInvoice>> {
        let h = crate::predict::history(self.store, creditor)?;
        if h.is_empty() {
            return Err(AppError::NotFound { entity: "history", id: creditor.to_string() });
        }
        Ok(h)
    }

    /// The model to use: a file, a stored version, or the active one.
    pub fn load_model(&mut self, creditor: &CreditorId, choice: ModelChoice<'_>) -> Result<Model> {
        match choice {
            ModelChoice::File(name, bytes) => {
                let text = String::from_utf8_lossy(bytes);
                Model::from_json(&text).map_err(|e| AppError::invalid(name, e.to_string()))
            }
            ModelChoice::Version(v) => self
                .store
                .model(creditor, Some(v))?
                .ok_or(AppError::NotFound { entity: "model version", id: v.to_string() }),
            ModelChoice::Active => self
                .store
                .model(creditor, None)?
                .ok_or(AppError::NotFound { entity: "model", id: creditor.to_string() }),
        }
    }

    /// Stores a model trained on `trained_on` as the creditor's next version (the one the runs
    /// use from now on).
    pub fn store_new_version(&mut self, creditor: &CreditorId, model: &mut Model, trained_on: NaiveDate) -> Result<()> {
        model.version = self.store.next_model_version(creditor)?;
        self.store.save_model(creditor, model, trained_on, &summary(model))?;
        Ok(())
    }

    /// Trains on the history before `until` and stores the next version.
    pub fn train_model(&mut self, creditor: &CreditorId, t: TrainInput) -> Result<Trained> {
        let history = self.history_of(creditor)?;
        let mut model = Model::train(&history, t.until, t.late_after, t.very_late_after).map_err(ml_error)?;
        let today = self.today;
        self.store_new_version(creditor, &mut model, today)?;
        Ok(Trained { model: summary(&model), trained: model })
    }

    /// The stored versions.
    pub fn list_models(&mut self, creditor: &CreditorId) -> Result<Vec<fordra_store::ModelRow>> {
        Ok(self.store.models(creditor)?)
    }

    /// Makes a stored version the one the runs use.
    pub fn use_model(&mut self, creditor: &CreditorId, version: u32) -> Result<ModelActivated> {
        self.store.activate_model(creditor, version)?;
        Ok(ModelActivated { active: version })
    }

    /// Trains before `from` and tests on invoices issued from `from` (through `to`).
    pub fn evaluate_model(
        &mut self,
        creditor: &CreditorId,
        from: NaiveDate,
        to: Option<NaiveDate>,
        late_after: i64,
        very_late_after: i64,
    ) -> Result<EvaluationReport> {
        let history = self.history_of(creditor)?;
        let end = data_end(&history).unwrap_or(from);
        let segments = self.store.customer_segments(creditor)?;
        let segment_of = |c: &str| segments.get(c).cloned();
        let e = evaluate(&history, from, to.unwrap_or(end), end, late_after, very_late_after, &segment_of)
            .map_err(ml_error)?;
        Ok(EvaluationReport {
            trained_until: e.trained_until,
            test_to: e.test_to,
            late_after_days: e.late_after_days,
            very_late_after_days: e.very_late_after_days,
            train_invoices: e.train_invoices,
            censored_train: e.censored_train,
            disputed_train: e.disputed_train,
            test_invoices: e.test_invoices,
            disputed_test: e.disputed_test,
            unknown_test: e.unknown_test,
            late_rate: e.late_rate,
            chosen: e.choice.candidate.label().to_string(),
            why: e.choice.why.clone(),
            validated: e.choice.validated.clone(),
            auc: e.chosen.auc,
            logloss: e.chosen.logloss,
            mae_days: e.chosen.mae_days,
            auc_very_late: e.chosen.auc_very_late,
            baseline_auc: e.customer_history.auc,
            baseline_logloss: e.customer_history.logloss,
            baseline_mae_days: e.customer_history.mae_days,
            models: vec![(&e.chosen).into(), (&e.trees).into(), (&e.logistic).into()],
            baselines: vec![(&e.customer_history).into(), (&e.always_on_time).into()],
            calibration: e.calibration,
            subsets: e.subsets,
            warnings: e.warnings,
            importance: e.importance,
        })
    }

    /// What drives the credit time, or why one invoice or customer scores as it does.
    pub fn explain_model(&mut self, creditor: &CreditorId, x: &ExplainInput<'_>) -> Result<Explained> {
        let model = self.load_model(creditor, x.model)?;
        let as_of = x.date.unwrap_or(self.today);
        let chart = x.chart.then(|| {
            let items: Vec<(String, f64)> = model.importance.iter().map(|i| (i.feature.clone(), i.days)).collect();
            explain::svg_bars(
                &format!(
                    "What drives the credit time (model v{}, trained until {})",
                    model.version, model.trained_until
                ),
                "days",
                &items,
            )
        });
        if x.invoice.is_none() && x.customer.is_none() {
            return Ok(Explained::Global {
                version: model.version,
                trained_until: model.trained_until,
                factors: model.importance.clone(),
                chart,
            });
        }
        let history = self.history_of(creditor)?;
        let (subject, row) =
            self.explain_target(creditor, &history, &model, x.invoice.as_deref(), x.customer.as_deref(), as_of)?;
        let e = explain::rows(&model, &row)
            .into_iter()
            .next()
            .ok_or_else(|| AppError::Storage("no row to explain".into()))?;
        Ok(Explained::Subject {
            subject,
            as_of,
            model: model.version,
            p_late: e.score.p_late,
            p_very_late: e.score.p_very_late,
            expected_days_late: e.score.days_late,
            factors: e.factors,
            late_after_days: model.late_after_days,
            very_late_after_days: model.very_late_after_days,
            chart,
        })
    }

    /// Scores every customer (or every open invoice) as of `as_of`, riskiest first.
    pub fn score(&mut self, creditor: &CreditorId, as_of: NaiveDate, invoices: bool) -> Result<Scores> {
        let model = self.load_model(creditor, ModelChoice::Active)?;
        let history = self.history_of(creditor)?;
        let snap = self.snapshot_on(creditor, &history, &model, as_of)?;
        let (ids, rows): (Vec<String>, &Rows) = if invoices {
            (snap.open.iter().filter_map(|t| history.get(*t)).map(|h| h.invoice.clone()).collect(), &snap.open_rows)
        } else {
            (snap.customers.clone(), &snap.customer_rows)
        };
        let scores = model.score(rows);
        // (id, score, the invoice when scoring invoices), riskiest first, ties by id. The
        // features see payments made before the day; an invoice paid on the day itself is not
        // open on it, so it is not listed.
        let mut scored: Vec<(&String, &fordra_ml::model::Score, Option<&HistInvoice>)> = ids
            .iter()
            .zip(&scores)
            .enumerate()
            .map(|(k, (id, s))| (id, s, if invoices { snap.open.get(k).and_then(|t| history.get(*t)) } else { None }))
            .filter(|(_, _, h)| h.is_none_or(|h| h.paid_date.is_none_or(|p| p > as_of)))
            .collect();
        scored.sort_by(|a, b| b.1.p_late.total_cmp(&a.1.p_late).then(a.0.cmp(b.0)));
        let out = scored
            .into_iter()
            .map(|(id, s, h)| ScoreRow {
                customer: if invoices { h.map(|h| h.customer.clone()) } else { Some(id.clone()) },
                invoice: invoices.then(|| id.clone()),
                p_late: s.p_late,
                p_very_late: s.p_very_late,
                expected_days_late: s.days_late,
                due_date: h.map(|h| h.due_date),
                pay_date: h.map(|h| model.pay_date(s, h.due_date, as_of)),
            })
            .collect();
        Ok(Scores { as_of, model: model.version, invoices, scores: out })
    }

    /// The creditor's claims and imported invoices as the survival model sees them: the
    /// customer's segment, the stages reached by `until`, paid dates.
    fn survival_book(&mut self, creditor: &CreditorId, until: NaiveDate) -> Result<Vec<(String, survival::Claim)>> {
        let history = self.history_of(creditor)?;
        let segments = self.store.customer_segments(creditor)?;
        let mut stages: HashMap<String, Vec<(NaiveDate, Stage)>> = HashMap::new();
        for (claim, date, kind) in self.store.steps_taken(creditor, until)? {
            if let Some(stage) = stage_of(kind) {
                stages.entry(claim).or_default().push((date, stage));
            }
        }
        Ok(history
            .into_iter()
            .map(|h| {
                let claim = survival::Claim {
                    group: segments.get(&h.customer).cloned().unwrap_or_else(|| "none".into()),
                    issued: h.invoice_date,
                    due: h.due_date,
                    paid: h.paid_date,
                    stages: stages.remove(&h.invoice).unwrap_or_default(),
                    amount: h.amount,
                };
                (h.invoice, claim)
            })
            .collect())
    }

    /// When the open receivables will come in, by week: for each open invoice, its chance of
    /// being paid in each coming week from the survival model of the creditor's own claims (by
    /// segment, stage reached and weeks since due), and what is left later or never.
    pub fn forecast(&mut self, creditor: &CreditorId, as_of: NaiveDate, weeks: i64) -> Result<Forecast> {
        fordra_core::limits::days("--weeks", weeks, 1, 104)?;
        let (invoices, book): (Vec<String>, Vec<survival::Claim>) =
            self.survival_book(creditor, as_of)?.into_iter().unzip();
        let (_, claims) = self.store.report_data(creditor, as_of)?;
        let open: HashMap<&str, i64> =
            claims.iter().filter(|c| c.settled_date.is_none() && c.open > 0).map(|c| (c.id.as_str(), c.open)).collect();
        // What was known at the end of the day: payments on it count.
        let next = as_of + Duration::days(1);
        let hazards = Hazards::fit(&book, next);
        let n = weeks as usize;
        let horizon = as_of + Duration::days(7 * weeks);
        // Per week (the last: later or never): expected invoices, amount, amount if paid on due.
        let mut buckets = vec![(0.0f64, 0i64, 0i64); n + 1];
        let mut lines = Vec::new();
        for (c, invoice) in book.iter().zip(&invoices).filter(|(c, _)| c.open_on(next)) {
            // Receivables in Fordra's ledger, or the export's amount for an invoice only in the history.
            let amount = open.get(invoice.as_str()).copied().unwrap_or(if c.paid.is_none() { c.amount } else { 0 });
            if amount <= 0 {
                continue;
            }
            let stage = c.stage_on(as_of);
            let (p, rest) = hazards.weekly(&c.group, stage, c.due, next, n);
            let shares: Vec<f64> = p.iter().copied().chain([rest]).collect();
            for ((b, share), part) in buckets.iter_mut().zip(&shares).zip(split(amount, &shares)) {
                b.0 += share;
                b.1 += part;
            }
            if let Some(b) = buckets.get_mut(c.due_week(next).min(n)) {
                b.2 += amount;
            }
            let mut so_far = 0.0;
            let likely_by = p.iter().position(|x| {
                so_far += x;
                so_far >= 0.5
            });
            lines.push(ForecastInvoice {
                invoice: invoice.clone(),
                group: c.group.clone(),
                stage,
                due_date: c.due,
                open: Minor(amount),
                within_horizon: 1.0 - rest,
                likely_paid_by: likely_by.map(|k| as_of + Duration::days(7 * k as i64 + 7)),
            });
        }
        let total: i64 = buckets.iter().map(|b| b.1).sum();
        let label = |i: usize| {
            if i == n {
                format!("after {horizon}, or never")
            } else {
                format!("{}..{}", as_of + Duration::days(7 * i as i64 + 1), as_of + Duration::days(7 * i as i64 + 7))
            }
        };
        Ok(Forecast {
            as_of,
            open_invoices: lines.len(),
            open_amount: Minor(total),
            weeks: buckets
                .iter()
                .enumerate()
                .map(|(i, b)| ForecastWeek {
                    week: label(i),
                    invoices: (b.0 * 10.0).round() / 10.0,
                    expected: Minor(b.1),
                    if_paid_on_due_date: Minor(b.2),
                })
                .collect(),
            invoices: lines,
        })
    }

    /// The forecast replayed for `back` past weeks (made on each of the last `back` days a week
    /// apart that have `horizon` whole weeks after them before `as_of`), each with only what was
    /// known when it was made, against the receipts that followed.
    pub fn forecast_backtest(
        &mut self,
        creditor: &CreditorId,
        as_of: NaiveDate,
        back: i64,
        horizon: i64,
    ) -> Result<Backtest> {
        fordra_core::limits::days("--back", back, 1, 104)?;
        fordra_core::limits::days("--weeks", horizon, 1, 26)?;
        let book: Vec<survival::Claim> = self.survival_book(creditor, as_of)?.into_iter().map(|(_, c)| c).collect();
        // Each forecast made at the start of a day, its weeks wholly before `as_of` + 1.
        let last = as_of + Duration::days(1) - Duration::days(7 * horizon);
        let made: Vec<NaiveDate> = (0..back).rev().map(|k| last - Duration::days(7 * k)).collect();
        Ok(survival::backtest(&book, &made, horizon as usize, as_of + Duration::days(1)))
    }

    /// What is known on `as_of` about every open invoice and customer, with the customers'
    /// current credit scores.
    fn snapshot_on(
        &mut self,
        creditor: &CreditorId,
        history: &[HistInvoice],
        model: &Model,
        as_of: NaiveDate,
    ) -> Result<Snapshot> {
        let scores = self.store.customer_scores(creditor)?;
        Ok(snapshot(history, as_of, model.late_after_days, &|c| scores.get(c).copied()))
    }

    /// The row to explain: an open invoice as of the date, any other invoice as of its invoice
    /// date, or a customer's latest invoice as known on the date.
    fn explain_target(
        &mut self,
        creditor: &CreditorId,
        history: &[HistInvoice],
        model: &Model,
        invoice: Option<&str>,
        customer: Option<&str>,
        as_of: NaiveDate,
    ) -> Result<(String, Rows)> {
        let snap = self.snapshot_on(creditor, history, model, as_of)?;
        if let Some(i) = invoice {
            let (t, h) = history
                .iter()
                .enumerate()
                .find(|(_, h)| h.invoice == i)
                .ok_or_else(|| AppError::NotFound { entity: "invoice in the history", id: i.to_string() })?;
            if let Some(k) = snap.open.iter().position(|x| *x == t) {
                return Ok((format!("Invoice {i} of {} (open on {as_of})", h.customer), snap.open_rows.select(&[k])));
            }
            let rows = at_issue(history, model.late_after_days);
            return Ok((
                format!("Invoice {i} of {} (as of its invoice date {})", h.customer, h.invoice_date),
                rows.select(&[t]),
            ));
        }
        let c = customer.unwrap_or_default();
        let k = snap
            .customers
            .iter()
            .position(|x| x == c)
            .ok_or_else(|| AppError::NotFound { entity: "customer in the history", id: c.to_string() })?;
        Ok((format!("Customer {c} (their latest invoice, as known on {as_of})"), snap.customer_rows.select(&[k])))
    }
}

#[cfg(test)]
mod tests {
    use super::split;

    #[test]
    fn a_split_adds_up_to_the_amount_exactly() {
        assert_eq!(split(100, &[0.333, 0.333, 0.334]), vec![33, 33, 34]);
        assert_eq!(split(10, &[0.25, 0.25, 0.5]), vec![3, 2, 5]);
        for amount in [1, 7, 99_999, 1_234_567] {
            let shares = [0.1, 0.2, 0.05, 0.3, 0.35];
            assert_eq!(split(amount, &shares).iter().sum::<i64>(), amount);
        }
        assert_eq!(split(5, &[0.0, 1.0]), vec![0, 5]);
    }
}
