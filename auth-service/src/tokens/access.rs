//! Access tokens: short-lived EdDSA JWTs (`typ: at+jwt`, RFC 9068 style)
//! carrying the user, the session and the username. The rules every
//! verifier applies are `service_kit::access_token` (one definition for
//! this service and the gateway); keys come from this service's own ring.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jsonwebtoken::{Algorithm, Header};
use service_kit::access_token::AccessTokenRules;
use shared_types::{AccessClaims, claims::ACCESS_TOKEN_TYP};

use super::KeyRing;

/// Why a presented access token was refused.
pub use service_kit::access_token::Rejection as TokenError;

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
    rules: AccessTokenRules,
    ttl: Duration,
}

impl AccessTokens {
    /// Binds a key ring to the issuer, audience and lifetime from settings.
    pub fn new(ring: KeyRing, issuer: &str, audience: &str, ttl: Duration) -> Self {
        Self {
            ring,
            rules: AccessTokenRules::new(issuer, audience),
            ttl,
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
            iss: self.rules.issuer().to_owned(),
            aud: self.rules.audience().to_owned(),
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
        let kid = self.rules.key_id(token)?;
        let key = self.ring.find(&kid).ok_or(TokenError::Invalid)?;
        self.rules.claims(token, &key.decoding)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};

    fn tokens() -> AccessTokens {
        AccessTokens::new(
            KeyRing::load(&[]).unwrap(),
            "iss",
            "aud",
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
        let ours = AccessTokens::new(ring(), "iss", "aud", ttl);
        let stranger = tokens().issue("u1", "alice", "s1", i64::MAX).unwrap().token;
        assert_eq!(ours.verify(&stranger), Err(TokenError::Invalid));
        for (iss, aud) in [("iss", "other"), ("other", "aud")] {
            let foreign = AccessTokens::new(ring(), iss, aud, ttl);
            let token = foreign.issue("u1", "alice", "s1", i64::MAX).unwrap().token;
            assert_eq!(ours.verify(&token), Err(TokenError::Invalid), "{iss}/{aud}");
        }
        let same = AccessTokens::new(ring(), "iss", "aud", ttl);
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

    #[test]
    fn issuer_and_audience_are_trimmed_and_exp_is_strict() {
        let crlf = AccessTokens::new(
            KeyRing::load(&[]).unwrap(),
            "iss\r",
            " aud\n",
            Duration::from_secs(60),
        );
        let issued = crlf.issue("u1", "alice", "s1", i64::MAX).unwrap();
        assert_eq!(
            (issued.claims.iss.as_str(), issued.claims.aud.as_str()),
            ("iss", "aud")
        );
        assert!(tokens().verify(&issued.token).is_err(), "another ring");
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        // A session ending now caps exp at now: expired at once, no leeway.
        let t = tokens();
        let at_exp = t.issue("u1", "alice", "s1", now).unwrap();
        assert_eq!(t.verify(&at_exp.token), Err(TokenError::Expired));
    }
}
