//! The pages' templates (MiniJinja, compiled in, HTML auto-escaped) and their phrases (Fluent):
//! the pages' own catalogue in `web/locales`, falling back to the letters' catalogue, so a fee,
//! an interest period or a payment instruction reads on the debtor's page as in the letter.

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use fordra_comms::messages::Renderer;
use minijinja::value::{Kwargs, Value};
use minijinja::{Environment, Error, ErrorKind, State};
use std::sync::Arc;

/// The languages of the pages: the debtor's page speaks all five, the creditor's pages
/// Swedish and English.
pub const PAGE_LANGUAGES: &[(&str, &str)] = &[
    ("sv", include_str!("../../web/locales/sv.ftl")),
    ("en", include_str!("../../web/locales/en.ftl")),
    ("fi", include_str!("../../web/locales/fi.ftl")),
    ("nb", include_str!("../../web/locales/nb.ftl")),
    ("da", include_str!("../../web/locales/da.ftl")),
];

/// The languages staff pages are written in.
pub const STAFF_LANGUAGES: &[&str] = &["sv", "en"];

const TEMPLATES: &[(&str, &str)] = &[
    ("layout.html", include_str!("../../web/templates/layout.html")),
    ("login.html", include_str!("../../web/templates/login.html")),
    ("creditors.html", include_str!("../../web/templates/creditors.html")),
    ("dashboard.html", include_str!("../../web/templates/dashboard.html")),
    ("claims.html", include_str!("../../web/templates/claims.html")),
    ("claim_rows.html", include_str!("../../web/templates/claim_rows.html")),
    ("claim.html", include_str!("../../web/templates/claim.html")),
    ("customer.html", include_str!("../../web/templates/customer.html")),
    ("work.html", include_str!("../../web/templates/work.html")),
    ("model.html", include_str!("../../web/templates/model.html")),
    ("debtor.html", include_str!("../../web/templates/debtor.html")),
    ("pause_form.html", include_str!("../../web/templates/pause_form.html")),
    ("note_form.html", include_str!("../../web/templates/note_form.html")),
    ("notes.html", include_str!("../../web/templates/notes.html")),
    ("reasons.html", include_str!("../../web/templates/reasons.html")),
    ("message.html", include_str!("../../web/templates/message.html")),
    ("fragment.html", include_str!("../../web/templates/fragment.html")),
];

struct Catalogue {
    code: &'static str,
    bundle: FluentBundle<FluentResource>,
}

/// The templates and phrases, loaded once.
pub struct Pages {
    env: Environment<'static>,
}

fn fail(e: impl std::fmt::Display) -> Error {
    Error::new(ErrorKind::InvalidOperation, e.to_string())
}

fn load(code: &'static str, ftl: &str) -> Result<Catalogue, String> {
    let resource = FluentResource::try_new(ftl.to_string())
        .map_err(|(_, e)| format!("web/locales/{code}.ftl: {:?}", e.first()))?;
    let lang: unic_langid::LanguageIdentifier = code.parse().map_err(|e| format!("language {code}: {e}"))?;
    let mut bundle = FluentBundle::new_concurrent(vec![lang]);
    bundle.set_use_isolating(false);
    bundle.add_resource(resource).map_err(|e| format!("web/locales/{code}.ftl: {:?}", e.first()))?;
    Ok(Catalogue { code, bundle })
}

fn lang_of(state: &State) -> String {
    state.lookup("lang").map(|v| v.to_string()).unwrap_or_else(|| "en".into())
}

fn own(cats: &[Catalogue], lang: &str, key: &str, args: &FluentArgs) -> Option<Result<String, Error>> {
    let c = cats.iter().find(|c| c.code == lang)?;
    let pattern = c.bundle.get_message(key)?.value()?;
    let mut errs = vec![];
    let out = c.bundle.format_pattern(pattern, Some(args), &mut errs).to_string();
    Some(if errs.is_empty() { Ok(out) } else { Err(fail(format!("phrase {key} ({lang}): {errs:?}"))) })
}

