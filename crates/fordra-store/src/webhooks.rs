//! Events for the creditor's systems and their webhook deliveries. An event is written in the
//! same transaction as the change it reports (a step, a payment, a settled invoice), and only
//! while the creditor has a subscription, so a creditor without webhooks pays nothing for them.
//! Each subscription takes the events after its cursor into its own delivery queue; a claim's
//! events go out in order (a later one waits while an earlier one is pending).

use crate::{Insert, ReadRow, Result, Store, StoreError, Val};

/// An event to record.
#[derive(Clone, Debug)]
pub struct NewEvent {
    /// The claim it concerns (its events are delivered in order).
    pub claim: Option<String>,
    /// invoice.settled, payment.received, … (see the README).
    pub kind: &'static str,
    /// A key that makes the event once-only (the same fact recorded twice is one event).
    pub dedup: Option<String>,
    /// What happened.
    pub payload: serde_json::Value,
}

/// A subscription.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct WebhookRow {
    /// Its id.
    pub id: String,
    /// Where events are POSTed.
    pub url: String,
    /// The event kinds it wants ("*": all).
    pub kinds: Vec<String>,
    /// When it was made (Unix seconds).
    pub created_at: i64,
}

/// A delivery taken for sending.
#[derive(Clone, Debug)]
pub struct DueWebhook {
    /// The creditor.
    pub creditor: String,
    /// The subscription.
    pub webhook_id: String,
    /// Its URL.
    pub url: String,
    /// Its signing secret.
    pub secret: String,
    /// The event's id.
    pub event_id: i64,
    /// The event's kind.
    pub kind: String,
    /// The event's payload (JSON text).
    pub payload: String,
    /// When the event happened (Unix seconds).
    pub created_at: i64,
    /// Attempts before this one.
    pub attempts: i64,
}

/// One line of a subscription's delivery log.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct WebhookDeliveryRow {
    /// The event.
    pub event_id: i64,
    /// Its kind.
    pub kind: String,
    /// Its claim.
    pub claim_id: Option<String>,
    /// pending, delivered or failed.
    pub status: String,
    /// Attempts made.
    pub attempts: i64,
    /// The next attempt (Unix seconds) while pending.
    pub next_at: i64,
    /// The receiver's last HTTP status.
    pub last_code: Option<i64>,
    /// The last error.
    pub last_error: Option<String>,
    /// When it was delivered (Unix seconds).
    pub delivered_at: Option<i64>,
}

/// How an attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WebhookOutcome {
    /// The receiver answered 2xx.
    Delivered,
    /// Try again at this time (Unix seconds).
    Retry(i64),
    /// Given up after the last attempt.
    Failed,
}

impl Store {
    /// Whether the creditor has a subscription (events are recorded only then); asked once per
    /// transaction.
    pub fn wants_events(&mut self, creditor: &str) -> Result<bool> {
        if let Some((c, wants)) = &self.wants_events {
            if c == creditor {
                return Ok(*wants);
            }
        }
        let wants = !self
            .db
            .query("SELECT 1 FROM webhooks WHERE creditor_id = $1 AND deleted_at IS NULL LIMIT 1", &[creditor.into()])?
            .is_empty();
        if self.in_tx {
            self.wants_events = Some((creditor.to_string(), wants));
        }
        Ok(wants)
    }

    /// Records the events `make` builds (inside the caller's transaction) when the creditor has a
    /// subscription; without one nothing is built or read for them.
    pub fn emit(&mut self, creditor: &str, make: impl FnOnce(&mut Store) -> Result<Vec<NewEvent>>) -> Result<()> {
        if !self.wants_events(creditor)? {
            return Ok(());
        }
        let events = make(self)?;
        if events.is_empty() {
            return Ok(());
        }
        let now = chrono::Utc::now().timestamp();
        let rows = events.into_iter().map(|e| -> Vec<Val> {
            vec![
                creditor.into(),
                e.claim.into(),
                e.kind.into(),
                e.dedup.into(),
                e.payload.to_string().into(),
                now.into(),
            ]
        });
        self.db.insert_rows(
            &Insert {
                table: "events",
                columns: &["creditor_id", "claim_id", "kind", "dedup", "payload", "created_at"],
                conflict: Some("(creditor_id, dedup)"),
            },
            rows.collect(),
        )?;
        Ok(())
    }

