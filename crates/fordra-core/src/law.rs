//! Law as data: statutory late-interest rates, fee caps and waiting periods per jurisdiction,
//! with effective dates and a source for every value. The default book is embedded; an operator
//! can load a corrected one from a file without a rebuild.

use crate::calendar::Country;
use crate::domain::{Collector, Component, DebtorKind, FeeKind, JurisdictionCode, StepKind};
use crate::money::{format_minor, parse_minor, Currency};
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The law tables built into the binary (`fordra law export` prints them).
pub const EMBEDDED_LAW: &str = include_str!("../law/nordic.toml");

/// Why the law tables cannot answer.
#[derive(Debug, thiserror::Error)]
pub enum LawError {
    /// A law file is malformed or fails its checks.
    #[error("law tables {origin}: {message}")]
    Invalid {
        /// The file ("embedded" or its path).
        origin: String,
        /// What is wrong.
        message: String,
    },
    /// No interest rate covers the date.
    #[error("no late-interest rate for {jurisdiction} on {date} in the law tables")]
    NoRate {
        /// The jurisdiction.
        jurisdiction: &'static str,
        /// The date asked for.
        date: NaiveDate,
    },
    /// The tables hold no such jurisdiction.
    #[error("no law tables for jurisdiction {0}")]
    NoJurisdiction(&'static str),
    /// The rate of a half-year is not known yet.
    #[error("{jurisdiction}: the late-interest rate from {from} is not in the law tables yet ({why}); set it with --law FILE")]
    RatePending {
        /// The jurisdiction.
        jurisdiction: &'static str,
        /// The half-year's first day.
        from: NaiveDate,
        /// Why it is not known.
        why: String,
    },
}

fn amount_ser<S: Serializer>(m: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&format_minor(*m))
}
fn opt_amount_ser<S: Serializer>(m: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match m {
        Some(m) => s.serialize_str(&format_minor(*m)),
        None => s.serialize_none(),
    }
}
fn jcode_ser<S: Serializer>(c: &JurisdictionCode, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(c.upper())
}

fn amount<'de, D: Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    let s = String::deserialize(d)?;
    parse_minor(&s).map_err(serde::de::Error::custom)
}
fn opt_amount<'de, D: Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    Option::<String>::deserialize(d)?.map(|s| parse_minor(&s).map_err(serde::de::Error::custom)).transpose()
}

/// The law tables: rates, fees, waiting periods, with effective dates and sources.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LawBook {
    /// The tables' version.
    pub version: String,
    /// One per jurisdiction.
    #[serde(rename = "jurisdiction")]
    pub jurisdictions: Vec<Jurisdiction>,
}

/// One jurisdiction's rules.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Jurisdiction {
    /// Its code.
    #[serde(deserialize_with = "jcode", serialize_with = "jcode_ser")]
    pub code: JurisdictionCode,
    /// Its name.
    pub name: String,
    /// Its currency.
    pub currency: Currency,
    /// Whose banking days count.
    pub country: Country,
    /// The order payments pay components in.
    pub allocation_order: Vec<Component>,
    /// The order's source.
    pub allocation_source: String,
    /// The order is confirmed from the source (not inferred).
    pub allocation_confirmed: bool,
    /// A contractual rate above the statutory one is allowed for consumers.
    pub contract_rate_above_statutory_for_consumers: bool,
    /// That rule's source.
    pub contract_rate_source: String,
    /// Statutory late-interest rates by effective date.
    #[serde(default)]
    pub interest: Vec<InterestRow>,
    /// Fee rules.
    #[serde(default, rename = "fee")]
    pub fees: Vec<FeeRule>,
    /// Fixed B2B compensation, by effective date (the Norwegian amount changes every half-year).
    #[serde(default, deserialize_with = "one_or_many")]
    pub compensation: Vec<Compensation>,
    /// Payment periods and waiting periods per step kind.
    #[serde(default, rename = "step_rule")]
    pub step_rules: Vec<StepRule>,
    /// The tables apply to business debtors only (the EU late-payment directive).
    #[serde(default)]
    pub business_only: bool,
    /// How a day's interest is counted (default actual/365).
    #[serde(default)]
    pub day_count: DayCount,
    /// The day count's source.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub day_count_source: String,
    /// A due date on a weekend or holiday moves to the next banking day before interest starts.
    #[serde(default)]
    pub due_date_rolls_forward: bool,
    /// The due-date rule's source.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub due_date_source: String,
    /// Without a due date agreed in advance, interest starts this many days after a demand that
    /// says interest will be charged.
    #[serde(default)]
    pub interest_start_days_after_demand: i64,
    /// The interest-start rule's source.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub interest_start_source: String,
    /// Caps on all collection costs of one claim together, by principal.
    #[serde(default, rename = "cost_cap")]
    pub cost_caps: Vec<CostCap>,
    /// Limits on the number of fee-bearing letters per claim.
    #[serde(default, rename = "letter_limit")]
    pub letter_limits: Vec<LetterLimit>,
    /// Changes proposed but not enacted (shown by `law show`, never applied).
    #[serde(default)]
    pub pending: Vec<Pending>,
}

