//! The contact policy: which channel and send hour a reminder goes by, learnt from how earlier
//! reminders were paid. Within the handling model's lawful options the engine picks, per debtor
//! and day, the option with the best expected value net of its cost by Thompson sampling (so
//! options keep being tried while the evidence is thin), and keeps a stable random share of
//! debtors on the handling model's own channel (the champion), against which the policy's
//! uplift is measured.

use crate::domain::{Channel, DebtorKind, JurisdictionCode, Segment};
use crate::model::arm_draw;
use crate::strategy::{wilson, Costs, Estimate};
use chrono::NaiveDate;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap};

/// The prefix of the arm label a contact-policy reminder carries (`contact:policy:sms@18`,
/// `contact:champion:letter`).
pub const LABEL: &str = "contact:";

/// The prefix of the wording the policy chose, after its option in the arm label
/// (`contact:policy:sms@18 wording:firm`).
pub const WORDING: &str = "wording:";

/// The name of the handling model's own wording.
pub const STANDARD: &str = "standard";

/// The prefix of the send day the policy chose, with the days the reminder was held
/// (`day:payday:3`, `day:now:0`), after its option in the arm label.
pub const DAY: &str = "day:";

/// Send on the day the handling model's step is due.
pub const NOW: &str = "now";

/// Hold the reminder until the debtors' payday.
pub const PAYDAY: &str = "payday";

/// The send-day choices.
const DAYS: [&str; 2] = [NOW, PAYDAY];

/// The send day an arm label names, with the days the reminder was held for it.
pub fn parse_day(arm: &str) -> Option<(&str, i64)> {
    let (day, held) = arm.split(' ').find_map(|p| p.strip_prefix(DAY))?.split_once(':')?;
    Some((DAYS.into_iter().find(|d| *d == day)?, held.parse().ok().filter(|h| (0..=MAX_HOLD_DAYS).contains(h))?))
}

/// The longest a reminder may be held for payday: a fortnight.
pub const MAX_HOLD_DAYS: i64 = 14;

/// The wording an arm label names, if the policy chose one.
pub fn parse_wording(arm: &str) -> Option<&str> {
    arm.split(' ').find_map(|p| p.strip_prefix(WORDING))
}

/// `[contact]` in the policy: the options the engine may choose from for reminders, and how it
/// weighs them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContactPolicy {
    /// Reminders from this date on are chosen by the policy.
    pub from: NaiveDate,
    /// The channels it may choose (letter, email, sms).
    #[serde(default = "all_channels")]
    pub channels: Vec<Channel>,
    /// Local send hours it may choose for e-mails and texts (8–19: texts only reach people in
    /// daytime).
    #[serde(default = "two_hours")]
    pub hours: Vec<u32>,
    /// Share of debtors, a stable random draw, always handled by the handling model's own channel.
    #[serde(default = "fifth")]
    pub champion_share: Decimal,
    /// A reminder worked when the claim was paid in full within this many days of it.
    #[serde(default = "fourteen")]
    pub window_days: i64,
    /// A payment within the window is worth the open amount's capital for this many days …
    #[serde(default = "thirty")]
    pub value_days: i64,
    /// … plus this share of it: what a claim not paid on its reminder loses on average (later
    /// steps, write-offs).
    #[serde(default = "loss")]
    pub loss_share: Decimal,
    /// At most this many of the debtor's group's earlier reminders count, so a debtor's own
    /// history can outweigh the group's and old results fade.
    #[serde(default = "two_hundred")]
    pub group_weight: u32,
    /// What a letter, an e-mail and a text cost, in the creditor's currency (default: as the
    /// experiment report's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub letter_cost: Option<Decimal>,
    /// What an e-mail costs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email_cost: Option<Decimal>,
    /// What a text costs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text_cost: Option<Decimal>,
    /// The cost of capital a year (default 0.08).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capital_rate: Option<Decimal>,
    /// Other wordings of the reminder the policy may choose besides the standard one: by name,
    /// the creditor's own phrases by language and phrase key (`[contact.wordings.firm.sv]`,
    /// `sms-reminder = "…"`), over the step's own.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub wordings: BTreeMap<String, crate::model::Texts>,
    /// The day of the month most debtors are paid their salary (Sweden: the 25th), moved back to
    /// the banking day before when it falls on a weekend or holiday, as salaries are. With it the
    /// policy may also hold a reminder until payday when that is at most `hold_days` away, and
    /// learns per group and debtor whether that works better than sending at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payday: Option<u32>,
    /// The most days a reminder may be held for payday. Holding only delays a step (never
    /// earlier than the law allows), and its outcome is counted from the day it could have gone,
    /// so a hold must win back the days it loses.
    #[serde(default = "four")]
    pub hold_days: i64,
}

fn all_channels() -> Vec<Channel> {
    vec![Channel::Letter, Channel::Email, Channel::Sms]
}
fn two_hours() -> Vec<u32> {
    vec![9, 18]
}
fn fifth() -> Decimal {
    Decimal::new(2, 1)
}
fn fourteen() -> i64 {
    14
}
fn thirty() -> i64 {
    30
}
fn loss() -> Decimal {
    Decimal::new(1, 1)
}
fn two_hundred() -> u32 {
    200
}
fn four() -> i64 {
    4
}

/// One thing the policy may choose: a channel, and for e-mails and texts a local send hour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ContactOption {
    /// The channel.
    pub channel: Channel,
    /// The local hour it is sent at (none for a letter, which goes to print).
    pub hour: Option<u32>,
}

impl ContactOption {
    /// "letter", "email@9", "sms@18".
    pub fn label(&self) -> String {
        match self.hour {
            Some(h) => format!("{}@{h}", self.channel),
            None => self.channel.to_string(),
        }
    }
    /// The option a label names.
    pub fn parse(s: &str) -> Option<ContactOption> {
        let (ch, hour) = match s.split_once('@') {
            Some((c, h)) => (c, Some(h.parse().ok()?)),
            None => (s, None),
        };
        Some(ContactOption { channel: ch.parse().ok()?, hour })
    }
}

impl Serialize for ContactOption {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.label())
    }
}

/// Whether a text may take the place of a written reminder. Sweden: yes, without the fee
/// (1981:739 2 § ties only the fee to a written reminder, and inkassolagen asks for no reminder
/// before a collection demand). Finland (perintälaki 5 §: a written reminder before collection),
/// Denmark (inkassoloven § 10: a written rykker before collection), Norway (inkassoloven § 9
/// and inkassoforskriften § 1-2: written notices) and EU B2B: no, a written reminder stays written.
pub fn text_may_replace_written(j: JurisdictionCode) -> bool {
    j == JurisdictionCode::SE
}

impl ContactPolicy {
    /// The defaults from `from`: letter, e-mail and text at 9:00 or 18:00, a fifth kept on the
    /// handling model's channel, paid within 14 days.
    pub fn new(from: NaiveDate) -> ContactPolicy {
        ContactPolicy {
            from,
            channels: all_channels(),
            hours: two_hours(),
            champion_share: fifth(),
            window_days: fourteen(),
            value_days: thirty(),
            loss_share: loss(),
            group_weight: two_hundred(),
            letter_cost: None,
            email_cost: None,
            text_cost: None,
            capital_rate: None,
            wordings: BTreeMap::new(),
            payday: None,
            hold_days: four(),
        }
    }

    /// The wordings it chooses among: the standard one, then its own by name.
    pub fn wording_names(&self) -> Vec<&str> {
        std::iter::once(STANDARD).chain(self.wordings.keys().map(String::as_str)).collect()
    }

