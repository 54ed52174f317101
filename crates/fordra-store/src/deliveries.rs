//! The delivery outbox: deliveries queued with the steps that decided them, taken by workers
//! under a lease, finished with each attempt recorded, cancelled with their run.

use crate::{Insert, ReadRow, Result, Row, Store, StoreError, Val};
use chrono::NaiveDate;
use fordra_core::domain::{CallOutcome, Channel, DeliveryStatus, MessageKind};
use fordra_core::outbox::PlannedDelivery;

/// A delivery as stored.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DeliveryRow {
    /// The creditor.
    pub creditor_id: String,
    /// Its key (the first step's `claim/seq`, or a confirmation's key).
    pub id: String,
    /// The debtor.
    pub customer_id: String,
    /// What it says.
    pub kind: MessageKind,
    /// How it goes.
    pub channel: Channel,
    /// The day it was decided.
    pub created: NaiveDate,
    /// The deadline it gives.
    pub deadline: Option<NaiveDate>,
    /// Where it stands.
    pub status: DeliveryStatus,
    /// Tries so far.
    pub attempts: i64,
    /// Unix seconds: not to be tried before (while `sending`: the worker's lease).
    pub not_before: i64,
    /// The last outcome in words.
    pub detail: String,
    /// The provider's id for it (a message id, a file name).
    pub provider_ref: Option<String>,
    /// The delivery this one replaces (an e-mail that bounced, sent again as a letter).
    pub fallback_of: Option<String>,
    /// A phone task's outcome.
    pub outcome: Option<CallOutcome>,
    /// Unix seconds: when a provider took it.
    pub sent_at: Option<i64>,
    /// Unix seconds: when the debtor opened the e-mail (tracked where the creditor enables it).
    pub opened_at: Option<i64>,
}

/// One try of a delivery.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct AttemptRow {
    /// The delivery.
    pub delivery_id: String,
    /// Its number (1 the first).
    pub attempt: i64,
    /// When (RFC 3339, UTC).
    pub at: String,
    /// What came of it.
    pub status: DeliveryStatus,
    /// In words.
    pub detail: String,
}

/// How a try ended, to record.
#[derive(Clone, Debug)]
pub struct Finish<'a> {
    /// The new status.
    pub status: DeliveryStatus,
    /// In words.
    pub detail: &'a str,
    /// The provider's id for it.
    pub provider_ref: Option<&'a str>,
    /// Unix seconds before which it is not tried again (a retry).
    pub not_before: i64,
    /// When (RFC 3339, UTC).
    pub at: &'a str,
    /// When, Unix seconds.
    pub sent_at: i64,
}

const COLS: &str = "creditor_id, id, customer_id, kind, channel, created, deadline, status, attempts, not_before, detail, provider_ref, fallback_of, outcome, sent_at, opened_at";

fn delivery_row(r: &Row) -> Result<DeliveryRow> {
    Ok(DeliveryRow {
        creditor_id: r.text("creditor_id")?,
        id: r.text("id")?,
        customer_id: r.text("customer_id")?,
        kind: r.get("kind")?,
        channel: r.get("channel")?,
        created: r.date("created")?,
        deadline: r.opt_date("deadline")?,
        status: r.get("status")?,
        attempts: r.int("attempts")?,
        not_before: r.int("not_before")?,
        detail: r.text("detail")?,
        provider_ref: r.opt_text("provider_ref")?,
        fallback_of: r.opt_text("fallback_of")?,
        outcome: r.opt("outcome")?,
        sent_at: r.opt_int("sent_at")?,
        opened_at: r.opt_int("opened_at")?,
    })
}

impl Store {
    /// Queues deliveries (inside the caller's transaction, with the steps that decided them).
    /// A delivery already queued under the same key is left as it is.
    pub fn queue_deliveries(
        &mut self,
        creditor: &str,
        planned: &[PlannedDelivery],
        not_before: i64,
        fallback_of: Option<&str>,
    ) -> Result<usize> {
        let rows = planned.iter().map(|d| -> Vec<Val> {
            vec![
                creditor.into(),
                (&d.id).into(),
                (&d.customer_id).into(),
                d.kind.as_str().into(),
                d.channel.as_str().into(),
                d.created.into(),
                d.deadline.into(),
                DeliveryStatus::Queued.as_str().into(),
                0i64.into(),
                not_before.into(),
                "queued".into(),
                fallback_of.into(),
            ]
        });
        let n = self.db.insert_rows(
            &Insert {
                table: "deliveries",
                columns: &[
                    "creditor_id",
                    "id",
                    "customer_id",
                    "kind",
                    "channel",
                    "created",
                    "deadline",
                    "status",
                    "attempts",
                    "not_before",
                    "detail",
                    "fallback_of",
                ],
                conflict: Some("(creditor_id, id)"),
            },
            rows.collect(),
        )?;
        let items = planned.iter().flat_map(|d| {
            d.items.iter().map(move |(claim, seq)| -> Vec<Val> {
                vec![creditor.into(), (&d.id).into(), claim.into(), seq.map(i64::from).into()]
            })
        });
        self.db.insert_rows(
            &Insert {
                table: "delivery_items",
                columns: &["creditor_id", "delivery_id", "claim_id", "seq"],
                conflict: Some("(creditor_id, delivery_id, claim_id)"),
            },
            items.collect(),
        )?;
        Ok(n as usize)
    }

