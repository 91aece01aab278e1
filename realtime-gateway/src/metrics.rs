//! The gateway's Prometheus metrics (`GET /metrics` on `GATEWAY_ADDR`).
//!
//! Every family is registered at start and every label set it can take is
//! created at zero, so dashboards and `absent()` alerts never see a family
//! missing. Labels are `&'static str` values from the code's own enums and
//! constants (connect_error codes, ack codes, the known event names), never
//! client input: a client cannot add a series. Call sites record through the
//! typed methods below, never through metric names.

use std::sync::Arc;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use service_kit::metrics::latency_histogram;
use shared_types::ConnectErrorCode;
use shared_types::socket::EventErrorCode;
use strum::IntoEnumIterator;

/// The event names the `event` label takes; anything else is `unknown`.
pub const EVENTS: &[&str] = &[
    "whoami",
    "room:join",
    "room:leave",
    "room:members",
    "message",
    "auth:refresh",
    "rpc",
    "unknown",
];

/// The hooks (the `hook` label of `gatehouse_gateway_hook_seconds`).
pub const HOOKS: &[&str] = &["room_auth", "rpc"];

/// The server API operations (the `method` label of
/// `gatehouse_gateway_server_api_requests_total`).
pub const API_METHODS: &[&str] = &[
    "publish",
    "broadcast",
    "subscribe",
    "unsubscribe",
    "disconnect",
    "presence",
    "batch",
    "info",
];

/// Why a socket went away (the `reason` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum CloseReason {
    /// The client disconnected (namespace disconnect or closed transport).
    ClientClose,
    /// The connection broke (network error, heartbeat timeout).
    TransportError,
    /// The client sent something that could not be parsed.
    ProtocolError,
    /// The session was revoked (logout, deletion, refresh reuse).
    Revoked,
    /// The token expired un-refreshed.
    Expired,
    /// Sustained rate-limit abuse.
    RateAbuse,
    /// The socket could not keep up with what it was sent.
    SlowConsumer,
    /// A backend asked for it through the server API.
    ServerApi,
    /// The gateway is draining (SIGTERM) or stopping.
    Drain,
}

