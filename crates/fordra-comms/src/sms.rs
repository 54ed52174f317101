//! Text messages through SMS gateways over HTTP: a generic JSON gateway (URL, auth header, body
//! template) and 46elks (Sweden; `POST /a1/sms`, form fields from, to and message, HTTP basic
//! auth: <https://46elks.com/docs/send-sms>). The delivery's key goes in an `Idempotency-Key`
//! header, so a gateway that honours it sends a retried text once. Segments are counted as
//! the network will: GSM 03.38 7-bit (160 characters, 153 per part when split; the extension
//! characters count twice) or, with any other character, UCS-2 (70, 67 per part).

use crate::CommsError;
use fordra_app::outbox::{Message, Sent};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// The GSM 03.38 basic character set.
const GSM_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// The extension table (an escape and the character: two septets each).
const GSM_EXTENDED: &str = "^{}\\[~]|€\u{c}";

/// How a text is encoded and into how many parts it is split.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Segments {
    /// "GSM-7" or "UCS-2".
    pub encoding: &'static str,
    /// Characters (septets for GSM-7, UTF-16 units for UCS-2).
    pub units: usize,
    /// Parts the network sends (and the gateway bills).
    pub parts: usize,
}

/// Counts a text's parts.
pub fn segments(text: &str) -> Segments {
    let gsm: Option<usize> = text
        .chars()
        .map(|c| {
            if GSM_BASIC.contains(c) {
                Some(1)
            } else if GSM_EXTENDED.contains(c) {
                Some(2)
            } else {
                None
            }
        })
        .sum();
    let (encoding, units, single, multi) = match gsm {
        Some(n) => ("GSM-7", n, 160, 153),
        None => ("UCS-2", text.encode_utf16().count(), 70, 67),
    };
    let parts = if units <= single { 1 } else { units.div_ceil(multi) };
    Segments { encoding, units, parts }
}

/// Which gateway.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    /// Any gateway taking JSON: `url`, `auth_header`, `body` (a MiniJinja template with `to`,
    /// `sender`, `text` and `key`, each written as a JSON string).
    Generic,
    /// 46elks (`url` defaults to <https://api.46elks.com/a1/sms>; `user` and `password` are the
    /// API username and password).
    Elks,
}

/// An SMS gateway (`[sms]` in the configuration).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsConfig {
    /// generic or elks.
    pub provider: Provider,
    /// The gateway's URL.
    #[serde(default)]
    pub url: Option<String>,
    /// The sender id shown on the phone (at most 11 letters or digits, or a number).
    pub sender: String,
    /// Generic: the Authorization header's value (e.g. "Bearer ${SMS_TOKEN}").
    #[serde(default)]
    pub auth_header: Option<String>,
    /// Generic: the request body template.
    #[serde(default)]
    pub body: Option<String>,
    /// 46elks: API username.
    #[serde(default)]
    pub user: Option<String>,
    /// 46elks: API password.
    #[serde(default)]
    pub password: Option<String>,
    /// Most parts a text may take (longer texts fail rather than cost more).
    #[serde(default = "default_max_parts")]
    pub max_parts: usize,
}

fn default_max_parts() -> usize {
    3
}

const DEFAULT_BODY: &str = r#"{"to": {{ to }}, "from": {{ sender }}, "message": {{ text }}, "reference": {{ key }}}"#;

/// A gateway ready to send.
pub struct Gateway {
    config: SmsConfig,
    agent: ureq::Agent,
    body: minijinja::Environment<'static>,
}

