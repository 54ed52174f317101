//! Handling models: per creditor and segment, the ordered steps a claim goes through, with
//! triggers, payment periods, fees, channels and minimum amounts. Refused at configuration time
//! when a step would break the law (fee above cap, too short payment or waiting period).

use crate::domain::{Channel, Collector, DebtorKind, JurisdictionCode, Segment, StepKind};
use crate::law::Jurisdiction;
use crate::money::{format_minor, parse_minor};
use crate::segment::SegmentRules;
use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What a step's trigger days count from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum After {
    /// Days after the invoice's due date (negative: before it, for a pre-due notice).
    Due,
    /// Days after the previous step's deadline has passed (0: the first day after it).
    Previous,
}

/// The fee a step carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FeeSpec {
    /// No fee.
    None,
    /// The statutory maximum, subject to every precondition of the law.
    Statutory,
    /// A fixed amount in minor units; refused if above the cap, still clamped at run time.
    Fixed(i64),
}

impl Serialize for FeeSpec {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            FeeSpec::None => s.serialize_str("none"),
            FeeSpec::Statutory => s.serialize_str("statutory"),
            FeeSpec::Fixed(m) => s.serialize_str(&format_minor(*m)),
        }
    }
}
impl<'de> Deserialize<'de> for FeeSpec {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match s.trim() {
            "none" | "" => Ok(FeeSpec::None),
            "statutory" => Ok(FeeSpec::Statutory),
            other => match parse_minor(other) {
                Ok(m) if m < 0 => Err(serde::de::Error::custom(format!(
                    "fee: '{other}' is negative; use none, statutory or an amount"
                ))),
                Ok(m) => Ok(FeeSpec::Fixed(m)),
                Err(e) => Err(serde::de::Error::custom(format!("fee: {e}; use none, statutory or an amount"))),
            },
        }
    }
}

fn amount_de<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    parse_minor(&String::deserialize(d)?).map_err(serde::de::Error::custom)
}
fn amount_ser<S: Serializer>(m: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_minor(*m))
}
fn zero_amount() -> i64 {
    0
}
fn opt_amount_de<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Option::<String>::deserialize(d)?.map(|s| parse_minor(&s).map_err(serde::de::Error::custom)).transpose()
}
fn opt_amount_ser<S: Serializer>(m: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match m {
        Some(m) => s.serialize_str(&format_minor(*m)),
        None => s.serialize_none(),
    }
}

/// One step of a handling model.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// What the step is.
    pub kind: StepKind,
    /// Counted from the due date or from the previous step's deadline.
    pub after: After,
    /// Days after that (negative before due, for pre-due notices).
    pub days: i64,
    /// Days the debtor gets to pay (or, for a phone call, to wait) before the next step.
    pub payment_days: i64,
    /// The fee it carries: none, the statutory one, or a fixed amount within the law.
    pub fee: FeeSpec,
    /// How it reaches the debtor.
    pub channel: Channel,
    /// The step is skipped when the claim's open amount is below this.
    #[serde(default = "zero_amount", deserialize_with = "amount_de", serialize_with = "amount_ser")]
    pub min_amount: i64,
    /// The creditor's own wording for this step: language (sv, fi, nb, da, en) → phrase key
    /// (e.g. `intro-reminder`, `heading-reminder`) → text. A challenger's steps carry their own,
    /// so wording is tested like any other strategy.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub texts: Texts,
}

/// Languages a step's own wording may be given in.
pub const TEXT_LANGUAGES: &[&str] = &["sv", "fi", "nb", "da", "en"];

/// Longest own wording of one phrase, in characters.
pub const MAX_TEXT_CHARS: usize = 2_000;

/// A segment's handling model: its steps in order.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HandlingModel {
    /// The segment.
    pub segment: Segment,
    /// The steps, in order.
    #[serde(rename = "step")]
    pub steps: Vec<Step>,
}

impl HandlingModel {
    /// The earliest day of each step relative to the due date, when every run happens on time.
    #[allow(clippy::indexing_slicing, reason = "out holds one offset per earlier step, read only at i - 1 for i > 0")]
    pub fn earliest_offsets(&self) -> Vec<i64> {
        let mut out: Vec<i64> = Vec::with_capacity(self.steps.len());
        for (i, s) in self.steps.iter().enumerate() {
            let o = match (s.after, i) {
                (After::Previous, i) if i > 0 => out[i - 1] + self.steps[i - 1].payment_days + 1 + s.days,
                _ => s.days,
            };
            out.push(o);
        }
        out
    }
}

/// A friendly notice before the due date for invoices the payment-behaviour model expects to be
/// paid late, in every segment whose handling model has no pre-due step of its own.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Nudge {
    /// Sent when P(paid late) of the invoice is at least this.
    pub min_p_late: rust_decimal::Decimal,
    /// Sent this many days before due.
    pub days_before_due: i64,
    /// How it is sent (not by phone).
    pub channel: Channel,
}

/// A challenger handling model: a share of one segment's customers, assigned at random but
/// stably (and recorded), is handled by it instead of the segment's model, so its outcomes can
/// be compared with the champion's.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Challenger {
    /// The experiment's name.
    pub name: String,
    /// The segment it runs in.
    pub segment: Segment,
    /// Share of the segment's customers in the challenger arm, in (0, 1).
    pub share: rust_decimal::Decimal,
    /// The experiment runs from this date.
    pub from: NaiveDate,
    /// The challenger's steps.
    #[serde(rename = "step")]
    pub steps: Vec<Step>,
}

/// Which arm of an experiment a customer is in.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Arm {
    /// The experiment.
    pub experiment: String,
    /// In the challenger arm (else the champion's).
    pub challenger: bool,
}

