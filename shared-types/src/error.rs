//! Stable, machine-readable error codes and the error body every API returns.

use serde::{Deserialize, Serialize};

/// The `code` of an auth-service HTTP error. Serialized in snake_case; the
/// strings are part of the public contract and never change meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The username breaks the username rules.
    InvalidUsername,
    /// The email address is not a plausible address.
    InvalidEmail,
    /// The password breaks the password rules.
    InvalidPassword,
    /// The body is not the JSON object the endpoint expects.
    MalformedRequest,
    /// The username or email is already registered.
    AccountExists,
    /// Unknown account or wrong password (deliberately indistinguishable).
    InvalidCredentials,
    /// The refresh token is unknown, spent, expired or revoked.
    InvalidRefreshToken,
    /// The bearer token is missing, malformed, forged, expired or revoked.
    InvalidToken,
    /// The body is larger than the endpoint accepts.
    PayloadTooLarge,
    /// The body is not `application/json`.
    UnsupportedMediaType,
    /// No such route.
    NotFound,
    /// The route exists but not with this method.
    MethodNotAllowed,
    /// Too many attempts; retry after the `Retry-After` header.
    RateLimited,
    /// A dependency (the database) is unreachable; retry later.
    Unavailable,
    /// Something failed inside the service; details are only in its log.
    Internal,
}

impl ErrorCode {
    /// The wire string of this code, e.g. `account_exists`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidUsername => "invalid_username",
            Self::InvalidEmail => "invalid_email",
            Self::InvalidPassword => "invalid_password",
            Self::MalformedRequest => "malformed_request",
            Self::AccountExists => "account_exists",
            Self::InvalidCredentials => "invalid_credentials",
            Self::InvalidRefreshToken => "invalid_refresh_token",
            Self::InvalidToken => "invalid_token",
            Self::PayloadTooLarge => "payload_too_large",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::NotFound => "not_found",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::RateLimited => "rate_limited",
            Self::Unavailable => "unavailable",
            Self::Internal => "internal",
        }
    }
}

/// The body of every HTTP error: `code` for programs, `message` for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Stable machine-readable code.
    pub code: ErrorCode,
    /// Human-readable explanation, free of internal details.
    pub message: String,
}

/// Why the gateway refused a socket.io handshake: the `message` of the
/// client's `connect_error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, strum::EnumIter)]
#[serde(rename_all = "snake_case")]
pub enum ConnectErrorCode {
    /// Missing, malformed, forged or otherwise unacceptable token. Log in again.
    InvalidToken,
    /// The token's `exp` has passed. Refresh, then reconnect.
    TokenExpired,
    /// The token's user no longer exists. Log in again (or register).
    UnknownUser,
    /// The session was logged out or revoked. Log in again.
    SessionRevoked,
    /// The auth-service could not be reached. Retry with backoff.
    AuthUnavailable,
    /// The user already has the maximum number of live sockets.
    TooManyConnections,
}

impl ConnectErrorCode {
    /// The wire string of this code, e.g. `token_expired`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidToken => "invalid_token",
            Self::TokenExpired => "token_expired",
            Self::UnknownUser => "unknown_user",
            Self::SessionRevoked => "session_revoked",
            Self::AuthUnavailable => "auth_unavailable",
            Self::TooManyConnections => "too_many_connections",
        }
    }
}

impl std::fmt::Display for ConnectErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serialized_codes_match_their_wire_strings() {
        for code in [
            ErrorCode::InvalidUsername,
            ErrorCode::AccountExists,
            ErrorCode::MalformedRequest,
            ErrorCode::RateLimited,
            ErrorCode::Unavailable,
        ] {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
        for code in <ConnectErrorCode as strum::IntoEnumIterator>::iter() {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }
}
