//! Outside file formats: parsers that never panic and say where a file is wrong.

pub mod bgmax;
pub mod camt;
pub mod ktl;