impl Arm {
    /// "name:challenger" or "name:champion".
    pub fn label(&self) -> String {
        format!("{}:{}", self.experiment, if self.challenger { "challenger" } else { "champion" })
    }
}

/// A stable pseudo-random number in [0, 1) for a customer in an experiment: the same on every
/// run, machine and version (FNV-1a, then the splitmix64 finaliser; std's hasher may change).
pub fn arm_draw(experiment: &str, customer: &str) -> f64 {
    let mut h = crate::domain::fnv1a(experiment.bytes().chain(std::iter::once(0)).chain(customer.bytes()));
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^= h >> 31;
    (h >> 11) as f64 / (1u64 << 53) as f64
}

/// Everything a creditor tailors: segmentation rules and one handling model per segment.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Who sends the steps: the creditor itself (`own`, the default) or a licensed collection
    /// agency on its behalf (`agency`, with `[agency]` name and licence). Decides which fee
    /// scales apply (FI, NO).
    #[serde(default)]
    pub collector: Collector,
    /// The agency, when `collector` is `agency`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agency: Option<Agency>,
    /// One reminder letter per debtor lists all their overdue invoices (one fee per letter).
    pub group_reminders: bool,
    /// Open amounts below this (in the creditor's currency) are never dunned, and a leftover
    /// this small after a payment is written off. Default: 1 krone, 10 cents.
    #[serde(
        default,
        deserialize_with = "opt_amount_de",
        serialize_with = "opt_amount_ser",
        skip_serializing_if = "Option::is_none"
    )]
    pub write_off_below: Option<i64>,
    /// How customers are segmented.
    pub segmentation: SegmentRules,
    /// Pre-due nudges by the payment-behaviour model, if used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nudge: Option<Nudge>,
    /// One handling model per segment.
    #[serde(rename = "model")]
    pub models: Vec<HandlingModel>,
    /// Running experiments (at most one per segment).
    #[serde(default, rename = "challenger", skip_serializing_if = "Vec::is_empty")]
    pub challengers: Vec<Challenger>,
    /// The sender's details printed on letters and e-mails.
    #[serde(default, skip_serializing_if = "Letters::is_empty")]
    pub letters: Letters,
    /// When the service runs the day (`[schedule]`: enabled, run_at local time).
    #[serde(default, skip_serializing_if = "crate::schedule::Schedule::is_default")]
    pub schedule: crate::schedule::Schedule,
    /// What a debtor may arrange alone on the debtor's page (`[self_service]`).
    #[serde(default, skip_serializing_if = "SelfService::is_default")]
    pub self_service: SelfService,
    /// The contact policy: reminders' channel and send hour chosen from what worked (none: the
    /// handling model's channel).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<crate::contact::ContactPolicy>,
}

/// What a debtor may arrange alone on the debtor's page; anything beyond goes to an advisor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SelfService {
    /// A payment plan of at most this many monthly instalments (0: no plans on the page).
    #[serde(default = "six_months")]
    pub plan_max_months: u32,
    /// A promise to pay at most this many days ahead (0: no promises on the page).
    #[serde(default = "fourteen_days")]
    pub promise_max_days: u32,
    /// Charge the statutory payment-plan fee where the law allows one.
    #[serde(default)]
    pub plan_fee: bool,
}

fn six_months() -> u32 {
    6
}

fn fourteen_days() -> u32 {
    14
}

impl Default for SelfService {
    fn default() -> Self {
        SelfService { plan_max_months: six_months(), promise_max_days: fourteen_days(), plan_fee: false }
    }
}

impl SelfService {
    /// Whether it is the default (left out when the policy is written).
    pub fn is_default(&self) -> bool {
        *self == SelfService::default()
    }
}

/// The creditor's details on its letters (`[letters]` in the policy): a collection demand names
/// the creditor and how to reach it to object.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Letters {
    /// Postal address, lines separated by "|".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Organisation number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_no: Option<String>,
    /// Where debtors write (and object).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Where debtors call.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    /// The creditor's logo for letters: a PNG, base64 (`fordra policy logo FILE.png` sets it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub logo: Option<String>,
    /// Track whether e-mails are opened, and send the message again as a letter when an e-mail
    /// has not been opened this many days after it was sent (1–30; none: no tracking).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub letter_if_unopened_days: Option<i64>,
}

/// The largest logo, base64 characters (about 220 KB of PNG).
pub const MAX_LOGO_BASE64: usize = 300_000;

impl Letters {
    /// Nothing set.
    pub fn is_empty(&self) -> bool {
        self == &Letters::default()
    }
}

/// The licensed collection agency that sends the steps.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Agency {
    /// Its name.
    pub name: String,
    /// Its licence number.
    pub licence: String,
}

// The enum comes from `str_enum!`, which derives no Default.
#[allow(clippy::derivable_impls)]
impl Default for Collector {
    fn default() -> Self {
        Collector::Own
    }
}

impl Policy {
    /// The handling model of a segment.
    #[allow(clippy::indexing_slicing, reason = "a validated policy has a model for every segment")]
    pub fn model(&self, segment: Segment) -> &HandlingModel {
        self.models.iter().find(|m| m.segment == segment).unwrap_or(&self.models[0])
    }

