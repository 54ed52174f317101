//! API keys of the HTTP service: made with 256 random bits, shown once, stored as a SHA-256 hash
//! (a key is random and long, so a fast hash is safe; a password would need a slow one). A key
//! works for one creditor with a scope, or for every creditor (an operator's key).

use crate::{App, AppError, CreditorId, Result};
use fordra_store::ApiKeyRow;
use rand::RngCore;
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;

/// What a key may do. Each scope includes the ones before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Read everything of its creditor.
    Read,
    /// Also send invoices, payments, bank files, pauses; run the day; work phone tasks.
    Write,
    /// Also change the creditor, its policy and models, revert runs, manage webhooks.
    Admin,
}

impl Scope {
    /// Its name.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Read => "read",
            Scope::Write => "write",
            Scope::Admin => "admin",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = AppError;
    fn from_str(s: &str) -> Result<Scope> {
        match s {
            "read" => Ok(Scope::Read),
            "write" => Ok(Scope::Write),
            "admin" => Ok(Scope::Admin),
            _ => Err(AppError::invalid("scope", format!("'{s}' is not read, write or admin"))),
        }
    }
}

/// A new key's owner and rights.
#[derive(Clone, Debug)]
pub struct NewKey {
    /// The creditor; none for an operator key (every creditor, agency-level work).
    pub creditor: Option<CreditorId>,
    /// What it may do.
    pub scope: Scope,
    /// A name to recognise it by ("ERP production").
    pub label: String,
    /// Now, Unix seconds.
    pub now: i64,
}

/// A key just made: the only time the key itself is shown.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct KeyMade {
    /// The key, to put in `Authorization: Bearer …`.
    pub key: String,
    /// Its public id (for `key revoke`).
    pub id: String,
    /// Its creditor (none: operator).
    #[schema(value_type = Option<String>)]
    pub creditor: Option<CreditorId>,
    /// Its scope.
    #[schema(value_type = String, example = "write")]
    pub scope: Scope,
    /// Its label.
    pub label: String,
}

/// Who is calling, once a key is recognised.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Caller {
    /// The key's id.
    pub key_id: String,
    /// The creditor it works for (none: every creditor).
    pub creditor: Option<CreditorId>,
    /// Its scope.
    pub scope: Scope,
}

impl Caller {
    /// Whether it may work on `creditor`'s data.
    pub fn sees(&self, creditor: &CreditorId) -> bool {
        self.creditor.as_ref().is_none_or(|c| c == creditor)
    }
    /// Whether it is an operator's key.
    pub fn is_operator(&self) -> bool {
        self.creditor.is_none()
    }
}

/// A revoked key.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct KeyRevoked {
    /// Its id.
    pub id: String,
    /// False when it was revoked before.
    pub revoked: bool,
}

const PREFIX: &str = "fdk_";
const LABEL_MAX: usize = 200;

fn hash(key: &str) -> String {
    hex(&Sha256::digest(key.as_bytes()))
}

/// Bytes as lower-case hexadecimal (key hashes, signatures, random ids and secrets).
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `n` random bytes from the operating system, as hexadecimal: ids and secrets.
pub fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex(&bytes)
}

impl App<'_> {
    /// Makes a key and stores its hash.
    pub fn add_key(&mut self, k: &NewKey) -> Result<KeyMade> {
        if let Some(c) = &k.creditor {
            self.store.creditor(c)?;
        }
        if k.label.chars().count() > LABEL_MAX || k.label.chars().any(char::is_control) {
            return Err(AppError::invalid("label", format!("at most {LABEL_MAX} characters, no control characters")));
        }
        let id = random_hex(6);
        let key = format!("{PREFIX}{id}_{}", random_hex(32));
        let row = ApiKeyRow {
            id: id.clone(),
            creditor_id: k.creditor.as_ref().map(|c| c.0.clone()),
            scope: k.scope.as_str().to_string(),
            label: k.label.clone(),
            created_at: k.now,
            revoked_at: None,
        };
        self.store.tx(|s| s.insert_api_key(&row, &hash(&key)).map_err(AppError::from))?;
        Ok(KeyMade { key, id, creditor: k.creditor.clone(), scope: k.scope, label: k.label.clone() })
    }

    /// A creditor's keys (every key for `None`), never the keys themselves.
    pub fn list_keys(&mut self, creditor: Option<&CreditorId>) -> Result<Vec<ApiKeyRow>> {
        if let Some(c) = creditor {
            self.store.creditor(c)?;
        }
        Ok(self.store.api_keys(creditor.map(|c| c.0.as_str()))?)
    }

    /// Revokes a key: it works no more from now on. With an `owner`, only that creditor's key
    /// (another's is not found).
    pub fn revoke_key(&mut self, owner: Option<&CreditorId>, id: &str, now: i64) -> Result<KeyRevoked> {
        if let Some(c) = owner {
            if !self.store.api_keys(Some(c.0.as_str()))?.iter().any(|k| k.id == id) {
                return Err(AppError::NotFound { entity: "API key", id: id.to_string() });
            }
        }
        let revoked = self.store.tx(|s| s.revoke_api_key(id, now).map_err(AppError::from))?;
        Ok(KeyRevoked { id: id.to_string(), revoked })
    }

    /// The caller a presented key stands for; none when it is unknown, malformed or revoked.
    pub fn authenticate(&mut self, key: &str) -> Result<Option<Caller>> {
        if !key.starts_with(PREFIX) || key.len() > 100 {
            return Ok(None);
        }
        let Some(row) = self.store.api_key_by_hash(&hash(key))? else { return Ok(None) };
        if row.revoked_at.is_some() {
            return Ok(None);
        }
        Ok(Some(Caller { key_id: row.id, creditor: row.creditor_id.map(CreditorId), scope: row.scope.parse()? }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_are_ordered_and_parse() {
        assert!(Scope::Read < Scope::Write && Scope::Write < Scope::Admin);
        assert_eq!("write".parse::<Scope>().unwrap(), Scope::Write);
        assert!("root".parse::<Scope>().is_err());
    }

    #[test]
    fn an_operator_sees_every_creditor_a_creditor_key_only_its_own() {
        let a = CreditorId("a".into());
        let b = CreditorId("b".into());
        let own = Caller { key_id: "k".into(), creditor: Some(a.clone()), scope: Scope::Read };
        assert!(own.sees(&a) && !own.sees(&b));
        let op = Caller { key_id: "o".into(), creditor: None, scope: Scope::Read };
        assert!(op.sees(&a) && op.sees(&b) && op.is_operator());
    }

    #[test]
    fn the_hash_is_sha256_hex() {
        // SHA-256("abc"), FIPS 180-2 appendix B.1.
        assert_eq!(hash("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }
}
