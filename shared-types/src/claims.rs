//! The claims of a Gatehouse access token (a JWT signed with EdDSA, `typ: at+jwt`).

use serde::{Deserialize, Serialize};

/// The JOSE `typ` header value every access token carries (RFC 9068).
pub const ACCESS_TOKEN_TYP: &str = "at+jwt";

/// Claims of an access token. Every field is required when verifying.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// Issuer (`JWT_ISSUER`).
    pub iss: String,
    /// Audience (`JWT_AUDIENCE`).
    pub aud: String,
    /// Subject: the user id.
    pub sub: String,
    /// Session id: one per login, revocable.
    pub sid: String,
    /// Issued at (seconds since the Unix epoch).
    pub iat: i64,
    /// Not before (seconds since the Unix epoch).
    pub nbf: i64,
    /// Expiry (seconds since the Unix epoch).
    pub exp: i64,
    /// Unique token id.
    pub jti: String,
    /// The user's display name at issue time.
    pub username: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_without_a_session_id_do_not_deserialize() {
        let json =
            r#"{"iss":"i","aud":"a","sub":"u","iat":1,"nbf":1,"exp":2,"jti":"j","username":"n"}"#;
        assert!(serde_json::from_str::<AccessClaims>(json).is_err());
    }
}
