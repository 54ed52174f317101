//! The service's background work: sending webhooks (and, from the scheduler, the daily runs and
//! the delivery worker). Each pass is one use case in a blocking task; a pass in progress is
//! finished before shutdown.

use crate::state::{with_app, Shared};
use fordra_app::webhooks::WebhookSender;
use std::time::Duration;
use tokio::sync::watch;

/// Webhooks over HTTP(S) with ureq: 10 s to answer, redirects not followed (a receiver that
/// moved must be re-subscribed, not silently followed).
pub struct HttpSender {
    agent: ureq::Agent,
}

impl Default for HttpSender {
    fn default() -> Self {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .max_redirects(0)
            .timeout_global(Some(Duration::from_secs(10)))
            .user_agent("Fordra-Webhooks/1")
            .build()
            .into();
        HttpSender { agent }
    }
}

impl WebhookSender for HttpSender {
    fn post(&mut self, url: &str, headers: &[(&str, String)], body: &str) -> Result<u16, String> {
        let mut req = self.agent.post(url);
        for (h, v) in headers {
            req = req.header(*h, v.as_str());
        }
        req.send(body).map(|r| r.status().as_u16()).map_err(|e| e.to_string())
    }
}

/// Sends due webhooks every `every` until `stop` turns true.
pub async fn webhooks(svc: Shared, every: Duration, mut stop: watch::Receiver<bool>) {
    loop {
        let now = chrono::Utc::now().timestamp();
        let report = with_app(&svc, move |app| app.dispatch_webhooks(&mut HttpSender::default(), now, 500)).await;
        match report {
            Ok(r) => {
                svc.metrics.webhook_attempts.with_label_values(&["delivered"]).inc_by(r.delivered as u64);
                svc.metrics.webhook_attempts.with_label_values(&["retried"]).inc_by(r.retried as u64);
                svc.metrics.webhook_attempts.with_label_values(&["failed"]).inc_by(r.failed as u64);
                if r.delivered + r.retried + r.failed > 0 {
                    tracing::info!(delivered = r.delivered, retried = r.retried, failed = r.failed, "webhooks");
                }
            }
            Err(e) => tracing::error!(error = %e.detail.message, "webhook pass failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
    }
}

/// Runs each creditor's day when its schedule says, every `every`, as `holder` (this process),
/// `workers` creditors at a time (each on a connection of its own).
pub async fn scheduler(svc: Shared, every: Duration, holder: String, workers: usize, mut stop: watch::Receiver<bool>) {
    loop {
        let h = holder.clone();
        let ran = if workers <= 1 {
            with_app(&svc, move |app| app.scheduled_runs(&h, chrono::Utc::now())).await
        } else {
            let s = svc.clone();
            tokio::task::spawn_blocking(move || {
                let connect = || s.pool.connect();
                let pool =
                    fordra_app::run::Workers { connect: &connect, law: &s.law, today: s.today(), workers, holder: &h };
                pool.scheduled_runs(chrono::Utc::now()).map_err(crate::error::ApiError::from)
            })
            .await
            .unwrap_or_else(|e| Err(crate::error::ApiError::internal(format!("the scheduler's task failed: {e}"))))
        };
        match ran {
            Ok(runs) => {
                for r in runs {
                    match &r.error {
                        None => {
                            svc.metrics.runs.inc();
                            svc.metrics.actions.inc_by(r.actions_created as u64);
                            tracing::info!(creditor = %r.creditor, date = %r.date, actions = r.actions_created, "scheduled run");
                        }
                        Some(e) => {
                            tracing::error!(creditor = %r.creditor, date = %r.date, error = %e, "scheduled run failed")
                        }
                    }
                }
            }
            Err(e) => tracing::error!(error = %e.detail.message, "scheduler pass failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
    }
}

/// Sends what the runs decided (letters, e-mails, texts) continuously: every `every`, until
/// nothing is due. The couriers (phrases, templates, fonts, the SMTP connection pool) are made
/// once, at start, and kept.
pub async fn deliveries(
    svc: Shared,
    every: Duration,
    couriers: std::sync::Arc<std::sync::Mutex<fordra_comms::couriers::Couriers>>,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        let couriers = couriers.clone();
        let pass = with_app(&svc, move |app| {
            let mut couriers =
                couriers.lock().map_err(|_| fordra_app::AppError::Storage("the couriers' lock is poisoned".into()))?;
            let input = fordra_app::outbox::DeliverInput {
                creditor: None,
                now: chrono::Utc::now(),
                lease_seconds: 300,
                batch: 100,
                until_empty: true,
                max: 10_000,
            };
            app.deliver(&mut *couriers, &input)
        })
        .await;
        match pass {
            Ok(r) => {
                for (outcome, n) in [
                    ("sent", r.sent),
                    ("delivered", r.delivered),
                    ("cancelled", r.cancelled),
                    ("bounced", r.bounced),
                    ("failed", r.failed),
                ] {
                    svc.metrics.deliveries.with_label_values(&[outcome]).inc_by(n as u64);
                }
                if !r.handled.is_empty() {
                    tracing::info!(handled = r.handled.len(), sent = r.sent, failed = r.failed, "deliveries");
                }
            }
            Err(e) => tracing::error!(error = %e.detail.message, "delivery pass failed"),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
    }
}

/// Forgets expired idempotency records every `every` (each request only looks at its own key).
pub async fn housekeeping(svc: Shared, every: Duration, mut stop: watch::Receiver<bool>) {
    loop {
        let before = chrono::Utc::now().timestamp() - crate::idempotency::KEEP_SECONDS;
        if let Err(e) = with_app(&svc, move |app| Ok(app.store.idempotency_expire(before)?)).await {
            tracing::error!(error = %e.detail.message, "housekeeping failed");
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
    }
}
