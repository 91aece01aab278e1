//! Register and login load against a running auth-service.

use std::time::{Duration, Instant};

use futures::{StreamExt, stream};
use serde_json::json;

use crate::stats;

/// Hard stop for any phase, whatever N is.
const PHASE_LIMIT: Duration = Duration::from_secs(120);

/// Registers `n` users, logs each in, then compares wrong-password and
/// unknown-user answers, each phase at `concurrency` requests in flight.
pub async fn run(url: &str, n: usize, concurrency: usize) -> anyhow::Result<()> {
    ensure_loopback(url)?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(concurrency)
        .build()?;
    let run_id = uuid::Uuid::new_v4().simple().to_string();
    let names: Vec<String> = (0..n).map(|i| format!("b{}_{i}", &run_id[..8])).collect();

    let register = |name: String| {
        let body = json!({"username": name, "email": format!("{name}@bench.example"), "password": "bench-password-1"});
        (format!("{url}/auth/register"), body, 201)
    };
    phase(
        &client,
        "register",
        names.iter().cloned().map(register).collect(),
        concurrency,
    )
    .await?;
    let login = |name: String| {
        (
            format!("{url}/auth/login"),
            json!({"username": name, "password": "bench-password-1"}),
            200,
        )
    };
    phase(
        &client,
        "login",
        names.iter().cloned().map(login).collect(),
        concurrency,
    )
    .await?;
    let wrong = |name: String| {
        (
            format!("{url}/auth/login"),
            json!({"username": name, "password": "wrong-password-1"}),
            401,
        )
    };
    let unknown = |name: String| {
        (
            format!("{url}/auth/login"),
            json!({"username": format!("x{name}"), "password": "wrong-password-1"}),
            401,
        )
    };
    // Interleaved one at a time, alternating which goes first, so both see
    // the same machine state.
    let mut wrong_samples = Vec::new();
    let mut unknown_samples = Vec::new();
    for (i, name) in names.iter().take(n.min(200)).enumerate() {
        let (w, u) = (vec![wrong(name.clone())], vec![unknown(name.clone())]);
        if i % 2 == 0 {
            wrong_samples.extend(phase_quiet(&client, w, 1).await?);
            unknown_samples.extend(phase_quiet(&client, u, 1).await?);
        } else {
            unknown_samples.extend(phase_quiet(&client, u, 1).await?);
            wrong_samples.extend(phase_quiet(&client, w, 1).await?);
        }
    }
    let (w, u) = (
        stats::median(&mut wrong_samples),
        stats::median(&mut unknown_samples),
    );
    println!(
        "login failure medians: wrong password {:.1} ms, unknown user {:.1} ms (ratio {:.3})",
        w.as_secs_f64() * 1000.0,
        u.as_secs_f64() * 1000.0,
        u.as_secs_f64() / w.as_secs_f64().max(1e-9)
    );
    Ok(())
}

/// Benchmarks only ever target loopback addresses.
pub fn ensure_loopback(url: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        url.starts_with("http://127.")
            || url.starts_with("http://localhost")
            || url.starts_with("http://[::1]"),
        "benchmarks only target loopback addresses"
    );
    Ok(())
}

type Request = (String, serde_json::Value, u16);

async fn phase(
    client: &reqwest::Client,
    name: &str,
    requests: Vec<Request>,
    concurrency: usize,
) -> anyhow::Result<()> {
    let count = requests.len();
    let started = Instant::now();
    let mut samples = phase_quiet(client, requests, concurrency).await?;
    let elapsed = started.elapsed();
    println!(
        "{name:<8} c={concurrency}: {} | {:.1} req/s",
        stats::summary(&mut samples),
        count as f64 / elapsed.as_secs_f64()
    );
    Ok(())
}

async fn phase_quiet(
    client: &reqwest::Client,
    requests: Vec<Request>,
    concurrency: usize,
) -> anyhow::Result<Vec<Duration>> {
    let deadline = Instant::now() + PHASE_LIMIT;
    let results: Vec<anyhow::Result<Duration>> = stream::iter(requests)
        .map(|(url, body, expected)| async move {
            anyhow::ensure!(Instant::now() < deadline, "phase exceeded its time limit");
            let started = Instant::now();
            let response = client.post(&url).json(&body).send().await?;
            let status = response.status().as_u16();
            response.bytes().await?;
            anyhow::ensure!(
                status == expected,
                "{url}: expected {expected}, got {status}"
            );
            Ok(started.elapsed())
        })
        .buffer_unordered(concurrency)
        .collect()
        .await;
    results.into_iter().collect()
}
