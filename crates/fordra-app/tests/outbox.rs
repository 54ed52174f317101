//! The outbox through its use cases: deliveries written with the run, sent once, cancelled when
//! paid, paused or reverted, retried with backoff, fallen back after a bounce, taken over after
//! a worker stopped mid-send; phone tasks feeding the engine. A scripted courier stands in for
//! the channels (they have their own tests against real servers).

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use fordra_app::creditors::NewCreditor;
use fordra_app::outbox::{CallRecord, Courier, DeliverInput, Message, Sent};
use fordra_app::run::RunInput;
use fordra_app::{App, ClaimId, CreditorId};
use fordra_core::domain::{CallOutcome, Channel, Collector, DeliveryStatus, JurisdictionCode, MessageKind};
use fordra_core::law::LawBook;
use fordra_core::money::Currency;
use fordra_store::PaymentRow;
use fordra_store::Store;
use std::collections::VecDeque;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

const CUSTOMERS: &[u8] = b"id,name,kind,language,email,phone,address
anna,Anna Andersson,consumer,sv,anna@example.se,+46701234567,Storgatan 1|411 01 G\xc3\xb6teborg
bert,Bert Berg,consumer,fi,,,Kuja 2|00100 Helsinki
bygg,Bygg AB,business,en,ekonomi@bygg.se,,Byggv\xc3\xa4gen 3|123 45 Stockholm
";

const INVOICES: &[u8] = b"id,customer_id,invoice_number,issue_date,due_date,amount,currency
1001,anna,1001,2024-02-14,2024-03-15,10000.00,SEK
1002,bert,1002,2024-02-14,2024-03-15,2500.00,SEK
1003,bygg,1003,2024-02-14,2024-03-15,50000.00,SEK
1004,anna,1004,2024-02-20,2024-03-15,300.00,SEK
";

/// A courier that records what it was given and answers from a script (then "accepted").
#[derive(Default)]
struct Scripted {
    sent: Vec<Message>,
    answers: VecDeque<Sent>,
}

impl Courier for Scripted {
    fn send(&mut self, m: &Message) -> Sent {
        self.sent.push(m.clone());
        self.answers
            .pop_front()
            .unwrap_or(Sent::Accepted { provider_ref: Some(format!("id-{}", m.key)), detail: "ok".into() })
    }
}

fn acme() -> CreditorId {
    CreditorId("acme".into())
}

fn at(day: &str, hour: u32) -> DateTime<Utc> {
    let day = d(day);
    Utc.from_utc_datetime(&day.and_hms_opt(hour, 0, 0).unwrap())
}

fn input(now: DateTime<Utc>) -> DeliverInput {
    DeliverInput { creditor: Some(acme()), now, lease_seconds: 300, batch: 2, until_empty: true, max: 0 }
}

/// Acme (SE) with three debtors, run on the day after its invoices fell due + 10.
fn setup(dir: &tempfile::TempDir) -> Store {
    let mut store = Store::create(dir.path().join("t.db").to_str().unwrap()).unwrap();
    let law = LawBook::embedded();
    let mut app = App::new(&mut store, &law, d("2024-03-25"));
    app.add_creditor(NewCreditor {
        id: acme(),
        name: "Acme AB".into(),
        jurisdiction: JurisdictionCode::SE,
        currency: None,
        reminder_fee_agreed: true,
        charge_interest: true,
        contract_rate: None,
        bankgiro: Some("5050-1055".into()),
        iban: vec![],
        collector: Collector::Own,
        agency_name: None,
        agency_licence: None,
    })
    .unwrap();
    app.import_customers(&acme(), "customers.csv", CUSTOMERS).unwrap();
    app.import_invoices(&acme(), "invoices.csv", INVOICES).unwrap();
    store
}

