//! Users of the web pages and their sessions: passwords hashed with Argon2id (slow on purpose:
//! a password is short and guessable, unlike an API key), sessions as 256-bit random tokens kept
//! only as SHA-256 hashes, each with its own CSRF token. Roles: read, advisor, admin; a user
//! without a creditor is an operator (every creditor).

use crate::keys::random_hex;
use crate::{App, AppError, CreditorId, Result};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use fordra_store::{SessionRow, UserRow};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::fmt;
use std::str::FromStr;

/// What a user may do on the pages. Each role includes the ones before it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Sees the creditor's portfolio, claims and customers.
    Read,
    /// Also works cases: disputes, promises, plans, holds, notes, VIPs, unmatched payments,
    /// phone calls.
    Advisor,
    /// Also edits the handling models and manages the creditor's users.
    Admin,
}

impl Role {
    /// Its name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Read => "read",
            Role::Advisor => "advisor",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = AppError;
    fn from_str(s: &str) -> Result<Role> {
        match s {
            "read" => Ok(Role::Read),
            "advisor" => Ok(Role::Advisor),
            "admin" => Ok(Role::Admin),
            _ => Err(AppError::invalid("role", format!("'{s}' is not read, advisor or admin"))),
        }
    }
}

/// A user to add (or to change: the same id again replaces name, role, language and password).
#[derive(Clone, Debug)]
pub struct NewUser {
    /// The login name, as a rule an e-mail address.
    pub id: String,
    /// The creditor; none for an operator.
    pub creditor: Option<CreditorId>,
    /// The name shown.
    pub name: String,
    /// What the user may do.
    pub role: Role,
    /// The password (at least 12 characters).
    pub password: String,
    /// The pages' language: "sv" or "en".
    pub language: String,
    /// Now, Unix seconds.
    pub now: i64,
}

/// A user as shown (never the password's hash).
#[derive(Clone, Debug, Serialize)]
pub struct UserView {
    /// Login name.
    pub id: String,
    /// Creditor (none: operator).
    pub creditor: Option<String>,
    /// Name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Language.
    pub language: String,
    /// Disabled (Unix seconds).
    pub disabled: Option<i64>,
}

/// A signed-in user.
#[derive(Clone, Debug, Serialize)]
pub struct Session {
    /// The user.
    pub user: UserView,
    /// The token each form must send back.
    pub csrf: String,
    /// When the session ends (Unix seconds).
    pub expires: i64,
}

impl Session {
    /// Whether the user may see `creditor`'s data.
    pub fn sees(&self, creditor: &CreditorId) -> bool {
        self.user.creditor.as_deref().is_none_or(|c| c == creditor.0)
    }
    /// Whether the user is an operator (every creditor).
    pub fn is_operator(&self) -> bool {
        self.user.creditor.is_none()
    }
    /// Who the changes are made for, in the audit log.
    pub fn actor(&self) -> String {
        format!("user:{}", self.user.id)
    }
}

/// A login that worked: the cookie's token (shown once, stored only as its hash).
#[derive(Clone, Debug, Serialize)]
pub struct LoggedIn {
    /// The session token.
    pub token: String,
    /// The session.
    pub session: Session,
}

/// How long a session lasts: a working day.
pub const SESSION_SECONDS: i64 = 8 * 3600;
const MIN_PASSWORD: usize = 12;
const MAX_PASSWORD: usize = 200;
const MAX_ID: usize = 200;

fn token_hash(token: &str) -> String {
    crate::keys::hex(&Sha256::digest(token.as_bytes()))
}

fn view(u: UserRow) -> Result<UserView> {
    Ok(UserView {
        role: u.role.parse()?,
        id: u.id,
        creditor: u.creditor_id,
        name: u.name,
        language: u.language,
        disabled: u.disabled,
    })
}

fn session(row: SessionRow) -> Result<Session> {
    Ok(Session { user: view(row.user)?, csrf: row.csrf, expires: row.expires })
}

