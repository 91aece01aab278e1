//! Events after authentication: room policy, messages, acks for bad input.

use serde_json::{Value, json};

use crate::helpers::spawn_app;

#[tokio::test]
async fn room_policy_is_enforced() {
    let app = spawn_app(|_| {}).await;
    let mut c = app.connected("s1").await;
    assert_eq!(
        c.call("room:join", json!({"room":"public:lobby"})).await,
        json!({"ok":true,"room":"public:lobby"})
    );
    assert_eq!(
        c.call("room:join", json!({"room":"user:u1"})).await,
        json!({"ok":true,"room":"user:u1"})
    );
    assert_eq!(
        c.call("room:join", json!({"room":"user:u2"})).await,
        json!({"error":"forbidden"})
    );
    assert_eq!(
        c.call("room:join", json!({"room":"secret"})).await,
        json!({"error":"forbidden"})
    );
    assert_eq!(
        c.call("room:join", json!({"nope":1})).await,
        json!({"error":"invalid_payload"})
    );
    assert_eq!(
        c.call("room:leave", json!({"room":"user:u1"})).await,
        json!({"error":"forbidden"})
    );
    assert_eq!(
        c.call("room:leave", json!({"room":"public:lobby"})).await,
        json!({"ok":true,"room":"public:lobby"})
    );
}

#[tokio::test]
async fn messages_reach_the_room_with_the_token_identity() {
    let app = spawn_app(|_| {}).await;
    let mut alice = app.connected("s1").await;
    let mut other = app.connected("s2").await;
    for c in [&mut alice, &mut other] {
        assert_eq!(
            c.call("room:join", json!({"room":"public:lobby"})).await["ok"],
            json!(true)
        );
    }
    let sent = json!({"room":"public:lobby","body":"hi","from":{"id":"admin","username":"root"}});
    assert_eq!(alice.call("message", sent).await, json!({"ok":true}));
    let packet = other
        .next_matching(|p| p.starts_with("2[\"message\""))
        .await;
    let args: Value = serde_json::from_str(&packet[1..]).unwrap();
    let msg = &args[1];
    assert_eq!(msg["from"], json!({"id":"u1","username":"alice"}));
    assert_eq!(
        (msg["room"].as_str(), msg["body"].as_str()),
        (Some("public:lobby"), Some("hi"))
    );
    assert!(msg["at"].as_i64().unwrap() > 1_600_000_000_000);
}

#[tokio::test]
async fn bad_messages_are_refused_in_the_ack() {
    let app = spawn_app(|s| s.max_event_bytes = 1024).await;
    let mut c = app.connected("s1").await;
    let not_joined = json!({"room":"public:elsewhere","body":"hi"});
    assert_eq!(
        c.call("message", not_joined).await,
        json!({"error":"not_in_room"})
    );
    c.call("room:join", json!({"room":"public:lobby"})).await;
    let empty = json!({"room":"public:lobby","body":""});
    assert_eq!(
        c.call("message", empty).await,
        json!({"error":"invalid_payload"})
    );
    let big = json!({"room":"public:lobby","body":"x".repeat(2000)});
    assert_eq!(
        c.call("message", big).await,
        json!({"error":"payload_too_large"})
    );
    assert_eq!(
        c.call("no:such:event", json!({})).await,
        json!({"error":"invalid_payload"})
    );
}

#[tokio::test]
async fn flooding_a_socket_is_rate_limited() {
    let app = spawn_app(|s| {
        s.event_burst = 3;
        s.event_rate_per_sec = 0.01;
    })
    .await;
    let mut c = app.connected("s1").await;
    for _ in 0..3 {
        assert_eq!(c.call("whoami", Value::Null).await["id"], json!("u1"));
    }
    assert_eq!(
        c.call("whoami", Value::Null).await,
        json!({"error":"rate_limited"})
    );
}
