//! The service's shared state: a pool of store connections used from blocking tasks (the store
//! is synchronous), the law tables, the clock and the per-key rate limiter.

use crate::error::{ApiError, ApiResult};
use chrono::NaiveDate;
use fordra_app::{App, AppError};
use fordra_core::law::LawBook;
use fordra_store::Store;
use governor::{DefaultKeyedRateLimiter, Quota};
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use tokio::sync::Semaphore;

/// Connections to one database, opened on demand and kept for reuse; at most `max` at once.
pub struct Pool {
    url: String,
    idle: Mutex<Vec<Store>>,
    permits: Semaphore,
}

impl Pool {
    /// A pool over `url`, opened once now so a wrong URL fails at start.
    pub fn open(url: &str, max: usize) -> Result<Pool, AppError> {
        let first = Store::open(url)?;
        Ok(Pool { url: url.to_string(), idle: Mutex::new(vec![first]), permits: Semaphore::new(max.max(1)) })
    }

    /// A connection of its own, outside the pool (the scheduler's workers).
    pub fn connect(&self) -> Result<Store, AppError> {
        Ok(Store::open(&self.url)?)
    }

    fn take(&self) -> Result<Store, AppError> {
        let idle = self.idle.lock().ok().and_then(|mut v| v.pop());
        match idle {
            Some(s) => Ok(s),
            None => Ok(Store::open(&self.url)?),
        }
    }

    fn give(&self, store: Store) {
        if let Ok(mut v) = self.idle.lock() {
            v.push(store);
        }
    }
}

impl Drop for Pool {
    /// Closes the connections on a thread of their own: the PostgreSQL client blocks on its own
    /// runtime when it closes, which must not happen on one of the service's async threads.
    fn drop(&mut self) {
        let stores = self.idle.lock().map(|mut v| std::mem::take(&mut *v)).unwrap_or_default();
        if !stores.is_empty() {
            let _ = std::thread::spawn(move || drop(stores)).join();
        }
    }
}

/// The service's state, shared by every request.
pub struct Service {
    /// The database.
    pub pool: Pool,
    /// The law tables.
    pub law: LawBook,
    /// A fixed "today" (demos and tests); the local clock otherwise.
    pub fixed_today: Option<NaiveDate>,
    /// Requests per key.
    pub limiter: DefaultKeyedRateLimiter<String>,
    /// The service's counters.
    pub metrics: crate::metrics::Metrics,
    /// How messages leave (letters for previews, the links' secret for the tracking image).
    pub delivery: fordra_comms::couriers::Config,
    /// Mark the pages' cookies Secure (sent over HTTPS only; browsers also send them to
    /// http://localhost). Off only for plain HTTP on another host, behind nothing.
    pub secure_cookies: bool,
}

/// The state as handlers see it.
pub type Shared = Arc<Service>;

tokio::task_local! {
    /// Who the current request acts for ("key:…", "user:…", "debtor:…"), set by the
    /// authentication of the API and of the pages for the request's task.
    pub static ACTOR: String;
}

impl Service {
    /// A service over `pool`.
    pub fn new(pool: Pool, law: LawBook, fixed_today: Option<NaiveDate>, per_second: u32, burst: u32) -> Service {
        let quota = Quota::per_second(NonZeroU32::new(per_second).unwrap_or(NonZeroU32::MIN))
            .allow_burst(NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN));
        Service {
            pool,
            law,
            fixed_today,
            limiter: DefaultKeyedRateLimiter::keyed(quota),
            metrics: crate::metrics::Metrics::default(),
            delivery: Default::default(),
            secure_cookies: true,
        }
    }

    /// Today.
    pub fn today(&self) -> NaiveDate {
        self.fixed_today.unwrap_or_else(fordra_app::today)
    }
}

/// Runs one use case on a pooled connection in a blocking task. A connection whose use case
/// failed in the database is dropped, not reused (it may be broken).
pub async fn with_app<T, F>(svc: &Shared, f: F) -> ApiResult<T>
where
    T: Send + 'static,
    F: FnOnce(&mut App<'_>) -> Result<T, AppError> + Send + 'static,
{
    let _permit = svc.pool.permits.acquire().await.map_err(|_| ApiError::internal("the service is shutting down"))?;
    let svc = svc.clone();
    // Who the request is made for: the audit log names them with each change.
    let actor = ACTOR.try_with(Clone::clone).unwrap_or_else(|_| "service".to_string());
    tokio::task::spawn_blocking(move || -> ApiResult<T> {
        let mut store = svc.pool.take()?;
        let result = {
            let mut app = App::new(&mut store, &svc.law, svc.today());
            app.acting_as(&actor);
            f(&mut app)
        };
        if !matches!(result, Err(AppError::Storage(_))) {
            svc.pool.give(store);
        }
        drop(svc);
        result.map_err(ApiError::from)
    })
    .await
    .map_err(|e| ApiError::internal(format!("the request's task failed: {e}")))?
}
