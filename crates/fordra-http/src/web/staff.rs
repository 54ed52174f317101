//! The creditor's pages: dashboard, claims, customers, the advisor's worklist and its actions,
//! the handling-model editor. Each page is one use case read; each form one use case called
//! as the signed-in user, its refusal shown with the application layer's own words.

use super::session::{app_as, check_csrf, field, staff, url_escape, Fields, Staff};
use super::{Web, WebState};
use crate::error::ApiError;
use axum::extract::{Form, Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use chrono::NaiveDate;
use fordra_app::claims::ClaimQuery;
use fordra_app::dashboard::Table;
use fordra_app::model::{ExplainInput, ModelChoice};
use fordra_app::pauses::NewPause;
use fordra_app::strategy::BacktestInput;
use fordra_app::users::Role;
use fordra_app::worklist::{DisputeDecision, NewNote};
use fordra_app::{App, AppError, ClaimId, CreditorId, CustomerId};
use fordra_core::domain::{PauseKind, Segment};
use serde_json::{json, Value};

/// The staff pages' routes.
pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/app/{c}", get(dashboard))
        .route("/app/{c}/dashboard/{table}", get(dashboard_csv))
        .route("/app/{c}/claims", get(claims))
        .route("/app/{c}/claims/{id}", get(claim))
        .route("/app/{c}/customers/{id}", get(customer))
        .route("/app/{c}/deliveries/{d}/letter.pdf", get(letter))
        .route("/app/{c}/work", get(work))
        .route("/app/{c}/model/{segment}", get(model_form).post(model_save))
        .route("/app/{c}/pauses", post(add_pause))
        .route("/app/{c}/pauses/{id}/decide", post(decide))
        .route("/app/{c}/pauses/{id}/end", post(end_pause))
        .route("/app/{c}/customers/{id}/vip", post(vip))
        .route("/app/{c}/customers/{id}/notes", post(note))
        .route("/app/{c}/payments/{key}/assign", post(assign))
        .route("/app/{c}/tasks/{task}/done", post(call_done))
        .route("/app/{c}/run", post(run_today))
}

/// A form's sender: signed in with `need` on this creditor, with the session's CSRF token.
async fn form_staff(
    web: &Web,
    headers: &HeaderMap,
    uri: &Uri,
    c: &str,
    need: Role,
    f: &Fields,
) -> Result<Staff, Response> {
    let s = staff(web, headers, c, need, uri.path()).await?;
    check_csrf(web, &s, headers, f)?;
    Ok(s)
}

/// The context every staff page has: language, user, creditor, the page's name in the menu.
fn base(s: &Staff, nav: &str) -> Value {
    json!({"lang": s.lang(), "session": s.session, "c": s.creditor.0, "nav": nav, "csrf": s.session.csrf})
}

fn with(mut ctx: Value, extra: Value) -> Value {
    if let (Some(m), Value::Object(e)) = (ctx.as_object_mut(), extra) {
        m.extend(e);
    }
    ctx
}

/// A use case's answer as a page, or its error as one.
fn show(web: &Web, s: &Staff, r: Result<Value, ApiError>, template: &str) -> Response {
    match r {
        Ok(ctx) => web.page(StatusCode::OK, template, &ctx),
        Err(e) => web.error_page(s.lang(), &e),
    }
}

fn json_of<T: serde::Serialize>(v: &T) -> Result<Value, AppError> {
    serde_json::to_value(v).map_err(|e| AppError::Storage(format!("a page's data: {e}")))
}

fn opt_date(f: &Fields, name: &str) -> Result<Option<NaiveDate>, AppError> {
    match field(f, name) {
        "" => Ok(None),
        v => NaiveDate::parse_from_str(v, "%Y-%m-%d")
            .map(Some)
            .map_err(|_| AppError::invalid(name, format!("'{v}' is not a date (YYYY-MM-DD)"))),
    }
}

