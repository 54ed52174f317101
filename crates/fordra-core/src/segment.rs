//! Segmentation into Risk / Normal / VIP. VIP only by the creditor's choice; Risk from
//! configurable rules over credit score and payment history; the rest Normal. Always explained.

use crate::domain::Segment;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Configurable Risk rules. A rule set to `None` is off.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentRules {
    /// History counts invoices paid (and collection cases opened) within this many days.
    pub lookback_days: i64,
    /// An invoice counts as "paid late" when paid more than this many days after due.
    pub late_after_days: i64,
    /// Risk when at least this share of the paid invoices were late...
    pub late_share: Option<Decimal>,
    /// ...or the average days late reaches this...
    pub avg_days_late: Option<i64>,
    /// ...both only with at least this many paid invoices in the window.
    pub min_invoices: u32,
    /// Risk with this many collection cases in the window.
    pub collection_cases: Option<u32>,
    /// Risk when the credit score (0–100, higher is better) is below this...
    pub min_credit_score: Option<i32>,
    /// ...and not older than this many days.
    pub score_max_age_days: i64,
    /// Risk when the payment-behaviour model gives the customer's latest invoice, as known on the
    /// run day, at least this probability of being paid late (needs a trained model; off when
    /// unset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub predicted_late: Option<Decimal>,
}

impl Default for SegmentRules {
    fn default() -> Self {
        SegmentRules {
            lookback_days: 365,
            late_after_days: 10,
            late_share: Some(Decimal::new(5, 1)),
            avg_days_late: Some(20),
            min_invoices: 3,
            collection_cases: Some(1),
            min_credit_score: Some(30),
            score_max_age_days: 365,
            predicted_late: None,
        }
    }
}

impl SegmentRules {
    /// Checks the rules' bounds; the message names the setting.
    pub fn validate(&self) -> Result<(), crate::domain::ParseError> {
        if self.lookback_days < 1 {
            return Err("segmentation.lookback_days must be at least 1".into());
        }
        for (name, v) in [("late_share", self.late_share), ("predicted_late", self.predicted_late)] {
            if v.is_some_and(|s| s <= Decimal::ZERO || s > Decimal::ONE) {
                return Err(format!("segmentation.{name} must be in (0, 1]").into());
            }
        }
        Ok(())
    }
}

/// A customer's payment history within the look-back window.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct History {
    /// Invoices paid in the window.
    pub paid: u32,
    /// Of those, paid late.
    pub paid_late: u32,
    /// Their days late added up.
    pub days_late_sum: i64,
    /// Collection demands sent in the window.
    pub collection_cases: u32,
}

impl History {
    /// Adds one paid invoice.
    pub fn add_paid(&mut self, rules: &SegmentRules, due: NaiveDate, paid: NaiveDate) {
        let late = (paid - due).num_days();
        self.paid += 1;
        if late > rules.late_after_days {
            self.paid_late += 1;
        }
        self.days_late_sum += late.max(0);
    }
}

/// What the payment-behaviour model says about a customer or an invoice, as the run uses it.
#[derive(Clone, Debug, PartialEq)]
pub struct Predicted {
    /// P(paid more than `late_after_days` days late).
    pub p_late: f64,
    /// "Late" means more than this many days after due.
    pub late_after_days: i64,
    /// Which model said it, e.g. "model v3".
    pub model: String,
    /// The factors that raise the risk most, in words (filled where they will be shown).
    pub reasons: Vec<String>,
}

impl Predicted {
    /// P(late) in whole percent.
    pub fn percent(&self) -> u32 {
        (self.p_late * 100.0).round() as u32
    }
    /// "model v3: 72 % likely to pay more than 10 days late", then `extra`, then the reasons.
    pub fn describe(&self, extra: &str, with_reasons: bool) -> String {
        let mut s = format!(
            "{}: {} % likely to pay more than {} days late{extra}",
            self.model,
            self.percent(),
            self.late_after_days
        );
        if with_reasons && !self.reasons.is_empty() {
            s.push_str(&format!(", mainly: {}", self.reasons.join(", ")));
        }
        s
    }
}

/// What segmentation knows about a customer.
pub struct SegmentInput<'a> {
    /// Chosen as VIP by the creditor.
    pub vip: bool,
    /// Credit score, if known.
    pub credit_score: Option<i32>,
    /// When it was given.
    pub credit_score_date: Option<NaiveDate>,
    /// Payment history in the window.
    pub history: &'a History,
    /// What the model says, where the policy uses it.
    pub predicted: Option<&'a Predicted>,
}

