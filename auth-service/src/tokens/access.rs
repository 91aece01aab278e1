//! Access tokens: short-lived EdDSA JWTs (`typ: at+jwt`, RFC 9068 style)
//! carrying the user, the session and the username.
//!
//! Verification pins the algorithm, requires the `typ` header and a `kid`
//! from our own ring, and checks `iss`, `aud`, `exp`, `nbf` and the presence
//! of every claim. Keys named by the token (`jku`, `jwk`, `x5u`) are ignored.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, Header, Validation, errors::ErrorKind};
use shared_types::{AccessClaims, claims::ACCESS_TOKEN_TYP};

use super::KeyRing;

/// Clock skew tolerated on `exp` and `nbf`, in seconds.
const LEEWAY_SECS: u64 = 5;

/// Why a presented access token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Well-formed and genuine, but past its `exp`.
    #[error("token expired")]
    Expired,
    /// Anything else: malformed, forged, wrong algorithm, issuer or audience.
    #[error("invalid token")]
    Invalid,
}

/// A token just issued.
pub struct IssuedToken {
    /// The compact JWT.
    pub token: String,
    /// Lifetime in seconds.
    pub expires_in: u64,
    /// The claims it carries.
    pub claims: AccessClaims,
}

/// Issues and verifies this service's access tokens.
pub struct AccessTokens {
    ring: KeyRing,
    issuer: String,
    audience: String,
    ttl: Duration,
    validation: Validation,
}

impl AccessTokens {
    /// Binds a key ring to the issuer, audience and lifetime from settings.
    pub fn new(ring: KeyRing, issuer: String, audience: String, ttl: Duration) -> Self {
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.algorithms = vec![Algorithm::EdDSA];
        validation.leeway = LEEWAY_SECS;
        validation.validate_nbf = true;
        validation.set_issuer(&[&issuer]);
        validation.set_audience(&[&audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub"]);
        Self {
            ring,
            issuer,
            audience,
            ttl,
            validation,
        }
    }

    /// The key ring (for the JWKS endpoint).
    pub fn ring(&self) -> &KeyRing {
        &self.ring
    }

    /// Signs a new access token for this user and session. Its `exp` is
    /// the configured lifetime from now, but never past `session_end` (Unix
    /// seconds): no access token outlives its session.
    pub fn issue(
        &self,
        user_id: &str,
        username: &str,
        session_id: &str,
        session_end: i64,
    ) -> anyhow::Result<IssuedToken> {
        let now = SystemTime::now().duration_since(UNIX_EPOCH)?.as_secs() as i64;
        let exp = (now + self.ttl.as_secs() as i64).min(session_end);
        let claims = AccessClaims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: user_id.to_owned(),
            sid: session_id.to_owned(),
            iat: now,
            nbf: now,
            exp,
            jti: uuid::Uuid::new_v4().to_string(),
            username: username.to_owned(),
        };
        let key = self.ring.signing();
        let mut header = Header::new(Algorithm::EdDSA);
        header.typ = Some(ACCESS_TOKEN_TYP.to_owned());
        header.kid = Some(key.kid.clone());
        let token = jsonwebtoken::encode(&header, &claims, &key.encoding)?;
        Ok(IssuedToken {
            token,
            expires_in: u64::try_from(exp - now).unwrap_or(0),
            claims,
        })
    }

    /// Verifies a token issued by this service.
    pub fn verify(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Invalid)?;
        if header.alg != Algorithm::EdDSA || header.typ.as_deref() != Some(ACCESS_TOKEN_TYP) {
            return Err(TokenError::Invalid);
        }
        let kid = header.kid.ok_or(TokenError::Invalid)?;
        let key = self.ring.find(&kid).ok_or(TokenError::Invalid)?;
        jsonwebtoken::decode::<AccessClaims>(token, &key.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| match e.kind() {
                ErrorKind::ExpiredSignature => TokenError::Expired,
                _ => TokenError::Invalid,
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

    fn tokens() -> AccessTokens {
        AccessTokens::new(
            KeyRing::load(&[]).unwrap(),
            "iss".into(),
            "aud".into(),
            Duration::from_secs(60),
        )
    }

    #[test]
    fn issued_tokens_verify_and_carry_every_claim() {
        let t = tokens();
        let issued = t.issue("u1", "alice", "s1", i64::MAX).unwrap();
        let claims = t.verify(&issued.token).unwrap();
        assert_eq!(
            (
                claims.sub.as_str(),
                claims.sid.as_str(),
                claims.username.as_str()
            ),
            ("u1", "s1", "alice")
        );
        assert_eq!(claims.exp - claims.iat, 60);
        let header = jsonwebtoken::decode_header(&issued.token).unwrap();
        assert_eq!(header.typ.as_deref(), Some("at+jwt"));
        assert_eq!(header.kid.as_deref(), Some(t.ring().signing().kid.as_str()));
    }

    #[test]
    fn no_token_outlives_its_session() {
        let t = tokens();
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let issued = t.issue("u1", "alice", "s1", now + 10).unwrap();
        assert_eq!(issued.claims.exp, now + 10);
        assert_eq!(issued.expires_in, 10);
        let issued = t.issue("u1", "alice", "s1", now + 3600).unwrap();
        assert_eq!(
            issued.claims.exp,
            now + 60,
            "the lifetime wins when shorter"
        );
    }

    #[test]
    fn a_token_from_another_ring_issuer_or_audience_is_invalid() {
        let ring =
            || KeyRing::from_keys(&[ed25519_dalek::SigningKey::from_bytes(&[7; 32])]).unwrap();
        let ttl = Duration::from_secs(60);
        let ours = AccessTokens::new(ring(), "iss".into(), "aud".into(), ttl);
        let stranger = tokens().issue("u1", "alice", "s1", i64::MAX).unwrap().token;
        assert_eq!(ours.verify(&stranger), Err(TokenError::Invalid));
        for (iss, aud) in [("iss", "other"), ("other", "aud")] {
            let foreign = AccessTokens::new(ring(), iss.into(), aud.into(), ttl);
            let token = foreign.issue("u1", "alice", "s1", i64::MAX).unwrap().token;
            assert_eq!(ours.verify(&token), Err(TokenError::Invalid), "{iss}/{aud}");
        }
        let same = AccessTokens::new(ring(), "iss".into(), "aud".into(), ttl);
        assert!(
            ours.verify(&same.issue("u1", "alice", "s1", i64::MAX).unwrap().token)
                .is_ok()
        );
    }

    #[test]
    fn alg_none_and_a_swapped_typ_are_invalid() {
        let t = tokens();
        let issued = t.issue("u1", "alice", "s1", i64::MAX).unwrap();
        let parts: Vec<&str> = issued.token.split('.').collect();
        let kid = &t.ring().signing().kid;
        for header in [
            format!(r#"{{"alg":"none","typ":"at+jwt","kid":"{kid}"}}"#),
            format!(r#"{{"alg":"EdDSA","typ":"JWT","kid":"{kid}"}}"#),
        ] {
            let forged = format!(
                "{}.{}.{}",
                URL_SAFE_NO_PAD.encode(header),
                parts[1],
                parts[2]
            );
            assert_eq!(t.verify(&forged), Err(TokenError::Invalid));
        }
        assert_eq!(
            t.verify(&format!("{}.{}.", parts[0], parts[1])),
            Err(TokenError::Invalid)
        );
    }
}
