//! Reports for the creditor: aging buckets, segment distribution and outcomes, DSO and days to
//! pay per segment. Pure functions over claim facts as of a date. Every amount is kept per
//! currency: SEK and EUR are never added into one total.

use crate::domain::Segment;
use crate::money::{Amounts, Currency};
use chrono::{Duration, NaiveDate};
use serde::Serialize;
use std::collections::HashMap;

/// One claim as reports see it on a date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimFacts {
    /// The claim's id.
    pub id: String,
    /// Its customer.
    pub customer_id: String,
    /// Invoice date.
    pub issue_date: NaiveDate,
    /// Due date.
    pub due_date: NaiveDate,
    /// Currency.
    pub currency: Currency,
    /// Principal in minor units.
    pub principal: i64,
    /// Set when fully paid on or before the report date.
    pub settled_date: Option<NaiveDate>,
    /// Open on the report date.
    pub open: i64,
    /// Fees charged.
    pub fees: i64,
    /// Interest posted.
    pub interest: i64,
    /// Steps taken, by step kind name.
    pub steps: HashMap<String, i64>,
}

impl ClaimFacts {
    fn is_open(&self) -> bool {
        self.settled_date.is_none() && self.open > 0
    }
    fn step(&self, k: &str) -> i64 {
        self.steps.get(k).copied().unwrap_or(0)
    }
}

/// Open claims by how long overdue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AgingBucket {
    /// The bucket ("not due", "1-30", …).
    pub bucket: &'static str,
    /// Claims in it.
    pub claims: usize,
    /// Their open amount per currency.
    pub open: Amounts,
}

/// The aging buckets: (name, first day overdue, last day overdue).
pub const AGING_BUCKETS: &[(&str, i64, i64)] = &[
    ("not due", i64::MIN, 0),
    ("1-30", 1, 30),
    ("31-60", 31, 60),
    ("61-90", 61, 90),
    ("91-180", 91, 180),
    ("181+", 181, i64::MAX),
];

/// Open claims in aging buckets on `as_of`.
#[allow(
    clippy::indexing_slicing,
    reason = "the bucket index comes from position over AGING_BUCKETS, which out mirrors"
)]
pub fn aging(claims: &[ClaimFacts], as_of: NaiveDate) -> Vec<AgingBucket> {
    let mut out: Vec<AgingBucket> =
        AGING_BUCKETS.iter().map(|(b, _, _)| AgingBucket { bucket: b, claims: 0, open: Amounts::default() }).collect();
    for c in claims.iter().filter(|c| c.is_open()) {
        let late = (as_of - c.due_date).num_days();
        if let Some(i) = AGING_BUCKETS.iter().position(|(_, lo, hi)| late >= *lo && late <= *hi) {
            out[i].claims += 1;
            out[i].open.add(c.currency, c.open);
        }
    }
    out
}

/// A segment's figures: customers, claims, steps, payment times, fees and interest.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SegmentFigures {
    /// The segment (or "all").
    pub segment: String,
    /// Customers in it today.
    pub customers: usize,
    /// Their invoices counted.
    pub invoices: usize,
    /// Of those, open.
    pub open_claims: usize,
    /// Open per currency.
    pub open_amount: Amounts,
    /// Reminders sent.
    pub reminders: i64,
    /// Phone calls made.
    pub phone_calls: i64,
    /// Claims that reached a collection demand.
    pub collection_cases: usize,
    /// Claims handed to legal action.
    pub legal_cases: usize,
    /// Invoices paid.
    pub paid_invoices: usize,
    /// Average days from invoice date to payment, over invoices paid (None when none).
    pub avg_days_to_pay: Option<f64>,
    /// Average days after the due date, over invoices paid.
    pub avg_days_late: Option<f64>,
    /// Share of paid invoices paid by the due date.
    pub paid_on_time_share: Option<f64>,
    /// Fees charged per currency.
    pub fees: Amounts,
    /// Interest posted per currency.
    pub interest: Amounts,
}

