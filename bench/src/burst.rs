//! A login burst against a running auth-service: `n` registrations (50 at a
//! time), then `n` logins all at once. Prints how many logins were answered
//! 200 and how many were shed with 503 (`unavailable`, beyond the hashing
//! queue); any other answer fails the run.

use std::time::Duration;

use serde_json::json;

/// Registrations in flight while preparing the burst.
const PREPARE_CONCURRENCY: usize = 50;

/// Runs the burst; `url` must be a loopback address.
pub async fn run(url: &str, n: usize) -> anyhow::Result<()> {
    crate::auth::ensure_loopback(url)?;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()?;
    let run_id = uuid::Uuid::new_v4().simple().to_string();
    let names: Vec<String> = (0..n).map(|i| format!("m{}_{i}", &run_id[..8])).collect();
    for chunk in names.chunks(PREPARE_CONCURRENCY) {
        let registrations = chunk.iter().map(|name| {
            let body = json!({"username": name, "email": format!("{name}@bench.example"), "password": "bench-password-1"});
            client.post(format!("{url}/auth/register")).json(&body).send()
        });
        for response in futures::future::join_all(registrations).await {
            anyhow::ensure!(response?.status() == 201, "registration refused");
        }
    }
    let logins = names.iter().map(|name| {
        let body = json!({"username": name, "password": "bench-password-1"});
        client.post(format!("{url}/auth/login")).json(&body).send()
    });
    let (mut ok, mut shed) = (0, 0);
    for response in futures::future::join_all(logins).await {
        match response?.status().as_u16() {
            200 => ok += 1,
            503 => shed += 1,
            other => anyhow::bail!("login answered {other}"),
        }
    }
    println!("{ok} {shed}");
    Ok(())
}
