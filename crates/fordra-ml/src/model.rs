//! The payment-behaviour model of one creditor, trained on its own history: gradient-boosted
//! trees for P(paid late), P(paid very late) and the expected days late, a logistic regression
//! for P(paid late) to compare with, and what is needed to turn a prediction into a pay date.

use crate::choose::{choose, history_p, logit, Choice, ValidationSet};
use crate::features::{at_issue, Rows, NAMES};
use crate::linear::{sigmoid, Logistic};
use crate::metrics::{auc, logloss, mae};
use crate::trees::{Loss, Trees};
use crate::MlError;
use chrono::{Duration, NaiveDate};
use fordra_core::history::HistInvoice;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Days late beyond this count as this (an invoice unpaid that long is a collection case).
/// Days late are capped here (an invoice 180 days late is as bad as one 400 days late).
pub const CAP_DAYS: i64 = 180;
/// The model file format; files of another format are refused with a clear message.
pub const FORMAT: u32 = 2;

/// What an invoice's outcome was, as known on a date; None where not known yet.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Outcome {
    /// Paid more than the late threshold after due.
    pub late: Option<bool>,
    /// Paid more than the very-late threshold after due.
    pub very_late: Option<bool>,
    /// Days late, capped at `CAP_DAYS`.
    pub days: Option<f64>,
}

/// The outcome of `h` as known on `known_on` (payments before that day are known): paid, or
/// unpaid for long enough that the answer is already clear.
/// Disputed invoices have none: their lateness is the dispute's, not the payer's (they are not
/// trained on; [`observed`] gives what happened to them, for testing).
pub fn outcome(h: &HistInvoice, known_on: NaiveDate, late_after: i64, very_late_after: i64) -> Outcome {
    if h.disputed {
        return Outcome::default();
    }
    observed(h, known_on, late_after, very_late_after)
}

/// What happened to `h` as known on `known_on`, disputed or not: a test of the model must take
/// every invoice as it comes, since nobody knows at issue which will be disputed.
///
/// Whether an invoice was late is a label only once every invoice like it has an answer: its
/// due date plus the threshold has passed. Before that, the invoices paid early have one and
/// those that will be late do not yet, so counting the early ones would make recent invoices
/// look better than they are (censoring); they have no label until then.
pub fn observed(h: &HistInvoice, known_on: NaiveDate, late_after: i64, very_late_after: i64) -> Outcome {
    // Days overdue the day before `known_on`.
    let overdue = (known_on - h.due_date).num_days() - 1;
    match h.paid_date.filter(|p| *p < known_on) {
        Some(_) => {
            let d = h.days_late().unwrap_or(0);
            Outcome {
                late: (overdue > late_after).then_some(d > late_after),
                very_late: (overdue > very_late_after).then_some(d > very_late_after),
                days: Some(d.min(CAP_DAYS) as f64),
            }
        }
        None => Outcome {
            late: (overdue > late_after).then_some(true),
            very_late: (overdue > very_late_after).then_some(true),
            days: (overdue >= CAP_DAYS).then_some(CAP_DAYS as f64),
        },
    }
}

/// One invoice's prediction.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Score {
    /// Probability of paying late.
    pub p_late: f64,
    /// Probability of paying very late.
    pub p_very_late: f64,
    /// Expected days late.
    pub days_late: f64,
}

/// How much a factor moves the predictions on average (mean absolute Shapley value).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Importance {
    /// The feature's name.
    pub feature: String,
    /// Days of credit time.
    pub days: f64,
    /// Log-odds of paying late.
    pub late: f64,
    /// The logistic regression's standardised weight, for comparison.
    pub logistic_weight: f64,
}

/// A model's figures on its own training invoices.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainingMetrics {
    /// In-sample figures (on the training invoices themselves): a sanity check, not a promise;
    /// `fordra model evaluate` gives the honest out-of-time figures.
    pub auc_in_sample: Option<f64>,
    /// Log loss of P(late) in sample.
    pub logloss_in_sample: f64,
    /// Mean absolute error of days late in sample.
    pub mae_days_in_sample: f64,
}

