//! E-mail and SMS against real servers on loopback: an SMTP server (Python's aiosmtpd, started
//! here) and an HTTP server standing in for the SMS gateway (a thread with a TCP listener).

mod common;
mod support;

use support::{smtp_config, Gateway, SmtpServer};

use fordra_app::outbox::{Courier, Sent};
use fordra_comms::couriers::{Config, Couriers};
use fordra_comms::sms::{Provider, SmsConfig};
use fordra_core::domain::{Channel, JurisdictionCode, MessageKind};

/// An e-mail arrives at the SMTP server with its text, HTML and the PDF letter, in the
/// debtor's language; a recipient the server refuses is a bounce.
#[test]
fn email_arrives_with_the_letter_and_a_refused_address_bounces() {
    let server = SmtpServer::start();
    let links = fordra_comms::links::LinkConfig {
        base_url: "https://pay.acme.example".into(),
        secret: "s".repeat(40),
        valid_days: 30,
    };
    let config = Config { smtp: Some(smtp_config(server.port)), links: Some(links), ..Config::default() };
    let mut couriers = Couriers::new(config).unwrap();
    let mut m = common::message(JurisdictionCode::SE, "sv", "SEK", MessageKind::Reminder);
    m.channel = Channel::Email;
    m.track_opening = true;
    match couriers.send(&m) {
        Sent::Accepted { provider_ref, .. } => assert!(provider_ref.unwrap().contains("@acme.example")),
        other => panic!("{other:?}"),
    }
    let got = server.received();
    assert_eq!(got.len(), 1);
    let mail = &got[0];
    assert_eq!(mail["subject"], "Betalningspåminnelse");
    assert_eq!(mail["to"], "Eva Ek <eva@example.se>");
    assert!(mail["message_id"].as_str().unwrap().starts_with("<acme_INV-1001_2-"), "{mail}");
    let plain = mail["plain"].as_str().unwrap();
    assert!(
        plain.contains("Hej Eva Ek") && plain.contains("1001 · Förfallodag 15 oktober 2026 · 1\u{a0}072,34 kr"),
        "{plain}"
    );
    assert!(mail["html"].as_str().unwrap().contains("<td>1001</td>"));
    // The debtor's page, signed, in both parts.
    assert!(plain.contains("https://pay.acme.example/d/acme/C-7?exp="), "{plain}");
    let html = mail["html"].as_str().unwrap().replace("&#x2f;", "/").replace("&amp;", "&");
    assert!(html.contains("<a href=\"https://pay.acme.example/d/acme/C-7?exp="), "{html}");
    assert!(
        html.contains("<img src=\"https://pay.acme.example/o/acme/INV-1001%2F2?sig="),
        "opening is tracked: {html}"
    );
    let att = &mail["attachments"][0];
    assert_eq!(att[0], "Betalningspåminnelse.pdf");
    assert_eq!(att[1], "application/pdf");
    assert!(att[2].as_u64().unwrap() > 10_000);

    m.debtor.email = Some("bounce@example.se".into());
    match couriers.send(&m) {
        Sent::Bounced(why) => assert!(why.contains("550"), "{why}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(server.received().len(), 1, "nothing more arrived");
}

fn sms_config(provider: Provider, url: &str) -> SmsConfig {
    SmsConfig {
        provider,
        url: Some(url.to_string()),
        sender: "Acme".into(),
        auth_header: Some("Bearer t0ken".into()),
        body: None,
        user: Some("u123".into()),
        password: Some("secret".into()),
        max_parts: 3,
    }
}

/// The generic JSON gateway gets the text, the number, the sender, the auth header and the
/// delivery's key as Idempotency-Key.
#[test]
fn sms_reaches_a_generic_json_gateway() {
    let gw = Gateway::start(200);
    let config = Config { sms: Some(sms_config(Provider::Generic, &gw.url)), ..Config::default() };
    let mut couriers = Couriers::new(config).unwrap();
    let mut m = common::message(JurisdictionCode::FI, "fi", "EUR", MessageKind::Reminder);
    m.channel = Channel::Sms;
    match couriers.send(&m) {
        Sent::Accepted { provider_ref, detail } => {
            assert_eq!(provider_ref.as_deref(), Some("sms-INV-1001/2"));
            assert!(detail.contains("1 GSM-7"), "{detail}");
        }
        other => panic!("{other:?}"),
    }
    let reqs = gw.requests.lock().unwrap().clone();
    assert_eq!(reqs.len(), 1);
    let r = &reqs[0];
    assert_eq!(r.header("idempotency-key"), Some("INV-1001/2"));
    assert_eq!(r.header("authorization"), Some("Bearer t0ken"));
    let body: serde_json::Value = serde_json::from_str(&r.body).unwrap();
    assert_eq!(body["to"], "+46701234567");
    assert_eq!(body["from"], "Acme");
    assert_eq!(
        body["message"],
        "Acme AB: emme ole saaneet maksua 1 080,56 € (viite 11112). Maksa viimeistään 16.11.2026."
    );
}

/// 46elks: form fields and HTTP basic auth, as its API documents; a 400 is a refused text.
#[test]
fn sms_reaches_46elks_and_a_refusal_is_a_bounce() {
    let gw = Gateway::start(200);
    let mut couriers =
        Couriers::new(Config { sms: Some(sms_config(Provider::Elks, &gw.url)), ..Config::default() }).unwrap();
    let mut m = common::message(JurisdictionCode::SE, "sv", "SEK", MessageKind::Reminder);
    m.channel = Channel::Sms;
    assert!(matches!(couriers.send(&m), Sent::Accepted { .. }));
    let r = gw.requests.lock().unwrap()[0].clone();
    assert_eq!(r.header("authorization"), Some("Basic dTEyMzpzZWNyZXQ="));
    assert_eq!(r.header("content-type"), Some("application/x-www-form-urlencoded"));
    assert!(r.body.starts_with("from=Acme&to=%2B46701234567&message=Acme+AB%3A+vi+har+inte"), "{}", r.body);

    let refusing = Gateway::start(400);
    let mut couriers =
        Couriers::new(Config { sms: Some(sms_config(Provider::Elks, &refusing.url)), ..Config::default() }).unwrap();
    assert!(matches!(couriers.send(&m), Sent::Bounced(_)));
    let down = Gateway::start(503);
    let mut couriers =
        Couriers::new(Config { sms: Some(sms_config(Provider::Generic, &down.url)), ..Config::default() }).unwrap();
    assert!(matches!(couriers.send(&m), Sent::Retry(_)));
}

/// A debtor with a digital mailbox gets the letter in that provider's batch, not on paper.
#[test]
fn a_mailbox_debtors_letter_goes_to_the_mailbox_batch() {
    let dir = tempfile::tempdir().unwrap();
    let mut couriers = Couriers::new(Config { out: Some(dir.path().to_path_buf()), ..Config::default() }).unwrap();
    let mut m = common::message(JurisdictionCode::FI, "fi", "EUR", MessageKind::Reminder);
    m.mailbox = Some("omaposti".into());
    match couriers.send(&m) {
        Sent::Delivered { detail, .. } => assert!(detail.contains("omaposti batch"), "{detail}"),
        other => panic!("{other:?}"),
    }
    let folder = dir.path().join("2026-11-02/omaposti");
    let b = fordra_comms::batch::export(&folder).unwrap();
    assert_eq!(b.letters, 1);
    assert!(!dir.path().join("2026-11-02/print").exists());
}

/// A submission server with STARTTLS and AUTH, its certificate signed by a CA given in the
/// configuration: the e-mail arrives; a wrong password is a failure, not a bounce.
#[test]
fn email_over_starttls_with_authentication() {
    let (server, ca) = SmtpServer::start_tls("reskontra", "hemligt");
    let config = |password: &str| fordra_comms::email::SmtpConfig {
        host: "localhost".into(),
        security: fordra_comms::email::Security::Starttls,
        user: Some("reskontra".into()),
        password: Some(password.into()),
        ca_file: Some(ca.clone()),
        ..smtp_config(server.port)
    };
    let mut m = common::message(JurisdictionCode::SE, "sv", "SEK", MessageKind::Reminder);
    m.channel = Channel::Email;
    let mut couriers = Couriers::new(Config { smtp: Some(config("hemligt")), ..Config::default() }).unwrap();
    let sent = couriers.send(&m);
    assert!(matches!(sent, Sent::Accepted { .. }), "{sent:?}");
    assert_eq!(server.received().len(), 1);
    let mut wrong = Couriers::new(Config { smtp: Some(config("fel")), ..Config::default() }).unwrap();
    match wrong.send(&m) {
        Sent::Failed(why) => assert!(why.contains("authentication"), "{why}"),
        other => panic!("{other:?}"),
    }
    // Without the CA the server's certificate is not trusted: nothing is sent.
    let untrusted = fordra_comms::email::SmtpConfig { ca_file: None, ..config("hemligt") };
    let mut couriers = Couriers::new(Config { smtp: Some(untrusted), ..Config::default() }).unwrap();
    assert!(!matches!(couriers.send(&m), Sent::Accepted { .. }));
    assert_eq!(server.received().len(), 1);
}
