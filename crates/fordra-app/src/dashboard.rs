//! The creditor's dashboard: the portfolio's figures in one answer, each series also a table
//! (the web page draws them and offers each as CSV).

use crate::model::{ExplainInput, Explained, ModelChoice};
use crate::{App, CreditorId, Minor, Result};
use chrono::{Duration, NaiveDate};
use fordra_core::domain::Segment;
use fordra_core::report::{AgingBucket, SegmentFigures};
use fordra_core::strategy::ExperimentReport;
use serde::Serialize;

/// Months of history the trend shows.
pub const TREND_MONTHS: i64 = 6;
/// Days of one trend point (a month).
const POINT_DAYS: i64 = 30;

/// One point of the trend: DSO and days to pay per segment over the 30 days before `date`.
#[derive(Clone, Debug, Serialize)]
pub struct TrendPoint {
    /// The point's last day.
    pub date: NaiveDate,
    /// DSO in the creditor's currency over the 30 days.
    pub dso: Option<f64>,
    /// Average days from invoice to payment of invoices paid in the 30 days, per segment
    /// (Risk, Normal, VIP).
    pub days_to_pay: Vec<(Segment, Option<f64>)>,
}

/// Customers who moved between segments in the last 30 days.
#[derive(Clone, Debug, Serialize)]
pub struct SegmentMove {
    /// From (none: newly segmented).
    pub from: Option<Segment>,
    /// To.
    pub to: Segment,
    /// How many.
    pub customers: i64,
}

/// Cash the model expects in the coming days.
#[derive(Clone, Debug, Serialize)]
pub struct CashExpected {
    /// Within this many days.
    pub days: i64,
    /// Expected by the model.
    pub expected: Minor,
    /// If everyone paid on the due date.
    pub if_paid_on_due_date: Minor,
}

/// A running experiment with its figures.
#[derive(Clone, Debug, Serialize)]
pub struct RunningExperiment {
    /// Its name.
    pub name: String,
    /// Its segment.
    pub segment: Segment,
    /// Since.
    pub started: NaiveDate,
    /// Champion and challenger with 95 % intervals.
    pub report: ExperimentReport,
}

/// A factor of the payment-behaviour model.
#[derive(Clone, Debug, Serialize)]
pub struct Factor {
    /// The feature.
    pub feature: String,
    /// Its weight on the expected days late.
    pub days: f64,
}

/// The dashboard.
#[derive(Clone, Debug, Serialize)]
pub struct Dashboard {
    /// As of.
    pub as_of: NaiveDate,
    /// The creditor's name.
    pub name: String,
    /// The creditor's currency.
    pub currency: &'static str,
    /// Open claims by days past due.
    pub aging: Vec<AgingBucket>,
    /// Figures per segment (customers, collection, fees, interest), and "all".
    pub segments: Vec<SegmentFigures>,
    /// Moves between segments in the last 30 days.
    pub moves: Vec<SegmentMove>,
    /// The last months, oldest first.
    pub trend: Vec<TrendPoint>,
    /// Cash expected in 30, 60 and 90 days (none without a model).
    pub cash: Vec<CashExpected>,
    /// Running experiments.
    pub experiments: Vec<RunningExperiment>,
    /// The model's strongest factors (none without a model).
    pub factors: Vec<Factor>,
    /// What could not be shown, in words.
    pub notes: Vec<String>,
}

/// The dashboard's tables: each chart's numbers (and a CSV download of its own).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Table {
    /// Open claims by days past due.
    Aging,
    /// DSO and days to pay per segment over the months.
    Trend,
    /// Figures per segment.
    Segments,
    /// Moves between segments.
    Moves,
    /// Cash expected.
    Cash,
    /// Running experiments.
    Experiments,
    /// The model's strongest factors.
    Factors,
}

impl Table {
    /// Every table, in the page's order.
    pub const ALL: &'static [Table] =
        &[Table::Aging, Table::Trend, Table::Segments, Table::Moves, Table::Cash, Table::Experiments, Table::Factors];

    /// Its name in addresses ("aging", …).
    pub fn name(self) -> &'static str {
        match self {
            Table::Aging => "aging",
            Table::Trend => "trend",
            Table::Segments => "segments",
            Table::Moves => "moves",
            Table::Cash => "cash",
            Table::Experiments => "experiments",
            Table::Factors => "factors",
        }
    }

    /// The table with this name.
    pub fn named(name: &str) -> Option<Table> {
        Table::ALL.iter().copied().find(|t| t.name() == name)
    }
}

