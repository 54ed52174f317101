//! The strategy lab: what a handling model does to days to pay, fees and letters.
//!
//! - **Champion/challenger**: outcomes per arm of a running experiment, with 95 % confidence
//!   intervals, so a creditor adopts the winner with evidence. Days to pay are censored (open
//!   claims have not paid *yet*), so they are measured as the restricted mean days past due until
//!   paid (RMST, from a Kaplan–Meier curve; Greenwood variance).
//! - **Backtest**: replay past claims under another handling model. How debtors respond is
//!   learned from the same claims — the daily chance of payment before any step (by days from
//!   due) and after each kind of step (by days since it) — and the expected outcome under each
//!   model is computed exactly from those chances (no random draws). The current model is
//!   replayed the same way, so the comparison is like with like; the observed figures show how
//!   well the replay matches reality.

use crate::domain::{Channel, DebtorKind, Segment, StepKind};
use crate::fees::{fees_for_step, FeeContext, PriorFees};
use crate::law::Jurisdiction;
use crate::model::{After, Step};
use crate::money::Currency;
use chrono::{Duration, NaiveDate};
use serde::Serialize;

/// 1.96: the normal quantile for a two-sided 95 % interval.
const Z: f64 = 1.959_964;

/// An estimate with its 95 % confidence interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Estimate {
    /// The estimate.
    pub value: f64,
    /// Lower bound of the 95 % interval.
    pub low: f64,
    /// Upper bound of the 95 % interval.
    pub high: f64,
}

impl Estimate {
    pub(crate) fn normal(value: f64, var: f64) -> Estimate {
        let h = Z * var.max(0.0).sqrt();
        Estimate { value, low: value - h, high: value + h }
    }
    /// Excludes zero: the difference is significant at the 5 % level.
    pub fn significant(&self) -> bool {
        self.low > 0.0 || self.high < 0.0
    }
}

/// Wilson score interval for a proportion (good with small counts and shares near 0 or 1).
pub fn wilson(successes: usize, n: usize) -> Option<Estimate> {
    if n == 0 {
        return None;
    }
    let (k, n) = (successes as f64, n as f64);
    let p = k / n;
    let d = 1.0 + Z * Z / n;
    let c = (p + Z * Z / (2.0 * n)) / d;
    let h = Z * (p * (1.0 - p) / n + Z * Z / (4.0 * n * n)).sqrt() / d;
    Some(Estimate { value: p, low: (c - h).max(0.0), high: (c + h).min(1.0) })
}

/// Restricted mean time to the event up to `horizon` from (time, event happened) pairs, by
/// Kaplan–Meier, with its variance (Greenwood). Times are clipped to [0, horizon].
#[allow(clippy::indexing_slicing, reason = "i < n and j < n are checked in the loops; m < steps.len()")]
pub fn rmst(obs: &[(f64, bool)], horizon: f64) -> Option<(f64, f64)> {
    if obs.is_empty() {
        return None;
    }
    let mut v: Vec<(f64, bool)> = obs.iter().map(|(t, e)| (t.clamp(0.0, horizon), *e && *t <= horizon)).collect();
    v.sort_by(|a, b| a.0.total_cmp(&b.0));
    // Distinct event times with (time, deaths, at risk) and the survival after each.
    let mut steps: Vec<(f64, f64, f64, f64)> = Vec::new();
    let (mut s, mut i, n) = (1.0, 0, v.len());
    while i < n {
        let t = v[i].0;
        let mut j = i;
        let mut d = 0.0;
        while j < n && v[j].0 == t {
            d += f64::from(u8::from(v[j].1));
            j += 1;
        }
        if d > 0.0 {
            let at_risk = (n - i) as f64;
            s *= 1.0 - d / at_risk;
            steps.push((t, d, at_risk, s));
        }
        i = j;
    }
    // Area under S from 0 to the horizon; S is 1 before the first event.
    let area_from = |k: usize| -> f64 {
        // Area from steps[k].0 to the horizon.
        let mut a = 0.0;
        for m in k..steps.len() {
            let end = steps.get(m + 1).map_or(horizon, |x| x.0);
            a += steps[m].3 * (end - steps[m].0);
        }
        a
    };
    let first = steps.first().map_or(horizon, |x| x.0);
    let mean = first + if steps.is_empty() { 0.0 } else { area_from(0) };
    let var: f64 = steps
        .iter()
        .enumerate()
        .filter(|(_, x)| x.2 > x.1)
        .map(|(k, x)| area_from(k).powi(2) * x.1 / (x.2 * (x.2 - x.1)))
        .sum();
    Some((mean, var))
}

