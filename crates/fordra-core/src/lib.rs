//! Fordra's pure domain core: money, calendar, law tables, segmentation, handling models, the
//! daily run, payment allocation and the ledger. No I/O, never reads the clock: every decision
//! takes an `as_of` date.

#![warn(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

pub mod calendar;
pub mod contact;
pub mod domain;
pub mod fees;
pub mod history;
pub mod interest;
pub mod law;
pub mod ledger;
pub mod limits;
pub mod matching;
pub mod model;
pub mod money;
pub mod outbox;
pub mod paycode;
pub mod quote;
pub mod reference;
pub mod report;
pub mod run;
pub mod schedule;
pub mod segment;
pub mod settle;
pub mod strategy;
