//! When a creditor's day runs under the service: at a local time of day in the creditor's
//! country (its time zone: CET/CEST, or EET/EEST in Finland), each day once, and after downtime
//! each missed day in order.

use crate::calendar::Country;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use serde::{Deserialize, Serialize};

/// `[schedule]` in the policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Schedule {
    /// Run the day automatically under `fordra serve` (default yes).
    #[serde(default = "yes")]
    pub enabled: bool,
    /// The local time of day the run starts (default 06:00).
    #[serde(default = "six")]
    pub run_at: NaiveTime,
}

fn yes() -> bool {
    true
}

fn six() -> NaiveTime {
    NaiveTime::from_hms_opt(6, 0, 0).unwrap_or(NaiveTime::MIN)
}

impl Default for Schedule {
    fn default() -> Self {
        Schedule { enabled: true, run_at: six() }
    }
}

impl Schedule {
    /// The default schedule (left out of a written policy).
    pub fn is_default(&self) -> bool {
        *self == Schedule::default()
    }
}

/// Missed days run one by one at most this far back; older ones are covered by the first day run
/// (the engine takes every step that came due since, as a catch-up).
pub const MAX_CATCH_UP_DAYS: i64 = 31;

/// The days to run now, oldest first: each day after `last_run` whose local run time has passed
/// at `now` (at most [`MAX_CATCH_UP_DAYS`] of them); the latest due day alone when the creditor
/// has never run; none when the schedule is off.
pub fn due_days(s: &Schedule, country: Country, now: DateTime<Utc>, last_run: Option<NaiveDate>) -> Vec<NaiveDate> {
    if !s.enabled {
        return Vec::new();
    }
    let local = crate::outbox::local_time(country, now);
    let latest = if local.time() >= s.run_at { local.date() } else { local.date() - Duration::days(1) };
    let first = match last_run {
        None => latest,
        Some(l) => (l + Duration::days(1)).max(latest - Duration::days(MAX_CATCH_UP_DAYS - 1)),
    };
    first.iter_days().take_while(|d| *d <= latest).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }
    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_day_runs_once_after_its_local_time() {
        let s = Schedule::default();
        // 04:59 UTC in winter is 05:59 in Stockholm: not yet; 05:00 UTC is 06:00: due.
        assert!(due_days(&s, Country::SE, at("2026-01-15T04:59:00Z"), Some(d("2026-01-14"))).is_empty());
        assert_eq!(due_days(&s, Country::SE, at("2026-01-15T05:00:00Z"), Some(d("2026-01-14"))), [d("2026-01-15")]);
        // Run already: nothing more that day.
        assert!(due_days(&s, Country::SE, at("2026-01-15T18:00:00Z"), Some(d("2026-01-15"))).is_empty());
        // Summer time (CEST, UTC+2) and Finland (EEST, UTC+3): 06:00 local is 04:00 and 03:00 UTC.
        assert_eq!(due_days(&s, Country::SE, at("2026-07-01T04:00:00Z"), Some(d("2026-06-30"))), [d("2026-07-01")]);
        assert!(due_days(&s, Country::FI, at("2026-07-01T02:59:00Z"), Some(d("2026-06-30"))).is_empty());
        assert_eq!(due_days(&s, Country::FI, at("2026-07-01T03:00:00Z"), Some(d("2026-06-30"))), [d("2026-07-01")]);
    }

    #[test]
    fn missed_days_are_caught_up_in_order_and_a_new_creditor_starts_today() {
        let s = Schedule::default();
        let now = at("2026-03-05T12:00:00Z");
        assert_eq!(
            due_days(&s, Country::NO, now, Some(d("2026-03-01"))),
            [d("2026-03-02"), d("2026-03-03"), d("2026-03-04"), d("2026-03-05")]
        );
        assert_eq!(due_days(&s, Country::NO, now, None), [d("2026-03-05")]);
        let long = due_days(&s, Country::NO, now, Some(d("2025-01-01")));
        assert_eq!((long.len() as i64, long.last()), (MAX_CATCH_UP_DAYS, Some(&d("2026-03-05"))));
        let off = Schedule { enabled: false, ..s };
        assert!(due_days(&off, Country::NO, now, Some(d("2026-03-01"))).is_empty());
    }
}