impl Gateway {
    /// Checks the configuration.
    pub fn new(c: &SmsConfig) -> Result<Gateway, CommsError> {
        let sender_ok = (1..=11).contains(&c.sender.chars().count())
            && c.sender.chars().all(|x| x.is_ascii_alphanumeric())
            || (c.sender.starts_with('+') && c.sender.len() <= 16);
        if !sender_ok {
            return Err(CommsError::Config(format!(
                "sms.sender '{}': 1–11 letters or digits, or a phone number in +format",
                c.sender
            )));
        }
        if c.provider == Provider::Generic && c.url.is_none() {
            return Err(CommsError::Config("sms: the generic gateway needs its url".into()));
        }
        if c.provider == Provider::Elks && (c.user.is_none() || c.password.is_none()) {
            return Err(CommsError::Config("sms: 46elks needs user and password".into()));
        }
        let mut body = minijinja::Environment::new();
        body.set_fuel(Some(10_000));
        body.set_auto_escape_callback(|_| minijinja::AutoEscape::Json);
        body.add_template_owned("body", c.body.clone().unwrap_or_else(|| DEFAULT_BODY.to_string()))
            .map_err(|e| CommsError::Config(format!("sms.body: {e}")))?;
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(30)))
            .http_status_as_error(false)
            .build()
            .into();
        Ok(Gateway { config: c.clone(), agent, body })
    }

    /// Sends one text.
    pub fn send(&mut self, m: &Message, to: &str, text: &str) -> Sent {
        let seg = segments(text);
        if seg.parts > self.config.max_parts {
            return Sent::Failed(format!(
                "the text takes {} {} parts, more than {}",
                seg.parts, seg.encoding, self.config.max_parts
            ));
        }
        let c = &self.config;
        let response = match c.provider {
            Provider::Generic => {
                let body = self
                    .body
                    .get_template("body")
                    .and_then(|t| t.render(minijinja::context! { to, sender => &c.sender, text, key => &m.key }));
                let body = match body {
                    Ok(b) => b,
                    Err(e) => return Sent::Failed(format!("sms.body: {e}")),
                };
                let mut req = self
                    .agent
                    .post(c.url.as_deref().unwrap_or_default())
                    .header("Content-Type", "application/json")
                    .header("Idempotency-Key", &m.key);
                if let Some(a) = &c.auth_header {
                    req = req.header("Authorization", a);
                }
                req.send(body.as_bytes())
            }
            Provider::Elks => {
                let auth = format!("{}:{}", c.user.as_deref().unwrap_or(""), c.password.as_deref().unwrap_or(""));
                self.agent
                    .post(c.url.as_deref().unwrap_or("https://api.46elks.com/a1/sms"))
                    .header("Authorization", &format!("Basic {}", base64(auth.as_bytes())))
                    .header("Idempotency-Key", &m.key)
                    .send_form([("from", c.sender.as_str()), ("to", to), ("message", text)])
            }
        };
        let mut response = match response {
            Ok(r) => r,
            Err(e) => return Sent::Retry(format!("SMS gateway: {e}")),
        };
        let status = response.status().as_u16();
        let body = response.body_mut().read_to_string().unwrap_or_default();
        let id = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("id").map(|i| i.as_str().map_or_else(|| i.to_string(), str::to_string)));
        match status {
            200..=299 => Sent::Accepted {
                provider_ref: id,
                detail: format!("accepted by the SMS gateway ({} {} part(s))", seg.parts, seg.encoding),
            },
            408 | 429 | 500..=599 => Sent::Retry(format!("SMS gateway answered {status}")),
            401 | 403 => Sent::Failed(format!("SMS gateway refused our credentials ({status})")),
            _ => Sent::Bounced(format!(
                "SMS gateway refused the text ({status}): {}",
                body.chars().take(200).collect::<String>()
            )),
        }
    }
}

fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gsm_and_ucs2_segments() {
        assert_eq!(segments("Betala senast 30 november"), Segments { encoding: "GSM-7", units: 25, parts: 1 });
        assert_eq!(segments(&"a".repeat(160)).parts, 1);
        assert_eq!(segments(&"a".repeat(161)).parts, 2);
        assert_eq!(segments(&"a".repeat(306)).parts, 2);
        assert_eq!(segments(&"a".repeat(307)).parts, 3);
        // The euro sign is in the extension table: two septets.
        assert_eq!(segments("12,25 €").units, 8);
        // Finnish "õ" or a Polish "ł" is not GSM-7: the whole text goes as UCS-2.
        assert_eq!(segments("Maksa 12,25 € ł"), Segments { encoding: "UCS-2", units: 15, parts: 1 });
        assert_eq!(segments(&"ł".repeat(71)).parts, 2);
    }
}
