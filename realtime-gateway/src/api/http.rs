//! The server API's HTTP routes: `POST /api/v1/<operation>`,
//! `GET /api/v1/info` and `GET /api/v1/openapi.json`, behind the `Authorization: Bearer <key>` check
//! (constant time, [`BearerKeys`](service_kit::bearer::BearerKeys)). Bodies
//! over [`MAX_BODY`] are 413 `payload_too_large`; every answer is counted in
//! `gatehouse_gateway_server_api_requests_total{method, code}`.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;

use super::ApiContext;
use super::error::{ApiCode, ApiError};
use super::openapi::{ApiDoc, BatchReply, ErrorReply, InfoReply, OkReply, PresenceReply};
use super::ops::{self, Method, run};
use utoipa::OpenApi;

/// Largest accepted request body.
pub const MAX_BODY: usize = 64 * 1024;

/// The server API's router.
pub fn router(ctx: Arc<ApiContext>) -> Router {
    Router::new()
        .route("/api/v1/info", get(info))
        .route("/api/v1/openapi.json", get(openapi_json))
        .route("/api/v1/publish", post(publish))
        .route("/api/v1/broadcast", post(broadcast))
        .route("/api/v1/subscribe", post(subscribe))
        .route("/api/v1/unsubscribe", post(unsubscribe))
        .route("/api/v1/disconnect", post(disconnect))
        .route("/api/v1/presence", post(presence))
        .route("/api/v1/batch", post(batch))
        .fallback(|| async { ApiError::new(ApiCode::NotFound, "no such operation") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                ApiCode::MethodNotAllowed,
                "this operation takes another method",
            )
        })
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

type Body = Result<Bytes, BytesRejection>;

/// Reads the body as JSON and runs `method`.
async fn operation(ctx: &ApiContext, method: Method, body: Body) -> Response {
    let body = match body {
        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => Err(ApiError::new(
            ApiCode::PayloadTooLarge,
            format!("the body is larger than {MAX_BODY} bytes"),
        )),
        Err(_) => Err(ApiError::malformed("the body could not be read")),
        Ok(bytes) => serde_json::from_slice::<Value>(&bytes)
            .map_err(|_| ApiError::malformed("the body is not JSON")),
    };
    respond(run(ctx, method, body).await)
}

/// Declares one `POST /api/v1/<operation>` route: its handler and its
/// OpenAPI description.
macro_rules! operation_route {
    ($name:ident, $method:expr, $body:ty, $reply:ty, $summary:literal) => {
        #[doc = $summary]
        #[utoipa::path(
            post,
            path = concat!("/api/v1/", stringify!($name)),
            summary = $summary,
            request_body = $body,
            responses(
                (status = 200, body = $reply),
                (status = 400, body = ErrorReply, description = "malformed_request, invalid_event or invalid_room"),
                (status = 401, body = ErrorReply, description = "invalid_api_key"),
                (status = 413, body = ErrorReply, description = "payload_too_large"),
                (status = 503, body = ErrorReply, description = "unavailable: retry"),
            ),
        )]
        pub async fn $name(State(ctx): State<Arc<ApiContext>>, body: Body) -> Response {
            operation(&ctx, $method, body).await
        }
    };
}

operation_route!(
    publish,
    Method::Publish,
    ops::Publish,
    OkReply,
    "An event to a room or to all of a user's sockets."
);
operation_route!(
    broadcast,
    Method::Broadcast,
    ops::Broadcast,
    OkReply,
    "One event to each of 1 to 100 rooms."
);
operation_route!(
    subscribe,
    Method::Subscribe,
    ops::Membership,
    OkReply,
    "Every live socket of a user joins a room."
);
operation_route!(
    unsubscribe,
    Method::Unsubscribe,
    ops::Membership,
    OkReply,
    "Every live socket of a user leaves a room."
);
operation_route!(
    disconnect,
    Method::Disconnect,
    ops::Disconnect,
    OkReply,
    "Closes a user's sockets, or one session's."
);
operation_route!(
    presence,
    Method::Presence,
    ops::Presence,
    PresenceReply,
    "Every member of a presence room."
);
operation_route!(
    batch,
    Method::Batch,
    ops::Batch,
    BatchReply,
    "1 to 100 commands, in order, one reply each."
);

/// `GET /api/v1/info`.
#[utoipa::path(
    get,
    path = "/api/v1/info",
    summary = "This node's authenticated sockets, distinct users and rooms.",
    responses((status = 200, body = InfoReply), (status = 401, body = ErrorReply)),
)]
pub async fn info(State(ctx): State<Arc<ApiContext>>) -> Response {
    respond(run(&ctx, Method::Info, Ok(Value::Null)).await)
}

/// `GET /api/v1/openapi.json`.
#[utoipa::path(
    get,
    path = "/api/v1/openapi.json",
    summary = "This document.",
    responses((status = 200, description = "OpenAPI 3.1 JSON")),
)]
pub async fn openapi_json() -> Response {
    axum::Json(ApiDoc::openapi()).into_response()
}

fn respond(reply: Result<Value, ApiError>) -> Response {
    match reply {
        Ok(v) => axum::Json(v).into_response(),
        Err(e) => e.into_response(),
    }
}