    /// The creditor's own wording for a step taken in `segment` as step `step_no` (1-based; 0 is
    /// a pre-due nudge, which has none) of the model the arm ("name:champion|challenger", or
    /// none) chose, in `language` (Norwegian "no"/"nn" read bokmål). Empty when there is none.
    pub fn texts_for(
        &self,
        segment: Segment,
        step_no: usize,
        arm: Option<&str>,
        language: &str,
    ) -> std::collections::BTreeMap<String, String> {
        let steps = match arm.and_then(|a| a.strip_suffix(":challenger")) {
            Some(name) => self.challengers.iter().find(|c| c.name == name).map(|c| c.steps.as_slice()),
            None => self.models.iter().find(|m| m.segment == segment).map(|m| m.steps.as_slice()),
        };
        let language = if matches!(language, "no" | "nn") { "nb" } else { language };
        let mut texts: std::collections::BTreeMap<String, String> = step_no
            .checked_sub(1)
            .and_then(|i| steps?.get(i))
            .and_then(|s| s.texts.get(language))
            .cloned()
            .unwrap_or_default();
        // The contact policy's wording, where it chose one for this step, over the step's own.
        let wording = arm
            .and_then(crate::contact::parse_wording)
            .and_then(|w| self.contact.as_ref().and_then(|c| c.wordings.get(w)).and_then(|w| w.get(language)));
        texts.extend(wording.into_iter().flatten().map(|(k, v)| (k.clone(), v.clone())));
        texts
    }

    /// The experiment running in a segment on a date, if any.
    pub fn challenger(&self, segment: Segment, as_of: NaiveDate) -> Option<&Challenger> {
        self.challengers.iter().find(|c| c.segment == segment && c.from <= as_of)
    }

    /// The steps for a customer of `segment` on `as_of`: the segment's model, or its challenger's
    /// for customers in the challenger arm (`recorded` first, else drawn).
    pub fn steps_for(
        &self,
        segment: Segment,
        customer: &str,
        recorded: &[Arm],
        as_of: NaiveDate,
    ) -> (&[Step], Option<Arm>) {
        match self.challenger(segment, as_of) {
            None => (&self.model(segment).steps, None),
            Some(c) => {
                let challenger =
                    recorded.iter().find(|a| a.experiment == c.name).map(|a| a.challenger).unwrap_or_else(|| {
                        rust_decimal::Decimal::from_f64_retain(arm_draw(&c.name, customer)).is_some_and(|d| d < c.share)
                    });
                let arm = Arm { experiment: c.name.clone(), challenger };
                (if challenger { &c.steps } else { &self.model(segment).steps }, Some(arm))
            }
        }
    }

    /// Sensible defaults per jurisdiction: VIP gets two reminders and a phone call before
    /// collection, Normal one reminder, Risk a pre-due text, a reminder shortly after due and
    /// collection right after the reminder's deadline.
    pub fn default_for(j: JurisdictionCode) -> Policy {
        use JurisdictionCode as J;
        let (reminder_days, collection_days) = match j {
            J::NO => (14, 14), // inkassoloven § 9: 14 days
            J::FI => (14, 14), // perintälaki 5 §: 14 days after the reminder
            _ => (10, 10),
        };
        let st = |kind, after, days, payment_days, fee, channel| Step {
            kind,
            after,
            days,
            payment_days,
            fee,
            channel,
            min_amount: 0,
            texts: Default::default(),
        };
        use After::*;
        use StepKind::*;
        let min_collection = match j {
            J::SE | J::NO | J::DK => 100_00,
            _ => 10_00,
        };
        let coll = |s: Step| Step { min_amount: min_collection, ..s };
        // The first reminder that may carry a fee: FI consumers 14 days after due (perintälaki
        // 10 b §), NO 14 days (inkassoforskriften § 1-2); elsewhere a week.
        let first_fee_day = match j {
            J::FI | J::NO => 14,
            _ => 7,
        };
        // NO: a collection demand only after an inkassovarsel of its own (inkassoloven § 9).
        let notice = |after, days| {
            (j == J::NO).then(|| st(CollectionNotice, after, days, 14, FeeSpec::Statutory, Channel::Letter))
        };
        let vip: Vec<Step> = [
            Some(st(Reminder, Due, 10, reminder_days.max(14), FeeSpec::None, Channel::Email)),
            Some(st(Reminder, Previous, 3, reminder_days.max(14), FeeSpec::Statutory, Channel::Letter)),
            Some(st(PhoneCall, Previous, 1, 7, FeeSpec::None, Channel::Phone)),
            notice(Previous, 0),
            Some(coll(st(Collection, Previous, 0, collection_days.max(14), FeeSpec::Statutory, Channel::Letter))),
            Some(coll(st(Legal, Previous, 30, 30, FeeSpec::None, Channel::Letter))),
        ]
        .into_iter()
        .flatten()
        .collect();
        let normal: Vec<Step> = [
            Some(st(Reminder, Due, first_fee_day, reminder_days, FeeSpec::Statutory, Channel::Letter)),
            notice(Previous, 0),
            Some(coll(st(Collection, Previous, 1, collection_days, FeeSpec::Statutory, Channel::Letter))),
            Some(coll(st(Legal, Previous, 20, 30, FeeSpec::None, Channel::Letter))),
        ]
        .into_iter()
        .flatten()
        .collect();
        // Risk: the shortest periods the law allows (SE: 8 days; FI/NO: 14). Where a reminder
        // fee needs 14 days after due, the early reminder goes without one.
        let risk_days = match j {
            J::SE | J::EU => 8,
            _ => 14,
        };
        let risk_fee = if first_fee_day > 2 { FeeSpec::None } else { FeeSpec::Statutory };
        let risk: Vec<Step> = [
            Some(st(PreDue, Due, -3, 3, FeeSpec::None, Channel::Sms)),
            Some(st(Reminder, Due, 2, risk_days, risk_fee, Channel::Letter)),
            notice(Previous, 0),
            Some(coll(st(Collection, Previous, 0, risk_days, FeeSpec::Statutory, Channel::Letter))),
            Some(coll(st(Legal, Previous, 10, 30, FeeSpec::None, Channel::Letter))),
        ]
        .into_iter()
        .flatten()
        .collect();
        Policy {
            collector: Collector::Own,
            agency: None,
            group_reminders: true,
            write_off_below: Some(match j {
                J::FI | J::EU => 10,
                _ => 100,
            }),
            segmentation: SegmentRules::default(),
            nudge: None,
            models: vec![
                HandlingModel { segment: Segment::Vip, steps: vip },
                HandlingModel { segment: Segment::Normal, steps: normal },
                HandlingModel { segment: Segment::Risk, steps: risk },
            ],
            challengers: vec![],
            letters: Letters::default(),
            schedule: Default::default(),
            self_service: Default::default(),
            contact: None,
        }
    }

