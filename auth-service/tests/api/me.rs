//! `GET /auth/me` with valid, expired, tampered and forged tokens.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use ed25519_dalek::pkcs8::{EncodePrivateKey, spki::der::pem::LineEnding};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error, new_user, spawn_app};

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The service's `kid` for the test key: its RFC 7638 thumbprint.
fn kid(app: &TestApp) -> String {
    use sha2::{Digest, Sha256};
    let x = URL_SAFE_NO_PAD.encode(app.signing_key.verifying_key().to_bytes());
    URL_SAFE_NO_PAD.encode(Sha256::digest(format!(
        r#"{{"crv":"Ed25519","kty":"OKP","x":"{x}"}}"#
    )))
}

/// Signs `claims` with the app's own key, as the service would.
fn sign(app: &TestApp, claims: &Value) -> String {
    let pem = app.signing_key.to_pkcs8_pem(LineEnding::LF).unwrap();
    let mut header = Header::new(Algorithm::EdDSA);
    header.typ = Some("at+jwt".into());
    header.kid = Some(kid(app));
    jsonwebtoken::encode(
        &header,
        claims,
        &EncodingKey::from_ed_pem(pem.as_bytes()).unwrap(),
    )
    .unwrap()
}

/// The claims of a token, read without verification.
fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

async fn logged_in(app: &TestApp) -> (Value, Value) {
    let user = new_user();
    let login = app.register_and_login(&user).await;
    (user, claims_of(login["token"].as_str().unwrap()))
}

#[tokio::test]
async fn me_returns_the_account_for_a_valid_token() {
    let app = spawn_app().await;
    let user = new_user();
    let login = app.register_and_login(&user).await;
    let response = app.get_me(login["token"].as_str()).await;
    assert_eq!(response.status(), 200);
    let me: Value = response.json().await.unwrap();
    assert_eq!(me["username"], user["username"]);
    assert_eq!(me["email"], user["email"]);
    assert!(me["created_at"].as_str().unwrap().contains('T'));
}

#[tokio::test]
async fn me_refuses_missing_expired_tampered_and_alg_none_tokens() {
    let app = spawn_app().await;
    let (_, claims) = logged_in(&app).await;
    assert_error(app.get_me(None).await, 401, "invalid_token").await;

    let mut expired = claims.clone();
    expired["iat"] = json!(now() - 3600);
    expired["nbf"] = json!(now() - 3600);
    expired["exp"] = json!(now() - 60);
    assert_error(
        app.get_me(Some(&sign(&app, &expired))).await,
        401,
        "invalid_token",
    )
    .await;

    // The genuine control: the same claims, re-signed, are accepted.
    let genuine = sign(&app, &claims);
    assert_eq!(app.get_me(Some(&genuine)).await.status(), 200);

    let parts: Vec<&str> = genuine.split('.').collect();
    let mut forged_claims = claims.clone();
    forged_claims["username"] = json!("admin");
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(forged_claims.to_string()),
        parts[2]
    );
    assert_error(app.get_me(Some(&tampered)).await, 401, "invalid_token").await;

    let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"at+jwt"}"#);
    let alg_none = format!("{none_header}.{}.", parts[1]);
    assert_error(app.get_me(Some(&alg_none)).await, 401, "invalid_token").await;

    let public_as_secret = jsonwebtoken::encode(
        &Header {
            typ: Some("at+jwt".into()),
            ..Header::new(Algorithm::HS256)
        },
        &claims,
        &EncodingKey::from_secret(app.signing_key.verifying_key().as_bytes()),
    )
    .unwrap();
    assert_error(
        app.get_me(Some(&public_as_secret)).await,
        401,
        "invalid_token",
    )
    .await;
}

#[tokio::test]
async fn me_refuses_a_validly_signed_token_for_an_unknown_session_or_user() {
    let app = spawn_app().await;
    let (_, claims) = logged_in(&app).await;
    let mut other_session = claims.clone();
    other_session["sid"] = json!(uuid::Uuid::new_v4().to_string());
    assert_error(
        app.get_me(Some(&sign(&app, &other_session))).await,
        401,
        "invalid_token",
    )
    .await;
    let mut ghost = claims.clone();
    ghost["sub"] = json!(uuid::Uuid::new_v4().to_string());
    assert_error(
        app.get_me(Some(&sign(&app, &ghost))).await,
        401,
        "invalid_token",
    )
    .await;
}