/// What the Risk rules found, as numbers: cheap to compute for every customer on every run;
/// the words are rendered only where a segment changes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Findings {
    /// (late, paid) when the late share reached the limit.
    pub late_share: Option<(u32, u32)>,
    /// (average days late, limit) when reached.
    pub avg_days_late: Option<(i64, i64)>,
    /// Collection cases when they reached the limit.
    pub collection_cases: Option<u32>,
    /// (score, date, limit) when a fresh score is below the limit.
    pub low_score: Option<(i32, Option<NaiveDate>, i32)>,
    /// The model's probability reached the threshold.
    pub predicted_late: bool,
}

impl Findings {
    /// Whether any Risk rule fired.
    pub fn any(&self) -> bool {
        self.late_share.is_some()
            || self.avg_days_late.is_some()
            || self.collection_cases.is_some()
            || self.low_score.is_some()
            || self.predicted_late
    }
}

/// Which Risk rules a customer meets on `as_of`.
pub fn findings(rules: &SegmentRules, c: &SegmentInput<'_>, as_of: NaiveDate) -> Findings {
    let h = c.history;
    let mut f = Findings::default();
    if h.paid >= rules.min_invoices && h.paid > 0 {
        if let Some(share) = rules.late_share {
            if Decimal::from(h.paid_late) >= share * Decimal::from(h.paid) {
                f.late_share = Some((h.paid_late, h.paid));
            }
        }
        if let Some(limit) = rules.avg_days_late {
            let avg = h.days_late_sum / i64::from(h.paid);
            if avg >= limit {
                f.avg_days_late = Some((avg, limit));
            }
        }
    }
    if let Some(n) = rules.collection_cases {
        if h.collection_cases >= n {
            f.collection_cases = Some(h.collection_cases);
        }
    }
    if let (Some(min), Some(score)) = (rules.min_credit_score, c.credit_score) {
        let fresh = c.credit_score_date.is_none_or(|d| (as_of - d).num_days() <= rules.score_max_age_days);
        if score < min && fresh {
            f.low_score = Some((score, c.credit_score_date, min));
        }
    }
    if let (Some(threshold), Some(p)) = (rules.predicted_late, c.predicted) {
        f.predicted_late = Decimal::from_f64_retain(p.p_late).is_some_and(|p| p >= threshold);
    }
    f
}

/// The segment alone (no text).
pub fn segment_of(vip: bool, f: &Findings) -> Segment {
    if vip {
        Segment::Vip
    } else if f.any() {
        Segment::Risk
    } else {
        Segment::Normal
    }
}

/// The reason in words.
pub fn describe(rules: &SegmentRules, c: &SegmentInput<'_>, f: &Findings) -> String {
    let mut risk = Vec::new();
    if let Some((late, paid)) = f.late_share {
        risk.push(format!("{late} of the last {paid} invoices paid more than {} days late", rules.late_after_days));
    }
    if let Some((avg, limit)) = f.avg_days_late {
        risk.push(format!("paid on average {avg} days late (limit {limit})"));
    }
    if let Some(n) = f.collection_cases {
        risk.push(format!(
            "{n} collection case{} in the last {} days",
            if n == 1 { "" } else { "s" },
            rules.lookback_days
        ));
    }
    if let Some((score, date, min)) = f.low_score {
        let when = date.map(|d| format!(" from {d}")).unwrap_or_default();
        risk.push(format!("credit score {score}{when} is below {min}"));
    }
    if let (true, Some(p), Some(t)) = (f.predicted_late, c.predicted, rules.predicted_late) {
        risk.push(p.describe(&format!(" (threshold {} %)", (t * Decimal::ONE_HUNDRED).normalize()), true));
    }
    if c.vip {
        let note =
            if risk.is_empty() { String::new() } else { format!(" (Risk rules would apply: {})", risk.join("; ")) };
        return format!("VIP: chosen by the creditor{note}");
    }
    if !risk.is_empty() {
        return format!("Risk: {}", risk.join("; "));
    }
    let h = c.history;
    let score = c.credit_score.map(|s| format!("; credit score {s}")).unwrap_or_default();
    let model = c.predicted.map(|p| format!("; {}", p.describe("", false))).unwrap_or_default();
    format!(
        "Normal: no risk rule matched ({} of {} invoices paid more than {} days late{score}{model})",
        h.paid_late, h.paid, rules.late_after_days
    )
}