#[test]
fn the_run_queues_one_delivery_per_message_and_the_worker_sends_each_once() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = setup(&dir);
    let law = LawBook::embedded();
    let mut app = App::new(&mut store, &law, d("2024-03-25"));
    // The creditor's own wording for the Normal model's first reminder, in Swedish.
    let mut p = app.show_policy(&acme()).unwrap();
    let normal = p.models.iter_mut().find(|m| m.segment == fordra_core::domain::Segment::Normal).unwrap();
    normal.steps[0].texts.insert("sv".into(), [("intro-reminder".to_string(), "Hej igen!".to_string())].into());
    app.set_policy(&acme(), p, "texts.toml", &|_| Vec::new()).unwrap();
    let dry = app.run_day(&acme(), RunInput { date: d("2024-03-25"), dry_run: true, allow_future: false }).unwrap();
    assert!(!dry.actions.is_empty());
    assert!(app.deliveries(&acme(), None, None).unwrap().is_empty(), "a dry run queues nothing");
    let run = app.run_day(&acme(), RunInput { date: d("2024-03-25"), dry_run: false, allow_future: false }).unwrap();
    let queued = app.deliveries(&acme(), Some(DeliveryStatus::Queued), None).unwrap();
    let sending: Vec<_> = run.actions.iter().filter(|a| !a.skipped).collect();
    // Anna's two reminders share one grouped letter.
    assert!(
        queued.len() < sending.len() && !queued.is_empty(),
        "{} deliveries for {} steps",
        queued.len(),
        sending.len()
    );
    let anna = queued.iter().find(|q| q.delivery.customer_id == "anna").unwrap();
    assert_eq!(anna.claims, vec![ClaimId("1001".into()), ClaimId("1004".into())]);

    let mut courier = Scripted::default();
    let r = app.deliver(&mut courier, &input(at("2024-03-25", 9))).unwrap();
    assert_eq!(r.handled.len(), queued.len());
    assert_eq!(courier.sent.len(), queued.len());
    // The message is built from the ledger on the send day, in the debtor's language.
    let m = courier.sent.iter().find(|m| m.customer_id.0 == "anna").unwrap();
    assert_eq!((m.language.as_str(), m.claims.len(), m.payment.currency), ("sv", 2, "SEK"));
    let open: i64 = m.claims.iter().map(|c| c.total.0).sum();
    assert_eq!(m.total.0, open);
    assert_eq!(m.debtor.address, vec!["Storgatan 1", "411 01 Göteborg"]);
    assert_eq!(m.texts.get("intro-reminder").map(String::as_str), Some("Hej igen!"), "the step's own wording");
    let bert = courier.sent.iter().find(|m| m.customer_id.0 == "bert").unwrap();
    assert_eq!(bert.language, "fi");
    assert!(bert.texts.is_empty(), "no Finnish wording was given");
    // Again: nothing is sent twice.
    let again = app.deliver(&mut courier, &input(at("2024-03-25", 10))).unwrap();
    assert!(again.handled.is_empty());
    assert_eq!(courier.sent.len(), queued.len());
    let view = app.deliveries_of_claim(&acme(), &ClaimId("1001".into())).unwrap();
    assert_eq!(view[0].delivery.status, DeliveryStatus::Sent);
    assert_eq!(view[0].attempts.len(), 1);
    assert_eq!(view[0].delivery.provider_ref.as_deref(), Some(format!("id-{}", view[0].delivery.id).as_str()));
    let t = app.claim_timeline(&acme(), &ClaimId("1001".into())).unwrap();
    assert_eq!(t.deliveries.len(), 1, "claim show lists the message");
}

