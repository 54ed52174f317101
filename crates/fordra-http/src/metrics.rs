//! Prometheus metrics: requests and their latency by route, and the work done (runs, steps,
//! deliveries, payments matched, webhook attempts).

use prometheus::{Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, Opts, Registry, TextEncoder};

/// The service's metrics.
pub struct Metrics {
    registry: Registry,
    /// Requests by route, method and status.
    pub requests: IntCounterVec,
    /// Request latency by route and method.
    pub latency: HistogramVec,
    /// Daily runs finished.
    pub runs: IntCounter,
    /// Steps taken by runs.
    pub actions: IntCounter,
    /// Deliveries by outcome.
    pub deliveries: IntCounterVec,
    /// Bank payments matched to a claim.
    pub payments_matched: IntCounter,
    /// Bank payments left unmatched.
    pub payments_unmatched: IntCounter,
    /// Webhook attempts by result.
    pub webhook_attempts: IntCounterVec,
}

/// A metric defined from constants: its definition cannot fail at run time, so a failure is a
/// programming error found by the first test that starts the service.
#[allow(clippy::expect_used)]
fn defined<T>(r: prometheus::Result<T>) -> T {
    r.expect("a metric defined from constants")
}

fn counter(registry: &Registry, name: &str, help: &str) -> IntCounter {
    let c = defined(IntCounter::new(name, help));
    defined(registry.register(Box::new(c.clone())));
    c
}

fn counter_vec(registry: &Registry, name: &str, help: &str, labels: &[&str]) -> IntCounterVec {
    let c = defined(IntCounterVec::new(Opts::new(name, help), labels));
    defined(registry.register(Box::new(c.clone())));
    c
}

impl Default for Metrics {
    fn default() -> Self {
        let registry = Registry::new();
        let latency = defined(HistogramVec::new(
            HistogramOpts::new("fordra_http_request_duration_seconds", "HTTP request latency by route")
                .buckets(vec![0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]),
            &["route", "method"],
        ));
        defined(registry.register(Box::new(latency.clone())));
        Metrics {
            requests: counter_vec(
                &registry,
                "fordra_http_requests_total",
                "HTTP requests by route, method and status",
                &["route", "method", "status"],
            ),
            latency,
            runs: counter(&registry, "fordra_runs_total", "daily runs finished"),
            actions: counter(&registry, "fordra_run_actions_total", "steps taken by daily runs"),
            deliveries: counter_vec(&registry, "fordra_deliveries_total", "deliveries by outcome", &["outcome"]),
            payments_matched: counter(&registry, "fordra_payments_matched_total", "bank payments matched to a claim"),
            payments_unmatched: counter(&registry, "fordra_payments_unmatched_total", "bank payments left unmatched"),
            webhook_attempts: counter_vec(
                &registry,
                "fordra_webhook_attempts_total",
                "webhook attempts by result",
                &["result"],
            ),
            registry,
        }
    }
}

impl Metrics {
    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}
