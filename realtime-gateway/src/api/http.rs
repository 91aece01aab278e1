//! The server API's HTTP routes: `POST /api/v1/<operation>` and
//! `GET /api/v1/info`, behind the `Authorization: Bearer <key>` check
//! (constant time, [`BearerKeys`](service_kit::bearer::BearerKeys)). Bodies
//! over [`MAX_BODY`] are 413 `payload_too_large`; every answer is counted in
//! `gatehouse_gateway_server_api_requests_total{method, code}`.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, Request, State};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;

use super::ApiContext;
use super::error::{ApiCode, ApiError};
use super::ops::{Method, run};

/// Largest accepted request body.
pub const MAX_BODY: usize = 64 * 1024;

/// The server API's router.
pub fn router(ctx: Arc<ApiContext>) -> Router {
    Router::new()
        .route("/api/v1/info", get(info))
        .route("/api/v1/{method}", post(operation))
        .fallback(|| async { ApiError::new(ApiCode::NotFound, "no such operation") })
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(axum::middleware::from_fn_with_state(ctx.clone(), authorize))
        .with_state(ctx)
}

/// Refuses a request without an accepted key (401 `invalid_api_key`). The
/// presented key is never logged.
async fn authorize(State(ctx): State<Arc<ApiContext>>, req: Request, next: Next) -> Response {
    let presented = req.headers().get(AUTHORIZATION).map(|v| v.as_bytes());
    if !ctx.keys.accepts_header(presented) {
        return ApiError::new(ApiCode::InvalidApiKey, "missing or unknown API key").into_response();
    }
    next.run(req).await
}

async fn operation(
    State(ctx): State<Arc<ApiContext>>,
    Path(method): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> Response {
    let method = match method.parse::<Method>() {
        Ok(Method::Info) | Err(_) => {
            return ApiError::new(ApiCode::NotFound, "no such operation").into_response();
        }
        Ok(method) => method,
    };
    let body = match body {
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(ApiError::new(
            ApiCode::PayloadTooLarge,
            format!("the body is larger than {MAX_BODY} bytes"),
        )),
        Err(_) => Err(ApiError::malformed("the body could not be read")),
        Ok(bytes) => serde_json::from_slice::<Value>(&bytes)
            .map_err(|_| ApiError::malformed("the body is not JSON")),
    };
    respond(run(&ctx, method, body).await)
}

/// `GET /api/v1/info`.
async fn info(State(ctx): State<Arc<ApiContext>>) -> Response {
    respond(run(&ctx, Method::Info, Ok(Value::Null)).await)
}

fn respond(reply: Result<Value, ApiError>) -> Response {
    match reply {
        Ok(v) => axum::Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}
