//! The contact policy's use cases: what earlier reminders taught (read before each run) and the
//! report that measures the policy against the handling model's own channel.

use crate::{App, AppError, CreditorId, Result};
use chrono::{Duration, NaiveDate};
use fordra_core::contact::{contact_report, ContactPolicy, ContactReport, Learned};
use fordra_core::run::Creditor;
use fordra_core::strategy::Costs;
use fordra_store::Store;
use serde::Serialize;

/// How far back a run reads earlier reminders: a year is enough to learn from and keeps the
/// read bounded.
const LOOK_BACK_DAYS: i64 = 365;

/// What the contact policy has learnt by `date`: every reminder it decided (choices and the
/// champion share) whose window had passed by then, per debtor group and per debtor. Nothing
/// when the creditor has no contact policy.
pub(crate) fn learned(s: &mut Store, creditor: &Creditor, date: NaiveDate) -> Result<Learned> {
    let mut out = Learned::default();
    let Some(p) = creditor.policy.contact.as_ref().filter(|p| p.from <= date) else { return Ok(out) };
    let through = date - Duration::days(p.window_days);
    let from = p.from.max(date - Duration::days(LOOK_BACK_DAYS));
    if through < from {
        return Ok(out);
    }
    // Only reminders whose window has passed: a recent one that was paid is known, one that was
    // not is not yet a failure, and counting only the first would flatter the recent choices.
    // A message that did not reach the debtor (bounced, failed, or unopened and sent again as a
    // letter) counts against its option (the channel does not reach them), not against its
    // wording or day, which they never saw.
    for s in s.contact_sends(&creditor.id, from, through, date, p.window_days)? {
        let group = (s.segment, s.kind, s.band);
        out.add(&s.customer, group, s.option, s.worked());
        if let Some(w) = &s.wording {
            out.add_wording(&s.customer, group, w, s.paid_in_window);
        }
        if let Some(d) = &s.day {
            out.add_day(&s.customer, group, s.option.channel, d, s.paid_in_window);
        }
    }
    Ok(out)
}

/// The contact policy report asked for.
#[derive(Clone, Debug)]
pub struct ContactReportInput {
    /// What is known.
    pub date: NaiveDate,
    /// Days a reminder is followed.
    pub horizon: i64,
    /// Costs to weigh (none: the policy's own).
    pub costs: crate::strategy::CostInput,
}

/// The report with the policy it measures.
#[derive(Clone, Debug, Serialize)]
pub struct ContactReportOut {
    /// The policy.
    pub policy: ContactPolicy,
    /// Its options.
    pub options: Vec<String>,
    /// The creditor's currency.
    pub currency: &'static str,
    /// The figures.
    pub report: ContactReport,
}

impl App<'_> {
    /// The contact policy against the champion share: each claim's first reminder under it whose
    /// horizon has passed, with intervals.
    pub fn contact_report(&mut self, creditor: &CreditorId, input: &ContactReportInput) -> Result<ContactReportOut> {
        fordra_core::limits::days("--horizon", input.horizon, 1, 365)?;
        let c = self.store.creditor(creditor)?;
        let policy = c.policy.contact.clone().ok_or_else(|| {
            AppError::invalid(
                "",
                "no contact policy: add [contact] with from = \"YYYY-MM-DD\" to the creditor's policy",
            )
        })?;
        let costs = input.costs.over(policy.costs(Costs::default_for(c.currency)))?;
        let mut sends = self.store.contact_sends(creditor, policy.from, input.date, input.date, policy.window_days)?;
        // Each claim's first reminder: later ones would count one claim's outcome twice.
        let mut seen = std::collections::HashSet::new();
        sends.retain(|s| seen.insert(s.claim.clone()));
        self.store.follow_contact_sends(creditor, &mut sends, input.date, input.horizon)?;
        let report = contact_report(&sends, &costs, policy.window_days, input.horizon, input.date);
        let options = policy.options().iter().map(|o| o.label()).collect();
        Ok(ContactReportOut { policy, options, currency: c.currency.code(), report })
    }
}
