//! Domain vocabulary shared by every part of the core.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A value from outside that cannot be read, with the reason in words (the words expected, the
/// limit an amount breaks). Typed so adapters can tell it from other failures; its text is what
/// the user sees.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

impl From<String> for ParseError {
    fn from(s: String) -> Self {
        ParseError(s)
    }
}

impl From<&str> for ParseError {
    fn from(s: &str) -> Self {
        ParseError(s.to_string())
    }
}

/// FNV-1a over bytes: a short hash that is the same on every run, machine and version (std's
/// hasher may change). Not for security: experiment draws and duplicate checks of bank files.
/// Hand-written because a hash crate would be a dependency for a non-security purpose.
pub fn fnv1a(bytes: impl IntoIterator<Item = u8>) -> u64 {
    bytes.into_iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

macro_rules! str_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $s:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[allow(missing_docs, reason = "each variant is the word it is written as; the enum says what they are")]
        pub enum $name { $($variant),+ }
        // As its word, in JSON, TOML and the database alike.
        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = std::borrow::Cow::<'de, str>::deserialize(d)?;
                s.parse().map_err(serde::de::Error::custom)
            }
        }
        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            /// The word it is stored and written as.
            pub fn as_str(self) -> &'static str { match self { $($name::$variant => $s),+ } }
        }
        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool { self.as_str() == *other }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.as_str()) }
        }
        impl FromStr for $name {
            type Err = ParseError;
            fn from_str(s: &str) -> Result<Self, ParseError> {
                let t = s.trim().to_ascii_lowercase();
                $(if t == $s { return Ok($name::$variant); })+
                Err(ParseError(format!("'{}' is not one of: {}", s, [$($s),+].join(", "))))
            }
        }
    };
}

str_enum!(
    /// Who owes: consumer law and business law differ in fees and interest.
    DebtorKind { Consumer = "consumer", Business = "business" }
);

str_enum!(
    /// The three customer categories of differentiated dunning.
    Segment { Risk = "risk", Normal = "normal", Vip = "vip" }
);

str_enum!(
    /// One step of a handling model. `collection_notice` is a formal notice of its own (NO
    /// inkassovarsel, inkassoloven § 9: its own content, at least 14 days to pay); a collection
    /// demand is lawful there only after one.
    StepKind {
        PreDue = "pre_due",
        Reminder = "reminder",
        CollectionNotice = "collection_notice",
        PhoneCall = "phone_call",
        LateCompensation = "late_compensation",
        Collection = "collection",
        Legal = "legal",
    }
);

str_enum!(
    /// How a step reaches the debtor.
    Channel { Letter = "letter", Email = "email", Sms = "sms", Phone = "phone", Edi = "edi" }
);

str_enum!(
    /// Statutory fee kinds in the law tables.
    FeeKind { Reminder = "reminder", Collection = "collection", PaymentPlan = "payment_plan", LateCompensation = "late_compensation" }
);

str_enum!(
    /// Jurisdictions with law tables.
    JurisdictionCode { SE = "se", FI = "fi", NO = "no", DK = "dk", EU = "eu" }
);

str_enum!(
    /// Who sends the dunning steps: the creditor itself, or a licensed collection agency on its
    /// behalf. The Finnish and Norwegian fee scales for demand letters are the agencies'; a
    /// creditor collecting its own claims may charge much less.
    Collector { Own = "own", Agency = "agency" }
);

str_enum!(
    /// Balance components of a claim; the allocation order is a permutation of these.
    Component { Fees = "fees", Interest = "interest", Principal = "principal" }
);

str_enum!(
    /// What became of an item of a bank file.
    BankStatus {
        Matched = "matched",
        PartlyMatched = "partly matched",
        Overpaid = "overpaid",
        Unmatched = "unmatched",
        Duplicate = "duplicate",
        Reversal = "reversal",
        Refused = "refused",
        Assigned = "assigned",
        Reversed = "reversed",
    }
);

str_enum!(
    /// What a booked payment did to its claim.
    PaymentOutcome { Settled = "settled", PartlyPaid = "partly paid", Overpaid = "overpaid", Duplicate = "duplicate" }
);

str_enum!(
    /// Why a claim's handling is paused.
    PauseKind { Dispute = "dispute", Promise = "promise", PaymentPlan = "payment_plan", Hold = "hold" }
);

