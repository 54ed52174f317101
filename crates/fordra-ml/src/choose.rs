//! Which P(late) the runs use: the trees, the customer's own history, or a blend of them,
//! chosen on a validation window of the most recent training invoices and calibrated there.
//! The customer's history is the default. The candidates are tried from the simplest to the
//! most elaborate, and one replaces the one chosen so far only when it beats it on the
//! validation window by more than chance (two standard errors of the paired difference in log
//! loss) and by more than a trifle ([`MIN_GAIN`]): the model is never knowingly worse than the simple rule, and a calibration or
//! a blend is not taken for a gain that is noise.
//!
//! Every candidate is a logistic function of the trees' and the history rule's log-odds: Platt
//! scaling for one, a stacked blend for both. The weights keep a slot for the logistic
//! regression's log-odds (always 0, it is no candidate) so that stored choices keep their shape.
//! Platt scaling is increasing, so it never changes a candidate's ranking (its ROC AUC); it
//! only makes its probabilities match the rates observed.

use crate::features::{index_of, Rows};
use crate::linear::{sigmoid, Logistic};
use crate::metrics::auc;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The candidates, in the order of their log-odds inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Candidate {
    /// The customer's late share so far, smoothed towards the training rate, as it is.
    History,
    /// The same, calibrated.
    HistoryCalibrated,
    /// The gradient-boosted trees, calibrated.
    Trees,
    /// The gradient-boosted trees as they are (trained on log loss, so often calibrated already).
    TreesAsIs,
    /// A logistic blend of the trees and the history rule.
    Blend,
}

impl Candidate {
    /// Every candidate, the default first. The logistic regression is not one: it is linear in
    /// features such as the month and the number of earlier invoices, which a later window
    /// takes outside the range it was fitted on (tried: on a test window half a year after its
    /// validation window it lost to the history rule it had beaten there).
    pub const ALL: [Candidate; 5] =
        [Candidate::History, Candidate::TreesAsIs, Candidate::HistoryCalibrated, Candidate::Trees, Candidate::Blend];

    /// Its name in reports.
    pub fn label(self) -> &'static str {
        match self {
            Candidate::History => "customer's history alone",
            Candidate::HistoryCalibrated => "customer's history, calibrated",
            Candidate::Trees => "gradient-boosted trees, calibrated",
            Candidate::TreesAsIs => "gradient-boosted trees",
            Candidate::Blend => "blend of the trees and the customer's history",
        }
    }

    /// Its name in a reason: "trees", "history", …
    pub fn short(self) -> &'static str {
        match self {
            Candidate::History => "history",
            Candidate::HistoryCalibrated => "calibrated history",
            Candidate::Trees => "calibrated trees",
            Candidate::TreesAsIs => "trees",
            Candidate::Blend => "trees and history",
        }
    }

    /// Which of the log-odds [trees, logistic, history] it uses.
    fn inputs(self) -> &'static [usize] {
        match self {
            Candidate::History | Candidate::HistoryCalibrated => &[2],
            Candidate::Trees | Candidate::TreesAsIs => &[0],
            Candidate::Blend => &[0, 2],
        }
    }
}

/// The customer's history as a probability: their late share with two pseudo-invoices at
/// `rate`, so a customer without history gets `rate`.
#[allow(clippy::indexing_slicing, reason = "rows have one value per feature and the names are the model's own")]
pub fn history_p(row: &[f64], rate: f64) -> f64 {
    let (share, n) = (index_of("prior_late_share").unwrap_or(1), index_of("prior_invoices").unwrap_or(0));
    (row[share] * row[n] + 2.0 * rate) / (row[n] + 2.0)
}

/// Log-odds of `p`, kept finite.
pub fn logit(p: f64) -> f64 {
    let p = p.clamp(1e-6, 1.0 - 1e-6);
    (p / (1.0 - p)).ln()
}

/// One candidate's figures on the validation window (log loss cross-fitted: the calibration of
/// each half learnt on the other).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Validated {
    /// The candidate.
    pub candidate: Candidate,
    /// ROC AUC on the validation window.
    pub auc: Option<f64>,
    /// Cross-fitted log loss on the validation window.
    pub logloss: f64,
}

/// The candidate chosen, its calibration, and why.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Choice {
    /// The candidate the runs use.
    pub candidate: Candidate,
    /// Intercept, then a weight per log-odds [trees, logistic, history] (0 where unused). For
    /// the history rule as it is: [0, 0, 0, 1].
    pub weights: [f64; 4],
    /// The late rate the customer's history is smoothed towards (that of the invoices the
    /// candidates were trained on).
    pub history_rate: f64,
    /// The validation window began on this day (none when there were too few invoices).
    pub validation_from: Option<NaiveDate>,
    /// Validation invoices (none when there were too few to validate on).
    pub validation_invoices: usize,
    /// Every candidate's figures there.
    pub validated: Vec<Validated>,
    /// Why this one, in words.
    pub why: String,
}

