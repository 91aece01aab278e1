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

#[tokio::test]
async fn service_answers_503_while_mongodb_is_down_and_recovers_without_restart() {
    let port = free_port();
    let storage = std::env::temp_dir().join(format!("gatehouse-outage-{}", uuid::Uuid::new_v4()));
    let mongo = Mongo::start(port, &storage);
    let app = spawn_app_with(&format!("mongodb://127.0.0.1:{port}"), &[]).await;
    wait_until_ready(&app, Duration::from_secs(20)).await;
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
