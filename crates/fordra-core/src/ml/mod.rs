//! Prevention with data: features from a creditor's own accounts-receivable history, computed
//! strictly from what was known when each invoice was issued, and models trained on them.

pub mod evaluate;
pub mod explain;
pub mod features;
pub mod linear;
pub mod metrics;
