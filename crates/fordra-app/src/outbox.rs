//! The delivery outbox: every message a run (or an advisor's work) decides is a delivery queued
//! in the same transaction; [`App::deliver`] takes the due ones, builds each message's facts
//! from the ledger on the send day, and hands it to a [`Courier`] (the channel adapters), then
//! records the attempt. A claim paid or paused before its message goes out gets the message
//! cancelled; a message that cannot reach the debtor on its channel falls back to another.
//!
//! Exactly once: a worker marks a delivery `sending` (with a lease) and commits before it
//! sends; the delivery's key goes to every provider that accepts an idempotency key. A worker
//! killed between the provider's acceptance and its own commit leaves the delivery `sending`;
//! when the lease runs out it is sent again *with the same key* and marked in doubt, so a
//! provider that honours keys (the SMS gateway, the print and mailbox files, the e-mail's
//! Message-ID) keeps one.

use crate::{App, AppError, ClaimId, CreditorId, CustomerId, Minor, Result};
use chrono::{DateTime, NaiveDate, Utc};
use fordra_core::domain::{
    CallOutcome, Channel, ClaimStatus, Collector, DebtorKind, DeliveryStatus, JurisdictionCode, MessageKind, PauseKind,
    Segment,
};
use fordra_core::ledger::{principal_changes, Balances};
use fordra_core::outbox::{self as rules, CoveredClaim, PlannedDelivery};
use fordra_store::{DeliveryRow, Finish, Store};
use serde::Serialize;

/// Who a message is from or to, as printed.
#[derive(Clone, Debug, Serialize)]
pub struct Party {
    /// Name.
    pub name: String,
    /// Postal address, lines separated by newlines (or "|" in the imported file).
    pub address: Vec<String>,
    /// Organisation or personal number.
    pub org_no: Option<String>,
    /// E-mail address.
    pub email: Option<String>,
    /// Phone number.
    pub phone: Option<String>,
}

/// A fee on a claim, as charged.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = MessageFeeLine)]
pub struct FeeLine {
    /// Which fee (`reminder`, `collection`, …).
    pub kind: String,
    /// When charged.
    pub date: NaiveDate,
    /// Amount.
    #[schema(value_type = String)]
    pub amount: Minor,
    /// Its legal basis, in words.
    pub basis: String,
}

/// A stretch of late interest: how it was computed.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct InterestLine {
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub through: NaiveDate,
    /// Days.
    pub days: i64,
    /// The principal it runs on.
    #[schema(value_type = String)]
    pub principal: Minor,
    /// Percent per year, as a decimal string.
    pub rate: String,
    /// The rate's basis.
    pub basis: String,
}

/// One claim a message covers, with every amount as the ledger stands on the send day.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
#[schema(as = MessageClaimLine)]
pub struct ClaimLine {
    /// The claim.
    #[schema(value_type = String)]
    pub claim: ClaimId,
    /// Invoice number (the basis of the claim).
    pub invoice_number: String,
    /// Invoice date.
    pub issue_date: NaiveDate,
    /// Original due date.
    pub due_date: NaiveDate,
    /// Its payment reference.
    pub reference: Option<String>,
    /// The invoice's amount.
    #[schema(value_type = String)]
    pub invoiced: Minor,
    /// Paid and credited so far (all components).
    #[schema(value_type = String)]
    pub paid: Minor,
    /// Principal open.
    #[schema(value_type = String)]
    pub principal: Minor,
    /// Late interest posted and still open.
    #[schema(value_type = String)]
    pub interest: Minor,
    /// Late interest accrued through the send day, not yet posted.
    #[schema(value_type = String)]
    pub interest_accrued: Minor,
    /// Late interest in all: posted and open, plus accrued.
    #[schema(value_type = String)]
    pub interest_total: Minor,
    /// How the interest was computed.
    pub interest_periods: Vec<InterestLine>,
    /// Fees open.
    #[schema(value_type = String)]
    pub fees: Minor,
    /// Each fee charged.
    pub fee_lines: Vec<FeeLine>,
    /// Everything open on the send day (principal + interest + accrued + fees).
    #[schema(value_type = String)]
    pub total: Minor,
    /// What settles it by the deadline (interest runs on until then).
    #[schema(value_type = String)]
    pub to_pay: Minor,
}

/// How to pay.
#[derive(Clone, Debug, Serialize)]
pub struct PaymentInfo {
    /// Bankgiro (SE).
    pub bankgiro: Option<String>,
    /// IBAN.
    pub iban: Option<String>,
    /// The reference to quote (the only claim's, or the first claim's of a grouped letter).
    pub reference: Option<String>,
    /// Amount to pay by the deadline.
    pub amount: Minor,
    /// Currency code.
    pub currency: &'static str,
    /// The deadline.
    pub deadline: Option<NaiveDate>,
}