    /// Parses a policy; a key Fordra does not know, or a period or amount outside its bounds, is
    /// refused (a typo must not pass silently, and no stored policy may break a run).
    pub fn from_toml(text: &str) -> Result<Policy, crate::domain::ParseError> {
        let p: Policy =
            toml::from_str(text).map_err(|e| e.to_string().split_whitespace().collect::<Vec<_>>().join(" "))?;
        match p.bounds() {
            e if e.is_empty() => Ok(p),
            e => Err(e.join("; ").into()),
        }
    }

    /// Every period, count and amount within its bounds (independent of the law).
    pub fn bounds(&self) -> Vec<String> {
        use crate::limits::{amount, days, MAX_DAYS};
        let mut errs = Vec::new();
        let mut check = |r: Result<i64, crate::limits::OutOfBounds>| {
            if let Err(e) = r {
                errs.push(e.to_string());
            }
        };
        let g = &self.segmentation;
        check(days("segmentation.lookback_days", g.lookback_days, 1, MAX_DAYS));
        check(days("segmentation.late_after_days", g.late_after_days, 0, 365));
        check(days("segmentation.avg_days_late", g.avg_days_late.unwrap_or(0), 0, MAX_DAYS));
        check(days("segmentation.min_invoices", i64::from(g.min_invoices), 0, 10_000));
        check(days("segmentation.collection_cases", i64::from(g.collection_cases.unwrap_or(0)), 0, 10_000));
        check(days("segmentation.min_credit_score", i64::from(g.min_credit_score.unwrap_or(0)), 0, 100));
        check(days("segmentation.score_max_age_days", g.score_max_age_days, 1, MAX_DAYS));
        if let Some(n) = &self.nudge {
            check(days("nudge.days_before_due", n.days_before_due, 1, 60));
        }
        if let Some(w) = self.write_off_below {
            check(amount("write_off_below", w, 0).and_then(|w| days("write_off_below (minor units)", w, 0, 100_00)));
        }
        check(days("number of challengers", self.challengers.len() as i64, 0, 10));
        let models = self
            .models
            .iter()
            .map(|m| (format!("{} model", m.segment), &m.steps))
            .chain(self.challengers.iter().map(|c| (format!("challenger '{}'", c.name), &c.steps)));
        for (label, steps) in models {
            check(days(&format!("{label}: number of steps"), steps.len() as i64, 0, 20));
            for (i, s) in steps.iter().enumerate() {
                let at = format!("{label}, step {} ({})", i + 1, s.kind);
                check(days(&format!("{at}: days"), s.days, -60, MAX_DAYS));
                check(days(&format!("{at}: payment_days"), s.payment_days, 1, 365));
                check(amount(&format!("{at}: min_amount"), s.min_amount, 0));
                if let FeeSpec::Fixed(x) = s.fee {
                    check(amount(&format!("{at}: fee"), x, 0));
                }
            }
        }
        for c in &self.challengers {
            if let Err(e) = crate::limits::date(&format!("challenger '{}': from", c.name), c.from) {
                errs.push(e.to_string());
            }
        }
        errs
    }
    /// The policy as an editable TOML file.
    #[allow(
        clippy::expect_used,
        reason = "a Policy is plain data that always serialises to TOML (tests round-trip every default policy)"
    )]
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("policy serialises")
    }

    /// Checks the policy against the law in force on `as_of`. Every problem is listed with the
    /// rule it breaks.
    pub fn validate(&self, law: &Jurisdiction, reminder_fee_agreed: bool, as_of: NaiveDate) -> Result<(), Vec<String>> {
        let mut errs = self.bounds();
        if let Some(logo) = &self.letters.logo {
            let b64 = logo.chars().all(|c| c.is_ascii_alphanumeric() || "+/=\n\r".contains(c));
            if logo.len() > MAX_LOGO_BASE64 || !b64 || !logo.starts_with("iVBORw0KGgo") {
                errs.push(format!("letters.logo: a PNG in base64, at most {MAX_LOGO_BASE64} characters"));
            }
        }
        if self.self_service.plan_max_months > 36 {
            errs.push("self_service.plan_max_months: at most 36 monthly instalments".into());
        }
        if self.self_service.promise_max_days > 60 {
            errs.push("self_service.promise_max_days: at most 60 days".into());
        }
        if self.letters.letter_if_unopened_days.is_some_and(|d| !(1..=30).contains(&d)) {
            errs.push("letters.letter_if_unopened_days: from 1 to 30 days".into());
        }
        self.check_shape(&mut errs);
        let challengers: Vec<(String, HandlingModel)> = self
            .challengers
            .iter()
            .map(|c| {
                (
                    format!("challenger '{}' for the {} segment", c.name, c.segment),
                    HandlingModel { segment: c.segment, steps: c.steps.clone() },
                )
            })
            .collect();
        let named = self
            .models
            .iter()
            .map(|m| (format!("{} model", m.segment), m))
            .chain(challengers.iter().map(|(n, m)| (n.clone(), m)));
        let terms = Terms { law, reminder_fee_agreed, as_of };
        for (label, m) in named {
            if m.steps.is_empty() {
                errs.push(format!("{label} has no steps"));
            }
            for (i, s) in m.steps.iter().enumerate() {
                let at = format!("{label}, step {} ({})", i + 1, s.kind);
                check_step(&mut errs, &at, m, i);
                for debtor in DebtorKind::ALL {
                    self.check_step_in_law(&mut errs, &at, m, i, *debtor, &terms);
                }
            }
        }
        errs.dedup();
        if errs.is_empty() {
            Ok(())
        } else {
            Err(errs)
        }
    }

    /// The policy's parts apart from the steps: one model per segment, the segmentation rule,
    /// who collects, the nudge, the challengers' names and shares.
    fn check_shape(&self, errs: &mut Vec<String>) {
        for seg in Segment::ALL {
            match self.models.iter().filter(|m| m.segment == *seg).count() {
                1 => {}
                0 => errs.push(format!("no handling model for segment {seg}")),
                _ => errs.push(format!("more than one handling model for segment {seg}")),
            }
        }
        if let Err(e) = self.segmentation.validate() {
            errs.push(e.to_string());
        }
        match (self.collector, &self.agency) {
            (Collector::Agency, None) => {
                errs.push("collector = \"agency\" needs [agency] with the agency's name and licence number".into())
            }
            (Collector::Agency, Some(a)) if a.name.trim().is_empty() || a.licence.trim().is_empty() => {
                errs.push("[agency]: name and licence must not be empty".into())
            }
            (Collector::Own, Some(_)) => errs.push("[agency] is given but collector is \"own\"".into()),
            _ => {}
        }
        if let Some(n) = &self.nudge {
            if n.days_before_due < 1 {
                errs.push("nudge.days_before_due must be at least 1".into());
            }
            if n.min_p_late <= rust_decimal::Decimal::ZERO || n.min_p_late > rust_decimal::Decimal::ONE {
                errs.push("nudge.min_p_late must be in (0, 1]".into());
            }
            if n.channel == Channel::Phone {
                errs.push("nudge.channel must be letter, email, sms or edi".into());
            }
        }
        if let Some(c) = &self.contact {
            c.check(errs);
        }
        for (k, c) in self.challengers.iter().enumerate() {
            if c.name.trim().is_empty() || c.name.contains(':') {
                errs.push(format!("challenger {}: a name without ':' is required", k + 1));
            }
            if c.share <= rust_decimal::Decimal::ZERO || c.share >= rust_decimal::Decimal::ONE {
                errs.push(format!("challenger '{}': share must be between 0 and 1", c.name));
            }
            if self.challengers.iter().take(k).any(|o| o.segment == c.segment) {
                errs.push(format!("challenger '{}': the {} segment already has a challenger", c.name, c.segment));
            }
        }
    }

    /// Step `i` of `m` against the law for one kind of debtor: payment period, waiting period
    /// after the previous letter, a step the law requires before it, and its fee (when it may be
    /// charged, whether agreed, its cap).
    #[allow(clippy::indexing_slicing, reason = "i enumerates m.steps; earliest_offsets has one entry per step")]
    fn check_step_in_law(
        &self,
        errs: &mut Vec<String>,
        at: &str,
        m: &HandlingModel,
        i: usize,
        debtor: DebtorKind,
        t: &Terms<'_>,
    ) {
        let (law, s) = (t.law, &m.steps[i]);
        let before = &m.steps[..i];
        let limits = law.step_limits(s.kind, debtor);
        let sources = limits.sources.join("; ");
        if s.payment_days < limits.min_payment_days {
            errs.push(format!(
                "{at}: payment_days {} is below the legal minimum {} for {debtor} debtors ({sources})",
                s.payment_days, limits.min_payment_days
            ));
        }
        let last_letter = before.iter().rposition(|p| p.kind != StepKind::PhoneCall);
        if let (true, Some(p)) = (limits.min_days_since_previous > 0, last_letter) {
            let offsets = m.earliest_offsets();
            let gap = offsets[i] - offsets[p];
            if gap < limits.min_days_since_previous {
                errs.push(format!(
                    "{at}: only {gap} days after the previous step; the law requires {} for {debtor} debtors ({sources})",
                    limits.min_days_since_previous
                ));
            }
        }
        if let Some(need) = limits.requires_before {
            if !before.iter().any(|p| p.kind == need) {
                errs.push(format!("{at}: the law requires a {need} step before it ({sources})"));
            }
        }
        if let (true, Some(kind)) = (s.fee != FeeSpec::None, s.kind.fee_kind()) {
            errs.extend(self.fee_timing(law, m, i, kind, debtor, t.as_of).into_iter().map(|e| format!("{at}: {e}")));
        }
        if let (FeeSpec::Fixed(amount), Some(kind)) = (s.fee, s.kind.fee_kind()) {
            match law.fee_rule(kind, debtor, self.collector, t.as_of) {
                None if kind != crate::domain::FeeKind::LateCompensation => errs.push(format!(
                    "{at}: {} has no statutory basis for a {kind} fee for {debtor} debtors",
                    law.code.upper()
                )),
                None => {}
                Some(rule) => {
                    if rule.requires_agreement && !t.reminder_fee_agreed && amount > 0 {
                        errs.push(format!(
                            "{at}: a {kind} fee requires that it was agreed with the debtor, and the creditor has not agreed reminder fees ({})",
                            rule.source
                        ));
                    }
                    let cap = rule.tiers.iter().map(|t| t.max).chain(rule.max).min().unwrap_or(0);
                    if amount > cap {
                        errs.push(format!(
                            "{at}: fee {} is above the legal cap {} for {debtor} debtors ({})",
                            format_minor(amount),
                            format_minor(cap),
                            rule.source
                        ));
                    }
                }
            }
        }
    }

    /// Whether a fee on step `i` of `m` could ever be lawful by the law's conditions on when and
    /// how it is sent (the run checks them again on the actual dates).
    #[allow(clippy::indexing_slicing, reason = "i enumerates m.steps; earliest_offsets has one entry per step")]
    fn fee_timing(
        &self,
        law: &Jurisdiction,
        m: &HandlingModel,
        i: usize,
        kind: crate::domain::FeeKind,
        debtor: DebtorKind,
        as_of: NaiveDate,
    ) -> Vec<String> {
        let Some(rule) = law.fee_rule(kind, debtor, self.collector, as_of) else { return vec![] };
        let s = &m.steps[i];
        let offsets = m.earliest_offsets();
        let mut errs = Vec::new();
        if rule.written_only && !s.channel.is_written() {
            errs.push(format!("a {kind} fee only on a written reminder, not by {} ({})", s.channel, rule.source));
        }
        if let Some(n) = rule.min_days_after_due {
            if offsets[i] < n {
                errs.push(format!(
                    "a {kind} fee for {debtor} debtors only {n} days after the due date, this step may come on day {} ({})",
                    offsets[i], rule.source
                ));
            }
        }
        let previous = m.steps[..i].iter().rposition(|p| p.kind.is_letter());
        if let (Some(n), Some(p)) = (rule.min_days_since_previous, previous) {
            let gap = offsets[i] - offsets[p];
            if gap < n {
                errs.push(format!(
                    "a {kind} fee for {debtor} debtors only {n} days after the previous letter, this step may come {gap} days after it ({})",
                    rule.source
                ));
            }
        }
        errs
    }
}

