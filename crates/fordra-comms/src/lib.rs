//! Fordra's channel adapters: what turns the outbox's messages into things that reach people.
//! Messages are phrased in the debtor's language ([`messages`]), typeset as PDF letters with
//! payment codes ([`pdf`]), and handed to couriers: e-mail over SMTP, SMS gateways over HTTP,
//! print and digital-mailbox batches on disk. No rules live here: what a message says and to
//! whom comes from the application layer's [`fordra_app::outbox::Message`].

#![warn(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

pub mod batch;
pub mod couriers;
pub mod email;
pub mod links;
pub mod messages;
pub mod pdf;
pub mod sample;
pub mod sms;

/// What went wrong in a channel adapter.
#[derive(Debug, thiserror::Error)]
pub enum CommsError {
    /// A phrase, template or layout failed (a key missing, a template out of fuel).
    #[error("message: {0}")]
    Template(String),
    /// A configuration value is missing or wrong.
    #[error("configuration: {0}")]
    Config(String),
    /// Writing a file failed.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}
