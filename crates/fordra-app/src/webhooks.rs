//! Webhooks: the creditor's systems subscribe to events (a step taken, a payment received, an
//! invoice settled, …) and receive each as a signed POST, retried with backoff, in order per
//! claim, with a delivery log and replay. Events are recorded by the store in the transaction of
//! the change; this worker sends them.

use crate::keys::{hex, random_hex};
use crate::{App, AppError, CreditorId, Result};
use fordra_store::{DueWebhook, WebhookDeliveryRow, WebhookOutcome, WebhookRow};
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;

/// Every event kind, as subscribed to and sent in `type`.
pub const EVENT_KINDS: &[&str] = &[
    "invoice.settled",
    "invoice.reopened",
    "payment.received",
    "payment.unmatched",
    "segment.changed",
    "step.taken",
    "delivery.failed",
    "dispute.opened",
    "promise.broken",
    "case.handed_over",
    "run.finished",
];

/// Attempts before a delivery is given up (its claim's later events then go on).
pub const MAX_ATTEMPTS: i64 = 12;
/// Subscriptions a creditor may have.
pub const MAX_WEBHOOKS: usize = 20;
/// The signature header: `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`.
pub const SIGNATURE_HEADER: &str = "Fordra-Signature";

/// Seconds to wait after attempt `n` (1-based) failed: 30 s doubling, at most 6 hours.
pub fn backoff(n: i64) -> i64 {
    let shift = u32::try_from((n - 1).clamp(0, 20)).unwrap_or(20);
    (30i64 << shift).min(6 * 3600)
}

/// The signature of a body sent at `t`: hex HMAC-SHA256 with the subscription's secret over
/// `"{t}.{body}"` (the receiver recomputes it and refuses an old `t`, against replays).
pub fn signature(secret: &str, t: i64, body: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else { return String::new() };
    mac.update(format!("{t}.{body}").as_bytes());
    hex(&mac.finalize().into_bytes())
}

/// Sends one webhook request: the HTTP status, or why there was none.
pub trait WebhookSender {
    /// POSTs `body` (JSON) with `headers` to `url`.
    fn post(&mut self, url: &str, headers: &[(&str, String)], body: &str) -> std::result::Result<u16, String>;
}

/// A new subscription.
#[derive(Clone, Debug)]
pub struct NewWebhook {
    /// Where to POST (http or https).
    pub url: String,
    /// Kinds wanted; empty or "*" for all.
    pub kinds: Vec<String>,
    /// Now, Unix seconds.
    pub now: i64,
}

/// A subscription made: its secret is shown only now.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct WebhookMade {
    /// Its id.
    pub id: String,
    /// Where events go.
    pub url: String,
    /// The kinds.
    pub kinds: Vec<String>,
    /// The signing secret.
    pub secret: String,
}

/// A page of a subscription's delivery log.
#[derive(Clone, Debug, Serialize)]
pub struct WebhookLog {
    /// Deliveries, oldest event first.
    pub deliveries: Vec<WebhookDeliveryRow>,
    /// The cursor of the next page.
    pub next: Option<i64>,
}

/// Deliveries set to go again.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Replayed {
    /// How many.
    pub replayed: u64,
}

/// What one pass of the worker did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct WebhookReport {
    /// Deliveries queued from new events.
    pub queued: usize,
    /// Delivered (2xx).
    pub delivered: usize,
    /// Failed and to be retried.
    pub retried: usize,
    /// Given up.
    pub failed: usize,
}

