//! Links to the debtor's own page in letters, e-mails and texts: the path names the creditor and
//! the debtor, the query an expiry time and an HMAC-SHA256 signature over both, so the page can
//! tell a link Fordra made from a guessed one without storing anything. The page itself is the
//! web service's.

use crate::CommsError;
use fordra_app::outbox::Message;
use hmac::{Hmac, Mac};
use serde::Deserialize;
use sha2::Sha256;

/// Where the debtor's page lives (`[links]` in the configuration).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkConfig {
    /// The page's base URL, e.g. "https://pay.example.se".
    pub base_url: String,
    /// The signing secret (write `${FORDRA_LINK_SECRET}` to take it from the environment); at
    /// least 32 characters.
    pub secret: String,
    /// Days a link stays valid after the letter's deadline.
    #[serde(default = "default_days")]
    pub valid_days: i64,
}

/// What a debtor's link is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LinkCheck {
    /// Fordra's, and not expired.
    Valid,
    /// Fordra's, but past its expiry.
    Expired,
    /// Not Fordra's (another debtor, another expiry, another secret, not a signature).
    Forged,
}

fn default_days() -> i64 {
    60
}

fn signature(secret: &str, creditor: &str, customer: &str, expires: i64) -> Result<String, CommsError> {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes())
        .map_err(|e| CommsError::Config(format!("links.secret: {e}")))?;
    mac.update(format!("{creditor}\n{customer}\n{expires}").as_bytes());
    Ok(fordra_app::keys::hex(&mac.finalize().into_bytes()))
}

fn escape(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

impl LinkConfig {
    /// The debtor's link for a message: valid until `valid_days` after its deadline.
    pub fn link(&self, m: &Message) -> Result<String, CommsError> {
        self.link_for(&m.creditor_id, &m.customer_id, m.deadline.unwrap_or(m.date))
    }

    /// The debtor's link, valid until `valid_days` after `from` (a deadline, or today).
    pub fn link_for(&self, creditor: &str, customer: &str, from: chrono::NaiveDate) -> Result<String, CommsError> {
        if self.secret.len() < 32 {
            return Err(CommsError::Config("links.secret: at least 32 characters".into()));
        }
        let until = from + chrono::Duration::days(self.valid_days.clamp(1, 3650));
        let expires = until.and_time(chrono::NaiveTime::MIN).and_utc().timestamp();
        let sig = signature(&self.secret, creditor, customer, expires)?;
        Ok(format!(
            "{}/d/{}/{}?exp={expires}&sig={sig}",
            self.base_url.trim_end_matches('/'),
            escape(creditor),
            escape(customer)
        ))
    }

    /// The tracking image of an e-mail (where the creditor tracks opening): the path names the
    /// creditor and the delivery, signed so a request for it is Fordra's own.
    pub fn open_pixel(&self, m: &Message) -> Result<String, CommsError> {
        self.open_url(&m.creditor_id, &m.key)
    }

    /// The tracking image's address for a creditor's delivery.
    pub fn open_url(&self, creditor: &str, delivery: &str) -> Result<String, CommsError> {
        if self.secret.len() < 32 {
            return Err(CommsError::Config("links.secret: at least 32 characters".into()));
        }
        let sig = signature(&self.secret, creditor, &format!("open:{delivery}"), 0)?;
        Ok(format!("{}/o/{}/{}?sig={sig}", self.base_url.trim_end_matches('/'), escape(creditor), escape(delivery)))
    }

    /// Whether a tracking image's signature is Fordra's for this creditor and delivery.
    pub fn verify_open(&self, creditor: &str, delivery: &str, sig: &str) -> bool {
        signature(&self.secret, creditor, &format!("open:{delivery}"), 0).is_ok_and(|s| s == sig)
    }

    /// Whether a link's signature is Fordra's and it has not expired at `now` (Unix seconds).
    pub fn verify(&self, creditor: &str, customer: &str, expires: i64, sig: &str, now: i64) -> bool {
        self.check(creditor, customer, expires, sig, now) == LinkCheck::Valid
    }

    /// What a link is at `now` (Unix seconds): Fordra's and valid, Fordra's but expired (the
    /// debtor is told to use a newer letter's link), or not Fordra's.
    pub fn check(&self, creditor: &str, customer: &str, expires: i64, sig: &str, now: i64) -> LinkCheck {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(self.secret.as_bytes()) else { return LinkCheck::Forged };
        mac.update(format!("{creditor}\n{customer}\n{expires}").as_bytes());
        let Some(bytes) = (0..sig.len())
            .step_by(2)
            .map(|i| sig.get(i..i + 2).and_then(|h| u8::from_str_radix(h, 16).ok()))
            .collect::<Option<Vec<u8>>>()
        else {
            return LinkCheck::Forged;
        };
        match (mac.verify_slice(&bytes).is_ok(), now <= expires) {
            (false, _) => LinkCheck::Forged,
            (true, false) => LinkCheck::Expired,
            (true, true) => LinkCheck::Valid,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> LinkConfig {
        LinkConfig { base_url: "https://pay.acme.se/".into(), secret: "k".repeat(32), valid_days: 60 }
    }

    /// A link names the creditor and debtor, expires 60 days after the deadline, and only its own
    /// signature verifies.
    #[test]
    fn signed_links_verify_and_expire() {
        let mut m = crate::sample::message(0);
        m.customer_id = fordra_app::CustomerId("C 7/å".into());
        let link = config().link(&m).unwrap();
        // Deadline 2026-11-16 + 60 days = 2027-01-15 00:00 UTC.
        let exp =
            chrono::NaiveDate::from_ymd_opt(2027, 1, 15).unwrap().and_hms_opt(0, 0, 0).unwrap().and_utc().timestamp();
        assert!(link.starts_with(&format!("https://pay.acme.se/d/sample/C%207%2F%C3%A5?exp={exp}&sig=")), "{link}");
        let sig = link.rsplit("sig=").next().unwrap();
        assert_eq!(sig.len(), 64);
        let c = config();
        assert!(c.verify("sample", "C 7/å", exp, sig, exp - 1));
        assert!(!c.verify("sample", "C 7/å", exp, sig, exp + 1), "expired");
        assert!(!c.verify("sample", "C 8", exp, sig, exp - 1), "another debtor");
        assert!(!c.verify("sample", "C 7/å", exp + 86_400, sig, exp - 1), "a longer expiry");
        let other = LinkConfig { secret: "x".repeat(32), ..config() };
        assert!(!other.verify("sample", "C 7/å", exp, sig, exp - 1), "another secret");
        assert_eq!(c.check("sample", "C 7/å", exp, sig, exp + 1), LinkCheck::Expired);
        assert_eq!(c.check("sample", "C 8", exp, sig, exp + 1), LinkCheck::Forged, "forged, expired or not");
        assert_eq!(c.check("sample", "C 7/å", exp, "zz", exp - 1), LinkCheck::Forged);
        let short = LinkConfig { secret: "short".into(), ..config() };
        assert!(short.link(&m).is_err());
        // The tracking image names the delivery; only its own signature verifies.
        let pixel = c.open_pixel(&m).unwrap();
        assert!(pixel.starts_with("https://pay.acme.se/o/sample/INV-0-0%2F1?sig="), "{pixel}");
        let psig = pixel.rsplit("sig=").next().unwrap();
        assert!(c.verify_open("sample", "INV-0-0/1", psig));
        assert!(!c.verify_open("sample", "INV-0-0/2", psig));
        assert!(!c.verify_open("sample", "INV-0-0/1", sig));
    }
}
