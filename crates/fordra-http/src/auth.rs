//! Who is calling: the bearer key of every `/v1/` request, its creditor and scope, and its rate.

use crate::error::{ApiError, ApiResult};
use crate::state::{with_app, Shared};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use fordra_app::keys::{Caller, Scope};
use fordra_app::CreditorId;

/// Recognises the key, refuses a caller over its rate, and hands the caller to the handler.
pub async fn authenticate(State(svc): State<Shared>, mut req: Request, next: Next) -> Response {
    let key = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
        .map(|k| k.trim().to_string());
    let Some(key) = key else { return ApiError::unauthenticated().into_response() };
    let caller = match with_app(&svc, move |app| app.authenticate(&key)).await {
        Ok(Some(c)) => c,
        Ok(None) => return ApiError::unauthenticated().into_response(),
        Err(e) => return e.into_response(),
    };
    if let Err(not_until) = svc.limiter.check_key(&caller.key_id) {
        let wait = not_until.wait_time_from(governor::clock::Clock::now(&governor::clock::DefaultClock::default()));
        let mut r = ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate_limited",
            format!("too many requests for this key; retry in {} ms", wait.as_millis()),
        )
        .into_response();
        let secs = wait.as_secs() + 1;
        if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
            r.headers_mut().insert(header::RETRY_AFTER, v);
        }
        return r;
    }
    let actor = format!("key:{}", caller.key_id);
    req.extensions_mut().insert(caller);
    crate::state::ACTOR.scope(actor, next.run(req)).await
}

/// The creditor of a path, for this caller with at least `need`: another creditor's data does
/// not exist for the caller (404), a smaller scope is refused (403).
pub fn tenant(caller: &Caller, creditor: &str, need: Scope) -> ApiResult<CreditorId> {
    let c = CreditorId(creditor.to_string());
    if !caller.sees(&c) {
        return Err(ApiError::not_found("creditor", creditor));
    }
    if caller.scope < need {
        return Err(ApiError::forbidden(need));
    }
    Ok(c)
}

/// Agency-level work: an operator's key with at least `need`.
pub fn operator(caller: &Caller, need: Scope) -> ApiResult<()> {
    if !caller.is_operator() {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "forbidden", "this needs an operator's key"));
    }
    if caller.scope < need {
        return Err(ApiError::forbidden(need));
    }
    Ok(())
}

/// The path's creditor for a caller with at least the scope `N` (0 read, 1 write, 2 admin),
/// checked before anything else of the request is read: another creditor's key gets 404 and a
/// smaller scope 403 whatever the body holds.
pub struct Tenant<const N: u8>(pub CreditorId);

/// A creditor the caller may read.
pub type Reader = Tenant<0>;
/// A creditor the caller may write to.
pub type Writer = Tenant<1>;
/// A creditor the caller administers.
pub type Administrator = Tenant<2>;

fn scope_of(n: u8) -> Scope {
    match n {
        0 => Scope::Read,
        1 => Scope::Write,
        _ => Scope::Admin,
    }
}

fn caller_of(parts: &axum::http::request::Parts) -> ApiResult<Caller> {
    parts.extensions.get::<Caller>().cloned().ok_or_else(ApiError::unauthenticated)
}

impl<S: Send + Sync, const N: u8> axum::extract::FromRequestParts<S> for Tenant<N> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, ApiError> {
        let caller = caller_of(parts)?;
        let params = axum::extract::RawPathParams::from_request_parts(parts, state)
            .await
            .map_err(|e| ApiError::bad_request(e.body_text()))?;
        let creditor = params
            .iter()
            .find(|(k, _)| *k == "creditor")
            .map(|(_, v)| v.to_string())
            .ok_or_else(|| ApiError::internal("a creditor's route without {creditor}"))?;
        tenant(&caller, &creditor, scope_of(N)).map(Tenant)
    }
}

/// Agency-level work: an operator's key with at least the scope `N` (as [`Tenant`]), checked
/// before the body is read.
pub struct Operator<const N: u8>;

impl<S: Send + Sync, const N: u8> axum::extract::FromRequestParts<S> for Operator<N> {
    type Rejection = ApiError;
    async fn from_request_parts(parts: &mut axum::http::request::Parts, _: &S) -> Result<Self, ApiError> {
        operator(&caller_of(parts)?, scope_of(N))?;
        Ok(Operator)
    }
}