    /// The options, in a stable order: a letter, then each e-mail and text hour.
    pub fn options(&self) -> Vec<ContactOption> {
        let mut out = Vec::new();
        for ch in &self.channels {
            match ch {
                Channel::Letter => out.push(ContactOption { channel: *ch, hour: None }),
                _ => out.extend(self.hours.iter().map(|h| ContactOption { channel: *ch, hour: Some(*h) })),
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// What is wrong with it, one line each.
    pub fn check(&self, errs: &mut Vec<String>) {
        if self.channels.is_empty() {
            errs.push("contact.channels: at least one of letter, email, sms".into());
        }
        if let Some(c) = self.channels.iter().find(|c| !matches!(c, Channel::Letter | Channel::Email | Channel::Sms)) {
            errs.push(format!("contact.channels: {c} is not a reminder channel (letter, email, sms)"));
        }
        if self.channels.iter().any(|c| *c != Channel::Letter) && self.hours.is_empty() {
            errs.push("contact.hours: at least one send hour for e-mails and texts".into());
        }
        if let Some(h) = self.hours.iter().find(|h| !(8..=19).contains(*h)) {
            errs.push(format!("contact.hours: {h} is outside 8–19 (texts reach people only in daytime)"));
        }
        if self.hours.len() > 12 || self.options().len() > 30 {
            errs.push("contact: at most 12 send hours".into());
        }
        if self.champion_share < Decimal::new(5, 2) || self.champion_share >= Decimal::ONE {
            errs.push(
                "contact.champion_share: from 0.05 (a share always kept on the handling model) to below 1".into(),
            );
        }
        if !(1..=60).contains(&self.window_days) {
            errs.push("contact.window_days: from 1 to 60".into());
        }
        if !(0..=365).contains(&self.value_days) {
            errs.push("contact.value_days: from 0 to 365".into());
        }
        if self.loss_share < Decimal::ZERO || self.loss_share > Decimal::ONE {
            errs.push("contact.loss_share: from 0 to 1".into());
        }
        if !(1..=100_000).contains(&self.group_weight) {
            errs.push("contact.group_weight: from 1 to 100000".into());
        }
        let costs = [&self.letter_cost, &self.email_cost, &self.text_cost];
        if costs.iter().any(|c| c.is_some_and(|c| c < Decimal::ZERO || c > Decimal::new(1000, 0))) {
            errs.push("contact: costs from 0 to 1000".into());
        }
        if self.capital_rate.is_some_and(|r| r < Decimal::ZERO || r > Decimal::ONE) {
            errs.push("contact.capital_rate: from 0 to 1 (0.08 = 8 % a year)".into());
        }
        if self.payday.is_some_and(|d| !(1..=31).contains(&d)) {
            errs.push("contact.payday: a day of the month from 1 to 31".into());
        }
        if !(1..=MAX_HOLD_DAYS).contains(&self.hold_days) {
            errs.push(format!("contact.hold_days: from 1 to {MAX_HOLD_DAYS}"));
        }
        if self.wordings.len() > 4 {
            errs.push("contact.wordings: at most 4 besides the standard one".into());
        }
        for (name, texts) in &self.wordings {
            let ok = (1..=20).contains(&name.len()) && name.chars().all(|c| c.is_ascii_lowercase() || c == '-');
            if !ok || name == STANDARD {
                errs.push(format!(
                    "contact.wordings: '{name}' is not a wording name (1–20 of a–z and -, not '{STANDARD}')"
                ));
            }
            if texts.values().all(BTreeMap::is_empty) {
                errs.push(format!("contact.wordings.{name}: no phrases"));
            }
            crate::model::check_texts(errs, "contact", &format!("wordings.{name}"), texts);
        }
    }

    /// Costs: the policy's own where given, else the defaults in `currency`.
    pub fn costs(&self, defaults: Costs) -> Costs {
        let f = |d: &Option<Decimal>, or: f64| d.and_then(|d| d.to_f64()).unwrap_or(or);
        Costs {
            letter: f(&self.letter_cost, defaults.letter),
            email: f(&self.email_cost, defaults.email),
            text: f(&self.text_cost, defaults.text),
            capital_rate: f(&self.capital_rate, defaults.capital_rate),
            ..defaults
        }
    }

    /// Whether the debtor is in the champion share (a stable draw, the same on every run).
    pub fn champion(&self, customer: &str) -> bool {
        Decimal::from_f64_retain(arm_draw("contact", customer)).is_some_and(|d| d < self.champion_share)
    }
}

/// Reminders sent by one option and how many of them worked.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    /// Reminders sent (whose window has passed).
    pub sent: u32,
    /// Of them, paid in full within the window.
    pub paid: u32,
}

impl Tally {
    /// Counts one reminder.
    fn count(&mut self, paid: bool) {
        self.sent += 1;
        self.paid += u32::from(paid);
    }
}

/// A group of debtors whose reminders are learnt from together: segment, kind and credit-score band.
pub type Group = (Segment, DebtorKind, ScoreBand);

/// A credit-score band: unknown, below 40, 40–59, 60 and above.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum ScoreBand {
    /// No score known.
    Unknown,
    /// Below 40.
    Low,
    /// 40–59.
    Middle,
    /// 60 and above.
    High,
}

impl ScoreBand {
    /// Every band.
    pub const ALL: [ScoreBand; 4] = [ScoreBand::Unknown, ScoreBand::Low, ScoreBand::Middle, ScoreBand::High];
    /// The band of a score.
    pub fn of(score: Option<i32>) -> ScoreBand {
        match score {
            None => ScoreBand::Unknown,
            Some(s) if s < 40 => ScoreBand::Low,
            Some(s) if s < 60 => ScoreBand::Middle,
            Some(_) => ScoreBand::High,
        }
    }
    fn words(self) -> &'static str {
        match self {
            ScoreBand::Unknown => "no credit score",
            ScoreBand::Low => "credit score below 40",
            ScoreBand::Middle => "credit score 40–59",
            ScoreBand::High => "credit score 60+",
        }
    }
}

/// What earlier reminders taught: per group of debtors and per debtor, each option's tally.
/// Filled by the application from the stored steps and payments.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Learned {
    /// Per group (segment, debtor kind, score band).
    pub groups: HashMap<Group, BTreeMap<ContactOption, Tally>>,
    /// Per debtor.
    pub customers: HashMap<String, BTreeMap<ContactOption, Tally>>,
    /// Per debtor kind (consumers, businesses): what each option does across all groups.
    pub kinds: HashMap<DebtorKind, BTreeMap<ContactOption, Tally>>,
    /// Per group, each wording's tally, and each send day's (under `day:`).
    pub choice_groups: HashMap<Group, BTreeMap<String, Tally>>,
    /// Per debtor, the same.
    pub choice_customers: HashMap<String, BTreeMap<String, Tally>>,
}

impl Learned {
    /// Counts one matured reminder.
    pub fn add(&mut self, customer: &str, group: Group, option: ContactOption, paid: bool) {
        for t in [
            self.groups.entry(group).or_default().entry(option).or_default(),
            self.customers.entry(customer.to_string()).or_default().entry(option).or_default(),
            self.kinds.entry(group.1).or_default().entry(option).or_default(),
        ] {
            t.count(paid);
        }
    }

    /// Counts one matured reminder's wording.
    pub fn add_wording(&mut self, customer: &str, group: Group, wording: &str, paid: bool) {
        self.add_choice(customer, group, wording.to_string(), paid);
    }

    /// Counts one matured reminder's send day (`now`, `payday`) with the channel it went by: a
    /// hold costs a letter, which is acted on days after it arrives, more of its window than a
    /// text.
    pub fn add_day(&mut self, customer: &str, group: Group, channel: Channel, day: &str, paid: bool) {
        self.add_choice(customer, group, format!("{DAY}{channel}:{day}"), paid);
    }

    fn add_choice(&mut self, customer: &str, group: Group, key: String, paid: bool) {
        self.choice_customers.entry(customer.to_string()).or_default().entry(key.clone()).or_default().count(paid);
        self.choice_groups.entry(group).or_default().entry(key).or_default().count(paid);
    }

    /// What a group's reminders by `option` are expected to do before the group's own evidence
    /// on it: the group's rate over all options times how much better or worse the option does
    /// than the average for all debtors of the kind. A small group learns from the whole
    /// portfolio that, say, consumers answer evening texts, while its own base rate (Risk debtors
    /// with a low score rarely pay at all) stays its own. None while either is unknown.
    fn prior(&self, group: Group, option: ContactOption) -> Option<f64> {
        let rate = |ts: &BTreeMap<ContactOption, Tally>| {
            let (sent, paid) =
                ts.values().fold((0u64, 0u64), |a, t| (a.0 + u64::from(t.sent), a.1 + u64::from(t.paid)));
            (sent > 0).then(|| (paid as f64 + 0.5) / (sent as f64 + 1.0))
        };
        let kind = self.kinds.get(&group.1)?;
        let t = kind.get(&option).filter(|t| t.sent > 0)?;
        let lift = ((f64::from(t.paid) + 0.5) / (f64::from(t.sent) + 1.0)) / rate(kind)?;
        Some((rate(self.groups.get(&group)?)? * lift).clamp(0.01, 0.99))
    }
}

/// How many reminders' worth the prior from the debtor kind counts for in a group: enough to
/// order the options in a group that has hardly tried them, little enough that a group's own
/// few dozen reminders outweigh it.
const PRIOR_REMINDERS: f64 = 20.0;

/// How many of a debtor's own reminders the group's chance counts for: people differ, so a few
/// reminders of their own (say two e-mails unpaid) should move the choice for them.
const OWN_PRIOR: f64 = 8.0;

/// What the policy decided for a debtor's reminders of the day.
#[derive(Clone, Debug, PartialEq)]
pub struct Choice {
    /// The option.
    pub option: ContactOption,
    /// The wording, where the policy has others than the standard one.
    pub wording: Option<String>,
    /// The arm label stored with the step (`contact:policy:sms@18`, and ` wording:firm`).
    pub label: String,
    /// Why, in words.
    pub why: String,
}

/// Who the choice is for.
pub struct Debtor<'a> {
    /// The customer id.
    pub id: &'a str,
    /// Its segment today.
    pub segment: Segment,
    /// Consumer or business.
    pub kind: DebtorKind,
    /// Credit score, if known.
    pub score: Option<i32>,
    /// An e-mail address (with consent) is known.
    pub has_email: bool,
    /// A mobile number (with consent) is known.
    pub has_phone: bool,
    /// The open amount of the reminders' claims, in major units.
    pub open: f64,
}

