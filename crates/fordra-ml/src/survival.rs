//! When open claims will be paid: a survival model over the weeks since due, by segment and by
//! the furthest step taken (none, reminder, collection, legal), learnt from the creditor's own
//! claims. Each week's chance of payment (the hazard) is counted from the claims that were open
//! at its start, in the same group and at the same stage, and shrunk towards all groups' at
//! that stage where a group has little experience. How claims move on from a stage (a reminder
//! to a collection demand, that to legal action) is counted the same way. A claim's chance of
//! being paid in each coming week follows from where it stands today, week by week over the
//! stages it may be moved to, so a claim long in legal spreads thin over the weeks with most of
//! it never paid, a prompt payer a few days past due is expected within days, and a claim in
//! reminders is expected as its collection demand is answered. A backtest replays past weeks
//! with only what was known then.

use chrono::{Duration, NaiveDate};
use serde::Serialize;
use std::collections::HashMap;

/// Weeks since due are counted from this many weeks before due.
const FIRST_WEEK: i64 = -9;
/// The last week counted on its own; later weeks share its hazard.
const LAST_WEEK: i64 = 52;
/// Weight of all groups' hazard in a group's (in claim-weeks at risk).
const SHRINK: f64 = 20.0;

/// The furthest step a claim has been taken to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    /// No step yet.
    None,
    /// A reminder, notice or other step before collection.
    Reminder,
    /// A collection demand.
    Collection,
    /// Legal action.
    Legal,
}

/// One claim as the survival model sees it.
#[derive(Clone, Debug)]
pub struct Claim {
    /// Its group (the customer's segment; "none" where there is none).
    pub group: String,
    /// Issued.
    pub issued: NaiveDate,
    /// Due.
    pub due: NaiveDate,
    /// Paid, if it was.
    pub paid: Option<NaiveDate>,
    /// Stages reached, in date order.
    pub stages: Vec<(NaiveDate, Stage)>,
    /// Amount in minor units.
    pub amount: i64,
}

impl Stage {
    /// All stages, in order.
    const ALL: [Stage; 4] = [Stage::None, Stage::Reminder, Stage::Collection, Stage::Legal];
}

impl Claim {
    /// The furthest stage reached on `day`.
    pub fn stage_on(&self, day: NaiveDate) -> Stage {
        self.stages.iter().filter(|(d, _)| *d <= day).map(|(_, s)| *s).max().unwrap_or(Stage::None)
    }
    /// The week from `from` (0: the first) it would be paid in if paid on its due date; an
    /// overdue claim in the first.
    pub fn due_week(&self, from: NaiveDate) -> usize {
        ((self.due - from).num_days().max(0) / 7) as usize
    }
    /// Open at the start of `day` (issued by then, not paid before).
    pub fn open_on(&self, day: NaiveDate) -> bool {
        self.issued <= day && self.paid.is_none_or(|p| p >= day)
    }
}

/// The week since due of `day` for a claim due on `due`, bounded to the weeks counted.
fn week(due: NaiveDate, day: NaiveDate) -> i64 {
    (day - due).num_days().div_euclid(7).clamp(FIRST_WEEK, LAST_WEEK)
}

/// Weekly hazards of payment by group, stage and week since due.
#[derive(Clone, Debug, Default)]
pub struct Hazards {
    /// Each group's number (counted once per claim, not once per claim-week).
    groups: HashMap<String, usize>,
    /// (group number, stage, week) → (paid, at risk).
    by_group: HashMap<(usize, Stage, i64), (f64, f64)>,
    /// (stage, week) → (paid, at risk), all groups.
    pooled: HashMap<(Stage, i64), (f64, f64)>,
    /// (group number, stage, week) → (claims at each stage by the next week's start, having
    /// moved on; unpaid claims at the stage through a whole known week).
    moves_by_group: HashMap<(usize, Stage, i64), ([f64; 4], f64)>,
    /// The same, all groups.
    moves_pooled: HashMap<(Stage, i64), ([f64; 4], f64)>,
}

