//! MongoDB going away under a running service, and coming back.
//!
//! This test runs its own SecantusDB process (it must stop and restart it),
//! found at `SECANTUSD_BIN` or in the project's `.tools/venv`.

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use crate::helpers::{assert_error, new_user, spawn_app_with};

struct Mongo {
    child: Child,
}

impl Mongo {
    fn start(port: u16, storage: &std::path::Path) -> Self {
        let bin = std::env::var("SECANTUSD_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|_| {
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../.tools/venv/bin/secantusd-py")
            });
        let child = Command::new(&bin)
            .args([
                "--host",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--storage-path",
            ])
            .arg(storage)
            .args(["--log-level", "ERROR", "--sync-on-commit"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start {} ({e}): run ./scripts/test.sh",
                    bin.display()
                )
            });
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "SecantusDB did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        Self { child }
    }

    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

impl Drop for Mongo {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn wait_until_ready(app: &crate::helpers::TestApp, limit: Duration) {
    let deadline = Instant::now() + limit;
    while app.get("/readyz").await.status() != 200 {
        assert!(Instant::now() < deadline, "service did not recover");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A service on its own SecantusDB (which the test may kill and restart on
/// the same port and storage), once ready.
async fn app_on_own_mongo() -> (Mongo, crate::helpers::TestApp, u16, PathBuf) {
    let port = free_port();
    let storage = std::env::temp_dir().join(format!("gatehouse-outage-{}", uuid::Uuid::new_v4()));
    let mongo = Mongo::start(port, &storage);
    let app = spawn_app_with(&format!("mongodb://127.0.0.1:{port}"), &[]).await;
    wait_until_ready(&app, Duration::from_secs(20)).await;
    (mongo, app, port, storage)
}

#[tokio::test]
async fn service_answers_503_while_mongodb_is_down_and_recovers_without_restart() {
    let (mongo, app, port, storage) = app_on_own_mongo().await;
    let user = new_user();
    assert_eq!(app.register(&user).await.status(), 201);

    mongo.kill();
    let readyz = app.get("/readyz").await;
    assert_eq!(readyz.status(), 503);
    assert_error(app.register(&new_user()).await, 503, "unavailable").await;
    let password = user["password"].as_str().unwrap();
    let login = app
        .login(user["username"].as_str().unwrap(), password)
        .await;
    assert_eq!(
        login
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap()),
        Some("1")
    );
    assert_error(login, 503, "unavailable").await;
    assert_eq!(
        app.get("/healthz").await.status(),
        200,
        "liveness does not depend on MongoDB"
    );

    let _mongo = Mongo::start(port, &storage);
    wait_until_ready(&app, Duration::from_secs(30)).await;
    assert_eq!(
        app.login(user["username"].as_str().unwrap(), password)
            .await
            .status(),
        200
    );
    assert_eq!(app.register(&new_user()).await.status(), 201);
    std::fs::remove_dir_all(storage).ok();
}

#[tokio::test]
async fn refreshes_and_logouts_racing_a_mongodb_crash_lose_nothing_they_answered() {
    use futures::future::join_all;
    use proto::auth::v1::SessionStatus;
    use tokio_stream::StreamExt;

    let (mongo, app, port, storage) = app_on_own_mongo().await;
    let user = new_user();
    assert_eq!(app.register(&user).await.status(), 201);
    let (name, password) = (
        user["username"].as_str().unwrap(),
        user["password"].as_str().unwrap(),
    );
    let mut sessions = Vec::new();
    for _ in 0..40 {
        let body: serde_json::Value = app.login(name, password).await.json().await.unwrap();
        sessions.push(body);
    }
    let refresh_tokens: Vec<String> = sessions
        .iter()
        .map(|s| s["refresh_token"].as_str().unwrap().to_owned())
        .collect();

    // 30 refreshes and 10 logouts in flight when MongoDB dies: it is killed
    // once the first few have been answered.
    let done = std::sync::atomic::AtomicUsize::new(0);
    let calls = refresh_tokens.iter().enumerate().map(|(i, token)| {
        let (app, done) = (&app, &done);
        async move {
            let _count = Done(done);
            if i < 30 {
                let r = app.refresh(token).await;
                let status = r.status().as_u16();
                let body: serde_json::Value = r.json().await.unwrap_or_default();
                (i, status, body)
            } else {
                let r = app
                    .logout(None, &serde_json::json!({ "refresh_token": token }))
                    .await;
                (i, r.status().as_u16(), serde_json::Value::Null)
            }
        }
    });
    let (answers, ()) = tokio::join!(join_all(calls), async {
        let deadline = Instant::now() + Duration::from_secs(10);
        while done.load(std::sync::atomic::Ordering::SeqCst) < 3 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        mongo.kill();
    });
    for (i, status, body) in &answers {
        let allowed: &[u16] = if *i < 30 { &[200, 503] } else { &[204, 503] };
        assert!(
            allowed.contains(status),
            "call {i} answered {status}: {body}"
        );
    }

    let _mongo = Mongo::start(port, &storage);
    wait_until_ready(&app, Duration::from_secs(30)).await;
    // Every answered refresh holds: its new token works.
    for (i, status, body) in &answers {
        if *i < 30 && *status == 200 {
            let next = app.refresh(body["refresh_token"].as_str().unwrap()).await;
            assert_eq!(next.status(), 200, "refresh {i} was answered but lost");
        }
    }
    // Every answered logout holds and was announced to gateways.
    let mut stream = app.revocations_from(0).await;
    let mut announced = std::collections::HashSet::new();
    while let Ok(Some(Ok(rev))) =
        tokio::time::timeout(Duration::from_millis(500), stream.next()).await
    {
        announced.insert(rev.session_id);
    }
    for (i, status, _) in &answers {
        if *i >= 30 && *status == 204 {
            let (user_id, session_id) = crate::helpers::token_ids(&sessions[*i]);
            assert_eq!(
                app.check_session(&user_id, &session_id).await.0,
                SessionStatus::SessionRevoked,
                "logout {i} was answered but the session lives"
            );
            assert!(
                announced.contains(&session_id),
                "logout {i} was never announced"
            );
        }
    }
    let counts = answers.iter().fold([0usize; 2], |mut c, (_, s, _)| {
        c[usize::from(*s >= 500)] += 1;
        c
    });
    println!("answered {} / refused 503 {}", counts[0], counts[1]);
    assert!(
        counts[0] >= 3 && counts[1] >= 1,
        "the crash landed mid-burst: {counts:?}"
    );
    std::fs::remove_dir_all(storage).ok();
}

/// Counts a finished call when dropped.
struct Done<'a>(&'a std::sync::atomic::AtomicUsize);

impl Drop for Done<'_> {
    fn drop(&mut self) {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }
}
