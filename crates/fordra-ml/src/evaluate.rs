//! Honest out-of-time evaluation: train on invoices issued before a date with the outcomes known
//! on that date, test on every invoice issued from it (disputed or not: nobody knows at issue
//! which will be), and compare with two baselines — the customer's historical late share alone,
//! and "always on time" — overall and on named parts of the test invoices.

use crate::choose::{history_p, Choice};
use crate::features::{at_issue, index_of};
use crate::linear::sigmoid;
use crate::metrics::{auc, calibration, logloss, mae, CalibrationBin};
use crate::model::{observed, Importance, Model};
use chrono::{Duration, NaiveDate};
use fordra_core::history::HistInvoice;
use serde::Serialize;

/// Fewer training invoices than this draw a warning: the figures are then uncertain and the
/// trees may not beat the customer's own history.
pub const FEW_TRAINING_INVOICES: usize = 300;
/// Fewer test invoices than this draw a warning.
pub const FEW_TEST_INVOICES: usize = 100;

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

/// The model the runs use and the customer-history rule on one named part of the test invoices.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Subset {
    /// "not disputed", "disputed", "segment Risk", "amount under 1 200", …
    pub name: String,
    /// Test invoices in it with a known outcome.
    pub invoices: usize,
    /// Share of them paid late.
    pub late_rate: f64,
    /// The chosen model's ROC AUC (none when all or none were late).
    pub auc: Option<f64>,
    /// The chosen model's log loss.
    pub logloss: f64,
    /// The customer-history rule's ROC AUC.
    pub history_auc: Option<f64>,
    /// Its log loss.
    pub history_logloss: f64,
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
    /// Invoices issued before the cut-off whose outcome was not known on it (not trained on).
    pub censored_train: usize,
    /// Disputed invoices issued before the cut-off (not trained on).
    pub disputed_train: usize,
    /// Invoices tested on: every one issued in the window whose outcome is known.
    pub test_invoices: usize,
    /// Of them, disputed.
    pub disputed_test: usize,
    /// Invoices issued in the window whose outcome is not known yet (not tested on).
    pub unknown_test: usize,
    /// Share of the test invoices paid late.
    pub late_rate: f64,
    /// What the runs use for P(late), chosen on the training window's most recent invoices.
    pub chosen: Figures,
    /// Which it is and why.
    pub choice: Choice,
    /// The gradient-boosted trees as they are (their P(very late) and days late are what the
    /// model gives for those).
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
    /// The chosen model against the history rule on named parts of the test invoices.
    pub subsets: Vec<Subset>,
    /// What makes the figures less certain (too little data).
    pub warnings: Vec<String>,
    /// What drives the predictions, strongest first.
    pub importance: Vec<Importance>,
}

/// One test invoice: what was predicted and what happened.
struct Tested<'a> {
    chosen: f64,
    trees: f64,
    logistic: f64,
    /// The customer's late share, smoothed towards the training rate (a probability).
    history: f64,
    late: bool,
    invoice: &'a HistInvoice,
}