/// One claim of an experiment, as of the report date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArmClaim {
    /// In the challenger arm.
    pub challenger: bool,
    /// Due date.
    pub due: NaiveDate,
    /// Principal in minor units.
    pub principal: i64,
    /// Fully paid on.
    pub settled: Option<NaiveDate>,
    /// Payments received.
    pub collected: i64,
    /// A collection demand was sent.
    pub reached_collection: bool,
    /// Letters, e-mails and texts sent (phone calls not counted).
    pub letters: u32,
    /// Of them, e-mails.
    pub emails: u32,
    /// Of them, texts.
    pub texts: u32,
    /// Phone calls.
    pub calls: u32,
    /// Fees charged.
    pub fees: i64,
}

/// What contacts and money cost the creditor, to weigh a strategy's gains against.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Costs {
    /// A letter (print and postage), in major units.
    pub letter: f64,
    /// An e-mail.
    pub email: f64,
    /// A text message.
    pub text: f64,
    /// An advisor's phone call.
    pub call: f64,
    /// The creditor's cost of capital, a year (0.08 = 8 %): what a day sooner is worth.
    pub capital_rate: f64,
}

impl Costs {
    /// Defaults in `currency`: a letter 1.50 EUR, an e-mail 0.02, a text 0.08, a call 5.00
    /// (an advisor's few minutes), in kronor at about 11 SEK/NOK and 7.5 DKK to the euro (and as
    /// many dollars as euros);
    /// capital at 8 % a year. Meant to be set to the creditor's own.
    pub fn default_for(currency: Currency) -> Costs {
        let per_euro = match currency {
            Currency::EUR | Currency::USD => 1.0,
            Currency::SEK | Currency::NOK => 11.0,
            Currency::DKK => 7.5,
        };
        Costs {
            letter: 1.5 * per_euro,
            email: 0.02 * per_euro,
            text: 0.08 * per_euro,
            call: 5.0 * per_euro,
            capital_rate: 0.08,
        }
    }

    /// What so many paper letters, e-mails, texts and calls cost.
    pub fn contacts(&self, letters: u32, emails: u32, texts: u32, calls: u32) -> f64 {
        f64::from(letters) * self.letter
            + f64::from(emails) * self.email
            + f64::from(texts) * self.text
            + f64::from(calls) * self.call
    }

    /// A mature claim's net value in major units, against its principal paid on the due date at
    /// no cost (so 0 is the best a claim can do, and claims of different sizes do not add their
    /// sizes' noise to the comparison): the principal not collected, the cost of capital for the
    /// days from due until the rest was paid (the horizon where it was not, or only in part),
    /// what its contacts cost and the fees the debtor was charged (so a strategy never looks
    /// better by charging the debtor more), all taken off.
    fn net_value(&self, c: &ArmClaim, horizon: i64) -> f64 {
        let days = c.settled.map_or(horizon, |s| (s - c.due).num_days().clamp(0, horizon));
        let collected = c.collected.clamp(0, c.principal) as f64 / 100.0;
        let contacts = self.contacts(c.letters.saturating_sub(c.emails + c.texts), c.emails, c.texts, c.calls);
        let principal = c.principal.max(0) as f64 / 100.0;
        collected * (1.0 - self.capital_rate * days as f64 / 365.0) - principal - contacts - c.fees as f64 / 100.0
    }
}

/// One arm's outcomes with 95 % intervals.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ArmFigures {
    /// "champion" or "challenger".
    pub arm: String,
    /// Customers in the arm.
    pub customers: usize,
    /// Claims past due on the report date.
    pub claims: usize,
    /// Restricted mean days past due until paid (up to the horizon).
    pub days_to_pay: Option<Estimate>,
    /// Claims due at least `horizon` days before the report date: their outcome is complete.
    pub mature_claims: usize,
    /// Share of mature claims that reached collection.
    pub reached_collection: Option<Estimate>,
    /// Collected share of the principal of mature claims.
    pub collected: Option<Estimate>,
    /// Letters, e-mails and texts per claim.
    pub letters_per_claim: Option<Estimate>,
    /// Fees per claim, in major units.
    pub fees_per_claim: Option<Estimate>,
    /// Net value per mature claim, in major units, against the principal paid on the due date
    /// at no cost (see [`Costs`]).
    pub net_value_per_claim: Option<Estimate>,
}

/// An experiment's outcomes per arm and their differences.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ExperimentReport {
    /// The report date.
    pub as_of: NaiveDate,
    /// Days after due over which claims are followed.
    pub horizon_days: i64,
    /// The segment's model.
    pub champion: ArmFigures,
    /// The challenger.
    pub challenger: ArmFigures,
    /// Challenger minus champion.
    pub days_to_pay_difference: Option<Estimate>,
    /// Challenger minus champion: share reaching collection.
    pub collection_difference: Option<Estimate>,
    /// Challenger minus champion: share of principal collected.
    pub collected_difference: Option<Estimate>,
    /// Challenger minus champion: letters per claim.
    pub letters_difference: Option<Estimate>,
    /// Challenger minus champion: fees per claim.
    pub fees_difference: Option<Estimate>,
    /// The costs the net value weighs.
    pub costs: Costs,
    /// Challenger minus champion: net value per mature claim, in major units.
    pub net_value_difference: Option<Estimate>,
    /// What the figures say, in words: days to pay, then the decision by net value ("adopt"
    /// only when its whole interval is above zero).
    pub verdict: String,
}

