//! Honest out-of-time evaluation: train on invoices issued before a date with the outcomes known
//! on that date, test on invoices issued from it, and compare with two baselines — the
//! customer's historical late share alone, and "always on time".

use crate::features::{at_issue, index_of};
use crate::linear::sigmoid;
use crate::metrics::{auc, calibration, logloss, mae, CalibrationBin};
use crate::model::{outcome, Importance, Model};
use chrono::{Duration, NaiveDate};
use fordra_core::history::HistInvoice;
use serde::Serialize;

/// The same figures for a model or a baseline.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Figures {
    /// "trees", "logistic regression", "customer history", "always on time".
    pub name: String,
    /// ROC AUC of P(paid late).
    pub auc: Option<f64>,
    /// Log loss of P(paid late).
    pub logloss: f64,
    /// Mean absolute error of days late (paid invoices).
    pub mae_days: f64,
    /// ROC AUC of P(paid very late).
    pub auc_very_late: Option<f64>,
}

/// An out-of-time evaluation: trained before a date, tested on the invoices issued after it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Evaluation {
    /// Training used invoices issued before this day.
    pub trained_until: NaiveDate,
    /// The last invoice date tested.
    pub test_to: NaiveDate,
    /// "Late" means paid more than this many days after due.
    pub late_after_days: i64,
    /// "Very late" means paid more than this many days after due.
    pub very_late_after_days: i64,
    /// Invoices trained on.
    pub train_invoices: usize,
    /// Invoices tested on.
    pub test_invoices: usize,
    /// Share of the test invoices paid late.
    pub late_rate: f64,
    /// The gradient-boosted trees (the model Fordra uses).
    pub trees: Figures,
    /// The logistic regression, for comparison.
    pub logistic: Figures,
    /// The customer's late share so far (smoothed towards the training rate for log loss), and
    /// their mean days late so far.
    pub customer_history: Figures,
    /// Everyone the same: the training late rate, and 0 days late.
    pub always_on_time: Figures,
    /// Predicted against observed late rates, in bins of P(late).
    pub calibration: Vec<CalibrationBin>,
    /// What drives the predictions, strongest first.
    pub importance: Vec<Importance>,
}

/// Trains on invoices issued before `from` (outcomes as known on `from`) and tests on those
/// issued from `from` through `to`, with outcomes as known after `data_end`.
#[allow(
    clippy::indexing_slicing,
    reason = "feature columns are looked up by name in the model's own feature list; rows have one value per feature; the logistic weights have an intercept"
)]
pub fn evaluate(
    history: &[HistInvoice],
    from: NaiveDate,
    to: NaiveDate,
    data_end: NaiveDate,
    late_after: i64,
    very_late_after: i64,
) -> Result<Evaluation, crate::MlError> {
    let rows = at_issue(history, late_after);
    let model = Model::train_on(history, &rows, from, late_after, very_late_after)?;
    let known_on = data_end + Duration::days(1);
    let (share, mean_late) = (index_of("prior_late_share").unwrap_or(1), index_of("prior_mean_days_late").unwrap_or(2));
    let settled = index_of("prior_invoices").unwrap_or(0);
    // Per test invoice: (score, logistic, baseline share, outcome).
    let mut late = (vec![], vec![], vec![], vec![], vec![]);
    let mut very = (vec![], vec![], vec![], vec![]);
    let mut days = (vec![], vec![], vec![], vec![]);
    for (i, h) in history.iter().enumerate().filter(|(_, h)| h.invoice_date >= from && h.invoice_date <= to) {
        let o = outcome(h, known_on, late_after, very_late_after);
        let r = rows.row(i);
        let s = model.score_row(r);
        // The customer's history as a probability: late share with two pseudo-invoices at the
        // training rate, so a customer without history gets the training rate.
        let base = (r[share] * r[settled] + 2.0 * model.late_rate) / (r[settled] + 2.0);
        if let Some(l) = o.late {
            late.0.push(s.p_late);
            late.1.push(model.logistic.predict(r));
            late.2.push(base);
            late.3.push(l);
            late.4.push(r[share]);
        }
        if let Some(v) = o.very_late {
            very.0.push(s.p_very_late);
            very.1.push(sigmoid(model.logistic.weights[0]));
            very.2.push(r[mean_late]);
            very.3.push(v);
        }
        if let (Some(d), true) = (o.days, h.paid_date.is_some()) {
            days.0.push(s.days_late);
            days.1.push(r[mean_late]);
            days.2.push(0.0);
            days.3.push(d);
        }
    }
    if late.3.is_empty() {
        return Err(crate::MlError::Data(format!("no invoice issued between {from} and {to} has a known outcome yet")));
    }
    let rate = late.3.iter().filter(|l| **l).count() as f64 / late.3.len() as f64;
    let figures = |name: &str, p: &[f64], mae_days: f64, very_late: Option<f64>| Figures {
        name: name.into(),
        auc: auc(p, &late.3),
        logloss: logloss(p, &late.3),
        mae_days,
        auc_very_late: very_late,
    };
    let constant = vec![model.late_rate; late.3.len()];
    Ok(Evaluation {
        trained_until: from,
        test_to: to,
        late_after_days: late_after,
        very_late_after_days: very_late_after,
        train_invoices: model.training_invoices,
        test_invoices: late.3.len(),
        late_rate: rate,
        trees: figures("gradient-boosted trees", &late.0, mae(&days.0, &days.3), auc(&very.0, &very.3)),
        logistic: figures("logistic regression", &late.1, f64::NAN, None),
        customer_history: Figures {
            auc: auc(&late.4, &late.3),
            ..figures("customer's history alone", &late.2, mae(&days.1, &days.3), auc(&very.2, &very.3))
        },
        always_on_time: figures("always on time", &constant, mae(&days.2, &days.3), auc(&very.1, &very.3)),
        calibration: calibration(&late.0, &late.3),
        importance: model.importance,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tests::planted;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn finds_the_planted_payers_and_beats_the_baselines() {
        let h = planted();
        let e = evaluate(&h, d("2023-06-01"), d("2023-12-31"), d("2024-06-01"), 10, 30).unwrap();
        let auc = e.trees.auc.unwrap();
        // A late-type customer pays late 80 % of the time and an on-time type 10 %: knowing the
        // type perfectly gives an AUC of 0.85, and the customer's own history nearly reaches it.
        assert!(auc > 0.84, "{e:?}");
        assert!(auc > e.customer_history.auc.unwrap() - 0.01, "{e:?}");
        assert_eq!(e.always_on_time.auc, Some(0.5));
        assert!(e.trees.logloss < e.customer_history.logloss && e.trees.logloss < e.always_on_time.logloss, "{e:?}");
        assert!(e.trees.mae_days < e.always_on_time.mae_days, "{e:?}");
        assert!(e.logistic.auc.unwrap() > 0.8, "{e:?}");
        crate::model::tests::assert_planted_factors_first(&e.importance);
        // Calibrated: in each well-filled bin the observed rate is near the predicted one.
        for b in e.calibration.iter().filter(|b| b.count > 200) {
            assert!((b.observed - b.predicted).abs() < 0.12, "{b:?}");
        }
    }

    #[test]
    fn no_known_outcome_in_the_test_window_is_a_clear_error() {
        let h = planted();
        let e = evaluate(&h, d("2023-06-01"), d("2023-06-02"), d("2023-06-02"), 10, 30).unwrap_err();
        assert!(e.to_string().contains("no invoice issued between"), "{e}");
    }
}