/// The policy's choice for a debtor's reminders on `date`, whose handling model sends them by
/// `step_channel` (a written step stays written where the law needs it), or `None` when the
/// debtor is in the champion share. The draw is seeded by the debtor and the date, so the same
/// run gives the same choice.
pub fn choose(
    policy: &ContactPolicy,
    j: JurisdictionCode,
    costs: &Costs,
    learned: &Learned,
    d: &Debtor<'_>,
    step_channel: Channel,
    date: NaiveDate,
) -> Option<Choice> {
    if policy.champion(d.id) {
        return None;
    }
    let written_only = step_channel.is_written() && !text_may_replace_written(j);
    let options: Vec<ContactOption> = policy
        .options()
        .into_iter()
        .filter(|o| match o.channel {
            Channel::Email => d.has_email,
            Channel::Sms => d.has_phone && !written_only,
            _ => true,
        })
        .collect();
    let mut rng = Rng::new(crate::domain::fnv1a(d.id.bytes().chain(date.to_string().bytes())));
    let empty = BTreeMap::new();
    let band = ScoreBand::of(d.score);
    let group = learned.groups.get(&(d.segment, d.kind, band)).unwrap_or(&empty);
    let own = learned.customers.get(d.id).unwrap_or(&empty);
    let worth = d.open
        * (costs.capital_rate * policy.value_days as f64 / 365.0 + policy.loss_share.to_f64().unwrap_or(0.0))
        + costs.letter;
    let mut best: Option<(f64, ContactOption, f64, Tally, Tally)> = None;
    for o in options {
        let (g, c) = (group.get(&o).copied().unwrap_or_default(), own.get(&o).copied().unwrap_or_default());
        let prior = learned
            .prior((d.segment, d.kind, band), o)
            .map_or((1.0, 1.0), |m| (1.0 + PRIOR_REMINDERS * m, 1.0 + PRIOR_REMINDERS * (1.0 - m)));
        let (p, mean_p) = draw(&mut rng, prior, g, c, policy.group_weight);
        let value = p * worth - contact_cost(costs, o.channel);
        if best.as_ref().is_none_or(|x| value > x.0) {
            best = Some((value, o, mean_p, g, c));
        }
    }
    let (value, option, mean_p, g, c) = best?;
    let own = if c.sent > 0 { format!(", {} of {} for this debtor", c.paid, c.sent) } else { String::new() };
    let mut why = format!(
        "contact policy: {} ({:.0} % of {} like reminders to {} {} debtors with {} paid within {} days{own}; a draw from what is known, net {:.2} after its cost)",
        option.label(),
        mean_p * 100.0,
        g.sent,
        d.segment,
        d.kind,
        band.words(),
        policy.window_days,
        value
    );
    let wording = (!policy.wordings.is_empty())
        .then(|| choose_named(learned, d, &policy.wording_names(), "", policy.group_weight, &mut rng))
        .flatten();
    let mut label = format!("{LABEL}policy:{}", option.label());
    if let Some((w, mean_p, g)) = &wording {
        label.push_str(&format!(" {WORDING}{w}"));
        why.push_str(&format!(
            "; wording {w} ({:.0} % of {} like reminders in it paid within {} days)",
            mean_p * 100.0,
            g.sent,
            policy.window_days
        ));
    }
    Some(Choice { option, wording: wording.map(|w| w.0), label, why })
}

/// A chance drawn for one option or wording, and its mean for the reason. The group's chance is
/// drawn from its Beta (`prior` plus its evidence, counted as at most `group_weight` reminders so
/// old results fade; its uncertainty is what makes the policy explore); the debtor's own
/// reminders then move it, as if the group's were `OWN_PRIOR` of theirs: two e-mails a debtor
/// left unpaid count against e-mail for them, not for the group.
fn draw(rng: &mut Rng, prior: (f64, f64), g: Tally, c: Tally, group_weight: u32) -> (f64, f64) {
    let scale = f64::from(group_weight) / f64::from(g.sent.max(group_weight));
    let a = prior.0 + f64::from(g.paid) * scale;
    let b = prior.1 + f64::from(g.sent - g.paid) * scale;
    let own = |p: f64| (OWN_PRIOR * p + f64::from(c.paid)) / (OWN_PRIOR + f64::from(c.sent));
    (own(rng.beta(a, b)), own(a / (a + b)))
}

/// A wording or send day for the debtor's reminders, by a draw per choice like the options'
/// (they cost the same, so the best chance wins), from the tallies under `prefix`. Its chance,
/// known share and group tally come with it for the reason. Each choice's Beta starts from its
/// rate across the debtor's segment and kind (all score bands), worth `PRIOR_REMINDERS`: these
/// choices are rarer than the options (a send day is a choice only days before payday), and a
/// band learns sooner from its neighbours than from nothing.
fn choose_named(
    learned: &Learned,
    d: &Debtor<'_>,
    names: &[&str],
    prefix: &str,
    group_weight: u32,
    rng: &mut Rng,
) -> Option<(String, f64, Tally)> {
    let empty = BTreeMap::new();
    let group = learned.choice_groups.get(&(d.segment, d.kind, ScoreBand::of(d.score))).unwrap_or(&empty);
    let own = learned.choice_customers.get(d.id).unwrap_or(&empty);
    let mut best: Option<(f64, &str, f64, Tally)> = None;
    for w in names {
        let key = format!("{prefix}{w}");
        let (g, c) = (group.get(&key).copied().unwrap_or_default(), own.get(&key).copied().unwrap_or_default());
        let wider = ScoreBand::ALL
            .iter()
            .filter_map(|b| learned.choice_groups.get(&(d.segment, d.kind, *b))?.get(&key))
            .fold(Tally::default(), |a, t| Tally { sent: a.sent + t.sent, paid: a.paid + t.paid });
        let prior = if wider.sent == 0 {
            (1.0, 1.0)
        } else {
            let m = (f64::from(wider.paid) + 0.5) / (f64::from(wider.sent) + 1.0);
            (1.0 + PRIOR_REMINDERS * m, 1.0 + PRIOR_REMINDERS * (1.0 - m))
        };
        let (p, mean_p) = draw(rng, prior, g, c, group_weight);
        if best.as_ref().is_none_or(|x| p > x.0) {
            best = Some((p, w, mean_p, g));
        }
    }
    best.map(|(_, w, mean_p, g)| (w.to_string(), mean_p, g))
}

/// The debtors' payday on or after `from`: the policy's day of the month (the month's last day
/// where it is shorter), moved back to the banking day before when it is not one.
pub fn next_payday(country: crate::calendar::Country, day_of_month: u32, from: NaiveDate) -> Option<NaiveDate> {
    use chrono::Datelike;
    let mut month = from.with_day(1)?;
    for _ in 0..3 {
        let next_month = month.checked_add_months(chrono::Months::new(1))?;
        let last = next_month.pred_opt()?.day();
        let mut pay = month.with_day(day_of_month.clamp(1, last))?;
        while !crate::calendar::is_banking_day(country, pay) && pay > month {
            pay = pay.pred_opt()?;
        }
        if pay >= from {
            return Some(pay);
        }
        month = next_month;
    }
    None
}

/// What the policy decided about a debtor's reminders' day.
#[derive(Clone, Debug, PartialEq)]
pub enum SendDay {
    /// Send today. The label part (`day:payday:3`) and the reason where the policy chose.
    Today(Option<(String, String)>),
    /// Hold until payday, and why.
    Hold(NaiveDate, String),
}

/// Whether a policy debtor's reminders by `channel`, first due on `earliest`, go today or wait
/// for payday: a choice only when payday is from one to `hold_days` days after `earliest`,
/// learnt per channel. The draw is seeded by the debtor and `earliest`, so the days after it
/// repeat the choice (unless what is known moved in between); a reminder chosen for now on a
/// later day goes then. Outcomes are counted from `earliest`, so the learnt chances weigh the
/// days a hold loses.
pub fn send_day(
    policy: &ContactPolicy,
    country: crate::calendar::Country,
    learned: &Learned,
    d: &Debtor<'_>,
    channel: Channel,
    earliest: NaiveDate,
    today: NaiveDate,
) -> SendDay {
    let Some(pay) = policy.payday.and_then(|p| next_payday(country, p, earliest)) else { return SendDay::Today(None) };
    let hold = (pay - earliest).num_days();
    // Payday passed while the step waited (no run on those days): no longer a choice.
    if !(1..=policy.hold_days).contains(&hold) || today > pay {
        return SendDay::Today(None);
    }
    let mut rng = Rng::new(crate::domain::fnv1a(d.id.bytes().chain(format!("day {earliest}").bytes())));
    let prefix = format!("{DAY}{channel}:");
    let Some((day, mean_p, g)) = choose_named(learned, d, &DAYS, &prefix, policy.group_weight, &mut rng) else {
        return SendDay::Today(None);
    };
    let why = format!(
        "send day {day} (payday {pay}; {:.0} % of {} like reminders by {channel} {} paid within {} days of their step's day)",
        mean_p * 100.0,
        g.sent,
        if day == PAYDAY { "held for it" } else { "sent at once" },
        policy.window_days
    );
    if day == PAYDAY && today < pay {
        return SendDay::Hold(pay, format!("contact policy: held until payday {pay}: {why}"));
    }
    let held = (today - earliest).num_days().clamp(0, MAX_HOLD_DAYS);
    SendDay::Today(Some((format!("{DAY}{day}:{held}"), why)))
}