pub(crate) fn mean(xs: &[f64]) -> Option<(f64, f64)> {
    if xs.is_empty() {
        return None;
    }
    let n = xs.len() as f64;
    let m = xs.iter().sum::<f64>() / n;
    let var = if xs.len() > 1 { xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0) / n } else { 0.0 };
    Some((m, var))
}

pub(crate) fn diff(a: Option<(f64, f64)>, b: Option<(f64, f64)>) -> Option<Estimate> {
    let ((a, va), (b, vb)) = (a?, b?);
    Some(Estimate::normal(a - b, va + vb))
}

/// Per-arm (value, variance) pairs and the figures.
struct Arm {
    figures: ArmFigures,
    days: Option<(f64, f64)>,
    collection: Option<(f64, f64)>,
    collected: Option<(f64, f64)>,
    letters: Option<(f64, f64)>,
    fees: Option<(f64, f64)>,
    net: Option<(f64, f64)>,
}

fn arm(name: &str, customers: usize, claims: &[&ArmClaim], as_of: NaiveDate, horizon: i64, costs: &Costs) -> Arm {
    let due: Vec<&&ArmClaim> = claims.iter().filter(|c| c.due < as_of).collect();
    let obs: Vec<(f64, bool)> = due
        .iter()
        .map(|c| match c.settled.filter(|s| *s <= as_of) {
            Some(s) => ((s - c.due).num_days().max(0) as f64, true),
            None => ((as_of - c.due).num_days() as f64, false),
        })
        .collect();
    let days = rmst(&obs, horizon as f64);
    let mature: Vec<&&ArmClaim> = due.iter().copied().filter(|c| c.due + Duration::days(horizon) <= as_of).collect();
    let n = mature.len();
    let collection = (n > 0).then(|| {
        let p = mature.iter().filter(|c| c.reached_collection).count() as f64 / n as f64;
        (p, p * (1.0 - p) / n as f64)
    });
    // Collected share: a ratio estimator (sum collected / sum principal), variance by the delta method.
    let collected = (n > 0).then(|| {
        let (c, p): (Vec<f64>, Vec<f64>) = mature.iter().map(|x| (x.collected as f64, x.principal as f64)).unzip();
        let r = c.iter().sum::<f64>() / p.iter().sum::<f64>().max(1.0);
        let pm = p.iter().sum::<f64>() / n as f64;
        let var = if n > 1 {
            c.iter().zip(&p).map(|(c, p)| (c - r * p).powi(2)).sum::<f64>()
                / (n as f64 - 1.0)
                / (n as f64 * pm * pm).max(1e-9)
        } else {
            0.0
        };
        (r, var)
    });
    let letters = mean(&due.iter().map(|c| f64::from(c.letters)).collect::<Vec<_>>());
    let fees = mean(&due.iter().map(|c| c.fees as f64 / 100.0).collect::<Vec<_>>());
    let net = mean(&mature.iter().map(|c| costs.net_value(c, horizon)).collect::<Vec<_>>());
    let est = |x: Option<(f64, f64)>| x.map(|(v, var)| Estimate::normal(v, var));
    Arm {
        figures: ArmFigures {
            arm: name.into(),
            customers,
            claims: due.len(),
            days_to_pay: est(days),
            mature_claims: n,
            reached_collection: wilson(mature.iter().filter(|c| c.reached_collection).count(), n),
            collected: est(collected),
            letters_per_claim: est(letters),
            fees_per_claim: est(fees),
            net_value_per_claim: est(net),
        },
        days,
        collection,
        collected,
        letters,
        fees,
        net,
    }
}