impl Hazards {
    /// Counts, for each claim and each week it was open before `as_of`, whether it was paid in
    /// that week, under its group and the stage it had at the week's start. Payments on or
    /// after `as_of` are not known: the claim counts as open until then.
    pub fn fit(claims: &[Claim], as_of: NaiveDate) -> Hazards {
        let mut h = Hazards::default();
        for c in claims {
            let next = h.groups.len();
            let group = *h.groups.entry(c.group.clone()).or_insert(next);
            let mut start = c.issued;
            while start < as_of && c.paid.is_none_or(|p| p >= start) {
                let end = start + Duration::days(7);
                let paid = c.paid.is_some_and(|p| p < end && p < as_of);
                // A week cut short by `as_of` counts for its share.
                let exposure = ((as_of.min(end) - start).num_days() as f64 / 7.0).min(1.0);
                let (stage, w) = (c.stage_on(start), week(c.due, start));
                for cell in [h.by_group.entry((group, stage, w)).or_default(), h.pooled.entry((stage, w)).or_default()]
                {
                    cell.0 += f64::from(u8::from(paid));
                    cell.1 += if paid { 1.0 } else { exposure };
                }
                if paid {
                    break;
                }
                // Where the claim stood by the next week's start, for weeks wholly known.
                if end <= as_of {
                    let next = c.stage_on(end);
                    for cell in [
                        h.moves_by_group.entry((group, stage, w)).or_default(),
                        h.moves_pooled.entry((stage, w)).or_default(),
                    ] {
                        if next > stage {
                            if let Some(n) = cell.0.get_mut(next as usize) {
                                *n += 1.0;
                            }
                        }
                        cell.1 += 1.0;
                    }
                }
                start = end;
            }
        }
        h
    }

    /// The chance of payment within a week for a claim of `group` at `stage`, `w` weeks from due.
    pub fn hazard(&self, group: &str, stage: Stage, w: i64) -> f64 {
        let (pe, pn) = self.pooled.get(&(stage, w)).copied().unwrap_or_default();
        // Where no claim at this stage was ever at risk this week, nothing is known: the
        // neighbouring earlier week's chance, or none.
        let pooled = if pn > 0.0 {
            pe / pn
        } else if w > FIRST_WEEK {
            self.hazard(group, stage, w - 1)
        } else {
            0.0
        };
        let (e, n) =
            self.groups.get(group).and_then(|g| self.by_group.get(&(*g, stage, w))).copied().unwrap_or_default();
        ((e + SHRINK * pooled) / (n + SHRINK)).clamp(0.0, 1.0)
    }

    /// For an unpaid claim of `group` at `stage`, `w` weeks from due: its chance of being at
    /// each later stage by the next week, shrunk towards all groups' like the hazard. Where no
    /// claim was at this stage through such a week, it stays.
    pub fn moves(&self, group: &str, stage: Stage, w: i64) -> [f64; 4] {
        let (pm, pn) = self.moves_pooled.get(&(stage, w)).copied().unwrap_or_default();
        let (m, n) =
            self.groups.get(group).and_then(|g| self.moves_by_group.get(&(*g, stage, w))).copied().unwrap_or_default();
        let mut out = [0.0; 4];
        if pn + n > 0.0 {
            for ((o, m), pm) in out.iter_mut().zip(m).zip(pm) {
                let pooled = if pn > 0.0 { pm / pn } else { 0.0 };
                *o = ((m + SHRINK * pooled) / (n + SHRINK)).clamp(0.0, 1.0);
            }
        }
        out
    }

    /// For a claim of `group` at `stage`, open on `as_of` and due on `due`: its chance of being
    /// paid in each of the next `weeks` weeks, and of not being paid within them. Week by week
    /// over the stages: of what is open at a stage, the stage's hazard is paid, and of the rest
    /// the share the creditor's claims moved on from there moves to the later stage.
    pub fn weekly(&self, group: &str, stage: Stage, due: NaiveDate, as_of: NaiveDate, weeks: usize) -> (Vec<f64>, f64) {
        let mut at = [0.0; 4];
        if let Some(a) = at.get_mut(stage as usize) {
            *a = 1.0;
        }
        let out = (0..weeks)
            .map(|k| {
                let w = week(due, as_of + Duration::days(7 * k as i64));
                let mut next = [0.0; 4];
                let mut paid = 0.0;
                for (s, open) in Stage::ALL.into_iter().zip(at) {
                    if open <= 0.0 {
                        continue;
                    }
                    let p = open * self.hazard(group, s, w);
                    paid += p;
                    let rest = open - p;
                    let moves = self.moves(group, s, w);
                    // Shares of the rest; scaled down should they add up to more than all of it.
                    let total: f64 = moves.iter().sum();
                    let moved = total.min(1.0);
                    for (n, m) in next.iter_mut().zip(moves) {
                        *n += rest * m / total.max(1.0);
                    }
                    if let Some(n) = next.get_mut(s as usize) {
                        *n += rest * (1.0 - moved);
                    }
                }
                at = next;
                paid
            })
            .collect();
        (out, at.iter().sum())
    }
}

