//! Handshakes against the real pair: the seed flow, and tokens the
//! auth-service itself would sign but must not let in.

use serde_json::json;

use crate::{
    helpers::{Stack, claims_of},
    socket::Socket,
};

#[tokio::test]
async fn a_logged_in_user_connects_and_the_gateway_knows_who_it_is() {
    let stack = Stack::start().await;
    let login = stack.new_session().await;
    let mut socket = Socket::connect(stack.gateway, json!({"token": login["token"]}))
        .await
        .unwrap();
    let me = socket.call("whoami", json!(null)).await;
    assert_eq!(me["username"], login["username"]);
    assert_eq!(me["id"], claims_of(login["token"].as_str().unwrap())["sub"]);
    let joined = socket
        .call("room:join", json!({"room": "public:lobby"}))
        .await;
    assert_eq!(joined, json!({"ok": true, "room": "public:lobby"}));
}

/// Logs in, re-signs the token with the real key after replacing `claim`
/// by a random id, and returns the handshake's refusal code.
async fn refusal_with_random(claim: &str) -> Option<String> {
    let stack = Stack::start().await;
    let login = stack.new_session().await;
    let mut claims = claims_of(login["token"].as_str().unwrap());
    claims[claim] = json!(uuid::Uuid::new_v4().to_string());
    Socket::connect(stack.gateway, json!({"token": stack.forge(&claims)}))
        .await
        .err()
}

#[tokio::test]
async fn a_validly_signed_token_for_a_user_that_does_not_exist_is_unknown_user() {
    assert_eq!(
        refusal_with_random("sub").await.as_deref(),
        Some("unknown_user")
    );
}

#[tokio::test]
async fn a_validly_signed_token_for_an_unknown_session_is_session_revoked() {
    assert_eq!(
        refusal_with_random("sid").await.as_deref(),
        Some("session_revoked")
    );
}

#[tokio::test]
async fn a_token_signed_by_another_key_is_invalid() {
    let stack = Stack::start().await;
    let login = stack.new_session().await;
    let other = Stack::start().await;
    let forged = other.forge(&claims_of(login["token"].as_str().unwrap()));
    let err = Socket::connect(stack.gateway, json!({"token": forged}))
        .await
        .err();
    assert_eq!(err.as_deref(), Some("invalid_token"));
}
