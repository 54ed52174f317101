//! Features per invoice, computed strictly from what was known on a date: for training, the
//! invoice's own issue date; for scoring, the day of the run. The customer's other invoices
//! count as settled only if paid before that date, as open or as "usual amount" only if issued
//! before it. Nothing later is ever read (a property test removes the future and compares).

use chrono::{Datelike, NaiveDate};
use fordra_core::history::HistInvoice;
use rayon::prelude::*;
use rustc_hash::FxHashMap;

/// Feature names, in the order of a feature row (extra export columns follow).
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
];

/// Index of a named feature in a row.
pub fn index_of(name: &str) -> Option<usize> {
    NAMES.iter().position(|n| *n == name)
}

/// What a customer's other invoices said on a date: settled ones (in settlement order) and
/// issued ones. Small and `Copy`, so the sweep can hand one to every invoice of a day.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Past {
    settled: u32,
    late: u32,
    /// Sum of days late, early payments counting as 0.
    days_late: i64,
    max_days_late: i64,
    days_to_settle: i64,
    /// Late flags of the latest three settlements (a ring).
    recent: [bool; 3],
    issued: u32,
    issued_amount: i64,
}

impl Past {
    /// Counts a settled invoice of the customer (paid, how late, how long it took).
    #[allow(clippy::indexing_slicing, reason = "the ring of three is indexed modulo 3")]
    pub fn settle(&mut self, h: &HistInvoice, late_after: i64) {
        let (Some(paid), Some(late)) = (h.paid_date, h.days_late()) else { return };
        let is_late = late > late_after;
        self.recent[self.settled as usize % 3] = is_late;
        self.settled += 1;
        self.late += u32::from(is_late);
        self.days_late += late.max(0);
        self.max_days_late = self.max_days_late.max(late);
        self.days_to_settle += (paid - h.invoice_date).num_days();
    }
    /// Counts an invoice issued to the customer.
    pub fn issue(&mut self, h: &HistInvoice) {
        self.issued += 1;
        self.issued_amount += h.amount;
    }

    /// The feature row of `t`, given what its customer's *other* invoices said on the day.
    pub fn row(&self, t: &HistInvoice, out: &mut Vec<f64>) {
        let n = f64::from(self.settled);
        let per = |x: f64| if self.settled > 0 { x / n } else { 0.0 };
        // Trend: the late share of the last three settlements minus the share before them.
        let trend = if self.settled > 3 {
            let recent = self.recent.iter().filter(|l| **l).count() as f64;
            recent / 3.0 - (f64::from(self.late) - recent) / (n - 3.0)
        } else {
            0.0
        };
        let usual = if self.issued > 0 { self.issued_amount as f64 / f64::from(self.issued) } else { t.amount as f64 };
        out.extend_from_slice(&[
            n,
            per(f64::from(self.late)),
            per(self.days_late as f64),
            self.max_days_late.max(0) as f64,
            per(self.days_to_settle as f64),
            trend,
            // Settled invoices were issued before the day too (paid dates never precede issue).
            f64::from(self.issued - self.settled),
            if usual > 0.0 { t.amount as f64 / usual } else { 1.0 },
            (t.amount.max(1) as f64 / 100.0).ln(),
            (t.due_date - t.invoice_date).num_days() as f64,
            f64::from(u8::from(t.channel.as_deref().is_some_and(is_electronic))),
            f64::from(t.invoice_date.month()),
            t.credit_score.unwrap_or(-1.0),
        ]);
        out.extend_from_slice(&t.extra);
    }
}

fn is_electronic(c: &str) -> bool {
    ["electronic", "e-invoice", "einvoice", "email", "e-mail", "edi", "efaktura", "e-faktura", "verkkolasku"]
        .iter()
        .any(|e| c.eq_ignore_ascii_case(e))
}

/// Order in which settlements are counted (ties broken so the trend is well defined).
fn settle_order(a: &HistInvoice, b: &HistInvoice) -> std::cmp::Ordering {
    (a.paid_date, a.invoice_date, &a.invoice).cmp(&(b.paid_date, b.invoice_date, &b.invoice))
}

