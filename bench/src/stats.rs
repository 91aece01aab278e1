//! Percentiles of latency samples.

use std::time::Duration;

/// p50 / p99 / max of `samples`, in milliseconds, formatted for a table row.
pub fn summary(samples: &mut [Duration]) -> String {
    samples.sort();
    let at = |q: f64| {
        let index = ((samples.len() as f64 - 1.0) * q).round() as usize;
        samples.get(index).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    format!(
        "p50 {:.1} ms | p99 {:.1} ms | max {:.1} ms | n {}",
        at(0.5),
        at(0.99),
        at(1.0),
        samples.len()
    )
}

/// The median of `samples`.
pub fn median(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples.get(samples.len() / 2).copied().unwrap_or_default()
}