/// A page of deliveries.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct DeliveryPage {
    /// The deliveries, by id.
    #[schema(value_type = Vec<Object>)]
    pub deliveries: Vec<DeliveryView>,
    /// The cursor of the next page; none on the last.
    pub next: Option<String>,
}

/// Everything a message says, built from the store on the send day. Channel adapters render it
/// (letters, e-mails, texts, call scripts); they add no facts.
#[derive(Clone, Debug, Serialize)]
pub struct Message {
    /// The delivery's key, given to providers as the idempotency key.
    pub key: String,
    /// The creditor.
    pub creditor_id: CreditorId,
    /// The debtor.
    pub customer_id: CustomerId,
    /// What it says.
    pub kind: MessageKind,
    /// How it goes.
    pub channel: Channel,
    /// The debtor's language (ISO 639-1: sv, fi, nb, da, en).
    pub language: String,
    /// The debtor's segment (tone follows it).
    pub segment: Option<Segment>,
    /// Consumer or business.
    pub debtor_kind: DebtorKind,
    /// Whose law.
    pub jurisdiction: JurisdictionCode,
    /// The send day.
    pub date: NaiveDate,
    /// The deadline to pay (or object).
    pub deadline: Option<NaiveDate>,
    /// From.
    pub creditor: Party,
    /// The agency collecting on the creditor's behalf, with its licence.
    pub agency: Option<(String, String)>,
    /// To.
    pub debtor: Party,
    /// The claims covered (open ones only).
    pub claims: Vec<ClaimLine>,
    /// Open in total on the send day.
    pub total: Minor,
    /// How to pay.
    pub payment: PaymentInfo,
    /// The experiment arm that chose the step, if any.
    pub arm: Option<String>,
    /// The handling-model step's number (0: none).
    pub step_no: i64,
    /// Sent again after a worker stopped mid-send: the provider may have it already.
    pub in_doubt: bool,
    /// The creditor's own wording for this step in the debtor's language, by phrase key
    /// (from the handling model's step, or the experiment arm's).
    pub texts: std::collections::BTreeMap<String, String>,
    /// The debtor's digital mailbox (kivra, omaposti, digipost, eboks): letters go there.
    pub mailbox: Option<String>,
    /// The creditor's logo (PNG, base64), if it gave one.
    #[serde(skip)]
    pub logo: Option<String>,
    /// The creditor tracks whether its e-mails are opened (an e-mail carries a tracking image).
    pub track_opening: bool,
}

/// What a channel adapter made of one message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sent {
    /// The provider took it (an e-mail accepted, a text queued); `provider_ref` is its id there.
    Accepted {
        /// The provider's id.
        provider_ref: Option<String>,
        /// In words.
        detail: String,
    },
    /// It arrived for certain (a file written to the print batch).
    Delivered {
        /// The provider's id (file name).
        provider_ref: Option<String>,
        /// In words.
        detail: String,
    },
    /// The recipient's side refused it for good (an address that does not exist).
    Bounced(String),
    /// It may work later (the server was down): tried again after a wait.
    Retry(String),
    /// It cannot be sent (a message too long, a configuration missing).
    Failed(String),
}

/// A channel adapter: takes one message at a time. Implemented outside the application layer
/// (SMTP, SMS gateways, PDF batches).
pub trait Courier {
    /// Sends one message, using `m.key` as the idempotency key where the provider takes one.
    fn send(&mut self, m: &Message) -> Sent;
}

/// What a worker pass is to do.
#[derive(Clone, Debug)]
pub struct DeliverInput {
    /// One creditor, or all.
    pub creditor: Option<CreditorId>,
    /// Now (the adapter reads the clock).
    pub now: DateTime<Utc>,
    /// How long a taken delivery is held before another worker may take it over.
    pub lease_seconds: i64,
    /// Deliveries taken per store transaction.
    pub batch: usize,
    /// Keep taking batches until nothing is due now.
    pub until_empty: bool,
    /// Stop after this many deliveries (0: no limit).
    pub max: usize,
}

/// One delivery a worker pass handled.
#[derive(Clone, Debug, Serialize)]
pub struct Handled {
    /// The creditor.
    pub creditor: CreditorId,
    /// The delivery.
    pub delivery: String,
    /// Its channel.
    pub channel: Channel,
    /// What it became.
    pub status: DeliveryStatus,
    /// In words.
    pub detail: String,
}

