//! The web pages: the creditor's dashboard, claims and customers, the advisor's worklist and
//! the handling-model editor for staff (signed in, by role), and the debtor's own page (from
//! the signed link in each letter). Server-rendered; htmx and Chart.js are served from the
//! binary. Each page and action calls one use case of the application layer.

// A refusal is the page that says so: handlers and their checks return `Result<_, Response>`.
#![allow(clippy::result_large_err, reason = "a refusal is a whole response, built once per request")]

mod debtor;
pub mod render;
mod session;
mod staff;

use crate::error::ApiError;
use crate::state::Shared;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use governor::{DefaultKeyedRateLimiter, Quota};
use std::num::NonZeroU32;
use std::sync::Arc;

/// The pages' shared state.
pub struct Web {
    /// The service (store pool, law, clock, delivery configuration).
    pub svc: Shared,
    /// Templates and phrases; an error when they failed to load (a build mistake).
    pages: Result<render::Pages, String>,
    /// Login attempts per user name: 10 a minute.
    logins: DefaultKeyedRateLimiter<String>,
}

/// The pages' state as handlers take it.
pub type WebState = Arc<Web>;

/// Vendored and own assets, compiled in: (path, content type, bytes).
const ASSETS: &[(&str, &str, &[u8])] = &[
    ("htmx.min.js", "text/javascript", include_bytes!("../../assets/web/htmx.min.js")),
    ("chart.umd.min.js", "text/javascript", include_bytes!("../../assets/web/chart.umd.min.js")),
    ("fordra.css", "text/css", include_bytes!("../../web/static/fordra.css")),
    ("charts.js", "text/javascript", include_bytes!("../../web/static/charts.js")),
];

impl Web {
    /// The pages of a service.
    pub fn new(svc: Shared) -> Web {
        let quota = Quota::per_minute(NonZeroU32::new(10).unwrap_or(NonZeroU32::MIN));
        Web { svc, pages: render::Pages::new(), logins: DefaultKeyedRateLimiter::keyed(quota) }
    }

    /// A page, or the error page when the template fails.
    pub fn page(&self, status: StatusCode, name: &str, ctx: &impl serde::Serialize) -> Response {
        let html = match &self.pages {
            Ok(p) => p.render(name, ctx),
            Err(e) => Err(e.clone()),
        };
        match html {
            Ok(html) => {
                let mut r = (status, html).into_response();
                let h = r.headers_mut();
                h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
                h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
                h.insert("x-frame-options", HeaderValue::from_static("DENY"));
                h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
                h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
                h.insert(
                    "content-security-policy",
                    HeaderValue::from_static(
                        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                         form-action 'self'; frame-ancestors 'none'",
                    ),
                );
                r
            }
            Err(e) => {
                tracing::error!(error = %e, "a page could not be rendered");
                (StatusCode::INTERNAL_SERVER_ERROR, "the page could not be rendered").into_response()
            }
        }
    }

    /// An error as a page in `lang`: its status, and the message naming what was wrong.
    pub fn error_page(&self, lang: &str, e: &ApiError) -> Response {
        let mut message = e.detail.message.clone();
        for r in &e.detail.rules {
            message.push_str("\n• ");
            message.push_str(r);
        }
        let ctx = serde_json::json!({"lang": lang, "title": e.status.canonical_reason().unwrap_or("Error"),
            "message": message, "status": e.status.as_u16()});
        self.page(e.status, "message.html", &ctx)
    }
}

async fn asset(axum::extract::Path(name): axum::extract::Path<String>) -> Response {
    match ASSETS.iter().find(|(n, _, _)| *n == name) {
        Some((_, kind, bytes)) => {
            let mut r = bytes.into_response();
            r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(kind));
            r.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
            r
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The pages' routes.
pub fn router<S: Clone + Send + Sync + 'static>(svc: Shared) -> Router<S> {
    let web: WebState = Arc::new(Web::new(svc));
    Router::new()
        .route("/", get(session::home))
        .route("/static/{name}", get(asset))
        .route("/login", get(session::login_form).post(session::login))
        .route("/logout", post(session::logout))
        .route("/app", get(session::home))
        .merge(staff::routes())
        .merge(debtor::routes())
        .with_state(web)
}