/// How a day's interest is counted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
pub enum DayCount {
    /// Each day is 1/365 of the yearly rate.
    #[default]
    #[serde(rename = "actual/365")]
    Actual365,
    /// Each day is 1/366 of the yearly rate in a leap year, 1/365 otherwise.
    #[serde(rename = "actual/actual")]
    ActualActual,
}

fn one_or_many<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Compensation>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(Compensation),
        Many(Vec<Compensation>),
    }
    Ok(match OneOrMany::deserialize(d)? {
        OneOrMany::One(c) => vec![c],
        OneOrMany::Many(v) => v,
    })
}

/// All collection costs of a claim together may not exceed the tier's cap (FI perintälaki 10 d §).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CostCap {
    /// Whose claims (none: all).
    pub debtor: Option<DebtorKind>,
    /// In force from.
    pub from: NaiveDate,
    /// Caps by principal.
    pub tiers: Vec<Tier>,
    /// Its source.
    pub source: String,
    /// Confirmed from the source.
    pub confirmed: bool,
}

/// At most `max` letters of `kinds` may carry a fee on one claim (FI perintälaki 10 c §).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LetterLimit {
    /// Whose claims (none: all).
    pub debtor: Option<DebtorKind>,
    /// In force from.
    pub from: NaiveDate,
    /// The fee kinds counted.
    pub kinds: Vec<FeeKind>,
    /// At most this many letters with a fee.
    pub max: u32,
    /// Its source.
    pub source: String,
    /// Confirmed from the source.
    pub confirmed: bool,
}

/// A change to the law that is proposed, not in force.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Pending {
    /// The change proposed.
    pub what: String,
    /// Where it is proposed.
    pub source: String,
}

fn jcode<'de, D: Deserializer<'de>>(d: D) -> Result<JurisdictionCode, D::Error> {
    String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
}

/// The statutory rate from `from`: reference rate + margin (business margin where it differs).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct InterestRow {
    /// In force from.
    pub from: NaiveDate,
    /// The reference rate, percent per year.
    pub reference: Decimal,
    /// The margin added for consumers (and businesses, unless `business_margin`).
    pub margin: Decimal,
    /// The margin for business claims, where it differs.
    pub business_margin: Option<Decimal>,
    /// Its source.
    pub source: String,
    /// Confirmed from the source.
    pub confirmed: bool,
    /// The rate of this half-year is not known yet (e.g. it follows a policy rate not yet in
    /// the sources): interest stops at the day before, with this reason, until it is set.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<String>,
}

impl InterestRow {
    /// The rate for a kind of debtor, percent per year.
    pub fn rate(&self, debtor: DebtorKind) -> Decimal {
        let margin = match debtor {
            DebtorKind::Business => self.business_margin.unwrap_or(self.margin),
            DebtorKind::Consumer => self.margin,
        };
        self.reference + margin
    }
}

