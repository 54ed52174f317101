//! Pauses: disputes, payment plans and promises that hold a claim's (or customer's) steps.

use crate::{ReadRow, Result, Store, StoreError};
use chrono::NaiveDate;
use fordra_core::domain::PauseKind;
use fordra_core::fees::FeeLine;
use fordra_core::run::Pause;

/// A stored pause with what it pauses.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PauseRow {
    /// Its id.
    pub id: i64,
    /// The claim paused (none: every claim of the customer).
    pub claim_id: Option<String>,
    /// The customer.
    pub customer_id: String,
    /// Kind, dates and reason.
    pub pause: Pause,
}

impl Store {
    /// The open pause with exactly these data (the same pause asked for again is that one).
    #[allow(clippy::too_many_arguments)]
    pub fn find_open_pause(
        &mut self,
        creditor: &str,
        claim: Option<&str>,
        customer: &str,
        kind: PauseKind,
        from: NaiveDate,
        until: Option<NaiveDate>,
        reason: &str,
    ) -> Result<Option<i64>> {
        let rows = self.db.query(
            "SELECT id FROM pauses WHERE creditor_id = $1 AND customer_id = $2 AND kind = $3 AND from_date = $4 AND reason = $5 AND ended_date IS NULL \
             AND ((claim_id IS NULL AND $6 = '') OR claim_id = $6) AND ((until_date IS NULL AND $7 = '') OR until_date = $7)",
            &[
                creditor.into(),
                customer.into(),
                kind.as_str().into(),
                from.into(),
                reason.into(),
                claim.unwrap_or("").into(),
                until.map(|u| u.to_string()).unwrap_or_default().into(),
            ],
        )?;
        rows.first().map(|r| r.int("id")).transpose()
    }

    /// Stores a pause (with the payment-plan fee it carries, if any) and returns its id.
    #[allow(clippy::too_many_arguments)]
    pub fn insert_pause(
        &mut self,
        creditor: &str,
        claim: Option<&str>,
        customer: &str,
        kind: PauseKind,
        from: NaiveDate,
        until: Option<NaiveDate>,
        reason: &str,
        plan_fee: Option<&FeeLine>,
    ) -> Result<i64> {
        let rows = self.db.query(
            "INSERT INTO pauses (creditor_id, claim_id, customer_id, kind, from_date, until_date, reason, plan_fee) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            &[
                creditor.into(),
                claim.into(),
                customer.into(),
                kind.as_str().into(),
                from.into(),
                until.into(),
                reason.into(),
                plan_fee.map(|l| crate::reconcile::fee_lines_json(std::slice::from_ref(l))).into(),
            ],
        )?;
        let id = rows.first().ok_or_else(|| StoreError::Data("the new pause has no id".into()))?.int("id")?;
        if kind == PauseKind::Dispute {
            self.emit(creditor, |_| {
                Ok(vec![crate::NewEvent {
                    claim: claim.map(str::to_string),
                    kind: "dispute.opened",
                    dedup: Some(format!("dispute:{id}")),
                    payload: serde_json::json!({
                        "pause": id, "claim": claim, "customer": customer, "from": from, "reason": reason
                    }),
                }])
            })?;
        }
        Ok(id)
    }

    /// Ends an open pause on `date`.
    pub fn end_pause(&mut self, creditor: &str, id: i64, date: NaiveDate, note: &str) -> Result<()> {
        self.write_tx(creditor, |s| {
            if s.db.exec(
                "UPDATE pauses SET ended_date = $1 WHERE creditor_id = $2 AND id = $3 AND ended_date IS NULL",
                &[date.into(), creditor.into(), id.into()],
            )? == 0
            {
                return Err(StoreError::NotFound { entity: "open pause", id: id.to_string() });
            }
            s.audit(creditor, &format!("pause:{id}"), "ended", &format!("{date}: {note}"))
        })
    }

    /// Every pause of the creditor, open and ended, in the order added.
    pub fn pauses(&mut self, creditor: &str) -> Result<Vec<PauseRow>> {
        self.pause_rows("creditor_id = $1", &[creditor.into()])
    }

    /// One customer's pauses (of the customer or of its claims), in the order added.
    pub fn pauses_of_customer(&mut self, creditor: &str, customer: &str) -> Result<Vec<PauseRow>> {
        self.pause_rows("creditor_id = $1 AND customer_id = $2", &[creditor.into(), customer.into()])
    }

    fn pause_rows(&mut self, sql_where: &str, params: &[crate::Val]) -> Result<Vec<PauseRow>> {
        self.db
            .query(
                &format!("SELECT id, claim_id, customer_id, kind, from_date, until_date, ended_date, reason FROM pauses WHERE {sql_where} ORDER BY id"),
                params,
            )?
            .iter()
            .map(|r| {
                Ok(PauseRow {
                    id: r.int("id")?,
                    claim_id: r.opt_text("claim_id")?,
                    customer_id: r.text("customer_id")?,
                    pause: Pause {
                        id: r.int("id")?,
                        kind: r.get("kind")?,
                        from: r.date("from_date")?,
                        until: r.opt_date("until_date")?,
                        ended: r.opt_date("ended_date")?,
                        reason: r.text("reason")?,
                    },
                })
            })
            .collect()
    }
}