/// A trained payment-behaviour model: trees for P(late), P(very late) and days late, a logistic baseline, and what it was trained on.
#[derive(Debug, Serialize, Deserialize)]
pub struct Model {
    /// The file format ([`FORMAT`]).
    pub format: u32,
    /// Assigned when stored (1, 2, …); 0 before.
    pub version: u32,
    /// The first invoice date trained on.
    pub trained_from: NaiveDate,
    /// Trained on invoices issued before this day, with outcomes as known then.
    pub trained_until: NaiveDate,
    /// "Late" means paid more than this many days after due.
    pub late_after_days: i64,
    /// "Very late" means paid more than this many days after due.
    pub very_late_after_days: i64,
    /// The features' names, in row order.
    pub features: Vec<String>,
    /// Invoices trained on.
    pub training_invoices: usize,
    /// Invoices issued before `trained_until` whose outcome was not known then (still unpaid,
    /// not yet late enough to say): not training labels.
    #[serde(default)]
    pub censored: usize,
    /// Disputed invoices issued before `trained_until`, left out of training.
    #[serde(default)]
    pub disputed_left_out: usize,
    /// Share of them paid late.
    pub late_rate: f64,
    /// Share of them paid very late.
    pub very_late_rate: f64,
    /// In-sample figures.
    pub metrics: TrainingMetrics,
    /// What drives the predictions, strongest first.
    pub importance: Vec<Importance>,
    /// Which P(late) the runs use (the trees, the customer's history or a blend), chosen and
    /// calibrated on the most recent training invoices. Files from before the choice use the
    /// trees as they are.
    #[serde(default)]
    pub choice: Choice,
    /// Trees for the log-odds of paying late (trained before the validation window when there
    /// is one).
    pub late: Trees,
    /// None when no training invoice was (or every one was) very late.
    pub very_late: Option<Trees>,
    /// Trees for the days late.
    pub days_late: Trees,
    /// The logistic regression, for comparison and explanation.
    pub logistic: Logistic,
    /// Mean further days late of invoices still unpaid d days after due (d = 0..=CAP_DAYS),
    /// for pay dates of invoices that are already later than predicted.
    pub residual_days: Vec<f64>,
}

/// Indexes of `rows` issued before `until` with a known outcome of one kind, and the targets.
#[allow(clippy::indexing_slicing, reason = "indexes are positions in `history` and `outcomes`, which are parallel")]
fn labelled(
    history: &[HistInvoice],
    until: NaiveDate,
    pick: impl Fn(&Outcome) -> Option<f64>,
    outcomes: &[Outcome],
) -> (Vec<usize>, Vec<f64>) {
    let mut v: Vec<(usize, f64)> = history
        .iter()
        .zip(outcomes)
        .enumerate()
        .filter(|(_, (h, _))| h.invoice_date < until)
        .filter_map(|(i, (_, o))| pick(o).map(|y| (i, y)))
        .collect();
    // In time order: the trees validate on the most recent part.
    v.sort_by_key(|(i, _)| (history[*i].invoice_date, *i));
    v.into_iter().unzip()
}

/// Labelled invoices below which no validation window is cut (the customer's history rule is
/// then used as it is): a fifth of fewer would not tell candidates apart.
pub const MIN_TO_VALIDATE: usize = 200;

