//! The server API's HTTP routes: `POST /api/v1/<operation>` and
//! `GET /api/v1/info`, behind the `Authorization: Bearer <key>` check
//! (constant time, [`BearerKeys`](service_kit::bearer::BearerKeys)). Bodies
//! over [`MAX_BODY`] are 413 `payload_too_large`; every answer is counted in
//! `gatehouse_gateway_server_api_requests_total{method, code}`.

use std::collections::HashSet;
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
use serde_json::{Value, json};

use super::ApiContext;
use super::error::{ApiCode, ApiError};
use super::ops::{Method, execute};

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
    let Ok(method) = method.parse::<Method>() else {
        return ApiError::new(ApiCode::NotFound, "no such operation").into_response();
    };
    let reply = match body {
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(ApiError::new(
            ApiCode::PayloadTooLarge,
            format!("the body is larger than {MAX_BODY} bytes"),
        )),
        Err(_) => Err(ApiError::malformed("the body could not be read")),
        Ok(bytes) => match serde_json::from_slice::<Value>(&bytes) {
            Ok(body) => execute(&ctx, method, body).await,
            Err(_) => Err(ApiError::malformed("the body is not JSON")),
        },
    };
    let code = reply.as_ref().map_or_else(|e| e.code.as_str(), |_| "ok");
    ctx.state.metrics.server_api_request(method.into(), code);
    match reply {
        Ok(v) => axum::Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}

/// This node's authenticated sockets, distinct users, and rooms other than
/// the per-user and per-session ones.
async fn info(State(ctx): State<Arc<ApiContext>>) -> Response {
    let (connections, users) = ctx.local.census();
    let reply = ctx
        .cluster
        .local_rooms()
        .await
        .map_err(|e| ApiError::unavailable(&e))
        .map(|rooms| {
            let rooms: HashSet<String> = rooms
                .into_iter()
                .filter(|r| !r.starts_with("user:") && !r.starts_with("session:"))
                .collect();
            json!({"connections": connections, "users": users, "rooms": rooms.len()})
        });
    let code = reply.as_ref().map_or_else(|e| e.code.as_str(), |_| "ok");
    ctx.state.metrics.server_api_request("info", code);
    match reply {
        Ok(v) => axum::Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}
