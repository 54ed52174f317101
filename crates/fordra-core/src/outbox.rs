//! The outbox's rules: which steps become deliveries (one per message, grouped letters as one),
//! when a delivery is cancelled instead of sent, how long a worker waits before trying again,
//! where a message goes when its channel fails, and when a text or call may reach a person
//! (banking days, daytime in the debtor's time zone).

use crate::calendar::{is_banking_day, Country};
use crate::domain::{Channel, ClaimStatus, MessageKind};
use crate::run::Action;
use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Utc};
use serde::Serialize;

/// A delivery to queue, decided from the day's steps.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct PlannedDelivery {
    /// Its key: the first step's id (`claim/seq`). Providers that accept an idempotency key get
    /// this one, so a message is never sent twice.
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
    /// The claims it covers with their step numbers.
    pub items: Vec<(String, Option<u32>)>,
    /// The local hour the contact policy chose to send it at (none: at once).
    pub send_hour: Option<u32>,
}

impl PlannedDelivery {
    /// Unix seconds it may go from: its send hour on the day it was decided, local time in
    /// `country`, or `otherwise`.
    pub fn not_before(&self, country: Country, otherwise: i64) -> i64 {
        self.send_hour.map_or(otherwise, |h| at_local_hour(country, self.created, h).timestamp().max(otherwise))
    }
}

/// The UTC instant of `hour`:00 local time in `country` on `day`.
pub fn at_local_hour(country: Country, day: NaiveDate, hour: u32) -> DateTime<Utc> {
    let naive = day.and_hms_opt(hour.min(23), 0, 0).unwrap_or(day.and_time(NaiveTime::MIN));
    // The offset at that wall-clock time read as UTC is the offset of the moment itself except
    // within the hour of a switch, when no reminder hour (8–19) falls.
    let offset = local_time(country, naive.and_utc()) - naive;
    DateTime::from_naive_utc_and_offset(naive - offset, Utc)
}

/// The key of a step: its claim and its number on the claim (never reused, even after a revert).
pub fn step_key(claim: &str, seq: u32) -> String {
    format!("{claim}/{seq}")
}

/// One delivery per step that reaches the debtor; the steps of one grouped letter share one,
/// and so do one debtor's calls of a day (an advisor calls once about all of them). Steps taken
/// as a formality (skipped) send nothing.
pub fn plan(actions: &[Action]) -> Vec<PlannedDelivery> {
    let mut out: Vec<PlannedDelivery> = Vec::new();
    let mut by_group: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for a in actions.iter().filter(|a| !a.skipped) {
        let item = (a.claim_id.clone(), Some(a.seq));
        let group = match (&a.letter, a.channel) {
            (Some(l), _) => Some(l.clone()),
            (None, Channel::Phone) => Some(format!("{}/{}/phone", a.customer_id, a.date)),
            _ => None,
        };
        if let Some(&i) = group.as_ref().and_then(|g| by_group.get(g)) {
            if let Some(d) = out.get_mut(i) {
                d.items.push(item);
                continue;
            }
        }
        if let Some(g) = group {
            by_group.insert(g, out.len());
        }
        out.push(PlannedDelivery {
            id: step_key(&a.claim_id, a.seq),
            customer_id: a.customer_id.clone(),
            kind: a.kind.into(),
            channel: a.channel,
            created: a.date,
            deadline: Some(a.deadline),
            items: vec![item],
            send_hour: a.send_hour,
        });
    }
    out
}

/// Tries before a delivery is given up as failed.
pub const MAX_ATTEMPTS: u32 = 8;

/// Seconds to wait after the `attempt`-th failed try: 1 min, 2, 4, … capped at 6 hours, so a
/// provider that is down for an afternoon is tried again the same day.
pub fn backoff_seconds(attempt: u32) -> i64 {
    let doubled = 60_i64.saturating_mul(1_i64 << attempt.saturating_sub(1).min(20));
    doubled.min(6 * 3600)
}

/// A claim a message covers, as it stands when the worker picks the message up.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CoveredClaim {
    /// Open or paid.
    pub status: ClaimStatus,
    /// Held by a dispute, promise, payment plan or hold on the send day.
    pub paused: bool,
    /// Its step was reverted with its run.
    pub reverted: bool,
}

