//! Who may call the gRPC services: every RPC except `grpc.health.v1` (which
//! probes use) must carry `authorization: Bearer <AUTH_GRPC_TOKEN>`; anything
//! else is `UNAUTHENTICATED` before the service sees the request. The check
//! is a tonic interceptor wrapped around each protected service.

use service_kit::bearer::BearerKeys;
use tonic::{Request, Status};

/// The interceptor: with no keys configured (loopback-only development, see
/// `config`), every caller is let through.
#[derive(Clone)]
pub struct CallerCheck {
    keys: Option<BearerKeys>,
}

impl CallerCheck {
    /// Checks callers against `keys`.
    pub fn new(keys: Option<BearerKeys>) -> Self {
        Self { keys }
    }
}

impl tonic::service::Interceptor for CallerCheck {
    fn call(&mut self, request: Request<()>) -> Result<Request<()>, Status> {
        let Some(keys) = &self.keys else {
            return Ok(request);
        };
        let presented = request
            .metadata()
            .get("authorization")
            .map(|v| v.as_bytes());
        if keys.accepts_header(presented) {
            Ok(request)
        } else {
            tracing::warn!("gRPC call refused: missing or wrong credentials");
            Err(Status::unauthenticated("missing or invalid credentials"))
        }
    }
}