/// A phrase: the page's catalogue in the language, else the letters' (fees, interest, how to
/// pay), else the page's English one.
fn phrase(cats: &[Catalogue], letters: &Renderer, lang: &str, key: &str, args: &FluentArgs) -> Result<String, Error> {
    if let Some(r) = own(cats, lang, key, args) {
        return r;
    }
    let pairs: Vec<(&str, String)> = args
        .iter()
        .map(|(k, v)| {
            let s = match v {
                FluentValue::String(s) => s.to_string(),
                FluentValue::Number(n) => n.as_string().to_string(),
                _ => String::new(),
            };
            (k, s)
        })
        .collect();
    if let Ok(s) = letters.phrase(lang, key, &pairs) {
        return Ok(s);
    }
    own(cats, "en", key, args).unwrap_or_else(|| Err(fail(format!("no phrase {key}"))))
}

impl Pages {
    /// Loads every template and language; fails when one does not parse.
    pub fn new() -> Result<Pages, String> {
        let letters = Arc::new(Renderer::new().map_err(|e| e.to_string())?);
        let cats: Arc<Vec<Catalogue>> =
            Arc::new(PAGE_LANGUAGES.iter().map(|(c, f)| load(c, f)).collect::<Result<Vec<_>, _>>()?);
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
        for (name, source) in TEMPLATES {
            env.add_template(name, source).map_err(|e| format!("web/templates/{name}: {e}"))?;
        }
        let (c, l) = (Arc::clone(&cats), Arc::clone(&letters));
        env.add_function("t", move |state: &State, key: String, kwargs: Kwargs| -> Result<String, Error> {
            let mut args = FluentArgs::new();
            for k in kwargs.args() {
                let v: Value = kwargs.get(k)?;
                match v.as_i64() {
                    Some(n) if v.kind() == minijinja::value::ValueKind::Number => args.set(k.to_string(), n),
                    _ => args.set(k.to_string(), v.to_string()),
                }
            }
            phrase(&c, &l, &lang_of(state), &key, &args)
        });
        let l = Arc::clone(&letters);
        env.add_function("money", move |state: &State, amount: Value, cur: Option<String>| -> Result<String, Error> {
            let text = amount.to_string();
            let minor = fordra_core::money::parse_minor(&text).map_err(fail)?;
            let currency = cur.or_else(|| state.lookup("currency").map(|v| v.to_string())).unwrap_or_default();
            l.money(&lang_of(state), minor, &currency).map_err(fail)
        });
        let l = Arc::clone(&letters);
        env.add_function("date", move |state: &State, day: Value| -> Result<String, Error> {
            let text = day.to_string();
            let d = chrono::NaiveDate::parse_from_str(&text, "%Y-%m-%d").map_err(|e| fail(format!("{text}: {e}")))?;
            l.date(&lang_of(state), d).map_err(fail)
        });
        env.add_function("days", |n: Value| -> String {
            n.as_i64().map(|v| v.to_string()).unwrap_or_else(|| match f64::try_from(n) {
                Ok(v) => format!("{v:.1}"),
                Err(_) => "–".into(),
            })
        });
        Ok(Pages { env })
    }

    /// Renders a page.
    pub fn render(&self, name: &str, ctx: &impl serde::Serialize) -> Result<String, String> {
        let t = self.env.get_template(name).map_err(|e| e.to_string())?;
        t.render(Value::from(minijinja::value::Serde(ctx))).map_err(|e| format!("{name}: {e:#}"))
    }
}

use fordra_app::dashboard::Table;

/// The most steps the model editor's form has rows for.
pub const MAX_STEP_ROWS: usize = 12;

