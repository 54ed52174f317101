//! What the reports read: every claim with its balances and steps as of a date.

use crate::{parse, Result, RowExt, Store};
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
            .map(|r| Ok((r.t(0), r.ot(1).map(|s| parse(&s)).transpose()?, parse(&r.t(2))?)))
            .collect::<Result<Vec<_>>>()?;
        let mut claims = Vec::new();
        let mut idx = HashMap::default();
        for r in self.db.query(
            "SELECT id, customer_id, issue_date, due_date, principal, settled_date, currency FROM claims WHERE creditor_id = $1 AND issue_date <= $2 ORDER BY id",
            &[creditor.into(), as_of.into()],
        )? {
            idx.insert(r.t(0), claims.len());
            claims.push(ReportClaim {
                id: r.t(0),
                customer_id: r.t(1),
                issue_date: r.date(2),
                due_date: r.date(3),
                currency: parse(&r.t(6))?,
                principal: r.i(4),
                settled_date: r.odate(5).filter(|d| *d <= as_of),
                open: 0,
                fees: 0,
                interest: 0,
                steps: std::collections::HashMap::new(),
            });
        }
        for r in self.db.query("SELECT claim_id, kind, component, CAST(SUM(amount) AS BIGINT) FROM ledger WHERE creditor_id = $1 AND date <= $2 GROUP BY claim_id, kind, component", &[creditor.into(), as_of.into()])? {
            let Some(i) = idx.get(&r.t(0)) else { continue };
            let c = &mut claims[*i];
            let amount = r.i(3);
            if r.ot(2).is_some() {
                c.open += amount;
            }
            let kind = r.t(1);
            if kind.starts_with("fee:") {
                c.fees += amount;
            } else if kind == "interest" {
                c.interest += amount;
            }
        }
        for r in self.db.query(
            "SELECT claim_id, kind, COUNT(*) FROM actions WHERE creditor_id = $1 AND skipped = 0 AND reverted IS NULL AND date <= $2 GROUP BY claim_id, kind",
            &[creditor.into(), as_of.into()],
        )? {
            if let Some(i) = idx.get(&r.t(0)) {
                claims[*i].steps.insert(r.t(1), r.i(2));
            }
        }
        Ok((customers, claims))
    }
}