/// The reference definition: features of `history[target]` as known on `known_on` (not before
/// its invoice date), from the same customer's invoices `same_customer` (any order). Simple and
/// slow; the sweeps below must agree with it.
#[allow(clippy::indexing_slicing, reason = "indexes are positions in `history` (from enumerate or customers())")]
pub fn features_known_on(
    history: &[HistInvoice],
    same_customer: &[usize],
    target: usize,
    known_on: NaiveDate,
    late_after: i64,
) -> Vec<f64> {
    let others = || same_customer.iter().filter(move |i| **i != target).map(|i| &history[*i]);
    let mut settled: Vec<&HistInvoice> = others().filter(|h| h.paid_date.is_some_and(|p| p < known_on)).collect();
    settled.sort_by(|a, b| settle_order(a, b));
    let mut past = Past::default();
    settled.into_iter().for_each(|h| past.settle(h, late_after));
    others().filter(|h| h.invoice_date < known_on).for_each(|h| past.issue(h));
    let mut out = Vec::new();
    past.row(&history[target], &mut out);
    out
}

/// Features of `history[target]` as known on its own invoice date (training).
#[allow(clippy::indexing_slicing, reason = "target is a position in `history`")]
pub fn features_for(history: &[HistInvoice], same_customer: &[usize], target: usize, late_after: i64) -> Vec<f64> {
    features_known_on(history, same_customer, target, history[target].invoice_date, late_after)
}

/// Indexes of each customer's invoices, in history order.
#[allow(clippy::indexing_slicing, reason = "g is the position of a group just pushed or found")]
pub fn customers(history: &[HistInvoice]) -> Vec<Vec<usize>> {
    let mut map: FxHashMap<&str, usize> = FxHashMap::default();
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, h) in history.iter().enumerate() {
        let g = *map.entry(h.customer.as_str()).or_insert_with(|| {
            groups.push(Vec::new());
            groups.len() - 1
        });
        groups[g].push(i);
    }
    groups
}

/// A dense row-major feature matrix.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rows {
    /// Features per row.
    pub cols: usize,
    /// The rows one after another.
    pub data: Vec<f64>,
}

impl Rows {
    /// Number of rows.
    pub fn len(&self) -> usize {
        self.data.len().checked_div(self.cols).unwrap_or(0)
    }
    /// No rows.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }
    /// Row `i` (panics if out of range; callers index rows they made).
    #[allow(clippy::indexing_slicing, reason = "callers index rows they made (i < len); documented on the method")]
    pub fn row(&self, i: usize) -> &[f64] {
        &self.data[i * self.cols..(i + 1) * self.cols]
    }
    /// Column-major copy (what the tree learner reads).
    #[allow(clippy::indexing_slicing, reason = "every cell is within the column-major copy of the same size")]
    pub fn columns(&self) -> Vec<f64> {
        let n = self.len();
        let mut out = vec![0.0; self.data.len()];
        for (i, r) in self.data.chunks_exact(self.cols.max(1)).enumerate() {
            for (j, v) in r.iter().enumerate() {
                out[j * n + i] = *v;
            }
        }
        out
    }
    /// The rows at `idx`, in that order.
    pub fn select(&self, idx: &[usize]) -> Rows {
        let mut data = Vec::with_capacity(idx.len() * self.cols);
        idx.iter().for_each(|i| data.extend_from_slice(self.row(*i)));
        Rows { cols: self.cols, data }
    }
}

/// Number of features of a history's rows.
pub fn width(history: &[HistInvoice]) -> usize {
    NAMES.len() + history.first().map_or(0, |h| h.extra.len())
}

/// Rows of some invoices, kept together with their history indexes (one allocation, not one per
/// row: a million rows are built per run).
#[derive(Default)]
struct Part {
    idx: Vec<usize>,
    data: Vec<f64>,
}

/// Appends the rows of the invoices of one customer `g` that `keep` selects, as known on their
/// own invoice dates, by sweeping issue and settlement dates once (O(k log k) instead of the
/// reference's O(k²)).
#[allow(
    clippy::indexing_slicing,
    reason = "indexes are positions in `history`; s and k stay below their lists' lengths (k only reaches an invoice issued before one still ahead)"
)]
fn sweep(history: &[HistInvoice], g: &[usize], late_after: i64, keep: impl Fn(usize) -> bool, out: &mut Part) {
    let mut by_issue = g.to_vec();
    by_issue.sort_by_key(|i| (history[*i].invoice_date, *i));
    let mut by_settle: Vec<usize> = g.iter().copied().filter(|i| history[*i].paid_date.is_some()).collect();
    by_settle.sort_by(|a, b| settle_order(&history[*a], &history[*b]));
    let (mut past, mut s, mut k) = (Past::default(), 0, 0);
    for &t in &by_issue {
        let day = history[t].invoice_date;
        while s < by_settle.len() && history[by_settle[s]].paid_date.is_some_and(|p| p < day) {
            past.settle(&history[by_settle[s]], late_after);
            s += 1;
        }
        while history[by_issue[k]].invoice_date < day {
            past.issue(&history[by_issue[k]]);
            k += 1;
        }
        if keep(t) {
            out.idx.push(t);
            past.row(&history[t], &mut out.data);
        }
    }
}