/// The editor's rows as typed (kept when the form is refused).
pub fn rows_of(f: &std::collections::HashMap<String, String>) -> serde_json::Value {
    let rows: Vec<serde_json::Value> = (0..MAX_STEP_ROWS)
        .filter_map(|i| {
            let get = |k: &str| f.get(&format!("{k}{i}")).cloned().unwrap_or_default();
            (!get("kind").is_empty()).then(|| {
                serde_json::json!({"kind": get("kind"), "after": get("after"), "days": get("days"),
                    "payment_days": get("payment_days"), "fee": get("fee"), "channel": get("channel"),
                    "min_amount": get("min_amount")})
            })
        })
        .collect();
    serde_json::Value::Array(rows)
}

fn opt(v: Option<f64>) -> String {
    v.map(|x| format!("{x:.1}")).unwrap_or_default()
}

fn est(e: &Option<fordra_core::strategy::Estimate>) -> [String; 3] {
    match e {
        Some(e) => [format!("{:.3}", e.value), format!("{:.3}", e.low), format!("{:.3}", e.high)],
        None => Default::default(),
    }
}

/// One of the dashboard's tables as CSV (amounts in major units of the creditor's currency,
/// with a point as decimal separator): aging, trend, segments, moves, cash, experiments,
/// factors.
pub fn dashboard_csv(d: &fordra_app::dashboard::Dashboard, table: Table) -> Option<String> {
    let cur: fordra_core::money::Currency = d.currency.parse().ok()?;
    let amount = |a: &fordra_core::money::Amounts| fordra_core::money::format_minor(a.get(cur));
    let minor = |m: fordra_app::Minor| fordra_core::money::format_minor(m.0);
    let mut rows: Vec<Vec<String>> = Vec::new();
    match table {
        Table::Aging => {
            rows.push(vec!["bucket".into(), "claims".into(), format!("open_{}", d.currency)]);
            for b in &d.aging {
                rows.push(vec![b.bucket.into(), b.claims.to_string(), amount(&b.open)]);
            }
        }
        Table::Trend => {
            rows.push(
                ["date", "dso", "days_to_pay_risk", "days_to_pay_normal", "days_to_pay_vip"].map(String::from).into(),
            );
            for p in &d.trend {
                let mut r = vec![p.date.to_string(), opt(p.dso)];
                r.extend(p.days_to_pay.iter().map(|(_, v)| opt(*v)));
                rows.push(r);
            }
        }
        Table::Segments => {
            rows.push(
                [
                    "segment",
                    "customers",
                    "invoices",
                    "open_claims",
                    "open",
                    "paid_invoices",
                    "collection_rate",
                    "collection_cases",
                    "legal_cases",
                    "avg_days_to_pay",
                    "fees",
                    "interest",
                ]
                .map(String::from)
                .into(),
            );
            for s in &d.segments {
                let rate = (s.invoices > 0).then(|| s.paid_invoices as f64 / s.invoices as f64);
                rows.push(vec![
                    s.segment.clone(),
                    s.customers.to_string(),
                    s.invoices.to_string(),
                    s.open_claims.to_string(),
                    amount(&s.open_amount),
                    s.paid_invoices.to_string(),
                    rate.map(|r| format!("{r:.3}")).unwrap_or_default(),
                    s.collection_cases.to_string(),
                    s.legal_cases.to_string(),
                    opt(s.avg_days_to_pay),
                    amount(&s.fees),
                    amount(&s.interest),
                ]);
            }
        }
        Table::Moves => {
            rows.push(["from", "to", "customers"].map(String::from).into());
            for m in &d.moves {
                rows.push(vec![
                    m.from.map(|s| s.to_string()).unwrap_or_default(),
                    m.to.to_string(),
                    m.customers.to_string(),
                ]);
            }
        }
        Table::Cash => {
            rows.push(["within_days", "expected", "if_paid_on_due_date"].map(String::from).into());
            for c in &d.cash {
                rows.push(vec![c.days.to_string(), minor(c.expected), minor(c.if_paid_on_due_date)]);
            }
        }
        Table::Experiments => {
            rows.push(
                [
                    "experiment",
                    "segment",
                    "arm",
                    "customers",
                    "claims",
                    "days_to_pay",
                    "low",
                    "high",
                    "collected",
                    "low",
                    "high",
                ]
                .map(String::from)
                .into(),
            );
            for e in &d.experiments {
                for a in [&e.report.champion, &e.report.challenger] {
                    let mut r = vec![
                        e.name.clone(),
                        e.segment.to_string(),
                        a.arm.clone(),
                        a.customers.to_string(),
                        a.claims.to_string(),
                    ];
                    r.extend(est(&a.days_to_pay));
                    r.extend(est(&a.collected));
                    rows.push(r);
                }
            }
        }
        Table::Factors => {
            rows.push(["factor", "days"].map(String::from).into());
            for f in &d.factors {
                rows.push(vec![f.feature.clone(), format!("{:.3}", f.days)]);
            }
        }
    }
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        w.write_record(&r).ok()?;
    }
    String::from_utf8(w.into_inner().ok()?).ok()
}

