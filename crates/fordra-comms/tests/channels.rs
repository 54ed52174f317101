//! E-mail and SMS against real servers on loopback: an SMTP server (Python's aiosmtpd, started
//! here) and an HTTP server standing in for the SMS gateway (a thread with a TCP listener).

mod common;

use fordra_app::outbox::{Courier, Sent};
use fordra_comms::couriers::{Config, Couriers};
use fordra_comms::email::{Security, SmtpConfig};
use fordra_comms::sms::{Provider, SmsConfig};
use fordra_core::domain::{Channel, JurisdictionCode, MessageKind};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The SMTP server, stopped when dropped.
pub struct SmtpServer {
    child: Child,
    pub port: u16,
    pub mail: PathBuf,
    _dir: tempfile::TempDir,
}

impl SmtpServer {
    pub fn start() -> SmtpServer {
        let dir = tempfile::tempdir().unwrap();
        let mail = dir.path().join("mail");
        std::fs::create_dir(&mail).unwrap();
        let port_file = dir.path().join("port");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/smtp_server.py");
        let child = Command::new("python3").arg(script).arg(&port_file).arg(&mail).spawn().expect("python3 runs");
        let start = Instant::now();
        while !port_file.exists() {
            assert!(start.elapsed() < Duration::from_secs(20), "the SMTP server (aiosmtpd) did not start");
            std::thread::sleep(Duration::from_millis(50));
        }
        let port = std::fs::read_to_string(&port_file).unwrap().trim().parse().unwrap();
        SmtpServer { child, port, mail, _dir: dir }
    }

    /// The messages received, parsed by Python's email package: subject, to, message id, the
    /// plain and HTML parts and the attachments' names and sizes.
    pub fn received(&self) -> Vec<serde_json::Value> {
        let mut files: Vec<_> = std::fs::read_dir(&self.mail).unwrap().map(|e| e.unwrap().path()).collect();
        files.retain(|f| f.extension().is_some_and(|e| e == "eml"));
        files.sort();
        files.iter().map(|f| parse_mail(f)).collect()
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const PARSE: &str = r#"
import email, email.policy, json, sys
m = email.message_from_binary_file(open(sys.argv[1], 'rb'), policy=email.policy.default)
plain = m.get_body(('plain',)); html = m.get_body(('html',))
print(json.dumps({
    'subject': str(m['subject']), 'to': str(m['to']), 'from': str(m['from']), 'message_id': str(m['message-id']),
    'plain': plain.get_content() if plain else None, 'html': html.get_content() if html else None,
    'attachments': [[a.get_filename(), a.get_content_type(), len(a.get_content())] for a in m.iter_attachments()],
}))
"#;

fn parse_mail(f: &Path) -> serde_json::Value {
    let out = Command::new("python3").args(["-c", PARSE]).arg(f).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).unwrap()
}

pub fn smtp_config(port: u16) -> SmtpConfig {
    SmtpConfig {
        host: "127.0.0.1".into(),
        port: Some(port),
        security: Security::None,
        user: None,
        password: None,
        from: "Acme AB <reskontra@acme.example>".into(),
        message_id_domain: None,
        timeout_seconds: 10,
    }
}

/// An e-mail arrives at the SMTP server with its text, HTML and the PDF letter, in the
/// debtor's language; a recipient the server refuses is a bounce.
#[test]
fn email_arrives_with_the_letter_and_a_refused_address_bounces() {
    let server = SmtpServer::start();
    let config = Config { smtp: Some(smtp_config(server.port)), ..Config::default() };
    let mut couriers = Couriers::new(config).unwrap();
    let mut m = common::message(JurisdictionCode::SE, "sv", "SEK", MessageKind::Reminder);
    m.channel = Channel::Email;
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

/// What the fake gateway received: method, path, headers (lower-case) and body.
#[derive(Clone, Debug)]
pub struct Request {
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

/// An HTTP server on loopback answering every request with `status` and a JSON id; it keeps
/// what it received. Like real gateways it returns the first answer again for a repeated
/// Idempotency-Key (and counts each key's text once).
pub struct Gateway {
    pub url: String,
    pub requests: Arc<Mutex<Vec<Request>>>,
}

impl Gateway {
    pub fn start(status: u16) -> Gateway {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/sms", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&requests);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
                let mut headers = Vec::new();
                loop {
                    let mut h = String::new();
                    reader.read_line(&mut h).unwrap();
                    let h = h.trim_end();
                    if h.is_empty() {
                        break;
                    }
                    let (k, v) = h.split_once(':').unwrap();
                    headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
                }
                let len = headers.iter().find(|(k, _)| k == "content-length").map_or(0, |(_, v)| v.parse().unwrap());
                let mut body = vec![0; len];
                reader.read_exact(&mut body).unwrap();
                let req = Request { path, headers, body: String::from_utf8(body).unwrap() };
                let key = req.header("idempotency-key").unwrap_or("").to_string();
                let answer = format!("{{\"id\": \"sms-{key}\"}}");
                seen.lock().unwrap().push(req);
                let reply = format!(
                    "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                    answer.len()
                );
                let _ = stream.write_all(reply.as_bytes());
            }
        });
        Gateway { url, requests }
    }
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
