//! Who may call a gRPC service: the request must carry `authorization:
//! Bearer <key>` with one of the configured keys (`AUTH_GRPC_TOKEN` on the
//! auth-service, `GATEWAY_API_KEYS` on the gateway's server API); anything
//! else is `UNAUTHENTICATED` before the service sees the request.

use crate::bearer::BearerKeys;
use tonic::{Request, Status};

/// The interceptor: with no keys configured (the auth-service's loopback-only
/// development mode), every caller is let through.
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
