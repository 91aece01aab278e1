//! The server side of the project's gRPC: every service but
//! `grpc.health.v1` (which probes use) checks its caller's bearer key
//! ([`super::CallerCheck`]); health and reflection are served beside it; each
//! request's span carries the caller's W3C trace id.

use std::convert::Infallible;
use std::future::Future;

use tokio::net::TcpListener;
use tokio_stream::wrappers::TcpListenerStream;
use tonic::body::Body;
use tonic::codegen::Service;
use tonic::codegen::http::{Request, Response};
use tonic::server::NamedService;
use tonic::service::interceptor::InterceptedService;

use super::CallerCheck;

/// The trace id of a valid W3C `traceparent` header (the caller's trace,
/// recorded in this service's span so both logs can be joined).
pub fn trace_id(headers: &tonic::codegen::http::HeaderMap) -> Option<&str> {
    let value = headers.get("traceparent")?.to_str().ok()?;
    let mut parts = value.split('-');
    let (version, trace_id, parent_id, flags) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    let hex = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit());
    let valid = hex(version, 2)
        && hex(trace_id, 32)
        && hex(parent_id, 16)
        && hex(flags, 2)
        && parts.next().is_none()
        && trace_id.bytes().any(|b| b != b'0');
    valid.then_some(trace_id)
}

/// Serves `service` (behind `callers`), `grpc.health.v1` reporting it
/// serving, and reflection over `descriptor` on `listener` until `shutdown`
/// resolves.
pub async fn serve<S>(
    listener: TcpListener,
    descriptor: &'static [u8],
    service: S,
    callers: CallerCheck,
    shutdown: impl Future<Output = ()> + Send,
) -> Result<(), ServeError>
where
    S: Service<Request<Body>, Response = Response<Body>, Error = Infallible>
        + NamedService
        + Clone
        + Send
        + Sync
        + 'static,
    S::Future: Send + 'static,
{
    let (health_reporter, health_service) = tonic_health::server::health_reporter();
    health_reporter
        .set_service_status(S::NAME, tonic_health::ServingStatus::Serving)
        .await;
    let reflection = tonic_reflection::server::Builder::configure()
        .register_encoded_file_descriptor_set(descriptor)
        .register_encoded_file_descriptor_set(tonic_health::pb::FILE_DESCRIPTOR_SET)
        .build_v1()?;
    tonic::transport::Server::builder()
        .trace_fn(|request| {
            let trace_id = trace_id(request.headers()).unwrap_or_default();
            tracing::info_span!("grpc", path = %request.uri().path(), trace_id)
        })
        .add_service(health_service)
        .add_service(InterceptedService::new(reflection, callers.clone()))
        .add_service(InterceptedService::new(service, callers))
        .serve_with_incoming_shutdown(TcpListenerStream::new(listener), shutdown)
        .await?;
    Ok(())
}

/// The gRPC server could not start or failed.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// The reflection descriptor is unusable.
    #[error("gRPC reflection: {0}")]
    Reflection(#[from] tonic_reflection::server::Error),
    /// The transport failed.
    #[error("gRPC transport: {0}")]
    Transport(#[from] tonic::transport::Error),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(traceparent: &str) -> tonic::codegen::http::HeaderMap {
        let mut map = tonic::codegen::http::HeaderMap::new();
        map.insert("traceparent", traceparent.parse().unwrap());
        map
    }

    #[test]
    fn a_valid_traceparent_yields_its_trace_id() {
        let value = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        assert_eq!(
            trace_id(&headers(value)),
            Some("4bf92f3577b34da6a3ce929d0e0e4736")
        );
    }

    #[test]
    fn malformed_or_absent_traceparents_are_ignored() {
        for bad in [
            "garbage",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e47zz-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
        ] {
            assert_eq!(trace_id(&headers(bad)), None, "{bad}");
        }
        assert_eq!(trace_id(&tonic::codegen::http::HeaderMap::new()), None);
    }
}
