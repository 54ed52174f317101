//! Features per invoice, computed strictly from what was known on its invoice date: the
//! customer's earlier invoices count only if they were settled before that date (no leakage),
//! open invoices only if issued before it.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;

/// One invoice of the history (amounts in minor units).
#[derive(Clone, Debug, PartialEq)]
pub struct HistInvoice {
    pub customer: String,
    pub invoice: String,
    pub invoice_date: NaiveDate,
    pub due_date: NaiveDate,
    pub amount: i64,
    pub paid_date: Option<NaiveDate>,
    pub disputed: bool,
    /// e.g. "paper" / "electronic".
    pub channel: Option<String>,
    pub credit_score: Option<f64>,
    /// Extra numeric columns from the export, in the mapping's order.
    pub extra: Vec<f64>,
}

/// Feature names, in the order of `Features::values`.
pub const NAMES: &[&str] = &[
    "prior_invoices",
    "prior_late_share",
    "prior_mean_days_late",
    "prior_max_days_late",
    "prior_mean_days_to_settle",
    "late_trend",
    "open_at_issue",
    "amount_vs_usual",
    "log_amount",
    "payment_terms_days",
    "electronic",
    "month",
    "credit_score",
    "disputed",
];

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Features {
    pub values: Vec<f64>,
}

/// Computes features for `history[target]` from `history` as known on its invoice date.
/// `by_customer` lists, per invoice, the indexes of the same customer's invoices (any order).
pub fn features_for(history: &[HistInvoice], same_customer: &[usize], target: usize, late_after_days: i64) -> Features {
    let t = &history[target];
    let known_settled: Vec<&HistInvoice> =
        same_customer.iter().map(|i| &history[*i]).filter(|h| h.invoice != t.invoice && h.paid_date.is_some_and(|p| p < t.invoice_date)).collect();
    let n = known_settled.len() as f64;
    let late = |h: &HistInvoice| (h.paid_date.expect("settled") - h.due_date).num_days();
    let lates: Vec<i64> = known_settled.iter().map(|h| late(h)).collect();
    let late_share = if n > 0.0 { lates.iter().filter(|d| **d > late_after_days).count() as f64 / n } else { 0.0 };
    let mean_late = if n > 0.0 { lates.iter().map(|d| (*d).max(0) as f64).sum::<f64>() / n } else { 0.0 };
    let max_late = lates.iter().copied().max().unwrap_or(0).max(0) as f64;
    let mean_settle =
        if n > 0.0 { known_settled.iter().map(|h| (h.paid_date.expect("settled") - h.invoice_date).num_days() as f64).sum::<f64>() / n } else { 0.0 };
    // Trend: late share of the last three settled minus the share before them.
    let mut by_date = known_settled.clone();
    by_date.sort_by_key(|h| h.paid_date);
    let recent: Vec<&&HistInvoice> = by_date.iter().rev().take(3).collect();
    let older: Vec<&&HistInvoice> = by_date.iter().rev().skip(3).collect();
    let share = |v: &[&&HistInvoice]| if v.is_empty() { 0.0 } else { v.iter().filter(|h| late(h) > late_after_days).count() as f64 / v.len() as f64 };
    let trend = if older.is_empty() { 0.0 } else { share(&recent) - share(&older) };
    let open_at_issue = same_customer
        .iter()
        .map(|i| &history[*i])
        .filter(|h| h.invoice != t.invoice && h.invoice_date < t.invoice_date && h.paid_date.is_none_or(|p| p >= t.invoice_date))
        .count() as f64;
    let earlier: Vec<&HistInvoice> = same_customer.iter().map(|i| &history[*i]).filter(|h| h.invoice != t.invoice && h.invoice_date < t.invoice_date).collect();
    let usual = if earlier.is_empty() { t.amount as f64 } else { earlier.iter().map(|h| h.amount as f64).sum::<f64>() / earlier.len() as f64 };
    let mut values = vec![
        n,
        late_share,
        mean_late,
        max_late,
        mean_settle,
        trend,
        open_at_issue,
        if usual > 0.0 { t.amount as f64 / usual } else { 1.0 },
        ((t.amount.max(1)) as f64 / 100.0).ln(),
        (t.due_date - t.invoice_date).num_days() as f64,
        f64::from(u8::from(
            t.channel
                .as_deref()
                .is_some_and(|c| c.eq_ignore_ascii_case("electronic") || c.eq_ignore_ascii_case("e-invoice") || c.eq_ignore_ascii_case("email")),
        )),
        f64::from(t.invoice_date.month()),
        t.credit_score.unwrap_or(-1.0),
        f64::from(u8::from(t.disputed)),
    ];
    values.extend(t.extra.iter().copied());
    Features { values }
}

