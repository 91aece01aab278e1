//! Request tracing: one span per HTTP request (the subscriber itself is
//! `service_kit::telemetry`). Nothing here ever records a password or a
//! token: handlers only record ids.

use crate::metrics::Metrics;
use actix_web::{
    Error,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    middleware::Next,
    web,
};
use tracing::Instrument;

/// One span per HTTP request, with method, path and final status; the
/// request is also counted in [`Metrics`].
pub async fn trace_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let span = tracing::info_span!(
        "http",
        method = %req.method(),
        path = %req.path(),
        status = tracing::field::Empty,
    );
    let started = std::time::Instant::now();
    let method = req.method().to_string();
    let route = req.match_pattern().unwrap_or_else(|| "unmatched".into());
    let metrics = req.app_data::<web::Data<Metrics>>().cloned();
    let response = next.call(req).instrument(span.clone()).await?;
    let status = response.status().as_u16();
    span.record("status", status);
    if let Some(metrics) = metrics {
        metrics.observe(&method, &route, status, started.elapsed());
    }
    tracing::debug!(parent: &span, "request handled");
    Ok(response)
}
