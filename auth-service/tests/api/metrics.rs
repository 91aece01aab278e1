//! `GET /metrics`.

use crate::helpers::{new_user, spawn_app};

/// The data lines of the exposition (no comments).
async fn series(app: &crate::helpers::TestApp) -> Vec<String> {
    let response = app.get("/metrics").await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn request_latency_is_recorded_by_route_pattern_and_status() {
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
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    let text = response.text().await.unwrap();
    assert!(text.contains("# TYPE gatehouse_http_request_duration_seconds histogram"));
    for line in [
        r#"gatehouse_http_request_duration_seconds_count{method="POST",route="/auth/register",status="201"} 1"#,
        r#"gatehouse_http_request_duration_seconds_count{method="POST",route="/auth/login",status="401"} 1"#,
        r#"gatehouse_http_request_duration_seconds_count{method="GET",route="unmatched",status="404"} 1"#,
        r#"gatehouse_http_request_duration_seconds_bucket{le="10.0",method="POST",route="/auth/login",status="401"} 1"#,
    ] {
        assert!(text.lines().any(|l| l == line), "missing {line} in\n{text}");
    }
    assert!(
        !text.contains("/no/such/path"),
        "raw paths never become labels"
    );
}

#[tokio::test]
async fn made_up_methods_and_paths_add_no_series() {
    let app = spawn_app().await;
    // One request of each kind first, so their series exist.
    for path in ["/auth/login", "/made/up/0", "/auth/me/0"] {
        let foo = reqwest::Method::from_bytes(b"FOO").unwrap();
        let url = format!("{}{path}", app.address);
        let _ = app.client.request(foo, url).send().await.unwrap();
    }
    let _ = app.get("/made/up/0").await;
    let before = series(&app).await.len();
    for i in 1..6 {
        let method = reqwest::Method::from_bytes(format!("FOO{i}X").as_bytes()).unwrap();
        for path in [
            "/auth/login".to_owned(),
            format!("/made/up/{i}"),
            format!("/auth/me/{i}"),
        ] {
            let response = app
                .client
                .request(method.clone(), format!("{}{path}", app.address))
                .send()
                .await
                .unwrap();
            assert!(response.status().is_client_error());
        }
        let _ = app.get(&format!("/made/up/{i}")).await;
    }
    let after = series(&app).await;
    assert_eq!(after.len(), before, "new series:\n{}", after.join("\n"));
    assert!(
        !after
            .iter()
            .any(|l| l.contains("FOO") || l.contains("/made/up"))
    );
}