/// Joins parts into rows in history order.
#[allow(clippy::indexing_slicing, reason = "k indexes a part's own rows, each `cols` wide")]
fn assemble(parts: Vec<Part>, cols: usize) -> (Vec<usize>, Rows) {
    let mut order: Vec<(usize, usize, usize)> = parts
        .iter()
        .enumerate()
        .flat_map(|(p, part)| part.idx.iter().enumerate().map(move |(k, t)| (*t, p, k)))
        .collect();
    order.sort_unstable();
    let mut data = Vec::with_capacity(order.len() * cols);
    for (_, p, k) in &order {
        data.extend_from_slice(&parts[*p].data[k * cols..(k + 1) * cols]);
    }
    (order.into_iter().map(|o| o.0).collect(), Rows { cols, data })
}

/// Every invoice's features as known on its own invoice date; customers in parallel.
pub fn at_issue(history: &[HistInvoice], late_after: i64) -> Rows {
    let cols = width(history);
    let parts: Vec<Part> = customers(history)
        .par_chunks(256)
        .map(|gs| {
            let mut part = Part::default();
            gs.iter().for_each(|g| sweep(history, g, late_after, |_| true, &mut part));
            part
        })
        .collect();
    assemble(parts, cols).1
}

/// What is known about every customer on a date, for scoring.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    /// Indexes into the history of the invoices open on the date (issued on or before it), and
    /// their rows as known on their invoice dates — as the model was trained, so an older
    /// invoice is not judged by invoices issued after it.
    pub open: Vec<usize>,
    /// The rows of `open`, in the same order.
    pub open_rows: Rows,
    /// Customer ids, and the row that stands for each: their latest invoice as known on the date
    /// (everything settled before it counts), with the customer's current credit score.
    pub customers: Vec<String>,
    /// The rows of `customers`, in the same order.
    pub customer_rows: Rows,
}

/// Which parts of a snapshot to compute (a run that only segments needs no invoice rows).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Parts {
    /// Rows of the open invoices (pre-due nudges, scores of invoices).
    pub open: bool,
    /// Rows of the customers (the segmentation rule).
    pub customers: bool,
}

/// Features of every open invoice and every customer on `as_of`. `score_of` gives a customer's
/// current credit score.
pub fn snapshot(
    history: &[HistInvoice],
    as_of: NaiveDate,
    late_after: i64,
    score_of: &(dyn Fn(&str) -> Option<f64> + Sync),
) -> Snapshot {
    snapshot_of(history, as_of, late_after, score_of, Parts { open: true, customers: true })
}

