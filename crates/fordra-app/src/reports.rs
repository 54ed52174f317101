//! Reports: aging, segments, DSO (the cash-flow forecast is in `model`, it needs the model).

use crate::{App, CreditorId, Minor, Result};
use chrono::NaiveDate;
use fordra_core::domain::Segment;
use fordra_core::report::{self, AgingBucket, SegmentFigures};
use serde::Serialize;

/// Open claims by days past due.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Aging {
    /// As of.
    pub as_of: NaiveDate,
    /// Buckets, not due first.
    #[schema(value_type = Vec<Object>)]
    pub buckets: Vec<AgingBucket>,
}

/// Figures per segment.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Segments {
    /// As of.
    pub as_of: NaiveDate,
    /// Per segment.
    #[schema(value_type = Vec<Object>)]
    pub segments: Vec<SegmentFigures>,
}

/// Days sales outstanding.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct DsoReport {
    /// As of.
    pub as_of: NaiveDate,
    /// The window, days.
    pub window_days: i64,
    /// Per currency.
    pub currencies: Vec<DsoCurrency>,
    /// Invoices paid in the window, per segment.
    #[schema(value_type = Vec<Object>)]
    pub segments: Vec<SegmentFigures>,
}

/// DSO in one currency.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct DsoCurrency {
    /// Currency code.
    pub currency: &'static str,
    /// Open receivables.
    #[schema(value_type = String)]
    pub receivables: Minor,
    /// Invoiced in the window.
    #[schema(value_type = String)]
    pub sales: Minor,
    /// Receivables / sales × window days.
    pub dso: Option<f64>,
    /// Only the not-yet-due part of receivables.
    pub best_dso: Option<f64>,
}

/// Customers with their segments, and the claims' facts, as reports read them.
type ReportInputs = (Vec<(String, Option<Segment>)>, Vec<report::ClaimFacts>);

impl App<'_> {
    fn report_inputs(&mut self, creditor: &CreditorId, as_of: NaiveDate) -> Result<ReportInputs> {
        fordra_core::limits::date("--date", as_of)?;
        let (customers, claims) = self.store.report_data(creditor, as_of)?;
        Ok((customers.into_iter().map(|(id, s, _)| (id, s)).collect(), claims))
    }

    /// Aging of open claims on `as_of`.
    pub fn aging(&mut self, creditor: &CreditorId, as_of: NaiveDate) -> Result<Aging> {
        let (_, claims) = self.report_inputs(creditor, as_of)?;
        Ok(Aging { as_of, buckets: report::aging(&claims, as_of) })
    }

    /// Segment distribution and outcomes on `as_of`.
    pub fn segments(&mut self, creditor: &CreditorId, as_of: NaiveDate) -> Result<Segments> {
        let (custs, claims) = self.report_inputs(creditor, as_of)?;
        Ok(Segments { as_of, segments: report::segments(&custs, &claims, None) })
    }

    /// DSO over `window` days, per currency, and days to pay per segment.
    pub fn dso(&mut self, creditor: &CreditorId, as_of: NaiveDate, window: i64) -> Result<DsoReport> {
        fordra_core::limits::days("--window", window, 1, fordra_core::limits::MAX_DAYS)?;
        let (custs, claims) = self.report_inputs(creditor, as_of)?;
        let d = report::dso(&custs, &claims, as_of, window);
        Ok(DsoReport {
            as_of,
            window_days: window,
            currencies: d
                .currencies
                .iter()
                .map(|c| DsoCurrency {
                    currency: c.currency.code(),
                    receivables: Minor(c.receivables),
                    sales: Minor(c.sales),
                    dso: c.dso,
                    best_dso: c.best_dso,
                })
                .collect(),
            segments: d.per_segment,
        })
    }
}
