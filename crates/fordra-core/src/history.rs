//! A creditor's past invoices as the payment-behaviour model sees them: from an imported
//! accounts-receivable export or from the claims Fordra itself has handled.

use chrono::NaiveDate;

/// One invoice of the history (amounts in minor units).
#[derive(Clone, Debug, PartialEq)]
pub struct HistInvoice {
    /// The customer's id.
    pub customer: String,
    /// The invoice's id.
    pub invoice: String,
    /// Invoice date.
    pub invoice_date: NaiveDate,
    /// Due date.
    pub due_date: NaiveDate,
    /// Amount in minor units.
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

/// A claim Fordra handled, as stored, before it joins the history.
#[derive(Clone, Debug, PartialEq)]
pub struct HandledClaim {
    /// The claim as an invoice of the history; its credit score is the customer's current one.
    pub invoice: HistInvoice,
    /// When the customer's current credit score was given, if known.
    pub credit_score_date: Option<NaiveDate>,
}

/// The creditor's payment history, in invoice-date order: imported AR exports and the claims
/// Fordra handled. A claim that is also in an export keeps the export's channel and extra
/// columns, and Fordra's own paid date (it knows the payments). A credit score counts only from
/// the date it was given (a claim never gets a later score). Prepayments count as paid on the
/// invoice date.
pub fn merge(imported: Vec<HistInvoice>, handled: Vec<HandledClaim>) -> Vec<HistInvoice> {
    let width = imported.first().map_or(0, |h| h.extra.len());
    merge_padded(imported, handled, width)
}

/// As `merge`, for a part of the history: claims get `width` extra columns (zero), as many as
/// the whole export has, though this part may hold none of its rows.
pub fn merge_padded(imported: Vec<HistInvoice>, handled: Vec<HandledClaim>, width: usize) -> Vec<HistInvoice> {
    let mut at: std::collections::HashMap<String, usize> =
        imported.iter().enumerate().map(|(i, h)| (h.invoice.clone(), i)).collect();
    let mut out = imported;
    for HandledClaim { mut invoice, credit_score_date } in handled {
        if credit_score_date.is_some_and(|d| d > invoice.invoice_date) {
            invoice.credit_score = None;
        }
        match at.get(&invoice.invoice).and_then(|i| out.get_mut(*i)) {
            Some(h) => {
                h.paid_date = invoice.paid_date;
                h.disputed |= invoice.disputed;
            }
            None => {
                invoice.extra = vec![0.0; width];
                at.insert(invoice.invoice.clone(), out.len());
                out.push(invoice);
            }
        }
    }
    for h in &mut out {
        h.paid_date = h.paid_date.map(|p| p.max(h.invoice_date));
    }
    out.sort_by(|a, b| (a.invoice_date, &a.invoice).cmp(&(b.invoice_date, &b.invoice)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn inv(id: &str, issued: &str, paid: Option<&str>) -> HistInvoice {
        HistInvoice {
            customer: "k".into(),
            invoice: id.into(),
            invoice_date: d(issued),
            due_date: d(issued) + chrono::Duration::days(30),
            amount: 100_00,
            paid_date: paid.map(d),
            disputed: false,
            channel: None,
            credit_score: Some(700.0),
            extra: vec![],
        }
    }

    #[test]
    fn a_handled_claim_in_the_export_keeps_the_export_and_fordras_payment() {
        let mut exported = inv("a", "2024-01-10", None);
        exported.channel = Some("paper".into());
        exported.extra = vec![3.0];
        let mut handled = inv("a", "2024-01-10", Some("2024-02-20"));
        handled.disputed = true;
        let out = merge(vec![exported], vec![HandledClaim { invoice: handled, credit_score_date: None }]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].channel.as_deref(), Some("paper"));
        assert_eq!(out[0].extra, vec![3.0]);
        assert_eq!(out[0].paid_date, Some(d("2024-02-20")));
        assert!(out[0].disputed);
    }

    #[test]
    fn scores_given_later_do_not_count_extras_are_padded_prepayments_are_paid_on_issue_and_order_is_by_date() {
        let mut exported = inv("x", "2024-03-01", Some("2024-03-05"));
        exported.extra = vec![1.0, 2.0];
        let later = HandledClaim {
            invoice: inv("b", "2024-02-01", Some("2024-01-20")),
            credit_score_date: Some(d("2024-02-02")),
        };
        let before = HandledClaim { invoice: inv("c", "2024-02-01", None), credit_score_date: Some(d("2024-02-01")) };
        let out = merge(vec![exported], vec![later, before]);
        let ids: Vec<&str> = out.iter().map(|h| h.invoice.as_str()).collect();
        assert_eq!(ids, ["b", "c", "x"]);
        assert_eq!(out[0].credit_score, None, "a score given the day after the invoice is not known on it");
        assert_eq!(out[1].credit_score, Some(700.0));
        assert_eq!(out[0].paid_date, Some(d("2024-02-01")), "paid before it was issued: paid on the invoice date");
        assert_eq!(out[0].extra, vec![0.0, 0.0]);
    }
}
