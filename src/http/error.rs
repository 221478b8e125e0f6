//! The one error type of the HTTP layer and its mapping to status codes: every
//! handler returns `Result<_, ApiError>`, so no handler decides statuses on its own,
//! and the domain layers' errors (`CatalogError`, `PushError`, `StoreError`) become
//! statuses here and nowhere else.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A malformed or out-of-range parameter: which one and why.
    #[error("{message}")]
    BadRequest {
        param: Option<String>,
        message: String,
    },
    #[error("{0} not found")]
    NotFound(String),
    /// The snapshot is still being built (first start imports data).
    #[error("medmap is starting up; try again in a few seconds")]
    NotReady,
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// Missing, malformed, unknown or revoked API key (one answer for all, so the
    /// response does not tell which).
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("too many requests; retry after {retry_after} s")]
    TooManyRequests { retry_after: u64 },
    #[error("{0}")]
    Conflict(String),
    /// More requests in flight than `--max-in-flight`: shed at once rather than
    /// queued, so a surge costs its own requests a retry, not everyone a long wait.
    #[error("the server is busy; retry after {retry_after} s")]
    Overloaded { retry_after: u64 },
    /// A request target longer than [`super::params::MAX_URI_BYTES`].
    #[error("the request URI is longer than {0} bytes")]
    UriTooLong(usize),
    /// A write refused row by row (nothing applied): which rows and why in
    /// `details`; 403 when rows name what the key may not touch, else 422.
    #[error("{message}")]
    Rejected {
        forbidden: bool,
        message: String,
        details: serde_json::Value,
    },
    /// A fault of ours (say, an answer that failed to serialize): logged, and the
    /// client learns only that it was not its fault.
    #[error("internal error: {0}")]
    Internal(String),
}

impl ApiError {
    pub fn bad(param: &str, message: impl Into<String>) -> Self {
        ApiError::BadRequest {
            param: Some(param.to_string()),
            message: message.into(),
        }
    }
}

/// The catalog's (and availability's) failures, as statuses.
impl From<crate::catalog::CatalogError> for ApiError {
    fn from(e: crate::catalog::CatalogError) -> Self {
        use crate::catalog::CatalogError as E;
        match e {
            E::BadId { param, .. } => ApiError::bad(param, e.to_string()),
            E::UnknownId(id) => ApiError::NotFound(format!("medication {id}")),
            E::NoMatch(q) => ApiError::NotFound(format!("medication matching {q:?}")),
            E::NoQuery => ApiError::bad("q", e.to_string()),
            E::UnknownLang(_) => ApiError::bad("lang", e.to_string()),
        }
    }
}

/// A facility id that is malformed or unknown.
impl From<crate::facilities::FacilityError> for ApiError {
    fn from(e: crate::facilities::FacilityError) -> Self {
        use crate::facilities::FacilityError as E;
        match e {
            E::BadId(_) => ApiError::bad("id", e.to_string()),
            E::NotFound(n) => ApiError::NotFound(format!("facility {n}")),
        }
    }
}

/// A feed push that could not be judged: a body that is not a feed is the client's
/// fault (400); anything else is ours (500, logged).
impl From<crate::feeds::push::PushError> for ApiError {
    fn from(e: crate::feeds::push::PushError) -> Self {
        use crate::feeds::push::PushError as E;
        match e {
            E::NotReady => ApiError::NotReady,
            E::Body(m) => ApiError::bad("body", m),
            E::Store(e) => ApiError::Store(e),
            E::Internal(m) => ApiError::Internal(m),
        }
    }
}

/// A pull feed that cannot be registered or run.
impl From<crate::feeds::pull::PullError> for ApiError {
    fn from(e: crate::feeds::pull::PullError) -> Self {
        use crate::feeds::pull::PullError as E;
        match e {
            E::Invalid(field, m) => ApiError::bad(field, m),
            E::NotFound(id) => ApiError::NotFound(format!("pull {id}")),
            E::Busy(_) => ApiError::Conflict(e.to_string()),
            E::Store(e) => ApiError::Store(e),
        }
    }
}

/// A rota that could not be applied: which rows and why.
impl From<crate::duty::DutyError> for ApiError {
    fn from(e: crate::duty::DutyError) -> Self {
        use crate::duty::DutyError as E;
        match e {
            E::Body(m) => ApiError::bad("body", m),
            E::Store(e) => ApiError::Store(e),
            E::Rejected {
                rejections,
                count,
                forbidden,
            } => ApiError::Rejected {
                forbidden,
                message: format!(
                    "{count} row(s) of the rota cannot be applied; nothing was applied"
                ),
                details: json!({ "rejected": count, "rejections": rejections }),
            },
        }
    }
}

impl ApiError {
    /// The status this error answers with, for the JSON API and the HTML pages alike.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::NotReady => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Store(e) if e.is_unavailable() => {
                tracing::warn!(error = %e, "database unreachable");
                StatusCode::SERVICE_UNAVAILABLE
            }
            ApiError::Store(e) => {
                tracing::error!(error = %e, "store error");
                StatusCode::INTERNAL_SERVER_ERROR
            }
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Overloaded { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::UriTooLong(_) => StatusCode::URI_TOO_LONG,
            ApiError::Rejected {
                forbidden: true, ..
            } => StatusCode::FORBIDDEN,
            ApiError::Rejected { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Internal(e) => {
                tracing::error!(error = %e, "internal error");
                StatusCode::INTERNAL_SERVER_ERROR
            }
        }
    }
}