/// Outcomes per arm with 95 % intervals, and the differences (challenger minus champion).
/// `customers` counts the customers assigned to (champion, challenger); `costs` are weighed
/// against the cash collected sooner for the decision.
pub fn experiment_report(
    claims: &[ArmClaim],
    customers: (usize, usize),
    as_of: NaiveDate,
    horizon: i64,
    costs: Costs,
) -> ExperimentReport {
    let (ch, cc): (Vec<&ArmClaim>, Vec<&ArmClaim>) = claims.iter().partition(|c| !c.challenger);
    let a = arm("champion", customers.0, &ch, as_of, horizon, &costs);
    let b = arm("challenger", customers.1, &cc, as_of, horizon, &costs);
    let net = diff(b.net, a.net);
    let days = diff(b.days, a.days);
    let collection = diff(b.collection, a.collection);
    let collected = diff(b.collected, a.collected);
    let letters = diff(b.letters, a.letters);
    let timing = match days {
        None => "no claim has come due in both arms yet".to_string(),
        Some(d) if d.significant() => format!(
            "the challenger's debtors pay {:.1} days {} (95 % CI {:.1} to {:.1} days)",
            d.value.abs(),
            if d.value < 0.0 { "sooner" } else { "later" },
            d.low.abs().min(d.high.abs()),
            d.low.abs().max(d.high.abs()),
        ),
        Some(d) => format!(
            "no significant difference in days to pay yet ({:+.1} days, 95 % CI {:+.1} to {:+.1})",
            d.value, d.low, d.high
        ),
    };
    let decision = match net {
        None => "no claim is old enough to weigh its net value yet: let the experiment run longer".to_string(),
        Some(n) => {
            let range = format!("{:+.2} per claim (95 % CI {:+.2} to {:+.2})", n.value, n.low, n.high);
            if n.low > 0.0 {
                format!("net of contacts, fees and the cost of capital the challenger is worth {range}: adopt it")
            } else if n.high < 0.0 {
                format!("net of contacts, fees and the cost of capital the challenger loses {range}: keep the champion")
            } else {
                format!("net of contacts, fees and the cost of capital: {range}, not yet clear: let the experiment run longer")
            }
        }
    };
    let verdict = format!("{timing}; {decision}");
    ExperimentReport {
        as_of,
        horizon_days: horizon,
        champion: a.figures,
        challenger: b.figures,
        days_to_pay_difference: days,
        collection_difference: collection,
        collected_difference: collected,
        letters_difference: letters,
        fees_difference: diff(b.fees, a.fees),
        costs,
        net_value_difference: net,
        verdict,
    }
}

// ----- backtest ------------------------------------------------------------------------------

/// A past claim with the steps it took (skipped steps left out).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PastClaim {
    /// The customer's segment.
    pub segment: Segment,
    /// Consumer or business.
    pub debtor: DebtorKind,
    /// Invoice date.
    pub issue: NaiveDate,
    /// Due date.
    pub due: NaiveDate,
    /// Principal in minor units.
    pub principal: i64,
    /// Currency.
    pub currency: Currency,
    /// When it was settled, if it was.
    pub paid: Option<NaiveDate>,
    /// The steps it took, with their dates.
    pub steps: Vec<(StepKind, NaiveDate)>,
}

/// Bands of days from due (no step taken yet) and of days since the latest step, within which
/// the daily chance of payment is taken as constant: narrow where behaviour changes fast.
const DUE_BANDS: &[i64] = &[-15, -8, -4, -1, 0, 2, 5, 9, 14, 21, 30, 45, 60, 90];
const STEP_BANDS: &[i64] = &[1, 2, 3, 5, 7, 10, 14, 21, 30, 45, 60, 90];
/// Below this many days at risk a band borrows from a neighbouring band (or all segments).
const MIN_EXPOSURE: f64 = 50.0;

fn band(bands: &[i64], x: i64) -> usize {
    bands.iter().position(|b| x <= *b).unwrap_or(bands.len())
}

/// (payments, days at risk) per band; index 0 of `kinds` is "no step yet".
#[derive(Clone, Debug, Default)]
struct Counts {
    kinds: Vec<Vec<(f64, f64)>>,
}

impl Counts {
    fn new() -> Counts {
        let mut kinds = vec![vec![(0.0, 0.0); DUE_BANDS.len() + 1]];
        kinds.extend((0..StepKind::ALL.len()).map(|_| vec![(0.0, 0.0); STEP_BANDS.len() + 1]));
        Counts { kinds }
    }
    #[allow(
        clippy::indexing_slicing,
        reason = "kinds has one row for before any step and one per StepKind; band() returns a band below its table's length + 1"
    )]
    fn slot(&mut self, state: Option<(StepKind, i64)>, rel_due: i64) -> &mut (f64, f64) {
        match state {
            None => &mut self.kinds[0][band(DUE_BANDS, rel_due)],
            Some((k, d)) => &mut self.kinds[1 + k.index()][band(STEP_BANDS, d)],
        }
    }
    #[allow(clippy::indexing_slicing, reason = "k is a row of kinds chosen by slot's layout")]
    fn exposure(&self, k: usize) -> f64 {
        self.kinds[k].iter().map(|x| x.1).sum()
    }
}

/// How debtors responded: daily payment chances per segment (and for all segments together).
#[derive(Clone, Debug)]
pub struct Response {
    by_segment: Vec<Counts>,
    all: Counts,
    /// Step kinds never seen, and the kind whose response stands in for them.
    pub borrowed: Vec<(StepKind, StepKind)>,
}

