//! The binary's command line: an invalid `RUST_LOG` stops start-up, and the
//! `healthcheck` subcommand exits 0 only when `/healthz` answers 200.

use std::process::Command;

use crate::helpers::spawn_app;

fn auth_service() -> Command {
    Command::new(env!("CARGO_BIN_EXE_auth-service"))
}

#[test]
fn an_invalid_rust_log_stops_start_instead_of_being_ignored() {
    let out = auth_service().env("RUST_LOG", "info,[").output().unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("invalid RUST_LOG"), "{stderr}");
}

// Multi-threaded: the child process blocks this thread while the service serves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthcheck_exits_zero_only_when_the_service_answers() {
    let app = spawn_app().await;
    let port = app.address.rsplit(':').next().unwrap().to_owned();
    let ok = auth_service()
        .arg("healthcheck")
        .env("AUTH_HTTP_ADDR", format!("0.0.0.0:{port}"))
        .status()
        .unwrap();
    assert!(ok.success());
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let down = auth_service()
        .arg("healthcheck")
        .env("AUTH_HTTP_ADDR", closed.to_string())
        .status()
        .unwrap();
    assert!(!down.success());
}
