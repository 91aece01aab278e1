//! `GET /metrics`.

use crate::helpers::{new_user, spawn_app};

#[tokio::test]
async fn metrics_count_requests_by_route_pattern_and_status() {
    let app = spawn_app().await;
    let user = new_user();
    assert_eq!(app.register(&user).await.status(), 201);
    assert_eq!(
        app.login(user["username"].as_str().unwrap(), "wrong-password-1")
            .await
            .status(),
        401
    );
    assert_eq!(app.get("/no/such/path/12345").await.status(), 404);
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let text = response.text().await.unwrap();
    for line in [
        r#"gatehouse_http_requests_total{method="POST",route="/auth/register",status="201"} 1"#,
        r#"gatehouse_http_requests_total{method="POST",route="/auth/login",status="401"} 1"#,
        r#"gatehouse_http_requests_total{method="GET",route="unmatched",status="404"} 1"#,
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line} in\n{text}");
    }
    assert!(
        !text.contains("/no/such/path"),
        "raw paths never become labels"
    );
}
