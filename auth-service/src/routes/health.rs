//! Liveness (`/healthz`: the process answers), readiness (`/readyz`:
//! MongoDB answers and the indexes exist) and Prometheus metrics.

use actix_web::{HttpResponse, web};
use serde_json::json;

use crate::{error::ApiError, metrics::Metrics, state::AppState};

/// Always 200 while the process serves requests.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

/// 200 when MongoDB is reachable, otherwise 503 `unavailable`.
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    if state.store.is_ready().await {
        Ok(HttpResponse::Ok().json(json!({"status": "ready"})))
    } else {
        Err(ApiError::Unavailable)
    }
}

/// Prometheus text exposition.
pub async fn metrics(metrics: web::Data<Metrics>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(service_kit::metrics::CONTENT_TYPE)
        .body(metrics.render())
}