/// What a policy is checked against.
struct Terms<'a> {
    law: &'a Jurisdiction,
    reminder_fee_agreed: bool,
    as_of: NaiveDate,
}

/// A creditor's own phrases (language → phrase key → text): the languages letters are written
/// in, phrase keys, and lengths; `what` names them in the errors (`texts`, `wordings.firm`).
pub(crate) fn check_texts(errs: &mut Vec<String>, at: &str, what: &str, texts: &Texts) {
    for (lang, phrases) in texts {
        if !TEXT_LANGUAGES.contains(&lang.as_str()) {
            errs.push(format!("{at}: {what} in '{lang}': letters are written in {}", TEXT_LANGUAGES.join(", ")));
        }
        for (key, text) in phrases {
            if key.is_empty() || !key.chars().all(|c| c.is_ascii_lowercase() || c == '-' || c == '_') {
                errs.push(format!("{at}: {what}.{lang}: '{key}' is not a phrase key (e.g. intro-reminder)"));
            }
            if text.chars().count() > MAX_TEXT_CHARS || text.trim().is_empty() {
                errs.push(format!("{at}: {what}.{lang}.{key}: from 1 to {MAX_TEXT_CHARS} characters"));
            }
        }
    }
}

/// Phrases by language, then by phrase key.
pub type Texts = std::collections::BTreeMap<String, std::collections::BTreeMap<String, String>>;

