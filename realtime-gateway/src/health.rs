//! `/healthz` (alive: always 200 while the process serves) and `/readyz`
//! (200 once the JWKS is loaded and the revocation stream is up, 503 before
//! that and while draining), plus the `healthcheck` subcommand used by the
//! container HEALTHCHECK, which has no curl.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;

use crate::state::AppState;

/// The health routes.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(|| async { StatusCode::OK }))
        .route("/readyz", get(readyz))
        .with_state(state)
}

async fn readyz(State(state): State<AppState>) -> StatusCode {
    if state.is_ready() {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
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
