//! Hostile and malformed input: every case gets a 4xx with a JSON
//! `{code, message}`, never a 5xx, and no stored document changes.

use serde_json::{Value, json};

use crate::helpers::{TestApp, new_user, spawn_app};

/// Sends `body` raw and checks the answer: `status`, JSON body, `code`.
async fn expect_refusal(
    app: &TestApp,
    path: &str,
    content_type: Option<&str>,
    body: Vec<u8>,
    status: u16,
    code: &str,
) {
    let shown = String::from_utf8_lossy(&body[..body.len().min(80)]).to_string();
    let response = app.post_raw(path, content_type, body).await;
    assert_eq!(response.status().as_u16(), status, "{path} {shown}");
    let json: Value = response
        .json()
        .await
        .unwrap_or_else(|_| panic!("non-JSON error for {shown}"));
    assert_eq!(json["code"], code, "{path} {shown}: {json}");
    assert!(json["message"].as_str().is_some_and(|m| !m.is_empty()));
}

/// [`expect_refusal`] for a JSON body sent as `application/json`.
async fn expect_json_refusal(app: &TestApp, path: &str, body: &Value, status: u16, code: &str) {
    expect_refusal(app, path, JSON, body.to_string().into_bytes(), status, code).await;
}

async fn app_with_a_victim() -> (TestApp, Value) {
    let app = spawn_app().await;
    let victim = new_user();
    assert_eq!(app.register(&victim).await.status(), 201);
    (app, victim)
}

const JSON: Option<&str> = Some("application/json");

#[tokio::test]
async fn nosql_injection_shapes_are_refused_without_touching_the_store() {
    let (app, victim) = app_with_a_victim().await;
    let before = app.all_users().await;
    let name = victim["username"].as_str().unwrap();
    let login_shapes = [
        json!({"username": {"$gt": ""}, "password": {"$gt": ""}}),
        json!({"username": {"$ne": null}, "password": {"$ne": null}}),
        json!({"username": {"$regex": ".*"}, "password": "x"}),
        json!({"username": name, "password": {"$ne": "x"}}),
        json!({"username": [name], "password": "correct-horse-battery"}),
        json!({"username": name, "password": "correct-horse-battery", "$where": "1 == 1"}),
        json!({"username.$": name, "password": "x"}),
        json!({"$or": [{"username": name}], "password": "x"}),
    ];
    for shape in login_shapes {
        expect_json_refusal(&app, "/auth/login", &shape, 400, "malformed_request").await;
    }
    let register_shapes = [
        json!({"username": {"$gt": ""}, "email": "a@example.com", "password": "long-enough-pw"}),
        json!({"username": "x", "email": {"$regex": "."}, "password": "long-enough-pw"}),
        json!({"username": "mallory", "email": "m@example.com", "password": "long-enough-pw", "$set": {"disabled": true}}),
        json!({"username": "mallory", "email": "m@example.com", "password": "long-enough-pw", "password_hash": "x"}),
    ];
    for shape in register_shapes {
        expect_json_refusal(&app, "/auth/register", &shape, 400, "malformed_request").await;
    }
    // Operator characters inside string values are data, never operators.
    let dollar_name =
        json!({"username": "$where", "email": "d@example.com", "password": "long-enough-pw"});
    expect_json_refusal(
        &app,
        "/auth/register",
        &dollar_name,
        400,
        "invalid_username",
    )
    .await;
    let dollar_login = json!({"username": "$ne", "password": "x-password"});
    expect_json_refusal(
        &app,
        "/auth/login",
        &dollar_login,
        401,
        "invalid_credentials",
    )
    .await;
    assert_eq!(app.all_users().await, before);
}

#[tokio::test]
async fn wrong_types_nulls_and_missing_fields_are_malformed() {
    let (app, victim) = app_with_a_victim().await;
    let before = app.all_users().await;
    let name = victim["username"].as_str().unwrap();
    let bodies = [
        ("/auth/login", json!({"username": name, "password": 123456})),
        ("/auth/login", json!({"username": name, "password": null})),
        ("/auth/login", json!({"username": name})),
        ("/auth/login", json!({"username": true, "password": "x"})),
        (
            "/auth/register",
            json!({"username": "newbie", "email": "n@example.com", "password": 12345678}),
        ),
        (
            "/auth/register",
            json!({"username": null, "email": "n@example.com", "password": "long-enough-pw"}),
        ),
        (
            "/auth/register",
            json!({"username": "newbie", "password": "long-enough-pw"}),
        ),
        ("/auth/register", json!([])),
        ("/auth/register", json!("a string")),
        ("/auth/register", json!(42)),
    ];
    for (path, body) in bodies {
        expect_json_refusal(&app, path, &body, 400, "malformed_request").await;
    }
    assert_eq!(app.all_users().await, before);
}