impl Response {
    /// Learns from past claims, followed day by day up to `horizon` days after due or `as_of`.
    #[allow(clippy::indexing_slicing, reason = "three segments, three counts; k < c.steps.len() is checked before use")]
    pub fn learn(claims: &[PastClaim], as_of: NaiveDate, horizon: i64) -> Response {
        let mut by_segment = vec![Counts::new(), Counts::new(), Counts::new()];
        let mut all = Counts::new();
        for c in claims {
            let end = c.paid.unwrap_or(NaiveDate::MAX).min(as_of).min(c.due + Duration::days(horizon));
            let mut day = c.issue.max(c.due - Duration::days(60));
            let mut k = 0;
            while day <= end {
                // The state on a day is set by the latest step taken before it.
                while k < c.steps.len() && c.steps[k].1 < day {
                    k += 1;
                }
                let state = k.checked_sub(1).map(|i| (c.steps[i].0, (day - c.steps[i].1).num_days()));
                let paid = c.paid == Some(day);
                let rel = (day - c.due).num_days();
                for counts in [&mut by_segment[c.segment as usize], &mut all] {
                    let s = counts.slot(state, rel);
                    s.0 += f64::from(u8::from(paid));
                    s.1 += 1.0;
                }
                day += Duration::days(1);
            }
        }
        // A step kind never taken responds like the nearest milder kind that was.
        let mut borrowed = Vec::new();
        for k in StepKind::ALL {
            if all.exposure(1 + k.index()) == 0.0 {
                let stand_in = StepKind::ALL
                    .iter()
                    .filter(|o| all.exposure(1 + o.index()) > 0.0)
                    .min_by_key(|o| (o.severity().abs_diff(k.severity()), o.severity() > k.severity()));
                if let Some(o) = stand_in {
                    borrowed.push((*k, *o));
                }
            }
        }
        Response { by_segment, all, borrowed }
    }

    /// The daily chance of payment in a state: from the segment's own experience in that band;
    /// where it has too little, from its nearest band that has enough (responses differ more
    /// between segments than between neighbouring days); else from all segments together.
    #[allow(
        clippy::indexing_slicing,
        reason = "three segments, three counts; band indexes are checked against the band table's length"
    )]
    fn hazard(&self, segment: Segment, state: Option<(StepKind, i64)>, rel_due: i64) -> f64 {
        let state = state.map(|(k, d)| (self.borrowed.iter().find(|b| b.0 == k).map_or(k, |b| b.1), d));
        let (i, b) = match state {
            None => (0, band(DUE_BANDS, rel_due)),
            Some((k, d)) => (1 + k.index(), band(STEP_BANDS, d)),
        };
        let rate = |bands: &[(f64, f64)]| -> Option<f64> {
            // The band itself, then outwards, nearer and earlier first.
            (0..bands.len())
                .flat_map(|off| [b.checked_sub(off), Some(b + off).filter(|_| off > 0)])
                .flatten()
                .filter(|x| *x < bands.len())
                .map(|x| bands[x])
                .find(|(_, n)| *n >= MIN_EXPOSURE)
                .map(|(e, n)| e / n)
        };
        rate(&self.by_segment[segment as usize].kinds[i]).or_else(|| rate(&self.all.kinds[i])).unwrap_or_else(|| {
            let (e, n) = self.all.kinds[i][b];
            if n > 0.0 {
                e / n
            } else {
                0.0
            }
        })
    }
}

/// Expected outcomes of a set of claims under a handling model.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Outcomes {
    /// Claims replayed.
    pub claims: usize,
    /// Mean days past due until paid, counting claims unpaid at the horizon as the horizon.
    pub days_to_pay: f64,
    /// Share of claims paid within the horizon.
    pub paid_share: f64,
    /// Letters, e-mails and texts per claim.
    pub letters_per_claim: f64,
    /// Phone calls per claim.
    pub phone_calls_per_claim: f64,
    /// Fees per claim, in major units.
    pub fees_per_claim: f64,
    /// Fees per claim in minor units.
    pub fees_total: i64,
    /// Share of claims reaching a collection demand.
    pub collection_share: f64,
}

impl Outcomes {
    fn add(&mut self, o: &Outcomes) {
        self.claims += o.claims;
        self.days_to_pay += o.days_to_pay;
        self.paid_share += o.paid_share;
        self.letters_per_claim += o.letters_per_claim;
        self.phone_calls_per_claim += o.phone_calls_per_claim;
        self.fees_per_claim += o.fees_per_claim;
        self.collection_share += o.collection_share;
    }
    fn averaged(mut self) -> Outcomes {
        let n = self.claims.max(1) as f64;
        self.fees_total = (self.fees_per_claim * 100.0).round() as i64;
        for x in [
            &mut self.days_to_pay,
            &mut self.paid_share,
            &mut self.letters_per_claim,
            &mut self.phone_calls_per_claim,
            &mut self.fees_per_claim,
            &mut self.collection_share,
        ] {
            *x /= n;
        }
        self
    }
}

/// Policy settings the replay needs besides the steps.
pub struct ReplayContext<'a> {
    /// The law tables in force.
    pub law: &'a Jurisdiction,
    /// Reminder fees are in the creditor's terms.
    pub reminder_fee_agreed: bool,
    /// Who sends the steps.
    pub collector: crate::domain::Collector,
    /// Days after due to follow each claim.
    pub horizon: i64,
}