impl App<'_> {
    /// The creditor's dashboard on `as_of`: every table.
    pub fn dashboard(&mut self, creditor: &CreditorId, as_of: NaiveDate) -> Result<Dashboard> {
        self.dashboard_of(creditor, as_of, Table::ALL)
    }

    /// The dashboard with only `tables` filled (one CSV download computes one table).
    pub fn dashboard_of(&mut self, creditor: &CreditorId, as_of: NaiveDate, tables: &[Table]) -> Result<Dashboard> {
        let cr = self.store.creditor(creditor)?;
        let mut d = Dashboard {
            as_of,
            name: cr.name,
            currency: cr.currency.code(),
            aging: Vec::new(),
            segments: Vec::new(),
            moves: Vec::new(),
            trend: Vec::new(),
            cash: Vec::new(),
            experiments: Vec::new(),
            factors: Vec::new(),
            notes: Vec::new(),
        };
        for t in tables {
            match t {
                Table::Aging => d.aging = self.aging(creditor, as_of)?.buckets,
                Table::Segments => d.segments = self.segments(creditor, as_of)?.segments,
                Table::Moves => {
                    d.moves = self
                        .store
                        .segment_moves(&creditor.0, as_of - Duration::days(POINT_DAYS - 1), as_of)?
                        .into_iter()
                        .map(|(from, to, customers)| SegmentMove { from, to, customers })
                        .collect();
                }
                Table::Trend => d.trend = self.trend(creditor, as_of, d.currency)?,
                Table::Cash => match self.forecast(creditor, as_of, 13) {
                    Ok(f) => d.cash = cash_within(&f),
                    Err(e) => d.notes.push(format!("cash forecast: {e}")),
                },
                Table::Factors => {
                    let x = ExplainInput {
                        model: ModelChoice::Active,
                        invoice: None,
                        customer: None,
                        date: None,
                        chart: false,
                    };
                    match self.explain_model(creditor, &x) {
                        Ok(Explained::Global { factors, .. }) => {
                            d.factors = factors
                                .into_iter()
                                .take(8)
                                .map(|f| Factor { feature: f.feature, days: f.days })
                                .collect();
                        }
                        Ok(_) => {}
                        Err(e) => d.notes.push(format!("model: {e}")),
                    }
                }
                Table::Experiments => {
                    for e in self.list_experiments(creditor)?.into_iter().filter(|e| e.ended.is_none()) {
                        let out = self.experiment_report(creditor, &e.name, as_of, 30, &Default::default())?;
                        d.experiments.push(RunningExperiment {
                            name: e.name,
                            segment: e.segment,
                            started: e.started,
                            report: out.report,
                        });
                    }
                }
            }
        }
        Ok(d)
    }

    /// DSO and days to pay per segment over each of the last months.
    fn trend(&mut self, creditor: &CreditorId, as_of: NaiveDate, currency: &str) -> Result<Vec<TrendPoint>> {
        let mut trend = Vec::new();
        for k in (0..TREND_MONTHS).rev() {
            let date = as_of - Duration::days(k * POINT_DAYS);
            let d = self.dso(creditor, date, POINT_DAYS)?;
            let dso = d.currencies.iter().find(|c| c.currency == currency).and_then(|c| c.dso);
            let days_to_pay = Segment::ALL
                .iter()
                .map(|s| (*s, d.segments.iter().find(|f| f.segment == s.to_string()).and_then(|f| f.avg_days_to_pay)))
                .collect();
            trend.push(TrendPoint { date, dso, days_to_pay });
        }
        Ok(trend)
    }
}

/// Cash expected within 30, 60 and 90 days: the forecast's weeks that start within the days
/// (weeks are whole).
fn cash_within(f: &crate::model::Forecast) -> Vec<CashExpected> {
    [30, 60, 90]
        .iter()
        .map(|days| {
            let weeks = usize::try_from((days + 6) / 7).unwrap_or(0);
            let (e, d) =
                f.weeks.iter().take(weeks).fold((0, 0), |(e, d), w| (e + w.expected.0, d + w.if_paid_on_due_date.0));
            CashExpected { days: *days, expected: Minor(e), if_paid_on_due_date: Minor(d) }
        })
        .collect()
}
