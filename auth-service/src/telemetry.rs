//! Logging: `tracing` to stdout, pretty for people or JSON for collectors;
//! `RUST_LOG` overrides the default `info` filter. Nothing here ever records a
//! password or a token: handlers only record ids.

use actix_web::{
    Error,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    middleware::Next,
    web,
};
use tracing::Instrument;
use tracing_subscriber::{EnvFilter, fmt};

use crate::{config::LogFormat, metrics::Metrics};

/// Installs the global subscriber; a second call (tests) is a no-op.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stdout);
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(false).try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}

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
