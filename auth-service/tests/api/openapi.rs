//! `GET /openapi.json`: the document is served, and it stays true to the
//! running service — every route documented, every documented operation
//! answering, error codes and success bodies as the code really has them.

use std::collections::BTreeSet;

use reqwest::Method;
use serde_json::{Value, json};
use shared_types::ErrorCode;

use crate::helpers::{TestApp, new_user, spawn_app};

/// The route table; every `resource("...")` path in it must be documented.
const ROUTES_SOURCE: &str = include_str!("../../src/routes/mod.rs");

/// The methods probed on every documented path.
const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// Every `ErrorCode` variant. Adding a variant breaks the exhaustive `match`
/// below until it is listed here too.
fn all_error_codes() -> Vec<ErrorCode> {
    use ErrorCode::*;
    let all = vec![
        InvalidUsername,
        InvalidEmail,
        InvalidPassword,
        MalformedRequest,
        AccountExists,
        InvalidCredentials,
        InvalidRefreshToken,
        InvalidToken,
        PayloadTooLarge,
        UnsupportedMediaType,
        NotFound,
        MethodNotAllowed,
        RateLimited,
        Unavailable,
        Internal,
    ];
    for code in &all {
        match code {
            InvalidUsername | InvalidEmail | InvalidPassword | MalformedRequest | AccountExists
            | InvalidCredentials | InvalidRefreshToken | InvalidToken | PayloadTooLarge
            | UnsupportedMediaType | NotFound | MethodNotAllowed | RateLimited | Unavailable
            | Internal => {}
        }
    }
    all
}

async fn fetch_document(app: &TestApp) -> Value {
    let response = app.get("/openapi.json").await;
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// Follows a local `$ref` (`#/components/...`) until a non-reference value.
fn resolve<'a>(doc: &'a Value, mut value: &'a Value) -> &'a Value {
    while let Some(pointer) = value.get("$ref").and_then(Value::as_str) {
        value = doc
            .pointer(pointer.trim_start_matches('#'))
            .unwrap_or_else(|| panic!("dangling $ref {pointer}"));
    }
    value
}

/// The documented `code` values of an error response (the narrowed enum, or
/// every code when the response only references `ErrorBody`).
fn documented_codes(doc: &Value, response: &Value) -> BTreeSet<String> {
    let schema = resolve(
        doc,
        &resolve(doc, response)["content"]["application/json"]["schema"],
    );
    let code = schema
        .pointer("/properties/code")
        .or_else(|| schema.pointer("/allOf/0/properties/code"))
        .map(|c| resolve(doc, c))
        .unwrap_or_else(|| panic!("no `code` in {schema}"));
    strings(&code["enum"])
}

fn strings(value: &Value) -> BTreeSet<String> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("not an array: {value}"))
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect()
}

fn keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .cloned()
        .collect()
}

/// Asserts that `body`, its documented example and its schema have the same
/// keys (all of them required), recursing into nested object properties.
fn assert_shape(doc: &Value, schema: &Value, body: &Value, example: &Value, at: &str) {
    let schema = resolve(doc, schema);
    let Some(properties) = schema.get("properties") else {
        return;
    };
    let documented = keys(properties);
    assert_eq!(
        keys(body),
        documented,
        "{at}: real body vs schema properties"
    );
    assert_eq!(strings(&schema["required"]), documented, "{at}: required");
    assert_eq!(keys(example), documented, "{at}: example");
    for name in &documented {
        assert_shape(
            doc,
            &properties[name],
            &body[name],
            &example[name],
            &format!("{at}.{name}"),
        );
    }
}

fn assert_matches_documented_success(doc: &Value, path: &str, method: &str, body: &Value) {
    let operation = &doc["paths"][path][method];
    let (status, response) = operation["responses"]
        .as_object()
        .unwrap()
        .iter()
        .find(|(status, _)| status.starts_with('2'))
        .unwrap_or_else(|| panic!("{method} {path}: no success response"));
    let media = &resolve(doc, response)["content"]["application/json"];
    assert_shape(
        doc,
        &media["schema"],
        body,
        &media["example"],
        &format!("{method} {path} {status}"),
    );
}

/// A request that reaches the handler as far as the method allows.
async fn probe(app: &TestApp, method: &str, path: &str) -> reqwest::Response {
    let method = Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = app
        .client
        .request(method.clone(), format!("{}{path}", app.address));
    if method != Method::GET {
        request = request.json(&json!({}));
    }
    request.send().await.unwrap()
}

#[tokio::test]
async fn openapi_document_is_served_as_json_openapi_3_1() {
    let app = spawn_app().await;
    let response = app.get("/openapi.json").await;
    assert_eq!(response.status(), 200);
    let content_type = response.headers()["content-type"].to_str().unwrap();
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    let doc: Value = response.json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"), "{doc}");
    assert_eq!(doc["info"]["version"], env!("CARGO_PKG_VERSION"));
    let scheme = &doc["components"]["securitySchemes"]["bearerAuth"];
    assert_eq!(scheme["type"], "http");
    assert_eq!(scheme["scheme"], "bearer");
}

