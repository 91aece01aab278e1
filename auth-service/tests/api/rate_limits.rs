//! Brute-force limits: per client address, per (account, address), per
//! registration address, shared across replicas, never a permanent lockout.

use serde_json::json;

use crate::helpers::{TestApp, assert_error, fresh_database, mongodb_uri, new_user, spawn_app_on};

const LIMITS: &[(&str, &str)] = &[
    ("RATE_LIMIT_LOGIN_FAILURES", "3/1h"),
    ("RATE_LIMIT_LOGIN_PER_ADDRESS", "1000/1h"),
    ("RATE_LIMIT_REGISTER_PER_ADDRESS", "1000/1h"),
    ("TRUSTED_PROXY_HOPS", "1"),
];

async fn login_from(
    app: &TestApp,
    address: &str,
    username: &str,
    password: &str,
) -> reqwest::Response {
    app.client
        .post(format!("{}/auth/login", app.address))
        .header("X-Forwarded-For", address)
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_guesser_is_stopped_but_the_real_user_elsewhere_still_logs_in() {
    let app = spawn_app_on(&mongodb_uri(), &fresh_database(), LIMITS).await;
    let user = new_user();
    assert_eq!(app.register(&user).await.status(), 201);
    let (name, password) = (
        user["username"].as_str().unwrap(),
        user["password"].as_str().unwrap(),
    );
    for _ in 0..3 {
        assert_eq!(
            login_from(&app, "203.0.113.9", name, "guess-password-1")
                .await
                .status(),
            401
        );
    }
    let refused = login_from(&app, "203.0.113.9", name, password).await;
    let retry_after: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&retry_after), "{retry_after}");
    assert_error(refused, 429, "rate_limited").await;
    // The real user, from their own address, is unaffected.
    assert_eq!(
        login_from(&app, "198.51.100.7", name, password)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn unknown_accounts_are_limited_exactly_like_real_ones() {
    let app = spawn_app_on(&mongodb_uri(), &fresh_database(), LIMITS).await;
    for _ in 0..3 {
        assert_eq!(
            login_from(&app, "203.0.113.10", "ghost_user", "guess-password-1")
                .await
                .status(),
            401
        );
    }
    assert_error(
        login_from(&app, "203.0.113.10", "ghost_user", "guess-password-1").await,
        429,
        "rate_limited",
    )
    .await;
}

#[tokio::test]
async fn login_failure_limits_hold_across_two_auth_service_replicas() {
    let database = fresh_database();
    let first = spawn_app_on(&mongodb_uri(), &database, LIMITS).await;
    let second = spawn_app_on(&mongodb_uri(), &database, LIMITS).await;
    let user = new_user();
    assert_eq!(first.register(&user).await.status(), 201);
    let name = user["username"].as_str().unwrap();
    for replica in [&first, &second, &first] {
        assert_eq!(
            login_from(replica, "203.0.113.11", name, "guess-password-1")
                .await
                .status(),
            401
        );
    }
    assert_error(
        login_from(&second, "203.0.113.11", name, "guess-password-1").await,
        429,
        "rate_limited",
    )
    .await;
}

#[tokio::test]
async fn registrations_per_address_are_limited_across_replicas() {
    let limits = [
        ("RATE_LIMIT_REGISTER_PER_ADDRESS", "2/1h"),
        ("TRUSTED_PROXY_HOPS", "1"),
    ];
    let database = fresh_database();
    let first = spawn_app_on(&mongodb_uri(), &database, &limits).await;
    let second = spawn_app_on(&mongodb_uri(), &database, &limits).await;
    let register_from = |app: &TestApp, address: &'static str| {
        let request = app
            .client
            .post(format!("{}/auth/register", app.address))
            .header("X-Forwarded-For", address)
            .json(&new_user());
        async move { request.send().await.unwrap() }
    };
    assert_eq!(register_from(&first, "203.0.113.12").await.status(), 201);
    assert_eq!(register_from(&second, "203.0.113.12").await.status(), 201);
    assert_error(
        register_from(&first, "203.0.113.12").await,
        429,
        "rate_limited",
    )
    .await;
    assert_eq!(
        register_from(&second, "203.0.113.13").await.status(),
        201,
        "other addresses are unaffected"
    );
    assert_eq!(first.all_users().await.len(), 3);
}