/// Model files from before the choice: the trees as they are.
impl Default for Choice {
    fn default() -> Choice {
        Choice {
            why: "trained before candidates were compared: the trees as they are".into(),
            ..Choice::bare(Candidate::TreesAsIs, [0.0, 1.0, 0.0, 0.0])
        }
    }
}

impl Choice {
    /// The history rule as it is, smoothed towards `rate`, for `why` (too little data to
    /// validate on).
    pub fn history(why: String, rate: f64) -> Choice {
        Choice { why, history_rate: rate, ..Choice::bare(Candidate::History, [0.0, 0.0, 0.0, 1.0]) }
    }

    /// A candidate with its weights, nothing else recorded.
    fn bare(candidate: Candidate, weights: [f64; 4]) -> Choice {
        Choice {
            candidate,
            weights,
            history_rate: 0.0,
            validation_from: None,
            validation_invoices: 0,
            validated: vec![],
            why: String::new(),
        }
    }

    /// P(late) from the three log-odds [trees, logistic, history].
    pub fn p(&self, z: [f64; 3]) -> f64 {
        let [b, wt, wl, wh] = self.weights;
        sigmoid(b + wt * z[0] + wl * z[1] + wh * z[2])
    }
}

/// The three log-odds of validation invoices, and their outcomes.
pub struct ValidationSet {
    /// [trees, logistic, history] log-odds per invoice.
    pub z: Vec<[f64; 3]>,
    /// Paid late.
    pub late: Vec<bool>,
}

/// Fits weights (intercept first) for `c` on the invoices `idx` of `v`.
#[allow(clippy::indexing_slicing, reason = "inputs are positions 0..3 of each row of log-odds")]
fn fit(c: Candidate, v: &ValidationSet, idx: &[usize]) -> [f64; 4] {
    match c {
        Candidate::History => return [0.0, 0.0, 0.0, 1.0],
        Candidate::TreesAsIs => return [0.0, 1.0, 0.0, 0.0],
        _ => {}
    }
    let inputs = c.inputs();
    let rows = Rows { cols: inputs.len(), data: v.z.iter().flat_map(|z| inputs.iter().map(|k| z[*k])).collect() };
    let labels: Vec<bool> = idx.iter().map(|i| v.late[*i]).collect();
    let l = Logistic::fit(&rows, idx, &labels, 1e-3);
    // Back from standardised inputs to weights on the log-odds themselves.
    let mut w = [l.weights[0], 0.0, 0.0, 0.0];
    for (j, k) in inputs.iter().enumerate() {
        let (m, s) = (l.scaler.mean[j], l.scaler.sd[j]);
        w[k + 1] = l.weights[j + 1] / s;
        w[0] -= l.weights[j + 1] * m / s;
    }
    w
}

/// Per-invoice log loss of `c` on `v`, each half's calibration learnt on the other half.
#[allow(clippy::indexing_slicing, reason = "indexes are positions in v")]
fn cross_fitted(c: Candidate, v: &ValidationSet) -> Vec<f64> {
    let (even, odd): (Vec<usize>, Vec<usize>) = (0..v.late.len()).partition(|i| i % 2 == 0);
    let (w_even, w_odd) = (fit(c, v, &even), fit(c, v, &odd));
    (0..v.late.len())
        .map(|i| {
            let w = if i % 2 == 0 { w_odd } else { w_even };
            let p = Choice::bare(c, w).p(v.z[i]).clamp(1e-12, 1.0 - 1e-12);
            if v.late[i] {
                -p.ln()
            } else {
                -(1.0 - p).ln()
            }
        })
        .collect()
}

/// Mean and standard error of `a - b`, invoice by invoice.
fn paired(a: &[f64], b: &[f64]) -> (f64, f64) {
    let d: Vec<f64> = a.iter().zip(b).map(|(x, y)| x - y).collect();
    let n = d.len().max(2) as f64;
    let mean = d.iter().sum::<f64>() / n;
    let var = d.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, (var / n).sqrt())
}

/// The smallest share of the log loss a candidate must save to replace the one chosen so far.
pub const MIN_GAIN: f64 = 0.02;