/// The expected outcome of one claim under `steps`: each day, a step due that day is taken if
/// the claim is still unpaid (weighted by the chance it is), then it is paid with the day's
/// chance in its state.
fn replay_one(r: &Response, ctx: &ReplayContext<'_>, c: &PastClaim, steps: &[Step]) -> Outcomes {
    let mut o = Outcomes { claims: 1, ..Default::default() };
    let mut alive = 1.0;
    let mut state: Option<(StepKind, NaiveDate)> = None;
    let mut next = 0usize;
    let mut next_day = steps.first().map(|s| c.due + Duration::days(s.days));
    let mut prior = PriorFees::default();
    let mut last_letter: Option<NaiveDate> = None;
    let end = c.due + Duration::days(ctx.horizon);
    let mut day = c.issue.max(c.due - Duration::days(60));
    let mut deadline = c.due;
    // The day the step after `next` falls due: from the due date, or the day after the deadline.
    let schedule = |next: usize, deadline: NaiveDate| {
        steps.get(next).map(|n| {
            if n.after == After::Due {
                c.due + Duration::days(n.days)
            } else {
                deadline + Duration::days(1 + n.days)
            }
        })
    };
    while day <= end && alive > 1e-9 {
        // Today's chance of payment follows the steps taken before today (as learned).
        let active = state;
        while let (Some(s), Some(when)) = (steps.get(next), next_day) {
            // The law's earliest day for the step, as the run enforces it.
            let limits = ctx.law.step_limits(s.kind, c.debtor);
            let mut earliest = when;
            if limits.min_days_after_due > 0 {
                earliest = earliest.max(c.due + Duration::days(limits.min_days_after_due));
            }
            if let (true, Some(l)) = (limits.min_days_since_previous > 0, last_letter) {
                earliest = earliest.max(l + Duration::days(limits.min_days_since_previous));
            }
            if s.kind == StepKind::PreDue && day >= c.due {
                next += 1;
                next_day = schedule(next, deadline);
                continue;
            }
            if day < earliest {
                break;
            }
            let fee = if c.principal >= s.min_amount {
                let ctxf = FeeContext {
                    law: ctx.law,
                    debtor: c.debtor,
                    reminder_fee_agreed: ctx.reminder_fee_agreed,
                    collector: ctx.collector,
                    written: s.channel.is_written(),
                    currency: c.currency,
                    principal: c.principal,
                    due: c.due,
                    date: day,
                    previous_letter: last_letter.map(|l| (l, deadline)),
                    instalments: None,
                    prior: &prior,
                };
                let f = fees_for_step(&ctxf, s.kind, s.fee);
                prior.record(s.kind.fee_kind(), &f.lines, f.notional);
                f.total()
            } else {
                0
            };
            o.fees_per_claim += alive * fee as f64 / 100.0;
            if s.kind == StepKind::PhoneCall || s.channel == Channel::Phone {
                o.phone_calls_per_claim += alive;
            } else {
                o.letters_per_claim += alive;
                last_letter = Some(day);
            }
            if s.kind == StepKind::Collection {
                o.collection_share += alive;
            }
            state = Some((s.kind, day));
            deadline = day
                + Duration::days(if s.kind == StepKind::PreDue {
                    (c.due - day).num_days().max(0)
                } else {
                    s.payment_days
                });
            next += 1;
            next_day = schedule(next, deadline);
            break; // one step a day
        }
        let h = r.hazard(c.segment, active.map(|(k, d)| (k, (day - d).num_days())), (day - c.due).num_days());
        let paid_today = alive * h;
        o.days_to_pay += paid_today * (day - c.due).num_days().max(0) as f64;
        o.paid_share += paid_today;
        alive -= paid_today;
        day += Duration::days(1);
    }
    o.days_to_pay += alive * ctx.horizon as f64;
    o
}

/// The expected outcomes of `claims` under `steps`.
pub fn replay(r: &Response, ctx: &ReplayContext<'_>, claims: &[&PastClaim], steps: &[Step]) -> Outcomes {
    let mut total = Outcomes::default();
    for c in claims {
        total.add(&replay_one(r, ctx, c, steps));
    }
    total.averaged()
}