/// A cap for claims up to a principal.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Tier {
    #[serde(
        default,
        deserialize_with = "opt_amount",
        serialize_with = "opt_amount_ser",
        skip_serializing_if = "Option::is_none"
    )]
    /// Claims with principal up to this (none: any larger claim).
    pub up_to: Option<i64>,
    /// The cap in minor units.
    #[serde(deserialize_with = "amount", serialize_with = "amount_ser")]
    pub max: i64,
}

/// What the law allows for one fee kind.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FeeRule {
    /// The fee kind.
    pub kind: FeeKind,
    /// None: applies to consumers and businesses alike.
    pub debtor: Option<DebtorKind>,
    /// In force from.
    pub from: NaiveDate,
    #[serde(
        default,
        deserialize_with = "opt_amount",
        serialize_with = "opt_amount_ser",
        skip_serializing_if = "Option::is_none"
    )]
    /// A fixed cap in minor units.
    pub max: Option<i64>,
    /// Caps by principal, where there is no fixed cap.
    #[serde(default)]
    pub tiers: Vec<Tier>,
    /// Only if agreed with the debtor when the debt arose.
    #[serde(default)]
    pub requires_agreement: bool,
    /// At most this many per claim.
    pub max_count: Option<u32>,
    /// Not before this many days after due.
    pub min_days_after_due: Option<i64>,
    /// Later fees of the same kind on the same claim are capped at this share (e.g. 0.5).
    pub repeat_factor: Option<Decimal>,
    /// Who may charge it; none: the creditor and an agency alike.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collector: Option<Collector>,
    /// Only on a written letter (letter, e-mail), never on an SMS.
    #[serde(default)]
    pub written_only: bool,
    /// Days since the previous dunning letter of the claim (and, with
    /// `after_previous_deadline`, only once that letter's deadline has passed).
    pub min_days_since_previous: Option<i64>,
    /// Only once the previous letter's deadline has passed.
    #[serde(default)]
    pub after_previous_deadline: bool,
    /// A payment-plan fee by number of instalments: this rule covers plans with this many.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_instalments: Option<u32>,
    /// A payment-plan fee: plans with at most this many instalments.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_instalments: Option<u32>,
    /// Its source.
    pub source: String,
    /// Confirmed from the source.
    pub confirmed: bool,
}

impl FeeRule {
    /// The cap for a claim with this principal (minor units).
    pub fn cap(&self, principal: i64) -> i64 {
        if let Some(max) = self.max {
            return max;
        }
        self.tiers.iter().find(|t| t.up_to.is_none_or(|u| principal <= u)).map(|t| t.max).unwrap_or(0)
    }
}

/// Fixed B2B compensation (SE förseningsersättning, EU €40).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Compensation {
    /// In force from.
    pub from: NaiveDate,
    /// The amount in minor units.
    #[serde(deserialize_with = "amount", serialize_with = "amount_ser")]
    pub amount: i64,
    /// Fees are counted against the compensation: only what exceeds it is charged on top.
    pub replaces_fees: bool,
    /// Its source.
    pub source: String,
    /// Confirmed from the source.
    pub confirmed: bool,
}

/// Minimum payment period and waiting periods of a step kind.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StepRule {
    /// The step kind.
    pub step: StepKind,
    /// Whose claims (none: all).
    pub debtor: Option<DebtorKind>,
    /// The shortest payment period.
    #[serde(default)]
    pub min_payment_days: i64,
    /// Days since the previous letter.
    #[serde(default)]
    pub min_days_since_previous: i64,
    /// Days after due.
    #[serde(default)]
    pub min_days_after_due: i64,
    /// The payment period must also end at least this many banking days after the presumed day
    /// of receipt, which is `presumed_receipt_banking_days` after sending (SE: 4 banking days).
    #[serde(default)]
    pub min_banking_days_after_receipt: i64,
    /// Banking days after sending a letter is presumed received.
    #[serde(default)]
    pub presumed_receipt_banking_days: i64,
    /// A step of this kind is lawful only after one of `requires_before` (NO: inkassovarsel).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub requires_before: Option<StepKind>,
    /// Its source.
    pub source: String,
    /// Confirmed from the source.
    pub confirmed: bool,
}

