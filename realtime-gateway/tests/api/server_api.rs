//! The server API against the real gateway (single node): every operation,
//! every validation error, the API-key check, idempotency and metrics.
//! Deliveries are observed by real socket.io clients; "nothing delivered" is
//! proven by a marker event published afterwards arriving first.

use serde_json::{Value, json};

use crate::helpers::{Client, TestApp, spawn_app};

/// An accepted key (>= 32 characters).
pub const KEY: &str = "server-api-test-key-0123456789abcdef";
/// A second accepted key (rotation).
const KEY2: &str = "server-api-rotated-key-0123456789xyz";

/// A gateway with the server API on a free port.
pub async fn api_app() -> TestApp {
    spawn_app(|s| {
        s.api_addr = "127.0.0.1:0".parse().unwrap();
        s.api_keys =
            Some(service_kit::bearer::BearerKeys::parse(&format!("{KEY},{KEY2}")).unwrap());
    })
    .await
}

/// POSTs `body` (raw text) to `/api/v1/<op>` with `auth` as the
/// Authorization header; returns (status, JSON reply).
pub async fn call_raw(app: &TestApp, op: &str, body: String, auth: Option<&str>) -> (u16, Value) {
    let mut req = reqwest::Client::new()
        .post(format!("http://{}/api/v1/{op}", app.api_addr.unwrap()))
        .header("content-type", "application/json")
        .body(body);
    if let Some(a) = auth {
        req = req.header("authorization", a);
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    (status, resp.json().await.unwrap_or(Value::Null))
}

/// POSTs JSON with the accepted key.
pub async fn call(app: &TestApp, op: &str, body: Value) -> (u16, Value) {
    call_raw(app, op, body.to_string(), Some(&format!("Bearer {KEY}"))).await
}

/// Publishes the `marker` event to `user:<user>` and returns every event
/// the client got before it (packets `2[...]`).
pub async fn events_before_marker(app: &TestApp, c: &mut Client, user: &str) -> Vec<String> {
    let ok = call(
        app,
        "publish",
        json!({"user_id": user, "event": "marker", "data": null}),
    )
    .await;
    assert_eq!(ok, (200, json!({"ok": true})));
    let mut seen = Vec::new();
    loop {
        let p = c.next().await.expect("session closed");
        if p.starts_with("2[\"marker\"") {
            return seen;
        }
        if p.starts_with("2[") {
            seen.push(p);
        }
    }
}

pub async fn join(c: &mut Client, room: &str) {
    assert_eq!(
        c.call("room:join", json!({"room": room})).await["ok"],
        json!(true)
    );
}

#[tokio::test]
async fn missing_wrong_and_one_character_off_keys_are_refused() {
    let app = api_app().await;
    let mut off = KEY.to_owned();
    off.pop();
    off.push('0');
    let shorter = &KEY[..KEY.len() - 1];
    for auth in [
        None,
        Some("Bearer wrong-key-wrong-key-wrong-key-wrong".to_owned()),
        Some(format!("Bearer {off}")),
        Some(format!("Bearer {shorter}")),
        Some(format!("Bearer {KEY}x")),
        Some(format!("Basic {KEY}")),
        Some(KEY.to_owned()),
    ] {
        let body = json!({"room":"public:a","event":"e","data":1}).to_string();
        let (status, reply) = call_raw(&app, "publish", body, auth.as_deref()).await;
        assert_eq!(status, 401, "{auth:?}");
        assert_eq!(reply["code"], json!("invalid_api_key"), "{auth:?}");
        assert!(!reply["message"].as_str().unwrap().contains(KEY));
    }
    // Unknown paths are behind the key too: nothing is revealed without it.
    let (status, _) = call_raw(&app, "nope", "{}".into(), None).await;
    assert_eq!(status, 401);
    for key in [KEY, KEY2] {
        let body = json!({"room":"public:a","event":"e","data":1}).to_string();
        let auth = format!("bearer {key}");
        assert_eq!(call_raw(&app, "publish", body, Some(&auth)).await.0, 200);
    }
}

#[tokio::test]
async fn the_server_api_is_off_without_keys() {
    let app = spawn_app(|s| s.api_addr = "127.0.0.1:0".parse().unwrap()).await;
    assert_eq!(app.api_addr, None);
}

#[tokio::test]
async fn publish_to_a_room_reaches_its_members_and_no_one_else() {
    let app = api_app().await;
    let mut member = app.connected_as("u1", "s1").await;
    let mut outsider = app.connected_as("u2", "s2").await;
    join(&mut member, "public:news").await;
    let data = json!({"id": 7, "tags": ["a"]});
    let reply = call(
        &app,
        "publish",
        json!({"room":"public:news","event":"order.updated","data":data}),
    )
    .await;
    assert_eq!(reply, (200, json!({"ok": true})));
    let got = member
        .next_matching(|p| p.starts_with("2[\"order.updated\""))
        .await;
    let args: Value = serde_json::from_str(&got[1..]).unwrap();
    assert_eq!(
        args,
        json!(["order.updated", data]),
        "data is the only argument"
    );
    assert_eq!(
        events_before_marker(&app, &mut outsider, "u2").await,
        Vec::<String>::new()
    );
    // An empty room is fine.
    let reply = call(
        &app,
        "publish",
        json!({"room":"team:empty","event":"e","data":1}),
    )
    .await;
    assert_eq!(reply, (200, json!({"ok": true})));
}

#[tokio::test]
async fn publish_to_a_user_reaches_every_device_of_that_user_only() {
    let app = api_app().await;
    let mut phone = app.connected_as("u1", "s1").await;
    let mut laptop = app.connected_as("u1", "s2").await;
    let mut other = app.connected_as("u2", "s3").await;
    let reply = call(
        &app,
        "publish",
        json!({"user_id":"u1","event":"notice","data":"hi"}),
    )
    .await;
    assert_eq!(reply, (200, json!({"ok": true})));
    for c in [&mut phone, &mut laptop] {
        assert_eq!(
            c.next_matching(|p| p.starts_with("2[\"notice\"")).await,
            "2[\"notice\",\"hi\"]"
        );
    }
    assert_eq!(
        events_before_marker(&app, &mut other, "u2").await,
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn invalid_requests_get_their_code_and_deliver_nothing() {
    let app = api_app().await;
    let mut c = app.connected_as("u1", "s1").await;
    join(&mut c, "public:a").await;
    let ok_event = |extra: Value| {
        let mut v = json!({"room":"public:a","event":"e","data":1});
        v.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        v
    };
    let big = "x".repeat(16 * 1024);
    let many: Vec<String> = (0..101).map(|i| format!("public:{i}")).collect();
    let cmd = json!({"method":"publish","params":{"room":"public:a","event":"e","data":1}});
    let cases: Vec<(&str, Value, u16, &str)> = vec![
        (
            "publish",
            json!({"room":"public:a","user_id":"u1","event":"e","data":1}),
            400,
            "malformed_request",
        ),
        (
            "publish",
            json!({"event":"e","data":1}),
            400,
            "malformed_request",
        ),
        (
            "publish",
            json!({"room":"public:a","event":"e"}),
            400,
            "malformed_request",
        ),
        (
            "publish",
            json!({"room":"public:a","event":5,"data":1}),
            400,
            "malformed_request",
        ),
        (
            "publish",
            ok_event(json!({"extra": true})),
            400,
            "malformed_request",
        ),
        (
            "publish",
            ok_event(json!({"idempotency_key": ""})),
            400,
            "malformed_request",
        ),
        (
            "publish",
            ok_event(json!({"idempotency_key": "k".repeat(65)})),
            400,
            "malformed_request",
        ),
        ("publish", json!([1, 2]), 400, "malformed_request"),
        // Positions that serde would map onto the fields: still not an object.
        (
            "publish",
            json!(["public:a", null, "e", 1, null]),
            400,
            "malformed_request",
        ),
        (
            "subscribe",
            json!(["u1", "public:b"]),
            400,
            "malformed_request",
        ),
        (
            "publish",
            ok_event(json!({"event":"message"})),
            400,
            "invalid_event",
        ),
        (
            "publish",
            ok_event(json!({"event":"disconnect"})),
            400,
            "invalid_event",
        ),
        (
            "publish",
            ok_event(json!({"event":"auth:expiring"})),
            400,
            "invalid_event",
        ),
        (
            "publish",
            ok_event(json!({"event":"room:join"})),
            400,
            "invalid_event",
        ),
        (
            "publish",
            ok_event(json!({"event":"presence:join"})),
            400,
            "invalid_event",
        ),
        (
            "publish",
            ok_event(json!({"event":"rpc"})),
            400,
            "invalid_event",
        ),
        (
            "publish",
            ok_event(json!({"event":"gatehouse:x"})),
            400,
            "invalid_event",
        ),
        (
            "publish",
            ok_event(json!({"event":"has space"})),
            400,
            "invalid_event",
        ),
        (
            "publish",
            ok_event(json!({"event":"e".repeat(65)})),
            400,
            "invalid_event",
        ),
        (
            "publish",
            ok_event(json!({"room":"a/b"})),
            400,
            "invalid_room",
        ),
        (
            "publish",
            ok_event(json!({"room":"r".repeat(129)})),
            400,
            "invalid_room",
        ),
        (
            "publish",
            json!({"user_id":"","event":"e","data":1}),
            400,
            "invalid_room",
        ),
        (
            "publish",
            ok_event(json!({"data": big})),
            413,
            "payload_too_large",
        ),
        (
            "broadcast",
            json!({"rooms":[],"event":"e","data":1}),
            400,
            "malformed_request",
        ),
        (
            "broadcast",
            json!({"rooms":many,"event":"e","data":1}),
            400,
            "malformed_request",
        ),
        (
            "broadcast",
            json!({"rooms":["public:a","bad room"],"event":"e","data":1}),
            400,
            "invalid_room",
        ),
        (
            "broadcast",
            json!({"rooms":["public:a"],"event":"message","data":1}),
            400,
            "invalid_event",
        ),
        (
            "subscribe",
            json!({"user_id":"u1","room":"bad room"}),
            400,
            "invalid_room",
        ),
        (
            "subscribe",
            json!({"user_id":"u1"}),
            400,
            "malformed_request",
        ),
        (
            "unsubscribe",
            json!({"user_id":"u1","room":"user:u1"}),
            400,
            "invalid_room",
        ),
        (
            "disconnect",
            json!({"user_id":"u1","session_id":""}),
            400,
            "malformed_request",
        ),
        (
            "disconnect",
            json!({"user_id":"bad id"}),
            400,
            "invalid_room",
        ),
        ("batch", json!({"commands":[]}), 400, "malformed_request"),
        (
            "batch",
            json!({"commands":vec![cmd; 101]}),
            400,
            "malformed_request",
        ),
        ("nope", json!({}), 404, "not_found"),
    ];
    for (op, body, status, code) in cases {
        let (got, reply) = call(&app, op, body.clone()).await;
        assert_eq!(
            (got, reply["code"].as_str()),
            (status, Some(code)),
            "{op} {body}"
        );
        assert!(reply["message"].is_string());
    }
    let auth = format!("Bearer {KEY}");
    let (status, reply) = call_raw(&app, "publish", "{not json".into(), Some(&auth)).await;
    assert_eq!(
        (status, reply["code"].as_str()),
        (400, Some("malformed_request"))
    );
    let huge = json!({"room":"public:a","event":"e","data":"x".repeat(70 * 1024)}).to_string();
    let (status, reply) = call_raw(&app, "publish", huge, Some(&auth)).await;
    assert_eq!(
        (status, reply["code"].as_str()),
        (413, Some("payload_too_large"))
    );
    // Every refused call above delivered nothing, and the socket still works.
    assert_eq!(
        events_before_marker(&app, &mut c, "u1").await,
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn a_repeated_idempotency_key_is_answered_but_not_delivered_again() {
    let app = api_app().await;
    let mut c = app.connected_as("u1", "s1").await;
    let body = json!({"user_id":"u1","event":"charge","data":1,"idempotency_key":"pay-42"});
    assert_eq!(
        call(&app, "publish", body).await,
        (200, json!({"ok": true}))
    );
    // A repeat, whatever its body, is a duplicate.
    let body = json!({"room":"public:other","event":"charge","data":2,"idempotency_key":"pay-42"});
    assert_eq!(
        call(&app, "publish", body).await,
        (200, json!({"ok": true, "duplicate": true}))
    );
    // Another key is delivered.
    let body = json!({"user_id":"u1","event":"charge","data":3,"idempotency_key":"pay-43"});
    assert_eq!(
        call(&app, "publish", body).await,
        (200, json!({"ok": true}))
    );
    assert_eq!(
        events_before_marker(&app, &mut c, "u1").await,
        vec!["2[\"charge\",1]".to_owned(), "2[\"charge\",3]".to_owned()]
    );
}

#[tokio::test]
async fn broadcast_publishes_to_each_room() {
    let app = api_app().await;
    let mut a = app.connected_as("u1", "s1").await;
    let mut b = app.connected_as("u2", "s2").await;
    let mut outsider = app.connected_as("u3", "s3").await;
    join(&mut a, "public:a").await;
    join(&mut b, "public:b").await;
    let reply = call(
        &app,
        "broadcast",
        json!({"rooms":["public:a","public:b"],"event":"tick","data":[1]}),
    )
    .await;
    assert_eq!(reply, (200, json!({"ok": true})));
    assert_eq!(
        events_before_marker(&app, &mut a, "u1").await,
        vec!["2[\"tick\",[1]]".to_owned()]
    );
    assert_eq!(
        events_before_marker(&app, &mut b, "u2").await,
        vec!["2[\"tick\",[1]]".to_owned()]
    );
    assert_eq!(
        events_before_marker(&app, &mut outsider, "u3").await,
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn subscribe_and_unsubscribe_move_every_socket_of_the_user() {
    let app = api_app().await;
    let mut phone = app.connected_as("u1", "s1").await;
    let mut laptop = app.connected_as("u1", "s2").await;
    let mut other = app.connected_as("u2", "s3").await;
    let sub = json!({"user_id":"u1","room":"team:42"});
    assert_eq!(
        call(&app, "subscribe", sub.clone()).await,
        (200, json!({"ok": true}))
    );
    let publish = json!({"room":"team:42","event":"team.update","data":"v1"});
    assert_eq!(call(&app, "publish", publish.clone()).await.0, 200);
    for c in [&mut phone, &mut laptop] {
        assert_eq!(
            events_before_marker(&app, c, "u1").await,
            vec!["2[\"team.update\",\"v1\"]".to_owned()]
        );
    }
    assert_eq!(
        events_before_marker(&app, &mut other, "u2").await,
        Vec::<String>::new()
    );
    assert_eq!(
        call(&app, "unsubscribe", sub).await,
        (200, json!({"ok": true}))
    );
    assert_eq!(call(&app, "publish", publish).await.0, 200);
    for c in [&mut phone, &mut laptop] {
        assert_eq!(
            events_before_marker(&app, c, "u1").await,
            Vec::<String>::new()
        );
    }
}

#[tokio::test]
async fn disconnect_closes_one_session_or_every_socket_of_a_user() {
    let app = api_app().await;
    let mut s1 = app.connected_as("u1", "s1").await;
    let mut s2 = app.connected_as("u1", "s2").await;
    let mut other = app.connected_as("u2", "s3").await;
    let reply = call(
        &app,
        "disconnect",
        json!({"user_id":"u1","session_id":"s1"}),
    )
    .await;
    assert_eq!(reply, (200, json!({"ok": true})));
    assert!(s1.disconnected().await);
    assert_eq!(
        events_before_marker(&app, &mut s2, "u1").await,
        Vec::<String>::new()
    );
    assert_eq!(
        call(&app, "disconnect", json!({"user_id":"u1"})).await,
        (200, json!({"ok": true}))
    );
    assert!(s2.disconnected().await);
    assert_eq!(
        events_before_marker(&app, &mut other, "u2").await,
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn batch_replies_once_per_command_in_order() {
    let app = api_app().await;
    let mut c = app.connected_as("u1", "s1").await;
    let commands = json!({"commands":[
        {"method":"publish","params":{"user_id":"u1","event":"one","data":1}},
        {"method":"launch","params":{}},
        {"method":"batch","params":{"commands":[]}},
        {"method":"publish","params":{"user_id":"u1","event":"message","data":2}},
        {"method":"publish","params":{"user_id":"u1","event":"two","data":3}},
    ]});
    let (status, reply) = call(&app, "batch", commands).await;
    assert_eq!(status, 200);
    let codes: Vec<Value> = reply["replies"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r.get("ok")
                .cloned()
                .unwrap_or_else(|| r["error"]["code"].clone())
        })
        .collect();
    assert_eq!(
        codes,
        vec![
            json!(true),
            json!("malformed_request"),
            json!("malformed_request"),
            json!("invalid_event"),
            json!(true)
        ]
    );
    assert_eq!(
        events_before_marker(&app, &mut c, "u1").await,
        vec!["2[\"one\",1]".to_owned(), "2[\"two\",3]".to_owned()]
    );
}

#[tokio::test]
async fn info_counts_this_node_and_requests_are_counted_in_metrics() {
    let app = api_app().await;
    let mut a = app.connected_as("u1", "s1").await;
    let _b = app.connected_as("u1", "s2").await;
    let _c = app.connected_as("u2", "s3").await;
    join(&mut a, "public:x").await;
    let resp = reqwest::Client::new()
        .get(format!("http://{}/api/v1/info", app.api_addr.unwrap()))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let info: Value = resp.json().await.unwrap();
    assert_eq!(info, json!({"connections": 3, "users": 2, "rooms": 1}));
    let _ = call(
        &app,
        "publish",
        json!({"room":"public:x","event":"message","data":1}),
    )
    .await;
    let metrics = reqwest::get(app.url("/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let line = |method: &str, code: &str| {
        format!(
            "gatehouse_gateway_server_api_requests_total{{method=\"{method}\",code=\"{code}\"}} 1"
        )
    };
    assert!(
        metrics.contains(&line("publish", "invalid_event")),
        "{metrics}"
    );
    assert!(metrics.contains(&line("info", "ok")), "{metrics}");
}

#[tokio::test]
async fn presence_lists_each_user_once_with_their_sockets() {
    let app = api_app().await;
    let mut a1 = app.connected_as("u1", "s1").await;
    let mut a2 = app.connected_as("u1", "s2").await;
    let mut b = app.connected_as("u2", "s3").await;
    let mut plain = app.connected_as("u3", "s4").await;
    for c in [&mut a1, &mut a2, &mut b] {
        join(c, "presence:team").await;
    }
    join(&mut plain, "public:team").await;
    let (status, reply) = call(&app, "presence", json!({"room": "presence:team"})).await;
    assert_eq!(status, 200);
    assert_eq!(reply["count"], json!(2));
    let mut members = reply["members"].as_array().unwrap().clone();
    members.sort_by_key(|m| m["id"].as_str().unwrap().to_owned());
    assert_eq!(
        members,
        vec![
            json!({"id":"u1","username":"alice","sockets":2}),
            json!({"id":"u2","username":"alice","sockets":1}),
        ]
    );
    // A room without presence has no members; a socket leaving counts down.
    assert_eq!(
        call(&app, "presence", json!({"room": "public:team"})).await,
        (200, json!({"members": [], "count": 0}))
    );
    assert_eq!(
        a2.call("room:leave", json!({"room": "presence:team"}))
            .await["ok"],
        json!(true)
    );
    // A disconnect without leaving (socket.io DISCONNECT) counts down too.
    b.send("41").await;
    let mut reply = Value::Null;
    for _ in 0..50 {
        reply = call(&app, "presence", json!({"room": "presence:team"}))
            .await
            .1;
        if reply["count"] == json!(1) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        reply,
        json!({"members":[{"id":"u1","username":"alice","sockets":1}],"count":1})
    );
    for (body, code) in [
        (json!({"room": "bad room"}), "invalid_room"),
        (json!({}), "malformed_request"),
        (
            json!({"room": "presence:x", "extra": 1}),
            "malformed_request",
        ),
    ] {
        let (status, reply) = call(&app, "presence", body).await;
        assert_eq!((status, reply["code"].as_str()), (400, Some(code)));
    }
}

#[tokio::test]
async fn the_openapi_document_describes_every_operation() {
    let app = api_app().await;
    let url = format!("http://{}/api/v1/openapi.json", app.api_addr.unwrap());
    let refused = reqwest::get(&url).await.unwrap();
    assert_eq!(refused.status().as_u16(), 401);
    let resp = reqwest::Client::new()
        .get(&url)
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let doc: Value = resp.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    // Every operation the metrics know, but the one GET.
    for op in realtime_gateway::metrics::API_METHODS
        .iter()
        .filter(|m| **m != "info")
    {
        let path = &doc["paths"][format!("/api/v1/{op}")]["post"];
        assert!(path["requestBody"].is_object(), "{op}: {path}");
        assert!(path["responses"]["401"].is_object(), "{op}");
    }
    assert!(doc["paths"]["/api/v1/info"]["get"].is_object());
    let publish = &doc["components"]["schemas"]["Publish"]["properties"];
    for field in ["room", "user_id", "event", "data", "idempotency_key"] {
        assert!(publish[field].is_object(), "{field}: {publish}");
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["api_key"]["scheme"],
        json!("bearer")
    );
    // A GET on an operation is a JSON 405 naming the allowed method.
    let r = reqwest::Client::new()
        .get(format!("http://{}/api/v1/publish", app.api_addr.unwrap()))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 405);
    assert_eq!(r.headers()["allow"], "POST");
    let reply: Value = r.json().await.unwrap();
    assert_eq!(reply["code"], json!("method_not_allowed"));
}