#[test]
fn paid_paused_or_reverted_before_sending_is_cancelled() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = setup(&dir);
    let law = LawBook::embedded();
    let mut app = App::new(&mut store, &law, d("2024-03-25"));
    app.run_day(&acme(), RunInput { date: d("2024-03-25"), dry_run: false, allow_future: false }).unwrap();
    let charged = app.claim_timeline(&acme(), &ClaimId("1002".into())).unwrap().balances.fees;
    assert!(charged.0 > 0, "the run charged a fee with the step: {charged}");
    // Bygg pays in full before the worker runs.
    let cr = app.store.creditor("acme").unwrap();
    let due = fordra_app::claims::amount_due(app.store, &cr, &law, "1003", d("2024-03-25")).unwrap();
    let pay = PaymentRow {
        line: 1,
        id: "P1".into(),
        claim_id: "1003".into(),
        date: d("2024-03-25"),
        amount: due,
        currency: Currency::SEK,
        reference: None,
        payer: None,
    };
    app.book_payment_rows(&acme(), &[pay], "bank.csv").unwrap();
    // Bert disputes his invoice.
    app.add_pause(
        &acme(),
        &fordra_app::pauses::NewPause {
            claim: Some(ClaimId("1002".into())),
            customer: None,
            kind: fordra_core::domain::PauseKind::Dispute,
            from: d("2024-03-25"),
            until: None,
            reason: "delivery incomplete".into(),
            plan_fee: false,
            instalments: None,
        },
    )
    .unwrap();
    let mut courier = Scripted::default();
    let r = app.deliver(&mut courier, &input(at("2024-03-25", 9))).unwrap();
    let by = |c: &str| r.handled.iter().find(|h| h.delivery.starts_with(c)).unwrap();
    assert_eq!((by("1003").status, by("1003").detail.as_str()), (DeliveryStatus::Cancelled, "paid before it was sent"));
    assert_eq!(by("1002").status, DeliveryStatus::Cancelled);
    assert!(by("1002").detail.starts_with("paused"), "{}", by("1002").detail);
    // Bert gets the dispute acknowledged in writing (a letter: no e-mail address), listing the claim.
    let ack = courier.sent.iter().find(|m| m.kind == MessageKind::Dispute).expect("a dispute acknowledgement");
    assert_eq!((ack.customer_id.0.as_str(), ack.channel), ("bert", Channel::Letter));
    assert_eq!(ack.claims.iter().map(|c| c.claim.0.as_str()).collect::<Vec<_>>(), vec!["1002"]);
    assert!(r.handled.iter().any(|h| h.delivery.starts_with("pause:") && h.status == DeliveryStatus::Sent));
    assert!(courier.sent.iter().filter(|m| m.kind != MessageKind::Dispute).all(|m| m.customer_id.0 == "anna"));
    // No fee for a letter never sent: the disputed claim's reminder is undone, its fee reversed.
    let t = app.claim_timeline(&acme(), &ClaimId("1002".into())).unwrap();
    assert_eq!(t.balances.fees, fordra_app::Minor(0), "{:?}", t.timeline);
    assert!(
        t.timeline.iter().any(|e| e.event.contains("(reverted)") && e.detail.contains("not sent: paused")),
        "{:?}",
        t.timeline
    );

    // A run reverted before its messages go out: they are cancelled with it.
    app.today = d("2024-04-20");
    app.run_day(&acme(), RunInput { date: d("2024-04-20"), dry_run: false, allow_future: false }).unwrap();
    let queued = app.deliveries(&acme(), Some(DeliveryStatus::Queued), None).unwrap();
    assert!(!queued.is_empty());
    app.revert_run(&acme(), d("2024-04-20"), "wrong date").unwrap();
    assert!(app.deliveries(&acme(), Some(DeliveryStatus::Queued), None).unwrap().is_empty());
    let cancelled = app.deliveries(&acme(), Some(DeliveryStatus::Cancelled), None).unwrap();
    assert!(cancelled.iter().any(|c| c.delivery.detail.starts_with("run 2024-04-20 reverted: wrong date")));
}

#[test]
fn retries_back_off_a_bounce_falls_back_and_an_interrupted_send_is_taken_over() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = setup(&dir);
    let law = LawBook::embedded();
    let mut app = App::new(&mut store, &law, d("2024-03-25"));
    app.run_day(&acme(), RunInput { date: d("2024-03-25"), dry_run: false, allow_future: false }).unwrap();
    let queued = app.deliveries(&acme(), Some(DeliveryStatus::Queued), None).unwrap();
    let first = queued[0].delivery.id.clone();
    let now = at("2024-03-25", 9);

    // The provider is down: tried again after a minute, then two, …
    let mut courier = Scripted::default();
    courier.answers.push_back(Sent::Retry("connection refused".into()));
    let mut one = input(now);
    one.max = 1;
    let r = app.deliver(&mut courier, &one).unwrap();
    assert_eq!(r.handled[0].status, DeliveryStatus::Queued);
    assert!(r.handled[0].detail.contains("tried again in 60 s"), "{}", r.handled[0].detail);
    let d1 = app.deliveries(&acme(), None, None).unwrap().into_iter().find(|x| x.delivery.id == first).unwrap();
    assert_eq!((d1.delivery.attempts, d1.delivery.not_before), (1, now.timestamp() + 60));

    // A worker takes a delivery and stops before recording the outcome (killed mid-send).
    let taken = app.store.take_deliveries(Some("acme"), now.timestamp(), now.timestamp() + 300, 10).unwrap();
    assert!(!taken.is_empty() && taken.iter().all(|t| t.id != first), "the retry waits its minute");
    let stuck = taken[0].id.clone();
    // Another worker before the lease runs out: nothing to take.
    let mut courier = Scripted::default();
    let r = app.deliver(&mut courier, &input(at("2024-03-25", 9) + chrono::Duration::seconds(30))).unwrap();
    assert!(r.handled.is_empty(), "{:?}", r.handled);
    // After the lease: sent again with the same key, marked in doubt.
    let later = now + chrono::Duration::seconds(301);
    let r = app.deliver(&mut courier, &input(later)).unwrap();
    let h = r.handled.iter().find(|h| h.delivery == stuck).unwrap();
    assert_eq!(h.status, DeliveryStatus::Sent);
    assert!(h.detail.contains("sent again after an interrupted try, same key"), "{}", h.detail);
    let m = courier.sent.iter().find(|m| m.key == stuck).unwrap();
    assert!(m.in_doubt);
    assert!(r.handled.iter().any(|h| h.delivery == first && h.status == DeliveryStatus::Sent), "the retry went too");

    // An e-mail that bounces is sent again as a letter.
    let mut p = app.show_policy(&acme()).unwrap();
    for s in p.models.iter_mut().flat_map(|m| m.steps.iter_mut()).filter(|s| s.channel == Channel::Letter) {
        s.channel = Channel::Email;
    }
    app.set_policy(&acme(), p, "email.toml", &|_| Vec::new()).unwrap();
    app.today = d("2024-04-20");
    app.run_day(&acme(), RunInput { date: d("2024-04-20"), dry_run: false, allow_future: false }).unwrap();
    let mut courier = Scripted::default();
    let emails = app.deliveries(&acme(), Some(DeliveryStatus::Queued), Some(Channel::Email)).unwrap();
    for _ in &emails {
        courier.answers.push_back(Sent::Bounced("550 no such user".into()));
    }
    assert!(!emails.is_empty());
    {
        let mut only_email = input(at("2024-04-20", 9));
        only_email.max = emails.len();
        app.deliver(&mut courier, &only_email).unwrap();
        let r = app.deliver(&mut courier, &input(at("2024-04-20", 9))).unwrap();
        let fallback = format!("{}/letter", emails[0].delivery.id);
        assert!(
            r.handled.iter().any(|h| h.delivery == fallback && h.status == DeliveryStatus::Sent),
            "{:?}",
            r.handled
        );
        let bounced = app.deliveries(&acme(), Some(DeliveryStatus::Bounced), None).unwrap();
        assert_eq!(bounced.len(), emails.len());
    }
}