/// The Argon2id hash of a password, in the PHC string format (salt and parameters included).
pub fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
        .map_err(|e| AppError::Storage(format!("password salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Storage(format!("password hash: {e}")))
}

fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

fn check_user(u: &NewUser) -> Result<()> {
    let id_ok = (3..=MAX_ID).contains(&u.id.chars().count())
        && u.id.chars().all(|c| c.is_alphanumeric() || "@.-_+".contains(c));
    if !id_ok {
        return Err(AppError::invalid("id", format!("3 to {MAX_ID} letters, digits or @.-_+")));
    }
    if !(MIN_PASSWORD..=MAX_PASSWORD).contains(&u.password.chars().count()) {
        return Err(AppError::invalid("password", format!("{MIN_PASSWORD} to {MAX_PASSWORD} characters")));
    }
    if !["sv", "en"].contains(&u.language.as_str()) {
        return Err(AppError::invalid("language", "the pages speak sv or en"));
    }
    fordra_core::limits::text("name", &u.name, 200)?;
    Ok(())
}

impl App<'_> {
    /// Adds a user (or changes the one with this id), its password hashed with Argon2id.
    pub fn add_user(&mut self, u: &NewUser) -> Result<UserView> {
        check_user(u)?;
        if let Some(c) = &u.creditor {
            self.store.creditor(c)?;
        }
        let row = UserRow {
            id: u.id.clone(),
            creditor_id: u.creditor.as_ref().map(|c| c.0.clone()),
            name: if u.name.is_empty() { u.id.clone() } else { u.name.clone() },
            role: u.role.as_str().into(),
            language: u.language.clone(),
            created: u.now,
            disabled: None,
        };
        let hash = hash_password(&u.password)?;
        self.store.tx(|s| s.upsert_user(&row, &hash).map_err(AppError::from))?;
        view(row)
    }

    /// A creditor's users (none: every user).
    pub fn list_users(&mut self, creditor: Option<&CreditorId>) -> Result<Vec<UserView>> {
        self.store.users(creditor.map(|c| c.0.as_str()))?.into_iter().map(view).collect()
    }

    /// Disables a user and ends its sessions.
    pub fn disable_user(&mut self, id: &str, now: i64) -> Result<()> {
        if !self.store.tx(|s| s.disable_user(id, now).map_err(AppError::from))? {
            return Err(AppError::NotFound { entity: "user", id: id.to_string() });
        }
        Ok(())
    }

    /// Checks a password and opens a session; none when the user or password is wrong or the
    /// user is disabled (the same answer, so a guesser learns nothing about which).
    pub fn login(&mut self, id: &str, password: &str, now: i64) -> Result<Option<LoggedIn>> {
        if id.len() > MAX_ID * 4 || password.len() > MAX_PASSWORD * 4 {
            return Ok(None);
        }
        let found = self.store.user_with_hash(id)?;
        let ok = match &found {
            Some((u, hash)) => verify_password(password, hash) && u.disabled.is_none(),
            None => {
                // As slow as a real check, so timing does not tell which user names exist.
                let _ = verify_password(password, DUMMY_HASH);
                false
            }
        };
        let Some((user, _)) = found.filter(|_| ok) else { return Ok(None) };
        let token = random_hex(32);
        let csrf = random_hex(32);
        let expires = now + SESSION_SECONDS;
        self.store
            .tx(|s| s.insert_session(&token_hash(&token), &user.id, &csrf, now, expires).map_err(AppError::from))?;
        Ok(Some(LoggedIn { token, session: Session { user: view(user)?, csrf, expires } }))
    }

    /// The session a cookie's token stands for, if it is valid at `now`.
    pub fn session(&mut self, token: &str, now: i64) -> Result<Option<Session>> {
        if token.len() != 64 {
            return Ok(None);
        }
        self.store.session(&token_hash(token), now)?.map(session).transpose()
    }

    /// Ends a session (and clears expired ones).
    pub fn logout(&mut self, token: &str, now: i64) -> Result<()> {
        self.store.tx(|s| s.end_session(&token_hash(token), now).map_err(AppError::from))
    }
}

/// An Argon2id hash of a random password nobody knows, checked against when the user does not
/// exist.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$2Fz7WcF0Qn2Hk7b6j8m1Jc8b2zB7cQm3b0o0xQqkVn0";

#[cfg(test)]
mod tests {
    use super::*;

    /// A password verifies against its own hash only; the hash is Argon2id with a salt.
    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"), "{h}");
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse batterY", &h));
        assert_ne!(h, hash_password("correct horse battery").unwrap(), "salted");
        assert!(PasswordHash::new(DUMMY_HASH).is_ok(), "the dummy hash parses, so it costs a real check");
        assert!(!verify_password("x", DUMMY_HASH));
        assert!("advisor".parse::<Role>().unwrap() > Role::Read);
    }
}