/// Where a form returns: its `back` field when it is one of this creditor's pages.
fn back(s: &Staff, f: &Fields) -> String {
    let home = format!("/app/{}", url_escape(&s.creditor.0));
    let b = field(f, "back");
    if b.starts_with(&format!("{home}/")) || b == home {
        b.split(['?', '#']).next().unwrap_or(&home).to_string()
    } else {
        home
    }
}

/// After a form: back to its page with the outcome (a plain form), or the outcome alone as a
/// fragment (htmx).
fn done(web: &Web, s: &Staff, headers: &HeaderMap, f: &Fields, r: Result<String, ApiError>) -> Response {
    let htmx = headers.contains_key("hx-request");
    match (r, htmx) {
        (Ok(msg), false) => Redirect::to(&format!("{}?ok={}", back(s, f), url_escape(&msg))).into_response(),
        (Err(e), false) => web.error_page(s.lang(), &e),
        (Ok(msg), true) => {
            web.page(StatusCode::OK, "fragment.html", &json!({"lang": s.lang(), "ok": true, "message": msg}))
        }
        // htmx swaps only successful answers by default: the refusal comes as 200 with an alert.
        (Err(e), true) => web.page(
            StatusCode::OK,
            "fragment.html",
            &json!({"lang": s.lang(), "ok": false, "message": e.detail.message}),
        ),
    }
}

async fn dashboard(
    State(web): State<WebState>,
    headers: HeaderMap,
    uri: Uri,
    Path(c): Path<String>,
    Query(q): Query<Fields>,
) -> Response {
    let s = match staff(&web, &headers, &c, Role::Read, uri.path()).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (cr, today) = (s.creditor.clone(), web.svc.today());
    let r = app_as(&web, s.actor(), move |app| {
        let d = app.dashboard(&cr, today)?;
        Ok((json_of(&d)?, super::render::chart_data(&d), d.currency, d.name))
    })
    .await
    .map(|(d, ch, currency, name)| {
        with(base(&s, "dashboard"), json!({"d": d, "ch": ch, "currency": currency, "name": name, "ok": q.get("ok")}))
    });
    show(&web, &s, r, "dashboard.html")
}

/// A dashboard table as CSV: the numbers behind each chart.
async fn dashboard_csv(
    State(web): State<WebState>,
    headers: HeaderMap,
    uri: Uri,
    Path((c, table)): Path<(String, String)>,
) -> Response {
    let s = match staff(&web, &headers, &c, Role::Read, uri.path()).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (cr, today) = (s.creditor.clone(), web.svc.today());
    let name = table.trim_end_matches(".csv").to_string();
    let r = app_as(&web, s.actor(), move |app| {
        let missing = || AppError::NotFound { entity: "table", id: name.clone() };
        let t = Table::named(&name).ok_or_else(missing)?;
        let d = app.dashboard_of(&cr, today, &[t])?;
        super::render::dashboard_csv(&d, t).ok_or_else(missing)
    })
    .await;
    match r {
        Ok(csv) => {
            let mut resp = csv.into_response();
            let h = resp.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
            if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", table.replace('"', ""))) {
                h.insert(header::CONTENT_DISPOSITION, v);
            }
            resp
        }
        Err(e) => web.error_page(s.lang(), &e),
    }
}

async fn claims(
    State(web): State<WebState>,
    headers: HeaderMap,
    uri: Uri,
    Path(c): Path<String>,
    Query(q): Query<Fields>,
) -> Response {
    let s = match staff(&web, &headers, &c, Role::Read, uri.path()).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let cr = s.creditor.clone();
    let status = field(&q, "status").to_string();
    let customer = field(&q, "customer").to_string();
    let after = field(&q, "after").to_string();
    let (st, cu) = (status.clone(), customer.clone());
    let r = app_as(&web, s.actor(), move |app| {
        let status = match st.as_str() {
            "" => None,
            v => Some(v.parse().map_err(|_| AppError::invalid("status", format!("'{v}' is not a claim status")))?),
        };
        let customer = (!cu.is_empty()).then_some(CustomerId(cu));
        json_of(&app.list_claims(&cr, &ClaimQuery { status, customer, after, limit: 50 })?)
    })
    .await
    .map(|page| with(base(&s, "claims"), json!({"page": page, "status": status, "customer": customer})));
    // htmx asks for the next page's rows only ("more").
    let template = if headers.contains_key("hx-request") { "claim_rows.html" } else { "claims.html" };
    show(&web, &s, r, template)
}

