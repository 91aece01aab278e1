//! The HTTP routes, one file per resource, and the JSON body rules they
//! share: `application/json` only, 16 KiB at most, every failure a JSON
//! `{code, message}`.

mod account;
mod bearer;
mod health;
mod jwks;
mod login;
mod logout;
mod me;
mod openapi;
mod refresh;
mod register;
mod session;

use actix_web::dev::Payload;
use actix_web::http::header::{ALLOW, HeaderValue};
use actix_web::{FromRequest, HttpRequest, HttpResponse, error::JsonPayloadError, web};
use futures::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

pub use bearer::Bearer;

/// Largest accepted request body.
pub const MAX_BODY_BYTES: usize = 16 * 1024;

/// Mounts every route and the JSON rules on an actix `App`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(json_config())
        .service(resource("/auth/register", "POST").route(web::post().to(register::register_user)))
        .service(resource("/auth/login", "POST").route(web::post().to(login::log_in)))
        .service(resource("/auth/refresh", "POST").route(web::post().to(refresh::refresh_tokens)))
        .service(resource("/auth/logout", "POST").route(web::post().to(logout::log_out)))
        .service(
            resource("/auth/me", "GET, DELETE")
                .route(web::get().to(me::get_me))
                .route(web::delete().to(account::delete_account)),
        )
        .service(resource("/.well-known/jwks.json", "GET").route(web::get().to(jwks::get_jwks)))
        .service(resource("/healthz", "GET").route(web::get().to(health::healthz)))
        .service(resource("/readyz", "GET").route(web::get().to(health::readyz)))
        .service(resource("/openapi.json", "GET").route(web::get().to(openapi::get_openapi)))
        .service(resource("/metrics", "GET").route(web::get().to(health::metrics)));
}

/// Answer for unknown paths.
pub async fn not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound)
}

/// The client's address: the TCP peer, or with `hops` trusted reverse
/// proxies in front, the `X-Forwarded-For` entry the outermost one added.
pub fn client_address(req: &HttpRequest, hops: usize) -> String {
    let Some(peer) = req.peer_addr().map(|a| a.ip()) else {
        return "unknown".into();
    };
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok());
    service_kit::client_ip::client_ip(peer, forwarded, hops).to_string()
}

/// Checks a password under the failure limit of `failure_key`: the attempt
/// is counted **before** hashing (so concurrent guesses cannot all pass a
/// check made before any is recorded) and given back unless it failed.
pub(crate) async fn verify_password(
    state: &crate::state::AppState,
    failure_key: &str,
    password: crate::domain::Password,
    stored_hash: Option<String>,
) -> Result<bool, ApiError> {
    let attempt = state
        .limiter
        .attempt(crate::rate_limit::Scope::LoginFailures, failure_key)
        .await?;
    match state.hasher.verify(password, stored_hash).await {
        Ok(false) => Ok(false),
        Ok(true) => {
            attempt.refund().await?;
            Ok(true)
        }
        Err(e) => {
            attempt.refund().await?;
            Err(e.into())
        }
    }
}

/// A resource whose other methods get 405 `method_not_allowed` with the
/// `Allow` header RFC 9110 requires.
fn resource(path: &str, allow: &'static str) -> actix_web::Resource {
    web::resource(path).default_service(web::to(move || async move {
        let mut response = actix_web::ResponseError::error_response(&ApiError::MethodNotAllowed);
        response
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static(allow));
        response
    }))
}

/// A JSON **object** body. `web::Json<T>` alone also takes a JSON array for
/// a struct (serde maps positions onto fields, so `[null, null]` was a valid
/// logout); every body of this API is documented as an object, so the body
/// is read as one first (size, content type and errors as `json_config`).
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let object =
            web::Json::<serde_json::Map<String, serde_json::Value>>::from_request(req, payload);
        Box::pin(async move {
            let web::Json(object) = object.await?;
            T::deserialize(serde_json::Value::Object(object))
                .map(JsonBody)
                .map_err(|e| ApiError::Malformed(describe_json_error(&e)).into())
        })
    }
}

fn json_config() -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(MAX_BODY_BYTES)
        .content_type_required(true)
        .content_type(|mime| mime.type_() == "application" && mime.subtype() == "json")
        .error_handler(|err: JsonPayloadError, _req: &HttpRequest| {
            let api = match err {
                JsonPayloadError::OverflowKnownLength { .. }
                | JsonPayloadError::Overflow { .. } => ApiError::PayloadTooLarge,
                JsonPayloadError::ContentType => ApiError::UnsupportedMediaType,
                JsonPayloadError::Deserialize(e) => ApiError::Malformed(describe_json_error(&e)),
                _ => ApiError::Malformed("Request body could not be read".into()),
            };
            api.into()
        })
}

/// Explains a body that is not the expected JSON without echoing its values.
fn describe_json_error(err: &serde_json::Error) -> String {
    use serde_json::error::Category;
    if !matches!(err.classify(), Category::Data) {
        return "Request body is not valid JSON".into();
    }
    // serde's text is "<problem> `<value>`, expected <what> at line L column C":
    // keep the problem and the expectation, never the echoed value.
    let text = err.to_string();
    let text = text.split(" at line ").next().unwrap_or_default();
    let reason = match text.split_once(", expected ") {
        Some((problem, expected)) if problem.starts_with("invalid type") => {
            format!("a field has the wrong type (expected {expected})")
        }
        Some((problem, _)) => problem.to_owned(),
        None => text.to_owned(),
    };
    format!("Request body does not match the expected shape: {reason}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_errors_name_the_problem_without_echoing_values() {
        let err = serde_json::from_str::<shared_types::LoginRequest>(
            r#"{"username":"secret-value","password":123456}"#,
        )
        .unwrap_err();
        let text = describe_json_error(&err);
        assert!(text.contains("wrong type"), "{text}");
        assert!(
            !text.contains("123456") && !text.contains("secret-value"),
            "{text}"
        );
        let err =
            serde_json::from_str::<shared_types::LoginRequest>(r#"{"password":"x"}"#).unwrap_err();
        assert!(describe_json_error(&err).contains("missing field `username`"));
    }
}
