//! The gateway's `/metrics` against the real pair: every family of the
//! design is listed from start, and the counters move with what they count.

use serde_json::json;

use crate::{helpers::Stack, socket::Socket};

/// The value of one exposition line, 0 when absent.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
        .unwrap_or(0.0)
}

async fn scrape(stack: &Stack) -> String {
    let response = stack
        .http
        .get(format!("http://127.0.0.1:{}/metrics", stack.gateway))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

#[tokio::test]
async fn every_design_family_is_listed_before_any_traffic() {
    let stack = Stack::start().await;
    let text = scrape(&stack).await;
    for (family, kind) in [
        ("gatehouse_gateway_connections", "gauge"),
        ("gatehouse_gateway_users", "gauge"),
        ("gatehouse_gateway_handshakes", "counter"),
        ("gatehouse_gateway_disconnects", "counter"),
        ("gatehouse_gateway_events", "counter"),
        ("gatehouse_gateway_revocations_applied", "counter"),
        ("gatehouse_gateway_check_session_seconds", "histogram"),
        ("gatehouse_gateway_hook_seconds", "histogram"),
        ("gatehouse_gateway_server_api_requests", "counter"),
    ] {
        assert!(
            text.contains(&format!("# TYPE {family} {kind}")),
            "{family} missing:\n{text}"
        );
    }
}

#[tokio::test]
async fn counters_move_with_handshakes_events_revocations_and_disconnects() {
    let stack = Stack::start().await;
    let login = stack.new_session().await;
    let before = scrape(&stack).await;

    let refused = Socket::connect(stack.gateway, json!({"token": "garbage"})).await;
    assert_eq!(refused.err().as_deref(), Some("invalid_token"));
    let mut socket = Socket::connect(stack.gateway, json!({"token": login["token"]}))
        .await
        .unwrap();
    let refusal = socket
        .call("message", json!({"room": "public:nowhere", "body": "hi"}))
        .await;
    assert_eq!(refusal, json!({"error": "not_in_room"}));
    let during = scrape(&stack).await;
    assert_eq!(sample(&during, "gatehouse_gateway_connections"), 1.0);
    assert_eq!(sample(&during, "gatehouse_gateway_users"), 1.0);

    let response = stack
        .post(
            "/auth/logout",
            Some(login["token"].as_str().unwrap()),
            json!({}),
        )
        .await;
    assert_eq!(response.status(), 204);
    assert!(
        socket
            .disconnected_within(std::time::Duration::from_secs(2))
            .await
    );
    let after = scrape(&stack).await;

    let delta = |series: &str| sample(&after, series) - sample(&before, series);
    assert_eq!(
        delta(r#"gatehouse_gateway_handshakes_total{outcome="invalid_token"}"#),
        1.0
    );
    assert_eq!(
        delta(r#"gatehouse_gateway_handshakes_total{outcome="ok"}"#),
        1.0
    );
    assert_eq!(
        delta(r#"gatehouse_gateway_events_total{event="message",outcome="not_in_room"}"#),
        1.0
    );
    assert_eq!(delta("gatehouse_gateway_revocations_applied_total"), 1.0);
    assert_eq!(
        delta(r#"gatehouse_gateway_disconnects_total{reason="revoked"}"#),
        1.0
    );
    assert_eq!(delta("gatehouse_gateway_check_session_seconds_count"), 1.0);
    assert_eq!(sample(&after, "gatehouse_gateway_connections"), 0.0);
}
