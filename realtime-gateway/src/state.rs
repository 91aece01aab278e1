//! Shared state of the gateway, handed to socket handlers through
//! socketioxide's `State` extractor and to the HTTP routes through axum's.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::grpc::SessionChecker;
use crate::socket::limits::ConnectionLimiter;
use crate::token::TokenVerifier;

/// Cheap-to-clone handle on the gateway state.
pub type AppState = Arc<GatewayState>;

/// Everything handlers share. Keys and validation rules live here, never in
/// a `static`.
pub struct GatewayState {
    /// Local JWT verification.
    pub verifier: TokenVerifier,
    /// `CheckSession` with collapsing and a short positive cache.
    pub sessions: SessionChecker,
    /// `MAX_CONNECTIONS_PER_USER`.
    pub limiter: Arc<ConnectionLimiter>,
    /// Whether the revocation stream is subscribed (gRPC reachable).
    pub grpc_connected: Arc<AtomicBool>,
    /// Set on SIGTERM: refuse handshakes, report not ready.
    pub draining: AtomicBool,
    /// `MAX_EVENT_BYTES`.
    pub max_event_bytes: usize,
    /// `EVENT_BURST`.
    pub event_burst: u32,
    /// `EVENT_RATE_PER_SEC`.
    pub event_rate_per_sec: f64,
    /// `AUTH_EXPIRING_LEAD`.
    pub auth_expiring_lead: Duration,
}

impl GatewayState {
    /// Ready = keys loaded, gRPC stream up, not draining.
    pub fn is_ready(&self) -> bool {
        self.verifier.jwks().is_loaded()
            && self.grpc_connected.load(Ordering::Acquire)
            && !self.is_draining()
    }

    /// Whether the gateway is shutting down.
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Acquire)
    }
}