/// What a worker pass did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DeliverReport {
    /// Each delivery handled, in order.
    pub handled: Vec<Handled>,
    /// Accepted by a provider.
    pub sent: usize,
    /// Confirmed delivered.
    pub delivered: usize,
    /// Cancelled (paid or paused before sending).
    pub cancelled: usize,
    /// Waiting for a retry or for daytime.
    pub waiting: usize,
    /// Bounced (a fallback queued where there is one).
    pub bounced: usize,
    /// Given up.
    pub failed: usize,
}

/// A delivery with its claims and attempts, for `claim show` and the delivery list.
#[derive(Clone, Debug, Serialize)]
pub struct DeliveryView {
    /// The delivery.
    #[serde(flatten)]
    pub delivery: DeliveryRow,
    /// The claims it covers.
    pub claims: Vec<ClaimId>,
    /// Its attempts.
    pub attempts: Vec<fordra_store::AttemptRow>,
}

impl DeliverReport {
    /// Adds another pass's counts (the handled list is kept only for the last 100).
    pub fn absorb(&mut self, other: DeliverReport) {
        self.sent += other.sent;
        self.delivered += other.delivered;
        self.cancelled += other.cancelled;
        self.waiting += other.waiting;
        self.bounced += other.bounced;
        self.failed += other.failed;
        self.handled.extend(other.handled);
        let excess = self.handled.len().saturating_sub(100);
        self.handled.drain(..excess);
    }
}

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

