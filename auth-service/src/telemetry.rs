//! Logging: `tracing` to stdout, pretty for people or JSON for collectors;
//! `RUST_LOG` overrides the default `info` filter. Nothing here ever records a
//! password or a token: handlers only record ids.

use actix_web::{
    Error,
    body::MessageBody,
    dev::{ServiceRequest, ServiceResponse},
    middleware::Next,
};
use tracing::Instrument;
use tracing_subscriber::{EnvFilter, fmt};

use crate::config::LogFormat;

/// Installs the global subscriber; a second call (tests) is a no-op.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stdout);
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(false).try_init(),
        LogFormat::Pretty => builder.try_init(),
    };
}

/// One span per HTTP request, with method, path and final status.
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
    let response = next.call(req).instrument(span.clone()).await?;
    span.record("status", response.status().as_u16());
    tracing::debug!(parent: &span, "request handled");
    Ok(response)
}
