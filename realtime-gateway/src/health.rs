//! `/healthz` (alive: always 200 while the process serves) and `/readyz`
//! (200 once the JWKS is loaded and the revocation stream is up, 503 with
//! the reason before that, while the auth-service refuses the gateway's
//! credentials, and while draining), plus the `healthcheck` subcommand used by the
//! container HEALTHCHECK, which has no curl.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

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

/// GETs `/healthz` on `addr` (an unspecified address becomes loopback):
/// exit 0 on 200, 1 otherwise.
pub async fn healthcheck(addr: SocketAddr) -> ExitCode {
    let mut target = addr;
    if target.ip().is_unspecified() {
        target.set_ip(match addr.ip() {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
        });
    }
    let url = format!("http://{target}/healthz");
    let client = match reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
        .build()
    {
        Ok(c) => c,
        Err(_) => return ExitCode::FAILURE,
    };
    match client.get(&url).send().await {
        Ok(resp) if resp.status() == reqwest::StatusCode::OK => ExitCode::SUCCESS,
        _ => ExitCode::FAILURE,
    }
}
