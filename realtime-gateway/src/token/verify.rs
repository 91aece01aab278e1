//! Access-token verification (README, "Tokens"): the rules are
//! `service_kit::access_token` (one definition with the auth-service); the
//! key is looked up by (`iss`, `kid`) in the JWKS cache. An expired token is
//! `token_expired`; a token that cannot be checked because no key set was
//! ever loaded is `auth_unavailable` (retryable); every other failure is
//! `invalid_token`.

use std::sync::Arc;

use serde::Deserialize;
use service_kit::access_token::{AccessTokenRules, Rejection};
use shared_types::AccessClaims;

use super::JwksCache;
use crate::error::AuthError;

/// Verifies access tokens against the cached JWKS of one issuer/audience.
pub struct TokenVerifier {
    jwks: Arc<JwksCache>,
    rules: AccessTokenRules,
}

#[derive(Deserialize)]
struct Issuer {
    iss: String,
}

impl TokenVerifier {
    /// A verifier for tokens of `issuer` meant for `audience`.
    pub fn new(jwks: Arc<JwksCache>, issuer: &str, audience: &str) -> Self {
        Self {
            jwks,
            rules: AccessTokenRules::new(issuer, audience),
        }
    }

    /// The key cache (for readiness).
    pub fn jwks(&self) -> &Arc<JwksCache> {
        &self.jwks
    }

    /// Checks `token` and returns its claims.
    pub async fn verify(&self, token: &str) -> Result<AccessClaims, AuthError> {
        let kid = self.rules.key_id(token).map_err(rejected)?;
        // The issuer is read unverified only to pick the key; the rules check
        // it against JWT_ISSUER after the signature.
        let Issuer { iss } = jsonwebtoken::dangerous::insecure_decode_claims(token)
            .map_err(|_| AuthError::InvalidToken)?;
        let key = match self.jwks.key(&iss, &kid).await {
            Some(key) => key,
            // No key set yet (auth-service down since start): retryable.
            None if !self.jwks.is_loaded() => return Err(AuthError::Unavailable),
            None => return Err(AuthError::InvalidToken),
        };
        self.rules.claims(token, &key).map_err(rejected)
    }
}

