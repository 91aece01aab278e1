//! Metrics exposition shared by both services: each service registers its
//! families in a `prometheus-client` [`Registry`] at start (so every family's
//! `# HELP` / `# TYPE` lines are listed before its first sample) and serves
//! [`render`] at `GET /metrics`.

use prometheus_client::encoding::text::encode;
use prometheus_client::registry::Registry;

/// The `Content-Type` of [`render`]'s output (OpenMetrics text, which
/// Prometheus scrapes natively).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Latency buckets in seconds, 1 ms to 10 s: handshakes, gRPC calls, hooks
/// and HTTP requests (argon2 logins sit around 0.05–0.3 s) all fit.
pub const LATENCY_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 7.5, 10.0,
];

/// A histogram over [`LATENCY_BUCKETS`].
pub fn latency_histogram() -> prometheus_client::metrics::histogram::Histogram {
    prometheus_client::metrics::histogram::Histogram::new(LATENCY_BUCKETS)
}

/// The text exposition of `registry`.
pub fn render(registry: &Registry) -> String {
    let mut out = String::new();
    // Writing into a String cannot fail.
    let _ = encode(&mut out, registry);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use prometheus_client::metrics::counter::Counter;
    use prometheus_client::metrics::family::Family;

    #[test]
    fn an_initialised_family_is_listed_before_its_first_sample() {
        let mut registry = Registry::default();
        let family = Family::<Vec<(String, String)>, Counter>::default();
        // prometheus-client lists a family only once it has a series: the
        // services create every label set at start, at zero.
        let _ = family.get_or_create(&vec![("outcome".into(), "ok".into())]);
        registry.register("demo_events", "Events seen", family);
        registry.register("demo_latency_seconds", "Latency", latency_histogram());
        let text = render(&registry);
        assert!(text.contains("# HELP demo_events Events seen."), "{text}");
        assert!(text.contains("# TYPE demo_events counter"), "{text}");
        assert!(
            text.contains("demo_events_total{outcome=\"ok\"} 0"),
            "{text}"
        );
        assert!(
            text.contains("# TYPE demo_latency_seconds histogram"),
            "{text}"
        );
        assert!(text.contains("demo_latency_seconds_count 0"), "{text}");
        assert!(text.ends_with("# EOF\n"), "{text}");
    }
}