/// Step `i` of `m` on its own: escalation order, counting, pre-due notices first, periods and
/// amounts, fees only where the law has them, calls by phone.
#[allow(clippy::indexing_slicing, reason = "i enumerates m.steps")]
fn check_step(errs: &mut Vec<String>, at: &str, m: &HandlingModel, i: usize) {
    let s = &m.steps[i];
    let before = &m.steps[..i];
    if before.iter().any(|p| p.kind.severity() > s.kind.severity()) {
        errs.push(format!("{at}: comes after a harsher step; a claim never goes back"));
    }
    if i == 0 && s.after == After::Previous {
        errs.push(format!("{at}: the first step must count from the due date (after = \"due\")"));
    }
    if s.kind == StepKind::PreDue {
        if s.after != After::Due || s.days >= 0 {
            errs.push(format!("{at}: a pre-due notice counts from the due date with negative days"));
        }
        if before.iter().any(|p| p.kind != StepKind::PreDue) {
            errs.push(format!("{at}: pre-due notices come first"));
        }
    } else if s.after == After::Due && s.days < 1 {
        errs.push(format!("{at}: steps after the due date need days >= 1"));
    } else if s.days < 0 {
        errs.push(format!("{at}: days must not be negative"));
    }
    if s.payment_days < 1 {
        errs.push(format!("{at}: payment_days must be at least 1"));
    }
    check_texts(errs, at, "texts", &s.texts);
    if s.min_amount < 0 {
        errs.push(format!("{at}: min_amount must not be negative"));
    }
    if s.kind.fee_kind().is_none() && s.fee != FeeSpec::None {
        errs.push(format!("{at}: a {} step carries no fee in law (fees are only for reminders, collection demands and late compensation)", s.kind));
    }
    if s.kind == StepKind::PhoneCall && s.channel != Channel::Phone {
        errs.push(format!("{at}: a phone call goes by channel phone"));
    }
}

#[cfg(test)]
mod tests {

