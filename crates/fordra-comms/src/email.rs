//! E-mail over SMTP with lettre: a plain-text and an HTML part, the letter as a PDF attachment,
//! and a Message-ID made from the delivery's key, so a message sent again after an interrupted
//! try carries the same id (mail stores and clients treat it as the same message). A recipient
//! the server refuses for good (5xx) is a bounce; a server that is down or busy (4xx, no
//! connection) is tried again later.

use crate::messages::Rendered;
use crate::CommsError;
use fordra_app::outbox::{Message, Sent};
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::transport::smtp::extension::ClientId;
use lettre::{SmtpTransport, Transport};
use serde::Deserialize;
use std::time::Duration;

/// How the connection is secured.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Security {
    /// STARTTLS on the submission port (587), the usual choice.
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// No encryption: only for a relay on the same machine or a test server.
    None,
}

/// An SMTP server (`[smtp]` in the configuration).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    /// Host name.
    pub host: String,
    /// Port (default: 587 for STARTTLS, 465 for TLS, 25 without).
    #[serde(default)]
    pub port: Option<u16>,
    /// starttls, tls or none.
    #[serde(default)]
    pub security: Security,
    /// User name for AUTH.
    #[serde(default)]
    pub user: Option<String>,
    /// Password for AUTH (write `${SMTP_PASSWORD}` to take it from the environment).
    #[serde(default)]
    pub password: Option<String>,
    /// The sender, e.g. "Acme AB <reskontra@acme.se>".
    pub from: String,
    /// The domain in Message-IDs (default: the sender's).
    #[serde(default)]
    pub message_id_domain: Option<String>,
    /// Seconds to wait for the server.
    #[serde(default = "default_timeout")]
    pub timeout_seconds: u64,
    /// A CA certificate (PEM file) to trust besides the public ones, for a relay with a
    /// company-internal certificate.
    #[serde(default)]
    pub ca_file: Option<std::path::PathBuf>,
}

fn default_timeout() -> u64 {
    30
}

/// A connection pool to one SMTP server.
pub struct Smtp {
    transport: SmtpTransport,
}

impl Smtp {
    /// Connects lazily (the first send opens the connection).
    pub fn new(c: &SmtpConfig) -> Result<Smtp, CommsError> {
        let cfg = |e: lettre::transport::smtp::Error| CommsError::Config(format!("smtp {}: {e}", c.host));
        let builder = match c.security {
            Security::Starttls => SmtpTransport::starttls_relay(&c.host).map_err(cfg)?.port(c.port.unwrap_or(587)),
            Security::Tls => SmtpTransport::relay(&c.host).map_err(cfg)?.port(c.port.unwrap_or(465)),
            Security::None => SmtpTransport::builder_dangerous(&c.host).port(c.port.unwrap_or(25)),
        };
        let builder = match (&c.ca_file, c.security) {
            (Some(_), Security::None) => {
                return Err(CommsError::Config("smtp.ca_file goes with security = starttls or tls".into()));
            }
            (Some(path), security) => {
                let pem = std::fs::read(path)
                    .map_err(|source| CommsError::Io { path: path.display().to_string(), source })?;
                let ca = Certificate::from_pem(&pem)
                    .map_err(|e| CommsError::Config(format!("smtp.ca_file {}: {e}", path.display())))?;
                let params =
                    TlsParameters::builder(c.host.clone()).add_root_certificate(ca).build_rustls().map_err(cfg)?;
                builder.tls(if security == Security::Tls { Tls::Wrapper(params) } else { Tls::Required(params) })
            }
            (None, _) => builder,
        };
        let builder = match (&c.user, &c.password) {
            (Some(u), Some(p)) => builder.credentials(Credentials::new(u.clone(), p.clone())),
            (None, None) => builder,
            _ => return Err(CommsError::Config("smtp: give both user and password, or neither".into())),
        };
        // Greet with the sender's domain (the machine's own name may be no valid domain, and a
        // server that refuses it would be answered with HELO, which offers no STARTTLS).
        let from: Mailbox = c.from.parse().map_err(|e| CommsError::Config(format!("smtp.from '{}': {e}", c.from)))?;
        let builder = builder.hello_name(ClientId::Domain(from.email.domain().to_string()));
        let transport = builder.timeout(Some(Duration::from_secs(c.timeout_seconds.clamp(1, 600)))).build();
        Ok(Smtp { transport })
    }

    /// Sends one e-mail.
    pub fn send(&mut self, mail: &lettre::Message) -> Sent {
        match self.transport.send(mail) {
            Ok(r) => Sent::Accepted {
                provider_ref: mail.headers().get_raw("Message-ID").map(str::to_string),
                detail: format!("accepted by the SMTP server: {}", r.code()),
            },
            // 530/534/535: our credentials, not the recipient: a failure to fix, not a bounce.
            Err(e) if e.status().is_some_and(|c| c.to_string().starts_with("53")) => {
                Sent::Failed(format!("SMTP authentication failed: {e}"))
            }
            Err(e) if e.is_permanent() => Sent::Bounced(format!("refused by the SMTP server: {e}")),
            Err(e) => Sent::Retry(format!("SMTP: {e}")),
        }
    }
}

/// The letter's body as plain text: headings as lines, items with bullets, the claims as
/// lines where the letter has its table.
pub fn plain(text: &str, claims: &[String]) -> String {
    text.lines()
        .flat_map(|l| if l.trim() == crate::messages::CLAIMS_MARKER { claims.to_vec() } else { vec![l.to_string()] })
        .map(|l| match (l.strip_prefix("## "), l.strip_prefix("- ")) {
            (Some(h), _) => h.to_string(),
            (_, Some(i)) => format!("  • {i}"),
            _ => l.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The e-mail for a message: text and HTML alternatives, the PDF attached.
pub fn compose(
    config: Option<&SmtpConfig>,
    m: &Message,
    r: &Rendered,
    to: &str,
    pdf: Vec<u8>,
) -> Result<lettre::Message, CommsError> {
    let bad = |what: &str, e: &dyn std::fmt::Display| CommsError::Template(format!("{what}: {e}"));
    let from: Mailbox = match config {
        Some(c) => c.from.parse().map_err(|e| bad("smtp.from", &e))?,
        None => Mailbox::new(
            Some(m.creditor.name.clone()),
            "noreply@fordra.invalid".parse().map_err(|e| bad("sender", &e))?,
        ),
    };
    // Built, not parsed: a name with a comma or a dot needs no quoting by hand.
    let to = Mailbox::new(
        Some(m.debtor.name.clone()),
        to.trim().parse().map_err(|e| bad(&format!("the debtor's e-mail address '{to}'"), &e))?,
    );
    let domain = config.and_then(|c| c.message_id_domain.clone()).unwrap_or_else(|| from.email.domain().to_string());
    let id = format!("<{}@{domain}>", crate::couriers::file_stem(&format!("{}/{}", m.creditor_id, m.key)));
    let attachment = Attachment::new(format!("{}.pdf", r.subject.replace(['/', '\\', '"'], "-")))
        .body(pdf, ContentType::parse("application/pdf").map_err(|e| bad("content type", &e))?);
    lettre::Message::builder()
        .from(from)
        .to(to)
        .subject(r.subject.clone())
        .message_id(Some(id))
        .multipart(
            MultiPart::mixed()
                .multipart(
                    MultiPart::alternative()
                        .singlepart(SinglePart::plain(plain(&r.text, &r.claim_lines)))
                        .singlepart(SinglePart::html(r.html.clone())),
                )
                .singlepart(attachment),
        )
        .map_err(|e| bad("e-mail", &e))
}
