//! The HTTP service's own records: API keys (only their hashes) and idempotency keys (the first
//! response to a request, returned again when the request is retried).

use crate::{ReadRow, Result, Store, StoreError};

/// A stored API key, without the key itself.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ApiKeyRow {
    /// Its public id (shown in lists and logs; the key's first characters).
    pub id: String,
    /// The creditor it works for; none for an operator key (every creditor).
    pub creditor_id: Option<String>,
    /// "read", "write" or "admin".
    pub scope: String,
    /// A name its owner gave it.
    pub label: String,
    /// When it was made (Unix seconds).
    pub created_at: i64,
    /// When it was revoked (Unix seconds).
    pub revoked_at: Option<i64>,
}

/// What is stored under an idempotency key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Idempotent {
    /// Nothing yet: the caller now holds the key and must finish or abandon it.
    New,
    /// Another request with this key has not finished.
    InProgress {
        /// The hash of that request.
        request_hash: String,
    },
    /// The first request finished with this response.
    Done {
        /// The hash of that request.
        request_hash: String,
        /// Its HTTP status.
        status: u16,
        /// Its body.
        body: String,
    },
}

fn key_row(r: &crate::Row) -> Result<ApiKeyRow> {
    Ok(ApiKeyRow {
        id: r.text("id")?,
        creditor_id: r.opt_text("creditor_id")?,
        scope: r.text("scope")?,
        label: r.text("label")?,
        created_at: r.int("created_at")?,
        revoked_at: r.opt_int("revoked_at")?,
    })
}

impl Store {
    /// Stores a new key's hash.
    pub fn insert_api_key(&mut self, key: &ApiKeyRow, hash: &str) -> Result<()> {
        self.db.exec(
            "INSERT INTO api_keys (id, creditor_id, scope, hash, label, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            &[
                key.id.as_str().into(),
                key.creditor_id.as_deref().into(),
                key.scope.as_str().into(),
                hash.into(),
                key.label.as_str().into(),
                key.created_at.into(),
            ],
        )?;
        Ok(())
    }

    /// The key with this hash, revoked or not.
    pub fn api_key_by_hash(&mut self, hash: &str) -> Result<Option<ApiKeyRow>> {
        let rows = self.db.query(
            "SELECT id, creditor_id, scope, label, created_at, revoked_at FROM api_keys WHERE hash = $1",
            &[hash.into()],
        )?;
        rows.first().map(key_row).transpose()
    }

    /// The keys of a creditor (or every key, operator keys included, for `None`), oldest first.
    pub fn api_keys(&mut self, creditor: Option<&str>) -> Result<Vec<ApiKeyRow>> {
        let rows = self.db.query(
            "SELECT id, creditor_id, scope, label, created_at, revoked_at FROM api_keys \
             WHERE $1 = '' OR creditor_id = $2 ORDER BY created_at, id",
            &[creditor.unwrap_or("").into(), creditor.unwrap_or("").into()],
        )?;
        rows.iter().map(key_row).collect()
    }

    /// Revokes a key at `at`; false when it was revoked already.
    pub fn revoke_api_key(&mut self, id: &str, at: i64) -> Result<bool> {
        if self.db.query("SELECT id FROM api_keys WHERE id = $1", &[id.into()])?.is_empty() {
            return Err(StoreError::NotFound { entity: "API key", id: id.to_string() });
        }
        Ok(self.db.exec(
            "UPDATE api_keys SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
            &[at.into(), id.into()],
        )? == 1)
    }

    /// Claims an idempotency key for a request, or tells what it already holds; a record made
    /// before `kept_from` has expired and is replaced. Two requests racing for one key: the
    /// insert of one wins, the other sees it in progress.
    pub fn idempotency_begin(
        &mut self,
        key_id: &str,
        idem_key: &str,
        request_hash: &str,
        now: i64,
        kept_from: i64,
    ) -> Result<Idempotent> {
        self.db.exec(
            "DELETE FROM idempotency_keys WHERE key_id = $1 AND idem_key = $2 AND created_at < $3",
            &[key_id.into(), idem_key.into(), kept_from.into()],
        )?;
        let inserted = self.db.exec(
            "INSERT INTO idempotency_keys (key_id, idem_key, request_hash, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (key_id, idem_key) DO NOTHING",
            &[key_id.into(), idem_key.into(), request_hash.into(), now.into()],
        )?;
        if inserted == 1 {
            return Ok(Idempotent::New);
        }
        let rows = self.db.query(
            "SELECT request_hash, status, body FROM idempotency_keys WHERE key_id = $1 AND idem_key = $2",
            &[key_id.into(), idem_key.into()],
        )?;
        let r = rows.first().ok_or_else(|| StoreError::Data("an idempotency key vanished".into()))?;
        let request_hash = r.text("request_hash")?;
        Ok(match (r.opt_int("status")?, r.opt_text("body")?) {
            (Some(status), Some(body)) => {
                Idempotent::Done { request_hash, status: u16::try_from(status).unwrap_or(500), body }
            }
            _ => Idempotent::InProgress { request_hash },
        })
    }

    /// Keeps the response of the request that holds the key.
    pub fn idempotency_finish(&mut self, key_id: &str, idem_key: &str, status: u16, body: &str) -> Result<()> {
        self.db.exec(
            "UPDATE idempotency_keys SET status = $1, body = $2 WHERE key_id = $3 AND idem_key = $4",
            &[i64::from(status).into(), body.into(), key_id.into(), idem_key.into()],
        )?;
        Ok(())
    }

    /// Lets the key go (the request failed without an answer worth repeating: a retry runs it).
    pub fn idempotency_abandon(&mut self, key_id: &str, idem_key: &str) -> Result<()> {
        self.db.exec(
            "DELETE FROM idempotency_keys WHERE key_id = $1 AND idem_key = $2 AND status IS NULL",
            &[key_id.into(), idem_key.into()],
        )?;
        Ok(())
    }

    /// Forgets responses older than `before` (Unix seconds); how many (the service's housekeeping,
    /// not each request).
    pub fn idempotency_expire(&mut self, before: i64) -> Result<u64> {
        self.db.exec("DELETE FROM idempotency_keys WHERE created_at < $1", &[before.into()])
    }
}

impl Store {
    /// Takes the creditor's scheduler lock for `holder` until `until` (Unix seconds), when it is
    /// free, expired or already this holder's; whether it was taken. Two service processes on
    /// one database never run the same creditor's day at once.
    pub fn try_schedule_lock(&mut self, creditor: &str, holder: &str, now: i64, until: i64) -> Result<bool> {
        let n = self.db.exec(
            "INSERT INTO schedule_locks (creditor_id, holder, until) VALUES ($1, $2, $3) \
             ON CONFLICT (creditor_id) DO UPDATE SET holder = excluded.holder, until = excluded.until \
             WHERE schedule_locks.until < $4 OR schedule_locks.holder = $5",
            &[creditor.into(), holder.into(), until.into(), now.into(), holder.into()],
        )?;
        Ok(n == 1)
    }

    /// Lets the lock go (if this holder has it).
    pub fn release_schedule_lock(&mut self, creditor: &str, holder: &str) -> Result<()> {
        self.db.exec(
            "UPDATE schedule_locks SET until = 0 WHERE creditor_id = $1 AND holder = $2",
            &[creditor.into(), holder.into()],
        )?;
        Ok(())
    }
}