impl App<'_> {
    /// Runs the delivery worker: takes the deliveries due at `input.now`, cancels those whose
    /// claims were paid or paused, sends the rest through `courier` and records each attempt.
    pub fn deliver(&mut self, courier: &mut dyn Courier, input: &DeliverInput) -> Result<DeliverReport> {
        if !(1..=10_000).contains(&input.batch) {
            return Err(AppError::invalid("", "batch: from 1 to 10000 deliveries"));
        }
        if !(1..=86_400).contains(&input.lease_seconds) {
            return Err(AppError::invalid("", "lease: from 1 to 86400 seconds"));
        }
        let mut report = DeliverReport::default();
        self.queue_letters_for_unopened(input.creditor.as_ref(), input.now)?;
        loop {
            let now = input.now;
            let room = if input.max == 0 { input.batch } else { input.batch.min(input.max - report.handled.len()) };
            if room == 0 {
                break;
            }
            let taken = self.store.take_deliveries(
                input.creditor.as_deref(),
                now.timestamp(),
                now.timestamp() + input.lease_seconds,
                room,
            )?;
            if taken.is_empty() {
                break;
            }
            for d in taken {
                let h = self.deliver_one(courier, d, now)?;
                match h.status {
                    DeliveryStatus::Sent => report.sent += 1,
                    DeliveryStatus::Delivered => report.delivered += 1,
                    DeliveryStatus::Cancelled => report.cancelled += 1,
                    DeliveryStatus::Queued | DeliveryStatus::Sending => report.waiting += 1,
                    DeliveryStatus::Bounced => report.bounced += 1,
                    DeliveryStatus::Failed => report.failed += 1,
                }
                report.handled.push(h);
            }
            if !input.until_empty {
                break;
            }
        }
        Ok(report)
    }

    fn deliver_one(&mut self, courier: &mut dyn Courier, d: DeliveryRow, now: DateTime<Utc>) -> Result<Handled> {
        let attempt = d.attempts + 1;
        let at = rfc3339(now);
        let creditor = CreditorId(d.creditor_id.clone());
        let in_doubt = d.status == DeliveryStatus::Sending;
        let finish = |s: &mut Store, status: DeliveryStatus, detail: &str, provider_ref: Option<&str>, wait: i64| {
            let f = Finish {
                status,
                detail,
                provider_ref,
                not_before: now.timestamp() + wait,
                at: &at,
                sent_at: now.timestamp(),
            };
            s.finish_delivery(&d.creditor_id, &d.id, attempt, &f)
        };
        let handled = |status, detail: String| Handled {
            creditor: creditor.clone(),
            delivery: d.id.clone(),
            channel: d.channel,
            status,
            detail,
        };
        let message = match self.message(&creditor, &d, in_doubt, now.date_naive())? {
            Built::Cancel(why) => {
                let law = self.law;
                self.store.tx(|s| -> Result<()> {
                    finish(s, DeliveryStatus::Cancelled, &why, None, 0)?;
                    unsend(s, law, &d, &why)
                })?;
                return Ok(handled(DeliveryStatus::Cancelled, why));
            }
            Built::Message(m) => m,
        };
        if d.channel == Channel::Sms {
            let country = self.law.jurisdiction(message.jurisdiction)?.country;
            if let Some(t) = rules::next_allowed(country, now, rules::QuietHours::default()) {
                let why = format!("waits for daytime on a banking day: not before {}", rfc3339(t));
                self.store.release_delivery(&d.creditor_id, &d.id, attempt, t.timestamp(), &why)?;
                return Ok(handled(DeliveryStatus::Queued, why));
            }
        }
        let (status, detail, provider_ref, wait) = match courier.send(&message) {
            Sent::Accepted { provider_ref, detail } => (DeliveryStatus::Sent, detail, provider_ref, 0),
            Sent::Delivered { provider_ref, detail } => (DeliveryStatus::Delivered, detail, provider_ref, 0),
            Sent::Bounced(why) => (DeliveryStatus::Bounced, why, None, 0),
            Sent::Retry(why) if attempt < i64::from(rules::MAX_ATTEMPTS) => {
                let wait = rules::backoff_seconds(u32::try_from(attempt).unwrap_or(u32::MAX));
                (DeliveryStatus::Queued, format!("{why}; tried again in {wait} s"), None, wait)
            }
            Sent::Retry(why) => (DeliveryStatus::Failed, format!("{why}; given up after {attempt} tries"), None, 0),
            Sent::Failed(why) => (DeliveryStatus::Failed, why, None, 0),
        };
        let detail =
            if in_doubt { format!("{detail} (sent again after an interrupted try, same key)") } else { detail };
        let fallback = matches!(status, DeliveryStatus::Bounced | DeliveryStatus::Failed)
            .then(|| rules::fallback(d.channel, message.debtor.email.is_some() && d.channel != Channel::Email))
            .flatten();
        let law = self.law;
        self.store.tx(|s| -> Result<()> {
            finish(s, status, &detail, provider_ref.as_deref(), wait)?;
            if matches!(status, DeliveryStatus::Bounced | DeliveryStatus::Failed) && fallback.is_none() {
                unsend(s, law, &d, &format!("not sent: {detail}"))?;
            }
            if let Some(channel) = fallback {
                send_again_as(s, &d, channel, now)?;
            }
            Ok(())
        })?;
        let detail = match fallback {
            Some(c) => format!("{detail}; sent again as {c}"),
            None => detail,
        };
        Ok(handled(status, detail))
    }

    /// Where a creditor tracks opening: every e-mail sent at least its number of days ago and
    /// never opened is sent again as a letter (queued now; cancelled at send time like any
    /// letter when its claims were paid or paused meanwhile).
    fn queue_letters_for_unopened(&mut self, only: Option<&CreditorId>, now: DateTime<Utc>) -> Result<usize> {
        let creditors = match only {
            Some(c) => vec![c.clone()],
            None => self.store.creditor_ids()?.into_iter().map(CreditorId).collect(),
        };
        let mut queued = 0;
        for c in creditors {
            let Some(days) = self.store.creditor(&c)?.policy.letters.letter_if_unopened_days else { continue };
            let unopened = self.store.unopened_emails(&c, now.timestamp() - days * 86_400)?;
            for d in unopened {
                queued += send_again_as(self.store, &d, Channel::Letter, now)?;
            }
        }
        Ok(queued)
    }

    /// Records that the debtor opened an e-mail (from the tracking image's request, which the
    /// HTTP service verifies); false when the delivery is no sent e-mail.
    pub fn email_opened(&mut self, creditor: &CreditorId, delivery: &str, at: DateTime<Utc>) -> Result<bool> {
        Ok(self.store.mark_opened(creditor, delivery, at.timestamp())?)
    }

    /// The message a delivery sends, as it would be built now (for a preview), or why it would
    /// be cancelled.
    pub fn preview(&mut self, creditor: &CreditorId, delivery: &str) -> Result<Message> {
        let d = self.store.delivery(creditor, delivery)?;
        let today = self.today;
        match self.message(creditor, &d, false, today)? {
            Built::Message(m) => Ok(*m),
            Built::Cancel(why) => Err(AppError::Conflict(format!("delivery {delivery} would not be sent: {why}"))),
        }
    }

    /// The message a delivery sends on `day`, built from the store as it stands.
    fn message(&mut self, creditor_id: &CreditorId, d: &DeliveryRow, in_doubt: bool, day: NaiveDate) -> Result<Built> {
        let law = self.law;
        let date = day.max(d.created);
        // A dunning letter that could not go out before its own deadline would give the debtor
        // no time at all: it is cancelled, never sent with a deadline in the past.
        if let Some(deadline) = d.deadline.filter(|dl| *dl < date && !d.kind.is_confirmation()) {
            return Ok(Built::Cancel(format!("not sent by its deadline {deadline} (the worker did not run in time)")));
        }
        self.store.read_tx(|s| -> Result<Built> {
            let cr = s.creditor(creditor_id)?;
            let j = law.jurisdiction(cr.jurisdiction)?;
            let cust = s.customer(creditor_id, &d.customer_id)?;
            let pauses = s.pauses_of_customer(creditor_id, &d.customer_id)?;
            let mut covered = Vec::new();
            let mut lines = Vec::new();
            let (mut arm, mut step_no, mut segment) = (None, 0, cust.segment);
            for (claim_id, seq) in s.delivery_items(creditor_id, &d.id)? {
                let c = s.claim(creditor_id, &claim_id)?;
                // The step that queued this item (an item without one, e.g. a confirmation, has none).
                let step = match seq {
                    Some(seq) => s.action_at(creditor_id, &claim_id, seq)?,
                    None => None,
                };
                let step = step.as_ref();
                let paused = pauses.iter().any(|p| {
                    (p.claim_id.as_deref() == Some(claim_id.as_str())
                        || (p.claim_id.is_none() && p.customer_id == c.customer_id))
                        && p.pause.active_on(date)
                });
                let cov =
                    CoveredClaim { status: c.status, paused, reverted: step.is_some_and(|a| a.reverted.is_some()) };
                covered.push(cov);
                if let Some(a) = step {
                    arm = arm.or(a.arm.clone());
                    step_no = a.step_no;
                    segment = Some(a.segment);
                }
                if c.status == ClaimStatus::Open && !cov.reverted && (!paused || d.kind.is_confirmation()) {
                    lines.push(claim_line(s, &cr, j, cust.kind, &c, date, d.deadline)?);
                }
            }
            if let Some(why) = rules::cancel_reason(d.kind, &covered) {
                return Ok(Built::Cancel(why));
            }
            let total = lines.iter().map(|l| l.total.0).sum();
            let to_pay = lines.iter().map(|l| l.to_pay.0).sum();
            let letters = &cr.policy.letters;
            let agency = (cr.policy.collector == Collector::Agency)
                .then(|| cr.policy.agency.as_ref().map(|a| (a.name.clone(), a.licence.clone())))
                .flatten();
            Ok(Built::Message(Box::new(Message {
                key: d.id.clone(),
                creditor_id: creditor_id.clone(),
                customer_id: CustomerId(cust.id.clone()),
                kind: d.kind,
                channel: d.channel,
                language: cust.language.clone(),
                segment: cust.segment,
                debtor_kind: cust.kind,
                jurisdiction: cr.jurisdiction,
                date,
                deadline: d.deadline,
                creditor: creditor_party(&cr),
                agency,
                debtor: Party {
                    name: cust.name.clone(),
                    address: address_lines(cust.address.as_deref()),
                    org_no: cust.org_no.clone(),
                    // An address the debtor did not consent to be used is not used.
                    email: cust.email.clone().filter(|e| !e.is_empty() && cust.email_consent != Some(false)),
                    phone: cust.phone.clone().filter(|p| !p.is_empty() && cust.sms_consent != Some(false)),
                },
                payment: PaymentInfo {
                    bankgiro: cr.bankgiro.clone(),
                    iban: cr.iban.clone(),
                    reference: lines.first().and_then(|l| l.reference.clone()),
                    amount: Minor(to_pay),
                    currency: cr.currency.code(),
                    deadline: d.deadline,
                },
                claims: lines,
                total: Minor(total),
                texts: segment
                    .map(|seg| {
                        let n = usize::try_from(step_no).unwrap_or(0);
                        cr.policy.texts_for(seg, n, arm.as_deref(), &cust.language)
                    })
                    .unwrap_or_default(),
                mailbox: cust.mailbox.clone(),
                logo: letters.logo.clone(),
                track_opening: letters.letter_if_unopened_days.is_some(),
                arm,
                step_no,
                in_doubt,
            })))
        })
    }

    /// A creditor's deliveries (filtered by status and channel) with their claims and attempts.
    pub fn deliveries(
        &mut self,
        creditor: &CreditorId,
        status: Option<DeliveryStatus>,
        channel: Option<Channel>,
    ) -> Result<Vec<DeliveryView>> {
        let rows = self.store.deliveries(creditor, status, channel)?;
        rows.into_iter().map(|d| self.view(creditor, d)).collect()
    }

    /// A page of deliveries in id order after the cursor `after`, at most `limit` (1–1000).
    pub fn delivery_page(
        &mut self,
        creditor: &CreditorId,
        status: Option<DeliveryStatus>,
        channel: Option<Channel>,
        after: &str,
        limit: usize,
    ) -> Result<DeliveryPage> {
        if !(1..=1000).contains(&limit) {
            return Err(AppError::invalid("limit", format!("{limit} is outside 1–1000")));
        }
        self.store.creditor(creditor)?;
        let mut rows = self.store.deliveries_page(creditor, status, channel, after, limit + 1)?;
        let next = if rows.len() > limit {
            rows.truncate(limit);
            rows.last().map(|d| d.id.clone())
        } else {
            None
        };
        let deliveries = rows.into_iter().map(|d| self.view(creditor, d)).collect::<Result<_>>()?;
        Ok(DeliveryPage { deliveries, next })
    }

    /// The deliveries covering one claim, oldest first.
    pub fn deliveries_of_claim(&mut self, creditor: &CreditorId, claim: &ClaimId) -> Result<Vec<DeliveryView>> {
        let rows = self.store.deliveries_of_claim(creditor, claim)?;
        rows.into_iter().map(|d| self.view(creditor, d)).collect()
    }

    fn view(&mut self, creditor: &CreditorId, d: DeliveryRow) -> Result<DeliveryView> {
        let claims = self.store.delivery_items(creditor, &d.id)?.into_iter().map(|(c, _)| ClaimId(c)).collect();
        let attempts = self.store.delivery_attempts(creditor, &d.id)?;
        Ok(DeliveryView { delivery: d, claims, attempts })
    }
}