#[tokio::test]
async fn every_routed_path_is_documented() {
    let app = spawn_app().await;
    let doc = fetch_document(&app).await;
    let routed: Vec<&str> = ROUTES_SOURCE
        .split("resource(\"")
        .skip(1)
        .filter_map(|rest| rest.split_once('"').map(|(path, _)| path))
        .collect();
    assert!(routed.contains(&"/auth/register") && routed.contains(&"/openapi.json"));
    let documented = keys(&doc["paths"]);
    for path in routed {
        assert!(
            documented.contains(path),
            "{path} is routed but undocumented"
        );
    }
}

#[tokio::test]
async fn documented_operations_answer_and_undocumented_methods_are_refused() {
    let app = spawn_app().await;
    let doc = fetch_document(&app).await;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS {
            let response = probe(&app, method, path).await;
            let status = response.status().as_u16();
            let Some(operation) = item.get(method.to_lowercase()) else {
                assert_eq!(status, 405, "{method} {path} is routed but undocumented");
                // RFC 9110: a 405 lists the methods the resource does take.
                let allow = response.headers()["allow"].to_str().unwrap().to_owned();
                let mut allowed: Vec<&str> = allow.split(", ").collect();
                allowed.sort_unstable();
                let mut documented: Vec<String> =
                    keys(item).iter().map(|m| m.to_uppercase()).collect();
                documented.sort_unstable();
                assert_eq!(allowed, documented, "Allow of {path}");
                continue;
            };
            assert!(
                status != 404 && status != 405,
                "{method} {path} is documented but answers {status}"
            );
            let documented = &operation["responses"][status.to_string()];
            assert!(
                !documented.is_null(),
                "{method} {path} answered an undocumented {status}"
            );
            if status >= 400 {
                let body: Value = response.json().await.unwrap();
                let code = body["code"].as_str().unwrap();
                assert!(
                    documented_codes(&doc, documented).contains(code),
                    "{method} {path} {status}: `{code}` is not documented"
                );
            }
        }
    }
}

#[tokio::test]
async fn error_code_enum_is_exactly_the_error_codes() {
    let app = spawn_app().await;
    let doc = fetch_document(&app).await;
    let wire: BTreeSet<String> = all_error_codes()
        .into_iter()
        .map(|code| {
            let json = serde_json::to_value(code).unwrap();
            assert_eq!(json, code.as_str());
            json.as_str().unwrap().to_owned()
        })
        .collect();
    let code_schema = resolve(
        &doc,
        &doc["components"]["schemas"]["ErrorBody"]["properties"]["code"],
    );
    assert_eq!(strings(&code_schema["enum"]), wire);
    // Every narrowed `code` enum of a response names real codes only.
    for response in doc["components"]["responses"].as_object().unwrap().values() {
        assert!(documented_codes(&doc, response).is_subset(&wire));
    }
    for item in doc["paths"].as_object().unwrap().values() {
        for operation in item.as_object().unwrap().values() {
            for (status, response) in operation["responses"].as_object().unwrap() {
                if status.starts_with('4') || status.starts_with('5') {
                    let codes = documented_codes(&doc, response);
                    assert!(!codes.is_empty() && codes.is_subset(&wire), "{status}");
                }
            }
        }
    }
}

#[tokio::test]
async fn documented_success_bodies_match_the_real_ones() {
    let app = spawn_app().await;
    let doc = fetch_document(&app).await;
    let user = new_user();
    let response = app.register(&user).await;
    assert_eq!(response.status(), 201);
    let registered: Value = response.json().await.unwrap();
    assert_matches_documented_success(&doc, "/auth/register", "post", &registered);

    let response = app
        .login(
            user["username"].as_str().unwrap(),
            user["password"].as_str().unwrap(),
        )
        .await;
    assert_eq!(response.status(), 200);
    let login: Value = response.json().await.unwrap();
    assert_matches_documented_success(&doc, "/auth/login", "post", &login);

    let response = app.refresh(login["refresh_token"].as_str().unwrap()).await;
    assert_eq!(response.status(), 200);
    let refreshed: Value = response.json().await.unwrap();
    assert_matches_documented_success(&doc, "/auth/refresh", "post", &refreshed);

    let response = app.get_me(refreshed["token"].as_str()).await;
    assert_eq!(response.status(), 200);
    let me: Value = response.json().await.unwrap();
    assert_matches_documented_success(&doc, "/auth/me", "get", &me);
}

#[tokio::test]
async fn rate_limited_and_unavailable_answers_document_retry_after() {
    let app = spawn_app().await;
    let doc = fetch_document(&app).await;
    for name in ["RateLimited", "Unavailable"] {
        let response = &doc["components"]["responses"][name];
        assert_eq!(
            resolve(&doc, &response["headers"]["Retry-After"])["schema"]["type"],
            "integer",
            "{name}"
        );
    }
}
