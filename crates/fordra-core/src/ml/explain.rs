//! Explanations: which factors drive late payment overall (ranked, with a chart), and why one
//! invoice scores as it does, in words.

use super::evaluate::Model;
use super::features::{features_for, group_by_customer, HistInvoice};
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Factor {
    pub feature: String,
    pub value: f64,
    /// Push on the log-odds of paying late (positive raises the risk).
    pub contribution: f64,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InvoiceExplanation {
    pub invoice: String,
    pub customer: String,
    pub p_late: f64,
    pub expected_days_late: f64,
    pub factors: Vec<Factor>,
}

/// Global importance: the size of each standardised weight, largest first.
pub fn global(model: &Model) -> Vec<(String, f64)> {
    let mut v: Vec<(String, f64)> = model.features.iter().cloned().zip(model.late.weights.iter().skip(1).map(|w| w.abs())).collect();
    v.sort_by(|a, b| b.1.total_cmp(&a.1));
    v
}

/// The feature's value in words.
pub fn describe(feature: &str, v: f64) -> String {
    match feature {
        "prior_invoices" => format!("{v:.0} earlier invoices settled"),
        "prior_late_share" => format!("paid late on {:.0} % of earlier invoices", 100.0 * v),
        "prior_mean_days_late" => format!("on average {v:.0} days late before"),
        "prior_max_days_late" => format!("at most {v:.0} days late before"),
        "prior_mean_days_to_settle" => format!("took {v:.0} days to pay on average"),
        "late_trend" if v > 0.0 => "paying later recently than before".into(),
        "late_trend" if v < 0.0 => "paying earlier recently than before".into(),
        "late_trend" => "no change in recent payments".into(),
        "open_at_issue" => format!("{v:.0} other invoices open when this one was issued"),
        "amount_vs_usual" => format!("{:.1} × the customer's usual amount", v),
        "log_amount" => format!("amount {:.0}", v.exp()),
        "payment_terms_days" => format!("{v:.0} days to pay"),
        "electronic" if v > 0.5 => "sent electronically".into(),
        "electronic" => "sent on paper".into(),
        "month" => format!("issued in month {v:.0}"),
        "credit_score" if v < 0.0 => "no credit score".into(),
        "credit_score" => format!("credit score {v:.0}"),
        "disputed" if v > 0.5 => "disputed".into(),
        "disputed" => "not disputed".into(),
        other => format!("{other} = {v}"),
    }
}

/// Why `history[idx]` scores as it does: its factors, strongest first.
pub fn invoice(model: &Model, history: &[HistInvoice], idx: usize) -> InvoiceExplanation {
    let groups = group_by_customer(history);
    let f = features_for(history, &groups[idx], idx, model.late_after_days).values;
    let mut factors: Vec<Factor> = model
        .features
        .iter()
        .zip(model.late.contributions(&f))
        .zip(&f)
        .map(|((name, c), v)| Factor {
            feature: name.clone(),
            value: *v,
            contribution: c,
            text: format!("{} ({} the risk)", describe(name, *v), if c >= 0.0 { "raises" } else { "lowers" }),
        })
        .collect();
    factors.sort_by(|a, b| b.contribution.abs().total_cmp(&a.contribution.abs()));
    InvoiceExplanation {
        invoice: history[idx].invoice.clone(),
        customer: history[idx].customer.clone(),
        p_late: model.late.predict(&f),
        expected_days_late: model.days_late.predict(&f),
        factors,
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// A horizontal bar chart as SVG (no dependency needed for bars and labels).
pub fn svg_bars(title: &str, items: &[(String, f64)]) -> String {
    let max = items.iter().map(|i| i.1.abs()).fold(0.0f64, f64::max).max(1e-9);
    let (label_w, bar_w, row_h) = (230.0, 400.0, 24.0);
    let height = 50.0 + row_h * items.len() as f64;
    let mut s = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{height}" font-family="sans-serif" font-size="13"><text x="10" y="24" font-size="16" font-weight="bold">{}</text>"#,
        label_w + bar_w + 80.0,
        escape(title)
    );
    for (k, (name, v)) in items.iter().enumerate() {
        let y = 40.0 + row_h * k as f64;
        let w = bar_w * v.abs() / max;
        s.push_str(&format!(r##"<text x="{}" y="{}" text-anchor="end">{}</text><rect x="{}" y="{}" width="{w:.1}" height="{}" fill="#3b6ea5"/><text x="{}" y="{}">{v:.3}</text>"##, label_w - 8.0, y + 15.0, escape(name), label_w, y + 3.0, row_h - 8.0, label_w + w + 6.0, y + 15.0));
    }
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_chart() {
        assert_eq!(describe("prior_late_share", 0.5), "paid late on 50 % of earlier invoices");
        assert_eq!(describe("credit_score", -1.0), "no credit score");
        let svg = svg_bars("Factors <test>", &[("a".into(), 2.0), ("b".into(), 1.0)]);
        assert!(svg.starts_with("<svg") && svg.contains("Factors &lt;test&gt;") && svg.contains("width=\"400.0\"") && svg.contains("width=\"200.0\""));
    }
}
