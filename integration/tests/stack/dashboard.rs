//! The Grafana dashboard in `deploy/grafana/` only queries metrics the
//! services really export: every metric name in every panel query must be a
//! sample name in a scrape of the real auth-service or the real gateway.

use std::collections::BTreeSet;

use crate::helpers::Stack;

/// Sample names (before `{` or the value) of an exposition.
fn sample_names(text: &str) -> BTreeSet<String> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .filter_map(|l| l.split(['{', ' ']).next())
        .map(str::to_owned)
        .collect()
}

/// Every `gatehouse_…` identifier in a PromQL expression.
fn metric_names(expr: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = expr;
    while let Some(start) = rest.find("gatehouse_") {
        let tail = &rest[start..];
        let end = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(tail.len());
        names.push(tail[..end].to_owned());
        rest = &tail[end..];
    }
    names
}

fn exprs(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("expr", serde_json::Value::String(e)) => out.push(e.clone()),
                    _ => exprs(v, out),
                }
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| exprs(v, out)),
        _ => {}
    }
}

#[tokio::test]
async fn every_dashboard_query_names_an_exported_metric() {
    let stack = Stack::start().await;
    // One login so the auth-service's login series exist.
    let _ = stack.new_session().await;
    let mut exported = BTreeSet::new();
    for url in [
        format!("http://127.0.0.1:{}/metrics", stack.auth_http),
        format!("http://127.0.0.1:{}/metrics", stack.gateway),
    ] {
        let text = stack
            .http
            .get(url)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        exported.extend(sample_names(&text));
    }
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../deploy/grafana/gatehouse-dashboard.json"
    );
    let dashboard: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut queries = Vec::new();
    exprs(&dashboard, &mut queries);
    assert!(queries.len() >= 10, "{queries:?}");
    for query in &queries {
        let names = metric_names(query);
        assert!(
            !names.is_empty(),
            "a query without a Gatehouse metric: {query}"
        );
        for name in names {
            assert!(
                exported.contains(&name),
                "{name} (in `{query}`) is not exported; exported: {exported:?}"
            );
        }
    }
}

#[test]
fn metric_names_are_found_in_promql() {
    assert_eq!(
        metric_names(
            "histogram_quantile(0.9, sum by (le) (rate(gatehouse_a_bucket{x=\"y\"}[5m]))) / gatehouse_b"
        ),
        vec!["gatehouse_a_bucket", "gatehouse_b"]
    );
}
