//! The gRPC `UserDirectory`, health and reflection services.

use auth_service::store::{RevocationReason, Store};
use proto::auth::v1::{CheckSessionRequest, SessionStatus, WatchRevocationsRequest};
use tokio_stream::StreamExt;

use crate::helpers::{Bearer, GRPC_TOKEN, mongodb_uri, new_user, spawn_app, token_ids};

#[tokio::test]
async fn check_session_reports_active_unknown_user_and_unknown_session() {
    let app = spawn_app().await;
    let user = new_user();
    let (user_id, session_id) = token_ids(&app.register_and_login(&user).await);
    let (status, username) = app.check_session(&user_id, &session_id).await;
    assert_eq!(status, SessionStatus::Active);
    assert_eq!(username, user["username"].as_str().unwrap());
    let ghost = uuid::Uuid::new_v4().to_string();
    assert_eq!(
        app.check_session(&ghost, &session_id).await.0,
        SessionStatus::UnknownUser
    );
    assert_eq!(
        app.check_session(&user_id, &ghost).await.0,
        SessionStatus::SessionRevoked
    );
}

#[tokio::test]
async fn check_session_refuses_malformed_ids_before_any_lookup() {
    let app = spawn_app().await;
    let (user_id, session_id) = token_ids(&app.register_and_login(&new_user()).await);
    // A real user with an empty or malformed session id must not tell
    // "this user exists" apart from "no such user".
    for (user, session) in [
        (user_id.clone(), String::new()),
        (user_id.clone(), "s".repeat(10_000)),
        (user_id.clone(), session_id.to_uppercase()),
        ("u".repeat(10_000), session_id.clone()),
        (String::new(), session_id.clone()),
        ("not-a-uuid".into(), session_id.clone()),
    ] {
        let request = CheckSessionRequest {
            user_id: user.clone(),
            session_id: session.clone(),
        };
        let status = app
            .directory()
            .await
            .check_session(request)
            .await
            .unwrap_err();
        assert_eq!(
            status.code(),
            tonic::Code::InvalidArgument,
            "{user:.40}/{session:.40}"
        );
    }
}

#[tokio::test]
async fn watch_revocations_replays_after_a_position_then_follows() {
    let app = spawn_app().await;
    let store = Store::connect(&mongodb_uri(), app.db.name()).await.unwrap();
    let first = store
        .append_revocation("u1", "s1", RevocationReason::Logout)
        .await
        .unwrap();
    let second = store
        .append_revocation("u2", "", RevocationReason::LogoutAll)
        .await
        .unwrap();
    assert_eq!(second, first + 1);
    let request = WatchRevocationsRequest { from: first as u64 };
    let mut stream = app
        .directory()
        .await
        .watch_revocations(request)
        .await
        .unwrap()
        .into_inner();
    let replayed = stream.next().await.unwrap().unwrap();
    assert_eq!(
        (
            replayed.user_id.as_str(),
            replayed.session_id.as_str(),
            replayed.position
        ),
        ("u2", "", second as u64)
    );
    store
        .append_revocation("u3", "s3", RevocationReason::UserDeleted)
        .await
        .unwrap();
    let live = tokio::time::timeout(std::time::Duration::from_secs(2), stream.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(
        (live.user_id.as_str(), live.position),
        ("u3", second as u64 + 1)
    );
}

#[tokio::test]
async fn standard_health_service_reports_serving() {
    use tonic_health::pb::{
        HealthCheckRequest, health_check_response::ServingStatus, health_client::HealthClient,
    };
    let app = spawn_app().await;
    let channel = app.grpc_channel().await;
    let mut health = HealthClient::new(channel);
    for service in ["", "gatehouse.auth.v1.UserDirectory"] {
        let response = health
            .check(HealthCheckRequest {
                service: service.into(),
            })
            .await
            .unwrap();
        assert_eq!(
            response.into_inner().status(),
            ServingStatus::Serving,
            "{service:?}"
        );
    }
}

#[tokio::test]
async fn server_reflection_lists_the_directory_and_health_services() {
    use tonic_reflection::pb::v1::{
        ServerReflectionRequest, server_reflection_client::ServerReflectionClient,
        server_reflection_request::MessageRequest, server_reflection_response::MessageResponse,
    };
    let app = spawn_app().await;
    let channel = app.grpc_channel().await;
    let request = ServerReflectionRequest {
        host: String::new(),
        message_request: Some(MessageRequest::ListServices(String::new())),
    };
    let mut responses =
        ServerReflectionClient::with_interceptor(channel, Bearer::new(Some(GRPC_TOKEN)).unwrap())
            .server_reflection_info(tokio_stream::iter([request]))
            .await
            .unwrap()
            .into_inner();
    let Some(MessageResponse::ListServicesResponse(list)) =
        responses.next().await.unwrap().unwrap().message_response
    else {
        panic!("expected a service list");
    };
    let names: Vec<String> = list.service.into_iter().map(|s| s.name).collect();
    assert!(
        names.contains(&"gatehouse.auth.v1.UserDirectory".to_owned()),
        "{names:?}"
    );
    assert!(
        names.contains(&"grpc.health.v1.Health".to_owned()),
        "{names:?}"
    );
}
