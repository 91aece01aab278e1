//! The gateway's front door: what an unauthenticated client may hold.
//!
//! Nothing a client sends before it authenticates may hold memory, file
//! descriptors or sessions for long, so every stage is bounded:
//! - **TCP** ([`serve`]): headers must arrive within `HEADER_READ_TIMEOUT`,
//!   and at most `MAX_PENDING_CONNECTIONS` connections may be waiting for
//!   their first request; beyond that new connections are closed at once.
//! - **engine.io open** ([`admission`]): before any token work, a handshake
//!   token bucket per client address (`HANDSHAKE_RATE_PER_ADDRESS`) and caps
//!   on unauthenticated sessions per address (`MAX_PENDING_PER_ADDRESS`) and
//!   per node (`MAX_PENDING_SESSIONS`) answer 429 / 503.
//! - **socket.io CONNECT**: a session that never sends it is closed after
//!   `CONNECT_TIMEOUT`; one whose handshake was refused (other than with the
//!   retryable `auth_unavailable`) is closed `REFUSED_SESSION_GRACE` later,
//!   once its client has read the code ([`Door::after_refusal`]).
//! - **Binary attachments** are bounded by `MAX_EVENT_BYTES` in total and
//!   [`MAX_BINARY_ATTACHMENTS`] per packet (socketioxide's parser limits; a
//!   packet beyond either closes the connection).
//!
//! Authenticated sockets never count against these limits: their pending
//! slot is released when the handshake succeeds.

pub mod admission;
pub mod killable;
pub mod serve;
pub mod slot;

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use moka::sync::Cache;
use socketioxide::TransportType;
use socketioxide::adapter::Adapter;
use socketioxide::extract::SocketRef;

use crate::metrics::{Metrics, ShedReason};
pub use killable::ConnInfo;
pub use slot::{Pending, PendingSlot};

/// Binary attachments one socket.io packet may carry.
pub const MAX_BINARY_ATTACHMENTS: usize = 8;

/// The front-door limits (see the crate's configuration).
#[derive(Debug, Clone)]
pub struct DoorLimits {
    /// `HEADER_READ_TIMEOUT`.
    pub header_read_timeout: Duration,
    /// `MAX_PENDING_CONNECTIONS`.
    pub max_pending_connections: usize,
    /// `MAX_PENDING_SESSIONS`.
    pub max_pending_sessions: usize,
    /// `MAX_PENDING_PER_ADDRESS`.
    pub max_pending_per_address: usize,
    /// `HANDSHAKE_RATE_PER_ADDRESS` (per second; `0` = unlimited); the
    /// burst is twice the rate.
    pub handshake_rate_per_address: u32,
    /// `CONNECT_TIMEOUT`.
    pub connect_timeout: Duration,
    /// `REFUSED_SESSION_GRACE`.
    pub refused_session_grace: Duration,
    /// `TRUSTED_PROXY_HOPS`.
    pub trusted_proxy_hops: usize,
}

/// The front door's shared state.
pub struct Door {
    limits: DoorLimits,
    pending: Pending,
    rate: Option<DefaultKeyedRateLimiter<IpAddr>>,
    /// Long-polling sessions refused and past their grace: their requests
    /// are answered "unknown session" until socketioxide drops them.
    refused: Cache<String, ()>,
    metrics: Metrics,
}

impl Door {
    /// A door with these limits, reporting sheds to `metrics`.
    pub fn new(limits: DoorLimits, metrics: Metrics) -> Arc<Self> {
        let rate = NonZeroU32::new(limits.handshake_rate_per_address).map(|per_sec| {
            let burst = per_sec.saturating_mul(NonZeroU32::MIN.saturating_add(1));
            RateLimiter::keyed(Quota::per_second(per_sec).allow_burst(burst))
        });
        Arc::new(Self {
            pending: Pending::new(limits.max_pending_sessions, limits.max_pending_per_address),
            refused: Cache::builder()
                .max_capacity(100_000)
                .time_to_live(limits.connect_timeout + Duration::from_secs(1))
                .build(),
            rate,
            limits,
            metrics,
        })
    }

    /// The limits.
    pub fn limits(&self) -> &DoorLimits {
        &self.limits
    }

    /// Counts a shed connection.
    pub fn shed(&self, reason: ShedReason) {
        self.metrics.shed(reason);
    }

    /// Forgets addresses idle long enough that their bucket is full again
    /// (keeps the rate limiter's map bounded); run periodically.
    pub fn forget_idle(&self) {
        if let Some(rate) = &self.rate {
            rate.retain_recent();
            rate.shrink_to_fit();
        }
    }

    /// Called when a handshake was refused with a final code: once the
    /// client has had `REFUSED_SESSION_GRACE` to read it, the session's
    /// connection is closed, unless a later CONNECT on the same session
    /// succeeded meanwhile (a client that refreshed its token in time).
    pub fn after_refusal<A: Adapter>(self: &Arc<Self>, s: &SocketRef<A>) {
        let conn = s.req_parts().extensions.get::<ConnInfo>().cloned();
        let slot = s.req_parts().extensions.get::<Arc<PendingSlot>>().cloned();
        let transport = s.transport_type();
        let sid = s.id.to_string();
        let door = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(door.limits.refused_session_grace).await;
            if slot.as_ref().is_some_and(|s| s.is_released()) {
                return; // authenticated on a later try
            }
            door.shed(ShedReason::Refused);
            if transport == TransportType::Polling {
                door.refused.insert(sid, ());
            }
            if let Some(conn) = conn {
                conn.kill();
            }
        });
    }

    /// Whether a long-polling session was refused and closed.
    pub fn is_refused(&self, sid: &str) -> bool {
        self.refused.contains_key(sid)
    }
}

#[cfg(test)]
#[path = "door_tests.rs"]
mod tests;