/// What every error answer of `/api/v1` says, as JSON: one shape for all, so a client
/// reads `error.code` and never parses messages. The OpenAPI description's error
/// schema is derived from this type, so the two cannot disagree.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({"error": {"code": "bad_request", "message": "limit must be between 1 and 50, got 99", "details": {"param": "limit"}}}))]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    /// For people: what went wrong and, for a parameter, which one and why.
    pub message: String,
    /// For programs: `param` (a 400's parameter), `retry_after` (429), `report`
    /// (a refused feed push), `rejected`/`rejections` (a refused rota); else empty.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
}

/// `error.code`: what kind of failure, stable across releases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    BadRequest,
    NotFound,
    NotReady,
    Internal,
    Unauthorized,
    Forbidden,
    PayloadTooLarge,
    TooManyRequests,
    Conflict,
    Rejected,
    /// The database is unreachable: reads still answer, writes are asked again later.
    Unavailable,
    /// Too many requests in flight: shed at once, to be asked again after `Retry-After`.
    Overloaded,
    UriTooLong,
}

impl ErrorBody {
    pub fn new(code: ErrorCode, message: impl Into<String>, details: serde_json::Value) -> Self {
        ErrorBody {
            error: ErrorDetail {
                code,
                message: message.into(),
                details,
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        use ErrorCode as C;
        let status = self.status();
        let (code, details) = match &self {
            ApiError::BadRequest { param, .. } => (C::BadRequest, json!({ "param": param })),
            ApiError::NotFound(_) => (C::NotFound, json!({})),
            ApiError::NotReady => (C::NotReady, json!({})),
            ApiError::Store(e) if e.is_unavailable() => (C::Unavailable, json!({})),
            ApiError::Store(_) => (C::Internal, json!({})),
            ApiError::Unauthorized(_) => (C::Unauthorized, json!({})),
            ApiError::Forbidden(_) => (C::Forbidden, json!({})),
            ApiError::PayloadTooLarge(_) => (C::PayloadTooLarge, json!({})),
            ApiError::TooManyRequests { retry_after } => {
                (C::TooManyRequests, json!({ "retry_after": retry_after }))
            }
            ApiError::Conflict(_) => (C::Conflict, json!({})),
            ApiError::Overloaded { retry_after } => {
                (C::Overloaded, json!({ "retry_after": retry_after }))
            }
            ApiError::UriTooLong(max) => (C::UriTooLong, json!({ "max_bytes": max })),
            ApiError::Rejected {
                forbidden, details, ..
            } => (
                if *forbidden {
                    C::Forbidden
                } else {
                    C::Rejected
                },
                details.clone(),
            ),
            ApiError::Internal(_) => (C::Internal, json!({})),
        };
        let message = match &self {
            ApiError::Store(e) if e.is_unavailable() => {
                "the database is unreachable; try again shortly".to_string()
            }
            ApiError::Store(_) | ApiError::Internal(_) => "internal error".to_string(),
            other => other.to_string(),
        };
        let mut resp = (status, Json(ErrorBody::new(code, message, details))).into_response();
        if matches!(self, ApiError::NotReady) {
            resp.headers_mut()
                .insert("retry-after", axum::http::HeaderValue::from_static("2"));
        }
        if matches!(&self, ApiError::Store(e) if e.is_unavailable()) {
            resp.headers_mut()
                .insert("retry-after", axum::http::HeaderValue::from_static("5"));
        }
        if let ApiError::TooManyRequests { retry_after } | ApiError::Overloaded { retry_after } =
            self
        {
            resp.headers_mut().insert(
                "retry-after",
                axum::http::HeaderValue::from(retry_after.max(1)),
            );
        }
        if matches!(self, ApiError::Unauthorized(_)) {
            resp.headers_mut().insert(
                "www-authenticate",
                axum::http::HeaderValue::from_static("Bearer"),
            );
        }
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::CatalogError;
    use crate::feeds::push::PushError;

    #[test]
    fn domain_errors_map_to_statuses_here() {
        let status = |e: ApiError| e.status().as_u16();
        assert_eq!(status(CatalogError::NoQuery.into()), 400);
        assert_eq!(status(CatalogError::UnknownLang("de".into()).into()), 400);
        assert_eq!(
            status(
                CatalogError::BadId {
                    param: "medication_id",
                    value: "x".into()
                }
                .into()
            ),
            400
        );
        assert_eq!(status(CatalogError::UnknownId("p9".into()).into()), 404);
        assert_eq!(status(CatalogError::NoMatch("zz".into()).into()), 404);
        // A body that is not a feed is the client's fault; our faults are never 400.
        assert_eq!(status(PushError::Body("truncated".into()).into()), 400);
        assert_eq!(
            status(PushError::Internal("parser panicked".into()).into()),
            500
        );
        assert_eq!(status(PushError::NotReady.into()), 503);
        let e: ApiError = CatalogError::UnknownId("p9".into()).into();
        assert_eq!(e.to_string(), "medication p9 not found");
    }
}
