//! Fordra's application layer: one function per use case, between the adapters (the CLI today;
//! the HTTP service, the delivery outbox and the web pages next) and the store. A use case takes
//! typed input (files as bytes, ids as newtypes), returns a `Serialize` result and a typed
//! [`AppError`]; it never prints, opens files or exits. Adapters parse, call one use case and
//! render. See ARCHITECTURE.md at the repository root.

#![warn(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

pub mod bank;
pub mod booking;
pub mod claims;
pub mod contact;
pub mod creditors;
pub mod customers;
pub mod dashboard;
pub mod debtor;
pub mod demo;
pub mod error;
pub mod history;
pub mod imports;
pub mod input;
pub mod keys;
pub mod law;
pub mod model;
pub mod outbox;
pub mod pauses;
pub mod payments;
pub mod policy;
pub mod predict;
pub mod quote;
pub mod reports;
pub mod run;
pub mod storage;
pub mod strategy;
pub mod users;
pub mod webhooks;
pub mod worklist;

pub use error::{AppError, Invalid, Result};
pub use fordra_core::domain::{ClaimId, CreditorId, CustomerId};
pub use fordra_core::money::Minor;

use chrono::NaiveDate;
use fordra_core::law::LawBook;
use fordra_store::Store;

/// What every use case works with: the store, the law tables in force and today's date (the
/// adapter reads the clock once; tests and simulations set it).
pub struct App<'a> {
    /// The database.
    pub store: &'a mut Store,
    /// The law tables (embedded, or a file the operator chose).
    pub law: &'a LawBook,
    /// Today, for defaults ("from today") and bounds (no run far in the future).
    pub today: NaiveDate,
}

impl<'a> App<'a> {
    /// The use cases over `store` under `law`, on `today`.
    pub fn new(store: &'a mut Store, law: &'a LawBook, today: NaiveDate) -> App<'a> {
        store.set_today(today);
        App { store, law, today }
    }

    /// Names who the following changes are made for in the audit log ("user:…", "key:…",
    /// "debtor:…"); the command line's is "cli".
    pub fn acting_as(&mut self, actor: &str) {
        self.store.set_actor(actor);
    }
}

/// Today by the local clock: for adapters, which pass it to [`App::new`].
pub fn today() -> NaiveDate {
    chrono::Local::now().date_naive()
}
