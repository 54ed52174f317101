//! Honest evaluation: ROC AUC (rank sum, ties averaged), log loss, a calibration table and MAE.

use serde::Serialize;

/// ROC AUC: the probability that a random positive scores above a random negative.
#[allow(
    clippy::indexing_slicing,
    reason = "idx is a permutation of the scores' positions; scores and labels have the same length"
)]
pub fn auc(scores: &[f64], labels: &[bool]) -> Option<f64> {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|a, b| scores[*a].total_cmp(&scores[*b]));
    let (mut rank_sum, mut i) = (0.0, 0);
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && scores[idx[j + 1]] == scores[idx[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        rank_sum += (i..=j).filter(|k| labels[idx[*k]]).count() as f64 * avg;
        i = j + 1;
    }
    let pos = labels.iter().filter(|l| **l).count() as f64;
    let neg = labels.len() as f64 - pos;
    (pos > 0.0 && neg > 0.0).then(|| (rank_sum - pos * (pos + 1.0) / 2.0) / (pos * neg))
}

/// Mean log loss of probabilities `p` against the outcomes (clamped away from 0 and 1).
pub fn logloss(p: &[f64], labels: &[bool]) -> f64 {
    let n = p.len().max(1) as f64;
    -p.iter()
        .zip(labels)
        .map(|(p, y)| {
            let p = p.clamp(1e-12, 1.0 - 1e-12);
            if *y {
                p.ln()
            } else {
                (1.0 - p).ln()
            }
        })
        .sum::<f64>()
        / n
}

/// Invoices whose P(late) fell in one bin, with the late rate predicted and observed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CalibrationBin {
    /// Lower bound of the bin.
    pub from: f64,
    /// Upper bound of the bin.
    pub to: f64,
    /// Invoices in it.
    pub count: usize,
    /// Their mean P(late).
    pub predicted: f64,
    /// The share of them paid late.
    pub observed: f64,
}

/// Ten bins of predicted probability: mean prediction against the observed rate.
pub fn calibration(p: &[f64], labels: &[bool]) -> Vec<CalibrationBin> {
    (0..10)
        .filter_map(|b| {
            let (lo, hi) = (b as f64 / 10.0, (b + 1) as f64 / 10.0);
            let sel: Vec<(f64, bool)> = p
                .iter()
                .zip(labels)
                .filter(|(x, _)| **x >= lo && (**x < hi || (b == 9 && **x <= 1.0)))
                .map(|(x, y)| (*x, *y))
                .collect();
            (!sel.is_empty()).then(|| {
                let n = sel.len() as f64;
                CalibrationBin {
                    from: lo,
                    to: hi,
                    count: sel.len(),
                    predicted: sel.iter().map(|s| s.0).sum::<f64>() / n,
                    observed: sel.iter().filter(|s| s.1).count() as f64 / n,
                }
            })
        })
        .collect()
}

/// Mean absolute error.
pub fn mae(pred: &[f64], actual: &[f64]) -> f64 {
    pred.iter().zip(actual).map(|(a, b)| (a - b).abs()).sum::<f64>() / pred.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_by_hand() {
        assert_eq!(auc(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true]), Some(0.75));
        assert_eq!(auc(&[0.5, 0.5], &[false, true]), Some(0.5));
        assert_eq!(auc(&[0.5], &[true]), None);
    }

    #[test]
    fn logloss_and_calibration() {
        assert!((logloss(&[0.5, 0.5], &[true, false]) - std::f64::consts::LN_2).abs() < 1e-12);
        let c = calibration(&[0.05, 0.15, 0.95], &[false, true, true]);
        assert_eq!(c.len(), 3);
        assert_eq!((c[1].count, c[1].observed), (1, 1.0));
    }
}