    /// Takes up to `limit` deliveries due at `now` (queued, a retry whose wait is over, or one
    /// whose worker's lease ran out) for one worker: each is marked `sending` with a lease until
    /// `lease_until` and its attempt counted, and committed before anything is sent, so two
    /// workers never take the same delivery. Phone tasks wait for an advisor, not a worker.
    /// Returned as they were before being taken (a `sending` one was in doubt).
    pub fn take_deliveries(
        &mut self,
        creditor: Option<&str>,
        now: i64,
        lease_until: i64,
        limit: usize,
    ) -> Result<Vec<DeliveryRow>> {
        self.tx(|s| {
            let skip_locked = if s.db.name() == "postgres" { " FOR UPDATE SKIP LOCKED" } else { "" };
            // Parameters numbered in the order they appear (SQLite binds them positionally).
            let (only, lim) = if creditor.is_some() { (" AND creditor_id = $2", "$3") } else { ("", "$2") };
            let mut params: Vec<Val> = vec![now.into()];
            params.extend(creditor.map(Val::from));
            params.push((limit as i64).into());
            let rows = s.db.query(
                &format!(
                    "SELECT {COLS} FROM deliveries WHERE status IN ('queued', 'sending') AND not_before <= $1 AND channel <> 'phone'{only} \
                     ORDER BY not_before, creditor_id, id LIMIT {lim}{skip_locked}"
                ),
                &params,
            )?;
            let taken: Vec<DeliveryRow> = rows.iter().map(delivery_row).collect::<Result<_>>()?;
            let mut updates = taken.iter().map(|d| -> Vec<Val> {
                vec![lease_until.into(), (&d.creditor_id).into(), (&d.id).into(), d.attempts.into()]
            });
            let n = s.db.exec_many(
                "UPDATE deliveries SET status = 'sending', attempts = attempts + 1, not_before = $1 WHERE creditor_id = $2 AND id = $3 AND attempts = $4",
                &mut updates,
            )?;
            if n as usize != taken.len() {
                return Err(StoreError::Conflict("another worker took the same deliveries; try again".into()));
            }
            Ok(taken)
        })
    }

    /// The claims a delivery covers, with their step numbers.
    pub fn delivery_items(&mut self, creditor: &str, id: &str) -> Result<Vec<(String, Option<i64>)>> {
        self.db
            .query(
                "SELECT claim_id, seq FROM delivery_items WHERE creditor_id = $1 AND delivery_id = $2 ORDER BY claim_id",
                &[creditor.into(), id.into()],
            )?
            .iter()
            .map(|r| Ok((r.text("claim_id")?, r.opt_int("seq")?)))
            .collect()
    }

    /// Records how try number `attempt` of a delivery ended and sets its status. Only the
    /// worker holding the delivery (the attempt it took) may finish it.
    pub fn finish_delivery(&mut self, creditor: &str, id: &str, attempt: i64, f: &Finish<'_>) -> Result<()> {
        self.tx(|s| {
            // sent_at: when a provider took it (the try's time, for "not opened in N days").
            // Parameters numbered in the order they appear (SQLite binds them positionally).
            let sent = matches!(f.status, DeliveryStatus::Sent | DeliveryStatus::Delivered).then_some(f.sent_at);
            let n = s.db.exec(
                "UPDATE deliveries SET status = $1, detail = $2, provider_ref = COALESCE($3, provider_ref), not_before = $4, \
                 sent_at = COALESCE($5, sent_at) WHERE creditor_id = $6 AND id = $7 AND attempts = $8 AND status = 'sending'",
                &[
                    f.status.as_str().into(),
                    f.detail.into(),
                    f.provider_ref.into(),
                    f.not_before.into(),
                    sent.into(),
                    creditor.into(),
                    id.into(),
                    attempt.into(),
                ],
            )?;
            if n == 0 {
                return Err(StoreError::Conflict(format!(
                    "delivery {id} is no longer held by this worker (attempt {attempt}); its outcome is not recorded"
                )));
            }
            s.record_attempt(creditor, id, attempt, f.at, f.status, f.detail)?;
            if matches!(f.status, DeliveryStatus::Failed | DeliveryStatus::Bounced) {
                s.emit(creditor, |s| {
                    let claims: Vec<String> = s.delivery_items(creditor, id)?.into_iter().map(|(c, _)| c).collect();
                    Ok(vec![crate::NewEvent {
                        claim: claims.first().cloned(),
                        kind: "delivery.failed",
                        dedup: Some(format!("delivery:{id}:{attempt}")),
                        payload: serde_json::json!({
                            "delivery": id, "claims": claims, "status": f.status.as_str(), "detail": f.detail, "attempt": attempt
                        }),
                    }])
                })?;
            }
            Ok(())
        })
    }

