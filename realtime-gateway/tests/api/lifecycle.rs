//! Live session, revocations, readiness and drain.

use serde_json::json;

use crate::helpers::spawn_app;

#[tokio::test]
async fn health_and_readiness() {
    let app = spawn_app(|_| {}).await;
    assert_eq!(app.status("/healthz").await, 200);
    assert_eq!(app.status("/readyz").await, 200);
}

#[tokio::test]
async fn a_revocation_closes_the_sessions_sockets_only() {
    let app = spawn_app(|_| {}).await;
    let mut revoked = app.connected("s1").await;
    let mut kept = app.connected("s2").await;
    app.revoke("u1", "s1", 1).await;
    assert!(revoked.disconnected().await);
    assert_eq!(kept.call("whoami", json!(null)).await["id"], json!("u1"));
    // The stolen, still-valid token of the revoked session cannot reconnect,
    // even though its ACTIVE answer was cached.
    let (_, answer) = app.connect(json!({"token": app.token("s1", 900)})).await;
    assert!(answer.contains("session_revoked"), "{answer}");
}

#[tokio::test]
async fn a_user_wide_revocation_closes_every_socket_of_the_user() {
    let app = spawn_app(|_| {}).await;
    let mut a = app.connected("s1").await;
    let mut b = app.connected("s2").await;
    app.revoke("u1", "", 1).await;
    assert!(a.disconnected().await);
    assert!(b.disconnected().await);
}

#[tokio::test]
async fn auth_refresh_needs_the_same_user_and_session() {
    let app = spawn_app(|_| {}).await;
    let mut c = app.connected("s1").await;
    let fresh = app.token("s1", 1800);
    let ack = c.call("auth:refresh", json!({"token": fresh})).await;
    assert_eq!(ack["ok"], json!(true));
    assert!(ack["expires_at"].as_i64().unwrap() > 0);
    let other_session = app.token("s2", 1800);
    let ack = c
        .call("auth:refresh", json!({"token": other_session}))
        .await;
    assert_eq!(ack, json!({"error":"invalid_token"}));
    let ack = c.call("auth:refresh", json!({"token": "garbage"})).await;
    assert_eq!(ack, json!({"error":"invalid_token"}));
}

#[tokio::test]
async fn a_token_expiring_soon_gets_a_warning_then_a_disconnect() {
    let app = spawn_app(|s| s.auth_expiring_lead = std::time::Duration::from_secs(60)).await;
    let (mut c, answer) = app.connect(json!({"token": app.token("s1", 2)})).await;
    assert!(answer.starts_with('0'), "{answer}");
    let warning = c
        .next_matching(|p| p.starts_with("2[\"auth:expiring\""))
        .await;
    assert!(warning.contains("expires_at"));
    assert!(c.disconnected().await);
}

#[tokio::test]
async fn shutdown_drains_sockets_and_turns_unready() {
    let mut app = spawn_app(|_| {}).await;
    let mut c = app.connected("s1").await;
    app.shutdown();
    assert!(c.disconnected().await);
    let stopped = tokio::time::timeout(std::time::Duration::from_secs(10), &mut app.server).await;
    assert!(stopped.expect("server did not stop").unwrap().is_ok());
}

#[tokio::test]
async fn while_draining_handshakes_are_refused_and_readiness_is_off() {
    let mut app = spawn_app(|s| s.drain_period = std::time::Duration::from_secs(5)).await;
    let _a = app.connected("s1").await;
    let _b = app.connected("s2").await;
    app.shutdown();
    // Two sockets, ten batches over 5 s: the drain lasts at least 500 ms.
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(app.status("/readyz").await, 503);
    assert_eq!(app.status("/healthz").await, 200);
    let (_, answer) = app.connect(json!({"token": app.token("s3", 900)})).await;
    assert!(answer.contains("auth_unavailable"), "{answer}");
}
