//! The binary's command line: `--help`, bad values, `healthcheck`.

use std::process::Command;

use crate::helpers::spawn_app;

fn gateway() -> Command {
    Command::new(env!("CARGO_BIN_EXE_realtime-gateway"))
}

#[test]
fn help_lists_every_variable() {
    let out = gateway().arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for var in [
        "GATEWAY_ADDR",
        "AUTH_GRPC_URL",
        "AUTH_JWKS_URL",
        "REDIS_URL",
        "JWT_ISSUER",
        "JWT_AUDIENCE",
        "CORS_ORIGINS",
        "MAX_CONNECTIONS_PER_USER",
        "LOG_FORMAT",
        "MAX_EVENT_BYTES",
        "EVENT_RATE_PER_SEC",
        "EVENT_BURST",
        "SESSION_CACHE_TTL",
        "AUTH_EXPIRING_LEAD",
        "GATEWAY_DRAIN_PERIOD",
        "GATEWAY_API_ADDR",
        "GATEWAY_API_KEYS",
    ] {
        assert!(text.contains(var), "{var} missing from --help");
    }
}

#[test]
fn a_bad_value_fails_start_naming_the_variable() {
    let out = gateway()
        .env("AUTH_EXPIRING_LEAD", "soonish")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("AUTH_EXPIRING_LEAD"));
}

#[test]
fn an_invalid_rust_log_stops_start_instead_of_being_ignored() {
    let out = gateway().env("RUST_LOG", "info,[").output().unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("invalid RUST_LOG"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

// Multi-threaded: the child process blocks this thread while the gateway serves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthcheck_exits_zero_only_when_the_gateway_answers() {
    let app = spawn_app(|_| {}).await;
    let addr = format!("0.0.0.0:{}", app.addr.port());
    let ok = gateway()
        .arg("healthcheck")
        .env("GATEWAY_ADDR", &addr)
        .status()
        .unwrap();
    assert!(ok.success());
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let down = gateway()
        .arg("healthcheck")
        .env("GATEWAY_ADDR", closed.to_string())
        .status()
        .unwrap();
    assert_eq!(down.code(), Some(1));
}
