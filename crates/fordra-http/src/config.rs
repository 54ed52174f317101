//! `fordra serve`'s configuration: a TOML file (`fordra-serve.toml` or `--config`), then the
//! environment (`FORDRA_*`), then the command line, each overriding the one before.

use serde::Deserialize;
use std::path::Path;

/// What the service needs to start.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ServeConfig {
    /// Address to listen on.
    pub addr: String,
    /// Database: a SQLite file or a postgres:// URL.
    pub db: String,
    /// Law tables to use instead of the embedded ones.
    pub law: Option<String>,
    /// Database connections at most.
    pub connections: usize,
    /// Requests per second per key (sustained).
    pub rate_per_second: u32,
    /// Requests a key may send at once above the rate.
    pub rate_burst: u32,
    /// A fixed "today" for demonstrations and tests (the clock otherwise).
    pub today: Option<chrono::NaiveDate>,
    /// JSON log lines (default) or plain text.
    pub log_json: bool,
    /// Run the background workers (webhooks, scheduled runs, deliveries); off for a read-only
    /// replica of the API.
    pub workers: bool,
    /// How often the webhook worker looks for events to send, in milliseconds.
    pub webhook_interval_ms: u64,
    /// How often the scheduler looks for creditors whose day is due, in seconds.
    pub schedule_interval_seconds: u64,
    /// How many creditors' days the scheduler runs at once, each on its own connection (on
    /// PostgreSQL; SQLite writes one at a time).
    pub schedule_workers: usize,
    /// How often the delivery worker sends what is due, in seconds.
    pub deliver_interval_seconds: u64,
    /// The delivery configuration (out, [smtp], [sms], [links]; as `fordra deliver --config`);
    /// default ./fordra.toml when it exists, else letters to ./out only.
    pub delivery_config: Option<String>,
}

impl Default for ServeConfig {
    fn default() -> Self {
        ServeConfig {
            addr: "127.0.0.1:8080".into(),
            db: "fordra.db".into(),
            law: None,
            connections: 8,
            rate_per_second: 50,
            rate_burst: 200,
            today: None,
            log_json: true,
            workers: true,
            webhook_interval_ms: 1000,
            schedule_interval_seconds: 30,
            schedule_workers: 1,
            deliver_interval_seconds: 10,
            delivery_config: None,
        }
    }
}

/// The most a setting may be, so a typo cannot open a thousand connections.
const MAX_CONNECTIONS: usize = 256;

impl ServeConfig {
    /// The file's settings (a missing default file is no error; a named one must exist), then the
    /// environment's.
    pub fn load(file: Option<&Path>, env: &dyn Fn(&str) -> Option<String>) -> Result<ServeConfig, String> {
        let default = Path::new("fordra-serve.toml");
        let mut c = match file {
            Some(f) => read(f)?,
            None if default.exists() => read(default)?,
            None => ServeConfig::default(),
        };
        if let Some(v) = env("FORDRA_ADDR") {
            c.addr = v;
        }
        if let Some(v) = env("FORDRA_DATABASE_URL") {
            c.db = v;
        }
        if let Some(v) = env("FORDRA_LAW_FILE") {
            c.law = Some(v);
        }
        if let Some(v) = env("FORDRA_CONNECTIONS") {
            c.connections = v.parse().map_err(|_| format!("FORDRA_CONNECTIONS: '{v}' is not a number"))?;
        }
        if let Some(v) = env("FORDRA_RATE_PER_SECOND") {
            c.rate_per_second = v.parse().map_err(|_| format!("FORDRA_RATE_PER_SECOND: '{v}' is not a number"))?;
        }
        if let Some(v) = env("FORDRA_RATE_BURST") {
            c.rate_burst = v.parse().map_err(|_| format!("FORDRA_RATE_BURST: '{v}' is not a number"))?;
        }
        if let Some(v) = env("FORDRA_TODAY") {
            c.today = Some(v.parse().map_err(|_| format!("FORDRA_TODAY: '{v}' is not a date (YYYY-MM-DD)"))?);
        }
        if let Some(v) = env("FORDRA_CONFIG") {
            c.delivery_config = Some(v);
        }
        if let Some(v) = env("FORDRA_SCHEDULE_WORKERS") {
            c.schedule_workers = v.parse().map_err(|_| format!("FORDRA_SCHEDULE_WORKERS: '{v}' is not a number"))?;
        }
        if let Some(v) = env("FORDRA_WORKERS") {
            c.workers = !matches!(v.as_str(), "0" | "false" | "no" | "off");
        }
        if let Some(v) = env("FORDRA_LOG") {
            c.log_json = v != "text";
        }
        c.check()?;
        Ok(c)
    }

    /// Refuses settings out of bounds.
    pub fn check(&self) -> Result<(), String> {
        if !(1..=MAX_CONNECTIONS).contains(&self.connections) {
            return Err(format!("connections: {} is outside 1–{MAX_CONNECTIONS}", self.connections));
        }
        if !(50..=3_600_000).contains(&self.webhook_interval_ms) {
            return Err(format!("webhook_interval_ms: {} is outside 50–3600000", self.webhook_interval_ms));
        }
        for (name, v) in [
            ("schedule_interval_seconds", self.schedule_interval_seconds),
            ("deliver_interval_seconds", self.deliver_interval_seconds),
        ] {
            if !(1..=86_400).contains(&v) {
                return Err(format!("{name}: {v} is outside 1–86400"));
            }
        }
        if !(1..=64).contains(&self.schedule_workers) {
            return Err(format!("schedule_workers: {} is outside 1–64", self.schedule_workers));
        }
        if self.rate_per_second == 0 || self.rate_burst == 0 {
            return Err("rate_per_second and rate_burst must be at least 1".into());
        }
        Ok(())
    }
}

fn read(path: &Path) -> Result<ServeConfig, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    toml::from_str(&text).map_err(|e| format!("{}: {}", path.display(), e.message()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_environment_overrides_the_file_and_bad_values_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("s.toml");
        std::fs::write(&f, "addr = \"0.0.0.0:9000\"\ndb = \"a.db\"\nconnections = 4\n").unwrap();
        let env = |k: &str| (k == "FORDRA_DATABASE_URL").then(|| "postgres://x/y".to_string());
        let c = ServeConfig::load(Some(&f), &env).unwrap();
        assert_eq!((c.addr.as_str(), c.db.as_str(), c.connections), ("0.0.0.0:9000", "postgres://x/y", 4));
        std::fs::write(&f, "port = 1\n").unwrap();
        assert!(ServeConfig::load(Some(&f), &|_| None).unwrap_err().contains("unknown field"));
        std::fs::write(&f, "connections = 0\n").unwrap();
        assert!(ServeConfig::load(Some(&f), &|_| None).unwrap_err().contains("connections"));
    }
}