/// Chooses among the candidates on `v`, from the simplest: each replaces the one chosen so far
/// when its cross-fitted log loss is lower by more than two standard errors of the paired
/// difference and by more than [`MIN_GAIN`] of it; the one chosen is calibrated on all of `v`. `rate` is the history rule's, `from`
/// the window's first day.
pub fn choose(v: &ValidationSet, rate: f64, from: NaiveDate) -> Choice {
    let losses: Vec<(Candidate, Vec<f64>)> = Candidate::ALL.iter().map(|c| (*c, cross_fitted(*c, v))).collect();
    let n = v.late.len();
    let all: Vec<usize> = (0..n).collect();
    let validated = losses
        .iter()
        .map(|(c, l)| {
            let choice = Choice::bare(*c, fit(*c, v, &all));
            let p: Vec<f64> = v.z.iter().map(|z| choice.p(*z)).collect();
            Validated { candidate: *c, auc: auc(&p, &v.late), logloss: l.iter().sum::<f64>() / l.len().max(1) as f64 }
        })
        .collect::<Vec<_>>();
    let mean = |l: &Vec<f64>| l.iter().sum::<f64>() / l.len().max(1) as f64;
    let Some((first, base)) = losses.first() else { return Choice::history("no candidates".into(), rate) };
    /// The one it replaced, by how much, and the uncertainty of that.
    type Beat = Option<(Candidate, f64, f64)>;
    let mut chosen: (Candidate, &Vec<f64>, Beat) = (*first, base, None);
    for (c, l) in losses.iter().skip(1) {
        let (gain, se) = paired(chosen.1, l);
        // More than chance, and more than a trifle: a calibration of the trees moves their
        // losses together, so a tiny gain can be "significant" and still not hold a month later.
        if gain > 2.0 * se && gain > MIN_GAIN * mean(chosen.1) {
            chosen = (*c, l, Some((chosen.0, gain, se)));
        }
    }
    let (candidate, why) = match chosen {
        (c, l, Some((beaten, gain, se))) => (
            c,
            format!(
                "{}: on the {n} most recent training invoices its log loss was {:.3} against {:.3} for the {}{}, lower by more than twice the uncertainty ({se:.4}) and more than 2 %",
                c.label(),
                mean(l),
                mean(l) + gain,
                beaten.label(),
                if beaten == Candidate::History {
                    String::new()
                } else {
                    format!(" (the customer's history alone: {:.3})", mean(base))
                },
            ),
        ),
        (_, _, None) => (
            Candidate::History,
            format!(
                "customer's history alone: on the {n} most recent training invoices no other candidate beat it by more than chance"
            ),
        ),
    };
    Choice {
        candidate,
        weights: fit(candidate, v, &all),
        history_rate: rate,
        validation_from: Some(from),
        validation_invoices: n,
        validated,
        why,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2024, 1, 1).unwrap()
    }

    /// Validation log-odds where the outcome follows `signal` (0 trees, 1 logistic, 2 history).
    fn world(signal: usize, n: usize) -> ValidationSet {
        let mut seed = 11u64;
        let mut rnd = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as f64 / (1u64 << 31) as f64
        };
        let mut v = ValidationSet { z: vec![], late: vec![] };
        for _ in 0..n {
            let z = [rnd() * 6.0 - 3.0, rnd() * 6.0 - 3.0, rnd() * 6.0 - 3.0];
            // The true log-odds: half the signal input's (so every candidate is miscalibrated).
            v.late.push(rnd() < sigmoid(0.5 * z[signal]));
            v.z.push(z);
        }
        v
    }

    #[test]
    fn history_stays_unless_another_is_clearly_better() {
        let c = choose(&world(0, 4000), 0.3, day());
        assert_eq!(c.candidate, Candidate::Trees, "{c:?}");
        // Calibrated: the fitted slope on the trees' log-odds is about the true 0.5.
        assert!((c.weights[1] - 0.5).abs() < 0.1 && c.weights[2].abs() < 1e-9, "{c:?}");
        assert!(c.why.contains("against") && c.why.contains("the customer's history alone"), "{}", c.why);
        let h = choose(&world(2, 4000), 0.3, day());
        assert!(matches!(h.candidate, Candidate::History | Candidate::HistoryCalibrated), "{h:?}");
        // The history rule calibrated, the others pure noise: nothing beats it by more than chance.
        let mut noise = world(0, 300);
        noise.late.iter_mut().enumerate().for_each(|(i, l)| *l = i % 3 == 0);
        noise.z.iter_mut().for_each(|z| z[2] = logit(1.0 / 3.0));
        assert_eq!(choose(&noise, 0.3, day()).candidate, Candidate::History);
        assert_eq!(choose(&noise, 0.3, day()).weights, [0.0, 0.0, 0.0, 1.0]);
        assert_eq!(c.validated.len(), 5);
    }

    #[test]
    fn calibration_keeps_the_ranking() {
        let v = world(0, 2000);
        let w = fit(Candidate::Trees, &v, &(0..2000).collect::<Vec<_>>());
        assert!(w[1] > 0.0);
        let c = Choice::bare(Candidate::Trees, w);
        let raw: Vec<f64> = v.z.iter().map(|z| z[0]).collect();
        let cal: Vec<f64> = v.z.iter().map(|z| c.p(*z)).collect();
        assert_eq!(auc(&raw, &v.late), auc(&cal, &v.late));
    }
}