#[test]
fn a_phone_call_becomes_a_promise_or_a_dispute() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = setup(&dir);
    let law = LawBook::embedded();
    let mut app = App::new(&mut store, &law, d("2024-03-25"));
    // Every first reminder becomes a call.
    let mut p = app.show_policy(&acme()).unwrap();
    for m in &mut p.models {
        for s in &mut m.steps {
            if s.kind == fordra_core::domain::StepKind::Reminder {
                // A call carries no reminder fee (only a written reminder may).
                (s.kind, s.channel, s.fee) =
                    (fordra_core::domain::StepKind::PhoneCall, Channel::Phone, fordra_core::model::FeeSpec::None);
            }
        }
    }
    app.set_policy(&acme(), p, "calls.toml", &|_| Vec::new()).unwrap();
    app.run_day(&acme(), RunInput { date: d("2024-03-25"), dry_run: false, allow_future: false }).unwrap();
    let tasks = app.phone_tasks(&acme(), at("2024-03-25", 9)).unwrap();
    assert!(tasks.iter().all(|t| t.call_from.is_none()), "10:00 on a Monday in Sweden");
    let night = app.phone_tasks(&acme(), at("2024-03-25", 21)).unwrap();
    assert_eq!(night[0].call_from, Some(at("2024-03-26", 7)), "22:00: from 08:00 the next banking day");
    assert!(!tasks.is_empty());
    // The worker leaves calls to advisors.
    let mut courier = Scripted::default();
    app.deliver(&mut courier, &input(at("2024-03-25", 9))).unwrap();
    assert!(courier.sent.iter().all(|m| m.channel != Channel::Phone));
    let anna = tasks.iter().find(|t| t.customer.0 == "anna").unwrap();
    assert_eq!(anna.phone.as_deref(), Some("+46701234567"));
    let r = app
        .phone_done(
            &acme(),
            &CallRecord {
                task: anna.task.clone(),
                outcome: CallOutcome::Promise,
                promise_date: Some(d("2024-04-05")),
                note: "pays on payday".into(),
            },
        )
        .unwrap();
    assert_eq!(r.pauses.len(), 2, "both of Anna's claims");
    let confirmation = r.confirmation.unwrap();
    let c = app.deliveries(&acme(), None, None).unwrap().into_iter().find(|x| x.delivery.id == confirmation).unwrap();
    assert_eq!((c.delivery.kind, c.delivery.channel), (MessageKind::Promise, Channel::Email));
    assert!(
        app.phone_tasks(&acme(), at("2024-03-25", 9)).unwrap().iter().all(|t| t.task != anna.task),
        "the task is done"
    );
    // Recorded twice: refused, nothing changes.
    let again = app.phone_done(
        &acme(),
        &CallRecord { task: anna.task.clone(), outcome: CallOutcome::Reached, promise_date: None, note: String::new() },
    );
    assert!(again.is_err());
    // A promise without a date is refused.
    let bert = tasks.iter().find(|t| t.customer.0 == "bert").unwrap();
    let e = app.phone_done(
        &acme(),
        &CallRecord { task: bert.task.clone(), outcome: CallOutcome::Promise, promise_date: None, note: String::new() },
    );
    assert!(e.unwrap_err().to_string().contains("needs its date"));
    // The claims are paused until the promised date, so the next run holds them.
    app.today = d("2024-03-28");
    let run = app.run_day(&acme(), RunInput { date: d("2024-03-28"), dry_run: true, allow_future: false }).unwrap();
    assert!(run.held.iter().any(|h| h.claim.0 == "1001"), "{:?}", run.held);
}

