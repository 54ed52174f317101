//! Prevention with data: a creditor's own accounts-receivable history turned into features known
//! at the time (no leakage), models of who pays late and how late, honest out-of-time
//! evaluation against baselines, explanations in words, and scores for the daily run and the
//! cash-flow forecast. Pure computation: no I/O, no clock.

pub mod evaluate;
pub mod explain;
pub mod features;
pub mod linear;
pub mod metrics;
pub mod model;
pub mod trees;