/// Queues a delivery again on another channel (a bounce's fallback, an unopened e-mail's
/// letter), keyed `KEY/channel`, covering the same claims and steps.
fn send_again_as(s: &mut Store, d: &DeliveryRow, channel: Channel, now: DateTime<Utc>) -> Result<usize> {
    let items = s.delivery_items(&d.creditor_id, &d.id)?;
    let planned = PlannedDelivery {
        id: format!("{}/{}", d.id, channel),
        customer_id: d.customer_id.clone(),
        kind: d.kind,
        channel,
        created: d.created,
        deadline: d.deadline,
        items: items.into_iter().map(|(c, seq)| (c, seq.and_then(|x| u32::try_from(x).ok()))).collect(),
        send_hour: None,
    };
    Ok(s.queue_deliveries(&d.creditor_id, &[planned], now.timestamp(), Some(&d.id))?)
}

/// A dunning message that never reached the debtor: its steps are undone (their fees and the
/// interest posted with them reversed by correcting entries), so the debtor owes nothing for a
/// letter not sent and the handling model takes the step again when the claim needs it.
fn unsend(s: &mut Store, law: &fordra_core::law::LawBook, d: &DeliveryRow, why: &str) -> Result<()> {
    if d.kind.is_confirmation() {
        return Ok(());
    }
    let why = format!("message {} not sent: {why}", d.id);
    if s.unsend_steps(&d.creditor_id, &d.id, &why)? > 0 {
        let cr = s.creditor(&d.creditor_id)?;
        let j = law.jurisdiction(cr.jurisdiction)?;
        s.reconcile(&cr, j, std::slice::from_ref(&d.customer_id), &why)?;
    }
    Ok(())
}

