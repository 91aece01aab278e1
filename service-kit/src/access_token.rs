//! The access-token rules, one definition for the issuer (auth-service) and
//! both verifiers (auth-service `/auth/me`, the gateway's handshake and
//! `auth:refresh`):
//! - at most [`MAX_TOKEN_BYTES`], refused before any parsing;
//! - header: `alg` EdDSA only, `typ` = `at+jwt`, a non-empty `kid` (keys
//!   named by the token — `jku`, `jwk`, `x5u` — are ignored: the caller
//!   finds the key by `kid` in its own key set);
//! - claims: `iss` and `aud` equal to the configured (trimmed) values, `exp`,
//!   `nbf`, `iat`, `sub`, `sid` present, `sub` and `sid` non-empty;
//! - `nbf` tolerates [`NBF_LEEWAY_SECS`] of clock skew; `exp` is strict (a
//!   token at or past its `exp` is expired everywhere — a socket admitted
//!   with such a token would be cut by its own expiry timer at once).

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use shared_types::AccessClaims;
use shared_types::claims::ACCESS_TOKEN_TYP;

/// Clock skew tolerated on `nbf`, in seconds.
pub const NBF_LEEWAY_SECS: u64 = 5;
/// Longer tokens are refused before any parsing.
pub const MAX_TOKEN_BYTES: usize = 8 * 1024;

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Rejection {
    /// Genuine and well-formed, but at or past its `exp`.
    #[error("token expired")]
    Expired,
    /// Anything else: malformed, forged, wrong algorithm, type, issuer,
    /// audience, or a missing claim.
    #[error("invalid token")]
    Invalid,
}

/// The rules for one issuer and audience.
pub struct AccessTokenRules {
    issuer: String,
    audience: String,
    validation: Validation,
}

impl AccessTokenRules {
    /// Rules for tokens of `issuer` meant for `audience` (both trimmed, so a
    /// value from a CRLF env file still matches).
    pub fn new(issuer: &str, audience: &str) -> Self {
        let (issuer, audience) = (issuer.trim().to_owned(), audience.trim().to_owned());
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.algorithms = vec![Algorithm::EdDSA];
        validation.leeway = NBF_LEEWAY_SECS;
        validation.validate_exp = true;
        validation.validate_nbf = true;
        validation.validate_aud = true;
        validation.set_issuer(&[&issuer]);
        validation.set_audience(&[&audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub"]);
        Self {
            issuer,
            audience,
            validation,
        }
    }

    /// The `iss` tokens carry.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The `aud` tokens carry.
    pub fn audience(&self) -> &str {
        &self.audience
    }

    /// Checks the size and the header; returns the `kid` to find the key by.
    pub fn key_id(&self, token: &str) -> Result<String, Rejection> {
        if token.is_empty() || token.len() > MAX_TOKEN_BYTES {
            return Err(Rejection::Invalid);
        }
        let header = jsonwebtoken::decode_header(token).map_err(|_| Rejection::Invalid)?;
        if header.alg != Algorithm::EdDSA || header.typ.as_deref() != Some(ACCESS_TOKEN_TYP) {
            return Err(Rejection::Invalid);
        }
        header
            .kid
            .filter(|k| !k.is_empty())
            .ok_or(Rejection::Invalid)
    }

    /// Verifies the signature with `key` and every claim rule.
    pub fn claims(&self, token: &str, key: &DecodingKey) -> Result<AccessClaims, Rejection> {
        let claims = jsonwebtoken::decode::<AccessClaims>(token, key, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => Rejection::Expired,
                _ => Rejection::Invalid,
            })?;
        if claims.sub.is_empty() || claims.sid.is_empty() {
            return Err(Rejection::Invalid);
        }
        // jsonwebtoken applies the leeway to `exp` too; `exp` is strict here.
        if claims.exp <= jsonwebtoken::get_current_timestamp() as i64 {
            return Err(Rejection::Expired);
        }
        Ok(claims)
    }
}