impl App<'_> {
    /// Subscribes the creditor's system to events.
    pub fn add_webhook(&mut self, creditor: &CreditorId, w: &NewWebhook) -> Result<WebhookMade> {
        self.store.creditor(creditor)?;
        let url = w.url.trim();
        if !(url.starts_with("https://") || url.starts_with("http://"))
            || url.len() > 2000
            || url.contains(char::is_whitespace)
        {
            return Err(AppError::invalid("url", "an http:// or https:// address of at most 2000 characters"));
        }
        let mut kinds: Vec<String> = w.kinds.iter().map(|k| k.trim().to_string()).filter(|k| !k.is_empty()).collect();
        if kinds.is_empty() {
            kinds.push("*".into());
        }
        if let Some(k) = kinds.iter().find(|k| *k != "*" && !EVENT_KINDS.contains(&k.as_str())) {
            return Err(AppError::invalid("events", format!("'{k}' is not one of: *, {}", EVENT_KINDS.join(", "))));
        }
        if self.store.webhooks(creditor)?.len() >= MAX_WEBHOOKS {
            return Err(AppError::Conflict(format!("a creditor may have at most {MAX_WEBHOOKS} webhooks")));
        }
        let row = WebhookRow { id: format!("wh_{}", random_hex(6)), url: url.to_string(), kinds, created_at: w.now };
        let secret = format!("whsec_{}", random_hex(32));
        self.store.write_tx(creditor, |s| s.insert_webhook(creditor, &row, &secret).map_err(AppError::from))?;
        Ok(WebhookMade { id: row.id, url: row.url, kinds: row.kinds, secret })
    }

    /// The creditor's subscriptions (never their secrets).
    pub fn list_webhooks(&mut self, creditor: &CreditorId) -> Result<Vec<WebhookRow>> {
        self.store.creditor(creditor)?;
        Ok(self.store.webhooks(creditor)?)
    }

    /// Ends a subscription.
    pub fn delete_webhook(&mut self, creditor: &CreditorId, id: &str, now: i64) -> Result<()> {
        self.store.write_tx(creditor, |s| s.delete_webhook(creditor, id, now).map_err(AppError::from))
    }

    /// A subscription's delivery log after event `after`, at most `limit` (1–1000).
    pub fn webhook_log(&mut self, creditor: &CreditorId, id: &str, after: i64, limit: usize) -> Result<WebhookLog> {
        if !(1..=1000).contains(&limit) {
            return Err(AppError::invalid("limit", format!("{limit} is outside 1–1000")));
        }
        if !self.store.webhooks(creditor)?.iter().any(|w| w.id == id) {
            return Err(AppError::NotFound { entity: "webhook", id: id.to_string() });
        }
        let n = i64::try_from(limit).unwrap_or(1000);
        let mut deliveries = self.store.webhook_log(creditor, id, after, n + 1)?;
        let more = deliveries.len() > limit;
        deliveries.truncate(limit);
        let next = if more { deliveries.last().map(|d| d.event_id) } else { None };
        Ok(WebhookLog { deliveries, next })
    }

    /// Sends a subscription's events `from`..=`to` again (the receiver missed or lost them).
    pub fn replay_webhook(
        &mut self,
        creditor: &CreditorId,
        id: &str,
        from: i64,
        to: i64,
        now: i64,
    ) -> Result<Replayed> {
        if from > to {
            return Err(AppError::invalid("from", "after 'to'"));
        }
        let replayed =
            self.store.write_tx(creditor, |s| s.replay_webhook(creditor, id, from, to, now).map_err(AppError::from))?;
        Ok(Replayed { replayed })
    }

    /// One pass of the worker: queues new events for their subscriptions and sends what is due
    /// (at most `batch`), recording each attempt.
    pub fn dispatch_webhooks(&mut self, sender: &mut dyn WebhookSender, now: i64, batch: i64) -> Result<WebhookReport> {
        let mut report = WebhookReport { queued: self.store.fan_out(now, 10_000)?, ..Default::default() };
        // A receiver that failed once in this pass is not tried again in it (a host that does not
        // answer would hold the worker 10 s per event): its deliveries are given back for the
        // next pass, without counting an attempt.
        let mut down: Vec<String> = Vec::new();
        for d in self.store.take_webhook_deliveries(now, 120, batch)? {
            if down.contains(&d.webhook_id) {
                self.store.release_webhook_delivery(&d, now)?;
                continue;
            }
            let body = envelope(&d);
            let headers = [
                (SIGNATURE_HEADER, format!("t={now},v1={}", signature(&d.secret, now, &body))),
                ("Fordra-Event", d.kind.clone()),
                ("Fordra-Delivery", format!("{}/{}", d.webhook_id, d.event_id)),
                ("Content-Type", "application/json".to_string()),
            ];
            let started = std::time::Instant::now();
            let answer = sender.post(&d.url, &headers, &body);
            let ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
            let attempt = d.attempts + 1;
            let (code, error) = match &answer {
                Ok(c) => (Some(i64::from(*c)), (!(200..300).contains(c)).then(|| format!("HTTP {c}"))),
                Err(e) => (None, Some(e.chars().take(500).collect::<String>())),
            };
            let outcome = if error.is_none() {
                report.delivered += 1;
                WebhookOutcome::Delivered
            } else if attempt >= MAX_ATTEMPTS {
                down.push(d.webhook_id.clone());
                report.failed += 1;
                WebhookOutcome::Failed
            } else {
                down.push(d.webhook_id.clone());
                report.retried += 1;
                WebhookOutcome::Retry(now + backoff(attempt))
            };
            self.store.record_webhook_attempt(&d, now, code, error.as_deref(), ms, outcome)?;
        }
        Ok(report)
    }
}

/// The body sent: the event with its id, kind, time and creditor.
fn envelope(d: &DueWebhook) -> String {
    let data: serde_json::Value = serde_json::from_str(&d.payload).unwrap_or(serde_json::Value::Null);
    let created = chrono::DateTime::from_timestamp(d.created_at, 0).map(|t| t.to_rfc3339());
    serde_json::json!({"id": d.event_id, "type": d.kind, "created": created, "creditor": d.creditor, "data": data})
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_30_seconds_to_at_most_6_hours() {
        assert_eq!((backoff(1), backoff(2), backoff(3)), (30, 60, 120));
        // 30 · 2⁹ = 15,360 s; 30 · 2¹⁰ = 30,720 s is above the 6-hour cap of 21,600 s.
        assert_eq!(backoff(10), 15_360);
        assert_eq!((backoff(11), backoff(12)), (6 * 3600, 6 * 3600));
    }

    #[test]
    fn the_signature_is_hmac_sha256_over_time_and_body() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex(&mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // Ours signs "<t>.<body>".
        let mut mac = Hmac::<Sha256>::new_from_slice(b"s").unwrap();
        mac.update(b"7.{}");
        assert_eq!(signature("s", 7, "{}"), hex(&mac.finalize().into_bytes()));
    }
}
