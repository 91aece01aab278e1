//! Plumbing that both Gatehouse services need and that must behave the same
//! in each: it lives here once, so the services never depend on each other
//! and `shared-types` stays plain data.
//!
//! - [`access_token`]: the access-token rules, for the issuer and every
//!   verifier.
//! - [`bearer`]: shared-secret credentials (`AUTH_GRPC_TOKEN`,
//!   `GATEWAY_API_KEYS`): parsed from a comma-separated list, checked against
//!   an `Authorization: Bearer …` value in constant time, never printed.
//! - [`grpc`]: both sides of those credentials as tonic interceptors, and a
//!   server with health, reflection and W3C trace ids.
//! - [`env`]: which environment variables a settings parser reads.
//! - [`client_ip`]: the client address behind `TRUSTED_PROXY_HOPS` proxies.
//! - [`telemetry`]: `LOG_FORMAT`, the `RUST_LOG` filter (invalid = error),
//!   the global subscriber.
//! - [`process`]: the shutdown signal and the `healthcheck` probe.
//! - [`metrics`]: the Prometheus exposition of a `prometheus-client`
//!   registry and the latency buckets both services use.

pub mod access_token;
pub mod bearer;
pub mod client_ip;
pub mod env;
pub mod grpc;
pub mod metrics;
pub mod process;
pub mod telemetry;
