//! Revocations made at the auth-service reach live sockets through the real
//! `WatchRevocations` stream.

use std::time::{Duration, Instant};

use serde_json::json;

use crate::{helpers::Stack, socket::Socket};

#[tokio::test]
async fn logout_all_closes_every_socket_of_the_user_within_a_second() {
    let stack = Stack::start().await;
    let first = stack.new_session().await;
    let mut sockets = Vec::new();
    for _ in 0..3 {
        let login = stack
            .log_in(
                first["username"].as_str().unwrap(),
                first["password"].as_str().unwrap(),
            )
            .await;
        sockets.push(
            Socket::connect(stack.gateway, json!({"token": login["token"]}))
                .await
                .unwrap(),
        );
    }
    let response = stack
        .post(
            "/auth/logout",
            first["token"].as_str(),
            json!({"all": true}),
        )
        .await;
    assert_eq!(response.status(), 204);
    let logged_out = Instant::now();
    for socket in &mut sockets {
        let left = Duration::from_secs(1).saturating_sub(logged_out.elapsed());
        assert!(
            socket.disconnected_within(left).await,
            "socket still open 1 s after logout-all"
        );
    }
    let refused = Socket::connect(stack.gateway, json!({"token": first["token"]}))
        .await
        .err();
    assert_eq!(refused.as_deref(), Some("session_revoked"));
}

#[tokio::test]
async fn reusing_a_refresh_token_closes_the_sessions_socket() {
    let stack = Stack::start().await;
    let login = stack.new_session().await;
    let mut socket = Socket::connect(stack.gateway, json!({"token": login["token"]}))
        .await
        .unwrap();
    let refresh = json!({"refresh_token": login["refresh_token"]});
    assert_eq!(
        stack
            .post("/auth/refresh", None, refresh.clone())
            .await
            .status(),
        200
    );
    assert_eq!(
        stack.post("/auth/refresh", None, refresh).await.status(),
        401
    );
    assert!(socket.disconnected_within(Duration::from_secs(2)).await);
}
