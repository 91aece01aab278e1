//! `/healthz` (alive: always 200 while the process serves) and `/readyz`
//! (200 once the JWKS is loaded and the revocation stream is up, 503 with
//! the reason before that, while the auth-service refuses the gateway's
//! credentials, and while draining). The `healthcheck` subcommand the
//! container HEALTHCHECK runs is `service_kit::process::healthcheck`.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use std::sync::Arc;

use axum::http::header::CONTENT_TYPE;

use crate::metrics::Metrics;
use crate::socket::control::LocalSockets;
use crate::state::AppState;

/// The health routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { StatusCode::OK }))
        .route("/readyz", get(readyz))
        .with_state(state)
}

/// `GET /metrics`: the Prometheus exposition, gauges read from `sockets`.
pub fn metrics_router(metrics: Metrics, sockets: Arc<dyn LocalSockets>) -> Router {
    Router::new().route(
        "/metrics",
        get(move || {
            let text = metrics.render(sockets.as_ref());
            async move { ([(CONTENT_TYPE, service_kit::metrics::CONTENT_TYPE)], text) }
        }),
    )
}

/// 200 `{"ready":true}`, or 503 `{"ready":false,"reason":…}` naming what
/// is missing (see [`crate::state::NotReady`]).
async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<serde_json::Value>) {
    match state.readiness() {
        Ok(()) => (StatusCode::OK, Json(json!({"ready": true}))),
        Err(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"ready": false, "reason": reason.as_str()})),
        ),
    }
}