impl StepKind {
    /// Escalation order: a claim never goes back to a milder step kind.
    pub fn severity(self) -> u8 {
        match self {
            StepKind::PreDue => 0,
            StepKind::Reminder => 1,
            StepKind::CollectionNotice => 2,
            StepKind::PhoneCall => 2,
            StepKind::LateCompensation => 2,
            StepKind::Collection => 3,
            StepKind::Legal => 4,
        }
    }
    /// The fee kind a step may carry.
    pub fn fee_kind(self) -> Option<FeeKind> {
        match self {
            // The notice is a fee-bearing letter of the reminder kind (NO: purregebyr).
            StepKind::Reminder | StepKind::CollectionNotice => Some(FeeKind::Reminder),
            StepKind::Collection => Some(FeeKind::Collection),
            StepKind::LateCompensation => Some(FeeKind::LateCompensation),
            _ => None,
        }
    }
    /// Its position in `ALL` (for tables indexed by step kind).
    pub fn index(self) -> usize {
        self as usize
    }
    /// A dunning letter (what the law's waiting periods count from).
    pub fn is_letter(self) -> bool {
        matches!(
            self,
            StepKind::Reminder | StepKind::CollectionNotice | StepKind::Collection | StepKind::LateCompensation
        )
    }
}

impl Channel {
    /// A written message (letter, e-mail, EDI); an SMS is not one for the fee rules.
    pub fn is_written(self) -> bool {
        matches!(self, Channel::Letter | Channel::Email | Channel::Edi)
    }
}

impl JurisdictionCode {
    /// The code in capitals ("SE").
    pub fn upper(self) -> &'static str {
        match self {
            JurisdictionCode::SE => "SE",
            JurisdictionCode::FI => "FI",
            JurisdictionCode::NO => "NO",
            JurisdictionCode::DK => "DK",
            JurisdictionCode::EU => "EU",
        }
    }
}

macro_rules! id_type {
    ($(#[$m:meta])* $name:ident) => {
        $(#[$m])*
        /// The id as the creditor gives it.
        #[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub String);
        impl $name {
            /// The id as text.
            pub fn as_str(&self) -> &str { &self.0 }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(&self.0) }
        }
        impl From<&str> for $name {
            fn from(s: &str) -> Self { $name(s.to_string()) }
        }
        impl From<String> for $name {
            fn from(s: String) -> Self { $name(s) }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str { &self.0 }
        }
        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str { &self.0 }
        }
        impl FromStr for $name {
            type Err = std::convert::Infallible;
            fn from_str(s: &str) -> Result<Self, Self::Err> { Ok($name(s.to_string())) }
        }
    };
}

id_type!(
    /// A creditor (tenant): every table is keyed by it.
    CreditorId
);
id_type!(
    /// A customer (debtor) of one creditor, as the creditor's system names it.
    CustomerId
);
id_type!(
    /// A claim (an invoice under handling) of one creditor, as the creditor's system names it.
    ClaimId
);

str_enum!(
    /// Where a claim stands: open, or paid (settled in full, or its remainder written off under
    /// the creditor's tolerance).
    ClaimStatus { Open = "open", Paid = "paid" }
);

str_enum!(
    /// What a message says: one per step kind, and the confirmations an advisor's work sends.
    MessageKind {
        PreDue = "pre_due",
        Reminder = "reminder",
        CollectionNotice = "collection_notice",
        PhoneCall = "phone_call",
        LateCompensation = "late_compensation",
        Collection = "collection",
        Legal = "legal",
        PaymentPlan = "payment_plan",
        Promise = "promise",
        Dispute = "dispute",
    }
);

impl MessageKind {
    /// A confirmation of what the debtor agreed or said (a payment plan, a promise, a dispute),
    /// as opposed to a dunning message: it goes out whatever the claims' state.
    pub fn is_confirmation(self) -> bool {
        matches!(self, MessageKind::PaymentPlan | MessageKind::Promise | MessageKind::Dispute)
    }
}

impl From<StepKind> for MessageKind {
    fn from(k: StepKind) -> Self {
        match k {
            StepKind::PreDue => MessageKind::PreDue,
            StepKind::Reminder => MessageKind::Reminder,
            StepKind::CollectionNotice => MessageKind::CollectionNotice,
            StepKind::PhoneCall => MessageKind::PhoneCall,
            StepKind::LateCompensation => MessageKind::LateCompensation,
            StepKind::Collection => MessageKind::Collection,
            StepKind::Legal => MessageKind::Legal,
        }
    }
}

str_enum!(
    /// Where a delivery stands. `sending` is taken by a worker (its lease runs until
    /// `not_before`); `sent` is accepted by the provider; `delivered` is confirmed (a phone task
    /// done, a file written); `bounced` is refused by the recipient's side.
    DeliveryStatus {
        Queued = "queued",
        Sending = "sending",
        Sent = "sent",
        Delivered = "delivered",
        Bounced = "bounced",
        Failed = "failed",
        Cancelled = "cancelled",
    }
);

impl DeliveryStatus {
    /// Nothing more will happen to it.
    pub fn is_final(self) -> bool {
        !matches!(self, DeliveryStatus::Queued | DeliveryStatus::Sending)
    }
}

str_enum!(
    /// What an advisor's call came to.
    CallOutcome {
        Reached = "reached",
        Promise = "promise",
        Dispute = "dispute",
        WrongNumber = "wrong_number",
        NoAnswer = "no_answer",
    }
);
