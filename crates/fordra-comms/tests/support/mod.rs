//! Real servers on loopback for the channel tests (also used by the CLI's delivery tests):
//! an SMTP server (Python's aiosmtpd) and an HTTP server standing in for an SMS gateway.

#![allow(dead_code, reason = "each test file uses part of it")]

use fordra_comms::email::{Security, SmtpConfig};
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
        SmtpServer::start_slow(0)
    }

    /// A server that takes `delay_ms` to accept each message (the message is stored at the end).
    pub fn start_slow(delay_ms: u64) -> SmtpServer {
        SmtpServer::start_with(delay_ms, &[])
    }

    /// A submission server that requires STARTTLS with a certificate for "localhost" signed by
    /// a test CA (made here with openssl; the CA's PEM is returned) and then AUTH as `user` /
    /// `password`.
    pub fn start_tls(user: &str, password: &str) -> (SmtpServer, PathBuf) {
        let d = tempfile::tempdir().unwrap().keep();
        let openssl = |args: &[&str]| {
            let ok = Command::new("openssl")
                .args(args)
                .current_dir(&d)
                .stderr(std::process::Stdio::null())
                .status()
                .expect("openssl runs");
            assert!(ok.success(), "openssl {args:?}");
        };
        std::fs::write(
            d.join("leaf.ext"),
            "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n",
        )
        .unwrap();
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=Fordra test CA",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
        ]);
        openssl(&[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "key.pem",
            "-out",
            "leaf.csr",
        ]);
        openssl(&[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "1",
            "-extfile",
            "leaf.ext",
            "-out",
            "cert.pem",
        ]);
        let args = [d.join("cert.pem"), d.join("key.pem")].map(|p| p.display().to_string());
        let args = [args[0].clone(), args[1].clone(), user.to_string(), password.to_string()];
        (SmtpServer::start_with(0, &args), d.join("ca.pem"))
    }

    fn start_with(delay_ms: u64, tls: &[String]) -> SmtpServer {
        let dir = tempfile::tempdir().unwrap();
        let mail = dir.path().join("mail");
        std::fs::create_dir(&mail).unwrap();
        let port_file = dir.path().join("port");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fordra-comms/tests/smtp_server.py");
        let child = Command::new("python3")
            .arg(script)
            .arg(&port_file)
            .arg(&mail)
            .arg(delay_ms.to_string())
            .args(tls)
            .spawn()
            .expect("python3 runs");
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
        ca_file: None,
    }
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