/// The debtor's channel: a preference moves reminders to it, a refused consent keeps a channel
/// unused, a digital mailbox receives the letters (the courier's folder is tested in comms).
#[test]
fn the_debtors_preference_consent_and_mailbox() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = setup(&dir);
    let law = LawBook::embedded();
    let mut app = App::new(&mut store, &law, d("2024-03-25"));
    let rows = b"id,name,kind,language,email,phone,channel,email_consent,sms_consent,mailbox
anna,Anna Andersson,consumer,sv,anna@example.se,+46701234567,sms,,,
bert,Bert Berg,consumer,fi,bert@example.fi,,,,,omaposti
bygg,Bygg AB,business,en,ekonomi@bygg.se,,email,no,,
";
    app.import_customers(&acme(), "prefs.csv", rows).unwrap();
    let run = app.run_day(&acme(), RunInput { date: d("2024-03-25"), dry_run: false, allow_future: false }).unwrap();
    let of = |c: &str| run.actions.iter().find(|a| a.customer.0 == c && !a.skipped).unwrap();
    assert_eq!(of("anna").channel, Channel::Sms);
    assert!(of("anna").reason.contains("the debtor prefers sms"), "{}", of("anna").reason);
    assert_eq!(of("anna").fee, fordra_app::Minor(0), "a text carries no reminder fee");
    assert_eq!(of("bygg").channel, Channel::Letter, "no consent to e-mail: {}", of("bygg").reason);
    let mut courier = Scripted::default();
    app.deliver(&mut courier, &input(at("2024-03-25", 9))).unwrap();
    let bert = courier.sent.iter().find(|m| m.customer_id.0 == "bert").unwrap();
    assert_eq!(bert.mailbox.as_deref(), Some("omaposti"));
    // Bad values are refused with the line and column.
    let e = app.import_customers(&acme(), "bad.csv", b"id,name,kind,channel\nx,X,consumer,phone\n").unwrap_err();
    assert!(e.to_string().contains("bad.csv: line 2: column channel: a debtor may prefer letter, email or sms"), "{e}");
    let e = app.import_customers(&acme(), "bad.csv", b"id,name,kind,mailbox\nx,X,consumer,dropbox\n").unwrap_err();
    assert!(e.to_string().contains("column mailbox: 'dropbox' is not one of kivra, omaposti, digipost, eboks"), "{e}");
}

/// Where the creditor tracks opening, an e-mail not opened within its days is sent again as a
/// letter; an opened one is not.
#[test]
fn an_unopened_email_becomes_a_letter() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = setup(&dir);
    let law = LawBook::embedded();
    let mut app = App::new(&mut store, &law, d("2024-03-25"));
    let mut p = app.show_policy(&acme()).unwrap();
    for s in p.models.iter_mut().flat_map(|m| m.steps.iter_mut()).filter(|s| s.channel == Channel::Letter) {
        s.channel = Channel::Email;
    }
    p.letters.letter_if_unopened_days = Some(3);
    app.set_policy(&acme(), p, "track.toml", &|_| Vec::new()).unwrap();
    app.run_day(&acme(), RunInput { date: d("2024-03-25"), dry_run: false, allow_future: false }).unwrap();
    let mut courier = Scripted::default();
    let sent_at = at("2024-03-25", 9);
    app.deliver(&mut courier, &input(sent_at)).unwrap();
    let emails: Vec<_> = courier.sent.iter().filter(|m| m.channel == Channel::Email).cloned().collect();
    assert!(emails.len() >= 2, "{}", emails.len());
    assert!(emails.iter().all(|m| m.track_opening));
    // The first is opened the next day; the others are not.
    assert!(app.email_opened(&acme(), &emails[0].key, sent_at + chrono::Duration::days(1)).unwrap());
    assert!(!app.email_opened(&acme(), "no-such/1", sent_at).unwrap());
    let r = app.deliver(&mut courier, &input(sent_at + chrono::Duration::days(2))).unwrap();
    assert!(r.handled.is_empty(), "two days: nothing yet");
    let r =
        app.deliver(&mut courier, &input(sent_at + chrono::Duration::days(3) + chrono::Duration::seconds(1))).unwrap();
    let letters: Vec<_> =
        r.handled.iter().filter(|h| h.channel == Channel::Letter).map(|h| h.delivery.clone()).collect();
    let expected: Vec<_> = emails[1..].iter().map(|m| format!("{}/letter", m.key)).collect();
    assert_eq!(letters, expected);
    // Once: the next pass sends no letter again.
    let r = app.deliver(&mut courier, &input(sent_at + chrono::Duration::days(4))).unwrap();
    assert!(r.handled.is_empty());
}