/// One past week of the backtest.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BacktestWeek {
    /// The day the forecast was made.
    pub made_on: NaiveDate,
    /// Weeks ahead (1 = the week after it was made).
    pub ahead: usize,
    /// Received by the survival forecast.
    pub predicted: i64,
    /// Received if every claim were paid on its due date (overdue ones in the first week).
    pub if_paid_on_due_date: i64,
    /// Received.
    pub actual: i64,
}

/// Predicted against actual receipts for past weeks.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Backtest {
    /// Every forecast week.
    pub weeks: Vec<BacktestWeek>,
    /// Mean absolute error of the survival forecast's weekly receipts.
    pub mae: f64,
    /// The same for "paid on the due date".
    pub mae_if_paid_on_due_date: f64,
    /// Mean weekly receipts, to read the errors against.
    pub mean_actual: f64,
}

/// Forecasts made on each of the `made` days with only what was known then (hazards from the
/// claims as they stood, payments from that day on unknown), `horizon` weeks ahead each, against
/// what was received. Only weeks wholly before `today` are scored.
pub fn backtest(claims: &[Claim], made: &[NaiveDate], horizon: usize, today: NaiveDate) -> Backtest {
    let mut weeks = Vec::new();
    for &t in made {
        let hazards = Hazards::fit(claims, t);
        let ahead = (0..horizon).take_while(|k| t + Duration::days(7 * (*k as i64 + 1)) <= today).count();
        let mut rows: Vec<BacktestWeek> = (0..ahead)
            .map(|k| BacktestWeek { made_on: t, ahead: k + 1, predicted: 0, if_paid_on_due_date: 0, actual: 0 })
            .collect();
        for c in claims.iter().filter(|c| c.open_on(t)) {
            let (p, _) = hazards.weekly(&c.group, c.stage_on(t), c.due, t, ahead);
            let on_due = c.due_week(t);
            let paid_in = c.paid.map(|d| ((d - t).num_days() / 7) as usize);
            for (k, row) in rows.iter_mut().enumerate() {
                row.predicted += (c.amount as f64 * p.get(k).copied().unwrap_or(0.0)).round() as i64;
                row.if_paid_on_due_date += if on_due == k { c.amount } else { 0 };
                row.actual += if paid_in == Some(k) { c.amount } else { 0 };
            }
        }
        weeks.extend(rows);
    }
    let n = weeks.len().max(1) as f64;
    let mae = |f: fn(&BacktestWeek) -> i64| weeks.iter().map(|w| (f(w) - w.actual).abs() as f64).sum::<f64>() / n;
    Backtest {
        mae: mae(|w| w.predicted),
        mae_if_paid_on_due_date: mae(|w| w.if_paid_on_due_date),
        mean_actual: weeks.iter().map(|w| w.actual as f64).sum::<f64>() / n,
        weeks,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// Draws in [0, 1) from a seed (a linear congruential generator: enough for test books).
    fn uniform(mut seed: u64) -> impl FnMut() -> f64 {
        move || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            (seed >> 33) as f64 / (1u64 << 31) as f64
        }
    }

    /// Prompt payers pay 0–6 days after due; claims taken to legal 8 weeks after due are paid
    /// in one case of five, spread over the next half year.
    fn book() -> Vec<Claim> {
        let mut rnd = uniform(3);
        let mut out = Vec::new();
        for i in 0..2000 {
            let issued = d("2024-01-01") + Duration::days(i / 4);
            let due = issued + Duration::days(30);
            let (group, paid, stages) = if i % 4 == 0 {
                let legal = due + Duration::days(56);
                let paid = (rnd() < 0.2).then(|| legal + Duration::days((rnd() * 180.0) as i64));
                ("risk", paid, vec![(due + Duration::days(10), Stage::Reminder), (legal, Stage::Legal)])
            } else {
                ("normal", Some(due + Duration::days((rnd() * 7.0) as i64)), vec![])
            };
            out.push(Claim { group: group.into(), issued, due, paid, stages, amount: 100_00 });
        }
        out
    }

    #[test]
    fn old_claims_spread_thin_and_prompt_payers_come_soon() {
        let claims = book();
        let today = d("2025-06-01");
        let h = Hazards::fit(&claims, today);
        // A prompt payer three days past due: most of it within the week.
        let (p, _) = h.weekly("normal", Stage::None, today - Duration::days(3), today, 4);
        assert!(p[0] > 0.6, "{p:?}");
        // A claim in legal: a few per cent a week, most of it never within half a year.
        let (p, rest) = h.weekly("risk", Stage::Legal, today - Duration::days(120), today, 26);
        assert!(p.iter().all(|x| *x < 0.05) && rest > 0.7, "{p:?} {rest}");
        let total: f64 = p.iter().sum::<f64>() + rest;
        assert!((total - 1.0).abs() < 1e-9);
    }

    /// Claims taken to a reminder a week after due, of which one in ten is paid in the next two
    /// weeks, and to a collection demand three weeks after due, which six in ten of the rest pay
    /// within two weeks. A claim in reminders eight days past due is paid within five weeks with
    /// a chance of 0.1 + 0.9 × 0.6 = 0.64: the forecast follows it to collection, where claims
    /// that stayed in reminders (none here) would have said it hardly pays.
    #[test]
    fn a_claim_in_reminders_is_expected_as_its_collection_demand_is_answered() {
        let mut rnd = uniform(7);
        let mut claims = Vec::new();
        for i in 0..3000 {
            let issued = d("2024-01-01") + Duration::days(i / 10);
            let due = issued + Duration::days(30);
            let (reminder, collection) = (due + Duration::days(7), due + Duration::days(21));
            let paid = if rnd() < 0.1 {
                Some(reminder + Duration::days(1 + (rnd() * 12.0) as i64))
            } else if rnd() < 0.6 {
                Some(collection + Duration::days(1 + (rnd() * 12.0) as i64))
            } else {
                None
            };
            let mut stages = vec![(reminder, Stage::Reminder)];
            if paid.is_none_or(|p| p >= collection) {
                stages.push((collection, Stage::Collection));
            }
            claims.push(Claim { group: "normal".into(), issued, due, paid, stages, amount: 100_00 });
        }
        let today = d("2025-06-01");
        let h = Hazards::fit(&claims, today);
        let (p, rest) = h.weekly("normal", Stage::Reminder, today - Duration::days(8), today, 5);
        let within: f64 = p.iter().sum();
        assert!((within - 0.64).abs() < 0.05, "{within} {p:?}");
        assert!((within + rest - 1.0).abs() < 1e-9);
        // The moves themselves: from reminders to collection in the week before the demand
        // (week 2 since due), nine in ten of the unpaid.
        let m = h.moves("normal", Stage::Reminder, 2);
        assert!(m[Stage::Collection as usize] > 0.9 && m[Stage::Legal as usize] == 0.0, "{m:?}");
    }

    #[test]
    fn the_backtest_beats_paid_on_the_due_date() {
        let claims = book();
        let made: Vec<NaiveDate> = (0..12).map(|k| d("2024-09-02") + Duration::days(7 * k)).collect();
        let b = backtest(&claims, &made, 4, d("2025-06-01"));
        assert_eq!(b.weeks.len(), 48);
        assert!(b.mae < b.mae_if_paid_on_due_date / 2.0, "{b:?}");
        assert!(b.mean_actual > 0.0);
        // Only what was known: cutting the claims' payments after a day changes nothing for a
        // forecast made that day.
        let cut = d("2024-10-07");
        let known: Vec<Claim> =
            claims.iter().map(|c| Claim { paid: c.paid.filter(|p| *p < cut), ..c.clone() }).collect();
        assert_eq!(
            Hazards::fit(&claims, cut).hazard("risk", Stage::Legal, 20),
            Hazards::fit(&known, cut).hazard("risk", Stage::Legal, 20)
        );
    }
}