/// What one contact costs the creditor.
pub fn contact_cost(costs: &Costs, channel: Channel) -> f64 {
    match channel {
        Channel::Email => costs.email,
        Channel::Sms => costs.text,
        Channel::Phone => costs.call,
        _ => costs.letter,
    }
}

/// The label a champion's reminder carries.
pub fn champion_label(channel: Channel) -> String {
    format!("{LABEL}champion:{channel}")
}

/// The contact part of an arm label: (champion?, option), from `contact:policy:sms@18` or
/// `contact:champion:letter` (possibly after an experiment's label and a space).
pub fn parse_label(arm: &str) -> Option<(bool, ContactOption)> {
    let rest = arm.split(' ').find_map(|p| p.strip_prefix(LABEL))?;
    let (who, option) = rest.split_once(':')?;
    Some((who == "champion", ContactOption::parse(option)?))
}

/// A small deterministic generator (splitmix64) with Beta draws (Marsaglia–Tsang gamma,
/// Box–Muller normal). Written here, not taken from `rand`, because a run must choose the same
/// on every machine and version, and `rand`'s algorithms may change between releases.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed)
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in (0, 1).
    fn uniform(&mut self) -> f64 {
        ((self.next() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f64 {
        let (u, v) = (self.uniform(), self.uniform());
        (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
    }
    /// Gamma(shape, 1) for shape ≥ 1 (the Beta parameters here are at least 1).
    fn gamma(&mut self, shape: f64) -> f64 {
        let d = shape - 1.0 / 3.0;
        let c = 1.0 / (9.0 * d).sqrt();
        for _ in 0..1000 {
            let x = self.normal();
            let v = (1.0 + c * x).powi(3);
            if v <= 0.0 {
                continue;
            }
            let u = self.uniform();
            if u.ln() < 0.5 * x * x + d - d * v + d * v.ln() {
                return d * v;
            }
        }
        shape
    }
    fn beta(&mut self, a: f64, b: f64) -> f64 {
        let (x, y) = (self.gamma(a.max(1.0)), self.gamma(b.max(1.0)));
        x / (x + y)
    }
}

/// One reminder sent under the contact policy, followed for a horizon after it.
#[derive(Clone, Debug, PartialEq)]
pub struct Sent {
    /// The claim.
    pub claim: String,
    /// The debtor.
    pub customer: String,
    /// Its segment when the reminder was decided.
    pub segment: Segment,
    /// Consumer or business.
    pub kind: DebtorKind,
    /// Its credit-score band (as the customer stands now).
    pub band: ScoreBand,
    /// Kept on the handling model's channel (the champion share).
    pub champion: bool,
    /// How it went.
    pub option: ContactOption,
    /// The day it was decided.
    pub date: NaiveDate,
    /// Open on that day, minor units.
    pub open: i64,
    /// Paid in full within the window.
    pub paid_in_window: bool,
    /// The wording the policy chose, if it has others than the standard one.
    pub wording: Option<String>,
    /// The send day the policy chose (`now`, `payday`), where it had the choice.
    pub day: Option<String>,
    /// Days the reminder was held after its step was due: its outcome counts from then.
    pub held: i64,
    /// Its message did not reach the debtor by the channel chosen: it bounced or failed for
    /// good, or (where the creditor sends unopened e-mails again as letters) was never opened,
    /// and a fallback went instead.
    pub unreached: bool,
    /// Collected within the horizon after it, minor units.
    pub collected: i64,
    /// Contacts within the horizon, this one included: letters, e-mails, texts, calls.
    pub letters: u32,
    /// Of them e-mails.
    pub emails: u32,
    /// Of them texts.
    pub texts: u32,
    /// Of them calls.
    pub calls: u32,
}

impl Sent {
    /// Whether it counts as having worked for what the policy learns: paid within the window
    /// and reached the debtor by its own channel. A bounced or unopened e-mail whose fallback
    /// letter was paid says nothing for e-mail to this debtor but that it does not reach them.
    pub fn worked(&self) -> bool {
        self.paid_in_window && !self.unreached
    }
    /// The day the reminder could have gone (its step's day): a held reminder's window and
    /// horizon count from here, so a hold is not credited with the days it lost.
    pub fn start(&self) -> NaiveDate {
        self.date - chrono::Duration::days(self.held)
    }
    /// Whether `day` falls within `days` of the reminder's start.
    pub fn within(&self, day: NaiveDate, days: i64) -> bool {
        day >= self.start() && day <= self.start() + chrono::Duration::days(days)
    }
}

/// One arm of the contact policy's comparison.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ContactArm {
    /// "policy" or "champion".
    pub arm: &'static str,
    /// Reminders (each claim's first under the policy, its window and horizon passed).
    pub reminders: usize,
    /// Share paid in full within the window.
    pub paid_in_window: Option<Estimate>,
    /// Share of the open amount collected within the horizon.
    pub collected_share: Option<Estimate>,
    /// Contacts per reminder within the horizon (the reminder included).
    pub contacts: Option<Estimate>,
    /// What the contacts cost per reminder.
    pub contact_cost: Option<Estimate>,
    /// Net value per reminder: collected less the cost of capital until the horizon on what was
    /// not, and the contacts' cost (major units).
    pub net_value: Option<Estimate>,
}

/// How often the policy chose an option, and how it went.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OptionFigures {
    /// The debtors they went to (`risk consumer`), where the table is by segment and kind.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub debtors: Option<String>,
    /// The option's label (`sms@18`), the wording's name or the send day.
    pub option: String,
    /// Reminders the policy sent by it.
    pub reminders: usize,
    /// Its share of the policy's reminders in the first third of the period …
    pub share_first_third: f64,
    /// … and in the last third: learning moves the choices towards what works.
    pub share_last_third: f64,
    /// Paid in full within the window.
    pub paid_in_window: Option<Estimate>,
    /// Of them, how many did not reach the debtor by it (bounced, failed, or unopened and sent
    /// again as a letter).
    pub unreached: usize,
}

/// The contact policy against the handling model's own channel.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ContactReport {
    /// Reminders decided from …
    pub from: Option<NaiveDate>,
    /// … through.
    pub through: Option<NaiveDate>,
    /// Days a reminder is followed.
    pub horizon_days: i64,
    /// The window a payment must come within.
    pub window_days: i64,
    /// The policy's arm, then the champion's.
    pub arms: Vec<ContactArm>,
    /// Reminders in the debtor groups both arms have reached (at least two each): the
    /// differences below compare within those groups.
    pub compared: usize,
    /// Policy minus champion: paid within the window (share).
    pub paid_uplift: Option<Estimate>,
    /// Policy minus champion: share collected.
    pub collected_uplift: Option<Estimate>,
    /// Policy minus champion: contacts per reminder (negative: fewer).
    pub contacts_change: Option<Estimate>,
    /// Policy minus champion: net value per reminder.
    pub net_value_change: Option<Estimate>,
    /// Each option the policy used.
    pub options: Vec<OptionFigures>,
    /// Each wording it used (none when it has only the standard one), by segment and kind:
    /// what moves one group may put off another.
    pub wordings: Vec<OptionFigures>,
    /// Each send day it chose (none without a payday): sent at once or held for payday, by
    /// segment and kind.
    pub days: Vec<OptionFigures>,
    /// What it says, in words.
    pub verdict: String,
}

/// An arm's means with their variances, computed once for its figures and the differences.
struct Means {
    share: Option<(f64, f64)>,
    contacts: Option<(f64, f64)>,
    cost: Option<(f64, f64)>,
    net: Option<(f64, f64)>,
}

impl Means {
    fn of(sent: &[&Sent], costs: &Costs, horizon: i64) -> Means {
        let f = |g: &dyn Fn(&Sent) -> f64| clustered_mean(sent, g);
        Means {
            share: f(&share),
            contacts: f(&|s| f64::from(s.letters)),
            cost: f(&|s| contacts_cost(costs, s)),
            net: f(&|s| net(s, costs, horizon) - contacts_cost(costs, s)),
        }
    }
}

fn arm_figures(name: &'static str, sent: &[&Sent], m: &Means) -> ContactArm {
    let e = |m: Option<(f64, f64)>| m.map(|(v, var)| Estimate::normal(v, var));
    ContactArm {
        arm: name,
        reminders: sent.len(),
        paid_in_window: wilson(sent.iter().filter(|s| s.paid_in_window).count(), sent.len()),
        collected_share: e(m.share),
        contacts: e(m.contacts),
        contact_cost: e(m.cost),
        net_value: e(m.net),
    }
}

