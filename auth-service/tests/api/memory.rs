//! Memory under a login rush, on the real binary in its own process (the
//! test process's own RSS would mix in every other test). argon2 allocates
//! about 19 MiB per hash: the service's memory must stay within
//! `HASH_CONCURRENCY` hashes of its idle size during a burst far above the
//! core count, including clients that give up mid-hash, and return after.

use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::helpers::{fresh_database, mongodb_uri, new_user};

const MIB: u64 = 1024;

fn status_kib(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| {
            l.strip_prefix(field)?
                .trim()
                .strip_suffix("kB")?
                .trim()
                .parse()
                .ok()
        })
        .unwrap()
}

/// Starts the binary with `HASH_CONCURRENCY=concurrency`; its HTTP address.
async fn start(concurrency: usize) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_auth-service"))
        .env("AUTH_HTTP_ADDR", "127.0.0.1:0")
        .env("AUTH_GRPC_ADDR", "127.0.0.1:0")
        .env("MONGODB_URI", mongodb_uri())
        .env("MONGODB_DATABASE", fresh_database())
        .env("HASH_CONCURRENCY", concurrency.to_string())
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .env("RATE_LIMIT_LOGIN_PER_ADDRESS", "1000000/1m")
        .env("RATE_LIMIT_LOGIN_FAILURES", "1000000/1m")
        .env("RATE_LIMIT_REGISTER_PER_ADDRESS", "1000000/1m")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let address = loop {
        let line = lines
            .next_line()
            .await
            .unwrap()
            .expect("auth-service exited");
        let json: serde_json::Value = serde_json::from_str(&line).unwrap_or_default();
        if json["fields"]["message"] == "auth-service listening" {
            break json["fields"]["http_addr"].as_str().unwrap().to_owned();
        }
    };
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, format!("http://{address}"))
}

#[tokio::test]
async fn a_login_rush_stays_within_the_hashing_concurrency_and_memory_returns() {
    let _turn = crate::helpers::heavy().await;
    const CONCURRENCY: u64 = 2;
    const BURST: usize = 24;
    let (child, base) = start(CONCURRENCY as usize).await;
    let pid = child.id().unwrap();
    let client = reqwest::Client::new();
    let post = |path: &'static str, body: serde_json::Value, timeout: Duration| {
        let (client, url) = (client.clone(), format!("{base}{path}"));
        async move { client.post(url).json(&body).timeout(timeout).send().await }
    };
    // Warm up (indexes, connection pool, one hash), then take the idle size.
    let warm = new_user();
    post("/auth/register", warm.clone(), Duration::from_secs(30))
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle = status_kib(pid, "VmRSS:");

    let users: Vec<_> = (0..BURST).map(|_| new_user()).collect();
    let registered = futures::future::join_all(
        users
            .iter()
            .map(|u| post("/auth/register", u.clone(), Duration::from_secs(60))),
    )
    .await;
    assert!(
        registered
            .iter()
            .all(|r| r.as_ref().is_ok_and(|r| r.status() == 201))
    );
    // Logins, half of them from clients that give up while their hash runs.
    let logins = users.iter().enumerate().map(|(i, u)| {
        let body = json!({"username": u["username"], "password": u["password"]});
        let patience = if i % 2 == 0 {
            Duration::from_millis(15)
        } else {
            Duration::from_secs(60)
        };
        post("/auth/login", body, patience)
    });
    let answered = futures::future::join_all(logins).await;
    assert!(
        answered
            .iter()
            .skip(1)
            .step_by(2)
            .all(|r| r.as_ref().is_ok_and(|r| r.status() == 200))
    );
    // Let the abandoned hashes finish.
    tokio::time::sleep(Duration::from_secs(1)).await;
    // The kernel's high-water mark: the peak at any instant, no sampling.
    let peak = status_kib(pid, "VmHWM:");
    // Freed hash memory goes back to the OS once the blocking threads that
    // hashed retire (10 s idle); wait for it, bounded.
    let mut after = status_kib(pid, "VmRSS:");
    for _ in 0..30 {
        if after <= idle + 16 * MIB {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        after = status_kib(pid, "VmRSS:");
    }
    let bound = idle + CONCURRENCY * 20 * MIB + 24 * MIB;
    assert!(
        peak <= bound,
        "peak {} MiB over the bound {} MiB (idle {} MiB, {CONCURRENCY} hashes at once)",
        peak / MIB,
        bound / MIB,
        idle / MIB
    );
    assert!(
        after <= idle + 16 * MIB,
        "memory not returned: idle {} MiB, after the burst {} MiB",
        idle / MIB,
        after / MIB
    );
}