    /// A step's own wording is found for the model (or the challenger) that chose the step, in
    /// the debtor's language; bad languages and empty texts are refused.
    #[test]
    fn own_wording_by_step_arm_and_language() {
        use std::collections::BTreeMap;
        let mut p = Policy::default_for(JurisdictionCode::SE);
        let words = |t: &str| {
            BTreeMap::from([("nb".to_string(), BTreeMap::from([("intro-reminder".to_string(), t.to_string())]))])
        };
        let normal = p.models.iter().position(|m| m.segment == Segment::Normal).unwrap();
        p.models[normal].steps[0].texts = words("champion");
        let mut steps = p.models[normal].steps.clone();
        steps[0].texts = words("challenger");
        p.challengers.push(Challenger {
            name: "tone".into(),
            segment: Segment::Normal,
            share: rust_decimal::Decimal::new(5, 1),
            from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            steps,
        });
        let get = |arm, lang| p.texts_for(Segment::Normal, 1, arm, lang).get("intro-reminder").cloned();
        assert_eq!(get(None, "nb").as_deref(), Some("champion"));
        assert_eq!(get(Some("tone:champion"), "no").as_deref(), Some("champion"));
        assert_eq!(get(Some("tone:challenger"), "nb").as_deref(), Some("challenger"));
        assert_eq!(get(None, "sv"), None);
        assert!(p.texts_for(Segment::Normal, 0, None, "nb").is_empty(), "a pre-due nudge has none");
        // The contact policy's wording, where it chose one, over the step's own; in a language
        // the wording lacks, the step's own.
        let mut c = crate::contact::ContactPolicy::new(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap());
        c.wordings = BTreeMap::from([("firm".to_string(), words("firm"))]);
        p.contact = Some(c);
        let get = |arm, lang| p.texts_for(Segment::Normal, 1, arm, lang).get("intro-reminder").cloned();
        assert_eq!(get(Some("tone:champion contact:policy:sms@18 wording:firm"), "nb").as_deref(), Some("firm"));
        assert_eq!(get(Some("contact:policy:sms@18 wording:standard"), "nb").as_deref(), Some("champion"));
        assert_eq!(get(Some("contact:policy:sms@18 wording:firm"), "sv"), None);
        let mut bad = Policy::default_for(JurisdictionCode::SE);
        bad.models[0].steps[0].texts =
            BTreeMap::from([("de".to_string(), BTreeMap::from([("intro-reminder".to_string(), " ".to_string())]))]);
        let law = crate::law::LawBook::embedded();
        let errs = bad
            .validate(
                law.jurisdiction(JurisdictionCode::SE).unwrap(),
                true,
                NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
            )
            .unwrap_err();
        assert!(errs.iter().any(|e| e.contains("texts in 'de'")), "{errs:?}");
        assert!(errs.iter().any(|e| e.contains("texts.de.intro-reminder: from 1 to 2000 characters")), "{errs:?}");
    }

    use super::*;
    use crate::law::LawBook;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn defaults_are_lawful_everywhere() {
        let book = LawBook::embedded();
        for j in &book.jurisdictions {
            let p = Policy::default_for(j.code);
            p.validate(j, true, d("2026-01-01")).unwrap_or_else(|e| panic!("{}: {e:?}", j.code.upper()));
            // The same models sent by a licensed agency (issue #9: both collector modes).
            let mut agency = p.clone();
            agency.collector = Collector::Agency;
            agency.agency = Some(Agency { name: "Perintä Oy".into(), licence: "ESAVI/123/2024".into() });
            agency.validate(j, true, d("2026-01-01")).unwrap_or_else(|e| panic!("{} agency: {e:?}", j.code.upper()));
            agency.agency = None;
            assert!(agency
                .validate(j, true, d("2026-01-01"))
                .unwrap_err()
                .iter()
                .any(|e| e.contains("needs [agency]")));
            let vip = p.model(Segment::Vip);
            assert_eq!(vip.steps.iter().filter(|s| s.kind == StepKind::Reminder).count(), 2);
            let phone = vip.steps.iter().position(|s| s.kind == StepKind::PhoneCall).unwrap();
            let coll = vip.steps.iter().position(|s| s.kind == StepKind::Collection).unwrap();
            assert!(phone < coll, "VIP: phone call before collection");
        }
    }

    #[test]
    fn policy_roundtrips_through_toml() {
        let mut p = Policy::default_for(JurisdictionCode::SE);
        assert_eq!(Policy::from_toml(&p.to_toml()).unwrap(), p);
        p.nudge =
            Some(Nudge { min_p_late: rust_decimal::Decimal::new(6, 1), days_before_due: 3, channel: Channel::Email });
        p.segmentation.predicted_late = Some(rust_decimal::Decimal::new(7, 1));
        p.challengers.push(Challenger {
            name: "sms-first".into(),
            segment: Segment::Normal,
            share: rust_decimal::Decimal::new(2, 1),
            from: d("2024-01-01"),
            steps: p.models[1].steps.clone(),
        });
        let text = p.to_toml();
        assert!(
            text.contains("[[challenger]]") && text.contains("[nudge]") && text.contains("predicted_late = \"0.7\""),
            "{text}"
        );
        assert_eq!(Policy::from_toml(&text).unwrap(), p);
    }

    #[test]
    fn challengers_are_checked_like_models() {
        let book = LawBook::embedded();
        let se = book.jurisdiction(JurisdictionCode::SE).unwrap();
        let mut p = Policy::default_for(JurisdictionCode::SE);
        let mut steps = p.models[1].steps.clone();
        steps[1].payment_days = 5;
        p.challengers.push(Challenger {
            name: "fast".into(),
            segment: Segment::Normal,
            share: rust_decimal::Decimal::ONE,
            from: d("2024-01-01"),
            steps,
        });
        p.challengers.push(p.challengers[0].clone());
        let errs = p.validate(se, true, d("2024-01-01")).unwrap_err();
        assert!(
            errs.iter().any(|e| e.contains("challenger 'fast' for the normal segment, step 2 (collection): payment_days 5 is below the legal minimum 8")),
            "{errs:?}"
        );
        assert!(errs.iter().any(|e| e.contains("share must be between 0 and 1")), "{errs:?}");
        assert!(errs.iter().any(|e| e.contains("already has a challenger")), "{errs:?}");
    }

    #[test]
    fn unlawful_fee_is_refused_at_configuration() {
        let book = LawBook::embedded();
        let se = book.jurisdiction(JurisdictionCode::SE).unwrap();
        let mut p = Policy::default_for(JurisdictionCode::SE);
        p.models[1].steps[0].fee = FeeSpec::Fixed(75_00);
        let errs = p.validate(se, true, d("2024-01-01")).unwrap_err();
        assert!(errs.iter().any(|e| e.contains("above the legal cap 60.00")), "{errs:?}");
        p.models[1].steps[0].fee = FeeSpec::Fixed(60_00);
        let errs = p.validate(se, false, d("2024-01-01")).unwrap_err();
        assert!(errs.iter().any(|e| e.contains("requires that it was agreed")), "{errs:?}");
        assert!(p.validate(se, true, d("2024-01-01")).is_ok());
    }