/// Figures per segment. Claims count in the segment their customer is in today.
/// Only invoices issued on or after `from` count (all when None).
#[allow(clippy::indexing_slicing, reason = "three segments, three rows and three sums")]
pub fn segments(
    customers: &[(String, Option<Segment>)],
    claims: &[ClaimFacts],
    from: Option<NaiveDate>,
) -> Vec<SegmentFigures> {
    let seg_of: HashMap<&str, Segment> =
        customers.iter().map(|(id, s)| (id.as_str(), s.unwrap_or(Segment::Normal))).collect();
    let mut rows: Vec<SegmentFigures> = [Segment::Risk, Segment::Normal, Segment::Vip]
        .iter()
        .map(|s| SegmentFigures { segment: s.to_string(), ..Default::default() })
        .collect();
    let idx = |s: Segment| match s {
        Segment::Risk => 0,
        Segment::Normal => 1,
        Segment::Vip => 2,
    };
    for (_, s) in customers {
        rows[idx(s.unwrap_or(Segment::Normal))].customers += 1;
    }
    let mut sums = [(0i64, 0i64, 0usize); 3];
    for c in claims.iter().filter(|c| from.is_none_or(|f| c.issue_date >= f)) {
        let i = idx(seg_of.get(c.customer_id.as_str()).copied().unwrap_or(Segment::Normal));
        let r = &mut rows[i];
        r.invoices += 1;
        if c.is_open() {
            r.open_claims += 1;
            r.open_amount.add(c.currency, c.open);
        }
        r.reminders += c.step("reminder");
        r.phone_calls += c.step("phone_call");
        r.collection_cases += usize::from(c.step("collection") > 0);
        r.legal_cases += usize::from(c.step("legal") > 0);
        r.fees.add(c.currency, c.fees);
        r.interest.add(c.currency, c.interest);
        if let Some(p) = c.settled_date {
            r.paid_invoices += 1;
            sums[i].0 += (p - c.issue_date).num_days();
            sums[i].1 += (p - c.due_date).num_days().max(0);
            sums[i].2 += usize::from(p <= c.due_date);
        }
    }
    for (i, r) in rows.iter_mut().enumerate() {
        if r.paid_invoices > 0 {
            let n = r.paid_invoices as f64;
            r.avg_days_to_pay = Some(round1(sums[i].0 as f64 / n));
            r.avg_days_late = Some(round1(sums[i].1 as f64 / n));
            r.paid_on_time_share = Some(round1(100.0 * sums[i].2 as f64 / n) / 100.0);
        }
    }
    rows
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// DSO in one currency.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CurrencyDso {
    /// The currency.
    pub currency: Currency,
    /// Open receivables (principal, fees and interest) on the date.
    pub receivables: i64,
    /// Invoiced in the window.
    pub sales: i64,
    /// Days sales outstanding: receivables / sales × window days.
    pub dso: Option<f64>,
    /// Best possible DSO: only the not-yet-due part of receivables.
    pub best_dso: Option<f64>,
}

/// Days sales outstanding on a date.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Dso {
    /// The date.
    pub as_of: NaiveDate,
    /// The sales window in days.
    pub window_days: i64,
    /// Per currency: a ratio of SEK receivables to EUR sales would mean nothing.
    pub currencies: Vec<CurrencyDso>,
    /// Days to pay per segment.
    pub per_segment: Vec<SegmentFigures>,
}