    /// Adds a subscription; it receives the events recorded from now on.
    pub fn insert_webhook(&mut self, creditor: &str, w: &WebhookRow, secret: &str) -> Result<()> {
        self.wants_events = None;
        let last = self.db.query(
            "SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) AS last FROM events WHERE creditor_id = $1",
            &[creditor.into()],
        )?;
        let last = last.first().map(|r| r.int("last")).transpose()?.unwrap_or(0);
        self.db.exec(
            "INSERT INTO webhooks (creditor_id, id, url, secret, kinds, created_at, last_event) VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                creditor.into(),
                w.id.as_str().into(),
                w.url.as_str().into(),
                secret.into(),
                w.kinds.join(",").into(),
                w.created_at.into(),
                last.into(),
            ],
        )?;
        Ok(())
    }

    /// The creditor's subscriptions.
    pub fn webhooks(&mut self, creditor: &str) -> Result<Vec<WebhookRow>> {
        self.db
            .query(
                "SELECT id, url, kinds, created_at FROM webhooks WHERE creditor_id = $1 AND deleted_at IS NULL ORDER BY created_at, id",
                &[creditor.into()],
            )?
            .iter()
            .map(|r| {
                Ok(WebhookRow {
                    id: r.text("id")?,
                    url: r.text("url")?,
                    kinds: r.str("kinds")?.split(',').map(str::to_string).collect(),
                    created_at: r.int("created_at")?,
                })
            })
            .collect()
    }

    /// Removes a subscription (its log is kept); not found when it is not the creditor's.
    pub fn delete_webhook(&mut self, creditor: &str, id: &str, at: i64) -> Result<()> {
        self.wants_events = None;
        let n = self.db.exec(
            "UPDATE webhooks SET deleted_at = $1 WHERE creditor_id = $2 AND id = $3 AND deleted_at IS NULL",
            &[at.into(), creditor.into(), id.into()],
        )?;
        if n == 0 {
            return Err(StoreError::NotFound { entity: "webhook", id: id.to_string() });
        }
        Ok(())
    }

    /// Takes new events into each subscription's queue (at most `limit` per subscription);
    /// how many deliveries were queued.
    pub fn fan_out(&mut self, now: i64, limit: i64) -> Result<usize> {
        let subs = self.db.query(
            "SELECT creditor_id, id, kinds, last_event FROM webhooks WHERE deleted_at IS NULL ORDER BY creditor_id, id",
            &[],
        )?;
        let mut queued = 0;
        for s in &subs {
            let (creditor, id, last) = (s.text("creditor_id")?, s.text("id")?, s.int("last_event")?);
            let kinds: Vec<String> = s.str("kinds")?.split(',').map(str::to_string).collect();
            let events = self.db.query(
                "SELECT id, claim_id, kind FROM events WHERE creditor_id = $1 AND id > $2 ORDER BY id LIMIT $3",
                &[creditor.as_str().into(), last.into(), limit.into()],
            )?;
            let Some(newest) = events.last().map(|e| e.int("id")).transpose()? else { continue };
            let mut rows = Vec::new();
            for e in &events {
                let kind = e.text("kind")?;
                if kinds.iter().any(|k| k == "*" || *k == kind) {
                    rows.push(vec![
                        creditor.as_str().into(),
                        id.as_str().into(),
                        e.int("id")?.into(),
                        e.opt_text("claim_id")?.into(),
                        now.into(),
                    ]);
                }
            }
            self.tx(|st| -> Result<()> {
                queued += st.db.exec_many(
                    "INSERT INTO webhook_deliveries (creditor_id, webhook_id, event_id, claim_id, status, attempts, next_at) \
                     VALUES ($1, $2, $3, $4, 'pending', 0, $5) ON CONFLICT (creditor_id, webhook_id, event_id) DO NOTHING",
                    &mut rows.into_iter(),
                )? as usize;
                st.db.exec(
                    "UPDATE webhooks SET last_event = $1 WHERE creditor_id = $2 AND id = $3 AND last_event < $4",
                    &[newest.into(), creditor.as_str().into(), id.as_str().into(), newest.into()],
                )?;
                Ok(())
            })?;
        }
        Ok(queued)
    }

    /// Deliveries due at `now`, the first pending event of each claim only, each taken for
    /// `lease` seconds (another worker does not take it meanwhile).
    pub fn take_webhook_deliveries(&mut self, now: i64, lease: i64, limit: i64) -> Result<Vec<DueWebhook>> {
        let rows = self.db.query(
            "SELECT d.creditor_id, d.webhook_id, d.event_id, d.attempts, d.next_at, w.url, w.secret, e.kind, e.payload, e.created_at \
             FROM webhook_deliveries d \
             JOIN webhooks w ON w.creditor_id = d.creditor_id AND w.id = d.webhook_id \
             JOIN events e ON e.creditor_id = d.creditor_id AND e.id = d.event_id \
             WHERE d.status = 'pending' AND d.next_at <= $1 AND w.deleted_at IS NULL \
             AND NOT EXISTS (SELECT 1 FROM webhook_deliveries p WHERE p.creditor_id = d.creditor_id AND p.webhook_id = d.webhook_id \
                 AND p.claim_id = d.claim_id AND p.status = 'pending' AND p.event_id < d.event_id) \
             ORDER BY d.event_id LIMIT $2",
            &[now.into(), limit.into()],
        )?;
        let mut out = Vec::new();
        for r in &rows {
            let (creditor, webhook_id, event_id) = (r.text("creditor_id")?, r.text("webhook_id")?, r.int("event_id")?);
            let taken = self.db.exec(
                "UPDATE webhook_deliveries SET next_at = $1 WHERE creditor_id = $2 AND webhook_id = $3 AND event_id = $4 \
                 AND status = 'pending' AND next_at = $5",
                &[
                    (now + lease).into(),
                    creditor.as_str().into(),
                    webhook_id.as_str().into(),
                    event_id.into(),
                    r.int("next_at")?.into(),
                ],
            )?;
            if taken == 1 {
                out.push(DueWebhook {
                    creditor,
                    webhook_id,
                    url: r.text("url")?,
                    secret: r.text("secret")?,
                    event_id,
                    kind: r.text("kind")?,
                    payload: r.text("payload")?,
                    created_at: r.int("created_at")?,
                    attempts: r.int("attempts")?,
                });
            }
        }
        Ok(out)
    }

    /// Gives a taken delivery back, due at `at`, without counting an attempt.
    pub fn release_webhook_delivery(&mut self, d: &DueWebhook, at: i64) -> Result<()> {
        self.db.exec(
            "UPDATE webhook_deliveries SET next_at = $1 WHERE creditor_id = $2 AND webhook_id = $3 AND event_id = $4 AND status = 'pending'",
            &[at.into(), d.creditor.as_str().into(), d.webhook_id.as_str().into(), d.event_id.into()],
        )?;
        Ok(())
    }

    /// Records an attempt and its outcome.
    #[allow(clippy::too_many_arguments)]
    pub fn record_webhook_attempt(
        &mut self,
        d: &DueWebhook,
        at: i64,
        code: Option<i64>,
        error: Option<&str>,
        ms: i64,
        outcome: WebhookOutcome,
    ) -> Result<()> {
        let (status, next_at, delivered) = match outcome {
            WebhookOutcome::Delivered => ("delivered", at, Some(at)),
            WebhookOutcome::Retry(next) => ("pending", next, None),
            WebhookOutcome::Failed => ("failed", at, None),
        };
        let (c, w, e): (Val, Val, Val) = (d.creditor.as_str().into(), d.webhook_id.as_str().into(), d.event_id.into());
        self.tx(|s| -> Result<()> {
            s.db.exec(
                "INSERT INTO webhook_attempts (creditor_id, webhook_id, event_id, at, code, error, ms) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                &[c.clone(), w.clone(), e.clone(), at.into(), code.into(), error.into(), ms.into()],
            )?;
            s.db.exec(
                "UPDATE webhook_deliveries SET status = $1, attempts = attempts + 1, next_at = $2, last_code = $3, last_error = $4, delivered_at = $5 \
                 WHERE creditor_id = $6 AND webhook_id = $7 AND event_id = $8",
                &[
                    status.into(),
                    next_at.into(),
                    code.into(),
                    error.into(),
                    delivered.into(),
                    c.clone(),
                    w.clone(),
                    e.clone(),
                ],
            )?;
            Ok(())
        })
    }

    /// A subscription's deliveries after event `after`, oldest first.
    pub fn webhook_log(
        &mut self,
        creditor: &str,
        webhook: &str,
        after: i64,
        limit: i64,
    ) -> Result<Vec<WebhookDeliveryRow>> {
        self.db
            .query(
                "SELECT d.event_id, e.kind, d.claim_id, d.status, d.attempts, d.next_at, d.last_code, d.last_error, d.delivered_at \
                 FROM webhook_deliveries d JOIN events e ON e.creditor_id = d.creditor_id AND e.id = d.event_id \
                 WHERE d.creditor_id = $1 AND d.webhook_id = $2 AND d.event_id > $3 ORDER BY d.event_id LIMIT $4",
                &[creditor.into(), webhook.into(), after.into(), limit.into()],
            )?
            .iter()
            .map(|r| {
                Ok(WebhookDeliveryRow {
                    event_id: r.int("event_id")?,
                    kind: r.text("kind")?,
                    claim_id: r.opt_text("claim_id")?,
                    status: r.text("status")?,
                    attempts: r.int("attempts")?,
                    next_at: r.int("next_at")?,
                    last_code: r.opt_int("last_code")?,
                    last_error: r.opt_text("last_error")?,
                    delivered_at: r.opt_int("delivered_at")?,
                })
            })
            .collect()
    }

    /// Sends a subscription's deliveries of events `from`..=`to` again (delivered or failed):
    /// pending from `now`; how many.
    pub fn replay_webhook(&mut self, creditor: &str, webhook: &str, from: i64, to: i64, now: i64) -> Result<u64> {
        if !self.webhooks(creditor)?.iter().any(|w| w.id == webhook) {
            return Err(StoreError::NotFound { entity: "webhook", id: webhook.to_string() });
        }
        self.db.exec(
            "UPDATE webhook_deliveries SET status = 'pending', next_at = $1 \
             WHERE creditor_id = $2 AND webhook_id = $3 AND event_id >= $4 AND event_id <= $5 AND status <> 'pending'",
            &[now.into(), creditor.into(), webhook.into(), from.into(), to.into()],
        )
    }
}
