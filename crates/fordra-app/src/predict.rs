//! What the payment-behaviour model says, attached to the run's state before the core decides:
//! every customer's P(late) where the segmentation uses it, and each invoice's in its nudge
//! window. The model is scored here, in the application layer, so the store only loads and the
//! core only decides.

use crate::Result;
use chrono::{Duration, NaiveDate};
use fordra_core::domain::Segment;
use fordra_core::history::{merge, HistInvoice};
use fordra_core::run::Creditor;
use fordra_core::segment::Predicted;
use fordra_ml::explain;
use fordra_ml::features::{snapshot_of, Parts, Rows, Snapshot};
use fordra_ml::model::Model;
use fordra_store::{RunState, Store};
use std::collections::HashMap;

/// How many of the strongest reasons a segment change or a nudge names.
const REASONS: usize = 3;

/// The creditor's payment history: imported AR exports merged with the claims Fordra handled.
pub fn history(store: &mut Store, creditor: &str) -> Result<Vec<HistInvoice>> {
    let imported = store.imported_history(creditor)?;
    let handled = store.handled_claims(creditor)?;
    Ok(merge(imported, handled))
}

/// Fills in what the model says where the policy uses it. Reasons in words are computed only
/// where they will be shown (a customer that may become Risk, an invoice to nudge), or for
/// every customer when `explain_all`.
pub fn attach(
    store: &mut Store,
    creditor: &Creditor,
    state: &mut RunState,
    as_of: NaiveDate,
    explain_all: bool,
) -> Result<()> {
    let policy = &creditor.policy;
    let threshold = policy.segmentation.predicted_late.and_then(|t| t.to_string().parse::<f64>().ok());
    let nudge =
        policy.nudge.as_ref().map(|n| (n.days_before_due, n.min_p_late.to_string().parse::<f64>().unwrap_or(1.0)));
    if threshold.is_none() && nudge.is_none() {
        return Ok(());
    }
    let Some(model) = store.model(&creditor.id, None)? else {
        state.notes.push(
            "the policy uses the payment-behaviour model, but none is trained (its rules were left out until one is)"
                .into(),
        );
        return Ok(());
    };
    let history = history(store, &creditor.id)?;
    let scores: HashMap<&str, f64> =
        state.customers.iter().filter_map(|c| c.credit_score.map(|s| (c.id.as_str(), f64::from(s)))).collect();
    let want = Parts { open: nudge.is_some(), customers: threshold.is_some() };
    let snap = snapshot_of(&history, as_of, model.late_after_days, &|c| scores.get(c).copied(), want);
    let scoring = Scoring { model: &model, label: format!("model v{}", model.version) };
    if let Some(threshold) = threshold {
        scoring.customers(state, &snap, threshold, explain_all);
    }
    if let Some((days, min)) = nudge {
        scoring.invoices(state, &snap, &history, as_of, (days, min));
    }
    Ok(())
}

struct Scoring<'a> {
    model: &'a Model,
    label: String,
}

impl Scoring<'_> {
    fn predicted(&self, p_late: f64, reasons: Vec<String>) -> Option<Box<Predicted>> {
        Some(Box::new(Predicted {
            p_late,
            late_after_days: self.model.late_after_days,
            model: self.label.clone(),
            reasons,
        }))
    }

    fn reasons(&self, rows: &Rows, idx: &[usize]) -> Vec<Vec<String>> {
        explain::rows(self.model, &rows.select(idx)).iter().map(|e| e.reasons(REASONS)).collect()
    }

    /// Every customer's P(late), with reasons for those the rule may move to Risk.
    fn customers(&self, state: &mut RunState, snap: &Snapshot, threshold: f64, explain_all: bool) {
        let at: HashMap<String, usize> = state.customers.iter().enumerate().map(|(i, c)| (c.id.clone(), i)).collect();
        // (snapshot row, customer) of those whose reasons will be shown.
        let mut explain: Vec<(usize, usize)> = Vec::new();
        for (k, (id, s)) in snap.customers.iter().zip(self.model.score(&snap.customer_rows)).enumerate() {
            let Some(i) = at.get(id).copied() else { continue };
            if let Some(c) = state.customers.get_mut(i) {
                if explain_all || (s.p_late >= threshold && c.segment != Some(Segment::Risk)) {
                    explain.push((k, i));
                }
                c.predicted = self.predicted(s.p_late, vec![]);
            }
        }
        let rows: Vec<usize> = explain.iter().map(|(k, _)| *k).collect();
        for ((_, i), reasons) in explain.iter().zip(self.reasons(&snap.customer_rows, &rows)) {
            if let Some(p) = state.customers.get_mut(*i).and_then(|c| c.predicted.as_mut()) {
                p.reasons = reasons;
            }
        }
    }

    /// The P(late) of each open invoice in its nudge window (`days` before due), with reasons
    /// for those at or above `min`.
    fn invoices(
        &self,
        state: &mut RunState,
        snap: &Snapshot,
        history: &[HistInvoice],
        as_of: NaiveDate,
        (days, min): (i64, f64),
    ) {
        let claims: HashMap<&str, usize> = state.claims.iter().enumerate().map(|(i, c)| (c.id.as_str(), i)).collect();
        // (row in the snapshot, claim index) of every invoice in its window.
        let window: Vec<(usize, usize)> = snap
            .open
            .iter()
            .enumerate()
            .filter_map(|(k, t)| {
                let h = history.get(*t)?;
                let in_window = h.due_date > as_of && h.due_date - Duration::days(days) <= as_of;
                in_window.then(|| claims.get(h.invoice.as_str()).map(|i| (k, *i))).flatten()
            })
            .collect();
        let rows = snap.open_rows.select(&window.iter().map(|(k, _)| *k).collect::<Vec<_>>());
        let scored = self.model.score(&rows);
        let hot: Vec<usize> = scored.iter().enumerate().filter(|(_, s)| s.p_late >= min).map(|(k, _)| k).collect();
        let mut reasons = vec![Vec::new(); window.len()];
        for (k, r) in hot.iter().zip(self.reasons(&rows, &hot)) {
            if let Some(slot) = reasons.get_mut(*k) {
                *slot = r;
            }
        }
        for (((_, i), s), r) in window.iter().zip(&scored).zip(reasons) {
            if let Some(claim) = state.claims.get_mut(*i) {
                claim.predicted = self.predicted(s.p_late, r);
            }
        }
    }
}