/// Why a dunning message must not go out any more, or `None` when at least one claim it covers
/// still needs it. Confirmations (a payment plan, a promise, a dispute) are sent whatever the
/// claims' state: they confirm what the debtor was told.
pub fn cancel_reason(kind: MessageKind, claims: &[CoveredClaim]) -> Option<String> {
    if kind.is_confirmation() {
        return None;
    }
    let live = |c: &&CoveredClaim| c.status == ClaimStatus::Open && !c.paused && !c.reverted;
    if claims.iter().any(|c| live(&c)) {
        return None;
    }
    Some(if claims.iter().all(|c| c.reverted) {
        "its run was reverted before it was sent".into()
    } else if claims.iter().all(|c| c.status == ClaimStatus::Paid || c.reverted) {
        "paid before it was sent".into()
    } else {
        "paused (dispute, promise, payment plan or hold) before it was sent".into()
    })
}

/// Where a message goes when its channel cannot reach the debtor (an e-mail bounced, a text
/// refused): a text falls back to e-mail when there is an address, anything else to a letter.
/// A letter has nowhere else to go.
pub fn fallback(channel: Channel, has_email: bool) -> Option<Channel> {
    match channel {
        Channel::Sms if has_email => Some(Channel::Email),
        Channel::Sms | Channel::Email | Channel::Edi => Some(Channel::Letter),
        Channel::Letter | Channel::Phone => None,
    }
}

/// Local time in the debtor's country: CET/CEST for Sweden, Norway and Denmark, EET/EEST for
/// Finland, summer time from 01:00 UTC on the last Sunday of March to 01:00 UTC on the last
/// Sunday of October (Directive 2000/84/EC). Hand-written: four countries with one rule need no
/// time-zone database.
pub fn local_time(country: Country, utc: DateTime<Utc>) -> NaiveDateTime {
    let standard = match country {
        Country::FI => 2,
        _ => 1,
    };
    let year = utc.year();
    let switch = |month: u32| {
        let last = NaiveDate::from_ymd_opt(year, month, 31).unwrap_or(NaiveDate::MIN);
        let back = last.weekday().num_days_from_sunday();
        (last - Duration::days(i64::from(back))).and_time(NaiveTime::MIN) + Duration::hours(1)
    };
    let naive = utc.naive_utc();
    let summer = naive >= switch(3) && naive < switch(10);
    naive + Duration::hours(standard + i64::from(summer))
}

/// The hours of the day (local, from inclusive, to exclusive) a text or call may reach a person.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct QuietHours {
    /// First hour allowed (e.g. 8).
    pub from: u32,
    /// First hour no longer allowed (e.g. 20).
    pub to: u32,
}

impl Default for QuietHours {
    /// 08:00–20:00 local time.
    fn default() -> Self {
        QuietHours { from: 8, to: 20 }
    }
}

/// When a text or call may go: `None` now, or the UTC instant of the next allowed moment (a
/// banking day in the debtor's country, within `hours` local time).
pub fn next_allowed(country: Country, utc: DateTime<Utc>, hours: QuietHours) -> Option<DateTime<Utc>> {
    let local = local_time(country, utc);
    let offset = local - utc.naive_utc();
    let allowed = |t: NaiveDateTime| {
        is_banking_day(country, t.date()) && t.time().hour_of() >= hours.from && t.time().hour_of() < hours.to
    };
    if allowed(local) {
        return None;
    }
    // The next banking day's opening hour (today's, if still ahead).
    let mut day = local.date();
    if !(is_banking_day(country, day) && local.time().hour_of() < hours.from) {
        day = day.succ_opt().unwrap_or(day);
    }
    while !is_banking_day(country, day) {
        day = day.succ_opt().unwrap_or(day);
    }
    let open = day.and_hms_opt(hours.from, 0, 0).unwrap_or(day.and_time(NaiveTime::MIN)) - offset;
    Some(DateTime::from_naive_utc_and_offset(open, Utc))
}

trait HourOf {
    fn hour_of(&self) -> u32;
}

