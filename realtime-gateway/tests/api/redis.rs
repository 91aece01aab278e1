//! Two replicas sharing rooms through the Redis adapter. Each test starts
//! its own `redis-server` on a free port; a missing `redis-server` fails the
//! test (`scripts/test.sh` installs it before running the tests).

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};

pub struct Redis {
    child: Child,
    pub url: String,
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub async fn start_redis() -> Redis {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new("redis-server")
        .args([
            "--port",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn();
    let child =
        child.expect("redis-server is not installed: run ./scripts/test.sh, which installs it");
    let redis = Redis {
        child,
        url: format!("redis://127.0.0.1:{port}"),
    };
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return redis;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("redis-server did not start");
}

async fn replica(redis: &Redis, max: usize) -> TestApp {
    let url = redis.url.clone();
    spawn_app(move |s| {
        s.redis_url = Some(format!("{url}?protocol=resp3"));
        s.max_connections_per_user = max;
    })
    .await
}

#[tokio::test]
async fn a_message_reaches_sockets_on_another_replica() {
    let redis = start_redis().await;
    let (a, b) = (replica(&redis, 10).await, replica(&redis, 10).await);
    let mut sender = a.connected("s1").await;
    let mut receiver = b.connected("s2").await;
    for c in [&mut sender, &mut receiver] {
        assert_eq!(
            c.call("room:join", json!({"room":"public:x"})).await["ok"],
            json!(true)
        );
    }
    let ack = sender
        .call("message", json!({"room":"public:x","body":"across"}))
        .await;
    assert_eq!(ack, json!({"ok":true}));
    let packet = receiver
        .next_matching(|p| p.starts_with("2[\"message\""))
        .await;
    let args: Value = serde_json::from_str(&packet[1..]).unwrap();
    assert_eq!(args[1]["body"], json!("across"));
    assert_eq!(args[1]["from"]["id"], json!("u1"));
}

#[tokio::test]
async fn the_per_user_limit_holds_across_replicas() {
    let redis = start_redis().await;
    let (a, b) = (replica(&redis, 1).await, replica(&redis, 1).await);
    let _first = a.connected("s1").await;
    let (_, answer) = b.connect(json!({"token": b.token("s2", 900)})).await;
    assert!(answer.contains("too_many_connections"), "{answer}");
}
