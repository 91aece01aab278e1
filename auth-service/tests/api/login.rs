//! `POST /auth/login` and the JWKS it is verified with.

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;
use shared_types::{AccessClaims, JwkSet};

use crate::helpers::{assert_error, new_user, spawn_app};

#[tokio::test]
async fn login_returns_a_token_verifiable_with_the_published_jwks() {
    let app = spawn_app().await;
    let user = new_user();
    let body = app.register_and_login(&user).await;
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 900);
    assert_eq!(body["message"], "Login successful");
    assert_eq!(body["refresh_token"].as_str().unwrap().len(), 43);
    let token = body["token"].as_str().unwrap();

    let jwks: JwkSet = app
        .get("/.well-known/jwks.json")
        .await
        .json()
        .await
        .unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.alg, Algorithm::EdDSA);
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    let jwk = jwks
        .keys
        .iter()
        .find(|k| Some(&k.kid) == header.kid.as_ref())
        .expect("kid in JWKS");
    assert_eq!(
        (jwk.kty.as_str(), jwk.crv.as_str(), jwk.alg.as_str()),
        ("OKP", "Ed25519", "EdDSA")
    );
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_issuer(&["gatehouse"]);
    validation.set_audience(&["gatehouse"]);
    let claims = jsonwebtoken::decode::<AccessClaims>(
        token,
        &DecodingKey::from_ed_components(&jwk.x).unwrap(),
        &validation,
    )
    .unwrap()
    .claims;
    let me: Value = app.get_me(Some(token)).await.json().await.unwrap();
    assert_eq!(claims.sub, me["id"].as_str().unwrap());
    assert_eq!(claims.username, user["username"].as_str().unwrap());
    assert_eq!(claims.exp - claims.iat, 900);
    assert!(claims.nbf <= claims.iat && !claims.jti.is_empty());
    let session = app
        .db
        .collection::<mongodb::bson::Document>("sessions")
        .find_one(mongodb::bson::doc! {"_id": &claims.sid})
        .await
        .unwrap();
    let session = session.expect("a session document per login");
    assert_ne!(
        session.get_str("refresh_hash").unwrap(),
        body["refresh_token"].as_str().unwrap(),
        "refresh token stored hashed"
    );
}

#[tokio::test]
async fn login_accepts_the_email_in_any_case() {
    let app = spawn_app().await;
    let user = new_user();
    assert_eq!(app.register(&user).await.status(), 201);
    let email = user["email"].as_str().unwrap().to_uppercase();
    assert_eq!(
        app.login(&email, user["password"].as_str().unwrap())
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn login_with_wrong_password_is_indistinguishable_from_unknown_user() {
    let app = spawn_app().await;
    let user = new_user();
    assert_eq!(app.register(&user).await.status(), 201);
    let wrong = app
        .login(user["username"].as_str().unwrap(), "not-the-password")
        .await;
    let unknown = app.login("nobody_here", "not-the-password").await;
    assert_eq!(wrong.status(), 401);
    assert_eq!(wrong.status(), unknown.status());
    let (wrong, unknown): (Value, Value) =
        (wrong.json().await.unwrap(), unknown.json().await.unwrap());
    assert_eq!(wrong, unknown);
    assert_eq!(wrong["code"], "invalid_credentials");
}

#[tokio::test]
async fn login_with_an_oversized_password_is_refused_before_hashing() {
    let app = spawn_app().await;
    let user = new_user();
    assert_eq!(app.register(&user).await.status(), 201);
    assert_error(
        app.login(user["username"].as_str().unwrap(), &"p".repeat(10 * 1024))
            .await,
        400,
        "invalid_password",
    )
    .await;
}

#[tokio::test]
async fn a_unicode_look_alike_of_the_username_does_not_log_in() {
    let app = spawn_app().await;
    let name = format!("kk_{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let user = serde_json::json!({"username": name, "email": format!("{name}@example.com"), "password": "correct-horse-battery"});
    assert_eq!(app.register(&user).await.status(), 201);
    // U+212A KELVIN SIGN lowercases to `k` under Unicode rules.
    let look_alike = name.replacen('k', "\u{212A}", 1);
    assert_eq!(
        app.login(&look_alike, "correct-horse-battery")
            .await
            .status(),
        401
    );
    assert_eq!(
        app.login(&name.to_uppercase(), "correct-horse-battery")
            .await
            .status(),
        200
    );
}