impl HourOf for NaiveTime {
    fn hour_of(&self) -> u32 {
        chrono::Timelike::hour(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Segment, StepKind};
    use chrono::TimeZone;

    fn action(claim: &str, seq: u32, letter: Option<&str>, skipped: bool) -> Action {
        Action {
            claim_id: claim.into(),
            customer_id: "C1".into(),
            seq,
            step_no: 1,
            kind: StepKind::Reminder,
            segment: Segment::Normal,
            date: NaiveDate::from_ymd_opt(2026, 11, 2).unwrap(),
            deadline: NaiveDate::from_ymd_opt(2026, 11, 16).unwrap(),
            channel: Channel::Letter,
            letter: letter.map(String::from),
            fees: vec![],
            notional_fee: 0,
            fee_spec: crate::model::FeeSpec::None,
            min_amount: 0,
            interest: 0,
            open_after: 0,
            amount_to_pay: 0,
            skipped,
            reason: String::new(),
            arm: None,
            send_hour: None,
        }
    }

    #[test]
    fn one_delivery_per_message_grouped_letters_once_skipped_steps_none() {
        let l = Some("C1/2026-11-02/reminder/letter");
        let d = plan(&[
            action("A", 1, l, false),
            action("B", 3, l, false),
            action("C", 1, None, false),
            action("D", 2, None, true),
        ]);
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].id, "A/1");
        assert_eq!(d[0].items, vec![("A".to_string(), Some(1)), ("B".to_string(), Some(3))]);
        assert_eq!((d[1].id.as_str(), d[1].items.len()), ("C/1", 1));
    }

    #[test]
    fn a_message_goes_while_one_claim_needs_it() {
        let open = CoveredClaim { status: ClaimStatus::Open, paused: false, reverted: false };
        let paid = CoveredClaim { status: ClaimStatus::Paid, ..open };
        let paused = CoveredClaim { paused: true, ..open };
        assert_eq!(cancel_reason(MessageKind::Reminder, &[paid, open]), None);
        assert_eq!(cancel_reason(MessageKind::Reminder, &[paid]).unwrap(), "paid before it was sent");
        assert!(cancel_reason(MessageKind::Collection, &[paused, paid]).unwrap().starts_with("paused"));
        assert_eq!(cancel_reason(MessageKind::Promise, &[paused]), None);
    }

    /// 18:00 in Stockholm is 17:00 UTC in winter, 16:00 in summer; 9:00 in Helsinki 07:00 UTC in winter.
    #[test]
    fn a_send_hour_is_local_time() {
        let t = |y, m, d, h| Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap();
        let day = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        assert_eq!(at_local_hour(Country::SE, day(11, 24), 18), t(2026, 11, 24, 17));
        assert_eq!(at_local_hour(Country::SE, day(7, 1), 18), t(2026, 7, 1, 16));
        assert_eq!(at_local_hour(Country::FI, day(11, 24), 9), t(2026, 11, 24, 7));
        let mut p = plan(&[action("A", 1, None, false)]);
        assert_eq!(p[0].not_before(Country::SE, 5), 5);
        p[0].send_hour = Some(18);
        assert_eq!(p[0].not_before(Country::SE, 5), t(2026, 11, 2, 17).timestamp());
    }

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!((1..=4).map(backoff_seconds).collect::<Vec<_>>(), vec![60, 120, 240, 480]);
        assert_eq!(backoff_seconds(30), 6 * 3600);
    }

    /// Summer time 2026 in the EU: 29 March 01:00 UTC to 25 October 01:00 UTC.
    #[test]
    fn local_time_follows_eu_summer_time() {
        let t = |m, d, h| Utc.with_ymd_and_hms(2026, m, d, h, 0, 0).unwrap();
        assert_eq!(local_time(Country::SE, t(3, 29, 0)).to_string(), "2026-03-29 01:00:00");
        assert_eq!(local_time(Country::SE, t(3, 29, 1)).to_string(), "2026-03-29 03:00:00");
        assert_eq!(local_time(Country::FI, t(7, 1, 12)).to_string(), "2026-07-01 15:00:00");
        assert_eq!(local_time(Country::NO, t(10, 25, 1)).to_string(), "2026-10-25 02:00:00");
    }

    #[test]
    fn texts_wait_for_a_banking_day_in_daytime() {
        let q = QuietHours::default();
        // Tuesday 24 November 2026, 10:00 UTC = 11:00 in Stockholm: allowed.
        assert_eq!(next_allowed(Country::SE, Utc.with_ymd_and_hms(2026, 11, 24, 10, 0, 0).unwrap(), q), None);
        // 21:30 Stockholm on Friday 27 November → Monday 30 November 08:00 (07:00 UTC).
        let fri = Utc.with_ymd_and_hms(2026, 11, 27, 20, 30, 0).unwrap();
        assert_eq!(next_allowed(Country::SE, fri, q), Some(Utc.with_ymd_and_hms(2026, 11, 30, 7, 0, 0).unwrap()));
        // 06:00 Helsinki on a Wednesday → 08:00 the same day (06:00 UTC in winter).
        let early = Utc.with_ymd_and_hms(2026, 11, 25, 4, 0, 0).unwrap();
        assert_eq!(next_allowed(Country::FI, early, q), Some(Utc.with_ymd_and_hms(2026, 11, 25, 6, 0, 0).unwrap()));
        // Christmas Eve is no banking day in Sweden: 24 December 2026 (Thursday) → 28 December.
        let eve = Utc.with_ymd_and_hms(2026, 12, 24, 10, 0, 0).unwrap();
        assert_eq!(next_allowed(Country::SE, eve, q), Some(Utc.with_ymd_and_hms(2026, 12, 28, 7, 0, 0).unwrap()));
    }
}
