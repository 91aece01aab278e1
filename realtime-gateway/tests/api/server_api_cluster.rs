//! The server API on two replicas sharing one real `redis-server`: calls
//! made on replica A act on sockets connected to replica B.

use serde_json::json;

use crate::helpers::{TestApp, spawn_app};
use crate::redis::{Redis, start_redis};
use crate::server_api::{KEY, call, events_before_marker};

async fn replica(redis: &Redis) -> TestApp {
    let url = redis.url.clone();
    spawn_app(move |s| {
        s.redis_url = Some(format!("{url}?protocol=resp3"));
        s.api_addr = "127.0.0.1:0".parse().unwrap();
        s.api_keys = Some(service_kit::bearer::BearerKeys::parse(KEY).unwrap());
    })
    .await
}

#[tokio::test]
async fn publish_on_one_replica_reaches_room_members_and_user_devices_on_the_other() {
    let redis = start_redis().await;
    let (a, b) = (replica(&redis).await, replica(&redis).await);
    let mut on_a = a.connected_as("u1", "s1").await;
    let mut on_b = b.connected_as("u1", "s2").await;
    let mut outsider = b.connected_as("u2", "s3").await;
    assert_eq!(
        on_b.call("room:join", json!({"room":"public:r"})).await["ok"],
        json!(true)
    );
    let reply = call(
        &a,
        "publish",
        json!({"room":"public:r","event":"hello","data":1}),
    )
    .await;
    assert_eq!(reply, (200, json!({"ok": true})));
    assert_eq!(
        events_before_marker(&a, &mut on_b, "u1").await,
        vec!["2[\"hello\",1]".to_owned()]
    );
    assert_eq!(
        events_before_marker(&a, &mut outsider, "u2").await,
        Vec::<String>::new()
    );
    let reply = call(&a, "publish", json!({"user_id":"u1","event":"dm","data":2})).await;
    assert_eq!(reply, (200, json!({"ok": true})));
    for c in [&mut on_a, &mut on_b] {
        assert_eq!(
            c.next_matching(|p| p.starts_with("2[\"dm\"")).await,
            "2[\"dm\",2]"
        );
    }
}

#[tokio::test]
async fn an_idempotency_key_holds_across_replicas() {
    let redis = start_redis().await;
    let (a, b) = (replica(&redis).await, replica(&redis).await);
    let mut c = b.connected_as("u1", "s1").await;
    let body = json!({"user_id":"u1","event":"once","data":1,"idempotency_key":"k-1"});
    assert_eq!(
        call(&a, "publish", body.clone()).await,
        (200, json!({"ok": true}))
    );
    assert_eq!(
        call(&b, "publish", body).await,
        (200, json!({"ok": true, "duplicate": true}))
    );
    assert_eq!(
        events_before_marker(&a, &mut c, "u1").await,
        vec!["2[\"once\",1]".to_owned()]
    );
}

#[tokio::test]
async fn subscribe_and_disconnect_act_on_sockets_of_another_replica() {
    let redis = start_redis().await;
    let (a, b) = (replica(&redis).await, replica(&redis).await);
    let mut s1 = b.connected_as("u1", "s1").await;
    let mut s2 = b.connected_as("u1", "s2").await;
    let mut s3 = a.connected_as("u1", "s3").await;
    let reply = call(&a, "subscribe", json!({"user_id":"u1","room":"doc:9"})).await;
    assert_eq!(reply, (200, json!({"ok": true})));
    assert_eq!(
        call(
            &a,
            "publish",
            json!({"room":"doc:9","event":"edit","data":0})
        )
        .await
        .0,
        200
    );
    for c in [&mut s1, &mut s2, &mut s3] {
        assert_eq!(
            events_before_marker(&a, c, "u1").await,
            vec!["2[\"edit\",0]".to_owned()]
        );
    }
    let reply = call(&a, "disconnect", json!({"user_id":"u1","session_id":"s1"})).await;
    assert_eq!(reply, (200, json!({"ok": true})));
    assert!(s1.disconnected().await);
    assert_eq!(
        events_before_marker(&a, &mut s2, "u1").await,
        Vec::<String>::new()
    );
    assert_eq!(
        call(&a, "disconnect", json!({"user_id":"u1"})).await,
        (200, json!({"ok": true}))
    );
    assert!(s2.disconnected().await);
    assert!(s3.disconnected().await);
}
