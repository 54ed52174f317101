//! The couriers: each message goes out on its channel. Letters (and EDI) become PDFs in the
//! day's print batch, with a record for the batch manifest; e-mails go to an SMTP server (or,
//! with none configured, into a pickup directory as .eml files); texts go to an SMS gateway (or
//! a pickup directory). Every file is named by the delivery's key, so a message written twice
//! (a worker stopped between writing and recording) is the same file.

use crate::messages::{Rendered, Renderer};
use crate::pdf::LetterPdf;
use crate::CommsError;
use fordra_app::outbox::{Courier, Message, Sent};
use fordra_core::domain::Channel;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// How messages leave Fordra (`fordra.toml`, or flags and environment variables).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where print and mailbox batches and pickup directories are written (default `./out`).
    #[serde(default)]
    pub out: Option<PathBuf>,
    /// The SMTP server for e-mail (none: e-mails are written to `out/DATE/email/` as .eml).
    #[serde(default)]
    pub smtp: Option<crate::email::SmtpConfig>,
    /// The SMS gateway (none: texts are written to `out/DATE/sms/`).
    #[serde(default)]
    pub sms: Option<crate::sms::SmsConfig>,
    /// Links to the debtor's page in letters, e-mails and texts.
    #[serde(default)]
    pub links: Option<crate::links::LinkConfig>,
}

impl Config {
    /// Reads a TOML configuration; `${NAME}` in a value is the environment variable NAME (so
    /// passwords and keys stay out of the file).
    pub fn parse(text: &str, origin: &str) -> Result<Config, CommsError> {
        let expanded = expand_env(text).map_err(|e| CommsError::Config(format!("{origin}: {e}")))?;
        toml::from_str(&expanded).map_err(|e| CommsError::Config(format!("{origin}: {}", e.message())))
    }

    /// The configuration in `path`, else `./fordra.toml` when it exists, else the defaults
    /// (everything written to `./out`): what `fordra deliver` and `fordra serve` read.
    pub fn load(path: Option<&Path>) -> Result<Config, CommsError> {
        let default = Path::new("fordra.toml");
        let Some(path) = path.or_else(|| default.exists().then_some(default)) else { return Ok(Config::default()) };
        let origin = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|e| CommsError::Config(format!("{origin}: {e}")))?;
        let text = fordra_app::input::config_text(&origin, &bytes).map_err(|e| CommsError::Config(e.to_string()))?;
        Config::parse(&text, &origin)
    }

    /// The output folder.
    pub fn out_dir(&self) -> PathBuf {
        self.out.clone().unwrap_or_else(|| PathBuf::from("out"))
    }
}

fn expand_env(text: &str) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("${") {
        out.push_str(rest.get(..i).unwrap_or(""));
        let after = rest.get(i + 2..).unwrap_or("");
        let end = after.find('}').ok_or("an unclosed ${ in the configuration")?;
        let name = after.get(..end).unwrap_or("");
        let value = std::env::var(name).map_err(|_| format!("environment variable {name} is not set"))?;
        // Quoted TOML strings: keep the value literal.
        out.push_str(&value.replace('\\', "\\\\").replace('"', "\\\""));
        rest = after.get(end + 1..).unwrap_or("");
    }
    out.push_str(rest);
    Ok(out)
}

/// A file name for a delivery key: readable, and distinct for distinct keys ("C-17/3" →
/// "C-17_3-1a2b3c4d").
pub fn file_stem(key: &str) -> String {
    let clean: String =
        key.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c } else { '_' }).take(80).collect();
    format!("{clean}-{:08x}", fordra_core::domain::fnv1a(key.bytes()) as u32)
}

/// What a print or mailbox batch's manifest says of one letter.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ManifestRow {
    /// The delivery.
    pub key: String,
    /// The creditor.
    pub creditor: String,
    /// The recipient.
    pub recipient: String,
    /// Address lines joined with " | ".
    pub address: String,
    /// National id or organisation number, where known.
    pub national_id: String,
    /// The reference to pay with.
    pub reference: String,
    /// Amount to pay (decimal).
    pub amount: String,
    /// Currency.
    pub currency: String,
    /// The deadline.
    pub deadline: String,
    /// The letter's language.
    pub language: String,
    /// The PDF's file name.
    pub file: String,
}

/// Sends messages on every channel.
pub struct Couriers {
    renderer: Renderer,
    pdf: LetterPdf,
    config: Config,
    smtp: Option<crate::email::Smtp>,
    sms: Option<crate::sms::Gateway>,
}

impl Couriers {
    /// Couriers for a configuration.
    pub fn new(config: Config) -> Result<Couriers, CommsError> {
        let smtp = config.smtp.as_ref().map(crate::email::Smtp::new).transpose()?;
        let sms = config.sms.as_ref().map(crate::sms::Gateway::new).transpose()?;
        Ok(Couriers { renderer: Renderer::new()?, pdf: LetterPdf::new()?, config, smtp, sms })
    }

    /// The phrases and templates.
    pub fn renderer(&self) -> &Renderer {
        &self.renderer
    }