async fn claim(
    State(web): State<WebState>,
    headers: HeaderMap,
    uri: Uri,
    Path((c, id)): Path<(String, String)>,
    Query(q): Query<Fields>,
) -> Response {
    let s = match staff(&web, &headers, &c, Role::Read, uri.path()).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let cr = s.creditor.clone();
    let as_of = match opt_date(&q, "as_of") {
        Ok(d) => d,
        Err(e) => return web.error_page(s.lang(), &ApiError::from(e)),
    };
    let claim_id = ClaimId(id);
    let r = app_as(&web, s.actor(), move |app| {
        let view = match as_of {
            Some(d) => app.claim_as_of(&cr, &claim_id, d)?,
            None => app.claim_timeline(&cr, &claim_id)?,
        };
        let customer = app.customer_view(&cr, &view.customer)?;
        let notes = app.notes(&cr, &view.customer)?;
        let x = ExplainInput {
            model: ModelChoice::Active,
            invoice: Some(claim_id.0.clone()),
            customer: None,
            date: None,
            chart: false,
        };
        let reasons = app.explain_model(&cr, &x).map(|e| json_of(&e)).unwrap_or(Ok(Value::Null))?;
        let pauses: Vec<_> = app
            .customer_pauses(&cr, &view.customer)?
            .into_iter()
            .filter(|p| p.pause.ended.is_none() && p.claim_id.as_deref().is_none_or(|x| x == claim_id.0))
            .collect();
        Ok(json!({"claim": json_of(&view)?, "customer": json_of(&customer)?, "notes": notes, "reasons": reasons,
            "pauses": json_of(&pauses)?, "currency": view.currency}))
    })
    .await
    .map(|v| {
        let day = as_of.unwrap_or(web.svc.today());
        with(with(base(&s, "claims"), v), json!({"as_of": as_of, "day": day, "ok": q.get("ok")}))
    });
    show(&web, &s, r, "claim.html")
}

async fn customer(
    State(web): State<WebState>,
    headers: HeaderMap,
    uri: Uri,
    Path((c, id)): Path<(String, String)>,
    Query(q): Query<Fields>,
) -> Response {
    let s = match staff(&web, &headers, &c, Role::Read, uri.path()).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let cr = s.creditor.clone();
    let cust = CustomerId(id);
    let r = app_as(&web, s.actor(), move |app| {
        let view = app.customer_view(&cr, &cust)?;
        let notes = app.notes(&cr, &cust)?;
        let currency = app.show_creditor(&cr)?.currency;
        let x = ExplainInput {
            model: ModelChoice::Active,
            invoice: None,
            customer: Some(cust.0.clone()),
            date: None,
            chart: false,
        };
        let reasons = app.explain_model(&cr, &x).map(|e| json_of(&e)).unwrap_or(Ok(Value::Null))?;
        Ok(json!({"customer": json_of(&view)?, "notes": notes, "reasons": reasons, "currency": currency}))
    })
    .await
    .map(|v| with(with(base(&s, "customers"), v), json!({"ok": q.get("ok")})));
    show(&web, &s, r, "customer.html")
}

async fn letter(
    State(web): State<WebState>,
    headers: HeaderMap,
    uri: Uri,
    Path((c, d)): Path<(String, String)>,
) -> Response {
    let s = match staff(&web, &headers, &c, Role::Read, uri.path()).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (cr, config) = (s.creditor.clone(), web.svc.delivery.clone());
    let r = app_as(&web, s.actor(), move |app| crate::routes::letter_of(app, config, &cr, &d)).await;
    match r {
        Ok(pdf) => ([(header::CONTENT_TYPE, "application/pdf")], pdf).into_response(),
        Err(e) => web.error_page(s.lang(), &e),
    }
}

