//! `POST /auth/register`.

use serde_json::json;

use crate::helpers::{assert_error, new_user, spawn_app};

#[tokio::test]
async fn register_returns_201_with_the_new_user() {
    let app = spawn_app().await;
    let user = new_user();
    let response = app.register(&user).await;
    assert_eq!(response.status(), 201);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["message"], "Registration successful");
    assert_eq!(body["user"]["username"], user["username"]);
    assert_eq!(body["user"]["email"], user["email"]);
    assert!(uuid::Uuid::parse_str(body["user"]["id"].as_str().unwrap()).is_ok());
    assert!(body["user"].get("password").is_none() && body["user"].get("password_hash").is_none());
    let stored = app.all_users().await;
    assert_eq!(stored.len(), 1);
    assert!(
        stored[0]
            .get_str("password_hash")
            .unwrap()
            .starts_with("$argon2id$")
    );
}

#[tokio::test]
async fn each_validation_rule_has_its_own_code() {
    let app = spawn_app().await;
    let cases = [
        (
            json!({"username": "ab", "email": "ab@example.com", "password": "long-enough-pw"}),
            "invalid_username",
        ),
        (
            json!({"username": "bad name", "email": "a@example.com", "password": "long-enough-pw"}),
            "invalid_username",
        ),
        (
            json!({"username": "valid_name", "email": "not-an-email", "password": "long-enough-pw"}),
            "invalid_email",
        ),
        (
            json!({"username": "valid_name", "email": "v@example.com", "password": "short"}),
            "invalid_password",
        ),
        (
            json!({"username": "valid_name", "email": "v@example.com", "password": "x".repeat(129)}),
            "invalid_password",
        ),
        (
            json!({"username": "valid_name", "email": "v@example.com", "password": "password123"}),
            "invalid_password",
        ),
        (
            json!({"username": "valid_name1", "email": "v@example.com", "password": "VALID_NAME1"}),
            "invalid_password",
        ),
    ];
    for (body, code) in cases {
        assert_error(app.register(&body).await, 400, code).await;
    }
    assert!(app.all_users().await.is_empty());
}

#[tokio::test]
async fn usernames_and_emails_differing_only_in_case_are_taken() {
    let app = spawn_app().await;
    let user = new_user();
    assert_eq!(app.register(&user).await.status(), 201);
    let upper_name = json!({
        "username": user["username"].as_str().unwrap().to_uppercase(),
        "email": "someone-else@example.com",
        "password": "another-good-password",
    });
    assert_error(app.register(&upper_name).await, 409, "account_exists").await;
    let upper_email = json!({
        "username": "someone_else",
        "email": user["email"].as_str().unwrap().to_uppercase(),
        "password": "another-good-password",
    });
    assert_error(app.register(&upper_email).await, 409, "account_exists").await;
    assert_eq!(app.all_users().await.len(), 1);
}

#[tokio::test]
async fn fifty_concurrent_registrations_of_one_username_create_exactly_one_account() {
    let _turn = crate::helpers::heavy().await;
    let app = spawn_app().await;
    let attempts = (0..50).map(|i| {
        let body = json!({"username": "racer", "email": format!("racer{i}@example.com"), "password": "racing-password-1"});
        let app = &app;
        async move { app.register(&body).await.status().as_u16() }
    });
    let statuses = futures::future::join_all(attempts).await;
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        49,
        "{statuses:?}"
    );
    assert_eq!(app.all_users().await.len(), 1);
}