    #[test]
    fn too_short_periods_are_refused() {
        let book = LawBook::embedded();
        let se = book.jurisdiction(JurisdictionCode::SE).unwrap();
        let mut p = Policy::default_for(JurisdictionCode::SE);
        p.models[1].steps[1].payment_days = 5;
        let errs = p.validate(se, true, d("2024-01-01")).unwrap_err();
        assert!(errs.iter().any(|e| e.contains("below the legal minimum 8")), "{errs:?}");
        let fi = book.jurisdiction(JurisdictionCode::FI).unwrap();
        let mut p = Policy::default_for(JurisdictionCode::FI);
        p.models[1].steps[0].payment_days = 7;
        p.models[1].steps[1].days = 0;
        let errs = p.validate(fi, true, d("2024-01-01")).unwrap_err();
        assert!(errs.iter().any(|e| e.contains("requires 15 for consumer")), "{errs:?}");
    }

    /// Issue #8 cases 9 and 11: a policy with 100 000 000-day steps or look-back was accepted and
    /// every run then panicked; a misspelt key passed silently; fee = "-50.00" was accepted.
    #[test]
    fn out_of_bounds_policies_and_unknown_keys_are_refused() {
        let text = Policy::default_for(JurisdictionCode::SE).to_toml();
        let e = Policy::from_toml(&text.replacen("lookback_days = 365", "lookback_days = 100000000", 1))
            .unwrap_err()
            .to_string();
        assert_eq!(e, "segmentation.lookback_days: 100000000 is outside 1..3650");
        let e = Policy::from_toml(&text.replacen("after = \"due\"\ndays = 10", "after = \"due\"\ndays = 100000000", 1))
            .unwrap_err()
            .to_string();
        assert_eq!(e, "vip model, step 1 (reminder): days: 100000000 is outside -60..3650");
        let e = Policy::from_toml(&text.replacen("group_reminders", "group_reminder", 1)).unwrap_err().to_string();
        assert!(e.contains("unknown field `group_reminder`"), "{e}");
        let e = Policy::from_toml(&text.replacen("payment_days = 14", "paymentdays = 14", 1)).unwrap_err().to_string();
        assert!(e.contains("unknown field `paymentdays`"), "{e}");
        let e =
            Policy::from_toml(&text.replacen("fee = \"statutory\"", "fee = \"-50.00\"", 1)).unwrap_err().to_string();
        assert!(e.contains("fee: '-50.00' is negative"), "{e}");
        assert!(Policy::from_toml(&text).is_ok());
    }

    #[test]
    fn fees_on_pre_due_or_phone_are_refused() {
        let book = LawBook::embedded();
        let se = book.jurisdiction(JurisdictionCode::SE).unwrap();
        let mut p = Policy::default_for(JurisdictionCode::SE);
        p.models[2].steps[0].fee = FeeSpec::Fixed(10_00);
        let errs = p.validate(se, true, d("2024-01-01")).unwrap_err();
        assert!(errs.iter().any(|e| e.contains("carries no fee")), "{errs:?}");
    }

    /// Issue #9: settings `policy set` must refuse, each with the rule it breaks.
    #[test]
    fn unlawful_settings_are_refused_with_the_rule() {
        let book = LawBook::embedded();
        // FI: a consumer demand letter exactly 14 days after the reminder (KKV/378/2022: more
        // than 14): reminder with 13 days to pay, demand on the day after its deadline.
        let fi = book.jurisdiction(JurisdictionCode::FI).unwrap();
        let mut p = Policy::default_for(JurisdictionCode::FI);
        p.models[1].steps[0].payment_days = 13;
        p.models[1].steps[1].days = 0;
        let errs = p.validate(fi, true, d("2026-01-01")).unwrap_err();
        assert!(
            errs.iter().any(|e| e.contains("only 14 days after the previous step; the law requires 15 for consumer")
                && e.contains("KKV/378/2022")),
            "{errs:?}"
        );
        // FI: a reminder fee on day 7 (perintälaki 10 b §: 14 days).
        let mut p = Policy::default_for(JurisdictionCode::FI);
        p.models[1].steps[0].days = 7;
        let errs = p.validate(fi, true, d("2026-01-01")).unwrap_err();
        assert!(
            errs.iter().any(|e| e.contains("only 14 days after the due date, this step may come on day 7")),
            "{errs:?}"
        );
        // SE: a fee on an SMS reminder.
        let se = book.jurisdiction(JurisdictionCode::SE).unwrap();
        let mut p = Policy::default_for(JurisdictionCode::SE);
        p.models[1].steps[0].channel = Channel::Sms;
        let errs = p.validate(se, true, d("2026-01-01")).unwrap_err();
        assert!(
            errs.iter().any(|e| e.contains("only on a written reminder, not by sms") && e.contains("1981:739")),
            "{errs:?}"
        );
        // NO: a collection demand without an inkassovarsel before it.
        let no = book.jurisdiction(JurisdictionCode::NO).unwrap();
        let mut p = Policy::default_for(JurisdictionCode::NO);
        p.models[1].steps.retain(|s| s.kind != StepKind::CollectionNotice);
        let errs = p.validate(no, true, d("2026-01-01")).unwrap_err();
        assert!(
            errs.iter()
                .any(|e| e.contains("requires a collection_notice step before it") && e.contains("inkassoloven § 9")),
            "{errs:?}"
        );
    }
}