    /// The message rendered, with the debtor's page link.
    pub fn render(&self, m: &Message) -> Result<Rendered, CommsError> {
        let links = self.config.links.as_ref();
        let link = links.map(|l| l.link(m)).transpose()?;
        let pixel =
            links.filter(|_| m.track_opening && m.channel == Channel::Email).map(|l| l.open_pixel(m)).transpose()?;
        self.renderer.render_tracked(m, &m.texts, link.as_deref(), pixel.as_deref())
    }

    /// The message as a PDF letter.
    pub fn letter(&self, m: &Message) -> Result<(Rendered, Vec<u8>), CommsError> {
        let r = self.render(m)?;
        let pdf = self.pdf.render(&self.renderer, m, &r)?;
        Ok((r, pdf))
    }

    fn day_dir(&self, m: &Message, what: &str) -> Result<PathBuf, CommsError> {
        let dir = self.config.out_dir().join(m.date.to_string()).join(what);
        std::fs::create_dir_all(&dir).map_err(|source| CommsError::Io { path: dir.display().to_string(), source })?;
        Ok(dir)
    }

    fn print(&self, m: &Message) -> Result<Sent, CommsError> {
        let (_, pdf) = self.letter(m)?;
        // A debtor with a digital mailbox gets the letter there; everyone else on paper.
        let batch = m.mailbox.as_deref().unwrap_or("print");
        let dir = self.day_dir(m, batch)?;
        let stem = file_stem(&format!("{}/{}", m.creditor_id, m.key));
        let file = format!("{stem}.pdf");
        write_atomic(&dir.join(&file), &pdf)?;
        let row = ManifestRow {
            key: m.key.clone(),
            creditor: m.creditor_id.to_string(),
            recipient: m.debtor.name.clone(),
            address: m.debtor.address.join(" | "),
            national_id: m.debtor.org_no.clone().unwrap_or_default(),
            reference: m.payment.reference.clone().unwrap_or_default(),
            amount: m.payment.amount.to_string(),
            currency: m.payment.currency.to_string(),
            deadline: m.deadline.map(|d| d.to_string()).unwrap_or_default(),
            language: self.renderer.language_of(m).to_string(),
            file: file.clone(),
        };
        let json = serde_json::to_vec_pretty(&row).map_err(|e| CommsError::Template(e.to_string()))?;
        write_atomic(&dir.join(format!("{stem}.json")), &json)?;
        Ok(Sent::Delivered { provider_ref: Some(file), detail: format!("in the {batch} batch {}", dir.display()) })
    }

    fn email(&mut self, m: &Message) -> Result<Sent, CommsError> {
        let Some(to) = m.debtor.email.clone() else {
            return Ok(Sent::Bounced("no e-mail address".into()));
        };
        let (r, pdf) = self.letter(m)?;
        let mail = crate::email::compose(self.config.smtp.as_ref(), m, &r, &to, pdf)?;
        match &mut self.smtp {
            Some(smtp) => Ok(smtp.send(&mail)),
            None => {
                let dir = self.day_dir(m, "email")?;
                let file = format!("{}.eml", file_stem(&format!("{}/{}", m.creditor_id, m.key)));
                write_atomic(&dir.join(&file), &mail.formatted())?;
                Ok(Sent::Accepted { provider_ref: Some(file), detail: format!("written to {}", dir.display()) })
            }
        }
    }

    fn text(&mut self, m: &Message) -> Result<Sent, CommsError> {
        let Some(to) = m.debtor.phone.clone() else {
            return Ok(Sent::Bounced("no mobile number".into()));
        };
        let r = self.render(m)?;
        match &mut self.sms {
            Some(g) => Ok(g.send(m, &to, &r.sms)),
            None => {
                let dir = self.day_dir(m, "sms")?;
                let file = format!("{}.json", file_stem(&format!("{}/{}", m.creditor_id, m.key)));
                let body = serde_json::json!({ "to": to, "text": r.sms, "key": m.key, "segments": crate::sms::segments(&r.sms) });
                write_atomic(&dir.join(&file), body.to_string().as_bytes())?;
                Ok(Sent::Accepted { provider_ref: Some(file), detail: format!("written to {}", dir.display()) })
            }
        }
    }
}

impl Courier for Couriers {
    fn send(&mut self, m: &Message) -> Sent {
        let r = match m.channel {
            Channel::Letter | Channel::Edi => self.print(m),
            Channel::Email => self.email(m),
            Channel::Sms => self.text(m),
            Channel::Phone => Ok(Sent::Failed("a phone task is for an advisor, not a courier".into())),
        };
        r.unwrap_or_else(|e| match e {
            // A disk full or a folder not writable may pass; a message that cannot be rendered will not.
            CommsError::Io { .. } => Sent::Retry(e.to_string()),
            e => Sent::Failed(e.to_string()),
        })
    }
}

/// Writes a file whole or not at all (a temporary file renamed into place).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), CommsError> {
    let io = |source| CommsError::Io { path: path.display().to_string(), source };
    let tmp = path.with_extension("part");
    std::fs::write(&tmp, bytes).map_err(io)?;
    std::fs::rename(&tmp, path).map_err(io)
}
