//! The server API over gRPC (`gatehouse.gateway.v1.ServerApi`) against the
//! real gateway: the key check (missing, wrong, one character off), health
//! without a key, and each call mapped onto the same operations as HTTP —
//! deliveries seen by a real socket.io client, errors carrying the HTTP
//! API's stable code in the status message.

use proto::gateway::v1::server_api_client::ServerApiClient;
use proto::gateway::v1::{
    BatchCommand, BatchRequest, BroadcastRequest, DisconnectRequest, InfoRequest,
    MembershipRequest, PresenceRequest, PublishRequest,
};
use serde_json::{Value, json};
use tonic::Code;
use tonic::metadata::MetadataValue;
use tonic::transport::Channel;

use crate::helpers::{TestApp, spawn_app};
use crate::server_api::{KEY, events_before_marker, join};

async fn grpc_app() -> TestApp {
    spawn_app(|s| {
        s.api_addr = "127.0.0.1:0".parse().unwrap();
        s.api_grpc_addr = Some("127.0.0.1:0".parse().unwrap());
        s.api_keys = Some(service_kit::bearer::BearerKeys::parse(KEY).unwrap());
    })
    .await
}

async fn channel(app: &TestApp) -> Channel {
    Channel::from_shared(format!("http://{}", app.api_grpc_addr.unwrap()))
        .unwrap()
        .connect()
        .await
        .unwrap()
}

fn with_key<T>(msg: T, key: Option<&str>) -> tonic::Request<T> {
    let mut req = tonic::Request::new(msg);
    if let Some(k) = key {
        let value: MetadataValue<_> = format!("Bearer {k}").parse().unwrap();
        req.metadata_mut().insert("authorization", value);
    }
    req
}

fn publish(user: &str, event: &str, data_json: &str) -> PublishRequest {
    PublishRequest {
        room: None,
        user_id: Some(user.into()),
        event: event.into(),
        data_json: data_json.into(),
        idempotency_key: None,
    }
}