/// The figures of the chosen model and the history rule on the invoices `keep` selects.
fn subset(name: String, tested: &[Tested<'_>], keep: impl Fn(&Tested<'_>) -> bool) -> Option<Subset> {
    let part: Vec<&Tested<'_>> = tested.iter().filter(|t| keep(t)).collect();
    if part.is_empty() {
        return None;
    }
    let labels: Vec<bool> = part.iter().map(|t| t.late).collect();
    let of = |f: fn(&Tested<'_>) -> f64| part.iter().map(|t| f(t)).collect::<Vec<f64>>();
    Some(Subset {
        name,
        invoices: part.len(),
        late_rate: labels.iter().filter(|l| **l).count() as f64 / part.len() as f64,
        auc: auc(&of(|t| t.chosen), &labels),
        logloss: logloss(&of(|t| t.chosen), &labels),
        history_auc: auc(&of(|t| t.history), &labels),
        history_logloss: logloss(&of(|t| t.history), &labels),
    })
}

/// Amounts in minor units as whole major units ("1 200").
fn major(minor: i64) -> String {
    let digits = (minor / 100).to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) && c != '-' {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// The named parts: disputed or not, each customer segment, and thirds by amount.
fn subsets(tested: &[Tested<'_>], segment_of: &dyn Fn(&str) -> Option<String>) -> Vec<Subset> {
    let mut out = Vec::new();
    out.extend(subset("not disputed".into(), tested, |t| !t.invoice.disputed));
    out.extend(subset("disputed".into(), tested, |t| t.invoice.disputed));
    let segment = |t: &Tested<'_>| segment_of(&t.invoice.customer).unwrap_or_else(|| "none (history only)".into());
    let mut segments: Vec<String> = tested.iter().map(segment).collect();
    segments.sort();
    segments.dedup();
    for s in segments {
        out.extend(subset(format!("segment {s}"), tested, |t| segment(t) == s));
    }
    let mut amounts: Vec<i64> = tested.iter().map(|t| t.invoice.amount).collect();
    amounts.sort_unstable();
    let cut = |k: usize| amounts.get(amounts.len() * k / 3).copied();
    if let (Some(a), Some(b)) = (cut(1), cut(2)) {
        if a < b {
            out.extend(subset(format!("amount under {}", major(a)), tested, |t| t.invoice.amount < a));
            out.extend(subset(format!("amount {} to under {}", major(a), major(b)), tested, |t| {
                (a..b).contains(&t.invoice.amount)
            }));
            out.extend(subset(format!("amount {} or more", major(b)), tested, |t| t.invoice.amount >= b));
        }
    }
    out
}

/// Trains on invoices issued before `from` (outcomes as known on `from`) and tests on every
/// invoice issued from `from` through `to`, with outcomes as known after `data_end`.
/// `segment_of` names a customer's segment for the parts reported.
#[allow(
    clippy::indexing_slicing,
    clippy::too_many_arguments,
    reason = "feature columns are looked up by name in the model's own feature list; rows have one value per feature; the logistic weights have an intercept"
)]
pub fn evaluate(
    history: &[HistInvoice],
    from: NaiveDate,
    to: NaiveDate,
    data_end: NaiveDate,
    late_after: i64,
    very_late_after: i64,
    segment_of: &dyn Fn(&str) -> Option<String>,
) -> Result<Evaluation, crate::MlError> {
    let rows = at_issue(history, late_after);
    let model = Model::train_on(history, &rows, from, late_after, very_late_after)?;
    let known_on = data_end + Duration::days(1);
    let mean_late = index_of("prior_mean_days_late").unwrap_or(2);
    let mut tested = Vec::new();
    let mut unknown = 0;
    let mut very = (vec![], vec![], vec![], vec![]);
    let mut days = (vec![], vec![], vec![], vec![]);
    for (i, h) in history.iter().enumerate().filter(|(_, h)| h.invoice_date >= from && h.invoice_date <= to) {
        let o = observed(h, known_on, late_after, very_late_after);
        let r = rows.row(i);
        let s = model.score_row(r);
        match o.late {
            // The customer's history as a probability: late share with two pseudo-invoices at the
            // training rate, so a customer without history gets the training rate.
            Some(late) => tested.push(Tested {
                chosen: s.p_late,
                trees: sigmoid(model.late.raw(r)),
                logistic: model.logistic.predict(r),
                history: history_p(r, model.choice.history_rate),
                late,
                invoice: h,
            }),
            None => unknown += 1,
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
    if tested.is_empty() {
        return Err(crate::MlError::Data(format!("no invoice issued between {from} and {to} has a known outcome yet")));
    }
    let labels: Vec<bool> = tested.iter().map(|t| t.late).collect();
    let column = |f: fn(&Tested<'_>) -> f64| tested.iter().map(f).collect::<Vec<f64>>();
    let (p_trees, p_logistic, p_history) = (column(|t| t.trees), column(|t| t.logistic), column(|t| t.history));
    let p_chosen = column(|t| t.chosen);
    let rate = labels.iter().filter(|l| **l).count() as f64 / labels.len() as f64;
    let figures = |name: &str, p: &[f64], mae_days: f64, very_late: Option<f64>| Figures {
        name: name.into(),
        auc: auc(p, &labels),
        logloss: logloss(p, &labels),
        mae_days,
        auc_very_late: very_late,
    };
    let constant = vec![model.late_rate; labels.len()];
    let mut warnings = Vec::new();
    if model.training_invoices < FEW_TRAINING_INVOICES {
        warnings.push(format!(
            "trained on only {} invoices with a known outcome (a few hundred are needed): the figures are uncertain and the model may do no better than the customer's history",
            model.training_invoices
        ));
    }
    if tested.len() < FEW_TEST_INVOICES {
        warnings.push(format!("tested on only {} invoices: the figures are uncertain", tested.len()));
    }
    Ok(Evaluation {
        trained_until: from,
        test_to: to,
        late_after_days: late_after,
        very_late_after_days: very_late_after,
        train_invoices: model.training_invoices,
        censored_train: model.censored,
        disputed_train: model.disputed_left_out,
        test_invoices: tested.len(),
        disputed_test: tested.iter().filter(|t| t.invoice.disputed).count(),
        unknown_test: unknown,
        late_rate: rate,
        chosen: figures(
            &format!("chosen: {}", model.choice.candidate.label()),
            &p_chosen,
            mae(&days.0, &days.3),
            auc(&very.0, &very.3),
        ),
        choice: model.choice.clone(),
        trees: figures("gradient-boosted trees", &p_trees, mae(&days.0, &days.3), auc(&very.0, &very.3)),
        logistic: figures("logistic regression", &p_logistic, f64::NAN, None),
        customer_history: figures("customer's history alone", &p_history, mae(&days.1, &days.3), auc(&very.2, &very.3)),
        always_on_time: figures("always on time", &constant, mae(&days.2, &days.3), auc(&very.1, &very.3)),
        calibration: calibration(&p_chosen, &labels),
        subsets: subsets(&tested, segment_of),
        warnings,
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
        let e = evaluate(&h, d("2023-06-01"), d("2023-12-31"), d("2024-06-01"), 10, 30, &|_| None).unwrap();
        let auc = e.trees.auc.unwrap();
        // A late-type customer pays late 80 % of the time and an on-time type 10 %: knowing the
        // type perfectly gives an AUC of 0.85, and the customer's own history nearly reaches it.
        assert!(auc > 0.84, "{e:?}");
        // What the runs use is at least the customer's own history in log loss. Both rank at
        // about the best possible here (the credit score tells the type exactly, so the trees'
        // probabilities tie within a type, and the history's noise breaks those ties at random):
        // their AUCs differ by the test's sampling noise only.
        let (c, hist) = (&e.chosen, &e.customer_history);
        assert!(c.logloss <= hist.logloss && hist.auc.unwrap() > 0.84, "{e:?}");
        assert!(c.auc.unwrap() > hist.auc.unwrap() - 0.015, "{e:?}");
        assert_eq!(e.always_on_time.auc, Some(0.5));
        assert!(e.trees.logloss < e.always_on_time.logloss && c.logloss < e.always_on_time.logloss, "{e:?}");
        assert!(e.trees.mae_days < e.always_on_time.mae_days, "{e:?}");
        assert!(e.logistic.auc.unwrap() > 0.8, "{e:?}");
        crate::model::tests::assert_planted_factors_first(&e.importance);
        // Calibrated: in each well-filled bin the observed rate is near the predicted one.
        for b in e.calibration.iter().filter(|b| b.count > 200) {
            assert!((b.observed - b.predicted).abs() < 0.12, "{b:?}");
        }
    }

    #[test]
    fn every_invoice_is_tested_disputed_or_not_and_unknown_outcomes_are_counted() {
        let mut h = planted();
        let (from, end) = (d("2023-06-01"), d("2023-12-31"));
        // Every seventh invoice disputed, before the cut-off and after it; the invoices due in
        // the ten days before the cut-off still unpaid on it (their outcome is not known then),
        // and those due in the last ten days unpaid at the end of the data.
        for (k, x) in h.iter_mut().enumerate() {
            x.disputed = k % 7 == 0;
            let unknown_at = |cut: NaiveDate| x.due_date < cut && x.due_date >= cut - Duration::days(10);
            if unknown_at(from) || (x.invoice_date <= end && unknown_at(end + Duration::days(1))) {
                x.paid_date = None;
            }
        }
        let in_window = |x: &HistInvoice| x.invoice_date >= from && x.invoice_date <= end;
        // Known on a day: more than ten days after due the day before (paid or not).
        let known_on = |x: &HistInvoice, day: NaiveDate| (day - x.due_date).num_days() - 1 > 10;
        let unknown =
            |x: &HistInvoice| !known_on(x, if x.invoice_date < from { from } else { end + Duration::days(1) });
        let segment = |c: &str| Some(if c.ends_with('1') { "VIP" } else { "Normal" }.to_string());
        let e = evaluate(&h, from, end, end, 10, 30, &segment).unwrap();
        let tested: Vec<&HistInvoice> = h.iter().filter(|x| in_window(x) && !unknown(x)).collect();
        assert_eq!(e.test_invoices, tested.len(), "{e:?}");
        assert_eq!(e.disputed_test, tested.iter().filter(|x| x.disputed).count());
        assert!(e.disputed_test > 100);
        assert_eq!(e.unknown_test, h.iter().filter(|x| in_window(x) && unknown(x)).count());
        assert!(e.unknown_test > 0);
        let before = |x: &HistInvoice| x.invoice_date < from;
        assert_eq!(e.disputed_train, h.iter().filter(|x| before(x) && x.disputed).count());
        assert_eq!(e.censored_train, h.iter().filter(|x| before(x) && !x.disputed && unknown(x)).count());
        assert!(e.censored_train > 0);
        assert_eq!(e.train_invoices, h.iter().filter(|x| before(x) && !x.disputed && !unknown(x)).count());
        // The parts: disputed or not, each segment, thirds by amount; each adds up to the whole.
        let part = |n: &str| e.subsets.iter().find(|s| s.name == n).unwrap_or_else(|| panic!("{n} in {e:?}"));
        assert_eq!(part("not disputed").invoices + part("disputed").invoices, e.test_invoices);
        assert_eq!(part("segment VIP").invoices + part("segment Normal").invoices, e.test_invoices);
        let thirds: Vec<&Subset> = e.subsets.iter().filter(|s| s.name.starts_with("amount")).collect();
        assert_eq!(thirds.len(), 3, "{thirds:?}");
        assert_eq!(thirds.iter().map(|s| s.invoices).sum::<usize>(), e.test_invoices);
        assert!(thirds.iter().all(|s| s.invoices * 4 > e.test_invoices), "{thirds:?}");
        assert!(part("not disputed").auc.unwrap() > 0.8, "{e:?}");
        assert!(e.warnings.is_empty(), "{:?}", e.warnings);
    }

    /// 300 customers invoiced monthly for two years; each invoice paid `delay(customer, amount
    /// share, draw)` days after due. No credit scores.
    fn world(delay: impl Fn(usize, f64, f64) -> f64) -> Vec<HistInvoice> {
        let start = d("2022-01-01");
        let mut seed = 5u64;
        let mut rnd = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as f64 / (1u64 << 31) as f64
        };
        let mut h = Vec::new();
        for c in 0..300 {
            for m in 0..24 {
                let issued = start + Duration::days(30 * m + (c % 28) as i64);
                let due = issued + Duration::days(30);
                let size = rnd();
                let late = delay(c, size, rnd()).round() as i64;
                h.push(HistInvoice {
                    customer: format!("c{c}"),
                    invoice: format!("{c}-{m}"),
                    invoice_date: issued,
                    due_date: due,
                    amount: 100_00 + (size * 9_900_00.0) as i64,
                    paid_date: Some(due + Duration::days(late)),
                    disputed: false,
                    channel: None,
                    credit_score: None,
                    extra: vec![],
                });
            }
        }
        h
    }

    /// The chosen model is never below the customer's history, on ranking or on probabilities,
    /// at any lateness threshold: where the signal lives only in the history, and where it
    /// lives only in another feature (the amount), where the choice must then clearly win.
    #[test]
    fn the_chosen_model_is_never_worse_than_the_history_rule() {
        // Each customer's habit (from 2 days early to 30 late), ± 6 days.
        let habit = world(|c, _, r| [-2.0, 3.0, 8.0, 15.0, 30.0][c % 5] + 12.0 * r - 6.0);
        // No habits: larger invoices are paid later, ± 6 days.
        let amount = world(|_, size, r| -4.0 + 30.0 * size + 12.0 * r - 6.0);
        for (name, h) in [("habit", &habit), ("amount", &amount)] {
            for late_after in [0, 5, 10, 20] {
                let e = evaluate(
                    h,
                    d("2023-06-01"),
                    d("2023-12-31"),
                    d("2024-06-01"),
                    late_after,
                    late_after + 20,
                    &|_| None,
                )
                .unwrap();
                let (c, hist) = (&e.chosen, &e.customer_history);
                let say = format!("{name}, late after {late_after}: {c:?} against {hist:?}, {}", e.choice.why);
                assert!(c.auc.unwrap() >= hist.auc.unwrap() && c.logloss <= hist.logloss, "{say}");
                if name == "amount" {
                    assert!(c.auc.unwrap() > hist.auc.unwrap() + 0.1, "{say}");
                }
            }
        }
    }

    #[test]
    fn little_training_data_is_warned_about() {
        let h: Vec<HistInvoice> = planted().into_iter().filter(|x| x.customer.len() == 2).collect();
        let e = evaluate(&h, d("2023-06-01"), d("2023-12-31"), d("2024-06-01"), 10, 30, &|_| None).unwrap();
        assert!(e.train_invoices < FEW_TRAINING_INVOICES, "{}", e.train_invoices);
        assert!(e.warnings.iter().any(|w| w.contains("a few hundred")), "{:?}", e.warnings);
        assert!(e.warnings.iter().any(|w| w.contains(&format!("tested on only {}", e.test_invoices))));
    }

    #[test]
    fn amounts_read_as_whole_units() {
        assert_eq!(major(123_456_789), "1 234 567");
        assert_eq!(major(99), "0");
        assert_eq!(major(100_000), "1 000");
    }

    #[test]
    fn no_known_outcome_in_the_test_window_is_a_clear_error() {
        let h = planted();
        let e = evaluate(&h, d("2023-06-01"), d("2023-06-02"), d("2023-06-02"), 10, 30, &|_| None).unwrap_err();
        assert!(e.to_string().contains("no invoice issued between"), "{e}");
    }
}