/// Why a connection was shed before it authenticated (front-door limits).
#[derive(Debug, Clone, Copy, PartialEq, Eq, strum::IntoStaticStr, strum::EnumIter)]
#[strum(serialize_all = "snake_case")]
pub enum ShedReason {
    /// No socket.io CONNECT within `CONNECT_TIMEOUT`.
    ConnectTimeout,
    /// Closed `REFUSED_SESSION_GRACE` after a refused handshake.
    Refused,
    /// Too many unauthenticated sessions from one address.
    PerAddressCap,
    /// Too many unauthenticated sessions on this node.
    NodeCap,
    /// Handshake rate of one address exceeded.
    HandshakeRate,
    /// HTTP headers not received within the header timeout.
    HeaderTimeout,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct OutcomeLabel {
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabel {
    reason: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct EventLabels {
    event: &'static str,
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct HookLabels {
    hook: &'static str,
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ApiLabels {
    method: &'static str,
    code: &'static str,
}

/// Counts this node's sockets and users at scrape time.
pub trait SocketCensus: Send + Sync {
    /// (authenticated sockets, distinct users) on this node.
    fn census(&self) -> (usize, usize);
}

/// Every metric of one gateway.
pub struct GatewayMetrics {
    registry: Registry,
    connections: Gauge,
    users: Gauge,
    handshakes: Family<OutcomeLabel, Counter>,
    disconnects: Family<ReasonLabel, Counter>,
    events: Family<EventLabels, Counter>,
    revocations_applied: Counter,
    revocation_lag: Histogram,
    check_session: Histogram,
    hooks: Family<HookLabels, Histogram, fn() -> Histogram>,
    server_api: Family<ApiLabels, Counter>,
    shed: Family<ReasonLabel, Counter>,
}

impl Default for GatewayMetrics {
    fn default() -> Self {
        Self::new()
    }
}

impl GatewayMetrics {
    /// Registers every family with each of its label sets at zero.
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let m = Self {
            connections: Gauge::default(),
            users: Gauge::default(),
            handshakes: Family::default(),
            disconnects: Family::default(),
            events: Family::default(),
            revocations_applied: Counter::default(),
            revocation_lag: latency_histogram(),
            check_session: latency_histogram(),
            hooks: Family::new_with_constructor(latency_histogram),
            server_api: Family::default(),
            shed: Family::default(),
            registry: Registry::default(),
        };
        let _ = m.handshakes.get_or_create(&OutcomeLabel { outcome: "ok" });
        for code in ConnectErrorCode::iter() {
            let _ = m.handshakes.get_or_create(&OutcomeLabel {
                outcome: code.as_str(),
            });
        }
        for reason in CloseReason::iter() {
            let _ = m.disconnects.get_or_create(&ReasonLabel {
                reason: reason.into(),
            });
        }
        for reason in ShedReason::iter() {
            let _ = m.shed.get_or_create(&ReasonLabel {
                reason: reason.into(),
            });
        }
        for hook in HOOKS {
            let _ = m.hooks.get_or_create(&HookLabels {
                hook,
                outcome: "ok",
            });
        }
        for method in API_METHODS {
            let _ = m
                .server_api
                .get_or_create(&ApiLabels { method, code: "ok" });
        }
        for event in EVENTS {
            let _ = m.events.get_or_create(&EventLabels {
                event,
                outcome: "ok",
            });
            for code in EventErrorCode::iter() {
                let _ = m.events.get_or_create(&EventLabels {
                    event,
                    outcome: code.into(),
                });
            }
        }
        registry.register(
            "gatehouse_gateway_connections",
            "Authenticated sockets on this node",
            m.connections.clone(),
        );
        registry.register(
            "gatehouse_gateway_users",
            "Distinct users with a socket on this node",
            m.users.clone(),
        );
        registry.register(
            "gatehouse_gateway_handshakes",
            "Handshakes by outcome: ok or the connect_error code",
            m.handshakes.clone(),
        );
        registry.register(
            "gatehouse_gateway_disconnects",
            "Authenticated sockets closed, by reason",
            m.disconnects.clone(),
        );
        registry.register(
            "gatehouse_gateway_events",
            "Client events by event and outcome (ok or the ack error code)",
            m.events.clone(),
        );
        registry.register(
            "gatehouse_gateway_revocations_applied",
            "Revocations received from the auth-service and applied",
            m.revocations_applied.clone(),
        );
        registry.register(
            "gatehouse_gateway_revocation_lag_seconds",
            "From a revocation's time in the auth-service's log to its sockets being closed here",
            m.revocation_lag.clone(),
        );
        registry.register(
            "gatehouse_gateway_check_session_seconds",
            "CheckSession round trips to the auth-service",
            m.check_session.clone(),
        );
        registry.register(
            "gatehouse_gateway_hook_seconds",
            "Application hook calls by hook and outcome",
            m.hooks.clone(),
        );
        registry.register(
            "gatehouse_gateway_server_api_requests",
            "Server API requests by method and response code",
            m.server_api.clone(),
        );
        registry.register(
            "gatehouse_gateway_sessions_shed",
            "Unauthenticated connections closed or refused by the front-door limits, by reason",
            m.shed.clone(),
        );
        Self { registry, ..m }
    }

    /// A finished handshake: `Ok` or its connect_error code.
    pub fn handshake(&self, outcome: Result<(), ConnectErrorCode>) {
        let outcome = outcome.map_or_else(ConnectErrorCode::as_str, |()| "ok");
        self.handshakes
            .get_or_create(&OutcomeLabel { outcome })
            .inc();
    }

    /// An authenticated socket closed.
    pub fn disconnect(&self, reason: CloseReason) {
        self.disconnects
            .get_or_create(&ReasonLabel {
                reason: reason.into(),
            })
            .inc();
    }

    /// A handled client event (`event` outside [`EVENTS`] counts as `unknown`).
    pub fn event(&self, event: &'static str, outcome: Result<(), EventErrorCode>) {
        let event = if EVENTS.contains(&event) {
            event
        } else {
            "unknown"
        };
        let outcome = outcome.map_or_else(<&'static str>::from, |()| "ok");
        self.events
            .get_or_create(&EventLabels { event, outcome })
            .inc();
    }

    /// A revocation applied, `lag` after it was logged.
    pub fn revocation_applied(&self, lag: Duration) {
        self.revocations_applied.inc();
        self.revocation_lag.observe(lag.as_secs_f64());
    }

    /// The `CheckSession` latency histogram (the session checker observes it).
    pub fn check_session(&self) -> Histogram {
        self.check_session.clone()
    }

    /// One hook call: `hook` is `room_auth` or `rpc`; `outcome` is `ok` or
    /// the failure's stable name.
    pub fn hook(&self, hook: &'static str, outcome: &'static str, took: Duration) {
        self.hooks
            .get_or_create(&HookLabels { hook, outcome })
            .observe(took.as_secs_f64());
    }

    /// One server API request: `method` is the operation, `code` `ok` or the
    /// error code answered.
    pub fn server_api_request(&self, method: &'static str, code: &'static str) {
        self.server_api
            .get_or_create(&ApiLabels { method, code })
            .inc();
    }

    /// A connection shed by a front-door limit.
    pub fn shed(&self, reason: ShedReason) {
        self.shed
            .get_or_create(&ReasonLabel {
                reason: reason.into(),
            })
            .inc();
    }

    /// The exposition, with the gauges read from `census` now.
    pub fn render(&self, census: &dyn SocketCensus) -> String {
        let (connections, users) = census.census();
        self.connections
            .set(i64::try_from(connections).unwrap_or(i64::MAX));
        self.users.set(i64::try_from(users).unwrap_or(i64::MAX));
        service_kit::metrics::render(&self.registry)
    }
}

/// Shared handle.
pub type Metrics = Arc<GatewayMetrics>;

#[cfg(test)]
mod tests {
    use super::*;

    struct Two;
    impl SocketCensus for Two {
        fn census(&self) -> (usize, usize) {
            (3, 2)
        }
    }

    #[test]
    fn every_family_is_listed_before_its_first_sample() {
        let text = GatewayMetrics::new().render(&Two);
        for family in [
            "gatehouse_gateway_connections",
            "gatehouse_gateway_users",
            "gatehouse_gateway_handshakes",
            "gatehouse_gateway_disconnects",
            "gatehouse_gateway_events",
            "gatehouse_gateway_revocations_applied",
            "gatehouse_gateway_revocation_lag_seconds",
            "gatehouse_gateway_check_session_seconds",
            "gatehouse_gateway_hook_seconds",
            "gatehouse_gateway_server_api_requests",
            "gatehouse_gateway_sessions_shed",
        ] {
            assert!(
                text.contains(&format!("# TYPE {family} ")),
                "{family} missing:\n{text}"
            );
        }
        assert!(text.contains("gatehouse_gateway_connections 3"), "{text}");
        assert!(text.contains("gatehouse_gateway_users 2"), "{text}");
        assert!(
            text.contains(r#"gatehouse_gateway_handshakes_total{outcome="session_revoked"} 0"#),
            "{text}"
        );
    }

    #[test]
    fn recording_moves_the_labelled_series_only() {
        let m = GatewayMetrics::new();
        m.handshake(Err(ConnectErrorCode::InvalidToken));
        m.event("message", Err(EventErrorCode::NotInRoom));
        m.event("made-up", Ok(()));
        m.disconnect(CloseReason::Revoked);
        let text = m.render(&Two);
        assert!(text.contains(r#"gatehouse_gateway_handshakes_total{outcome="invalid_token"} 1"#));
        assert!(text.contains(r#"gatehouse_gateway_handshakes_total{outcome="ok"} 0"#));
        assert!(
            text.contains(
                r#"gatehouse_gateway_events_total{event="message",outcome="not_in_room"} 1"#
            ),
            "{text}"
        );
        assert!(text.contains(r#"gatehouse_gateway_events_total{event="unknown",outcome="ok"} 1"#));
        assert!(!text.contains("made-up"));
        assert!(text.contains(r#"gatehouse_gateway_disconnects_total{reason="revoked"} 1"#));
    }
}