    /// Gives a taken delivery back without counting the try (it waits for daytime): queued
    /// again, not before `not_before`.
    pub fn release_delivery(
        &mut self,
        creditor: &str,
        id: &str,
        attempt: i64,
        not_before: i64,
        detail: &str,
    ) -> Result<()> {
        let n = self.db.exec(
            "UPDATE deliveries SET status = 'queued', attempts = attempts - 1, not_before = $1, detail = $2 WHERE creditor_id = $3 AND id = $4 AND attempts = $5 AND status = 'sending'",
            &[not_before.into(), detail.into(), creditor.into(), id.into(), attempt.into()],
        )?;
        if n == 0 {
            return Err(StoreError::Conflict(format!("delivery {id} is no longer held by this worker")));
        }
        Ok(())
    }

    /// Appends to a delivery's attempt log.
    pub fn record_attempt(
        &mut self,
        creditor: &str,
        id: &str,
        attempt: i64,
        at: &str,
        status: DeliveryStatus,
        detail: &str,
    ) -> Result<()> {
        self.db.exec(
            "INSERT INTO delivery_attempts (creditor_id, delivery_id, attempt, at, status, detail) VALUES ($1, $2, $3, $4, $5, $6)",
            &[creditor.into(), id.into(), attempt.into(), at.into(), status.as_str().into(), detail.into()],
        )?;
        Ok(())
    }

    /// Marks the steps of a message that never went out as not taken (`reverted` with `why`),
    /// inside the caller's transaction: a fee is owed only for a letter sent, and the law's
    /// waiting periods count only from one. Returns how many steps changed; the caller
    /// reconciles the customer's ledger.
    pub fn unsend_steps(&mut self, creditor: &str, delivery: &str, why: &str) -> Result<usize> {
        let n = self.db.exec(
            "UPDATE actions SET reverted = $1 WHERE creditor_id = $2 AND reverted IS NULL AND EXISTS (SELECT 1 FROM delivery_items i \
             WHERE i.creditor_id = actions.creditor_id AND i.delivery_id = $3 AND i.claim_id = actions.claim_id AND i.seq = actions.seq)",
            &[why.into(), creditor.into(), delivery.into()],
        )?;
        Ok(n as usize)
    }

    /// Cancels the deliveries of one day's run not yet sent (the run was reverted).
    pub fn cancel_run_deliveries(&mut self, creditor: &str, date: NaiveDate, reason: &str) -> Result<usize> {
        let n = self.db.exec(
            "UPDATE deliveries SET status = 'cancelled', detail = $1 WHERE creditor_id = $2 AND created = $3 AND status = 'queued' \
             AND kind IN ('pre_due', 'reminder', 'collection_notice', 'phone_call', 'late_compensation', 'collection', 'legal')",
            &[reason.into(), creditor.into(), date.into()],
        )?;
        Ok(n as usize)
    }

    /// Records that a sent e-mail was opened (the first time counts). False when there is no
    /// such e-mail.
    pub fn mark_opened(&mut self, creditor: &str, id: &str, at: i64) -> Result<bool> {
        let n = self.db.exec(
            "UPDATE deliveries SET opened_at = COALESCE(opened_at, $1) WHERE creditor_id = $2 AND id = $3 AND channel = 'email' AND status IN ('sent', 'delivered')",
            &[at.into(), creditor.into(), id.into()],
        )?;
        Ok(n > 0)
    }

    /// E-mails of a creditor sent at or before `sent_before` (Unix seconds), never opened, and
    /// not yet sent again as a letter.
    pub fn unopened_emails(&mut self, creditor: &str, sent_before: i64) -> Result<Vec<DeliveryRow>> {
        let cols = COLS.split(", ").map(|c| format!("d.{c}")).collect::<Vec<_>>().join(", ");
        self.db
            .query(
                &format!(
                    "SELECT {cols} FROM deliveries d WHERE d.creditor_id = $1 AND d.channel = 'email' AND d.status = 'sent' \
                     AND d.opened_at IS NULL AND d.sent_at <= $2 \
                     AND NOT EXISTS (SELECT 1 FROM deliveries f WHERE f.creditor_id = d.creditor_id AND f.fallback_of = d.id) \
                     ORDER BY d.sent_at, d.id"
                ),
                &[creditor.into(), sent_before.into()],
            )?
            .iter()
            .map(delivery_row)
            .collect()
    }