enum Built {
    Message(Box<Message>),
    Cancel(String),
}

/// An address as stored: lines separated by newlines or "|".
/// The creditor as its letters name it.
pub(crate) fn creditor_party(cr: &fordra_core::run::Creditor) -> Party {
    let letters = &cr.policy.letters;
    Party {
        name: cr.name.clone(),
        address: address_lines(letters.address.as_deref()),
        org_no: letters.org_no.clone(),
        email: letters.email.clone(),
        phone: letters.phone.clone(),
    }
}

pub(crate) fn address_lines(a: Option<&str>) -> Vec<String> {
    a.unwrap_or("").split(['\n', '|']).map(str::trim).filter(|l| !l.is_empty()).map(String::from).collect()
}

#[allow(clippy::too_many_arguments, reason = "the facts of one claim line, each needed")]
pub(crate) fn claim_line(
    s: &mut Store,
    cr: &fordra_core::run::Creditor,
    j: &fordra_core::law::Jurisdiction,
    debtor: DebtorKind,
    c: &fordra_store::ClaimRow,
    date: NaiveDate,
    deadline: Option<NaiveDate>,
) -> Result<ClaimLine> {
    let moves = s.moves(&cr.id, &c.id)?;
    let bal = Balances::of(&moves, date);
    let after = j.interest_after(c.due_date, c.demand);
    let through = |day| fordra_core::run::interest_to_post(j, cr, debtor, after, &moves, day).unwrap_or(0);
    let accrued = through(date);
    let to_pay = bal.total() + through(deadline.unwrap_or(date).max(date));
    let interest_periods = if cr.charge_interest {
        let known: Vec<_> = moves.iter().filter(|m| m.date <= date).cloned().collect();
        fordra_core::interest::late_interest(
            j,
            debtor,
            cr.contract_rate.map(fordra_core::interest::ContractRate),
            after,
            &principal_changes(&known),
            date,
        )
        .map(|calc| {
            calc.periods
                .into_iter()
                .map(|p| InterestLine {
                    from: p.from,
                    through: p.through,
                    days: p.days,
                    principal: Minor(p.principal_minor),
                    rate: p.rate.normalize().to_string(),
                    basis: p.basis,
                })
                .collect()
        })
        .unwrap_or_default()
    } else {
        Vec::new()
    };
    let fee_lines = s
        .ledger(&cr.id, &c.id)?
        .into_iter()
        .filter(|l| l.date <= date && l.component.as_deref() == Some("fees") && l.amount > 0)
        .map(|l| FeeLine {
            kind: l.kind.strip_prefix("fee:").unwrap_or(&l.kind).to_string(),
            date: l.date,
            amount: Minor(l.amount),
            basis: l.memo,
        })
        .collect();
    let charged: i64 = moves.iter().filter(|m| m.date <= date && m.amount > 0).map(|m| m.amount).sum();
    Ok(ClaimLine {
        claim: ClaimId(c.id.clone()),
        invoice_number: c.invoice_number.clone(),
        issue_date: c.issue_date,
        due_date: c.due_date,
        reference: c.reference.clone(),
        invoiced: Minor(c.principal),
        paid: Minor(charged - bal.total()),
        principal: Minor(bal.principal),
        interest: Minor(bal.interest),
        interest_accrued: Minor(accrued),
        interest_total: Minor(bal.interest + accrued),
        interest_periods,
        fees: Minor(bal.fees),
        fee_lines,
        total: Minor(bal.total() + accrued),
        to_pay: Minor(to_pay),
    })
}

