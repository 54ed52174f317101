//! The debtor's own page, reached from the link in a letter, e-mail or text: the path names
//! the creditor and the debtor, the query an expiry and a signature (no password). A link
//! opens only its own debtor's page and claims, and only until it expires.

use super::render::PAGE_LANGUAGES;
use super::session::{app_as, field, same, url_escape, Fields};
use super::{Web, WebState};
use crate::error::ApiError;
use axum::extract::{Form, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use fordra_app::debtor::{DebtorRequest, DEBTOR_CHANNELS};
use fordra_app::{App, AppError, ClaimId, CreditorId, CustomerId};
use fordra_comms::links::LinkCheck;
use serde_json::json;
use sha2::{Digest, Sha256};

/// The debtor page's routes.
pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/d/{c}/{customer}", get(page))
        .route("/d/{c}/{customer}/request", post(request))
        .route("/d/{c}/{customer}/contact", post(contact))
}

/// A link's proof: until when, and the signature over creditor, debtor and that time.
struct Link {
    creditor: CreditorId,
    customer: CustomerId,
    exp: i64,
    sig: String,
    /// The page's language asked for in the link (`lang`), if it is one of the page's.
    lang: Option<String>,
}

impl Link {
    /// The query that proves the link, for the page's own forms and language switch.
    fn query(&self) -> String {
        format!("exp={}&sig={}", self.exp, self.sig)
    }
    fn path(&self) -> String {
        format!("/d/{}/{}", url_escape(&self.creditor.0), url_escape(&self.customer.0))
    }
    fn actor(&self) -> String {
        format!("debtor:{}", self.customer.0)
    }
}

fn pick_lang(asked: Option<&str>) -> Option<String> {
    asked.filter(|l| PAGE_LANGUAGES.iter().any(|(c, _)| c == l)).map(String::from)
}

/// Checks a link's signature and expiry; a refusal is a page saying so (in the language asked
/// for), with nothing of the debtor on it.
fn verify(web: &Web, c: String, customer: String, q: &Fields) -> Result<Link, Response> {
    let lang = pick_lang(q.get("lang").map(String::as_str));
    let refuse = |status: StatusCode, code: &'static str| {
        let l = lang.clone().unwrap_or_else(|| "en".into());
        let ctx = json!({"lang": l, "title_key": "link-invalid", "message_key": code, "status": status.as_u16()});
        web.page(status, "message.html", &ctx)
    };
    let Some(links) = &web.svc.delivery.links else { return Err(refuse(StatusCode::NOT_FOUND, "link-off")) };
    let exp = q.get("exp").and_then(|e| e.parse::<i64>().ok()).unwrap_or(0);
    let sig = q.get("sig").cloned().unwrap_or_default();
    match links.check(&c, &customer, exp, &sig, chrono::Utc::now().timestamp()) {
        LinkCheck::Forged => return Err(refuse(StatusCode::FORBIDDEN, "link-wrong")),
        LinkCheck::Expired => return Err(refuse(StatusCode::GONE, "link-expired")),
        LinkCheck::Valid => {}
    }
    Ok(Link { creditor: CreditorId(c), customer: CustomerId(customer), exp, sig, lang })
}

/// The token the page's forms carry: bound to the link's signature with the service's secret.
fn form_token(web: &Web, link: &Link) -> String {
    let secret = web.svc.delivery.links.as_ref().map_or("", |l| l.secret.as_str());
    fordra_app::keys::hex(&Sha256::digest(format!("{secret}\nform\n{}", link.sig).as_bytes()))
}

