//! The handshake: every refusal is one stable code in `connect_error`.

use proto::auth::v1::SessionStatus;
use serde_json::{Value, json};

use crate::helpers::{spawn_app, spawn_app_unready};

fn code(answer: &str) -> String {
    let body: Value = serde_json::from_str(answer.strip_prefix('4').unwrap()).unwrap();
    body["message"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn a_valid_token_connects_and_whoami_answers_from_the_token() {
    let app = spawn_app(|_| {}).await;
    let mut c = app.connected("s1").await;
    assert_eq!(
        c.call("whoami", Value::Null).await,
        json!({"id":"u1","username":"alice"})
    );
    // The fake auth-service answers whatever it is asked: prove the gateway
    // asked about this token's user and session.
    assert_eq!(
        *app.auth.asked.lock().unwrap(),
        vec![("u1".to_owned(), "s1".to_owned())]
    );
}

#[tokio::test]
async fn missing_or_malformed_tokens_are_invalid_token() {
    let app = spawn_app(|_| {}).await;
    for auth in [
        json!({}),
        json!({"token": ""}),
        json!({"token": 42}),
        json!({"token": "a.b.c"}),
    ] {
        let (_, answer) = app.connect(auth.clone()).await;
        assert_eq!(code(&answer), "invalid_token", "{auth}");
    }
}

#[tokio::test]
async fn an_expired_token_is_token_expired() {
    let app = spawn_app(|_| {}).await;
    let (_, answer) = app.connect(json!({"token": app.token("s1", -60)})).await;
    assert_eq!(code(&answer), "token_expired");
}

#[tokio::test]
async fn session_states_map_to_their_codes() {
    let app = spawn_app(|_| {}).await;
    let token = json!({"token": app.token("s1", 900)});
    app.set_status(SessionStatus::SessionRevoked);
    assert_eq!(code(&app.connect(token.clone()).await.1), "session_revoked");
    app.set_status(SessionStatus::UnknownUser);
    assert_eq!(code(&app.connect(token.clone()).await.1), "unknown_user");
    app.set_status(SessionStatus::Active);
    assert!(app.connect(token).await.1.starts_with('0'));
}

#[tokio::test]
async fn an_unreachable_auth_service_is_auth_unavailable() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let app = spawn_app_unready(move |s| s.auth_grpc_url = format!("http://{closed}")).await;
    assert_eq!(
        app.status("/healthz").await,
        200,
        "alive without the auth-service"
    );
    assert_eq!(
        app.status("/readyz").await,
        503,
        "not ready without the auth-service"
    );
    let (_, answer) = app.connect(json!({"token": app.token("s1", 900)})).await;
    assert_eq!(code(&answer), "auth_unavailable");
}

#[tokio::test]
async fn the_per_user_limit_refuses_extra_sockets() {
    let app = spawn_app(|s| s.max_connections_per_user = 2).await;
    let _a = app.connected("s1").await;
    let _b = app.connected("s2").await;
    let (_, answer) = app.connect(json!({"token": app.token("s3", 900)})).await;
    assert_eq!(code(&answer), "too_many_connections");
}