/// Queues the confirmation of what an advisor agreed with (or heard from) the debtor: a promise,
/// a payment plan, a dispute. By e-mail where the debtor can be reached so, otherwise a letter.
#[allow(clippy::too_many_arguments, reason = "the facts of one confirmation, each needed")]
pub(crate) fn queue_confirmation(
    s: &mut Store,
    creditor: &str,
    customer: &str,
    kind: MessageKind,
    claims: &[String],
    until: Option<NaiveDate>,
    key: &str,
    today: NaiveDate,
) -> Result<()> {
    let cust = s.customer(creditor, customer)?;
    let email = cust.email.as_deref().is_some_and(|e| !e.is_empty()) && cust.email_consent != Some(false);
    let planned = PlannedDelivery {
        id: key.to_string(),
        customer_id: customer.to_string(),
        kind,
        channel: if email { Channel::Email } else { Channel::Letter },
        created: today,
        deadline: until,
        items: claims.iter().map(|c| (c.clone(), None)).collect(),
        send_hour: None,
    };
    s.queue_deliveries(creditor, &[planned], 0, None)?;
    Ok(())
}

/// A phone task for an advisor: who to call, about what, with the script's facts.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct PhoneTask {
    /// The task (its delivery key).
    pub task: String,
    /// The debtor.
    #[schema(value_type = String)]
    pub customer: CustomerId,
    /// Name.
    pub name: String,
    /// Number to call.
    pub phone: Option<String>,
    /// The debtor's language.
    pub language: String,
    /// Open in total today.
    #[schema(value_type = String)]
    pub total: Minor,
    /// Currency code.
    pub currency: &'static str,
    /// The claims to talk about.
    pub claims: Vec<ClaimLine>,
    /// Since when it waits.
    pub created: NaiveDate,
    /// Not now (outside daytime or not a banking day in the debtor's country): call from then.
    pub call_from: Option<DateTime<Utc>>,
}

/// An advisor's record of a call.
#[derive(Clone, Debug)]
pub struct CallRecord {
    /// The task.
    pub task: String,
    /// What came of it.
    pub outcome: CallOutcome,
    /// A promise's date (required for `promise`).
    pub promise_date: Option<NaiveDate>,
    /// What was said.
    pub note: String,
}