/// A QR code as an SVG drawing (the page's own: no image request, no third party).
fn qr_svg(payload: &str) -> Option<String> {
    let code = qrcode::QrCode::with_error_correction_level(payload.as_bytes(), qrcode::EcLevel::M).ok()?;
    Some(code.render::<qrcode::render::svg::Color<'_>>().min_dimensions(176, 176).quiet_zone(true).build())
}

async fn page(
    State(web): State<WebState>,
    Path((c, customer)): Path<(String, String)>,
    Query(q): Query<Fields>,
) -> Response {
    let link = match verify(&web, c, customer, &q) {
        Ok(l) => l,
        Err(r) => return r,
    };
    let (cr, cu) = (link.creditor.clone(), link.customer.clone());
    let r = app_as(&web, link.actor(), move |app| app.debtor_page(&cr, &cu)).await;
    let page = match r {
        Ok(p) => p,
        Err(e) => return web.error_page(link.lang.as_deref().unwrap_or("en"), &e),
    };
    let lang = link.lang.clone().or_else(|| pick_lang(Some(page.language.as_str()))).unwrap_or_else(|| "en".into());
    let claims: Vec<_> = page
        .claims
        .iter()
        .map(|cl| {
            let codes = fordra_comms::pdf::payment_codes(
                page.jurisdiction,
                &page.creditor,
                &cl.payment,
                std::slice::from_ref(&cl.line),
                page.today,
            );
            json!({"c": cl, "qr": codes.qr.as_deref().and_then(qr_svg), "barcode": codes.barcode})
        })
        .collect();
    let total: i64 = page.claims.iter().map(|c| c.line.to_pay.0).sum();
    let ctx = json!({
        "lang": lang, "p": page, "claims": claims, "total": fordra_app::Minor(total),
        "currency": page.claims.first().map_or("", |c| c.payment.currency),
        "path": link.path(), "query": link.query(), "csrf": form_token(&web, &link),
        "languages": PAGE_LANGUAGES.iter().map(|(c, _)| c).collect::<Vec<_>>(),
        "channels": DEBTOR_CHANNELS, "ok": q.get("ok"), "today": page.today,
        "promise_last": page.today + chrono::Duration::days(i64::from(page.rules.promise_max_days)),
        "plan_months": (2..=page.rules.plan_max_months).collect::<Vec<_>>(),
    });
    web.page(StatusCode::OK, "debtor.html", &ctx)
}

/// After a form: back to the page with what was done, or the refusal as a page.
fn after(web: &Web, link: &Link, f: &Fields, r: Result<&'static str, ApiError>) -> Response {
    let lang = pick_lang(Some(field(f, "lang"))).or_else(|| link.lang.clone()).unwrap_or_else(|| "en".into());
    match r {
        Ok(key) => {
            let to = format!("{}?{}&lang={lang}&ok={key}#top", link.path(), link.query());
            Redirect::to(&to).into_response()
        }
        Err(e) => web.error_page(&lang, &e),
    }
}

/// A form on the debtor's page: the link and the form's token checked, then `op` as one use
/// case in the debtor's name; back to the page with the phrase key of what was done.
async fn debtor_act<F>(web: &Web, c: String, customer: String, q: &Fields, f: Fields, op: F) -> Response
where
    F: FnOnce(&mut App<'_>, &CreditorId, &CustomerId, &Fields) -> Result<&'static str, AppError> + Send + 'static,
{
    let link = match verify(web, c, customer, q) {
        Ok(l) => l,
        Err(r) => return r,
    };
    if !same(field(&f, "csrf"), &form_token(web, &link)) {
        let e = ApiError::new(
            StatusCode::FORBIDDEN,
            "csrf",
            "the form's security token is missing or wrong: reload the page",
        );
        return web.error_page(link.lang.as_deref().unwrap_or("en"), &e);
    }
    let (cr, cu, form) = (link.creditor.clone(), link.customer.clone(), f.clone());
    let r = app_as(web, link.actor(), move |app| op(app, &cr, &cu, &form)).await;
    after(web, &link, &f, r)
}

/// A dispute, a promise to pay or a payment plan, asked for by the debtor.
async fn request(
    State(web): State<WebState>,
    Path((c, customer)): Path<(String, String)>,
    Query(q): Query<Fields>,
    Form(f): Form<Fields>,
) -> Response {
    debtor_act(&web, c, customer, &q, f, |app, cr, cu, form| {
        let claim = ClaimId(field(form, "claim").to_string());
        let (req, key) = match field(form, "kind") {
            "dispute" => (DebtorRequest::Dispute { claim, reason: field(form, "reason").to_string() }, "done-dispute"),
            "promise" => {
                let by = chrono::NaiveDate::parse_from_str(field(form, "by"), "%Y-%m-%d")
                    .map_err(|_| AppError::invalid("by", "choose a date"))?;
                (DebtorRequest::Promise { claim, by }, "done-promise")
            }
            "plan" => {
                let months =
                    field(form, "months").parse().map_err(|_| AppError::invalid("months", "choose the months"))?;
                (DebtorRequest::Plan { claim, months }, "done-plan")
            }
            k => return Err(AppError::invalid("kind", format!("'{k}' is not dispute, promise or plan"))),
        };
        app.debtor_request(cr, cu, &req)?;
        Ok(key)
    })
    .await
}

/// The channel and language the debtor wants.
async fn contact(
    State(web): State<WebState>,
    Path((c, customer)): Path<(String, String)>,
    Query(q): Query<Fields>,
    Form(f): Form<Fields>,
) -> Response {
    debtor_act(&web, c, customer, &q, f, |app, cr, cu, form| {
        let channel = match field(form, "channel") {
            "" => None,
            v => Some(v.parse().map_err(|_| AppError::invalid("channel", format!("'{v}' is not a channel")))?),
        };
        app.debtor_contact(cr, cu, channel, field(form, "language"))?;
        Ok("done-contact")
    })
    .await
}