#[tokio::test]
async fn non_json_wrong_content_type_and_oversized_bodies_are_refused() {
    let (app, _) = app_with_a_victim().await;
    let before = app.all_users().await;
    let valid = new_user().to_string().into_bytes();
    for path in ["/auth/register", "/auth/login"] {
        for garbage in [
            &b"not json"[..],
            b"{\"username\":",
            b"",
            b"\xff\xfe\x00",
            &[b'['; 8000],
        ] {
            expect_refusal(&app, path, JSON, garbage.to_vec(), 400, "malformed_request").await;
        }
        for content_type in [
            Some("text/plain"),
            Some("application/x-www-form-urlencoded"),
            None,
        ] {
            expect_refusal(
                &app,
                path,
                content_type,
                valid.clone(),
                415,
                "unsupported_media_type",
            )
            .await;
        }
        let huge =
            json!({"username": "x".repeat(1 << 20), "email": "h@example.com", "password": "p"});
        expect_json_refusal(&app, path, &huge, 413, "payload_too_large").await;
    }
    let big_password = json!({"username": "bigpw", "email": "bigpw@example.com", "password": "p".repeat(10 * 1024)});
    expect_json_refusal(
        &app,
        "/auth/register",
        &big_password,
        400,
        "invalid_password",
    )
    .await;
    assert_eq!(app.all_users().await, before);
}

#[tokio::test]
async fn unicode_edge_cases_get_clear_errors() {
    let (app, _) = app_with_a_victim().await;
    let before = app.all_users().await;
    let register = |username: &str, email: &str| {
        json!({"username": username, "email": email, "password": "long-enough-pw"})
            .to_string()
            .into_bytes()
    };
    for username in [
        "ａｄｍｉｎ",
        "adm\u{200d}in",
        "\u{202e}nimda",
        "emoji😀",
        "nul\u{0}byte",
        "ad\u{0301}min",
    ] {
        expect_refusal(
            &app,
            "/auth/register",
            JSON,
            register(username, "u@example.com"),
            400,
            "invalid_username",
        )
        .await;
    }
    for email in [
        "a\u{0}b@example.com",
        "a\u{2028}@example.com",
        "a @example.com",
    ] {
        expect_refusal(
            &app,
            "/auth/register",
            JSON,
            register("uni_user", email),
            400,
            "invalid_email",
        )
        .await;
    }
    // A lone surrogate is not valid JSON text.
    let lone =
        br#"{"username":"\ud800abc","email":"s@example.com","password":"long-enough-pw"}"#.to_vec();
    expect_refusal(&app, "/auth/register", JSON, lone, 400, "malformed_request").await;
    assert_eq!(app.all_users().await, before);
}

#[tokio::test]
async fn unknown_routes_and_methods_answer_json() {
    let app = spawn_app().await;
    let response = app.get("/auth/nothing-here").await;
    assert_eq!(response.status(), 404);
    assert_eq!(response.json::<Value>().await.unwrap()["code"], "not_found");
    let response = app.get("/auth/login").await;
    assert_eq!(response.status(), 405);
    assert_eq!(
        response.json::<Value>().await.unwrap()["code"],
        "method_not_allowed"
    );
}

#[tokio::test]
async fn session_endpoints_refuse_hostile_bodies_without_changing_anything() {
    let (app, victim) = app_with_a_victim().await;
    let login = app
        .login(
            victim["username"].as_str().unwrap(),
            victim["password"].as_str().unwrap(),
        )
        .await;
    let login: Value = login.json().await.unwrap();
    let users_before = app.all_users().await;
    let sessions = || async {
        use futures::TryStreamExt;
        let cursor = app
            .db
            .collection::<mongodb::bson::Document>("sessions")
            .find(mongodb::bson::doc! {})
            .await
            .unwrap();
        cursor.try_collect::<Vec<_>>().await.unwrap()
    };
    let sessions_before = sessions().await;
    let cases = [
        ("/auth/logout", json!({"refresh_token": 123})),
        ("/auth/logout", json!({"refresh_token": {"$ne": ""}})),
        ("/auth/logout", json!({"all": "yes"})),
        (
            "/auth/logout",
            json!({"refresh_token": login["refresh_token"], "all": true}),
        ),
        ("/auth/logout", json!({"everything": true})),
        ("/auth/refresh", json!({"refresh_token": ["a"]})),
        ("/auth/refresh", json!({})),
    ];
    for (path, body) in cases {
        expect_json_refusal(&app, path, &body, 400, "malformed_request").await;
    }
    let anonymous_logout = app.logout(None, &json!({})).await;
    assert_eq!(anonymous_logout.status(), 401);
    let token = login["token"].as_str().unwrap();
    // A JSON array is not an object, even though serde would map its
    // positions onto the fields (found by schema fuzzing: `[null, null]`
    // logged the bearer's session out).
    for body in [
        json!([null, null]),
        json!([]),
        json!([login["refresh_token"], true]),
    ] {
        let response = app.logout(Some(token), &body).await;
        assert_eq!(response.status(), 400, "{body}");
        assert_eq!(
            response.json::<Value>().await.unwrap()["code"],
            "malformed_request"
        );
        expect_json_refusal(&app, "/auth/refresh", &body, 400, "malformed_request").await;
    }
    for body in [
        json!({"password": {"$ne": ""}}),
        json!({}),
        json!({"password": null}),
    ] {
        let response = app
            .client
            .delete(format!("{}/auth/me", app.address))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{body}");
        assert_eq!(
            response.json::<Value>().await.unwrap()["code"],
            "malformed_request"
        );
    }
    assert_eq!(app.all_users().await, users_before);
    assert_eq!(sessions().await, sessions_before);
}
