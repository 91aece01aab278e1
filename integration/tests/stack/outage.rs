//! The gateway fails closed while the auth-service is down and recovers by
//! itself, without a restart, when it returns.

use std::time::Duration;

use serde_json::json;

use crate::{helpers::Stack, socket::Socket};

#[tokio::test]
async fn handshakes_fail_closed_while_auth_is_down_and_succeed_after_it_returns() {
    let mut stack = Stack::start().await;
    let login = stack.new_session().await;
    stack.stop_auth().await;
    let err = Socket::connect(stack.gateway, json!({"token": login["token"]}))
        .await
        .err();
    assert_eq!(err.as_deref(), Some("auth_unavailable"));

    stack.restart_auth().await;
    let mut connected = None;
    for _ in 0..100 {
        if let Ok(socket) = Socket::connect(stack.gateway, json!({"token": login["token"]})).await {
            connected = Some(socket);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mut socket = connected.expect("connected again without a gateway restart");
    assert_eq!(
        socket.call("whoami", json!(null)).await["username"],
        login["username"]
    );
}
