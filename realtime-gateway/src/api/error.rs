//! The server API's errors: one [`ApiError`] whose [`ApiCode`] decides the
//! HTTP status and the stable `code` of the `{code, message}` body.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// The stable `code` of a server-API error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum ApiCode {
    /// The `Authorization: Bearer` key is missing or not accepted (401).
    InvalidApiKey,
    /// The body is not the JSON the operation expects (400).
    MalformedRequest,
    /// The event name is malformed or reserved (400).
    InvalidEvent,
    /// A room name (or the room made from a `user_id`) is malformed (400).
    InvalidRoom,
    /// The body or the event data is too large (413).
    PayloadTooLarge,
    /// No such operation (404).
    NotFound,
    /// The path exists but not for this HTTP method (405, with `Allow`).
    MethodNotAllowed,
    /// A dependency (Redis, the adapter) failed; retry later (503).
    Unavailable,
}

impl ApiCode {
    /// The wire string, e.g. `invalid_room`.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    fn status(self) -> StatusCode {
        match self {
            Self::InvalidApiKey => StatusCode::UNAUTHORIZED,
            Self::MalformedRequest | Self::InvalidEvent | Self::InvalidRoom => {
                StatusCode::BAD_REQUEST
            }
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
        }
    }
}

/// A refused or failed server-API call. The message is written for the
/// caller and never holds internals (those go to the log).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    /// The stable code.
    pub code: ApiCode,
    /// A human-readable explanation.
    pub message: String,
}

impl ApiError {
    /// An error with `code` and `message`.
    pub fn new(code: ApiCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// `malformed_request` with `message`.
    pub fn malformed(message: impl Into<String>) -> Self {
        Self::new(ApiCode::MalformedRequest, message)
    }

    /// `unavailable`, after logging `cause` (which the caller never sees).
    pub fn unavailable(cause: &dyn std::fmt::Display) -> Self {
        tracing::warn!(error = %cause, "server API dependency failed");
        Self::new(ApiCode::Unavailable, "a dependency is unavailable; retry")
    }

    /// The `{code, message}` JSON body.
    pub fn body(&self) -> serde_json::Value {
        json!({"code": self.code.as_str(), "message": self.message})
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.code.status(), axum::Json(self.body())).into_response()
    }
}