/// What a reminder's contacts within the horizon cost: each by its channel, calls apart.
fn contacts_cost(costs: &Costs, s: &Sent) -> f64 {
    costs.contacts(s.letters.saturating_sub(s.emails + s.texts + s.calls), s.emails, s.texts, s.calls)
}

fn share(s: &Sent) -> f64 {
    if s.open <= 0 {
        return 0.0;
    }
    s.collected.clamp(0, s.open) as f64 / s.open as f64
}

/// Collected less the capital cost over the horizon of what was not (major units), against the
/// open amount: so 0 is everything paid at once.
fn net(s: &Sent, costs: &Costs, horizon: i64) -> f64 {
    let missing = (s.open - s.collected.clamp(0, s.open)).max(0) as f64 / 100.0;
    -missing * (1.0 + costs.capital_rate * horizon as f64 / 365.0)
}

/// The report: each claim's first reminder under the policy (policy or champion share), those
/// whose horizon has passed by `as_of`.
pub fn contact_report(sent: &[Sent], costs: &Costs, window_days: i64, horizon: i64, as_of: NaiveDate) -> ContactReport {
    let mature: Vec<&Sent> = sent.iter().filter(|s| s.start() + chrono::Duration::days(horizon) <= as_of).collect();
    let (champ, pol): (Vec<&Sent>, Vec<&Sent>) = mature.iter().partition(|s| s.champion);
    let (mp, mc) = (Means::of(&pol, costs, horizon), Means::of(&champ, costs, horizon));
    let arms = vec![arm_figures("policy", &pol, &mp), arm_figures("champion", &champ, &mc)];
    let strata = Strata::of(&mature);
    let paid_uplift = strata.difference(&|s| f64::from(u8::from(s.paid_in_window)));
    let collected_uplift = strata.difference(&share);
    let contacts_change = strata.difference(&|s| f64::from(s.letters));
    let net_value_change = strata.difference(&|s| net(s, costs, horizon) - contacts_cost(costs, s));
    let (from, through) = (mature.iter().map(|s| s.date).min(), mature.iter().map(|s| s.date).max());
    let mut options = figures_by(&pol, &|s| Some(s.option.label()));
    // In the options' order (a letter, then e-mails and texts by hour), not by label.
    options.sort_by_key(|o| ContactOption::parse(&o.option));
    let wordings = figures_by_debtors(&pol, &|s| s.wording.clone());
    let days = figures_by_debtors(&pol, &|s| s.day.as_ref().map(|d| format!("{d} by {}", s.option.channel)));
    let verdict = verdict(paid_uplift, collected_uplift, contacts_change, net_value_change);
    ContactReport {
        from,
        through,
        horizon_days: horizon,
        window_days,
        arms,
        compared: strata.compared,
        paid_uplift,
        collected_uplift,
        contacts_change,
        net_value_change,
        options,
        wordings,
        days,
        verdict,
    }
}

/// The matured reminders by debtor group (segment, kind, score band), each group's policy and
/// champion reminders apart.
struct Strata<'a> {
    groups: Vec<(Vec<&'a Sent>, Vec<&'a Sent>)>,
    compared: usize,
}

