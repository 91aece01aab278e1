//! Prometheus metrics: request counts and latency by route and status,
//! rendered in the text exposition format at `GET /metrics`. Routes are
//! labelled by their pattern (unknown paths share one label), so a client
//! cannot blow up the number of series.

use std::{collections::BTreeMap, fmt::Write, sync::Mutex, time::Duration};

#[derive(Default, Clone, Copy)]
struct Summary {
    count: u64,
    seconds: f64,
}

/// Counters of one auth-service process.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), Summary>>,
}

impl Metrics {
    /// Records one finished request.
    pub fn observe(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        if let Ok(mut requests) = self.requests.lock() {
            let entry = requests
                .entry((method.to_owned(), route.to_owned(), status))
                .or_default();
            entry.count += 1;
            entry.seconds += elapsed.as_secs_f64();
        }
    }

    /// The Prometheus text exposition of every series.
    pub fn render(&self) -> String {
        let snapshot = self.requests.lock().map(|r| r.clone()).unwrap_or_default();
        let mut out = String::new();
        let _ = writeln!(
            out,
            "# HELP gatehouse_http_requests_total HTTP requests by method, route and status."
        );
        let _ = writeln!(out, "# TYPE gatehouse_http_requests_total counter");
        for ((method, route, status), s) in &snapshot {
            let _ = writeln!(
                out,
                "gatehouse_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {}",
                s.count
            );
        }
        let _ = writeln!(
            out,
            "# HELP gatehouse_http_request_duration_seconds Time to answer, by method, route and status."
        );
        let _ = writeln!(
            out,
            "# TYPE gatehouse_http_request_duration_seconds summary"
        );
        for ((method, route, status), s) in &snapshot {
            let labels = format!("method=\"{method}\",route=\"{route}\",status=\"{status}\"");
            let _ = writeln!(
                out,
                "gatehouse_http_request_duration_seconds_sum{{{labels}}} {:.6}",
                s.seconds
            );
            let _ = writeln!(
                out,
                "gatehouse_http_request_duration_seconds_count{{{labels}}} {}",
                s.count
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_counts_and_durations_per_series() {
        let metrics = Metrics::default();
        metrics.observe("POST", "/auth/login", 401, Duration::from_millis(20));
        metrics.observe("POST", "/auth/login", 401, Duration::from_millis(30));
        let text = metrics.render();
        assert!(
            text.contains(
                r#"gatehouse_http_requests_total{method="POST",route="/auth/login",status="401"} 2"#
            ),
            "{text}"
        );
        assert!(text.contains(r#"gatehouse_http_request_duration_seconds_sum{method="POST",route="/auth/login",status="401"} 0.050000"#), "{text}");
    }
}