/// The contact policy's wording reaches the message: where it chose the firm wording for a
/// debtor's reminder, the message carries the firm phrase in the debtor's language; where it kept
/// the standard one (or the champion share's channel), the handling model's own.
#[test]
fn the_contact_policys_wording_reaches_the_message() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = setup(&dir);
    let law = LawBook::embedded();
    let mut app = App::new(&mut store, &law, d("2024-03-25"));
    let mut p = app.show_policy(&acme()).unwrap();
    let firm = |t: &str| [("intro-reminder".to_string(), t.to_string())].into();
    p.contact = Some(fordra_core::contact::ContactPolicy {
        champion_share: rust_decimal::Decimal::new(5, 2),
        wordings: [(
            "firm".to_string(),
            [
                ("sv".to_string(), firm("Betala nu.")),
                ("fi".to_string(), firm("Maksa nyt.")),
                ("en".to_string(), firm("Pay now.")),
            ]
            .into(),
        )]
        .into(),
        ..fordra_core::contact::ContactPolicy::new(d("2024-03-01"))
    });
    app.set_policy(&acme(), p, "contact.toml", &|_| Vec::new()).unwrap();
    // Twelve more debtors, so that the draws include both wordings whatever the seeds.
    let mut customers = String::from("id,name,kind,language,email,phone,address\n");
    let mut invoices = String::from("id,customer_id,invoice_number,issue_date,due_date,amount,currency\n");
    for i in 0..12 {
        customers.push_str(&format!("c{i},Kund {i},consumer,sv,c{i}@example.se,,Gatan {i}|411 01 Göteborg\n"));
        invoices.push_str(&format!("2{i:03},c{i},2{i:03},2024-02-14,2024-03-15,1000.00,SEK\n"));
    }
    app.import_customers(&acme(), "more.csv", customers.as_bytes()).unwrap();
    app.import_invoices(&acme(), "more-invoices.csv", invoices.as_bytes()).unwrap();
    let run = app.run_day(&acme(), RunInput { date: d("2024-03-25"), dry_run: false, allow_future: false }).unwrap();
    let mut courier = Scripted::default();
    app.deliver(&mut courier, &input(at("2024-03-25", 19))).unwrap();
    assert_eq!(courier.sent.len(), 15, "one message per debtor");
    let mut firm_seen = 0;
    for m in &courier.sent {
        let act = run.actions.iter().find(|a| a.customer.0 == m.customer_id.0 && !a.skipped).unwrap();
        let arm = act.arm.clone().unwrap_or_default();
        let wording = fordra_core::contact::parse_wording(&arm);
        assert!(arm.contains("contact:"), "{arm}");
        let expected = [("sv", "Betala nu."), ("fi", "Maksa nyt."), ("en", "Pay now.")]
            .into_iter()
            .find(|(l, _)| *l == m.language)
            .map(|(_, t)| t)
            .filter(|_| wording == Some("firm"));
        assert_eq!(m.texts.get("intro-reminder").map(String::as_str), expected, "{arm} ({})", m.language);
        firm_seen += usize::from(expected.is_some());
    }
    assert!((1..15).contains(&firm_seen), "the draws include both wordings: {firm_seen} firm of 15");
}

