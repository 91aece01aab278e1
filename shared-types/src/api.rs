//! Request and response bodies of the auth-service HTTP API.
//!
//! Request types deny unknown fields and accept only strings where strings
//! belong, so an operator-shaped value such as `{"$gt": ""}` never gets past
//! deserialization.

use serde::{Deserialize, Serialize};

/// `POST /auth/register` body.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    /// 3–32 of `[A-Za-z0-9_.-]`, unique case-insensitively.
    pub username: String,
    /// An email address, unique case-insensitively.
    pub email: String,
    /// 8–128 characters.
    pub password: String,
}

/// A user as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserView {
    /// User id.
    pub id: String,
    /// Username as registered (case preserved).
    pub username: String,
    /// Email as registered.
    pub email: String,
}

/// `POST /auth/register` success body (201).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RegisterResponse {
    /// Always `"Registration successful"`.
    pub message: String,
    /// The new account.
    pub user: UserView,
}

/// `POST /auth/login` body: `username` may also be the account's email.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Username or email.
    pub username: String,
    /// Password.
    pub password: String,
}

/// Success body of login and refresh.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TokenResponse {
    /// The access token (JWT).
    pub token: String,
    /// Always `"Bearer"`.
    pub token_type: String,
    /// Access-token lifetime in seconds.
    pub expires_in: u64,
    /// Opaque refresh token, valid for one use.
    pub refresh_token: String,
    /// Human-readable confirmation.
    pub message: String,
}

/// `POST /auth/refresh` body.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    /// The refresh token from the last login or refresh.
    pub refresh_token: String,
}

/// `POST /auth/logout` body: one session by refresh token, or every session
/// of the bearer's user with `all: true`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogoutRequest {
    /// The session's refresh token.
    #[serde(default)]
    pub refresh_token: Option<String>,
    /// Log out every session of the bearer's user.
    #[serde(default)]
    pub all: Option<bool>,
}

/// `DELETE /auth/me` body.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeleteAccountRequest {
    /// The account's current password, as confirmation.
    pub password: String,
}

/// `GET /auth/me` success body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeResponse {
    /// User id.
    pub id: String,
    /// Username.
    pub username: String,
    /// Email.
    pub email: String,
    /// Account creation time, RFC 3339.
    pub created_at: String,
}

/// One public key of the JWKS (RFC 8037 OKP key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwk {
    /// Always `"OKP"`.
    pub kty: String,
    /// Always `"Ed25519"`.
    pub crv: String,
    /// The public key, base64url without padding.
    pub x: String,
    /// Key id, as in the token header.
    pub kid: String,
    /// Always `"EdDSA"`.
    pub alg: String,
    /// Always `"sig"`.
    #[serde(rename = "use")]
    pub use_: String,
}

/// `GET /.well-known/jwks.json` body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JwkSet {
    /// The signing key first, then keys that still verify.
    pub keys: Vec<Jwk>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operator_objects_are_not_strings() {
        let json = r#"{"username":{"$gt":""},"password":"x"}"#;
        assert!(serde_json::from_str::<LoginRequest>(json).is_err());
    }

    #[test]
    fn unknown_fields_are_refused() {
        let json = r#"{"username":"a","password":"b","$where":"1"}"#;
        assert!(serde_json::from_str::<LoginRequest>(json).is_err());
    }
}
