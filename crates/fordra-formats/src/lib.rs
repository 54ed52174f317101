//! Outside file formats: parsers that never panic and say where a file is wrong.

#![warn(missing_docs)]
#![cfg_attr(not(test), warn(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

pub mod bgmax;
pub mod camt;
pub mod ktl;