/// What actually happened to `claims` (as of `as_of`, capped at the horizon), to compare with.
pub fn observed(claims: &[&PastClaim], fees: &[i64], as_of: NaiveDate, horizon: i64) -> Outcomes {
    let mut o = Outcomes::default();
    for (c, fee) in claims.iter().zip(fees) {
        let cap = c.due + Duration::days(horizon);
        let paid = c.paid.filter(|p| *p <= cap && *p <= as_of);
        o.claims += 1;
        o.days_to_pay +=
            paid.map_or(((as_of.min(cap)) - c.due).num_days().max(0) as f64, |p| (p - c.due).num_days().max(0) as f64);
        o.paid_share += f64::from(u8::from(paid.is_some()));
        let within: Vec<&(StepKind, NaiveDate)> = c.steps.iter().filter(|s| s.1 <= cap).collect();
        o.letters_per_claim += within.iter().filter(|s| s.0 != StepKind::PhoneCall).count() as f64;
        o.phone_calls_per_claim += within.iter().filter(|s| s.0 == StepKind::PhoneCall).count() as f64;
        o.collection_share += f64::from(u8::from(within.iter().any(|s| s.0 == StepKind::Collection)));
        o.fees_per_claim += *fee as f64 / 100.0;
    }
    o.averaged()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::JurisdictionCode;
    use crate::law::LawBook;
    use crate::model::Policy;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn wilson_and_rmst_by_hand() {
        let w = wilson(5, 10).unwrap();
        assert!(
            (w.value - 0.5).abs() < 1e-12 && (w.low - 0.2366).abs() < 1e-3 && (w.high - 0.7634).abs() < 1e-3,
            "{w:?}"
        );
        assert!(wilson(0, 0).is_none());
        // No censoring: RMST is the mean of the times capped at the horizon.
        let (m, _) = rmst(&[(2.0, true), (4.0, true), (10.0, true), (50.0, true)], 30.0).unwrap();
        assert!((m - (2.0 + 4.0 + 10.0 + 30.0) / 4.0).abs() < 1e-9, "{m}");
        // Censoring at 5: that claim's future is the Kaplan-Meier average of those still open.
        let (m, var) = rmst(&[(2.0, true), (5.0, false), (10.0, true), (20.0, true)], 30.0).unwrap();
        // S = 1 to 2, 0.75 to 10, 0.375 to 20, 0 after: area = 2 + 0.75 * 8 + 0.375 * 10 = 11.75.
        assert!((m - 11.75).abs() < 1e-9, "{m}");
        assert!(var > 0.0);
    }

    fn claim(challenger: bool, due: &str, paid: Option<&str>, collection: bool) -> ArmClaim {
        ArmClaim {
            challenger,
            due: d(due),
            principal: 100_00,
            settled: paid.map(d),
            collected: if paid.is_some() { 100_00 } else { 0 },
            reached_collection: collection,
            letters: 1,
            emails: 0,
            texts: 0,
            calls: 0,
            fees: 60_00,
        }
    }

    #[test]
    fn experiment_report_finds_a_faster_challenger_and_says_so() {
        let mut claims = Vec::new();
        for i in 0..200 {
            let due = d("2024-01-01") + Duration::days(i % 60);
            // Champion: paid 20 days after due; challenger: 8 days; a few never pay.
            let late = |x: i64| if i % 10 == 0 { None } else { Some((due + Duration::days(x + i % 5)).to_string()) };
            claims.push(claim(false, &due.to_string(), late(20).as_deref(), i % 10 == 0));
            claims.push(claim(true, &due.to_string(), late(8).as_deref(), i % 10 == 0));
        }
        let r = experiment_report(&claims, (150, 150), d("2024-06-01"), 60, Costs::default_for(Currency::SEK));
        let diff = r.days_to_pay_difference.unwrap();
        assert!((diff.value + 10.8).abs() < 0.5, "{diff:?}");
        assert!(diff.significant() && r.verdict.contains("sooner"), "{}", r.verdict);
        // Sooner, but 100.00 claims ten days sooner are worth 100 × 0.08 × 10.8 / 365 = 0.24 each,
        // and a tenth never pay in either arm: the net value is not clear, so no "adopt".
        let net = r.net_value_difference.unwrap();
        assert!((net.value - 0.24).abs() < 0.01 && net.low < 0.0, "{net:?}");
        assert!(r.verdict.ends_with("not yet clear: let the experiment run longer"), "{}", r.verdict);
        assert_eq!(r.champion.claims, 200);
        assert!(!r.collection_difference.unwrap().significant());
        // Two small arms with the same behaviour: no evidence either way.
        let same: Vec<ArmClaim> = (0..20)
            .map(|i| claim(i % 2 == 0, "2024-01-10", Some(if i % 4 < 2 { "2024-01-20" } else { "2024-01-25" }), false))
            .collect();
        let r = experiment_report(&same, (10, 10), d("2024-06-01"), 60, Costs::default_for(Currency::SEK));
        assert!(r.verdict.starts_with("no significant difference"), "{}", r.verdict);
    }

    /// Net value by hand: 1 000.00 collected 20 days sooner at 8 % a year is worth
    /// 1000 × 0.08 × 20 / 365 = 4.3836 more; a text (0.08 EUR) leaves 4.3036, a call (5.00) a
    /// loss of 0.6164, and a 60.00 fee charged to the debtor a loss of 55.6164.
    #[test]
    fn the_decision_weighs_cash_sooner_against_contacts_and_fees() {
        let costs = Costs::default_for(Currency::EUR);
        let arms = |extra: &dyn Fn(&mut ArmClaim)| -> ExperimentReport {
            let mut claims = Vec::new();
            for i in 0..40 {
                let due = d("2024-01-01") + Duration::days(i);
                let mut a = claim(false, &due.to_string(), Some(&(due + Duration::days(30)).to_string()), false);
                let mut b = claim(true, &due.to_string(), Some(&(due + Duration::days(10)).to_string()), false);
                a.principal = 1000_00;
                a.collected = 1000_00;
                b.principal = 1000_00;
                b.collected = 1000_00;
                extra(&mut b);
                claims.extend([a, b]);
            }
            experiment_report(&claims, (40, 40), d("2024-06-01"), 60, costs)
        };
        let net = |r: &ExperimentReport| r.net_value_difference.unwrap().value;
        let text = arms(&|b| {
            b.letters += 1;
            b.texts += 1;
        });
        assert!((net(&text) - 4.3036).abs() < 1e-3, "{}", net(&text));
        // The champion's claim against 1 000.00 paid on the due date at no cost: 30 days of
        // capital (1000 × 0.08 × 30 / 365 = 6.5753), a letter 1.50 and a 60.00 fee: -68.0753.
        let champion = text.champion.net_value_per_claim.unwrap().value;
        assert!((champion + 68.0753).abs() < 1e-3, "{champion}");
        assert!(text.verdict.contains("sooner") && text.verdict.ends_with("adopt it"), "{}", text.verdict);
        let call = arms(&|b| b.calls += 1);
        assert!((net(&call) + 0.6164).abs() < 1e-3, "{}", net(&call));
        assert!(call.verdict.contains("sooner") && call.verdict.ends_with("keep the champion"), "{}", call.verdict);
        let fee = arms(&|b| b.fees += 60_00);
        assert!((net(&fee) + 55.6164).abs() < 1e-3, "{}", net(&fee));
        // Not yet mature: nothing to weigh.
        let young = experiment_report(&[claim(true, "2024-05-20", None, false)], (1, 1), d("2024-06-01"), 60, costs);
        assert!(young.verdict.contains("let the experiment run longer"), "{}", young.verdict);
    }

    /// Debtors who pay three days after any reminder, and otherwise 40 days after due.
    fn world() -> Vec<PastClaim> {
        let mut v = Vec::new();
        for i in 0..300 {
            let issue = d("2024-01-01") + Duration::days(i % 90);
            let due = issue + Duration::days(30);
            let reminded = i % 2 == 0;
            let reminder = due + Duration::days(7);
            v.push(PastClaim {
                segment: Segment::Normal,
                debtor: DebtorKind::Consumer,
                issue,
                due,
                principal: 1000_00,
                currency: Currency::SEK,
                paid: Some(if reminded { reminder + Duration::days(3) } else { due + Duration::days(40) }),
                steps: if reminded { vec![(StepKind::Reminder, reminder)] } else { vec![] },
            });
        }
        v
    }

    #[test]
    fn backtest_moves_payments_with_the_reminder() {
        let claims = world();
        let law = LawBook::embedded();
        let se = law.jurisdiction(JurisdictionCode::SE).unwrap();
        let r = Response::learn(&claims, d("2024-12-31"), 120);
        let ctx = ReplayContext {
            law: se,
            reminder_fee_agreed: true,
            collector: crate::domain::Collector::Own,
            horizon: 120,
        };
        let all: Vec<&PastClaim> = claims.iter().collect();
        let normal = Policy::default_for(JurisdictionCode::SE).model(Segment::Normal).steps.clone();
        let current = replay(&r, &ctx, &all, &normal[..1]);
        // Reminder at due + 7, paid three days later: about 10 days.
        assert!((current.days_to_pay - 10.0).abs() < 1.5, "{current:?}");
        assert!((current.letters_per_claim - 1.0).abs() < 0.05, "{current:?}");
        assert!((current.fees_per_claim - 60.0).abs() < 3.0, "{current:?}");
        // The same reminder at due + 2: about five days sooner.
        let mut early = normal[..1].to_vec();
        early[0].days = 2;
        let e = replay(&r, &ctx, &all, &early);
        assert!((current.days_to_pay - e.days_to_pay - 5.0).abs() < 1.5, "{e:?}");
        // No reminder at all: the debtors' own 40 days.
        let none = replay(&r, &ctx, &all, &[]);
        assert!(none.days_to_pay > 30.0 && none.letters_per_claim == 0.0, "{none:?}");
        // What happened: half reminded.
        let o = observed(&all, &vec![6000; all.len()], d("2024-12-31"), 120);
        assert!((o.letters_per_claim - 0.5).abs() < 1e-9 && (o.days_to_pay - 25.0).abs() < 1e-9, "{o:?}");
        assert!(r.borrowed.iter().any(|b| b == &(StepKind::PhoneCall, StepKind::Reminder)), "{:?}", r.borrowed);
        // A pre-due text is taken before due and counted (it responds like a reminder here).
        let risk = Policy::default_for(JurisdictionCode::SE).model(Segment::Risk).steps.clone();
        let with_text = replay(&r, &ctx, &all, &risk[..2]);
        assert!(
            (with_text.letters_per_claim - 1.0).abs() < 0.01 && with_text.days_to_pay < 1.0,
            "everyone pays three days after the text, on the due date: {with_text:?}"
        );
    }
}
