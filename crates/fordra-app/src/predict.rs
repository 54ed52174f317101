//! What the payment-behaviour model says, attached to the run's state before the core decides:
//! every customer's P(late) where the segmentation uses it, and each invoice's in its nudge
//! window. The model is scored here, in the application layer, so the store only loads and the
//! core only decides.

use crate::Result;
use chrono::{Duration, NaiveDate};
use fordra_core::domain::Segment;
use fordra_core::history::{merge, merge_padded, HistInvoice};
use fordra_core::run::{Creditor, CustomerState};
use fordra_core::segment::Predicted;
use fordra_ml::explain;
use fordra_ml::features::{snapshot_of, Parts, Rows, Snapshot};
use fordra_ml::model::Model;
use fordra_store::{KeptScore, RunState, Store};
use std::collections::{HashMap, HashSet};

/// How many of the strongest reasons a segment change or a nudge names.
const REASONS: usize = 3;

/// The creditor's payment history: imported AR exports merged with the claims Fordra handled.
pub fn history(store: &mut Store, creditor: &str) -> Result<Vec<HistInvoice>> {
    let imported = store.imported_history(creditor)?;
    let handled = store.handled_claims(creditor)?;
    Ok(merge(imported, handled))
}

/// The payment history of some customers only (each customer's features read only their own
/// invoices, so theirs are the same as in the whole history).
pub fn history_of(store: &mut Store, creditor: &str, customers: &[String]) -> Result<Vec<HistInvoice>> {
    let width = store.history_extra_width(creditor)?;
    let imported = store.imported_history_of(creditor, Some(customers))?;
    let handled = store.handled_claims_of(creditor, Some(customers))?;
    Ok(merge_padded(imported, handled, width))
}

/// Whose history a run reads: every customer's, or a part small enough that reading it by
/// customer is cheaper than reading it all.
fn history_for(
    store: &mut Store,
    creditor: &str,
    need: &HashSet<String>,
    customers: usize,
) -> Result<Vec<HistInvoice>> {
    if need.len() <= 1000 || need.len() * 3 <= customers {
        let mut ids: Vec<String> = need.iter().cloned().collect();
        ids.sort();
        history_of(store, creditor, &ids)
    } else {
        history(store, creditor)
    }
}