/// With a payday three days after the reminders fall due (the 25th, a Monday in March 2024), the contact policy holds some debtors'
/// reminders for it: on the step's day they wait, said in the run's held list with the payday,
/// and no message goes; on payday they go, labelled with the three days they were held. The
/// others go at once, labelled so. A run on the day between changes nothing.
#[test]
fn a_reminder_held_for_payday_goes_on_payday() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = setup(&dir);
    let law = LawBook::embedded();
    let mut app = App::new(&mut store, &law, d("2024-03-25"));
    let mut p = app.show_policy(&acme()).unwrap();
    p.contact = Some(fordra_core::contact::ContactPolicy {
        champion_share: rust_decimal::Decimal::new(5, 2),
        payday: Some(25),
        ..fordra_core::contact::ContactPolicy::new(d("2024-03-01"))
    });
    app.set_policy(&acme(), p, "contact.toml", &|_| Vec::new()).unwrap();
    let run = |app: &mut App<'_>, day: &str| {
        app.run_day(&acme(), RunInput { date: d(day), dry_run: false, allow_future: false }).unwrap()
    };
    let first = run(&mut app, "2024-03-22");
    let held: Vec<String> = first.held.iter().map(|h| h.claim.0.clone()).collect();
    assert!(!held.is_empty(), "the draws for these debtors on this day include a hold: {first:?}");
    for h in &first.held {
        assert!(h.reason.contains("held until payday 2024-03-25"), "{}", h.reason);
        assert!(!first.actions.iter().any(|a| a.claim.0 == h.claim.0));
    }
    let now: Vec<_> = first.actions.iter().filter(|a| !a.skipped).collect();
    assert!(!now.is_empty(), "and one sent at once");
    for a in &now {
        let arm = a.arm.clone().unwrap_or_default();
        assert_eq!(fordra_core::contact::parse_day(&arm), Some(("now", 0)), "{arm}");
    }
    let mut courier = Scripted::default();
    app.deliver(&mut courier, &input(at("2024-03-22", 19))).unwrap();
    let sent_first = courier.sent.len();
    assert!(courier.sent.iter().all(|m| !held.iter().any(|c| m.key.starts_with(&format!("{c}/")))));
    let between = run(&mut app, "2024-03-23");
    assert_eq!(between.held.iter().map(|h| h.claim.0.clone()).collect::<Vec<_>>(), held);
    assert!(between.actions.is_empty(), "{:?}", between.actions);
    let payday = run(&mut app, "2024-03-25");
    assert!(payday.held.is_empty(), "{:?}", payday.held);
    let went: Vec<String> = payday.actions.iter().map(|a| a.claim.0.clone()).collect();
    assert_eq!(went, held);
    for a in &payday.actions {
        let arm = a.arm.clone().unwrap_or_default();
        assert_eq!(fordra_core::contact::parse_day(&arm), Some(("payday", 3)), "{arm}");
        assert!(a.reason.contains("send day payday (payday 2024-03-25"), "{}", a.reason);
    }
    app.deliver(&mut courier, &input(at("2024-03-25", 19))).unwrap();
    assert!(courier.sent.len() > sent_first, "the held reminders went on payday");
}

/// Acme's contact-policy report as known on `date`, each reminder followed `horizon` days.
fn contact_report(app: &mut App<'_>, date: &str, horizon: i64) -> fordra_app::contact::ContactReportOut {
    let input = fordra_app::contact::ContactReportInput { date: d(date), horizon, costs: Default::default() };
    app.contact_report(&acme(), &input).unwrap()
}

