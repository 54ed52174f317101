//! The web pages' own records: users (only their password hashes), their sessions (only the
//! session token's hash) and advisors' notes on customers and claims.

use crate::{ReadRow, Result, Store};

/// A user of the web pages.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct UserRow {
    /// The login name (an e-mail address as a rule).
    pub id: String,
    /// The creditor whose staff the user is; none for an operator (every creditor).
    pub creditor_id: Option<String>,
    /// The name shown.
    pub name: String,
    /// "read", "advisor" or "admin".
    pub role: String,
    /// The pages' language ("sv", "en").
    pub language: String,
    /// When made (Unix seconds).
    pub created: i64,
    /// When disabled (Unix seconds).
    pub disabled: Option<i64>,
}

/// A signed-in session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRow {
    /// Its user.
    pub user: UserRow,
    /// The token every form must carry back (CSRF).
    pub csrf: String,
    /// When it ends (Unix seconds).
    pub expires: i64,
}

/// An advisor's note.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct NoteRow {
    /// Its id.
    pub id: i64,
    /// The customer.
    pub customer_id: String,
    /// The claim, if it is about one.
    pub claim_id: Option<String>,
    /// Who wrote it.
    pub author: String,
    /// When (Unix seconds).
    pub at: i64,
    /// What it says.
    pub text: String,
}

const USER_COLS: &str = "u.id, u.creditor_id, u.name, u.role, u.language, u.created, u.disabled";

fn user_row(r: &crate::Row) -> Result<UserRow> {
    Ok(UserRow {
        id: r.text("id")?,
        creditor_id: r.opt_text("creditor_id")?,
        name: r.text("name")?,
        role: r.text("role")?,
        language: r.text("language")?,
        created: r.int("created")?,
        disabled: r.opt_int("disabled")?,
    })
}

impl Store {
    /// Adds a user, or replaces the name, role, language and password of one with this id
    /// (enabling it again).
    pub fn upsert_user(&mut self, u: &UserRow, password_hash: &str) -> Result<()> {
        self.db.exec(
            "INSERT INTO users (id, creditor_id, name, role, password_hash, language, created) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO UPDATE SET creditor_id = excluded.creditor_id, \
             name = excluded.name, role = excluded.role, password_hash = excluded.password_hash, \
             language = excluded.language, disabled = NULL",
            &[
                u.id.as_str().into(),
                u.creditor_id.as_deref().into(),
                u.name.as_str().into(),
                u.role.as_str().into(),
                password_hash.into(),
                u.language.as_str().into(),
                u.created.into(),
            ],
        )?;
        Ok(())
    }

    /// A user and its password hash.
    pub fn user_with_hash(&mut self, id: &str) -> Result<Option<(UserRow, String)>> {
        let rows = self
            .db
            .query(&format!("SELECT {USER_COLS}, u.password_hash FROM users u WHERE u.id = $1"), &[id.into()])?;
        rows.first().map(|r| Ok((user_row(r)?, r.text("password_hash")?))).transpose()
    }

    /// The users of a creditor (none: every user), by id.
    pub fn users(&mut self, creditor: Option<&str>) -> Result<Vec<UserRow>> {
        let rows = match creditor {
            Some(c) => self.db.query(
                &format!("SELECT {USER_COLS} FROM users u WHERE u.creditor_id = $1 ORDER BY u.id"),
                &[c.into()],
            )?,
            None => self.db.query(&format!("SELECT {USER_COLS} FROM users u ORDER BY u.id"), &[])?,
        };
        rows.iter().map(user_row).collect()
    }

    /// Disables a user and ends its sessions; false when there is no such user.
    pub fn disable_user(&mut self, id: &str, at: i64) -> Result<bool> {
        let n = self.db.exec("UPDATE users SET disabled = $1 WHERE id = $2", &[at.into(), id.into()])?;
        self.db.exec("DELETE FROM web_sessions WHERE user_id = $1", &[id.into()])?;
        Ok(n > 0)
    }

    /// Stores a new session under its token's hash.
    pub fn insert_session(&mut self, token_hash: &str, user: &str, csrf: &str, now: i64, expires: i64) -> Result<()> {
        self.db.exec(
            "INSERT INTO web_sessions (token_hash, user_id, csrf, created, expires) VALUES ($1, $2, $3, $4, $5)",
            &[token_hash.into(), user.into(), csrf.into(), now.into(), expires.into()],
        )?;
        Ok(())
    }

    /// The session with this token hash, if it has not expired at `now` and its user is enabled.
    pub fn session(&mut self, token_hash: &str, now: i64) -> Result<Option<SessionRow>> {
        let rows = self.db.query(
            &format!(
                "SELECT {USER_COLS}, s.csrf, s.expires FROM web_sessions s JOIN users u ON u.id = s.user_id \
                 WHERE s.token_hash = $1 AND s.expires > $2 AND u.disabled IS NULL"
            ),
            &[token_hash.into(), now.into()],
        )?;
        rows.first()
            .map(|r| Ok(SessionRow { user: user_row(r)?, csrf: r.text("csrf")?, expires: r.int("expires")? }))
            .transpose()
    }

    /// Ends a session; and every session that expired before `now`.
    pub fn end_session(&mut self, token_hash: &str, now: i64) -> Result<()> {
        self.db.exec(
            "DELETE FROM web_sessions WHERE token_hash = $1 OR expires <= $2",
            &[token_hash.into(), now.into()],
        )?;
        Ok(())
    }

    /// Adds a note.
    pub fn insert_note(
        &mut self,
        creditor: &str,
        customer: &str,
        claim: Option<&str>,
        author: &str,
        at: i64,
        text: &str,
    ) -> Result<i64> {
        let rows = self.db.query(
            "INSERT INTO notes (creditor_id, customer_id, claim_id, author, at, text) VALUES ($1, $2, $3, $4, $5, $6) \
             RETURNING id",
            &[creditor.into(), customer.into(), claim.into(), author.into(), at.into(), text.into()],
        )?;
        rows.first()
            .map(|r| r.int("id"))
            .transpose()?
            .ok_or_else(|| crate::StoreError::Data("no note id returned".into()))
    }

    /// A customer's notes, newest first.
    pub fn notes_of_customer(&mut self, creditor: &str, customer: &str) -> Result<Vec<NoteRow>> {
        self.db
            .query(
                "SELECT id, customer_id, claim_id, author, at, text FROM notes WHERE creditor_id = $1 AND customer_id = $2 \
                 ORDER BY id DESC",
                &[creditor.into(), customer.into()],
            )?
            .iter()
            .map(|r| {
                Ok(NoteRow {
                    id: r.int("id")?,
                    customer_id: r.text("customer_id")?,
                    claim_id: r.opt_text("claim_id")?,
                    author: r.text("author")?,
                    at: r.int("at")?,
                    text: r.text("text")?,
                })
            })
            .collect()
    }
}
