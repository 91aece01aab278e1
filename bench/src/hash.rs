//! argon2id cost alone: the physical limit of logins per second.

use std::time::{Duration, Instant};

use auth_service::{credentials::Hasher, domain::Password};

use crate::stats;

/// Hashes `n` passwords one at a time, then `n` with every core busy, then
/// compares verifying a wrong password against a stored hash with verifying
/// it for an unknown account (the dummy hash), interleaved.
pub async fn run(n: usize) -> anyhow::Result<()> {
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    let hasher = Hasher::new(cores).await?;
    let password = || Password::parse_candidate("benchmark-password-1");
    let mut samples = Vec::with_capacity(n);
    for _ in 0..n {
        let started = Instant::now();
        hasher.hash(password()?).await?;
        samples.push(started.elapsed());
    }
    let single = stats::median(&mut samples.clone());
    println!(
        "argon2id hash, one at a time: {}",
        stats::summary(&mut samples)
    );
    let started = Instant::now();
    let jobs = (0..n).map(|_| {
        let hasher = hasher.clone();
        async move { anyhow::Ok(hasher.hash(password()?).await?) }
    });
    for result in futures::future::join_all(jobs).await {
        result?;
    }
    let elapsed = started.elapsed();
    println!(
        "argon2id on {cores} cores: {:.1} hashes/s (single-hash median {:.1} ms → ideal {:.1}/s)",
        n as f64 / elapsed.as_secs_f64(),
        single.as_secs_f64() * 1000.0,
        cores as f64 / single.max(Duration::from_micros(1)).as_secs_f64(),
    );
    let stored = hasher.hash(password()?).await?;
    let wrong = || Password::parse_candidate("not-the-password");
    let (mut known, mut unknown) = (Vec::with_capacity(n), Vec::with_capacity(n));
    // Alternate which goes first: the first of a pair pays for waking a
    // blocking-pool thread.
    for i in 0..n {
        for known_turn in [i % 2 == 0, i % 2 == 1] {
            let started = Instant::now();
            if known_turn {
                hasher.verify(wrong()?, Some(stored.clone())).await?;
                known.push(started.elapsed());
            } else {
                hasher.verify(wrong()?, None).await?;
                unknown.push(started.elapsed());
            }
        }
    }
    let (k, u) = (stats::median(&mut known), stats::median(&mut unknown));
    println!(
        "argon2id verify of a wrong password: stored hash {:.2} ms, unknown account (dummy) {:.2} ms (ratio {:.3})",
        k.as_secs_f64() * 1000.0,
        u.as_secs_f64() * 1000.0,
        u.as_secs_f64() / k.as_secs_f64().max(1e-9)
    );
    Ok(())
}
