//! Shared state of the gateway, handed to socket handlers through
//! socketioxide's `State` extractor and to the HTTP routes through axum's.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::door::Door;
use crate::fanout::Fanout;
use crate::grpc::{LinkState, LinkStatus, SessionChecker};
use crate::hooks::Hooks;
use crate::metrics::Metrics;
use crate::presence::store::Store;
use crate::redis_conn::RedisWatch;
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
    /// The gRPC link to the auth-service: up, down, or credentials refused.
    pub auth_link: Arc<LinkStatus>,
    /// Set on SIGTERM: refuse handshakes, report not ready.
    pub draining: AtomicBool,
    /// `MAX_EVENT_BYTES`.
    pub max_event_bytes: usize,
    /// `EVENT_BURST`.
    pub event_burst: u32,
    /// `MAX_ROOMS_PER_SOCKET`.
    pub max_rooms_per_socket: usize,
    /// `EVENT_RATE_PER_SEC`.
    pub event_rate_per_sec: f64,
    /// `AUTH_EXPIRING_LEAD`.
    pub auth_expiring_lead: Duration,
    /// Prometheus metrics.
    pub metrics: Metrics,
    /// The front door's limits and pending sessions.
    pub door: Arc<Door>,
    /// Room events relayed to the other gateways.
    pub fanout: Arc<Fanout>,
    /// Presence counts (Redis with `REDIS_URL`, else in memory).
    pub presence: Store,
    /// The application's hooks.
    pub hooks: Hooks,
    /// `RPC_MAX_INFLIGHT`.
    pub rpc_max_inflight: usize,
    /// Whether Redis answers (`None` on a single node).
    pub redis: Option<Arc<RedisWatch>>,
}

/// Why the gateway is not ready; the text `/readyz` answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotReady {
    /// The auth-service's public keys are not loaded yet.
    KeysNotLoaded,
    /// No revocation stream (auth-service gRPC unreachable).
    AuthUnreachable,
    /// The auth-service refused the gateway's `AUTH_GRPC_TOKEN`.
    AuthRefusedCredentials,
    /// `REDIS_URL` is set and Redis does not answer.
    RedisUnreachable,
    /// Shutting down.
    Draining,
}

impl NotReady {
    /// The stable reason string.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::KeysNotLoaded => "jwks_not_loaded",
            Self::AuthUnreachable => "auth_grpc_unreachable",
            Self::AuthRefusedCredentials => "auth_grpc_credentials_refused",
            Self::RedisUnreachable => "redis_unreachable",
            Self::Draining => "draining",
        }
    }
}

impl GatewayState {
    /// Ready = keys loaded, gRPC stream up, Redis answering (when used),
    /// not draining; else the first
    /// reason it is not.
    pub fn readiness(&self) -> Result<(), NotReady> {
        if self.is_draining() {
            return Err(NotReady::Draining);
        }
        if self.redis.as_ref().is_some_and(|r| !r.is_up()) {
            return Err(NotReady::RedisUnreachable);
        }
        match self.auth_link.get() {
            LinkState::Refused => return Err(NotReady::AuthRefusedCredentials),
            LinkState::Down => return Err(NotReady::AuthUnreachable),
            LinkState::Up => {}
        }
        if !self.verifier.jwks().is_loaded() {
            return Err(NotReady::KeysNotLoaded);
        }
        Ok(())
    }

    /// Whether the gateway should receive traffic.
    pub fn is_ready(&self) -> bool {
        self.readiness().is_ok()
    }

    /// Whether the gateway is shutting down.
    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::Acquire)
    }
}
