//! Explanations: which factors drive the credit time and late payment overall (ranked, with a
//! chart), and why one invoice or customer scores as it does, in words.

use crate::features::Rows;
use crate::model::{Importance, Model, Score};
use serde::Serialize;

/// One factor of a prediction and how much it pushes it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Factor {
    /// The feature's name.
    pub feature: String,
    /// Its value for this invoice.
    pub value: f64,
    /// Push on the log-odds of paying late (positive raises the risk).
    pub late: f64,
    /// Push on the expected days late.
    pub days: f64,
    /// The factor in words ("paid 3 of the last 3 invoices late").
    pub text: String,
}

/// A prediction with the factors behind it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Explanation {
    /// The prediction.
    pub score: Score,
    /// Strongest first (by push on the risk of paying late).
    pub factors: Vec<Factor>,
}

impl Explanation {
    /// The factors that raise the risk most, in plain words (for a segment reason or a nudge).
    pub fn reasons(&self, n: usize) -> Vec<String> {
        self.factors.iter().filter(|f| f.late > 0.01).take(n).map(|f| describe(&f.feature, f.value)).collect()
    }
}

/// Global importance, largest effect on the credit time first.
pub fn global(model: &Model) -> &[Importance] {
    &model.importance
}

/// The feature's value in words.
pub fn describe(feature: &str, v: f64) -> String {
    match feature {
        "prior_invoices" if v == 0.0 => "no earlier invoice settled".into(),
        "prior_invoices" => format!("{v:.0} earlier invoices settled"),
        "prior_late_share" => format!("paid late on {:.0} % of earlier invoices", 100.0 * v),
        "prior_mean_days_late" => format!("on average {v:.0} days late before"),
        "prior_max_days_late" => format!("at most {v:.0} days late before"),
        "prior_mean_days_to_settle" => format!("took {v:.0} days to pay on average"),
        "late_trend" if v > 0.0 => "paying later recently than before".into(),
        "late_trend" if v < 0.0 => "paying earlier recently than before".into(),
        "late_trend" => "no change in recent payments".into(),
        "open_at_issue" => format!("{v:.0} other invoices open"),
        "amount_vs_usual" => format!("{v:.1} × the customer's usual amount"),
        "log_amount" => format!("amount {:.0}", v.exp()),
        "payment_terms_days" => format!("{v:.0} days to pay"),
        "electronic" if v > 0.5 => "sent electronically".into(),
        "electronic" => "sent on paper".into(),
        "month" => format!("issued in month {v:.0}"),
        "credit_score" if v < 0.0 => "no credit score".into(),
        "credit_score" => format!("credit score {v:.0}"),
        other => format!("{other} = {v}"),
    }
}

/// Why each row scores as it does: Shapley contributions of both models, in words.
#[allow(clippy::indexing_slicing, reason = "contributions have one row per input row and one value per feature")]
pub fn rows(model: &Model, x: &Rows) -> Vec<Explanation> {
    let late = model.late.contributions(x);
    let days = model.days_late.contributions(x);
    (0..x.len())
        .map(|i| {
            let r = x.row(i);
            let mut factors: Vec<Factor> = model
                .features
                .iter()
                .enumerate()
                .map(|(j, name)| {
                    let (l, d) = (late[i][j], days[i][j]);
                    let effect = if l >= 0.0 { "raises the risk" } else { "lowers the risk" };
                    let text = if d.abs() >= 0.5 {
                        format!("{} ({effect}, {:+.0} days)", describe(name, r[j]), d)
                    } else {
                        format!("{} ({effect})", describe(name, r[j]))
                    };
                    Factor { feature: name.clone(), value: r[j], late: l, days: d, text }
                })
                .collect();
            factors.sort_by(|a, b| b.late.abs().total_cmp(&a.late.abs()));
            Explanation { score: model.score_row(r), factors }
        })
        .collect()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// A horizontal bar chart as SVG (bars and labels need no chart library).
pub fn svg_bars(title: &str, unit: &str, items: &[(String, f64)]) -> String {
    let max = items.iter().map(|i| i.1.abs()).fold(0.0f64, f64::max).max(1e-9);
    let (label_w, bar_w, row_h) = (230.0, 400.0, 24.0);
    let height = 50.0 + row_h * items.len() as f64;
    let mut s = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{}" height="{height}" font-family="sans-serif" font-size="13"><text x="10" y="24" font-size="16" font-weight="bold">{}</text>"#,
        label_w + bar_w + 120.0,
        escape(title)
    );
    for (k, (name, v)) in items.iter().enumerate() {
        let y = 40.0 + row_h * k as f64;
        let w = bar_w * v.abs() / max;
        s.push_str(&format!(
            r##"<text x="{}" y="{}" text-anchor="end">{}</text><rect x="{}" y="{}" width="{w:.1}" height="{}" fill="#3b6ea5"/><text x="{}" y="{}">{v:.2} {}</text>"##,
            label_w - 8.0,
            y + 15.0,
            escape(name),
            label_w,
            y + 3.0,
            row_h - 8.0,
            label_w + w + 6.0,
            y + 15.0,
            escape(unit)
        ));
    }
    s.push_str("</svg>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::features::at_issue;
    use crate::model::tests::planted;

    #[test]
    fn words_and_chart() {
        assert_eq!(describe("prior_late_share", 0.5), "paid late on 50 % of earlier invoices");
        assert_eq!(describe("credit_score", -1.0), "no credit score");
        let svg = svg_bars("Factors <test>", "days", &[("a".into(), 2.0), ("b".into(), -1.0)]);
        assert!(svg.starts_with("<svg") && svg.contains("&lt;test&gt;") && svg.contains("2.00 days"));
    }

    #[test]
    fn explanations_name_the_planted_factors() {
        let h = planted();
        let m = Model::train(&h, "2023-06-01".parse().unwrap(), 10, 30).unwrap();
        crate::model::tests::assert_planted_factors_first(global(&m));
        let rows = at_issue(&h, 10);
        // A late payer's last invoice: high risk, and the strongest reason raises it, in words.
        let late = h.iter().rposition(|x| x.customer == "c0").unwrap();
        let prompt = h.iter().rposition(|x| x.customer == "c1").unwrap();
        let e = super::rows(&m, &rows.select(&[late, prompt]));
        assert!(e[0].score.p_late > 0.5, "{:?}", e[0]);
        assert!(
            e[0].factors[0].late > 0.0 && e[0].factors[0].text.contains("raises the risk"),
            "{:?}",
            e[0].factors[0]
        );
        assert_eq!(e[0].reasons(3).len(), 3, "{:?}", e[0]);
        assert!(e[1].reasons(3).len() < 3, "a prompt payer has few factors that raise the risk: {:?}", e[1]);
        assert!(e[1].score.p_late < 0.5 && e[1].factors[0].text.contains("lowers the risk"), "{:?}", e[1]);
    }
}