/// The trees and the logistic regression for P(late), and the choice among them, the
/// customer's history and a blend. With enough invoices, the most recent fifth of `li` (in time
/// order, outcomes known on `until`) is the validation window from day `v`: the candidates are
/// trained on invoices issued before `v` with the outcomes known on `v`, and compared and
/// calibrated on the window.
#[allow(clippy::indexing_slicing, reason = "indexes are positions in `history`; li and ly are parallel")]
fn choose_late(
    history: &[HistInvoice],
    rows: &Rows,
    (late_after, very_late_after): (i64, i64),
    li: &[usize],
    ly: &[f64],
) -> Result<(Trees, Logistic, Choice), MlError> {
    let rate_of = |y: &[f64]| y.iter().sum::<f64>() / y.len().max(1) as f64;
    let all = |why: String| -> Result<(Trees, Logistic, Choice), MlError> {
        let lb: Vec<bool> = ly.iter().map(|y| *y > 0.5).collect();
        Ok((Trees::fit(rows, li, ly, Loss::Log)?, Logistic::fit(rows, li, &lb, 1.0), Choice::history(why, rate_of(ly))))
    };
    if li.len() < MIN_TO_VALIDATE {
        return all(format!(
            "customer's history alone: {} invoices with a known outcome are too few to validate other candidates on (at least {MIN_TO_VALIDATE})",
            li.len()
        ));
    }
    let v = history[li[li.len() * 4 / 5]].invoice_date;
    let at_v: Vec<Outcome> = history.par_iter().map(|h| outcome(h, v, late_after, very_late_after)).collect();
    let (fi, fy) = labelled(history, v, |o| o.late.map(|x| f64::from(u8::from(x))), &at_v);
    let window: Vec<(usize, bool)> =
        li.iter().zip(ly).filter(|(i, _)| history[**i].invoice_date >= v).map(|(i, y)| (*i, *y > 0.5)).collect();
    let both = |n: usize, late: usize| late >= 10 && n - late >= 10;
    let fit_late = fy.iter().filter(|y| **y > 0.5).count();
    let window_late = window.iter().filter(|(_, l)| *l).count();
    if !both(fi.len(), fit_late) || !both(window.len(), window_late) {
        return all(format!(
            "customer's history alone: too few late and on-time invoices before and after {v} to validate other candidates on"
        ));
    }
    let fb: Vec<bool> = fy.iter().map(|y| *y > 0.5).collect();
    let (trees, logistic) = (Trees::fit(rows, &fi, &fy, Loss::Log)?, Logistic::fit(rows, &fi, &fb, 1.0));
    let rate = rate_of(&fy);
    let set = ValidationSet {
        z: window
            .par_iter()
            .map(|(i, _)| {
                let r = rows.row(*i);
                [trees.raw(r), logit(logistic.predict(r)), logit(history_p(r, rate))]
            })
            .collect(),
        late: window.iter().map(|(_, l)| *l).collect(),
    };
    Ok((trees, logistic, choose(&set, rate, v)))
}

impl Model {
    /// Trains on invoices issued before `until`, with outcomes as known on `until`.
    pub fn train(
        history: &[HistInvoice],
        until: NaiveDate,
        late_after: i64,
        very_late_after: i64,
    ) -> Result<Model, MlError> {
        let rows = at_issue(history, late_after);
        Self::train_on(history, &rows, until, late_after, very_late_after)
    }

    /// As `train`, with the feature rows already computed (`at_issue` of the same history).
    #[allow(clippy::indexing_slicing, reason = "indexes are positions in `history` and `outcomes`, which are parallel")]
    pub fn train_on(
        history: &[HistInvoice],
        rows: &Rows,
        until: NaiveDate,
        late_after: i64,
        very_late_after: i64,
    ) -> Result<Model, MlError> {
        if very_late_after <= late_after {
            return Err(MlError::Data(format!(
                "very late ({very_late_after} days) must be more than late ({late_after} days)"
            )));
        }
        let outcomes: Vec<Outcome> =
            history.par_iter().map(|h| outcome(h, until, late_after, very_late_after)).collect();
        let bit = |b: Option<bool>| b.map(|x| f64::from(u8::from(x)));
        let (li, ly) = labelled(history, until, |o| bit(o.late), &outcomes);
        let positives = ly.iter().filter(|y| **y > 0.5).count();
        if li.len() < 20 || positives == 0 || positives == li.len() {
            return Err(MlError::Data(format!(
                "too little history before {until} to train: {} invoices with a known outcome, {positives} of them late (need at least 20, late and on time)",
                li.len()
            )));
        }
        let (vi, vy) = labelled(history, until, |o| bit(o.very_late), &outcomes);
        let (di, dy) = labelled(history, until, |o| o.days, &outcomes);
        let very_late_rate = vy.iter().sum::<f64>() / vy.len().max(1) as f64;
        let (late, logistic, choice) = choose_late(history, rows, (late_after, very_late_after), &li, &ly)?;
        let very_late = if very_late_rate > 0.0 && very_late_rate < 1.0 {
            Some(Trees::fit(rows, &vi, &vy, Loss::Log)?)
        } else {
            None
        };
        let days_late = Trees::fit(rows, &di, &dy, Loss::Squared)?;
        let lb: Vec<bool> = ly.iter().map(|y| *y > 0.5).collect();

        let mut residual_days = vec![0.0; CAP_DAYS as usize + 1];
        for (d, r) in residual_days.iter_mut().enumerate() {
            let later: Vec<f64> = dy.iter().filter(|x| **x > d as f64).map(|x| x - d as f64).collect();
            *r = if later.is_empty() { 1.0 } else { later.iter().sum::<f64>() / later.len() as f64 };
        }
        let mut features: Vec<String> = NAMES.iter().map(|s| s.to_string()).collect();
        features.extend((NAMES.len()..rows.cols).map(|k| format!("extra_{}", k - NAMES.len() + 1)));
        let mut model = Model {
            format: FORMAT,
            version: 0,
            trained_from: li.iter().map(|i| history[*i].invoice_date).min().unwrap_or(until),
            trained_until: until,
            late_after_days: late_after,
            very_late_after_days: very_late_after,
            features,
            training_invoices: li.len(),
            censored: history
                .iter()
                .zip(&outcomes)
                .filter(|(h, o)| h.invoice_date < until && !h.disputed && o.late.is_none())
                .count(),
            disputed_left_out: history.iter().filter(|h| h.invoice_date < until && h.disputed).count(),
            late_rate: positives as f64 / li.len() as f64,
            very_late_rate,
            metrics: TrainingMetrics { auc_in_sample: None, logloss_in_sample: 0.0, mae_days_in_sample: 0.0 },
            importance: vec![],
            choice,
            late,
            very_late,
            days_late,
            logistic,
            residual_days,
        };
        let p: Vec<f64> = li.par_iter().map(|i| model.p_late(rows.row(*i))).collect();
        let pd: Vec<f64> = di.par_iter().map(|i| model.days_late.raw(rows.row(*i))).collect();
        model.metrics = TrainingMetrics {
            auc_in_sample: auc(&p, &lb),
            logloss_in_sample: logloss(&p, &lb),
            mae_days_in_sample: mae(&pd, &dy),
        };
        // Importance on an even sample of the training invoices (Shapley values are costly).
        let step = li.len().div_ceil(2000);
        let sample = rows.select(&li.iter().step_by(step).copied().collect::<Vec<_>>());
        model.importance = model.importance_on(&sample);
        Ok(model)
    }

