//! Trust on the gRPC port: every RPC except health needs the shared
//! `AUTH_GRPC_TOKEN`; revocation streams are capped and served by one log
//! follower, so a thousand of them cost the service nothing noticeable.

use std::time::{Duration, Instant};

use proto::auth::v1::{CheckSessionRequest, WatchRevocationsRequest};
use tokio_stream::StreamExt;
use tonic::Code;

use crate::helpers::{
    Bearer, GRPC_TOKEN, TestApp, mongodb_uri, new_user, spawn_app, spawn_app_with, token_ids,
};

/// The code of each protected RPC (CheckSession, WatchRevocations,
/// reflection) when called with `token`.
async fn protected_rpcs_as(app: &TestApp, token: Option<&str>) -> Vec<Code> {
    use tonic_reflection::pb::v1::{
        ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
        server_reflection_request::MessageRequest,
    };
    let (user_id, session_id) = token_ids(&app.register_and_login(&new_user()).await);
    let check = app
        .directory_as(token)
        .await
        .check_session(CheckSessionRequest {
            user_id,
            session_id,
        })
        .await
        .map(|_| Code::Ok)
        .unwrap_or_else(|s| s.code());
    let watch = app
        .directory_as(token)
        .await
        .watch_revocations(WatchRevocationsRequest { from: 0 })
        .await
        .map(|_| Code::Ok)
        .unwrap_or_else(|s| s.code());
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let reflection = async {
        let mut responses = ServerReflectionClient::with_interceptor(
            app.grpc_channel().await,
            Bearer::new(token).unwrap(),
        )
        .server_reflection_info(tokio_stream::iter([request]))
        .await?
        .into_inner();
        responses.next().await.transpose()?;
        Ok::<_, tonic::Status>(Code::Ok)
    }
    .await
    .unwrap_or_else(|s| s.code());
    vec![check, watch, reflection]
}

#[tokio::test]
async fn every_rpc_but_health_refuses_callers_without_the_right_token() {
    let app = spawn_app().await;
    let mut one_off = GRPC_TOKEN.to_owned();
    one_off.pop();
    one_off.push('X');
    let refused = vec![Code::Unauthenticated; 3];
    assert_eq!(protected_rpcs_as(&app, None).await, refused, "no token");
    assert_eq!(
        protected_rpcs_as(&app, Some(&one_off)).await,
        refused,
        "one character off"
    );
    assert_eq!(protected_rpcs_as(&app, Some("")).await, refused, "empty");
    assert_eq!(
        protected_rpcs_as(&app, Some(GRPC_TOKEN)).await,
        vec![Code::Ok; 3],
        "right token"
    );

    // Probes carry no credentials: health stays open.
    use tonic_health::pb::{HealthCheckRequest, health_client::HealthClient};
    let status = HealthClient::new(app.grpc_channel().await)
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap()
        .into_inner()
        .status;
    assert_eq!(status, 1, "SERVING");
}

#[tokio::test]
async fn during_a_rotation_both_tokens_are_accepted() {
    let new_token = "rotated-grpc-token-fedcba9876543210fedcba98";
    let app = spawn_app_with(
        &mongodb_uri(),
        &[("AUTH_GRPC_TOKEN", &format!("{new_token},{GRPC_TOKEN}"))],
    )
    .await;
    assert_eq!(
        protected_rpcs_as(&app, Some(new_token)).await,
        vec![Code::Ok; 3]
    );
    assert_eq!(
        protected_rpcs_as(&app, Some(GRPC_TOKEN)).await,
        vec![Code::Ok; 3]
    );
}

#[tokio::test]
async fn revocation_streams_beyond_the_cap_are_refused() {
    let app = spawn_app_with(&mongodb_uri(), &[("MAX_REVOCATION_STREAMS", "2")]).await;
    let mut open = Vec::new();
    for _ in 0..2 {
        let stream = app
            .directory()
            .await
            .watch_revocations(WatchRevocationsRequest { from: 0 })
            .await
            .unwrap();
        open.push(stream);
    }
    let third = app
        .directory()
        .await
        .watch_revocations(WatchRevocationsRequest { from: 0 })
        .await
        .unwrap_err();
    assert_eq!(third.code(), Code::ResourceExhausted);
}

async fn login_p50(app: &TestApp, username: &str) -> Duration {
    let mut times = Vec::new();
    for _ in 0..9 {
        let started = Instant::now();
        let response = app.login(username, "correct-horse-battery").await;
        assert_eq!(response.status(), 200);
        times.push(started.elapsed());
    }
    times.sort();
    times[times.len() / 2]
}

#[tokio::test]
async fn a_thousand_revocation_streams_neither_slow_logins_nor_miss_a_revocation() {
    let _turn = crate::helpers::heavy().await;
    let app = spawn_app().await;
    let user = new_user();
    let body = app.register_and_login(&user).await;
    let username = user["username"].as_str().unwrap();
    let before = login_p50(&app, username).await;

    // 10 connections x 100 streams (under HTTP/2's per-connection limit).
    let mut streams = Vec::new();
    for _ in 0..10 {
        let directory = app.directory().await;
        for _ in 0..100 {
            let stream = directory
                .clone()
                .watch_revocations(WatchRevocationsRequest { from: 0 })
                .await
                .unwrap()
                .into_inner();
            streams.push(stream);
        }
    }
    // Let several poll intervals pass with every stream open.
    tokio::time::sleep(Duration::from_millis(600)).await;
    let with_streams = login_p50(&app, username).await;
    assert!(
        with_streams <= before * 3 + Duration::from_millis(50),
        "login p50 {before:?} before, {with_streams:?} with 1,000 streams"
    );

    // One logout reaches all thousand subscribers.
    let (user_id, session_id) = token_ids(&body);
    let response = app
        .logout(
            None,
            &serde_json::json!({"refresh_token": body["refresh_token"]}),
        )
        .await;
    assert_eq!(response.status(), 204);
    let deadline = Duration::from_secs(10);
    let received = futures::future::join_all(streams.iter_mut().map(|s| async {
        tokio::time::timeout(deadline, s.next())
            .await
            .ok()
            .flatten()
            .and_then(Result::ok)
    }))
    .await;
    let delivered = received
        .iter()
        .filter(|r| {
            r.as_ref()
                .is_some_and(|r| r.user_id == user_id && r.session_id == session_id)
        })
        .count();
    assert_eq!(delivered, 1000);
}