/// The dashboard's series as plain numbers for the charts (amounts in major units).
pub fn chart_data(d: &fordra_app::dashboard::Dashboard) -> serde_json::Value {
    let major = |minor: i64| minor as f64 / 100.0;
    let cur: Option<fordra_core::money::Currency> = d.currency.parse().ok();
    let open = |a: &fordra_core::money::Amounts| cur.map_or(0.0, |c| major(a.get(c)));
    let days: Vec<Vec<Option<f64>>> =
        (0..3).map(|i| d.trend.iter().map(|p| p.days_to_pay.get(i).and_then(|x| x.1)).collect()).collect();
    let segs: Vec<_> = d.segments.iter().filter(|s| s.segment != "all").collect();
    serde_json::json!({
        "aging": d.aging.iter().map(|b| open(&b.open)).collect::<Vec<_>>(),
        "dso": d.trend.iter().map(|p| p.dso).collect::<Vec<_>>(),
        "days": days,
        "segments": segs.iter().map(|s| s.segment.clone()).collect::<Vec<_>>(),
        "customers": segs.iter().map(|s| s.customers).collect::<Vec<_>>(),
        "cash_days": d.cash.iter().map(|c| c.days).collect::<Vec<_>>(),
        "expected": d.cash.iter().map(|c| major(c.expected.0)).collect::<Vec<_>>(),
        "on_time": d.cash.iter().map(|c| major(c.if_paid_on_due_date.0)).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(ftl: &str) -> Vec<String> {
        ftl.lines()
            .filter(|l| !l.starts_with([' ', '#']) && l.contains(" = ") || l.ends_with(" ="))
            .filter_map(|l| l.split(" =").next())
            .filter(|k| !k.is_empty() && !k.starts_with(' '))
            .map(String::from)
            .collect()
    }

    /// Every template and language loads; the staff pages' two languages have the same
    /// phrases; the debtor's page has every one of its phrases in all five.
    #[test]
    fn templates_and_phrases_are_complete() {
        Pages::new().unwrap();
        let of = |code: &str| keys(PAGE_LANGUAGES.iter().find(|(c, _)| *c == code).unwrap().1);
        let (en, sv) = (of("en"), of("sv"));
        let missing: Vec<_> = en.iter().filter(|k| !sv.contains(k)).collect();
        assert!(missing.is_empty(), "not in sv.ftl: {missing:?}");
        let missing: Vec<_> = sv.iter().filter(|k| !en.contains(k)).collect();
        assert!(missing.is_empty(), "not in en.ftl: {missing:?}");
        let debtor = ["debtor-", "done-", "link-", "channel-"];
        for code in ["fi", "nb", "da"] {
            let have = of(code);
            let missing: Vec<_> =
                en.iter().filter(|k| debtor.iter().any(|p| k.starts_with(p)) && !have.contains(k)).collect();
            assert!(missing.is_empty(), "not in {code}.ftl: {missing:?}");
        }
    }
}
