//! A creditor's past invoices as the payment-behaviour model sees them: from an imported
//! accounts-receivable export or from the claims Fordra itself has handled.

use chrono::NaiveDate;

/// One invoice of the history (amounts in minor units).
#[derive(Clone, Debug, PartialEq)]
pub struct HistInvoice {
    pub customer: String,
    pub invoice: String,
    pub invoice_date: NaiveDate,
    pub due_date: NaiveDate,
    pub amount: i64,
    /// When it was settled; never before the invoice date (a prepayment counts as paid on it).
    pub paid_date: Option<NaiveDate>,
    /// Disputed at some time. Not a feature (the export does not say when the dispute arose, so
    /// it would leak the future); disputed invoices are left out of training and testing, since
    /// their lateness says nothing about payment behaviour.
    pub disputed: bool,
    /// e.g. "paper" / "electronic".
    pub channel: Option<String>,
    /// The credit score known on the invoice date, if any.
    pub credit_score: Option<f64>,
    /// Extra numeric columns from the export, in the mapping's order.
    pub extra: Vec<f64>,
}

impl HistInvoice {
    /// Days after due it was paid (negative: early), if paid.
    pub fn days_late(&self) -> Option<i64> {
        self.paid_date.map(|p| (p - self.due_date).num_days())
    }
}