/// What the law requires of one step for one kind of debtor (merged over matching rules).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StepLimits {
    /// The shortest payment period.
    pub min_payment_days: i64,
    /// Days since the previous letter.
    pub min_days_since_previous: i64,
    /// Days after due.
    pub min_days_after_due: i64,
    /// Banking days after the presumed receipt the period must reach.
    pub min_banking_days_after_receipt: i64,
    /// Banking days after sending a letter is presumed received.
    pub presumed_receipt_banking_days: i64,
    /// A step that must come before it.
    pub requires_before: Option<StepKind>,
    /// The rules' sources.
    pub sources: Vec<String>,
}

impl LawBook {
    /// The tables built into the binary.
    #[allow(clippy::expect_used, reason = "the embedded tables are compiled in and parsed by a test (law::tests)")]
    pub fn embedded() -> LawBook {
        LawBook::parse(EMBEDDED_LAW, "embedded").expect("embedded law tables are valid (tested)")
    }

    /// Reads and checks a law file (TOML); `origin` names it in errors.
    #[allow(clippy::indexing_slicing, reason = "windows(2) yields pairs")]
    pub fn parse(text: &str, origin: &str) -> Result<LawBook, LawError> {
        let invalid = |message: String| LawError::Invalid { origin: origin.to_string(), message };
        // One line: a TOML error's quoted snippet is folded in.
        let mut book: LawBook = toml::from_str(text)
            .map_err(|e| invalid(e.to_string().split_whitespace().collect::<Vec<_>>().join(" ")))?;
        for j in &mut book.jurisdictions {
            j.interest.sort_by_key(|r| r.from);
            if j.interest.windows(2).any(|w| w[0].from == w[1].from) {
                return Err(invalid(format!("{}: two interest rows with the same date", j.code.upper())));
            }
            for f in &j.fees {
                if f.max.is_none() && f.tiers.is_empty() {
                    return Err(invalid(format!(
                        "{}: fee {} from {} has neither max nor tiers",
                        j.code.upper(),
                        f.kind,
                        f.from
                    )));
                }
                if f.tiers.iter().rev().skip(1).any(|t| t.up_to.is_none()) {
                    return Err(invalid(format!(
                        "{}: fee {} from {}: only the last tier may be open-ended",
                        j.code.upper(),
                        f.kind,
                        f.from
                    )));
                }
            }
            let all_sources = j
                .interest
                .iter()
                .map(|r| &r.source)
                .chain(j.fees.iter().map(|f| &f.source))
                .chain(j.step_rules.iter().map(|s| &s.source));
            if all_sources.into_iter().any(|s| s.trim().is_empty()) {
                return Err(invalid(format!("{}: every value needs a source", j.code.upper())));
            }
            let mut order = j.allocation_order.clone();
            order.sort();
            if order != [Component::Fees, Component::Interest, Component::Principal] {
                return Err(invalid(format!(
                    "{}: allocation_order must name fees, interest and principal once each",
                    j.code.upper()
                )));
            }
            if let Some(e) = j.bounds().into_iter().next() {
                return Err(invalid(format!("{}: {e}", j.code.upper())));
            }
        }
        Ok(book)
    }

    /// One jurisdiction's rules.
    pub fn jurisdiction(&self, code: JurisdictionCode) -> Result<&Jurisdiction, LawError> {
        self.jurisdictions.iter().find(|j| j.code == code).ok_or(LawError::NoJurisdiction(code.upper()))
    }
}

/// The largest fee cap a law table may hold: 100 000.00 (the heaviest Norwegian collection fee,
/// ×1.5 for businesses, is 15 120 NOK).
pub const MAX_FEE_CAP: i64 = 100_000_00;
/// The largest fixed compensation: 10 000.00.
pub const MAX_COMPENSATION: i64 = 10_000_00;

