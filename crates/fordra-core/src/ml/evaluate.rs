//! Training and honest out-of-time evaluation: train on invoices issued before a date with the
//! outcomes known on that date, test on invoices issued after it, and compare with two
//! baselines — the customer's historical late share alone, and "always on time".

use super::features::{features_for, group_by_customer, HistInvoice, NAMES};
use super::linear::{Logistic, Ridge};
use super::metrics::{auc, calibration, logloss, mae, CalibrationBin};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Whether an invoice was paid late, as known on `known_on`: paid more than `late_after` days
/// after due (payments after `known_on` are not known yet), or still unpaid that long after due.
/// None: not known yet.
pub fn late_label(h: &HistInvoice, known_on: NaiveDate, late_after: i64) -> Option<(bool, f64)> {
    match h.paid_date.filter(|p| *p <= known_on) {
        Some(p) => {
            let days = (p - h.due_date).num_days();
            Some((days > late_after, days as f64))
        }
        None if (known_on - h.due_date).num_days() > late_after => Some((true, (known_on - h.due_date).num_days() as f64)),
        None => None,
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Model {
    pub version: u32,
    pub trained_until: NaiveDate,
    pub late_after_days: i64,
    pub features: Vec<String>,
    pub training_invoices: usize,
    pub late: Logistic,
    pub days_late: Ridge,
}

impl Model {
    pub fn train(history: &[HistInvoice], until: NaiveDate, late_after: i64) -> Result<Model, String> {
        let groups = group_by_customer(history);
        let mut x = Vec::new();
        let mut y = Vec::new();
        let mut days = Vec::new();
        for (i, h) in history.iter().enumerate().filter(|(_, h)| h.invoice_date < until) {
            if let Some((late, d)) = late_label(h, until, late_after) {
                x.push(features_for(history, &groups[i], i, late_after).values);
                y.push(late);
                days.push(d);
            }
        }
        let positives = y.iter().filter(|v| **v).count();
        if x.len() < 20 || positives == 0 || positives == y.len() {
            return Err(format!(
                "too little history before {until} to train: {} invoices with known outcome, {positives} of them late (need at least 20 with both outcomes)",
                x.len()
            ));
        }
        let mut features: Vec<String> = NAMES.iter().map(|s| s.to_string()).collect();
        for k in 0..x[0].len().saturating_sub(NAMES.len()) {
            features.push(format!("extra_{}", k + 1));
        }
        Ok(Model {
            version: 1,
            trained_until: until,
            late_after_days: late_after,
            features,
            training_invoices: x.len(),
            late: Logistic::fit(&x, &y, 1.0),
            days_late: Ridge::fit(&x, &days, 1.0),
        })
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evaluation {
    pub trained_until: NaiveDate,
    pub test_to: NaiveDate,
    pub train_invoices: usize,
    pub test_invoices: usize,
    pub late_rate: f64,
    pub auc: Option<f64>,
    pub logloss: f64,
    pub mae_days: f64,
    pub calibration: Vec<CalibrationBin>,
    /// The customer's historical late share as the score.
    pub baseline_auc: Option<f64>,
    /// "Always on time": the training late rate for everyone.
    pub baseline_logloss: f64,
    /// The customer's mean days late so far as the prediction.
    pub baseline_mae_days: f64,
    /// Features by the size of their weight in the late-payment model (standardised).
    pub weights: Vec<(String, f64)>,
}

/// Trains on invoices issued before `from` (outcomes as known on `from`) and tests on invoices
/// issued from `from` through `to` (outcomes as known on `data_end`).
pub fn evaluate(history: &[HistInvoice], from: NaiveDate, to: NaiveDate, data_end: NaiveDate, late_after: i64) -> Result<Evaluation, String> {
    let model = Model::train(history, from, late_after)?;
    let groups = group_by_customer(history);
    let (mut p, mut labels, mut base, mut pred_days, mut days, mut base_days) = (vec![], vec![], vec![], vec![], vec![], vec![]);
    for (i, h) in history.iter().enumerate().filter(|(_, h)| h.invoice_date >= from && h.invoice_date <= to) {
        let Some((late, d)) = late_label(h, data_end, late_after) else { continue };
        let f = features_for(history, &groups[i], i, late_after).values;
        p.push(model.late.predict(&f));
        labels.push(late);
        base.push(f[1]);
        if h.paid_date.is_some_and(|x| x <= data_end) {
            pred_days.push(model.days_late.predict(&f));
            days.push(d);
            base_days.push(f[2]);
        }
    }
    if labels.is_empty() {
        return Err(format!("no invoice issued between {from} and {to} has a known outcome"));
    }
    let rate = labels.iter().filter(|l| **l).count() as f64 / labels.len() as f64;
    // "Always on time" predicts the rate seen in training for everyone.
    let train_late_rate = {
        let mut n = 0usize;
        let mut late = 0usize;
        for h in history.iter().filter(|h| h.invoice_date < from) {
            if let Some((l, _)) = late_label(h, from, late_after) {
                n += 1;
                late += usize::from(l);
            }
        }
        late as f64 / n.max(1) as f64
    };
    let mut weights: Vec<(String, f64)> = model.features.iter().cloned().zip(model.late.weights.iter().skip(1).copied()).collect();
    weights.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
    Ok(Evaluation {
        trained_until: from,
        test_to: to,
        train_invoices: model.training_invoices,
        test_invoices: labels.len(),
        late_rate: rate,
        auc: auc(&p, &labels),
        logloss: logloss(&p, &labels),
        mae_days: mae(&pred_days, &days),
        calibration: calibration(&p, &labels),
        baseline_auc: auc(&base, &labels),
        baseline_logloss: logloss(&vec![train_late_rate; labels.len()], &labels),
        baseline_mae_days: mae(&base_days, &days),
        weights,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    /// Synthetic history with a planted truth: a customer's hidden type decides lateness, and
    /// late payers also have a low credit score. The model must beat both baselines.
    fn planted() -> Vec<HistInvoice> {
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
                    amount: 1000_00 + (r * 50000.0) as i64,
                    paid_date: Some(due + Duration::days(late_days)),
                    disputed: false,
                    channel: None,
                    credit_score: Some(if late_type { 25.0 } else { 70.0 } + r * 10.0),
                    extra: vec![],
                });
            }
        }
        h
    }

    #[test]
    fn finds_the_planted_payers_and_beats_the_baselines() {
        let h = planted();
        let e = evaluate(&h, "2023-06-01".parse().unwrap(), "2023-12-31".parse().unwrap(), "2024-06-01".parse().unwrap(), 10).unwrap();
        assert!(e.auc.unwrap() > 0.8, "{e:?}");
        assert!(e.logloss < e.baseline_logloss, "{e:?}");
        assert!(e.auc.unwrap() >= e.baseline_auc.unwrap() - 0.01, "{e:?}");
        // The planted factors rank first: the late history and the credit score.
        let top: Vec<&str> = e.weights.iter().take(4).map(|w| w.0.as_str()).collect();
        assert!(top.contains(&"credit_score") || top.iter().any(|t| t.starts_with("prior_")), "{top:?}");
    }

    #[test]
    fn explanations_name_the_planted_factors() {
        let h = planted();
        let m = Model::train(&h, "2023-06-01".parse().unwrap(), 10).unwrap();
        let top: Vec<String> = crate::ml::explain::global(&m).into_iter().take(3).map(|x| x.0).collect();
        assert!(top.iter().any(|t| t == "credit_score" || t.starts_with("prior_")), "{top:?}");
        // A late payer's last invoice: high risk, and the strongest reason raises it.
        let idx = h.iter().rposition(|x| x.customer == "c0").unwrap();
        let e = crate::ml::explain::invoice(&m, &h, idx);
        assert!(e.p_late > 0.5, "{e:?}");
        assert!(e.factors[0].contribution > 0.0 && e.factors[0].text.contains("raises the risk"), "{:?}", e.factors[0]);
        // A prompt payer's: low risk.
        let idx = h.iter().rposition(|x| x.customer == "c1").unwrap();
        assert!(crate::ml::explain::invoice(&m, &h, idx).p_late < 0.5);
    }

    #[test]
    fn labels_use_only_what_was_known() {
        let h = &planted()[0];
        let due = h.due_date;
        assert_eq!(late_label(h, due, 10), None, "not known on the due date");
        assert!(late_label(h, due + Duration::days(200), 10).is_some());
    }

    #[test]
    fn too_little_history_is_a_clear_error() {
        let h = planted();
        let e = evaluate(&h[..5], "2022-03-01".parse().unwrap(), "2022-12-31".parse().unwrap(), "2023-01-01".parse().unwrap(), 10).unwrap_err();
        assert!(e.contains("too little history"), "{e}");
    }
}