/// As `snapshot`, computing only the parts asked for (the others are left empty).
#[allow(clippy::indexing_slicing, reason = "indexes are positions in `history` from customers(); rows are `cols` wide")]
pub fn snapshot_of(
    history: &[HistInvoice],
    as_of: NaiveDate,
    late_after: i64,
    score_of: &(dyn Fn(&str) -> Option<f64> + Sync),
    want: Parts,
) -> Snapshot {
    let cols = width(history);
    let is_open = |t: usize| history[t].invoice_date <= as_of && history[t].paid_date.is_none_or(|p| p >= as_of);
    let parts: Vec<(Part, Part)> = customers(history)
        .par_chunks(256)
        .map(|gs| {
            let (mut open, mut latest_rows) = (Part::default(), Part::default());
            for g in gs {
                if want.open && g.iter().any(|t| is_open(*t)) {
                    sweep(history, g, late_after, is_open, &mut open);
                }
                if !want.customers {
                    continue;
                }
                // The customer's latest invoice as known today: everything else before today counts.
                let Some(l) = g
                    .iter()
                    .copied()
                    .filter(|i| history[*i].invoice_date <= as_of)
                    .max_by_key(|i| (history[*i].invoice_date, *i))
                else {
                    continue;
                };
                let mut settled: Vec<usize> =
                    g.iter().copied().filter(|i| *i != l && history[*i].paid_date.is_some_and(|p| p < as_of)).collect();
                settled.sort_by(|a, b| settle_order(&history[*a], &history[*b]));
                let mut past = Past::default();
                settled.iter().for_each(|i| past.settle(&history[*i], late_after));
                g.iter()
                    .filter(|i| **i != l && history[**i].invoice_date < as_of)
                    .for_each(|i| past.issue(&history[*i]));
                let h = &history[l];
                let scored = HistInvoice { credit_score: score_of(&h.customer).or(h.credit_score), ..h.clone() };
                latest_rows.idx.push(l);
                past.row(&scored, &mut latest_rows.data);
            }
            (open, latest_rows)
        })
        .collect();
    let (open, latest): (Vec<Part>, Vec<Part>) = parts.into_iter().unzip();
    let (open, open_rows) = assemble(open, cols);
    // Customers in id order.
    let (latest, rows) = assemble(latest, cols);
    let mut order: Vec<usize> = (0..latest.len()).collect();
    order.sort_by(|a, b| history[latest[*a]].customer.cmp(&history[latest[*b]].customer));
    Snapshot {
        open,
        open_rows,
        customers: order.iter().map(|k| history[latest[*k]].customer.clone()).collect(),
        customer_rows: rows.select(&order),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    pub(crate) fn inv(c: &str, id: &str, issued: &str, due: &str, amount: i64, paid: Option<&str>) -> HistInvoice {
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
        let g = customers(&h);
        let f = features_for(&h, &g[0], 3, 10);
        // Known on 2024-03-10: invoices 1 and 2 settled; 3 open (issued before, unpaid).
        assert_eq!(f[0], 2.0);
        assert_eq!(f[1], 0.5);
        assert_eq!(f[2], 10.0); // (20 + 0) / 2
        assert_eq!(f[3], 20.0);
        assert_eq!(f[4], (50.0 + 29.0) / 2.0); // days from invoice to payment
        assert_eq!(f[6], 1.0);
        assert_eq!(f[7], 1000.0 / 2000.0); // usual = (1000 + 1000 + 4000) / 3
        assert_eq!(f[9], 30.0);
        assert_eq!(f[11], 3.0);
        assert_eq!(f[12], -1.0, "no credit score");
        // The sweep gives the same rows.
        let rows = at_issue(&h, 10);
        for i in 0..h.len() {
            assert_eq!(rows.row(i), features_for(&h, &g[0], i, 10).as_slice());
        }
    }

    #[test]
    fn trend_compares_the_last_three_with_the_rest() {
        let mut h: Vec<HistInvoice> = (0..6)
            .map(|m| {
                let issued = d("2024-01-01") + chrono::Duration::days(30 * m);
                let due = issued + chrono::Duration::days(20);
                let late = if m >= 3 { 30 } else { 0 };
                inv(
                    "a",
                    &m.to_string(),
                    &issued.to_string(),
                    &due.to_string(),
                    100_00,
                    Some(&(due + chrono::Duration::days(late)).to_string()),
                )
            })
            .collect();
        h.push(inv("a", "x", "2024-12-01", "2024-12-31", 100_00, None));
        let f = features_for(&h, &customers(&h)[0], 6, 10);
        assert_eq!(f[5], 1.0, "the last three late, the three before on time");
    }

    fn arbitrary_history(rows: &[(u8, i64, i64, Option<i64>, i64)]) -> Vec<HistInvoice> {
        let start = d("2023-01-01");
        rows.iter()
            .enumerate()
            .map(|(i, (c, off, terms, late, amount))| {
                let issued = start + chrono::Duration::days(*off);
                let due = issued + chrono::Duration::days(*terms);
                HistInvoice {
                    customer: format!("c{c}"),
                    invoice: format!("{i}"),
                    invoice_date: issued,
                    due_date: due,
                    amount: *amount,
                    paid_date: late.map(|l| (due + chrono::Duration::days(l)).max(issued)),
                    disputed: false,
                    channel: None,
                    credit_score: None,
                    extra: vec![],
                }
            })
            .collect()
    }

    fn rows_strategy() -> impl Strategy<Value = Vec<(u8, i64, i64, Option<i64>, i64)>> {
        proptest::collection::vec(
            (0u8..3, 0i64..400, 10i64..60, proptest::option::of(-20i64..120), 100i64..100_000),
            2..40,
        )
    }

    /// The first invoice whose features change when the world is cut back to what was known on
    /// its invoice date (later invoices removed, later payments unknown), if any.
    type FeatureFn<'a> = &'a dyn Fn(&[HistInvoice], &[usize], usize) -> Vec<f64>;

    fn first_leak(h: &[HistInvoice], f: FeatureFn<'_>) -> Option<usize> {
        (0..h.len()).find(|&target| {
            let cut = h[target].invoice_date;
            let g: Vec<usize> = (0..h.len()).filter(|i| h[*i].customer == h[target].customer).collect();
            let known: Vec<HistInvoice> = h
                .iter()
                .filter(|x| x.invoice_date <= cut)
                .map(|x| HistInvoice { paid_date: x.paid_date.filter(|p| *p < cut), ..x.clone() })
                .collect();
            let kt = known.iter().position(|x| x.invoice == h[target].invoice).unwrap();
            let kg: Vec<usize> = (0..known.len()).filter(|i| known[*i].customer == h[target].customer).collect();
            f(h, &g, target) != f(&known, &kg, kt)
        })
    }

    #[test]
    fn the_leakage_check_catches_a_feature_that_peeks() {
        let h = arbitrary_history(&[(0, 0, 30, Some(5), 1000), (0, 40, 30, Some(40), 1000), (0, 80, 30, None, 1000)]);
        assert_eq!(first_leak(&h, &|h, g, t| features_for(h, g, t, 10)), None);
        // Counting every settled invoice of the customer, whenever it was paid, peeks ahead.
        let peeks = |h: &[HistInvoice], g: &[usize], _t: usize| {
            vec![g.iter().filter(|i| h[**i].paid_date.is_some()).count() as f64]
        };
        assert_eq!(first_leak(&h, &peeks), Some(0));
        // So does the customer's share of late invoices over the whole history.
        let late_share = |h: &[HistInvoice], g: &[usize], _t: usize| {
            vec![g.iter().filter(|i| h[**i].days_late().is_some_and(|d| d > 10)).count() as f64]
        };
        assert!(first_leak(&h, &late_share).is_some());
    }

    proptest! {
        /// Leakage: the features of an invoice do not change when everything that happened after
        /// its invoice date is removed from the history (later invoices, and payments made later).
        #[test]
        fn no_feature_peeks_into_the_future(rows in rows_strategy()) {
            let h = arbitrary_history(&rows);
            prop_assert_eq!(first_leak(&h, &|h, g, t| features_for(h, g, t, 10)), None);
            // The fast sweep used for training agrees with the reference, row by row.
            let rows = at_issue(&h, 10);
            for (t, _) in h.iter().enumerate() {
                let g: Vec<usize> = (0..h.len()).filter(|i| h[*i].customer == h[t].customer).collect();
                let reference = features_for(&h, &g, t, 10);
                prop_assert_eq!(rows.row(t), reference.as_slice());
            }
        }

        /// Scoring on a later date reads nothing after that date either, and agrees with the
        /// reference for every open invoice and every customer.
        #[test]
        fn snapshot_reads_nothing_after_its_date(rows in rows_strategy(), day in 0i64..500) {
            let h = arbitrary_history(&rows);
            let as_of = d("2023-01-01") + chrono::Duration::days(day);
            let s = snapshot(&h, as_of, 10, &|_| None);
            let known: Vec<HistInvoice> = h.iter().filter(|x| x.invoice_date <= as_of).map(|x| HistInvoice { paid_date: x.paid_date.filter(|p| *p < as_of), ..x.clone() }).collect();
            let k = snapshot(&known, as_of, 10, &|_| None);
            prop_assert_eq!(&s.customer_rows, &k.customer_rows);
            prop_assert_eq!(&s.open_rows, &k.open_rows);
            // Each part alone is what the whole snapshot has.
            let open = snapshot_of(&h, as_of, 10, &|_| None, Parts { open: true, customers: false });
            prop_assert_eq!((&open.open, &open.open_rows), (&s.open, &s.open_rows));
            prop_assert!(open.customers.is_empty());
            let custs = snapshot_of(&h, as_of, 10, &|_| None, Parts { open: false, customers: true });
            prop_assert_eq!((&custs.customers, &custs.customer_rows), (&s.customers, &s.customer_rows));
            prop_assert!(custs.open.is_empty());
            for (n, t) in s.open.iter().enumerate() {
                let g: Vec<usize> = (0..h.len()).filter(|i| h[*i].customer == h[*t].customer).collect();
                let reference = features_for(&h, &g, *t, 10);
                prop_assert_eq!(s.open_rows.row(n), reference.as_slice());
            }
            for (n, c) in s.customers.iter().enumerate() {
                let g: Vec<usize> = (0..h.len()).filter(|i| &h[*i].customer == c).collect();
                let latest = g.iter().copied().filter(|i| h[*i].invoice_date <= as_of).max_by_key(|i| (h[*i].invoice_date, *i)).unwrap();
                let reference = features_known_on(&h, &g, latest, as_of, 10);
                prop_assert_eq!(s.customer_rows.row(n), reference.as_slice());
            }
        }
    }
}