#[tokio::test]
async fn login_attempts_per_address_are_limited() {
    let limits = [
        ("RATE_LIMIT_LOGIN_PER_ADDRESS", "2/1h"),
        ("TRUSTED_PROXY_HOPS", "1"),
    ];
    let app = spawn_app_on(&mongodb_uri(), &fresh_database(), &limits).await;
    for name in ["a_user", "b_user"] {
        assert_eq!(
            login_from(&app, "203.0.113.14", name, "guess-password-1")
                .await
                .status(),
            401
        );
    }
    assert_error(
        login_from(&app, "203.0.113.14", "c_user", "guess-password-1").await,
        429,
        "rate_limited",
    )
    .await;
}

#[tokio::test]
async fn a_forged_forwarded_for_is_ignored_without_trusted_proxies() {
    let limits = [("RATE_LIMIT_LOGIN_PER_ADDRESS", "2/1h")];
    let app = spawn_app_on(&mongodb_uri(), &fresh_database(), &limits).await;
    for address in ["203.0.113.20", "203.0.113.21"] {
        assert_eq!(
            login_from(&app, address, "some_user", "guess-password-1")
                .await
                .status(),
            401
        );
    }
    // Rotating the header does not buy new attempts: the peer address counts.
    assert_error(
        login_from(&app, "203.0.113.22", "some_user", "guess-password-1").await,
        429,
        "rate_limited",
    )
    .await;
}

#[tokio::test]
async fn concurrent_guesses_across_replicas_never_exceed_the_failure_limit() {
    let _turn = crate::helpers::heavy().await;
    let database = fresh_database();
    let first = spawn_app_on(&mongodb_uri(), &database, LIMITS).await;
    let second = spawn_app_on(&mongodb_uri(), &database, LIMITS).await;
    let user = new_user();
    assert_eq!(first.register(&user).await.status(), 201);
    let name = user["username"].as_str().unwrap();
    let guesses = (0..30).map(|i| {
        let replica = if i % 2 == 0 { &first } else { &second };
        login_from(replica, "203.0.113.12", name, "guess-password-1")
    });
    let statuses: Vec<u16> = futures::future::join_all(guesses)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    let evaluated = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    // Never more than the limit evaluated; every other guess refused (under
    // a race the count is read conservatively, so fewer may be evaluated).
    assert!((1..=3).contains(&evaluated), "{statuses:?}");
    assert_eq!(evaluated + refused, 30, "{statuses:?}");
}

#[tokio::test]
async fn successful_logins_do_not_count_as_failures() {
    let app = spawn_app_on(&mongodb_uri(), &fresh_database(), LIMITS).await;
    let user = new_user();
    assert_eq!(app.register(&user).await.status(), 201);
    let (name, password) = (
        user["username"].as_str().unwrap(),
        user["password"].as_str().unwrap(),
    );
    for _ in 0..6 {
        assert_eq!(
            login_from(&app, "203.0.113.13", name, password)
                .await
                .status(),
            200
        );
    }
    for _ in 0..2 {
        assert_eq!(
            login_from(&app, "203.0.113.13", name, "guess-password-1")
                .await
                .status(),
            401
        );
    }
    assert_eq!(
        login_from(&app, "203.0.113.13", name, password)
            .await
            .status(),
        200
    );
}

#[tokio::test]
async fn refreshes_per_address_are_limited_and_a_refused_one_spends_nothing() {
    let limits = [
        ("RATE_LIMIT_REFRESH_PER_ADDRESS", "2/1h"),
        ("TRUSTED_PROXY_HOPS", "1"),
    ];
    let app = spawn_app_on(&mongodb_uri(), &fresh_database(), &limits).await;
    let user = new_user();
    assert_eq!(app.post_json("/auth/register", &user).await.status(), 201);
    let login: serde_json::Value = app
        .post_json(
            "/auth/login",
            &serde_json::json!({"username": user["username"], "password": user["password"]}),
        )
        .await
        .json()
        .await
        .unwrap();
    let refresh_from = |address: &'static str, token: String| {
        let request = app
            .client
            .post(format!("{}/auth/refresh", app.address))
            .header("X-Forwarded-For", address)
            .json(&serde_json::json!({ "refresh_token": token }));
        async move { request.send().await.unwrap() }
    };
    let mut token = login["refresh_token"].as_str().unwrap().to_owned();
    for _ in 0..2 {
        let resp = refresh_from("203.0.113.20", token.clone()).await;
        assert_eq!(resp.status(), 200);
        let body: serde_json::Value = resp.json().await.unwrap();
        token = body["refresh_token"].as_str().unwrap().to_owned();
    }
    assert_error(
        refresh_from("203.0.113.20", token.clone()).await,
        429,
        "rate_limited",
    )
    .await;
    // The refused call spent nothing: the same token still works elsewhere.
    assert_eq!(refresh_from("203.0.113.21", token).await.status(), 200);
}
