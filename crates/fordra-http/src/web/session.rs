//! Signing in and out, the session cookie, roles and CSRF tokens.
//!
//! The session cookie is HttpOnly, SameSite=Strict and (unless the service is configured for
//! plain HTTP behind nothing) Secure; it holds a random token whose hash is the session's key.
//! Every form carries the session's CSRF token (the sign-in form a cookie-bound one) and every
//! POST is refused without it.

use super::{Web, WebState};
use crate::error::ApiError;
use crate::state::{with_app, ACTOR};
use axum::extract::{Form, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use fordra_app::users::{Role, Session};
use fordra_app::{App, AppError, CreditorId};
use std::collections::HashMap;

/// The session cookie's name.
pub const COOKIE: &str = "fordra_session";
/// The sign-in form's CSRF cookie.
const LOGIN_COOKIE: &str = "fordra_login";

/// A form's fields.
pub type Fields = HashMap<String, String>;

/// A form field, trimmed; empty when missing.
pub fn field<'a>(f: &'a Fields, name: &str) -> &'a str {
    f.get(name).map_or("", |v| v.trim())
}

/// A signed-in staff member on a page of a creditor they may see.
pub struct Staff {
    /// The session.
    pub session: Session,
    /// The creditor of the page.
    pub creditor: CreditorId,
}

impl Staff {
    /// The user's page language.
    pub fn lang(&self) -> &str {
        &self.session.user.language
    }
    /// Who the audit log names.
    pub fn actor(&self) -> String {
        self.session.actor()
    }
}

/// A cookie's value from the request.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn set_cookie(web: &Web, name: &str, value: &str, max_age: i64) -> HeaderValue {
    let secure = if web.svc.secure_cookies { "; Secure" } else { "" };
    let v = format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}");
    HeaderValue::from_str(&v).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// Runs a use case as `actor` (the audit log names them).