impl Jurisdiction {
    /// Every rate, amount, count and period within bounds no statute comes near, so a typo (an
    /// extra zero, a wrong sign) is refused instead of charged.
    #[allow(clippy::indexing_slicing, reason = "windows(2) yields pairs")]
    pub fn bounds(&self) -> Vec<String> {
        use crate::limits::{amount, days, MAX_DATE};
        // Statutes reach back further than any claim: from 1900.
        let date = |field: &str, d: NaiveDate| -> Option<String> {
            let min = NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN);
            (d < min || d > MAX_DATE).then(|| format!("{field}: {d} is outside {min}..{MAX_DATE}"))
        };
        let pct = |field: String, v: Decimal, lo: i64, hi: i64| -> Option<String> {
            (v < Decimal::from(lo) || v > Decimal::from(hi))
                .then(|| format!("{field}: {v} is outside {lo}..{hi} percent"))
        };
        let mut errs = Vec::new();
        for r in &self.interest {
            let at = format!("interest from {}", r.from);
            errs.extend(date(&at, r.from));
            errs.extend(pct(format!("{at}: reference"), r.reference, -10, 50));
            errs.extend(pct(format!("{at}: margin"), r.margin, 0, 25));
            errs.extend(r.business_margin.and_then(|m| pct(format!("{at}: business_margin"), m, 0, 25)));
            errs.extend(pct(
                format!("{at}: rate"),
                r.rate(DebtorKind::Business).max(r.rate(DebtorKind::Consumer)),
                0,
                50,
            ));
        }
        for f in &self.fees {
            let at = format!("fee {} from {}", f.kind, f.from);
            errs.extend(date(&at, f.from));
            for cap in f.max.iter().chain(f.tiers.iter().map(|t| &t.max)) {
                errs.extend(
                    amount(&format!("{at}: cap"), *cap, 0)
                        .and_then(|c| days(&format!("{at}: cap (minor units)"), c, 0, MAX_FEE_CAP))
                        .err()
                        .map(|e| e.to_string()),
                );
            }
            let ups: Vec<i64> = f.tiers.iter().filter_map(|t| t.up_to).collect();
            if ups.windows(2).any(|w| w[0] >= w[1]) || ups.iter().any(|u| *u <= 0) {
                errs.push(format!("{at}: tiers must rise (up_to)"));
            }
            errs.extend(
                f.max_count
                    .and_then(|n| days(&format!("{at}: max_count"), i64::from(n), 0, 100).err())
                    .map(|e| e.to_string()),
            );
            errs.extend(
                f.min_days_after_due
                    .and_then(|n| days(&format!("{at}: min_days_after_due"), n, 0, 365).err())
                    .map(|e| e.to_string()),
            );
            errs.extend(
                f.min_days_since_previous
                    .and_then(|n| days(&format!("{at}: min_days_since_previous"), n, 0, 365).err())
                    .map(|e| e.to_string()),
            );
            for (name, n) in [("min_instalments", f.min_instalments), ("max_instalments", f.max_instalments)] {
                errs.extend(
                    n.and_then(|n| days(&format!("{at}: {name}"), i64::from(n), 1, 1000).err()).map(|e| e.to_string()),
                );
            }
            if f.repeat_factor.is_some_and(|r| r <= Decimal::ZERO || r > Decimal::ONE) {
                errs.push(format!("{at}: repeat_factor must be in (0, 1]"));
            }
        }
        for c in &self.compensation {
            errs.extend(
                amount("compensation", c.amount, 0)
                    .and_then(|a| days("compensation (minor units)", a, 0, MAX_COMPENSATION))
                    .err()
                    .map(|e| e.to_string()),
            );
            errs.extend(date("compensation from", c.from));
        }
        for c in &self.cost_caps {
            for t in &c.tiers {
                errs.extend(
                    amount(&format!("cost cap from {}", c.from), t.max, 0)
                        .and_then(|a| days("cost cap (minor units)", a, 0, MAX_FEE_CAP))
                        .err()
                        .map(|e| e.to_string()),
                );
            }
        }
        for l in &self.letter_limits {
            errs.extend(
                days(&format!("letter limit from {}: max", l.from), i64::from(l.max), 0, 100)
                    .err()
                    .map(|e| e.to_string()),
            );
        }
        errs.extend(
            days("interest_start_days_after_demand", self.interest_start_days_after_demand, 0, 365)
                .err()
                .map(|e| e.to_string()),
        );
        for r in &self.step_rules {
            let at = format!("step rule {}", r.step);
            for (name, v) in [
                ("min_payment_days", r.min_payment_days),
                ("min_days_since_previous", r.min_days_since_previous),
                ("min_days_after_due", r.min_days_after_due),
                ("min_banking_days_after_receipt", r.min_banking_days_after_receipt),
                ("presumed_receipt_banking_days", r.presumed_receipt_banking_days),
            ] {
                errs.extend(days(&format!("{at}: {name}"), v, 0, 365).err().map(|e| e.to_string()));
            }
        }
        errs
    }

    /// The statutory interest row in force on `date`.
    pub fn interest_row(&self, date: NaiveDate) -> Result<&InterestRow, LawError> {
        let i = self.interest.partition_point(|r| r.from <= date);
        i.checked_sub(1)
            .and_then(|i| self.interest.get(i))
            .ok_or(LawError::NoRate { jurisdiction: self.code.upper(), date })
    }

    /// The first date after `date` on which the statutory rate row changes.
    pub fn next_rate_change(&self, date: NaiveDate) -> Option<NaiveDate> {
        let i = self.interest.partition_point(|r| r.from <= date);
        self.interest.get(i).map(|r| r.from)
    }

    /// The fee rule in force on `date` for this fee kind, debtor and sender (the newest
    /// matching row). Payment-plan rules by number of instalments: see `plan_fee_rule`.
    pub fn fee_rule(
        &self,
        kind: FeeKind,
        debtor: DebtorKind,
        collector: Collector,
        date: NaiveDate,
    ) -> Option<&FeeRule> {
        self.plan_fee_rule(kind, debtor, collector, date, None)
    }

    /// As `fee_rule`, for a payment plan of `instalments` (None: any rule).
    pub fn plan_fee_rule(
        &self,
        kind: FeeKind,
        debtor: DebtorKind,
        collector: Collector,
        date: NaiveDate,
        instalments: Option<u32>,
    ) -> Option<&FeeRule> {
        let fits = |f: &FeeRule| match instalments {
            None => true,
            Some(n) => f.min_instalments.is_none_or(|m| n >= m) && f.max_instalments.is_none_or(|m| n <= m),
        };
        self.fees
            .iter()
            .filter(|f| {
                f.kind == kind
                    && f.debtor.is_none_or(|d| d == debtor)
                    && f.collector.is_none_or(|c| c == collector)
                    && f.from <= date
                    && fits(f)
            })
            .max_by_key(|f| (f.from, f.min_instalments))
    }

    /// The B2B compensation in force on `date`.
    pub fn compensation(&self, date: NaiveDate) -> Option<&Compensation> {
        self.compensation.iter().filter(|c| c.from <= date).max_by_key(|c| c.from)
    }

    /// The cap on all collection costs of a claim with this principal, if the law has one.
    pub fn cost_cap(&self, debtor: DebtorKind, date: NaiveDate, principal: i64) -> Option<(i64, &str)> {
        let c = self
            .cost_caps
            .iter()
            .filter(|c| c.debtor.is_none_or(|d| d == debtor) && c.from <= date)
            .max_by_key(|c| c.from)?;
        let tier = c.tiers.iter().find(|t| t.up_to.is_none_or(|u| principal <= u))?;
        Some((tier.max, c.source.as_str()))
    }

    /// The limit on fee-bearing letters of `kind` in force on `date`.
    pub fn letter_limit(&self, kind: FeeKind, debtor: DebtorKind, date: NaiveDate) -> Option<&LetterLimit> {
        self.letter_limits
            .iter()
            .filter(|l| l.kinds.contains(&kind) && l.debtor.is_none_or(|d| d == debtor) && l.from <= date)
            .max_by_key(|l| l.from)
    }

    /// The date interest counts from (before any move to a banking day): the due date if it
    /// was agreed in advance; otherwise `interest_start_days_after_demand` after the demand that
    /// said interest would be charged (SE räntelagen 4 §, FI korkolaki 7 §, NO § 2), and never
    /// before the due date.
    pub fn interest_after(&self, due: NaiveDate, demand: Option<NaiveDate>) -> NaiveDate {
        match demand {
            None => due,
            Some(d) => due.max(d + chrono::Duration::days(self.interest_start_days_after_demand)),
        }
    }

    /// The day after which late interest runs for a claim due on `due`: a due date on a
    /// non-banking day moves to the next banking day where the law says so.
    pub fn interest_due(&self, due: NaiveDate) -> NaiveDate {
        if self.due_date_rolls_forward {
            crate::calendar::next_banking_day_on_or_after(self.country, due)
        } else {
            due
        }
    }

    /// What the law requires of a step for a kind of debtor (all matching rules merged).
    pub fn step_limits(&self, step: StepKind, debtor: DebtorKind) -> StepLimits {
        let mut l = StepLimits::default();
        for r in self.step_rules.iter().filter(|r| r.step == step && r.debtor.is_none_or(|d| d == debtor)) {
            l.min_payment_days = l.min_payment_days.max(r.min_payment_days);
            l.min_days_since_previous = l.min_days_since_previous.max(r.min_days_since_previous);
            l.min_days_after_due = l.min_days_after_due.max(r.min_days_after_due);
            l.min_banking_days_after_receipt = l.min_banking_days_after_receipt.max(r.min_banking_days_after_receipt);
            l.presumed_receipt_banking_days = l.presumed_receipt_banking_days.max(r.presumed_receipt_banking_days);
            l.requires_before = l.requires_before.or(r.requires_before);
            l.sources.push(r.source.clone());
        }
        l
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Collector;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn embedded_book_parses_with_sources() {
        let book = LawBook::embedded();
        assert_eq!(book.jurisdictions.len(), 5);
        let se = book.jurisdiction(JurisdictionCode::SE).unwrap();
        assert_eq!(se.interest_row(d("2024-03-15")).unwrap().rate(DebtorKind::Consumer).to_string(), "12.00");
        assert!(se.interest_row(d("2018-12-31")).is_err());
        assert_eq!(se.next_rate_change(d("2024-03-15")), Some(d("2024-07-01")));
    }

    #[test]
    fn swedish_fee_amounts_changed_in_2013() {
        let se = LawBook::embedded().jurisdictions.into_iter().find(|j| j.code == JurisdictionCode::SE).unwrap();
        let r = se.fee_rule(FeeKind::Reminder, DebtorKind::Consumer, Collector::Agency, d("2013-03-15")).unwrap();
        assert_eq!(r.cap(0), 5000);
        let r = se.fee_rule(FeeKind::Reminder, DebtorKind::Consumer, Collector::Agency, d("2013-03-16")).unwrap();
        assert_eq!(r.cap(0), 6000);
        assert!(r.requires_agreement);
        assert_eq!(
            se.fee_rule(FeeKind::Collection, DebtorKind::Consumer, Collector::Agency, d("2024-01-01")).unwrap().cap(0),
            18000
        );
        assert_eq!(se.compensation(d("2024-01-01")).unwrap().amount, 45000);
    }

    #[test]
    fn finnish_consumer_demand_tiers() {
        let book = LawBook::embedded();
        let fi = book.jurisdiction(JurisdictionCode::FI).unwrap();
        let r = fi.fee_rule(FeeKind::Collection, DebtorKind::Consumer, Collector::Agency, d("2024-01-01")).unwrap();
        assert_eq!(r.cap(100_00), 14_00);
        assert_eq!(r.cap(100_01), 24_00);
        assert_eq!(r.cap(1000_00), 24_00);
        assert_eq!(r.cap(1000_01), 50_00);
        let b = fi.fee_rule(FeeKind::Collection, DebtorKind::Business, Collector::Agency, d("2024-01-01")).unwrap();
        assert_eq!(b.cap(2_500_00), 70_00);
        assert_eq!(b.cap(20_000_00), 110_00);
        // KKV/378/2022: strictly more than 14 days after the reminder.
        assert_eq!(fi.step_limits(StepKind::Collection, DebtorKind::Consumer).min_days_since_previous, 15);
        assert_eq!(fi.interest_row(d("2024-02-01")).unwrap().rate(DebtorKind::Business).to_string(), "12.5");
    }

    #[test]
    fn exported_book_parses_back_identically() {
        let book = LawBook::embedded();
        let text = toml::to_string_pretty(&book).unwrap();
        let again = LawBook::parse(&text, "export").unwrap();
        assert_eq!(toml::to_string_pretty(&again).unwrap(), text);
    }

    /// Issue #8 case 11: a 10^17 fee cap, a 1 000 000 % rate, a negative compensation and a
    /// misspelt key were accepted and charged; each is refused naming what is wrong.
    #[test]
    fn out_of_bounds_values_and_unknown_keys_are_refused() {
        let cases = [
            (
                EMBEDDED_LAW.replacen("max = \"60.00\"", "max = \"1000000000000000.00\"", 1),
                "SE: fee reminder from 2013-03-16: cap",
            ),
            (
                EMBEDDED_LAW.replacen("reference = \"4.00\"", "reference = \"1000000\"", 1),
                "SE: interest from 2024-01-01: reference: 1000000 is outside -10..50 percent",
            ),
            (
                EMBEDDED_LAW.replacen("amount = \"450.00\"", "amount = \"-450.00\"", 1),
                "SE: compensation: -450.00 is below the minimum 0.00",
            ),
            (
                EMBEDDED_LAW.replacen("requires_agreement = true", "requires_agrement = true", 1),
                "unknown field `requires_agrement`",
            ),
        ];
        for (text, want) in cases {
            let e = LawBook::parse(&text, "law.toml").unwrap_err().to_string();
            assert!(e.contains(want), "{e}");
            assert!(e.starts_with("law tables law.toml: "), "{e}");
        }
    }

    #[test]
    fn bad_books_are_refused_with_reason() {
        let e = LawBook::parse("version = 1", "x.toml").unwrap_err().to_string();
        assert!(e.contains("x.toml"), "{e}");
        let text = EMBEDDED_LAW.replacen(
            "source = \"räntelagen (1975:635) 6 §, 9 §; riksbank.se referensränta series 2019 H1 (policy rate -0.50 on 2018-12-31)\"",
            "source = \"\"",
            1,
        );
        let e = LawBook::parse(&text, "y.toml").unwrap_err().to_string();
        assert!(e.contains("needs a source"), "{e}");
    }

    /// NO standard compensation (forsinkelsesrenteloven § 3 a; regjeringen.no): 460 NOK in
    /// 2026 H1, 470 in 2024 H1 and 2025 H1, 370 from 2016 H2; DK 310 DKK (renteloven § 9 a).
    #[test]
    fn compensation_by_half_year() {
        let book = LawBook::embedded();
        let no = book.jurisdiction(JurisdictionCode::NO).unwrap();
        assert_eq!(no.compensation(d("2026-03-01")).unwrap().amount, 46_000);
        assert_eq!(no.compensation(d("2025-03-01")).unwrap().amount, 47_000);
        assert_eq!(no.compensation(d("2024-03-01")).unwrap().amount, 47_000);
        assert_eq!(no.compensation(d("2017-03-01")).unwrap().amount, 37_000);
        assert!(no.compensation(d("2016-06-30")).is_none());
        let dk = book.jurisdiction(JurisdictionCode::DK).unwrap();
        assert_eq!(dk.compensation(d("2025-03-01")).unwrap().amount, 31_000);
        // The inkassogebyr of renteloven § 9 b stk. 3 (100 DKK) only when a collector is asked.
        assert_eq!(
            dk.fee_rule(FeeKind::Collection, DebtorKind::Consumer, Collector::Agency, d("2025-03-01")).unwrap().cap(0),
            10_000
        );
        assert!(dk.fee_rule(FeeKind::Collection, DebtorKind::Consumer, Collector::Own, d("2025-03-01")).is_none());
    }
}