/// A courier whose e-mails to one debtor bounce.
struct BouncesFor(&'static str, Scripted);

impl Courier for BouncesFor {
    fn send(&mut self, m: &Message) -> Sent {
        if m.customer_id.0 == self.0 && m.channel == Channel::Email {
            return Sent::Bounced("550 no such user".into());
        }
        self.1.send(m)
    }
}

/// A reminder whose e-mail bounced counts against e-mail for that debtor even where its
/// fallback letter was paid: Anna's grouped e-mail about 1001 and 1004 bounces, she pays 1001 the
/// next day (within the two-day window), and the policy's reason for her next reminder counts
/// 0 of 2 for her by e-mail (1 of 2 if the bounce were ignored). The report counts the bounces
/// per option.
#[test]
fn a_bounced_reminder_counts_against_its_channel_for_the_debtor() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = setup(&dir);
    let law = LawBook::embedded();
    let mut app = App::new(&mut store, &law, d("2024-04-10"));
    let mut p = app.show_policy(&acme()).unwrap();
    let normal = p.models.iter_mut().find(|m| m.segment == fordra_core::domain::Segment::Normal).unwrap();
    let again = fordra_core::model::Step {
        after: fordra_core::model::After::Previous,
        days: 1,
        fee: fordra_core::model::FeeSpec::None,
        ..normal.steps[0].clone()
    };
    normal.steps.insert(1, again);
    p.contact = Some(fordra_core::contact::ContactPolicy {
        champion_share: rust_decimal::Decimal::new(5, 2),
        // One option, so the reason for Anna's next reminder shows her tally by it.
        channels: vec![Channel::Email],
        hours: vec![18],
        window_days: 2,
        ..fordra_core::contact::ContactPolicy::new(d("2024-03-01"))
    });
    app.set_policy(&acme(), p, "contact.toml", &|_| Vec::new()).unwrap();
    let first = app.run_day(&acme(), RunInput { date: d("2024-03-25"), dry_run: false, allow_future: false }).unwrap();
    let anna: Vec<_> = first.actions.iter().filter(|a| a.customer.0 == "anna").collect();
    assert!(anna.iter().all(|a| a.arm.as_deref() == Some("contact:policy:email@18")), "{anna:?}");
    let mut courier = BouncesFor("anna", Scripted::default());
    app.deliver(&mut courier, &input(at("2024-03-25", 19))).unwrap();
    app.deliver(&mut courier, &input(at("2024-03-25", 20))).unwrap();
    assert!(courier.1.sent.iter().any(|m| m.customer_id.0 == "anna" && m.channel == Channel::Letter), "fell back");
    let owed = anna.iter().find(|a| a.claim.0 == "1001").unwrap().amount_to_pay.0;
    let pay = PaymentRow {
        line: 1,
        id: "P1".into(),
        claim_id: "1001".into(),
        date: d("2024-03-26"),
        amount: owed,
        currency: Currency::SEK,
        reference: None,
        payer: None,
    };
    app.book_payment_rows(&acme(), &[pay], "bank.csv").unwrap();
    // The second reminder on 1004: the first one's deadline, plus a day.
    let mut reasons = Vec::new();
    let mut day = d("2024-03-26");
    while day <= d("2024-04-10") && reasons.is_empty() {
        let r = app.run_day(&acme(), RunInput { date: day, dry_run: false, allow_future: false }).unwrap();
        reasons.extend(r.actions.iter().filter(|a| a.claim.0 == "1004").map(|a| (a.arm.clone(), a.reason.clone())));
        day = day.succ_opt().unwrap();
    }
    let (arm, reason) = reasons.first().expect("a second reminder on 1004");
    assert_eq!(arm.as_deref(), Some("contact:policy:email@18"), "{reason}");
    assert!(reason.contains("0 of 2 for this debtor"), "{reason}");
    // Bert, with no e-mail, has no option: his reminders go by the handling model's letter,
    // outside the comparison (the champion share stays a random draw).
    let bert = first.actions.iter().find(|a| a.customer.0 == "bert").unwrap();
    assert_eq!((bert.channel, bert.arm.as_deref()), (Channel::Letter, None), "{}", bert.reason);
    let report = contact_report(&mut app, "2024-04-10", 7);
    let email = report.report.options.iter().find(|o| o.option == "email@18").unwrap();
    assert_eq!(email.unreached, 2, "{:?}", report.report.options);
}

/// Where the creditor sends unopened e-mails again as letters, a contact-policy e-mail left
/// unopened did not reach the debtor: the report counts it so, like a bounce; an opened one
/// did.
#[test]
fn an_unopened_email_sent_again_as_a_letter_did_not_reach_the_debtor() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = setup(&dir);
    let law = LawBook::embedded();
    let mut app = App::new(&mut store, &law, d("2024-04-20"));
    let mut p = app.show_policy(&acme()).unwrap();
    p.letters.letter_if_unopened_days = Some(3);
    p.contact = Some(fordra_core::contact::ContactPolicy {
        champion_share: rust_decimal::Decimal::new(5, 2),
        channels: vec![Channel::Email],
        hours: vec![9],
        ..fordra_core::contact::ContactPolicy::new(d("2024-03-01"))
    });
    app.set_policy(&acme(), p, "contact.toml", &|_| Vec::new()).unwrap();
    app.run_day(&acme(), RunInput { date: d("2024-03-25"), dry_run: false, allow_future: false }).unwrap();
    let mut courier = Scripted::default();
    let sent_at = at("2024-03-25", 9);
    app.deliver(&mut courier, &input(sent_at)).unwrap();
    let emails: Vec<_> = courier.sent.iter().filter(|m| m.channel == Channel::Email).cloned().collect();
    assert_eq!(emails.len(), 2, "Anna's and Bygg's: {:?}", courier.sent);
    // Bygg opens theirs; Anna does not, and gets a letter after three days.
    let bygg = emails.iter().find(|m| m.customer_id.0 == "bygg").unwrap();
    assert!(app.email_opened(&acme(), &bygg.key, sent_at + chrono::Duration::hours(2)).unwrap());
    app.deliver(&mut courier, &input(sent_at + chrono::Duration::days(3) + chrono::Duration::seconds(1))).unwrap();
    assert!(courier.sent.iter().any(|m| m.customer_id.0 == "anna" && m.channel == Channel::Letter));
    let report = contact_report(&mut app, "2024-04-20", 14);
    let email = report.report.options.iter().find(|o| o.option == "email@9").unwrap();
    // Anna's two claims (one letter about both) did not reach her; Bygg's one did.
    assert_eq!((email.reminders, email.unreached), (3, 2), "{:?}", report.report.options);
}