#[tokio::test]
async fn calls_without_the_right_key_are_unauthenticated_and_health_is_open() {
    let app = grpc_app().await;
    let mut api = ServerApiClient::new(channel(&app).await);
    let mut off = KEY.to_owned();
    off.pop();
    off.push('#');
    for key in [
        None,
        Some("wrong-key-wrong-key-wrong-key-wrong"),
        Some(off.as_str()),
    ] {
        let err = api
            .info(with_key(InfoRequest {}, key))
            .await
            .expect_err("refused");
        assert_eq!(err.code(), Code::Unauthenticated, "{key:?}");
    }
    assert!(api.info(with_key(InfoRequest {}, Some(KEY))).await.is_ok());

    let mut health = tonic_health::pb::health_client::HealthClient::new(channel(&app).await);
    let status = health
        .check(tonic_health::pb::HealthCheckRequest {
            service: "gatehouse.gateway.v1.ServerApi".into(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        status.status,
        tonic_health::pb::health_check_response::ServingStatus::Serving as i32
    );
}

#[tokio::test]
async fn publish_broadcast_and_batch_deliver_like_the_http_api() {
    let app = grpc_app().await;
    let mut c = app.connected_as("u1", "s1").await;
    join(&mut c, "public:g").await;
    let mut api = ServerApiClient::new(channel(&app).await);
    let reply = api
        .publish(with_key(publish("u1", "one", r#"{"n":1}"#), Some(KEY)))
        .await
        .unwrap()
        .into_inner();
    assert!(reply.ok && !reply.duplicate);
    let mut keyed = publish("u1", "two", "2");
    keyed.idempotency_key = Some("grpc-key-1".into());
    assert!(
        !api.publish(with_key(keyed.clone(), Some(KEY)))
            .await
            .unwrap()
            .into_inner()
            .duplicate
    );
    assert!(
        api.publish(with_key(keyed, Some(KEY)))
            .await
            .unwrap()
            .into_inner()
            .duplicate
    );
    let broadcast = BroadcastRequest {
        rooms: vec!["public:g".into()],
        event: "three".into(),
        data_json: "null".into(),
    };
    assert!(
        api.broadcast(with_key(broadcast, Some(KEY)))
            .await
            .unwrap()
            .into_inner()
            .ok
    );
    let batch = BatchRequest {
        commands: vec![
            BatchCommand {
                method: "publish".into(),
                params_json: json!({"user_id":"u1","event":"four","data":[4]}).to_string(),
            },
            BatchCommand {
                method: "nope".into(),
                params_json: "{}".into(),
            },
        ],
    };
    let replies = api
        .batch(with_key(batch, Some(KEY)))
        .await
        .unwrap()
        .into_inner()
        .replies_json;
    let replies: Vec<Value> = replies
        .iter()
        .map(|r| serde_json::from_str(r).unwrap())
        .collect();
    assert_eq!(replies[0], json!({"ok": true}));
    assert_eq!(replies[1]["error"]["code"], json!("malformed_request"));
    assert_eq!(
        events_before_marker(&app, &mut c, "u1").await,
        vec![
            r#"2["one",{"n":1}]"#.to_owned(),
            r#"2["two",2]"#.to_owned(),
            r#"2["three",null]"#.to_owned(),
            r#"2["four",[4]]"#.to_owned(),
        ]
    );
}

#[tokio::test]
async fn refusals_carry_the_stable_code_and_deliver_nothing() {
    let app = grpc_app().await;
    let mut c = app.connected_as("u1", "s1").await;
    let mut api = ServerApiClient::new(channel(&app).await);
    let cases = [
        (
            publish("u1", "message", "1"),
            Code::InvalidArgument,
            "invalid_event",
        ),
        (
            publish("u1", "rpc:x", "1"),
            Code::InvalidArgument,
            "invalid_event",
        ),
        (
            publish("u1", "ok", "{not json"),
            Code::InvalidArgument,
            "malformed_request",
        ),
        (
            publish("u1", "ok", ""),
            Code::InvalidArgument,
            "malformed_request",
        ),
        (
            publish("bad id", "ok", "1"),
            Code::InvalidArgument,
            "invalid_room",
        ),
        (
            PublishRequest {
                room: Some("public:g".into()),
                ..publish("u1", "ok", "1")
            },
            Code::InvalidArgument,
            "malformed_request",
        ),
        (
            publish("u1", "ok", &format!("\"{}\"", "x".repeat(20_000))),
            Code::ResourceExhausted,
            "payload_too_large",
        ),
    ];
    for (req, code, stable) in cases {
        let err = api
            .publish(with_key(req, Some(KEY)))
            .await
            .expect_err("refused");
        assert_eq!(err.code(), code, "{}", err.message());
        assert!(
            err.message().starts_with(&format!("{stable}: ")),
            "{}",
            err.message()
        );
    }
    let err = api
        .subscribe(with_key(
            MembershipRequest {
                user_id: "u1".into(),
                room: "bad room".into(),
            },
            Some(KEY),
        ))
        .await
        .expect_err("refused");
    assert!(err.message().starts_with("invalid_room: "));
    assert_eq!(
        events_before_marker(&app, &mut c, "u1").await,
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn subscribe_presence_info_and_disconnect_map_onto_the_same_operations() {
    let app = grpc_app().await;
    let mut c = app.connected_as("u1", "s1").await;
    join(&mut c, "presence:g").await;
    let mut api = ServerApiClient::new(channel(&app).await);
    let sub = MembershipRequest {
        user_id: "u1".into(),
        room: "orders:7".into(),
    };
    assert!(
        api.subscribe(with_key(sub, Some(KEY)))
            .await
            .unwrap()
            .into_inner()
            .ok
    );
    let info = api
        .info(with_key(InfoRequest {}, Some(KEY)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((info.connections, info.users, info.rooms), (1, 1, 2));
    let presence = api
        .presence(with_key(
            PresenceRequest {
                room: "presence:g".into(),
            },
            Some(KEY),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(presence.count, 1);
    assert_eq!(
        (presence.members[0].id.as_str(), presence.members[0].sockets),
        ("u1", 1)
    );
    let bye = DisconnectRequest {
        user_id: "u1".into(),
        session_id: Some("s1".into()),
    };
    assert!(
        api.disconnect(with_key(bye, Some(KEY)))
            .await
            .unwrap()
            .into_inner()
            .ok
    );
    assert!(c.disconnected().await);
}
