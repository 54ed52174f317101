//! Pauses: disputes, payment plans and promises that hold a claim's (or customer's) steps.

use crate::{bad, input, ReadRow, Result, Store, StoreError};
use chrono::NaiveDate;
use fordra_core::domain::{FeeKind, PauseKind};
use fordra_core::fees::{fees_for, FeeContext};
use fordra_core::law::LawBook;
use fordra_core::limits;
use fordra_core::model::FeeSpec;
use fordra_core::run::Pause;

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PauseRow {
    pub id: i64,
    pub claim_id: Option<String>,
    pub customer_id: String,
    pub pause: Pause,
}

impl Store {
    /// Pauses a claim (or all of a customer's claims when `claim` is None). A payment plan may
    /// carry the statutory plan fee (once per claim). The same pause asked for again (same
    /// claim or customer, kind, dates and reason, still open) is the one already there: nothing
    /// is added and nothing charged twice. `instalments` is a payment plan's number of
    /// instalments (the Finnish fee depends on it). Returns the pause and the fee it charged.
    #[allow(clippy::too_many_arguments)]
    pub fn add_pause(
        &mut self,
        creditor_id: &str,
        law: &LawBook,
        claim: Option<&str>,
        customer: Option<&str>,
        kind: PauseKind,
        from: NaiveDate,
        until: Option<NaiveDate>,
        reason: &str,
        plan_fee: bool,
        instalments: Option<u32>,
    ) -> Result<(i64, i64)> {
        if let Some(n) = instalments {
            limits::days("--instalments", i64::from(n), 1, 1000).map_err(input)?;
        }
        if kind != PauseKind::Dispute && until.is_none() {
            return Err(bad(format!("a {kind} needs an end date (--until)")));
        }
        if until.is_some_and(|u| u < from) {
            return Err(bad("--until is before the start date"));
        }
        limits::date("from", from).map_err(input)?;
        if let Some(u) = until {
            limits::date("until", u).map_err(input)?;
        }
        limits::text("reason", reason, limits::MAX_TEXT).map_err(input)?;
        self.write_tx(creditor_id, |s| {
            let creditor = s.creditor(creditor_id)?;
            let (claim_row, customer_id) = match (claim, customer) {
                (Some(c), _) => {
                    let row = s.claim(creditor_id, c)?;
                    let cust = row.customer_id.clone();
                    (Some(row), cust)
                }
                (None, Some(c)) => (None, s.customer(creditor_id, c)?.id),
                (None, None) => return Err(bad("name a claim or a customer")),
            };
            let same = s.db.query(
                "SELECT id, plan_fee FROM pauses WHERE creditor_id = $1 AND customer_id = $2 AND kind = $3 AND from_date = $4 AND reason = $5 AND ended_date IS NULL \
                 AND ((claim_id IS NULL AND $6 = '') OR claim_id = $6) AND ((until_date IS NULL AND $7 = '') OR until_date = $7)",
                &[
                    creditor_id.into(),
                    (&customer_id).into(),
                    kind.as_str().into(),
                    from.into(),
                    reason.into(),
                    claim.unwrap_or("").into(),
                    until.map(|u| u.to_string()).unwrap_or_default().into(),
                ],
            )?;
            let j = law.jurisdiction(creditor.jurisdiction).map_err(|e| bad(e.to_string()))?;
            let charged = |s: &mut Store, id: i64| -> Result<i64> {
                let st = s.settlement(&creditor, j, &customer_id)?;
                Ok(st.postings.iter().filter(|p| p.cause == format!("pause:{id}")).map(|p| p.amount).sum())
            };
            if let Some(r) = same.first() {
                let id = r.int("id")?;
                return Ok((id, charged(s, id)?));
            }
            let mut fee_line = None;
            if let (true, PauseKind::PaymentPlan, Some(c)) = (plan_fee, kind, &claim_row) {
                let debtor = s.customer(creditor_id, &customer_id)?.kind;
                let moves = s.moves(creditor_id, &c.id)?;
                let prior = fordra_core::run::prior_fees(&moves, &[]);
                let ctx = FeeContext {
                    law: j,
                    debtor,
                    reminder_fee_agreed: creditor.reminder_fee_agreed,
                    collector: creditor.policy.collector,
                    written: true,
                    currency: c.currency,
                    principal: c.principal,
                    due: c.due_date,
                    date: from,
                    previous_letter: None,
                    instalments,
                    prior: &prior,
                };
                fee_line = fees_for(&ctx, FeeKind::PaymentPlan, FeeSpec::Statutory).lines.into_iter().find(|l| l.kind == FeeKind::PaymentPlan);
            }
            let rows = s.db.query(
                "INSERT INTO pauses (creditor_id, claim_id, customer_id, kind, from_date, until_date, reason, plan_fee) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                &[
                    creditor_id.into(),
                    claim.into(),
                    (&customer_id).into(),
                    kind.as_str().into(),
                    from.into(),
                    until.into(),
                    reason.into(),
                    fee_line.as_ref().map(|l| crate::reconcile::fee_lines_json(std::slice::from_ref(l))).into(),
                ],
            )?;
            let id = rows.first().ok_or_else(|| StoreError::Data("the new pause has no id".into()))?.int("id")?;
            s.reconcile(&creditor, j, std::slice::from_ref(&customer_id), &format!("{kind} {id} from {from}"))?;
            s.audit(
                creditor_id,
                &format!("claim:{}", claim.unwrap_or("*")),
                &format!("pause:{kind}"),
                &format!("customer {customer_id}, from {from} until {}, reason: {reason}", until.map(|u| u.to_string()).unwrap_or_else(|| "resolved".into())),
            )?;
            Ok((id, charged(s, id)?))
        })
    }

    pub fn end_pause(&mut self, creditor: &str, id: i64, date: NaiveDate, note: &str) -> Result<()> {
        limits::date("date", date).map_err(input)?;
        limits::text("note", note, limits::MAX_TEXT).map_err(input)?;
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

    pub fn pauses(&mut self, creditor: &str) -> Result<Vec<PauseRow>> {
        self.db
            .query(
                "SELECT id, claim_id, customer_id, kind, from_date, until_date, ended_date, reason FROM pauses WHERE creditor_id = $1 ORDER BY id",
                &[creditor.into()],
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