pub async fn app_as<T, F>(web: &Web, actor: String, f: F) -> Result<T, ApiError>
where
    T: Send + 'static,
    F: FnOnce(&mut App<'_>) -> Result<T, AppError> + Send + 'static,
{
    ACTOR.scope(actor, with_app(&web.svc, f)).await
}

fn to_login(path: &str) -> Response {
    let next: String = url_escape(path);
    Redirect::to(&format!("/login?next={next}")).into_response()
}

/// `s` escaped for a query string.
pub fn url_escape(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The signed-in user, or a redirect to the sign-in page.
pub async fn signed_in(web: &Web, headers: &HeaderMap, path: &str) -> Result<Session, Response> {
    let Some(token) = cookie(headers, COOKIE) else { return Err(to_login(path)) };
    let now = chrono::Utc::now().timestamp();
    match with_app(&web.svc, move |app| app.session(&token, now)).await {
        Ok(Some(s)) => Ok(s),
        Ok(None) => Err(to_login(path)),
        Err(e) => Err(web.error_page("en", &e)),
    }
}

/// The signed-in user on a page of `creditor` with at least `need`: another creditor's staff
/// get "not found" (they learn nothing of it), a smaller role "forbidden".
pub async fn staff(web: &Web, headers: &HeaderMap, creditor: &str, need: Role, path: &str) -> Result<Staff, Response> {
    let session = signed_in(web, headers, path).await?;
    let c = CreditorId(creditor.to_string());
    let lang = session.user.language.clone();
    if !session.sees(&c) {
        let e = ApiError::from(AppError::NotFound { entity: "creditor", id: creditor.to_string() });
        return Err(web.error_page(&lang, &e));
    }
    if session.user.role < need {
        let e = ApiError::new(StatusCode::FORBIDDEN, "forbidden", format!("this needs the {need} role"));
        return Err(web.error_page(&lang, &e));
    }
    Ok(Staff { session, creditor: c })
}

/// Refuses a form without the session's CSRF token (the field `csrf`, or the header htmx sends).
pub fn check_csrf(web: &Web, staff: &Staff, headers: &HeaderMap, form: &Fields) -> Result<(), Response> {
    let sent = form
        .get("csrf")
        .cloned()
        .or_else(|| headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).map(String::from))
        .unwrap_or_default();
    if same(&sent, &staff.session.csrf) {
        return Ok(());
    }
    let e =
        ApiError::new(StatusCode::FORBIDDEN, "csrf", "the form's security token is missing or wrong: reload the page");
    Err(web.error_page(staff.lang(), &e))
}

/// Equal in time independent of where they differ.
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && !a.is_empty() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// `/` and `/app`: the user's creditor, an operator's list of creditors, or the sign-in page.
pub async fn home(State(web): State<WebState>, headers: HeaderMap) -> Response {
    let session = match signed_in(&web, &headers, "/app").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Some(c) = &session.user.creditor {
        return Redirect::to(&format!("/app/{}", url_escape(c))).into_response();
    }
    let lang = session.user.language.clone();
    match with_app(&web.svc, |app| app.list_creditors()).await {
        Ok(list) => {
            let ctx = serde_json::json!({"lang": lang, "csrf": session.csrf, "session": session, "creditors": list,
                "nav": "", "c": ""});
            web.page(StatusCode::OK, "creditors.html", &ctx)
        }
        Err(e) => web.error_page(&lang, &e),
    }
}

/// The sign-in form.
pub async fn login_form(State(web): State<WebState>, Query(q): Query<Fields>) -> Response {
    login_page(&web, StatusCode::OK, &q, None)
}

fn login_page(web: &Web, status: StatusCode, q: &Fields, error: Option<&str>) -> Response {
    let token = fordra_app::keys::random_hex(16);
    let lang = q.get("lang").filter(|l| super::render::STAFF_LANGUAGES.contains(&l.as_str())).map_or("sv", |l| l);
    let next = q.get("next").filter(|n| n.starts_with("/app")).map_or("/app", |n| n);
    let ctx = serde_json::json!({"lang": lang, "csrf": token, "next": next, "error": error, "nav": "", "c": ""});
    let mut r = web.page(status, "login.html", &ctx);
    r.headers_mut().append(header::SET_COOKIE, set_cookie(web, LOGIN_COOKIE, &token, 3600));
    r
}

/// Signs in: checks the form's token, the rate limit and the password, then sets the cookie.
pub async fn login(State(web): State<WebState>, headers: HeaderMap, Form(f): Form<Fields>) -> Response {
    let sent = f.get("csrf").map_or("", |s| s.as_str());
    if !cookie(&headers, LOGIN_COOKIE).is_some_and(|c| same(&c, sent)) {
        return login_page(&web, StatusCode::FORBIDDEN, &f, Some("csrf"));
    }
    let id = f.get("id").cloned().unwrap_or_default().trim().to_lowercase();
    let password = f.get("password").cloned().unwrap_or_default();
    if web.logins.check_key(&id).is_err() {
        return login_page(&web, StatusCode::TOO_MANY_REQUESTS, &f, Some("rate"));
    }
    let now = chrono::Utc::now().timestamp();
    let actor = format!("user:{id}");
    match app_as(&web, actor, move |app| app.login(&id, &password, now)).await {
        Ok(Some(made)) => {
            let next = f.get("next").filter(|n| n.starts_with("/app") && !n.starts_with("//")).map_or("/app", |n| n);
            let mut r = Redirect::to(next).into_response();
            let age = fordra_app::users::SESSION_SECONDS;
            r.headers_mut().append(header::SET_COOKIE, set_cookie(&web, COOKIE, &made.token, age));
            r.headers_mut().append(header::SET_COOKIE, set_cookie(&web, LOGIN_COOKIE, "", 0));
            r
        }
        Ok(None) => login_page(&web, StatusCode::UNAUTHORIZED, &f, Some("wrong")),
        Err(e) => web.error_page("en", &e),
    }
}

/// Signs out (the session's token required, so another site cannot sign the user out).
pub async fn logout(State(web): State<WebState>, headers: HeaderMap, Form(f): Form<Fields>) -> Response {
    let Some(token) = cookie(&headers, COOKIE) else { return Redirect::to("/login").into_response() };
    let now = chrono::Utc::now().timestamp();
    let t = token.clone();
    if let Ok(Some(s)) = with_app(&web.svc, move |app| app.session(&t, now)).await {
        if !f.get("csrf").is_some_and(|c| same(c, &s.csrf)) {
            let e = ApiError::new(StatusCode::FORBIDDEN, "csrf", "the form's security token is missing or wrong");
            return web.error_page(&s.user.language, &e);
        }
    }
    let _ = with_app(&web.svc, move |app| app.logout(&token, now)).await;
    let mut r = Redirect::to("/login").into_response();
    r.headers_mut().append(header::SET_COOKIE, set_cookie(&web, COOKIE, "", 0));
    r
}
