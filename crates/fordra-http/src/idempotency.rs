//! `Idempotency-Key` on POSTs: the first response to a key is kept and returned again for a retry
//! of the same request (nothing is created twice); the key reused for another request is refused.
//! Keys belong to the API key that used them and are kept for a day.

use crate::error::ApiError;
use crate::state::{with_app, Shared};
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use fordra_app::keys::Caller;
use fordra_store::Idempotent;
use sha2::{Digest, Sha256};

/// The header.
pub const HEADER: &str = "idempotency-key";
/// How long a key's response is kept.
pub const KEEP_SECONDS: i64 = 24 * 3600;
const MAX_KEY: usize = 255;

fn request_hash(method: &Method, uri: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    h.update(method.as_str().as_bytes());
    h.update([0]);
    h.update(uri.as_bytes());
    h.update([0]);
    h.update(body);
    fordra_app::keys::hex(&h.finalize())
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// The middleware (inside authentication: it needs the caller).
pub async fn idempotent(State(svc): State<Shared>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let Some(key) = req.headers().get(HEADER) else { return next.run(req).await };
    let key = match key.to_str() {
        Ok(k) if !k.is_empty() && k.len() <= MAX_KEY && k.chars().all(|c| c.is_ascii_graphic()) => k.to_string(),
        _ => {
            return ApiError::bad_request(format!("Idempotency-Key: 1–{MAX_KEY} visible ASCII characters"))
                .into_response()
        }
    };
    let Some(caller) = req.extensions().get::<Caller>().cloned() else { return next.run(req).await };
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, fordra_core::limits::MAX_FILE_BYTES as usize).await {
        Ok(b) => b,
        Err(_) => {
            return ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "the request body is too large")
                .into_response()
        }
    };
    let uri = parts.uri.path_and_query().map(|p| p.as_str()).unwrap_or("").to_string();
    let hash = request_hash(&parts.method, &uri, &bytes);
    let (key_id, k, h) = (caller.key_id.clone(), key.clone(), hash.clone());
    let state =
        with_app(&svc, move |app| Ok(app.store.idempotency_begin(&key_id, &k, &h, now(), now() - KEEP_SECONDS)?)).await;
    match state {
        Err(e) => return e.into_response(),
        Ok(Idempotent::Done { request_hash, status, body }) if request_hash == hash => {
            let mut r = Response::new(Body::from(body));
            *r.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            r.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
            return r;
        }
        Ok(Idempotent::Done { .. }) => return reused(),
        Ok(Idempotent::InProgress { request_hash }) if request_hash != hash => return reused(),
        Ok(Idempotent::InProgress { .. }) => {
            return ApiError::new(
                StatusCode::CONFLICT,
                "request_in_progress",
                "a request with this Idempotency-Key is still being processed; retry later",
            )
            .into_response()
        }
        Ok(Idempotent::New) => {}
    }
    let response = next.run(Request::from_parts(parts, Body::from(bytes))).await;
    let (rparts, rbody) = response.into_parts();
    let body = axum::body::to_bytes(rbody, usize::MAX).await.unwrap_or_default();
    let status = rparts.status.as_u16();
    let text = String::from_utf8_lossy(&body).into_owned();
    let key_id = caller.key_id.clone();
    let kept = with_app(&svc, move |app| {
        if status < 500 {
            app.store.idempotency_finish(&key_id, &key, status, &text)?;
        } else {
            app.store.idempotency_abandon(&key_id, &key)?;
        }
        Ok(())
    })
    .await;
    if let Err(e) = kept {
        tracing::error!(error = ?e.detail.message, "could not keep an idempotent response");
    }
    Response::from_parts(rparts, Body::from(body))
}

fn reused() -> Response {
    ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        "idempotency_key_reused",
        "this Idempotency-Key was used for a different request; use a new key for a new request",
    )
    .into_response()
}