/// What recording a call did.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CallRecorded {
    /// The task.
    pub task: String,
    /// The outcome.
    #[schema(value_type = String)]
    pub outcome: CallOutcome,
    /// The pause it started (a promise or a dispute), by id.
    pub pauses: Vec<i64>,
    /// The confirmation queued to the debtor, if any.
    pub confirmation: Option<String>,
}

impl App<'_> {
    /// Open phone tasks: calls the handling models asked for, not yet made; cancelled first
    /// when their claims were paid or paused meanwhile. Each says when the debtor may be called
    /// (`call_from`: a banking day, 08:00–20:00 in the debtor's country) if not at `now`.
    pub fn phone_tasks(&mut self, creditor: &CreditorId, now: DateTime<Utc>) -> Result<Vec<PhoneTask>> {
        let country = {
            let cr = self.store.creditor(creditor)?;
            self.law.jurisdiction(cr.jurisdiction)?.country
        };
        let call_from = rules::next_allowed(country, now, rules::QuietHours::default());
        let open = self.store.deliveries(creditor, Some(DeliveryStatus::Queued), Some(Channel::Phone))?;
        let mut tasks = Vec::new();
        let today = self.today;
        for d in open {
            match self.message(creditor, &d, false, today)? {
                Built::Cancel(why) => {
                    let law = self.law;
                    self.store.tx(|s| -> Result<()> {
                        s.close_phone_task(creditor, &d.id, None, DeliveryStatus::Cancelled, &why)?;
                        unsend(s, law, &d, &why)
                    })?;
                }
                Built::Message(m) => tasks.push(PhoneTask {
                    task: d.id.clone(),
                    customer: m.customer_id,
                    name: m.debtor.name,
                    phone: m.debtor.phone,
                    language: m.language,
                    total: m.total,
                    currency: m.payment.currency,
                    claims: m.claims,
                    created: d.created,
                    call_from,
                }),
            }
        }
        Ok(tasks)
    }

    /// Records a call's outcome: a promise pauses the task's claims until its date (dunning
    /// resumes by itself when it is broken), a dispute pauses them until resolved; both queue a
    /// confirmation to the debtor.
    pub fn phone_done(&mut self, creditor: &CreditorId, call: &CallRecord) -> Result<CallRecorded> {
        fordra_core::limits::text("note", &call.note, fordra_core::limits::MAX_TEXT)?;
        let d = self.store.delivery(creditor, &call.task)?;
        if d.channel != Channel::Phone {
            return Err(AppError::invalid("", format!("delivery {} is not a phone task", call.task)));
        }
        let kind = match call.outcome {
            CallOutcome::Promise => {
                let until = call
                    .promise_date
                    .ok_or_else(|| AppError::invalid("", "a promise to pay needs its date (--date)"))?;
                if until < self.today {
                    return Err(AppError::invalid("", format!("the promised date {until} has passed")));
                }
                Some((PauseKind::Promise, Some(until), MessageKind::Promise))
            }
            CallOutcome::Dispute => Some((PauseKind::Dispute, None, MessageKind::Dispute)),
            _ => None,
        };
        let today = self.today;
        let claims = self.store.delivery_items(creditor, &d.id)?;
        let status = match call.outcome {
            CallOutcome::NoAnswer | CallOutcome::WrongNumber => DeliveryStatus::Failed,
            _ => DeliveryStatus::Delivered,
        };
        let detail = format!("{}: {}", call.outcome, call.note);
        let (pauses, confirmation) = self.store.write_tx(creditor, |s| -> Result<(Vec<i64>, Option<String>)> {
            s.close_phone_task(creditor, &d.id, Some(call.outcome), status, &detail)?;
            let mut pauses = Vec::new();
            let Some((pause, until, message)) = kind else { return Ok((pauses, None)) };
            for (claim, _) in &claims {
                let reason = format!("phone call {}: {}", d.id, call.note);
                pauses.push(s.insert_pause(
                    creditor,
                    Some(claim),
                    &d.customer_id,
                    pause,
                    today,
                    until,
                    &reason,
                    None,
                )?);
            }
            let key = format!("{}/{}", d.id, message);
            let covered: Vec<String> = claims.iter().map(|(c, _)| c.clone()).collect();
            queue_confirmation(s, creditor, &d.customer_id, message, &covered, until, &key, today)?;
            s.audit(creditor, &format!("delivery:{}", d.id), "call", &detail)?;
            Ok((pauses, Some(key)))
        })?;
        Ok(CallRecorded { task: d.id, outcome: call.outcome, pauses, confirmation })
    }
}