async fn work(
    State(web): State<WebState>,
    headers: HeaderMap,
    uri: Uri,
    Path(c): Path<String>,
    Query(q): Query<Fields>,
) -> Response {
    let s = match staff(&web, &headers, &c, Role::Read, uri.path()).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let cr = s.creditor.clone();
    let now = chrono::Utc::now();
    let r = app_as(&web, s.actor(), move |app| {
        let w = app.worklist(&cr, now)?;
        Ok(json!({"w": json_of(&w)?, "currency": w.currency}))
    })
    .await
    .map(|v| with(with(base(&s, "work"), v), json!({"ok": q.get("ok")})));
    show(&web, &s, r, "work.html")
}

/// A form of a signed-in user with at least `need` on this creditor: its CSRF token checked,
/// then `op` as one use case under the user's name; its outcome shown on the form's page.
async fn act<F>(web: &Web, headers: &HeaderMap, uri: &Uri, c: &str, need: Role, f: Fields, op: F) -> Response
where
    F: FnOnce(&mut App<'_>, &CreditorId, &Fields) -> Result<String, AppError> + Send + 'static,
{
    let s = match form_staff(web, headers, uri, c, need, &f).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (cr, form) = (s.creditor.clone(), f.clone());
    let r = app_as(web, s.actor(), move |app| op(app, &cr, &form)).await;
    done(web, &s, headers, &f, r)
}

/// Registers a dispute, promise, payment plan or hold on a claim or a customer.
async fn add_pause(
    State(web): State<WebState>,
    headers: HeaderMap,
    uri: Uri,
    Path(c): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    act(&web, &headers, &uri, &c, Role::Advisor, f, |app, cr, form| {
        let kind: PauseKind = field(form, "kind").parse().map_err(|_| AppError::invalid("kind", "choose a kind"))?;
        let instalments = match field(form, "instalments") {
            "" => None,
            v => {
                Some(v.parse::<u32>().map_err(|_| AppError::invalid("instalments", format!("'{v}' is not a number")))?)
            }
        };
        let p = NewPause {
            claim: Some(field(form, "claim")).filter(|v| !v.is_empty()).map(|v| ClaimId(v.into())),
            customer: Some(field(form, "customer")).filter(|v| !v.is_empty()).map(|v| CustomerId(v.into())),
            kind,
            from: opt_date(form, "from")?.unwrap_or(app.today),
            until: opt_date(form, "until")?,
            reason: field(form, "reason").to_string(),
            plan_fee: form.contains_key("plan_fee"),
            instalments,
        };
        let added = app.add_pause(cr, &p)?;
        Ok(format!("{} {} registered (fee {})", added.kind, added.pause, added.fee))
    })
    .await
}

async fn decide(
    State(web): State<WebState>,
    headers: HeaderMap,
    uri: Uri,
    Path((c, id)): Path<(String, i64)>,
    Form(f): Form<Fields>,
) -> Response {
    act(&web, &headers, &uri, &c, Role::Advisor, f, move |app, cr, form| {
        let decision = match field(form, "decision") {
            "rejected" => DisputeDecision::Rejected,
            "upheld" => DisputeDecision::Upheld,
            v => return Err(AppError::invalid("decision", format!("'{v}' is not rejected or upheld"))),
        };
        let d = app.decide_dispute(cr, id, decision, field(form, "note"))?;
        Ok(format!("dispute {} decided: {:?}", d.pause, d.decision).to_lowercase())
    })
    .await
}

async fn end_pause(
    State(web): State<WebState>,
    headers: HeaderMap,
    uri: Uri,
    Path((c, id)): Path<(String, i64)>,
    Form(f): Form<Fields>,
) -> Response {
    act(&web, &headers, &uri, &c, Role::Advisor, f, move |app, cr, form| {
        let today = app.today;
        app.end_pause(cr, id, today, field(form, "note"))?;
        Ok(format!("pause {id} ended"))
    })
    .await
}

async fn vip(
    State(web): State<WebState>,
    headers: HeaderMap,
    uri: Uri,
    Path((c, id)): Path<(String, String)>,
    Form(f): Form<Fields>,
) -> Response {
    act(&web, &headers, &uri, &c, Role::Advisor, f, move |app, cr, form| {
        let on = field(form, "vip") == "true";
        app.set_vip(cr, &CustomerId(id.clone()), on)?;
        Ok(if on { format!("{id} is VIP") } else { format!("{id} is no longer VIP") })
    })
    .await
}

async fn note(
    State(web): State<WebState>,
    headers: HeaderMap,
    uri: Uri,
    Path((c, id)): Path<(String, String)>,
    Form(f): Form<Fields>,
) -> Response {
    act(&web, &headers, &uri, &c, Role::Advisor, f, move |app, cr, form| {
        let n = NewNote {
            customer: CustomerId(id),
            claim: Some(field(form, "claim")).filter(|v| !v.is_empty()).map(|v| ClaimId(v.into())),
            text: field(form, "text").to_string(),
            now: chrono::Utc::now(),
        };
        app.add_note(cr, &n)?;
        Ok("note saved".to_string())
    })
    .await
}

async fn assign(
    State(web): State<WebState>,
    headers: HeaderMap,
    uri: Uri,
    Path((c, key)): Path<(String, String)>,
    Form(f): Form<Fields>,
) -> Response {
    act(&web, &headers, &uri, &c, Role::Advisor, f, move |app, cr, form| {
        let claim = ClaimId(field(form, "claim").to_string());
        let p = app.assign_payment(cr, &key, &claim)?;
        Ok(format!("payment {} of {} {} booked to {}", p.key, p.amount, p.currency, claim))
    })
    .await
}

async fn call_done(
    State(web): State<WebState>,
    headers: HeaderMap,
    uri: Uri,
    Path((c, task)): Path<(String, String)>,
    Form(f): Form<Fields>,
) -> Response {
    act(&web, &headers, &uri, &c, Role::Advisor, f, move |app, cr, form| {
        let outcome = field(form, "outcome")
            .parse()
            .map_err(|_| AppError::invalid("outcome", format!("'{}' is not an outcome", field(form, "outcome"))))?;
        let call = fordra_app::outbox::CallRecord {
            task,
            outcome,
            promise_date: opt_date(form, "promise_date")?,
            note: field(form, "note").to_string(),
        };
        let r = app.phone_done(cr, &call)?;
        Ok(format!("call {} recorded", r.task))
    })
    .await
}

/// Runs today's handling (an admin's button; the scheduler does it daily under `serve`).
async fn run_today(
    State(web): State<WebState>,
    headers: HeaderMap,
    uri: Uri,
    Path(c): Path<String>,
    Form(f): Form<Fields>,
) -> Response {
    act(&web, &headers, &uri, &c, Role::Admin, f, |app, cr, _| {
        let input = fordra_app::run::RunInput { date: app.today, dry_run: false, allow_future: false };
        let r = app.run_day(cr, input)?;
        Ok(format!("run of {}: {} steps, {} open claims", r.date, r.actions.len(), r.open_claims))
    })
    .await
}

fn segment_of(s: &str) -> Result<Segment, AppError> {
    s.parse().map_err(|_| AppError::NotFound { entity: "segment", id: s.to_string() })
}

async fn model_form(
    State(web): State<WebState>,
    headers: HeaderMap,
    uri: Uri,
    Path((c, seg)): Path<(String, String)>,
    Query(q): Query<Fields>,
) -> Response {
    let s = match staff(&web, &headers, &c, Role::Read, uri.path()).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let cr = s.creditor.clone();
    let r = app_as(&web, s.actor(), move |app| {
        let segment = segment_of(&seg)?;
        let policy = app.show_policy(&cr)?;
        let steps = policy.models.iter().find(|m| m.segment == segment).map(|m| m.steps.clone()).unwrap_or_default();
        Ok(json!({"segment": segment, "steps": json_of(&steps)?}))
    })
    .await
    .map(|v| with(with(base(&s, "model"), v), json!({"ok": q.get("ok"), "problems": null, "backtest": null})));
    show(&web, &s, r, "model.html")
}

/// The form's rows as a steps file (the same TOML `fordra strategy model` prints), so the
/// policy's own parser and rules judge it.
fn steps_toml(f: &Fields) -> String {
    let mut out = String::new();
    for i in 0..super::render::MAX_STEP_ROWS {
        let get = |k: &str| f.get(&format!("{k}{i}")).map_or("", |v| v.trim());
        if get("kind").is_empty() {
            continue;
        }
        let q = |v: &str| toml::Value::String(v.to_string()).to_string();
        let num = |v: &str| if v.parse::<i64>().is_ok() { v.to_string() } else { q(v) };
        out.push_str(&format!(
            "[[step]]\nkind = {}\nafter = {}\ndays = {}\npayment_days = {}\nfee = {}\nchannel = {}\nmin_amount = {}\n\n",
            q(get("kind")),
            q(get("after")),
            num(get("days")),
            num(get("payment_days")),
            q(get("fee")),
            q(get("channel")),
            q(if get("min_amount").is_empty() { "0" } else { get("min_amount") }),
        ));
    }
    out
}

/// Saves an edited model (after every rule of the policy and the law) or backtests it.
async fn model_save(
    State(web): State<WebState>,
    headers: HeaderMap,
    uri: Uri,
    Path((c, seg)): Path<(String, String)>,
    Form(f): Form<Fields>,
) -> Response {
    let need = if field(&f, "action") == "backtest" { Role::Advisor } else { Role::Admin };
    let s = match form_staff(&web, &headers, &uri, &c, need, &f).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let (cr, today, form) = (s.creditor.clone(), web.svc.today(), f.clone());
    let r = app_as(&web, s.actor(), move |app| {
        let segment = segment_of(&seg)?;
        let mut out = Edited { segment, problems: None, backtest: None, ok: None, steps: Vec::new() };
        match fordra_app::strategy::parse_steps("the form", steps_toml(&form).as_bytes()) {
            Ok(steps) => out.steps = steps,
            Err(e) => {
                out.problems = Some(e.to_string());
                return Ok(out);
            }
        }
        if field(&form, "action") == "backtest" {
            let horizon = match field(&form, "horizon") {
                "" => 30,
                v => v.parse().map_err(|_| AppError::invalid("horizon", format!("'{v}' is not a number of days")))?,
            };
            let b = BacktestInput { segment, steps: out.steps.clone(), from: None, to: None, horizon, date: today };
            match app.backtest(&cr, &b) {
                Ok(b) => out.backtest = Some(json_of(&b)?),
                Err(e) => out.problems = Some(e.to_string()),
            }
        } else {
            let wording = &fordra_comms::messages::check_own_texts;
            match app.set_segment_model(&cr, segment, out.steps.clone(), "the model editor", wording) {
                Ok(_) => out.ok = Some(format!("the {segment} model is saved")),
                Err(e) => out.problems = Some(e.to_string()),
            }
        }
        Ok(out)
    })
    .await;
    let r = r.and_then(|out| {
        // The rows as typed, so a refused form keeps what was written.
        let steps = if out.steps.is_empty() { super::render::rows_of(&f) } else { json_of(&out.steps)? };
        let refused = out.problems.is_some();
        let v = json!({"segment": out.segment, "problems": out.problems, "backtest": out.backtest, "ok": out.ok,
            "steps": steps, "horizon": field(&f, "horizon")});
        Ok((refused, with(base(&s, "model"), v)))
    });
    match r {
        Ok((refused, ctx)) => {
            let status = if refused { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
            web.page(status, "model.html", &ctx)
        }
        Err(e) => web.error_page(s.lang(), &e),
    }
}

/// What the model editor made of a form.
struct Edited {
    segment: Segment,
    problems: Option<String>,
    backtest: Option<Value>,
    ok: Option<String>,
    steps: Vec<fordra_core::model::Step>,
}

impl From<serde_json::Error> for ApiError {
    fn from(e: serde_json::Error) -> ApiError {
        ApiError::from(AppError::Storage(format!("a page's data: {e}")))
    }
}