impl<'a> Strata<'a> {
    /// Groups with reminders to at least two debtors in each arm (a variance needs two).
    fn of(mature: &[&'a Sent]) -> Strata<'a> {
        let mut by: BTreeMap<Group, (Vec<&Sent>, Vec<&Sent>)> = BTreeMap::new();
        for s in mature {
            let g = by.entry((s.segment, s.kind, s.band)).or_default();
            if s.champion {
                g.1.push(s)
            } else {
                g.0.push(s)
            }
        }
        let debtors =
            |xs: &[&Sent]| xs.iter().map(|s| s.customer.as_str()).collect::<std::collections::BTreeSet<_>>().len();
        let groups: Vec<_> = by.into_values().filter(|(p, c)| debtors(p) >= 2 && debtors(c) >= 2).collect();
        let compared = groups.iter().map(|(p, c)| p.len() + c.len()).sum();
        Strata { groups, compared }
    }

    /// Policy minus champion for one figure, post-stratified: each group's difference of means,
    /// weighted by the group's share of the compared reminders. The champion share is a random
    /// draw within every group, so each group's difference is a fair comparison; weighting them
    /// takes out the noise of how many Risk or business debtors happened to fall in each arm,
    /// which otherwise swamps a channel's effect. The variance counts debtors, not reminders
    /// (see [`clustered_mean`]).
    fn difference(&self, f: &dyn Fn(&Sent) -> f64) -> Option<Estimate> {
        if self.compared == 0 {
            return None;
        }
        let total = self.compared as f64;
        let (mut value, mut var) = (0.0, 0.0);
        for (p, c) in &self.groups {
            let w = (p.len() + c.len()) as f64 / total;
            let ((mp, vp), (mc, vc)) = (clustered_mean(p, f)?, clustered_mean(c, f)?);
            value += w * (mp - mc);
            var += w * w * (vp + vc);
        }
        Some(Estimate::normal(value, var))
    }
}

/// The mean of a figure over reminders, with its variance counted by debtor: the champion share
/// is drawn per debtor, and one debtor's reminders go alike (a slow payer's six reminders are one
/// slow payer, not six), so treating them as independent would make the intervals too narrow.
/// Cluster-robust (sandwich) variance: the sum over debtors of their reminders' summed
/// deviations squared, over n², times C / (C − 1) for C debtors. With one reminder per debtor it
/// is the usual s² / n. None without reminders to two debtors.
fn clustered_mean(xs: &[&Sent], f: &dyn Fn(&Sent) -> f64) -> Option<(f64, f64)> {
    let n = xs.len() as f64;
    let m = xs.iter().map(|s| f(s)).sum::<f64>() / n;
    let mut by: HashMap<&str, f64> = HashMap::new();
    for s in xs {
        *by.entry(s.customer.as_str()).or_default() += f(s) - m;
    }
    let k = by.len() as f64;
    if by.len() < 2 {
        return None;
    }
    let var = by.values().map(|r| r * r).sum::<f64>() / (n * n) * k / (k - 1.0);
    Some((m, var))
}

/// The policy's reminders by what `key` says they went by (an option, a wording; None: left
/// out), each with its share of the first and last third of the period and how it worked.
fn figures_by(pol: &[&Sent], key: &dyn Fn(&Sent) -> Option<String>) -> Vec<OptionFigures> {
    let mut by_date: Vec<&Sent> = pol.iter().copied().filter(|s| key(s).is_some()).collect();
    by_date.sort_by_key(|s| s.date);
    let third = by_date.len() / 3;
    let (first, last) = (by_date.get(..third).unwrap_or(&[]), by_date.get(by_date.len() - third..).unwrap_or(&[]));
    let mut by: BTreeMap<String, Vec<&Sent>> = BTreeMap::new();
    for s in &by_date {
        if let Some(k) = key(s) {
            by.entry(k).or_default().push(s);
        }
    }
    let share = |xs: &[&Sent], o: &str| {
        if xs.is_empty() {
            0.0
        } else {
            xs.iter().filter(|s| key(s).as_deref() == Some(o)).count() as f64 / xs.len() as f64
        }
    };
    by.into_iter()
        .map(|(option, xs)| OptionFigures {
            debtors: None,
            share_first_third: share(first, &option),
            share_last_third: share(last, &option),
            option,
            reminders: xs.len(),
            paid_in_window: wilson(xs.iter().filter(|s| s.paid_in_window).count(), xs.len()),
            unreached: xs.iter().filter(|s| s.unreached).count(),
        })
        .collect()
}

/// [`figures_by`] for each segment and kind of debtor apart, each with its own thirds.
fn figures_by_debtors(pol: &[&Sent], key: &dyn Fn(&Sent) -> Option<String>) -> Vec<OptionFigures> {
    let mut by: BTreeMap<(Segment, DebtorKind), Vec<&Sent>> = BTreeMap::new();
    for s in pol.iter().filter(|s| key(s).is_some()) {
        by.entry((s.segment, s.kind)).or_default().push(s);
    }
    by.into_iter()
        .flat_map(|((segment, kind), xs)| {
            figures_by(&xs, key)
                .into_iter()
                .map(move |f| OptionFigures { debtors: Some(format!("{segment} {kind}")), ..f })
        })
        .collect()
}

fn verdict(
    paid: Option<Estimate>,
    collected: Option<Estimate>,
    contacts: Option<Estimate>,
    net: Option<Estimate>,
) -> String {
    let (Some(p), Some(c), Some(k), Some(n)) = (paid, collected, contacts, net) else {
        return "not enough matured reminders in both arms to compare yet".into();
    };
    let pct = |e: Estimate| format!("{:+.1} points ({:+.1} to {:+.1})", e.value * 100.0, e.low * 100.0, e.high * 100.0);
    let mut out = format!(
        "against the handling model's own channel the policy changes payment within the window by {}, the share collected by {}, contacts per reminder by {:+.2} ({:+.2} to {:+.2}) and net value per reminder by {:+.2} ({:+.2} to {:+.2})",
        pct(p), pct(c), k.value, k.low, k.high, n.value, n.low, n.high
    );
    out.push_str(if c.low > 0.0 && k.high < 0.0 {
        ": more collected with fewer contacts"
    } else if n.low > 0.0 {
        ": worth more net of its cost"
    } else if n.high < 0.0 {
        ": worth less than the handling model's channel; look at its options and costs"
    } else {
        ": not yet clear; let it run longer"
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> ContactPolicy {
        let p: ContactPolicy = toml::from_str("from = \"2026-01-01\"").unwrap();
        assert_eq!(p, ContactPolicy::new(NaiveDate::from_ymd_opt(2026, 1, 1).unwrap()));
        p
    }

    #[test]
    fn options_are_a_letter_and_each_hour_of_the_electronic_channels() {
        let p = policy();
        let labels: Vec<String> = p.options().iter().map(ContactOption::label).collect();
        assert_eq!(labels, ["letter", "email@9", "email@18", "sms@9", "sms@18"]);
        for l in &labels {
            assert_eq!(ContactOption::parse(l).unwrap().label(), *l);
        }
        assert_eq!(
            parse_label("early:champion contact:policy:sms@18"),
            ContactOption::parse("sms@18").map(|o| (false, o))
        );
        assert!(parse_label("contact:champion:letter").unwrap().0);
        assert_eq!(parse_label("early:challenger"), None);
    }

    #[test]
    fn bad_settings_are_named() {
        let mut p = policy();
        p.hours = vec![22];
        p.champion_share = Decimal::ZERO;
        p.channels.push(Channel::Phone);
        let mut errs = vec![];
        p.check(&mut errs);
        assert_eq!(errs.len(), 3, "{errs:?}");
        assert!(errs[0].contains("phone is not a reminder channel"), "{errs:?}");
        assert!(errs[1].contains("22 is outside 8–19"), "{errs:?}");
        assert!(errs[2].contains("champion_share"), "{errs:?}");
    }

    fn debtor(id: &str) -> Debtor<'_> {
        Debtor {
            id,
            segment: Segment::Normal,
            kind: DebtorKind::Consumer,
            score: None,
            has_email: true,
            has_phone: true,
            open: 1000.0,
        }
    }

    #[test]
    fn a_written_reminder_stays_written_outside_sweden_and_unreachable_channels_are_never_chosen() {
        let p = policy();
        let costs = Costs::default_for(crate::money::Currency::EUR);
        let learned = Learned::default();
        let day = NaiveDate::from_ymd_opt(2026, 2, 1).unwrap();
        let ids: Vec<String> = (0..400).map(|i| format!("C{i}")).collect();
        let chosen = |j, step, email, phone| -> Vec<Channel> {
            ids.iter()
                .filter_map(|id| {
                    let d = Debtor { has_email: email, has_phone: phone, ..debtor(id) };
                    choose(&p, j, &costs, &learned, &d, step, day).map(|c| c.option.channel)
                })
                .collect()
        };
        let fi = chosen(JurisdictionCode::FI, Channel::Letter, true, true);
        assert!(!fi.is_empty() && fi.iter().all(|c| *c != Channel::Sms));
        let se = chosen(JurisdictionCode::SE, Channel::Letter, true, true);
        assert!(se.contains(&Channel::Sms));
        // A text step may become anything in Finland: it was never the written reminder.
        assert!(chosen(JurisdictionCode::FI, Channel::Sms, true, true).contains(&Channel::Sms));
        let none = chosen(JurisdictionCode::SE, Channel::Letter, false, false);
        assert!(none.iter().all(|c| *c == Channel::Letter));
        // About a fifth of the debtors stay on the handling model's channel.
        let champions = ids.iter().filter(|id| p.champion(id)).count();
        assert!((50..110).contains(&champions), "{champions}");
        assert_eq!(se.len() + champions, ids.len());
    }

    /// With no evidence every option is tried; with evidence the one that is paid most often per
    /// unit of cost wins nearly always — and the same debtor on the same day gets the same choice.
    #[test]
    fn thompson_sampling_explores_then_exploits() {
        let p = policy();
        let costs = Costs::default_for(crate::money::Currency::EUR);
        let day = NaiveDate::from_ymd_opt(2026, 2, 1).unwrap();
        let ids: Vec<String> = (0..2000).map(|i| format!("C{i}")).collect();
        let count = |learned: &Learned| {
            let mut n: BTreeMap<String, usize> = BTreeMap::new();
            for id in &ids {
                if let Some(c) = choose(&p, JurisdictionCode::SE, &costs, learned, &debtor(id), Channel::Letter, day) {
                    *n.entry(c.option.label()).or_default() += 1;
                }
            }
            n
        };
        let blank = count(&Learned::default());
        assert_eq!(blank.len(), 5, "{blank:?}");
        assert!(blank.values().all(|n| *n > 150), "{blank:?}");
        let mut learned = Learned::default();
        for (o, rate) in [("letter", 0.6), ("email@9", 0.5), ("email@18", 0.6), ("sms@9", 0.55), ("sms@18", 0.9)] {
            let o = ContactOption::parse(o).unwrap();
            for i in 0..300 {
                learned.add(
                    "other",
                    (Segment::Normal, DebtorKind::Consumer, ScoreBand::Unknown),
                    o,
                    (i as f64) < rate * 300.0,
                );
            }
        }
        let taught = count(&learned);
        assert!(taught["sms@18"] as f64 > 0.95 * taught.values().sum::<usize>() as f64, "{taught:?}");
        let one = |l: &Learned| choose(&p, JurisdictionCode::SE, &costs, l, &debtor("C7"), Channel::Letter, day);
        assert_eq!(one(&learned), one(&learned));
        // A debtor's own history outweighs the group's: this one pays letters, never texts.
        for _ in 0..40 {
            learned.add(
                "C7",
                (Segment::Normal, DebtorKind::Consumer, ScoreBand::Unknown),
                ContactOption::parse("sms@18").unwrap(),
                false,
            );
            learned.add(
                "C7",
                (Segment::Normal, DebtorKind::Consumer, ScoreBand::Unknown),
                ContactOption::parse("letter").unwrap(),
                true,
            );
        }
        let p7 = choose(&p, JurisdictionCode::SE, &costs, &learned, &debtor("C7"), Channel::Letter, day);
        assert_eq!(p7.map(|c| c.option.label()), Some("letter".into()), "C7 is no champion");
    }

    /// A group that has hardly tried texts learns from the other groups of its kind that evening
    /// texts do better than morning ones, at its own low base rate; without that prior the two
    /// would be drawn from the same Beta(1, 1) and chosen equally often.
    #[test]
    fn a_small_group_borrows_the_options_order_from_its_kind() {
        let p = policy();
        let costs = Costs::default_for(crate::money::Currency::EUR);
        let day = NaiveDate::from_ymd_opt(2026, 2, 1).unwrap();
        let mut learned = Learned::default();
        let big = (Segment::Normal, DebtorKind::Consumer, ScoreBand::High);
        for (o, rate) in [("letter", 0.6), ("email@9", 0.5), ("email@18", 0.6), ("sms@9", 0.45), ("sms@18", 0.9)] {
            for i in 0..300 {
                learned.add("other", big, ContactOption::parse(o).unwrap(), (i as f64) < rate * 300.0);
            }
        }
        let small = (Segment::Risk, DebtorKind::Consumer, ScoreBand::Low);
        for i in 0..20 {
            learned.add("someone", small, ContactOption::parse("letter").unwrap(), i < 2);
        }
        // Group rate (2 + 0.5) / (20 + 1); the kind's rates put the evening text at about 1.5
        // times the average and the morning one at about 0.75.
        let prior = |o: &str| learned.prior(small, ContactOption::parse(o).unwrap()).unwrap();
        assert!(prior("sms@18") > 1.8 * prior("sms@9") && prior("sms@18") < 0.25, "{}", prior("sms@18"));
        let mut n: BTreeMap<String, usize> = BTreeMap::new();
        for i in 0..2000 {
            let id = format!("C{i}");
            let d = Debtor { segment: Segment::Risk, score: Some(30), ..debtor(&id) };
            if let Some(c) = choose(&p, JurisdictionCode::SE, &costs, &learned, &d, Channel::Letter, day) {
                *n.entry(c.option.label()).or_default() += 1;
            }
        }
        assert!(n["sms@18"] > 2 * n["sms@9"], "{n:?}");
        // A debtor's own two unpaid e-mails turn the choice away from e-mail for them alone.
        let mut learned = Learned::default();
        for (o, rate) in [("letter", 0.55), ("email@18", 0.6)] {
            for i in 0..300 {
                learned.add("other", big, ContactOption::parse(o).unwrap(), (i as f64) < rate * 300.0);
            }
        }
        let p = ContactPolicy { channels: vec![Channel::Letter, Channel::Email], hours: vec![18], ..policy() };
        let pick = |l: &Learned, id: &str| {
            let d = Debtor { score: Some(70), ..debtor(id) };
            choose(&p, JurisdictionCode::SE, &costs, l, &d, Channel::Letter, day).map(|c| c.option.label())
        };
        let ids: Vec<String> = (0..400).map(|i| format!("D{i}")).filter(|id| !p.champion(id)).take(50).collect();
        let emails = ids.iter().filter(|id| pick(&learned, id).as_deref() == Some("email@18")).count();
        assert!(emails > 40, "{emails} of 50 chose the group's best");
        for id in &ids {
            for _ in 0..2 {
                learned.add(id, big, ContactOption::parse("email@18").unwrap(), false);
            }
        }
        let letters = ids.iter().filter(|id| pick(&learned, id).as_deref() == Some("letter")).count();
        assert!(letters > 40, "{letters} of 50 switched to a letter");
    }

    /// With wordings besides the standard one the policy draws one per debtor and day, learnt
    /// per group like the options: Risk debtors answered the firm wording, Normal ones the
    /// standard; the label carries it, and the reason says so. Without wordings, none.
    #[test]
    fn the_wording_is_learnt_per_group() {
        let costs = Costs::default_for(crate::money::Currency::EUR);
        let day = NaiveDate::from_ymd_opt(2026, 2, 1).unwrap();
        let plain = policy();
        let c = choose(&plain, JurisdictionCode::SE, &costs, &Learned::default(), &debtor("C7"), Channel::Letter, day);
        assert!(c.as_ref().is_some_and(|c| c.wording.is_none() && !c.label.contains(WORDING)), "{c:?}");
        let mut p = policy();
        let firm =
            BTreeMap::from([("sv".to_string(), BTreeMap::from([("sms-reminder".to_string(), "Betala.".to_string())]))]);
        p.wordings = BTreeMap::from([("firm".to_string(), firm)]);
        assert_eq!(p.wording_names(), ["standard", "firm"]);
        let mut learned = Learned::default();
        let (risk, normal) = (
            (Segment::Risk, DebtorKind::Consumer, ScoreBand::Unknown),
            (Segment::Normal, DebtorKind::Consumer, ScoreBand::Unknown),
        );
        for i in 0..300 {
            learned.add_wording("other", risk, "firm", i < 180);
            learned.add_wording("other", risk, STANDARD, i < 90);
            learned.add_wording("other", normal, "firm", i < 150);
            learned.add_wording("other", normal, STANDARD, i < 240);
        }
        let count = |segment: Segment| {
            let mut n: BTreeMap<String, usize> = BTreeMap::new();
            for i in 0..500 {
                let id = format!("C{i}");
                let d = Debtor { segment, ..debtor(&id) };
                if let Some(c) = choose(&p, JurisdictionCode::SE, &costs, &learned, &d, Channel::Letter, day) {
                    assert_eq!(c.label.ends_with(" wording:firm"), c.wording.as_deref() == Some("firm"), "{}", c.label);
                    assert_eq!(parse_wording(&c.label), c.wording.as_deref());
                    assert!(c.why.contains(&format!("wording {}", c.wording.clone().unwrap())), "{}", c.why);
                    *n.entry(c.wording.unwrap()).or_default() += 1;
                }
            }
            n
        };
        let (r, n) = (count(Segment::Risk), count(Segment::Normal));
        assert!(r["firm"] > 20 * r.get(STANDARD).copied().unwrap_or(0).max(1), "{r:?}");
        assert!(n[STANDARD] > 20 * n.get("firm").copied().unwrap_or(0).max(1), "{n:?}");
        // Names and phrases are checked.
        let mut bad = policy();
        bad.wordings = BTreeMap::from([
            (STANDARD.to_string(), BTreeMap::new()),
            (
                "Firm".to_string(),
                BTreeMap::from([("de".to_string(), BTreeMap::from([("x".to_string(), " ".to_string())]))]),
            ),
        ]);
        let mut errs = vec![];
        bad.check(&mut errs);
        assert_eq!(errs.len(), 5, "{errs:?}");
        assert!(errs[0].contains("'Firm' is not a wording name"), "{errs:?}");
        assert!(errs[1].contains("wordings.Firm in 'de'"), "{errs:?}");
        assert!(errs[2].contains("wordings.Firm.de.x: from 1 to"), "{errs:?}");
        assert!(errs[3].contains("'standard' is not a wording name"), "{errs:?}");
        assert!(errs[4].contains("wordings.standard: no phrases"), "{errs:?}");
    }

    /// The payday of the policy's day of the month, moved back to a banking day: 25 January 2026
    /// is a Sunday (1 January 2026 is a Thursday, and 24 days on is a Sunday), so Friday the
    /// 23rd; 24–25 December 2026 are Christmas Eve and Day in Sweden, so Wednesday the 23rd;
    /// the 31st in February 2026 is the 28th, a Saturday, so Friday the 27th.
    #[test]
    fn payday_is_the_banking_day_on_or_before_the_day_of_the_month() {
        let d = |m: u32, day: u32| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        let se = crate::calendar::Country::SE;
        assert_eq!(next_payday(se, 25, d(1, 20)), Some(d(1, 23)));
        assert_eq!(next_payday(se, 25, d(1, 23)), Some(d(1, 23)));
        assert_eq!(next_payday(se, 25, d(1, 24)), Some(d(2, 25)));
        assert_eq!(next_payday(se, 25, d(12, 1)), Some(d(12, 23)));
        assert_eq!(next_payday(se, 31, d(2, 1)), Some(d(2, 27)));
    }

    /// With a payday the policy may hold a reminder for it when payday is one to `hold_days`
    /// days off, learnt per group like the wordings: Risk debtors paid more often on reminders
    /// held for payday, Normal ones on reminders sent at once. A held reminder waits (and says
    /// why); on payday it goes, labelled with the days it was held; outcomes count from the day
    /// it could have gone.
    #[test]
    fn the_send_day_is_learnt_per_group_and_counted_from_the_step() {
        let se = crate::calendar::Country::SE;
        let d = |m: u32, day: u32| NaiveDate::from_ymd_opt(2026, m, day).unwrap();
        let (risk, normal) = (
            (Segment::Risk, DebtorKind::Consumer, ScoreBand::Unknown),
            (Segment::Normal, DebtorKind::Consumer, ScoreBand::Unknown),
        );
        let mut learned = Learned::default();
        for i in 0..300 {
            learned.add_day("other", risk, Channel::Sms, PAYDAY, i < 180);
            learned.add_day("other", risk, Channel::Sms, NOW, i < 90);
            learned.add_day("other", normal, Channel::Sms, PAYDAY, i < 150);
            learned.add_day("other", normal, Channel::Sms, NOW, i < 240);
            // By letter, which is read days later, a hold lost Risk debtors more than it won.
            learned.add_day("other", risk, Channel::Letter, PAYDAY, i < 30);
            learned.add_day("other", risk, Channel::Letter, NOW, i < 90);
        }
        // Without a payday, or with payday too far off, there is no choice of day.
        assert_eq!(
            send_day(&policy(), se, &learned, &debtor("C1"), Channel::Sms, d(1, 20), d(1, 20)),
            SendDay::Today(None)
        );
        let p = ContactPolicy { payday: Some(25), hold_days: 4, ..policy() };
        assert_eq!(send_day(&p, se, &learned, &debtor("C1"), Channel::Sms, d(1, 18), d(1, 18)), SendDay::Today(None));
        assert_eq!(send_day(&p, se, &learned, &debtor("C1"), Channel::Sms, d(1, 23), d(1, 23)), SendDay::Today(None));
        let count_by = |segment: Segment, channel: Channel, today: NaiveDate| {
            let mut n: BTreeMap<String, usize> = BTreeMap::new();
            for i in 0..500 {
                let id = format!("C{i}");
                let key = match send_day(&p, se, &learned, &Debtor { segment, ..debtor(&id) }, channel, d(1, 20), today)
                {
                    SendDay::Hold(until, why) => {
                        assert_eq!(until, d(1, 23));
                        assert!(
                            why.starts_with("contact policy: held until payday 2026-01-23: send day payday"),
                            "{why}"
                        );
                        "hold".to_string()
                    }
                    SendDay::Today(Some((label, why))) => {
                        let (day, held) = parse_day(&label).unwrap();
                        assert_eq!(held, (today - d(1, 20)).num_days(), "{label}");
                        assert!(why.contains(&format!("send day {day} (payday 2026-01-23")), "{why}");
                        assert!(why.contains(" like reminders by "), "{why}");
                        label
                    }
                    SendDay::Today(None) => panic!("a choice was due"),
                };
                *n.entry(key).or_default() += 1;
            }
            n
        };
        let count = |segment: Segment, today: NaiveDate| count_by(segment, Channel::Sms, today);
        let (r, n) = (count(Segment::Risk, d(1, 20)), count(Segment::Normal, d(1, 20)));
        let by_letter = count_by(Segment::Risk, Channel::Letter, d(1, 20));
        assert!(by_letter["day:now:0"] > 20 * by_letter.get("hold").copied().unwrap_or(0).max(1), "{by_letter:?}");
        assert!(r["hold"] > 20 * r.get("day:now:0").copied().unwrap_or(0).max(1), "{r:?}");
        assert!(n["day:now:0"] > 20 * n.get("hold").copied().unwrap_or(0).max(1), "{n:?}");
        // The same draw on the following days: held ones wait, and go on payday.
        let r2 = count(Segment::Risk, d(1, 22));
        assert_eq!(r2.get("hold"), r.get("hold"), "{r2:?}");
        let r3 = count(Segment::Risk, d(1, 23));
        assert_eq!(r3.get("day:payday:3"), r.get("hold"), "{r3:?}");
        assert_eq!(parse_day("contact:policy:sms@18 day:payday:3"), Some((PAYDAY, 3)));
        assert_eq!(parse_day("contact:policy:sms@18 day:later:3"), None);
        assert_eq!(parse_day("contact:policy:sms@18 day:now:99"), None);
        // A reminder held three days, paid eight days after its step's day: outside a seven-day
        // window, though only five days after it went.
        let held = Sent {
            claim: "I".into(),
            customer: "C".into(),
            segment: Segment::Risk,
            kind: DebtorKind::Consumer,
            band: ScoreBand::Unknown,
            champion: false,
            option: ContactOption::parse("sms@18").unwrap(),
            date: d(1, 23),
            open: 100_000,
            paid_in_window: false,
            wording: None,
            day: Some(PAYDAY.into()),
            held: 3,
            unreached: false,
            collected: 0,
            letters: 1,
            emails: 0,
            texts: 1,
            calls: 0,
        };
        assert_eq!(held.start(), d(1, 20));
        assert!(!held.within(d(1, 28), 7) && held.within(d(1, 27), 7) && !held.within(d(1, 19), 7));
        let r = contact_report(&[held], &Costs::default_for(crate::money::Currency::EUR), 7, 14, d(2, 3));
        assert_eq!(r.days.len(), 1, "matured 14 days after 20 January");
        assert_eq!((r.days[0].option.as_str(), r.days[0].reminders), ("payday by sms", 1));
        assert_eq!(r.days[0].debtors.as_deref(), Some("risk consumer"));
        let mut bad = ContactPolicy { payday: Some(0), hold_days: 15, ..policy() };
        let mut errs = vec![];
        bad.check(&mut errs);
        assert_eq!(errs, ["contact.payday: a day of the month from 1 to 31", "contact.hold_days: from 1 to 14"]);
        bad.payday = Some(31);
        bad.hold_days = 14;
        errs.clear();
        bad.check(&mut errs);
        assert!(errs.is_empty(), "{errs:?}");
    }

    /// Two arms of 100 reminders: the policy's paid 80 of them in the window with one contact,
    /// the champion's 50, with 1.5 contacts on average; paid means collected in full.
    #[test]
    fn the_report_measures_the_uplift_against_the_champion_share() {
        let day = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        let mk = |i: usize, champion: bool, paid: bool, letters: u32| Sent {
            claim: "I".into(),
            customer: format!("{champion}{i}"),
            segment: Segment::Normal,
            kind: DebtorKind::Consumer,
            band: ScoreBand::Unknown,
            champion,
            option: ContactOption::parse(if champion { "letter" } else { "sms@18" }).unwrap(),
            date: day,
            open: 100_000,
            paid_in_window: paid,
            wording: None,
            day: None,
            held: 0,
            unreached: false,
            collected: if paid { 100_000 } else { 0 },
            letters,
            emails: 0,
            texts: u32::from(!champion),
            calls: 0,
        };
        let mut sent: Vec<Sent> = (0..100).map(|i| mk(i, false, i < 80, 1)).collect();
        sent.extend((0..100).map(|i| mk(i, true, i < 50, 1 + u32::from(i % 2 == 0))));
        let costs = Costs::default_for(crate::money::Currency::EUR);
        let r = contact_report(&sent, &costs, 14, 30, day + chrono::Duration::days(30));
        assert_eq!((r.arms[0].reminders, r.arms[1].reminders), (100, 100));
        let up = r.paid_uplift.unwrap();
        assert!((up.value - 0.30).abs() < 1e-9 && up.low > 0.0, "{up:?}");
        let k = r.contacts_change.unwrap();
        assert!((k.value + 0.5).abs() < 1e-9 && k.high < 0.0, "{k:?}");
        assert!(r.verdict.ends_with("more collected with fewer contacts"), "{}", r.verdict);
        // Not yet mature a day earlier.
        let r = contact_report(&sent, &costs, 14, 30, day + chrono::Duration::days(29));
        assert!(r.arms[0].reminders == 0 && r.verdict.starts_with("not enough"), "{}", r.verdict);
    }

    /// Within each group the policy does exactly as well as the champion, but the policy's arm
    /// happens to hold more of the Risk debtors who rarely pay: the raw arms differ, the
    /// comparison of like debtors does not. Risk, 20 % paid: policy 60 (12 paid), champion 10 (2);
    /// Normal, 80 % paid: policy 40 (32), champion 40 (32). Raw: 44/100 − 34/50 = −0.24.
    /// Stratified: weights 70/150 and 80/150, differences 0 and 0, so 0. A VIP group with
    /// reminders in one arm only is left out of the comparison.
    #[test]
    fn the_report_compares_like_debtors() {
        let day = NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
        let mk = |i: usize, segment: Segment, champion: bool, paid: bool| Sent {
            claim: "I".into(),
            customer: format!("{segment}{champion}{i}"),
            segment,
            kind: DebtorKind::Consumer,
            band: ScoreBand::Unknown,
            champion,
            option: ContactOption::parse("letter").unwrap(),
            date: day,
            open: 100_000,
            paid_in_window: paid,
            wording: None,
            day: None,
            held: 0,
            unreached: false,
            collected: if paid { 100_000 } else { 0 },
            letters: 1,
            emails: 0,
            texts: 0,
            calls: 0,
        };
        let mut sent: Vec<Sent> = (0..60).map(|i| mk(i, Segment::Risk, false, i < 12)).collect();
        sent.extend((0..10).map(|i| mk(i, Segment::Risk, true, i < 2)));
        sent.extend((0..40).map(|i| mk(i, Segment::Normal, false, i < 32)));
        sent.extend((0..40).map(|i| mk(i, Segment::Normal, true, i < 32)));
        sent.extend((0..5).map(|i| mk(i, Segment::Vip, false, true)));
        let costs = Costs::default_for(crate::money::Currency::EUR);
        let r = contact_report(&sent, &costs, 14, 30, day + chrono::Duration::days(30));
        assert_eq!((r.arms[0].reminders, r.arms[1].reminders, r.compared), (105, 50, 150));
        let raw = r.arms[0].paid_in_window.unwrap().value - r.arms[1].paid_in_window.unwrap().value;
        assert!((raw - (49.0 / 105.0 - 34.0 / 50.0)).abs() < 1e-9, "{raw}");
        let up = r.paid_uplift.unwrap();
        assert!(up.value.abs() < 1e-9 && up.low < 0.0 && up.high > 0.0, "{up:?}");
        // Its variance: Risk weight 70/150, p(1−p)/(n−1) per arm: 0.16/59 and 0.16/9; Normal
        // weight 80/150: 0.16/39 twice. 1.96 × √(Σ w² (v_p + v_c)).
        let var = (70.0f64 / 150.0).powi(2) * (0.16 / 59.0 + 0.16 / 9.0) + (80.0f64 / 150.0).powi(2) * (0.32 / 39.0);
        assert!((up.high - 1.959_964 * var.sqrt()).abs() < 1e-6, "{up:?} {var}");
        let collected = r.collected_uplift.unwrap();
        assert!(collected.value.abs() < 1e-9, "{collected:?}");
        // Debtors, not reminders, are what the champion share draws: 50 paid and 50 unpaid
        // reminders from 100 debtors have the variance 0.25 / 99 of the mean; the same from ten
        // debtors sending ten alike each (five paid all, five none) have deviations summed per
        // debtor of ±5, so (10 × 25) / 100² × 10 / 9 = 0.02778, eleven times as much.
        let alike: Vec<Sent> = (0..100)
            .map(|i| Sent { customer: format!("D{}", i / 10), ..mk(i, Segment::Normal, false, i < 50) })
            .collect();
        let refs: Vec<&Sent> = alike.iter().collect();
        let paid = |s: &Sent| f64::from(u8::from(s.paid_in_window));
        let (m, var) = clustered_mean(&refs, &paid).unwrap();
        assert!((m - 0.5).abs() < 1e-12 && (var - 250.0 / 10_000.0 * 10.0 / 9.0).abs() < 1e-12, "{var}");
        let alone: Vec<Sent> = (0..100).map(|i| mk(i, Segment::Normal, false, i < 50)).collect();
        let (_, var) = clustered_mean(&alone.iter().collect::<Vec<_>>(), &paid).unwrap();
        assert!((var - 0.25 / 99.0).abs() < 1e-12, "{var}");
    }
}
