//! The errors of the HTTP API: each variant is one status code, and every
//! body is `{ "error": "..." }` (with `problems` for a pipeline that does
//! not check). Nothing of the server's internals reaches a body: an
//! internal error is logged in full and answered with its message only.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// What a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// No bearer token, or not the server's.
    #[error("a bearer token is needed: `Authorization: Bearer <token>` (the token is in `$PLEXUS_HOME/token`)")]
    Unauthorized,
    /// No such route, dataset, job or output.
    #[error("{0}")]
    NotFound(String),
    /// A malformed request.
    #[error("{0}")]
    BadRequest(String),
    /// A path outside the allowed roots.
    #[error("{0}")]
    Forbidden(String),
    /// A body over its limit.
    #[error("{0}")]
    TooLarge(String),
    /// The job queue or the upload slots are full: try again later.
    #[error("{message}")]
    Busy {
        /// What is full.
        message: String,
        /// Seconds to wait (`Retry-After`).
        retry_after_s: u64,
    },
    /// A pipeline that does not check, or a bad override: the same lines
    /// as `plexus check`.
    #[error("{message}")]
    Invalid {
        /// The whole message.
        message: String,
        /// One line per problem.
        problems: Vec<String>,
    },
    /// No representation the client accepts.
    #[error("{0}")]
    NotAcceptable(String),
    /// The request took longer than `--request-timeout`.
    #[error("{0}")]
    Timeout(String),
    /// The method is not allowed on this route.
    #[error("{0}")]
    MethodNotAllowed(String),
    /// Something failed on the server.
    #[error("{0}")]
    Internal(String),
}

impl ApiError {
    /// The status code of this error.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Busy { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Timeout(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// An internal error from anything displayable, logged where it happens.
    pub fn internal(what: impl std::fmt::Display) -> ApiError {
        tracing::error!("http: {what}");
        ApiError::Internal(what.to_string())
    }
}

impl From<super::store::StoreError> for ApiError {
    fn from(e: super::store::StoreError) -> ApiError {
        ApiError::internal(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = match &self {
            ApiError::Invalid { message, problems } => json!({ "error": message, "problems": problems }),
            other => json!({ "error": other.to_string() }),
        };
        let mut response = (status, Json(body)).into_response();
        if let ApiError::Busy { retry_after_s, .. } = self {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_s));
        }
        response
    }
}

/// The answer to a path no route serves.
pub async fn no_route(uri: axum::http::Uri) -> ApiError {
    ApiError::NotFound(format!("no route `{}`: `GET /openapi.json` lists them", uri.path()))
}

/// The answer to a method a route does not serve.
pub async fn no_method(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::MethodNotAllowed(format!("`{method}` is not allowed on `{}`", uri.path()))
}