/// The segment and the reason in words.
pub fn classify(rules: &SegmentRules, c: &SegmentInput<'_>, as_of: NaiveDate) -> (Segment, String) {
    let f = findings(rules, c, as_of);
    (segment_of(c.vip, &f), describe(rules, c, &f))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn history(late: &[i64]) -> History {
        let rules = SegmentRules::default();
        let mut h = History::default();
        for l in late {
            h.add_paid(&rules, d("2024-01-01"), d("2024-01-01") + chrono::Duration::days(*l));
        }
        h
    }

    #[test]
    fn late_payer_is_risk_with_reason() {
        let h = history(&[15, 30, 12, 40, 0, 2]);
        let (s, why) = classify(
            &SegmentRules::default(),
            &SegmentInput { vip: false, credit_score: Some(70), credit_score_date: None, history: &h, predicted: None },
            d("2024-06-01"),
        );
        assert_eq!(s, Segment::Risk);
        assert!(why.contains("4 of the last 6 invoices paid more than 10 days late"), "{why}");
        // Average 99 / 6 = 16 days: below the limit 20, so not a reason.
        assert!(!why.contains("paid on average"), "{why}");
    }

    #[test]
    fn low_fresh_score_is_risk_stale_score_is_not() {
        let h = history(&[0, 0, 0]);
        let rules = SegmentRules::default();
        let (s, why) = classify(
            &rules,
            &SegmentInput {
                vip: false,
                credit_score: Some(12),
                credit_score_date: Some(d("2024-05-01")),
                history: &h,
                predicted: None,
            },
            d("2024-06-01"),
        );
        assert_eq!(s, Segment::Risk);
        assert!(why.contains("credit score 12 from 2024-05-01 is below 30"), "{why}");
        let (s, _) = classify(
            &rules,
            &SegmentInput {
                vip: false,
                credit_score: Some(12),
                credit_score_date: Some(d("2022-05-01")),
                history: &h,
                predicted: None,
            },
            d("2024-06-01"),
        );
        assert_eq!(s, Segment::Normal);
    }

    #[test]
    fn vip_stays_vip_but_says_what_risk_rules_see() {
        let mut h = history(&[0]);
        h.collection_cases = 2;
        let (s, why) = classify(
            &SegmentRules::default(),
            &SegmentInput { vip: true, credit_score: None, credit_score_date: None, history: &h, predicted: None },
            d("2024-06-01"),
        );
        assert_eq!(s, Segment::Vip);
        assert!(why.contains("2 collection cases"), "{why}");
    }

    #[test]
    fn predicted_risk_with_the_model_and_its_reasons() {
        let h = history(&[0, 0, 0]);
        let rules = SegmentRules { predicted_late: Some(Decimal::new(6, 1)), ..SegmentRules::default() };
        let p = Predicted {
            p_late: 0.72,
            late_after_days: 10,
            model: "model v3".into(),
            reasons: vec!["paid late on 80 % of earlier invoices".into(), "credit score 25".into()],
        };
        let input =
            SegmentInput { vip: false, credit_score: None, credit_score_date: None, history: &h, predicted: Some(&p) };
        let (s, why) = classify(&rules, &input, d("2024-06-01"));
        assert_eq!(s, Segment::Risk);
        assert_eq!(
            why,
            "Risk: model v3: 72 % likely to pay more than 10 days late (threshold 60 %), mainly: paid late on 80 % of earlier invoices, credit score 25"
        );
        // Below the threshold: Normal, and the reason still says what the model sees.
        let low = Predicted { p_late: 0.59, ..p.clone() };
        let (s, why) = classify(&rules, &SegmentInput { predicted: Some(&low), ..input }, d("2024-06-01"));
        assert_eq!(s, Segment::Normal);
        assert!(why.ends_with("; model v3: 59 % likely to pay more than 10 days late)"), "{why}");
        // Without the rule, the model's view changes nothing.
        let (s, _) =
            classify(&SegmentRules::default(), &SegmentInput { predicted: Some(&p), ..input }, d("2024-06-01"));
        assert_eq!(s, Segment::Normal);
        assert!(SegmentRules { predicted_late: Some(Decimal::new(15, 1)), ..SegmentRules::default() }
            .validate()
            .is_err());
    }

    #[test]
    fn too_little_history_is_normal() {
        let h = history(&[40, 40]);
        let (s, why) = classify(
            &SegmentRules::default(),
            &SegmentInput { vip: false, credit_score: None, credit_score_date: None, history: &h, predicted: None },
            d("2024-06-01"),
        );
        assert_eq!(s, Segment::Normal, "{why}");
        assert!(why.starts_with("Normal: no risk rule matched (2 of 2"), "{why}");
    }
}
