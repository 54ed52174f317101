//! Prevention with data: a creditor's own accounts-receivable history turned into features known
//! at the time (no leakage), models of who pays late and how late, honest out-of-time
//! evaluation against baselines, explanations in words, and scores for the daily run and the
//! cash-flow forecast. Pure computation: no I/O, no clock.

#![warn(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
// indexing_slicing is not yet denied here (issue #10: still to convert or justify per function).

pub mod evaluate;
pub mod explain;
pub mod features;
pub mod linear;
pub mod metrics;
pub mod model;
pub mod trees;