    #[allow(
        clippy::indexing_slicing,
        reason = "contributions have one value per feature (and a bias); the logistic weights have an intercept"
    )]
    fn importance_on(&self, sample: &Rows) -> Vec<Importance> {
        let mean_abs = |c: Vec<Vec<f64>>| -> Vec<f64> {
            let n = c.len().max(1) as f64;
            (0..sample.cols).map(|j| c.iter().map(|r| r[j].abs()).sum::<f64>() / n).collect()
        };
        let days = mean_abs(self.days_late.contributions(sample));
        let late = mean_abs(self.late.contributions(sample));
        let mut v: Vec<Importance> = self
            .features
            .iter()
            .enumerate()
            .map(|(j, f)| Importance {
                feature: f.clone(),
                days: days[j],
                late: late[j],
                logistic_weight: self.logistic.weights[j + 1],
            })
            .collect();
        v.sort_by(|a, b| b.days.total_cmp(&a.days).then(b.late.total_cmp(&a.late)));
        v
    }

    /// The log-odds of paying late by [trees, logistic regression, customer's history] for one
    /// feature row; 0 where the choice does not use it (the logistic regression is no candidate:
    /// its slot is always 0).
    fn late_inputs(&self, row: &[f64], trees: Option<f64>) -> [f64; 3] {
        let [_, w_trees, _, w_history] = self.choice.weights;
        [
            if w_trees != 0.0 { trees.unwrap_or_else(|| self.late.raw(row)) } else { 0.0 },
            0.0,
            if w_history != 0.0 { logit(history_p(row, self.choice.history_rate)) } else { 0.0 },
        ]
    }

    /// P(late) for one feature row, by the chosen candidate.
    pub fn p_late(&self, row: &[f64]) -> f64 {
        self.choice.p(self.late_inputs(row, None))
    }

    /// The prediction for one feature row.
    pub fn score_row(&self, row: &[f64]) -> Score {
        Score {
            p_late: self.p_late(row),
            p_very_late: self.very_late.as_ref().map_or(self.very_late_rate, |t| sigmoid(t.raw(row))),
            days_late: self.days_late.raw(row).clamp(-60.0, CAP_DAYS as f64),
        }
    }

    /// Scores every row: blocks of rows in parallel, each block through one tree at a time.
    #[allow(clippy::indexing_slicing, reason = "each block's outputs have one slot per row of the block")]
    pub fn score(&self, rows: &Rows) -> Vec<Score> {
        const BLOCK: usize = 256;
        let cols = rows.cols.max(1);
        rows.data
            .par_chunks(cols * BLOCK)
            .flat_map_iter(|block| {
                let n = block.len() / cols;
                let (mut late, mut very, mut days) = (vec![0.0; n], vec![self.very_late_rate; n], vec![0.0; n]);
                self.late.raw_block(block, cols, &mut late);
                if let Some(t) = &self.very_late {
                    t.raw_block(block, cols, &mut very);
                    very.iter_mut().for_each(|v| *v = sigmoid(*v));
                }
                self.days_late.raw_block(block, cols, &mut days);
                let rows: Vec<&[f64]> = block.chunks(cols).collect();
                (0..n).map(move |i| Score {
                    p_late: self.choice.p(self.late_inputs(rows[i], Some(late[i]))),
                    p_very_late: very[i],
                    days_late: days[i].clamp(-60.0, CAP_DAYS as f64),
                })
            })
            .collect()
    }

    /// Expected pay date of an invoice open on `as_of`: its predicted days late, or, when it is
    /// already later than that, the mean further delay of invoices that were as late as it is.
    #[allow(
        clippy::indexing_slicing,
        reason = "overdue is clamped to 0..=CAP_DAYS and residual_days has CAP_DAYS + 1 entries"
    )]
    pub fn pay_date(&self, s: &Score, due: NaiveDate, as_of: NaiveDate) -> NaiveDate {
        let predicted = due + Duration::days(s.days_late.round() as i64);
        if predicted > as_of {
            return predicted;
        }
        let overdue = (as_of - due).num_days().clamp(0, CAP_DAYS) as usize;
        as_of + Duration::days((self.residual_days[overdue].round() as i64).max(1))
    }

    /// Reads a model file; a file of another format is refused with what to do.
    pub fn from_json(text: &str) -> Result<Model, MlError> {
        // The format alone first (skimming the text, no tree built as JSON values: a run reads
        // the model each day).
        #[derive(serde::Deserialize)]
        struct Format {
            format: Option<serde_json::Value>,
        }
        let v: Format = serde_json::from_str(text).map_err(|e| MlError::File(format!("not JSON: {e}")))?;
        match v.format.as_ref().and_then(|f| f.as_u64()) {
            Some(f) if f == u64::from(FORMAT) => {
                serde_json::from_str(text).map_err(|e| MlError::File(format!("not a Fordra model: {e}")))
            }
            Some(f) => Err(MlError::File(format!(
                "model format {f}; this Fordra reads format {FORMAT}: train the model again"
            ))),
            None => Err(MlError::File("not a Fordra model file (no format)".into())),
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Synthetic history with a planted truth: a customer's hidden type decides lateness, and
    /// late payers also have a low credit score.
    pub fn planted() -> Vec<HistInvoice> {
        let start: NaiveDate = "2022-01-01".parse().unwrap();
        let mut h = Vec::new();
        let mut seed = 7u64;
        let mut rnd = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as f64 / (1u64 << 31) as f64
        };
        for c in 0..300 {
            let late_type = c % 3 == 0;
            for m in 0..24 {
                let issued = start + Duration::days(30 * m + (c % 28) as i64);
                let due = issued + Duration::days(30);
                let r = rnd();
                let late_days = if late_type {
                    if r < 0.8 {
                        15 + (r * 40.0) as i64
                    } else {
                        0
                    }
                } else if r < 0.1 {
                    20
                } else {
                    -2
                };
                h.push(HistInvoice {
                    customer: format!("c{c}"),
                    invoice: format!("{c}-{m}"),
                    invoice_date: issued,
                    due_date: due,
                    // Amount and score noise drawn apart from the lateness: no accidental signal.
                    amount: 1000_00 + (rnd() * 50000.0) as i64,
                    paid_date: Some(due + Duration::days(late_days)),
                    disputed: false,
                    channel: None,
                    credit_score: Some(if late_type { 25.0 } else { 70.0 } + rnd() * 10.0),
                    extra: vec![],
                });
            }
        }
        h
    }

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// The planted truth shows in the payment history and the credit score; amounts, terms,
    /// channel and month carry none.
    pub fn assert_planted_factors_first(importance: &[Importance]) {
        let planted =
            |f: &str| f == "credit_score" || f == "open_at_issue" || f == "late_trend" || f.starts_with("prior_");
        // The credit score carries the whole type here, so the factors after it are all small
        // and their order is noise: the first must be planted, and every other a third of it.
        assert!(planted(&importance[0].feature), "{importance:?}");
        for i in importance.iter().filter(|i| !planted(&i.feature)) {
            assert!(
                i.days < importance[0].days / 3.0
                    && i.late < importance.iter().map(|x| x.late).fold(0.0, f64::max) / 3.0,
                "{i:?} in {importance:?}"
            );
        }
    }

    #[test]
    fn outcomes_use_only_what_was_known() {
        let mut h = planted()[0].clone();
        let due = h.due_date;
        assert_eq!(outcome(&h, due, 10, 30), Outcome::default(), "nothing known on the due date");
        assert!(outcome(&h, due + Duration::days(200), 10, 30).late.is_some());
        h.paid_date = None;
        let o = outcome(&h, due + Duration::days(40), 10, 30);
        assert_eq!(
            (o.late, o.very_late, o.days),
            (Some(true), Some(true), None),
            "39 days unpaid: late and very late, days not known yet"
        );
        h.disputed = true;
        assert_eq!(outcome(&h, due + Duration::days(400), 10, 30), Outcome::default(), "disputed invoices say nothing");
    }

    #[test]
    fn trained_model_scores_and_dates() {
        let h = planted();
        let m = Model::train(&h, d("2023-06-01"), 10, 30).unwrap();
        assert!(m.training_invoices > 4000 && m.late.trees() > 10);
        let rows = at_issue(&h, 10);
        let late_customer = h.iter().rposition(|x| x.customer == "c0").unwrap();
        let prompt = h.iter().rposition(|x| x.customer == "c1").unwrap();
        let (a, b) = (m.score_row(rows.row(late_customer)), m.score_row(rows.row(prompt)));
        assert!(a.p_late > 0.6 && b.p_late < 0.2, "{a:?} {b:?}");
        assert!(a.days_late > b.days_late + 10.0, "{a:?} {b:?}");
        assert!(a.p_very_late <= a.p_late + 0.05);
        // A pay date in the future as predicted; an invoice already later than predicted gets
        // the mean further delay.
        let due = d("2024-01-31");
        assert_eq!(m.pay_date(&b, due, d("2024-01-01")), due + Duration::days(b.days_late.round() as i64));
        let late_date = m.pay_date(&b, due, d("2024-03-01"));
        assert!(late_date > d("2024-03-01"));
        // The model file round-trips and names its format.
        let text = serde_json::to_string(&m).unwrap();
        let back = Model::from_json(&text).unwrap();
        assert_eq!(back.score_row(rows.row(prompt)), b);
        // Scoring in blocks gives what scoring one row gives.
        let all = back.score(&rows);
        assert_eq!(all.len(), h.len());
        assert_eq!(all[prompt], b);
        assert_eq!(all[late_customer], a);
        assert!(Model::from_json(&text.replacen("\"format\":2", "\"format\":1", 1))
            .unwrap_err()
            .to_string()
            .contains("format 1"));
    }

    /// More lateness before never lowers the trees' risk or days late; a better credit score
    /// never raises them — whatever the rest of the row.
    #[test]
    fn the_trees_keep_the_known_directions() {
        let h = planted();
        let m = Model::train(&h, d("2023-06-01"), 10, 30).unwrap();
        let rows = at_issue(&h, 10);
        let at = |name: &str| crate::features::index_of(name).unwrap();
        for i in (0..h.len()).step_by(97) {
            let mut r = rows.row(i).to_vec();
            for (feature, values, rising) in [
                ("prior_late_share", (0..=10).map(|k| k as f64 / 10.0).collect::<Vec<_>>(), true),
                ("prior_mean_days_late", (0..=12).map(|k| k as f64 * 5.0 - 10.0).collect(), true),
                ("credit_score", (0..=10).map(|k| k as f64 * 10.0).collect(), false),
            ] {
                let keep = r[at(feature)];
                let mut last: Option<(f64, f64)> = None;
                for v in values {
                    r[at(feature)] = v;
                    let now = (m.late.raw(&r), m.days_late.raw(&r));
                    if let Some(l) = last {
                        let ok = |a: f64, b: f64| if rising { b >= a - 1e-9 } else { b <= a + 1e-9 };
                        assert!(ok(l.0, now.0) && ok(l.1, now.1), "{feature} = {v}: {l:?} then {now:?} row {r:?}");
                    }
                    last = Some(now);
                }
                r[at(feature)] = keep;
            }
        }
    }

    #[test]
    fn too_little_history_is_a_clear_error() {
        let h = planted();
        let e = Model::train(&h[..5], d("2022-03-01"), 10, 30).unwrap_err();
        assert!(e.to_string().contains("too little history"), "{e}");
    }
}
