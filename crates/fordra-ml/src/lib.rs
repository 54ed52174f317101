//! Prevention with data: a creditor's own accounts-receivable history turned into features known
//! at the time (no leakage), models of who pays late and how late, honest out-of-time
//! evaluation against baselines, explanations in words, and scores for the daily run and the
//! cash-flow forecast. Pure computation: no I/O, no clock.

#![warn(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

pub mod choose;
pub mod evaluate;
pub mod explain;
pub mod features;
pub mod linear;
pub mod metrics;
pub mod model;
pub mod survival;
pub mod trees;

/// Why a model cannot be trained, evaluated or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MlError {
    /// Too little data, or settings that contradict each other.
    #[error("{0}")]
    Data(String),
    /// The tree learner failed.
    #[error("training the trees: {0}")]
    Trees(String),
    /// A model file this version does not read.
    #[error("{0}")]
    File(String),
}
