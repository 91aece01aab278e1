//! Prometheus metrics of the auth-service (`GET /metrics`): one latency
//! histogram of HTTP requests by method, route and status, on
//! `prometheus-client`.
//!
//! Labels never carry client input: the route is the matched pattern
//! (`unmatched` for any unknown path), the method one of the standard ones
//! (`other` for anything else, so made-up methods add no series), and the
//! status one the service itself answered.

use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use service_kit::metrics::latency_histogram;

/// The methods kept as labels; any other is `other`.
const METHODS: [&str; 7] = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"];

/// Routes listed at start (at zero), so the family exists before traffic.
const SERVED: [(&str, &str); 9] = [
    ("POST", "/auth/register"),
    ("POST", "/auth/login"),
    ("POST", "/auth/refresh"),
    ("POST", "/auth/logout"),
    ("GET", "/auth/me"),
    ("DELETE", "/auth/me"),
    ("GET", "/.well-known/jwks.json"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
];

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: &'static str,
    route: String,
    status: u16,
}

/// The metrics of one auth-service process.
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Histogram, fn() -> Histogram>,
}

impl Default for Metrics {
    fn default() -> Self {
        let requests: Family<RequestLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(latency_histogram);
        for (method, route) in SERVED {
            let _ = requests.get_or_create(&RequestLabels {
                method,
                route: route.into(),
                status: 200,
            });
        }
        let mut registry = Registry::default();
        registry.register(
            "gatehouse_http_request_duration_seconds",
            "Time to answer HTTP requests, by method, route pattern and status",
            requests.clone(),
        );
        Self { registry, requests }
    }
}

impl Metrics {
    /// Records one finished request; `route` is the matched pattern or
    /// `unmatched`.
    pub fn observe(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let method = METHODS
            .into_iter()
            .find(|m| *m == method)
            .unwrap_or("other");
        self.requests
            .get_or_create(&RequestLabels {
                method,
                route: route.to_owned(),
                status,
            })
            .observe(elapsed.as_secs_f64());
    }

    /// The exposition of every series.
    pub fn render(&self) -> String {
        service_kit::metrics::render(&self.registry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_latency_per_series_and_folds_unknown_methods() {
        let metrics = Metrics::default();
        metrics.observe("POST", "/auth/login", 401, Duration::from_millis(20));
        metrics.observe("POST", "/auth/login", 401, Duration::from_millis(30));
        for made_up in ["FOO0X", "FOO1X", "BREW"] {
            metrics.observe(made_up, "unmatched", 405, Duration::from_millis(1));
        }
        let text = metrics.render();
        let series = r#"{method="POST",route="/auth/login",status="401"}"#;
        assert!(
            text.contains(&format!(
                "gatehouse_http_request_duration_seconds_count{series} 2"
            )),
            "{text}"
        );
        assert!(
            text.contains(r#"_count{method="other",route="unmatched",status="405"} 3"#),
            "{text}"
        );
        assert!(!text.contains("FOO0X"));
    }
}