    /// One delivery.
    pub fn delivery(&mut self, creditor: &str, id: &str) -> Result<DeliveryRow> {
        let rows = self.db.query(
            &format!("SELECT {COLS} FROM deliveries WHERE creditor_id = $1 AND id = $2"),
            &[creditor.into(), id.into()],
        )?;
        rows.first()
            .map(delivery_row)
            .transpose()?
            .ok_or_else(|| StoreError::NotFound { entity: "delivery", id: id.to_string() })
    }

    /// A creditor's deliveries, filtered by status and channel, oldest first.
    pub fn deliveries(
        &mut self,
        creditor: &str,
        status: Option<DeliveryStatus>,
        channel: Option<Channel>,
    ) -> Result<Vec<DeliveryRow>> {
        let mut sql = format!("SELECT {COLS} FROM deliveries WHERE creditor_id = $1");
        let mut params: Vec<Val> = vec![creditor.into()];
        if let Some(s) = status {
            params.push(s.as_str().into());
            sql.push_str(&format!(" AND status = ${}", params.len()));
        }
        if let Some(c) = channel {
            params.push(c.as_str().into());
            sql.push_str(&format!(" AND channel = ${}", params.len()));
        }
        sql.push_str(" ORDER BY created, customer_id, id");
        self.db.query(&sql, &params)?.iter().map(delivery_row).collect()
    }

    /// A page of deliveries by id after `after` (the API's list), filtered like `deliveries`.
    pub fn deliveries_page(
        &mut self,
        creditor: &str,
        status: Option<DeliveryStatus>,
        channel: Option<Channel>,
        after: &str,
        limit: usize,
    ) -> Result<Vec<DeliveryRow>> {
        let (status, channel) = (status.map(|s| s.as_str()).unwrap_or(""), channel.map(|c| c.as_str()).unwrap_or(""));
        self.db
            .query(
                &format!(
                    "SELECT {COLS} FROM deliveries WHERE creditor_id = $1 AND id > $2 AND ($3 = '' OR status = $4) \
                     AND ($5 = '' OR channel = $6) ORDER BY id LIMIT $7"
                ),
                &[
                    creditor.into(),
                    after.into(),
                    status.into(),
                    status.into(),
                    channel.into(),
                    channel.into(),
                    i64::try_from(limit).unwrap_or(i64::MAX).into(),
                ],
            )?
            .iter()
            .map(delivery_row)
            .collect()
    }

    /// The deliveries covering a claim, oldest first.
    pub fn deliveries_of_claim(&mut self, creditor: &str, claim: &str) -> Result<Vec<DeliveryRow>> {
        let cols = COLS.split(", ").map(|c| format!("d.{c}")).collect::<Vec<_>>().join(", ");
        self.db
            .query(
                &format!(
                    "SELECT {cols} FROM deliveries d JOIN delivery_items i ON i.creditor_id = d.creditor_id AND i.delivery_id = d.id \
                     WHERE d.creditor_id = $1 AND i.claim_id = $2 ORDER BY d.created, d.id"
                ),
                &[creditor.into(), claim.into()],
            )?
            .iter()
            .map(delivery_row)
            .collect()
    }

    /// A delivery's attempts, in order.
    pub fn delivery_attempts(&mut self, creditor: &str, id: &str) -> Result<Vec<AttemptRow>> {
        self.db
            .query(
                "SELECT delivery_id, attempt, at, status, detail FROM delivery_attempts WHERE creditor_id = $1 AND delivery_id = $2 ORDER BY id",
                &[creditor.into(), id.into()],
            )?
            .iter()
            .map(|r| {
                Ok(AttemptRow {
                    delivery_id: r.text("delivery_id")?,
                    attempt: r.int("attempt")?,
                    at: r.text("at")?,
                    status: r.get("status")?,
                    detail: r.text("detail")?,
                })
            })
            .collect()
    }

    /// Closes a phone task with its outcome (inside the caller's transaction).
    pub fn close_phone_task(
        &mut self,
        creditor: &str,
        id: &str,
        outcome: Option<CallOutcome>,
        status: DeliveryStatus,
        detail: &str,
    ) -> Result<()> {
        let n = self.db.exec(
            "UPDATE deliveries SET status = $1, outcome = $2, detail = $3, attempts = attempts + 1 WHERE creditor_id = $4 AND id = $5 AND channel = 'phone' AND status = 'queued'",
            &[status.as_str().into(), outcome.map(|o| o.as_str()).into(), detail.into(), creditor.into(), id.into()],
        )?;
        if n == 0 {
            return Err(StoreError::Conflict(format!("phone task {id} is not open")));
        }
        Ok(())
    }
}