/// DSO over the last `window_days` (the standard formula), per currency, with the best possible
/// DSO (current receivables only) and average days to pay per segment over invoices paid in the
/// window.
pub fn dso(customers: &[(String, Option<Segment>)], claims: &[ClaimFacts], as_of: NaiveDate, window_days: i64) -> Dso {
    let start = as_of - Duration::days(window_days);
    let (mut receivables, mut current, mut sales) = (Amounts::default(), Amounts::default(), Amounts::default());
    for c in claims {
        if c.is_open() {
            receivables.add(c.currency, c.open);
            if c.due_date >= as_of {
                current.add(c.currency, c.open);
            }
        }
        if c.issue_date > start && c.issue_date <= as_of {
            sales.add(c.currency, c.principal);
        }
    }
    let mut currencies: Vec<Currency> = receivables.currencies().chain(sales.currencies()).collect();
    currencies.sort();
    currencies.dedup();
    let currencies = currencies
        .into_iter()
        .map(|cur| {
            let sales = sales.get(cur);
            let ratio = |x: i64| (sales > 0).then(|| round1(x as f64 / sales as f64 * window_days as f64));
            CurrencyDso {
                currency: cur,
                receivables: receivables.get(cur),
                sales,
                dso: ratio(receivables.get(cur)),
                best_dso: ratio(current.get(cur)),
            }
        })
        .collect();
    let paid_in_window: Vec<ClaimFacts> =
        claims.iter().filter(|c| c.settled_date.is_some_and(|p| p > start)).cloned().collect();
    Dso { as_of, window_days, currencies, per_segment: segments(customers, &paid_in_window, None) }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn claim(
        id: &str,
        cust: &str,
        issue: &str,
        due: &str,
        principal: i64,
        settled: Option<&str>,
        open: i64,
    ) -> ClaimFacts {
        ClaimFacts {
            id: id.into(),
            customer_id: cust.into(),
            issue_date: d(issue),
            due_date: d(due),
            currency: Currency::SEK,
            principal,
            settled_date: settled.map(d),
            open,
            fees: 0,
            interest: 0,
            steps: HashMap::new(),
        }
    }

    #[test]
    fn aging_and_dso_by_hand() {
        let claims = vec![
            claim("a", "c1", "2024-03-01", "2024-03-31", 1000_00, None, 1000_00), // 15 days late on 04-15
            claim("b", "c1", "2024-01-01", "2024-01-31", 500_00, None, 560_00),   // 75 days late
            claim("c", "c2", "2024-04-01", "2024-05-01", 2000_00, None, 2000_00), // not due
            claim("e", "c2", "2024-02-01", "2024-03-01", 300_00, Some("2024-03-11"), 0),
        ];
        let a = aging(&claims, d("2024-04-15"));
        assert_eq!((a[0].claims, a[0].open.get(Currency::SEK)), (1, 2000_00));
        assert_eq!((a[1].claims, a[1].open.get(Currency::SEK)), (1, 1000_00));
        assert_eq!((a[3].claims, a[3].open.get(Currency::SEK)), (1, 560_00));
        // Window 90 days back from 04-15 = after 01-16: sales a + c + e = 3300; receivables 3560.
        let customers = vec![("c1".to_string(), Some(Segment::Risk)), ("c2".to_string(), None)];
        let x = dso(&customers, &claims, d("2024-04-15"), 90);
        let sek = &x.currencies[0];
        assert_eq!(sek.sales, 3300_00);
        assert_eq!(sek.receivables, 3560_00);
        assert_eq!(sek.dso, Some(97.1)); // 3560 / 3300 × 90 = 97.09
        assert_eq!(sek.best_dso, Some(54.5)); // 2000 / 3300 × 90 = 54.55
        let n = &x.per_segment[1];
        assert_eq!((n.paid_invoices, n.avg_days_to_pay, n.avg_days_late), (1, Some(39.0), Some(10.0)));
    }

    /// Issue #8 case 7: reports added NOK and EUR into one SEK total.
    #[test]
    fn totals_are_kept_per_currency() {
        let mut eur = claim("x", "c1", "2024-03-01", "2024-03-31", 100_00, None, 100_00);
        eur.currency = Currency::EUR;
        let claims = vec![claim("a", "c1", "2024-03-01", "2024-03-31", 1000_00, None, 1000_00), eur];
        let a = aging(&claims, d("2024-04-15"));
        assert_eq!(a[1].claims, 2);
        assert_eq!(a[1].open.to_string(), "1000.00 SEK + 100.00 EUR");
        assert_eq!(serde_json::to_string(&a[1].open).unwrap(), r#"{"SEK":"1000.00","EUR":"100.00"}"#);
        let x = dso(&[("c1".to_string(), None)], &claims, d("2024-04-15"), 90);
        assert_eq!(
            x.currencies.iter().map(|c| (c.currency, c.receivables, c.sales)).collect::<Vec<_>>(),
            vec![(Currency::SEK, 1000_00, 1000_00), (Currency::EUR, 100_00, 100_00)]
        );
        let s = segments(&[("c1".to_string(), None)], &claims, None);
        assert_eq!(s[1].open_amount.get(Currency::EUR), 100_00);
    }
}