fn rejected(r: Rejection) -> AuthError {
    match r {
        Rejection::Expired => AuthError::TokenExpired,
        Rejection::Invalid => AuthError::InvalidToken,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use ed25519_dalek::SigningKey;
    use ed25519_dalek::pkcs8::EncodePrivateKey;
    use jsonwebtoken::{Algorithm, EncodingKey, Header};
    use serde_json::{Value, json};
    use shared_types::{Jwk, JwkSet};

    /// An Ed25519 key pair for signing test tokens.
    pub(crate) struct TestKey {
        pub signing: SigningKey,
        pub kid: String,
    }

    impl TestKey {
        pub(crate) fn new(seed: u8, kid: &str) -> Self {
            Self {
                signing: SigningKey::from_bytes(&[seed; 32]),
                kid: kid.into(),
            }
        }

        pub(crate) fn public_bytes(&self) -> [u8; 32] {
            self.signing.verifying_key().to_bytes()
        }

        pub(crate) fn jwk(&self) -> Jwk {
            Jwk {
                kty: "OKP".into(),
                crv: "Ed25519".into(),
                x: URL_SAFE_NO_PAD.encode(self.public_bytes()),
                kid: self.kid.clone(),
                alg: "EdDSA".into(),
                use_: "sig".into(),
            }
        }

        pub(crate) fn jwks(&self) -> JwkSet {
            JwkSet {
                keys: vec![self.jwk()],
            }
        }

        pub(crate) fn sign_with(&self, header: Header, claims: &Value) -> String {
            let pem = self.signing.to_pkcs8_pem(Default::default()).unwrap();
            let key = EncodingKey::from_ed_pem(pem.as_bytes()).unwrap();
            jsonwebtoken::encode(&header, claims, &key).unwrap()
        }

        pub(crate) fn sign(&self, claims: &Value) -> String {
            self.sign_with(at_header(&self.kid), claims)
        }
    }

    pub(crate) fn at_header(kid: &str) -> Header {
        let mut h = Header::new(Algorithm::EdDSA);
        h.typ = Some("at+jwt".into());
        h.kid = Some(kid.into());
        h
    }

    pub(crate) fn now() -> i64 {
        jsonwebtoken::get_current_timestamp() as i64
    }

    /// Valid claims for user `u1`, session `s1`, expiring in `ttl` seconds.
    pub(crate) fn claims(ttl: i64) -> Value {
        let now = now();
        json!({"iss":"gatehouse","aud":"gatehouse","sub":"u1","sid":"s1","iat":now,
               "nbf":now,"exp":now + ttl,"jti":"j1","username":"alice"})
    }

    pub(crate) fn verifier_for(keys: &[&TestKey]) -> TokenVerifier {
        let set = JwkSet {
            keys: keys.iter().map(|k| k.jwk()).collect(),
        };
        let (source, _) = crate::token::jwks::tests::counting_source(set);
        let jwks = Arc::new(JwksCache::new("gatehouse".into(), source));
        TokenVerifier::new(jwks, "gatehouse", "gatehouse")
    }

    fn with(mut c: Value, key: &str, v: Value) -> Value {
        c[key] = v;
        c
    }

    fn without(mut c: Value, key: &str) -> Value {
        c.as_object_mut().unwrap().remove(key);
        c
    }

    #[tokio::test]
    async fn a_valid_token_yields_its_claims() {
        let key = TestKey::new(1, "k1");
        let claims = verifier_for(&[&key])
            .verify(&key.sign(&claims(900)))
            .await
            .unwrap();
        assert_eq!((claims.sub.as_str(), claims.sid.as_str()), ("u1", "s1"));
        assert_eq!(claims.username, "alice");
    }

    #[tokio::test]
    async fn expired_is_token_expired() {
        let key = TestKey::new(1, "k1");
        let err = verifier_for(&[&key]).verify(&key.sign(&claims(-60))).await;
        assert_eq!(err.unwrap_err(), AuthError::TokenExpired);
    }

    #[tokio::test]
    async fn a_token_just_past_its_exp_gets_no_leeway() {
        let key = TestKey::new(1, "k1");
        let err = verifier_for(&[&key]).verify(&key.sign(&claims(-1))).await;
        assert_eq!(err.unwrap_err(), AuthError::TokenExpired);
    }

    #[tokio::test]
    async fn claim_violations_are_invalid_token() {
        let key = TestKey::new(1, "k1");
        let v = verifier_for(&[&key]);
        let cases = [
            (
                "nbf in the future",
                with(claims(900), "nbf", json!(now() + 120)),
            ),
            ("wrong iss", with(claims(900), "iss", json!("someone-else"))),
            ("wrong aud", with(claims(900), "aud", json!("other-app"))),
            ("missing sub", without(claims(900), "sub")),
            ("missing sid", without(claims(900), "sid")),
            ("missing nbf", without(claims(900), "nbf")),
            ("empty sid", with(claims(900), "sid", json!(""))),
        ];
        for (name, c) in cases {
            assert_eq!(
                v.verify(&key.sign(&c)).await.unwrap_err(),
                AuthError::InvalidToken,
                "{name}"
            );
        }
    }

    #[tokio::test]
    async fn header_violations_are_invalid_token() {
        let key = TestKey::new(1, "k1");
        let v = verifier_for(&[&key]);
        let mut wrong_typ = at_header("k1");
        wrong_typ.typ = Some("JWT".into());
        let mut no_typ = at_header("k1");
        no_typ.typ = None;
        let mut no_kid = at_header("k1");
        no_kid.kid = None;
        for (name, h) in [
            ("typ JWT", wrong_typ),
            ("no typ", no_typ),
            ("no kid", no_kid),
        ] {
            let t = key.sign_with(h, &claims(900));
            assert_eq!(
                v.verify(&t).await.unwrap_err(),
                AuthError::InvalidToken,
                "{name}"
            );
        }
        assert_eq!(v.verify("").await.unwrap_err(), AuthError::InvalidToken);
        assert_eq!(
            v.verify("not.a.jwt").await.unwrap_err(),
            AuthError::InvalidToken
        );
    }

    #[tokio::test]
    async fn alg_none_is_refused() {
        let key = TestKey::new(1, "k1");
        let header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"at+jwt","kid":"k1"}"#);
        let body = URL_SAFE_NO_PAD.encode(claims(900).to_string());
        let token = format!("{header}.{body}.");
        let err = verifier_for(&[&key]).verify(&token).await.unwrap_err();
        assert_eq!(err, AuthError::InvalidToken);
    }

    #[tokio::test]
    async fn hs256_signed_with_the_public_key_is_refused() {
        let key = TestKey::new(1, "k1");
        let mut h = Header::new(Algorithm::HS256);
        h.typ = Some("at+jwt".into());
        h.kid = Some("k1".into());
        let forged = jsonwebtoken::encode(
            &h,
            &claims(900),
            &EncodingKey::from_secret(&key.public_bytes()),
        )
        .unwrap();
        let err = verifier_for(&[&key]).verify(&forged).await.unwrap_err();
        assert_eq!(err, AuthError::InvalidToken);
    }

    #[tokio::test]
    async fn unknown_kid_and_same_kid_other_key_are_refused() {
        let key = TestKey::new(1, "k1");
        let v = verifier_for(&[&key]);
        let stranger = TestKey::new(2, "k9");
        assert_eq!(
            v.verify(&stranger.sign(&claims(900))).await.unwrap_err(),
            AuthError::InvalidToken
        );
        let impostor = TestKey::new(3, "k1");
        assert_eq!(
            v.verify(&impostor.sign(&claims(900))).await.unwrap_err(),
            AuthError::InvalidToken
        );
    }

    #[tokio::test]
    async fn without_any_key_set_the_failure_is_retryable() {
        let source: crate::token::JwksSource =
            Arc::new(|| Box::pin(async { Err(anyhow::anyhow!("auth-service down")) }));
        let jwks = Arc::new(JwksCache::new("gatehouse".into(), source));
        let v = TokenVerifier::new(jwks, "gatehouse", "gatehouse");
        let key = TestKey::new(1, "k1");
        assert_eq!(
            v.verify(&key.sign(&claims(900))).await.unwrap_err(),
            AuthError::Unavailable
        );
    }

    #[tokio::test]
    async fn an_embedded_jwk_or_jku_header_is_ignored() {
        use ed25519_dalek::Signer;
        let key = TestKey::new(1, "k1");
        let attacker = TestKey::new(4, "k1");
        // The attacker's own public key embedded in the header, and the
        // token signed with it: accepted only by a verifier that trusts `jwk`.
        let header = json!({
            "alg": "EdDSA", "typ": "at+jwt", "kid": "k1",
            "jwk": attacker.jwk(),
        });
        let b64 = |v: &Value| URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap());
        let input = format!("{}.{}", b64(&header), b64(&claims(900)));
        let signature = URL_SAFE_NO_PAD.encode(attacker.signing.sign(input.as_bytes()).to_bytes());
        let embedded = format!("{input}.{signature}");
        let v = verifier_for(&[&key]);
        assert_eq!(
            v.verify(&embedded).await.unwrap_err(),
            AuthError::InvalidToken
        );
        // The same signature checks out against the embedded key: the
        // refusal above is the verifier ignoring it, not a broken token.
        let trusting = verifier_for(&[&attacker]);
        assert!(trusting.verify(&embedded).await.is_ok());

        let mut h = at_header("k1");
        h.jku = Some("http://attacker.invalid/jwks.json".into());
        let forged = attacker.sign_with(h, &claims(900));
        assert_eq!(
            v.verify(&forged).await.unwrap_err(),
            AuthError::InvalidToken
        );
    }
}
