//! Gatehouse benchmarks. Every load loop is bounded in count and time and
//! targets loopback only.
//!
//! - `gatehouse-bench hash [N]`: argon2id hash time alone (one core and all cores).
//! - `gatehouse-bench auth URL [N] [CONCURRENCY]`: register and login latency
//!   (p50/p99) and throughput against a running auth-service.
//! - `gatehouse-bench burst URL N`: N logins at once (memory benchmark).

mod auth;
mod burst;
mod hash;
mod stats;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number =
        |i: usize, default: usize| args.get(i).and_then(|v| v.parse().ok()).unwrap_or(default);
    match args.first().map(String::as_str) {
        Some("hash") => hash::run(number(1, 40)).await,
        Some("auth") => {
            let url = args
                .get(1)
                .ok_or_else(|| anyhow::anyhow!("usage: auth URL [N] [CONCURRENCY]"))?;
            auth::run(url, number(2, 400), number(3, 16)).await
        }
        Some("burst") => {
            let url = args
                .get(1)
                .ok_or_else(|| anyhow::anyhow!("usage: burst URL N"))?;
            burst::run(url, number(2, 200)).await
        }
        _ => anyhow::bail!(
            "usage: gatehouse-bench hash [N] | auth URL [N] [CONCURRENCY] | burst URL N"
        ),
    }
}
