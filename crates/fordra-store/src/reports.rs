//! What the reports read: every claim with its balances and steps as of a date.

use crate::{ReadRow, Result, Store};
use chrono::NaiveDate;
use fordra_core::domain::{DebtorKind, Segment};
use rustc_hash::FxHashMap as HashMap;

pub use fordra_core::report::ClaimFacts as ReportClaim;

/// A customer id with its current segment and kind, for reports.
pub type SegmentedCustomer = (String, Option<Segment>, DebtorKind);

impl Store {
    /// Every claim with its balances and steps as of `as_of`, and every customer's segment.
    pub fn report_data(
        &mut self,
        creditor: &str,
        as_of: NaiveDate,
    ) -> Result<(Vec<SegmentedCustomer>, Vec<ReportClaim>)> {
        let customers = self
            .db
            .query("SELECT id, segment, kind FROM customers WHERE creditor_id = $1 ORDER BY id", &[creditor.into()])?
            .iter()
            .map(|r| Ok((r.text("id")?, r.opt("segment")?, r.get("kind")?)))
            .collect::<Result<Vec<_>>>()?;
        let mut claims = Vec::new();
        let mut idx = HashMap::default();
        for r in self.db.query(
            "SELECT id, customer_id, issue_date, due_date, principal, settled_date, currency FROM claims WHERE creditor_id = $1 AND issue_date <= $2 ORDER BY id",
            &[creditor.into(), as_of.into()],
        )? {
            idx.insert(r.text("id")?, claims.len());
            claims.push(ReportClaim {
                id: r.text("id")?,
                customer_id: r.text("customer_id")?,
                issue_date: r.date("issue_date")?,
                due_date: r.date("due_date")?,
                currency: r.get("currency")?,
                principal: r.int("principal")?,
                settled_date: r.opt_date("settled_date")?.filter(|d| *d <= as_of),
                open: 0,
                fees: 0,
                interest: 0,
                steps: std::collections::HashMap::new(),
            });
        }
        for r in self.db.query("SELECT claim_id, kind, component, CAST(SUM(amount) AS BIGINT) AS total FROM ledger WHERE creditor_id = $1 AND date <= $2 GROUP BY claim_id, kind, component", &[creditor.into(), as_of.into()])? {
            let Some(c) = idx.get(r.str("claim_id")?).and_then(|i| claims.get_mut(*i)) else { continue };
            let amount = r.int("total")?;
            if r.opt_str("component")?.is_some() {
                c.open += amount;
            }
            let kind = r.str("kind")?;
            if kind.starts_with("fee:") {
                c.fees += amount;
            } else if kind == "interest" {
                c.interest += amount;
            }
        }
        for r in self.db.query(
            "SELECT claim_id, kind, COUNT(*) AS n FROM actions WHERE creditor_id = $1 AND skipped = 0 AND reverted IS NULL AND date <= $2 GROUP BY claim_id, kind",
            &[creditor.into(), as_of.into()],
        )? {
            if let Some(c) = idx.get(r.str("claim_id")?).and_then(|i| claims.get_mut(*i)) {
                c.steps.insert(r.text("kind")?, r.int("n")?);
            }
        }
        Ok((customers, claims))
    }
}
