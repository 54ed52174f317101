//! One JSON error shape for every failure, with a stable code per application error variant and
//! per refusal of the service itself (authentication, scope, rate, idempotency).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use fordra_app::AppError;
use serde::Serialize;
use utoipa::ToSchema;

/// The body of every error response.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// An error's code and details.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable, for programs: not_found, conflict, invalid_input, unlawful, storage,
    /// unauthenticated, forbidden, rate_limited, idempotency_key_reused, request_in_progress,
    /// bad_request, payload_too_large, internal.
    pub code: &'static str,
    /// In words, for people.
    pub message: String,
    /// Bad input: the upload or field it came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Bad input: the line (CSV) or item (JSON array, from 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    /// Bad input: the column or field.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// A refusal by law or by the creditor's rules: each rule broken.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<String>,
}

/// An error on its way to the client.
#[derive(Debug)]
pub struct ApiError {
    /// The HTTP status.
    pub status: StatusCode,
    /// The body (boxed: errors travel in every handler's result).
    pub detail: Box<ErrorDetail>,
}

impl ApiError {
    /// An error with a code and message only.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            detail: Box::new(ErrorDetail {
                code,
                message: message.into(),
                source: None,
                line: None,
                field: None,
                rules: Vec::new(),
            }),
        }
    }
    /// No key, or one that is unknown or revoked.
    pub fn unauthenticated() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthenticated",
            "an API key is needed: Authorization: Bearer <key> (make one with `fordra key add`)",
        )
    }
    /// The key's scope is too small.
    pub fn forbidden(need: fordra_app::keys::Scope) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", format!("this needs a key with the {need} scope"))
    }
    /// Nothing here for this key (also what another creditor's data looks like).
    pub fn not_found(entity: &str, id: &str) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", format!("no {entity} '{id}'"))
    }
    /// Malformed request (not JSON, a bad query parameter).
    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }
    /// A failure of the service itself.
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> ApiError {
        let status = match &e {
            AppError::NotFound { .. } => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Invalid(_) | AppError::Unlawful { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Storage(_) => StatusCode::SERVICE_UNAVAILABLE,
        };
        let mut err = ApiError::new(status, e.code(), e.to_string());
        match e {
            AppError::Invalid(i) => {
                err.detail.message = i.reason.clone();
                err.detail.source = (!i.source.is_empty()).then_some(i.source);
                err.detail.line = i.line;
                err.detail.field = i.column;
            }
            AppError::Unlawful { rules } => err.detail.rules = rules,
            AppError::Storage(m) => {
                // The database's own words stay in the log; the client learns it may retry.
                tracing::error!(error = %m, "storage failure");
                err.detail.message = "the database failed; the request changed nothing and may be retried".into();
            }
            _ => {}
        }
        err
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = (self.status, axum::Json(ErrorBody { error: *self.detail })).into_response();
        r.headers_mut().insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
        r
    }
}

/// A handler's result.
pub type ApiResult<T> = Result<T, ApiError>;