/// Indexes of each customer's invoices, for `features_for`.
pub fn group_by_customer(history: &[HistInvoice]) -> Vec<Vec<usize>> {
    let mut map: std::collections::HashMap<&str, Vec<usize>> = std::collections::HashMap::new();
    for (i, h) in history.iter().enumerate() {
        map.entry(h.customer.as_str()).or_default().push(i);
    }
    history.iter().map(|h| map[h.customer.as_str()].clone()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn inv(c: &str, id: &str, issued: &str, due: &str, amount: i64, paid: Option<&str>) -> HistInvoice {
        HistInvoice {
            customer: c.into(),
            invoice: id.into(),
            invoice_date: d(issued),
            due_date: d(due),
            amount,
            paid_date: paid.map(d),
            disputed: false,
            channel: None,
            credit_score: None,
            extra: vec![],
        }
    }

    #[test]
    fn features_by_hand() {
        let h = vec![
            inv("a", "1", "2024-01-01", "2024-01-31", 1000_00, Some("2024-02-20")), // 20 days late
            inv("a", "2", "2024-02-01", "2024-03-02", 1000_00, Some("2024-03-01")), // on time
            inv("a", "3", "2024-03-01", "2024-03-31", 4000_00, None),
            inv("a", "4", "2024-03-10", "2024-04-09", 1000_00, Some("2024-04-01")),
        ];
        let g = group_by_customer(&h);
        let f = features_for(&h, &g[3], 3, 10).values;
        // Known on 2024-03-10: invoices 1 and 2 settled; 3 open (issued before, unpaid).
        assert_eq!(f[0], 2.0);
        assert_eq!(f[1], 0.5);
        assert_eq!(f[2], 10.0); // (20 + 0) / 2
        assert_eq!(f[3], 20.0);
        assert_eq!(f[6], 1.0);
        assert_eq!(f[7], 1000.0 / 2000.0); // usual = (1000 + 1000 + 4000) / 3
        assert_eq!(f[9], 30.0);
        assert_eq!(f[11], 3.0);
    }

    proptest! {
        /// Leakage: the features of an invoice do not change when everything that happened after
        /// its invoice date is removed from the history (later invoices, and payments made later).
        #[test]
        fn no_feature_peeks_into_the_future(rows in proptest::collection::vec((0u8..3, 0i64..400, 10i64..60, proptest::option::of(-20i64..120), 100i64..100_000), 2..40), target in 0usize..40) {
            let start = d("2023-01-01");
            let h: Vec<HistInvoice> = rows.iter().enumerate().map(|(i, (c, off, terms, late, amount))| {
                let issued = start + chrono::Duration::days(*off);
                let due = issued + chrono::Duration::days(*terms);
                HistInvoice { customer: format!("c{c}"), invoice: format!("{i}"), invoice_date: issued, due_date: due, amount: *amount, paid_date: late.map(|l| (due + chrono::Duration::days(l)).max(issued)), disputed: false, channel: None, credit_score: None, extra: vec![] }
            }).collect();
            let target = target % h.len();
            let cut = h[target].invoice_date;
            let full = features_for(&h, &group_by_customer(&h)[target], target, 10);
            // The world as known on the invoice date.
            let known: Vec<HistInvoice> = h.iter().filter(|x| x.invoice_date <= cut).map(|x| HistInvoice { paid_date: x.paid_date.filter(|p| *p < cut), ..x.clone() }).collect();
            let kt = known.iter().position(|x| x.invoice == h[target].invoice).unwrap();
            let past = features_for(&known, &group_by_customer(&known)[kt], kt, 10);
            prop_assert_eq!(full, past);
        }
    }
}
