//! The one error type of the HTTP API and its mapping to status, `code` and
//! a message safe for clients. Causes of 5xx answers go to the log only.

use actix_web::{HttpResponse, ResponseError, http::StatusCode};
use shared_types::{ErrorBody, ErrorCode};

use crate::{domain::ValidationError, store::StoreError};

/// Every way an HTTP request can fail.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// A field broke a registration rule.
    #[error(transparent)]
    Validation(#[from] ValidationError),
    /// The body is not the JSON the endpoint expects.
    #[error("{0}")]
    Malformed(String),
    /// Body too large.
    #[error("request body is too large")]
    PayloadTooLarge,
    /// Body is not JSON.
    #[error("content type must be application/json")]
    UnsupportedMediaType,
    /// Username or email taken.
    #[error("account exists")]
    AccountExists,
    /// Unknown account or wrong password.
    #[error("invalid credentials")]
    InvalidCredentials,
    /// Unknown, spent, expired or revoked refresh token.
    #[error("invalid refresh token")]
    InvalidRefreshToken,
    /// Too many attempts; retry after this many seconds.
    #[error("too many attempts")]
    RateLimited {
        /// Seconds until the window ends.
        retry_after: u64,
    },
    /// Missing or unacceptable bearer token.
    #[error("invalid token")]
    InvalidToken,
    /// No such route.
    #[error("not found")]
    NotFound,
    /// Wrong method for the route.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// MongoDB is unreachable (the cause is logged where it is detected).
    #[error("database unavailable")]
    Unavailable,
    /// A bug or an unexpected dependency failure.
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<crate::credentials::HashError> for ApiError {
    fn from(err: crate::credentials::HashError) -> Self {
        match err {
            crate::credentials::HashError::Busy => {
                tracing::warn!("password checks saturated: request shed");
                Self::Unavailable
            }
            crate::credentials::HashError::Failed(e) => Self::Unexpected(e),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Conflict => Self::AccountExists,
            StoreError::Unavailable(e) => {
                tracing::warn!(error = %e, "database unavailable");
                Self::Unavailable
            }
            StoreError::Other(_) | StoreError::Contention | StoreError::Unexpected(_) => {
                Self::Unexpected(anyhow::Error::new(err))
            }
        }
    }
}

impl ApiError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Validation(ValidationError::Username(_)) => ErrorCode::InvalidUsername,
            Self::Validation(ValidationError::Email(_)) => ErrorCode::InvalidEmail,
            Self::Validation(ValidationError::Password(_)) => ErrorCode::InvalidPassword,
            Self::Malformed(_) => ErrorCode::MalformedRequest,
            Self::PayloadTooLarge => ErrorCode::PayloadTooLarge,
            Self::UnsupportedMediaType => ErrorCode::UnsupportedMediaType,
            Self::AccountExists => ErrorCode::AccountExists,
            Self::InvalidCredentials => ErrorCode::InvalidCredentials,
            Self::InvalidToken => ErrorCode::InvalidToken,
            Self::InvalidRefreshToken => ErrorCode::InvalidRefreshToken,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::NotFound => ErrorCode::NotFound,
            Self::MethodNotAllowed => ErrorCode::MethodNotAllowed,
            Self::Unavailable => ErrorCode::Unavailable,
            Self::Unexpected(_) => ErrorCode::Internal,
        }
    }

    fn message(&self) -> String {
        match self {
            Self::Validation(e) => e.to_string(),
            Self::Malformed(m) => m.clone(),
            Self::AccountExists => "An account with this username or email already exists".into(),
            Self::InvalidCredentials => "Invalid username or password".into(),
            Self::InvalidToken => "Missing, invalid or expired access token".into(),
            Self::InvalidRefreshToken => {
                "Invalid, expired or already used refresh token; log in again".into()
            }
            Self::RateLimited { retry_after } => {
                format!("Too many attempts; try again in {retry_after} s")
            }
            Self::Unavailable => "The service is temporarily unavailable; try again shortly".into(),
            Self::Unexpected(_) => "Internal error".into(),
            other => {
                let text = other.to_string();
                let mut chars = text.chars();
                chars
                    .next()
                    .map(|c| c.to_uppercase().chain(chars).collect())
                    .unwrap_or_default()
            }
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::Validation(_) | Self::Malformed(_) => StatusCode::BAD_REQUEST,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::AccountExists => StatusCode::CONFLICT,
            Self::InvalidCredentials | Self::InvalidToken | Self::InvalidRefreshToken => {
                StatusCode::UNAUTHORIZED
            }
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Self::Unexpected(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Unexpected(e) = self {
            tracing::error!(error = ?e, "request failed");
        }
        let mut response = HttpResponse::build(self.status_code());
        if matches!(self, Self::InvalidToken) {
            response.insert_header(("WWW-Authenticate", "Bearer"));
        }
        match self {
            Self::Unavailable => {
                response.insert_header(("Retry-After", "1"));
            }
            Self::RateLimited { retry_after } => {
                response.insert_header(("Retry-After", retry_after.to_string()));
            }
            _ => {}
        }
        response.json(ErrorBody {
            code: self.code(),
            message: self.message(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    #[test]
    fn an_internal_error_never_reveals_its_cause() {
        let err = ApiError::Unexpected(anyhow::anyhow!("E11000 secret collection detail"));
        let body = err.error_response().into_body().try_into_bytes().unwrap();
        let text = String::from_utf8_lossy(&body);
        assert!(!text.contains("E11000"), "{text}");
        assert!(text.contains("\"code\":\"internal\""), "{text}");
    }
}
