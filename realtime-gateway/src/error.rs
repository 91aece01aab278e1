//! The gateway's errors and their mapping to what a client sees: a
//! `connect_error` message (one stable [`ConnectErrorCode`] string) for a
//! refused handshake, an [`EventErrorCode`] in an event ack otherwise.

use shared_types::ConnectErrorCode;
use shared_types::socket::EventErrorCode;

/// A refused handshake. Its `Display` is exactly the code string, because the
/// JavaScript client sees `err.message` = this text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConnectError(pub ConnectErrorCode);

impl From<AuthError> for ConnectError {
    fn from(e: AuthError) -> Self {
        Self(e.connect_code())
    }
}

/// Why a token or session was not accepted (handshake or `auth:refresh`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// Malformed, forged, wrong issuer/audience/type/algorithm, unknown key.
    #[error("invalid token")]
    InvalidToken,
    /// `exp` has passed.
    #[error("token expired")]
    TokenExpired,
    /// The user does not exist or is disabled.
    #[error("unknown user")]
    UnknownUser,
    /// The session was logged out or revoked.
    #[error("session revoked")]
    SessionRevoked,
    /// The auth-service did not answer in time.
    #[error("auth-service unavailable")]
    Unavailable,
}

impl AuthError {
    /// The `connect_error` code for this failure.
    pub fn connect_code(self) -> ConnectErrorCode {
        match self {
            Self::InvalidToken => ConnectErrorCode::InvalidToken,
            Self::TokenExpired => ConnectErrorCode::TokenExpired,
            Self::UnknownUser => ConnectErrorCode::UnknownUser,
            Self::SessionRevoked => ConnectErrorCode::SessionRevoked,
            Self::Unavailable => ConnectErrorCode::AuthUnavailable,
        }
    }

    /// The ack code for a failed `auth:refresh`. The event code set has only
    /// `invalid_token` for this, so every refresh failure maps to it; the
    /// socket keeps its old expiry either way.
    pub fn event_code(self) -> EventErrorCode {
        EventErrorCode::InvalidToken
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connect_error_display_is_the_bare_code() {
        assert_eq!(
            ConnectError::from(AuthError::TokenExpired).to_string(),
            "token_expired"
        );
        assert_eq!(
            ConnectError::from(AuthError::Unavailable).to_string(),
            "auth_unavailable"
        );
        assert_eq!(
            ConnectError(ConnectErrorCode::TooManyConnections).to_string(),
            "too_many_connections"
        );
    }
}