/// Fills in what the model says where the policy uses it. Reasons in words are computed only
/// where they will be shown (a customer that may become Risk, an invoice to nudge), or for
/// every customer when `explain_all`.
///
/// Customers' scores are kept from run to run (`Store::kept_scores`): only customers whose
/// history changed, and those with an invoice in the nudge window, have their history read and
/// their features computed again; the others' kept score is what computing it afresh would give.
/// `explain_all` (a customer's page) neither reads nor keeps them.
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
    let keep = !explain_all;
    let (mut kept, mut kept_reasons) = (HashMap::new(), HashMap::new());
    if keep {
        match store.kept_scores_day(&creditor.id)? {
            Some((v, day)) if v == model.version && day <= as_of => {
                kept = store.kept_scores(&creditor.id, day, as_of)?;
                if nudge.is_some() {
                    kept_reasons = store.kept_invoice_reasons(&creditor.id)?;
                }
            }
            Some(_) => store.forget_kept_scores(&creditor.id)?,
            None => {}
        }
    }
    // The customers whose history is read: those without a kept score (or whose kept score will
    // be shown without its reasons), and those with an invoice in the nudge window.
    let mut need: HashSet<String> = HashSet::new();
    if let Some(t) = threshold {
        let unread = |c: &CustomerState| match kept.get(&c.id) {
            None => true,
            Some(k) => k.reasons.is_none() && k.p_late.is_some_and(|p| p >= t) && c.segment != Some(Segment::Risk),
        };
        need.extend(state.customers.iter().filter(|c| unread(c)).map(|c| c.id.clone()));
    }
    if let Some((days, _)) = nudge {
        need.extend(store.customers_due_between(
            &creditor.id,
            as_of + Duration::days(1),
            as_of + Duration::days(days),
        )?);
    }
    let history = history_for(store, &creditor.id, &need, state.customers.len())?;
    let scores: HashMap<&str, f64> =
        state.customers.iter().filter_map(|c| c.credit_score.map(|s| (c.id.as_str(), f64::from(s)))).collect();
    let want = Parts { open: nudge.is_some(), customers: threshold.is_some() };
    let snap = snapshot_of(&history, as_of, model.late_after_days, &|c| scores.get(c).copied(), want);
    // The label names the candidate the model chose for P(late), so a reason says which.
    let label = format!("model v{} ({})", model.version, model.choice.candidate.short());
    let scoring = Scoring { model: &model, label };
    let mut scored = Vec::new();
    if let Some(threshold) = threshold {
        let fresh = scoring.customers(state, &snap, threshold, explain_all, &kept);
        // Every customer of the run whose history was read: their score now, or that they have
        // none yet.
        scored = state
            .customers
            .iter()
            .filter(|c| need.contains(&c.id))
            .map(|c| (c.id.clone(), fresh.get(&c.id).cloned().unwrap_or(KeptScore { p_late: None, reasons: None })))
            .collect();
    }
    let mut reasons = Vec::new();
    if let Some((days, min)) = nudge {
        reasons = scoring.invoices(state, &snap, &history, as_of, (days, min), &kept_reasons);
    }
    if keep {
        store.keep_scores(&creditor.id, model.version, as_of, &scored)?;
        store.keep_invoice_reasons(&creditor.id, &reasons)?;
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

    /// Every customer's P(late), with reasons for those the rule may move to Risk: computed for
    /// the customers in the snapshot, kept for the others. Returns the scores computed now.
    fn customers(
        &self,
        state: &mut RunState,
        snap: &Snapshot,
        threshold: f64,
        explain_all: bool,
        kept: &HashMap<String, KeptScore>,
    ) -> HashMap<String, KeptScore> {
        let at: HashMap<&str, usize> = snap.customers.iter().enumerate().map(|(k, id)| (id.as_str(), k)).collect();
        let p_late = self.model.score(&snap.customer_rows);
        // (snapshot row, customer) of those whose reasons will be shown and are not kept.
        let mut explain: Vec<(usize, usize)> = Vec::new();
        let mut fresh: HashMap<String, KeptScore> = HashMap::new();
        for (i, c) in state.customers.iter_mut().enumerate() {
            let (p, reasons) = match at.get(c.id.as_str()) {
                Some(k) => {
                    let p = p_late.get(*k).map(|s| s.p_late);
                    fresh.insert(c.id.clone(), KeptScore { p_late: p, reasons: None });
                    (p, None)
                }
                None => match kept.get(&c.id) {
                    Some(k) => (k.p_late, k.reasons.clone()),
                    None => (None, None),
                },
            };
            let Some(p) = p else { continue };
            let shown = explain_all || (p >= threshold && c.segment != Some(Segment::Risk));
            if shown && reasons.is_none() {
                if let Some(k) = at.get(c.id.as_str()) {
                    explain.push((*k, i));
                }
            }
            c.predicted = self.predicted(p, if shown { reasons.unwrap_or_default() } else { vec![] });
        }
        let rows: Vec<usize> = explain.iter().map(|(k, _)| *k).collect();
        for ((_, i), reasons) in explain.iter().zip(self.reasons(&snap.customer_rows, &rows)) {
            if let Some(c) = state.customers.get_mut(*i) {
                if let Some(f) = fresh.get_mut(&c.id) {
                    f.reasons = Some(reasons.clone());
                }
                if let Some(p) = c.predicted.as_mut() {
                    p.reasons = reasons;
                }
            }
        }
        fresh
    }

    /// The P(late) of each open invoice in its nudge window (`days` before due), with reasons
    /// for those at or above `min` (`kept` ones by claim, the others computed and returned as
    /// (customer, claim, reasons)).
    fn invoices(
        &self,
        state: &mut RunState,
        snap: &Snapshot,
        history: &[HistInvoice],
        as_of: NaiveDate,
        (days, min): (i64, f64),
        kept: &HashMap<String, Vec<String>>,
    ) -> Vec<(String, String, Vec<String>)> {
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
        let claim_of = |k: usize| window.get(k).and_then(|(_, i)| state.claims.get(*i));
        // Reasons of the invoices at or above `min`: kept ones as they are (an invoice's row
        // is as known on its invoice date), the others computed and returned to be kept.
        let mut reasons = vec![Vec::new(); window.len()];
        let mut explain: Vec<usize> = Vec::new();
        for (k, _) in scored.iter().enumerate().filter(|(_, s)| s.p_late >= min) {
            match (claim_of(k).and_then(|c| kept.get(&c.id)), reasons.get_mut(k)) {
                (Some(r), Some(slot)) => *slot = r.clone(),
                _ => explain.push(k),
            }
        }
        let mut fresh = Vec::new();
        for (k, r) in explain.iter().zip(self.reasons(&rows, &explain)) {
            if let Some(c) = claim_of(*k) {
                let customer = state.customers.get(c.customer).map(|u| u.id.clone()).unwrap_or_default();
                fresh.push((customer, c.id.clone(), r.clone()));
            }
            if let Some(slot) = reasons.get_mut(*k) {
                *slot = r;
            }
        }
        for (((_, i), s), r) in window.iter().zip(&scored).zip(reasons) {
            if let Some(claim) = state.claims.get_mut(*i) {
                claim.predicted = self.predicted(s.p_late, r);
            }
        }
        fresh
    }
}
