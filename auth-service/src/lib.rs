//! Gatehouse auth-service: accounts, passwords and tokens.
//!
//! Map of the crate:
//! - [`config`]: settings from the environment, validated at start.
//! - [`startup`]: binds the HTTP and gRPC listeners and runs them until shutdown.
//! - [`state`]: `AppState`, what the HTTP handlers share.
//! - [`routes`]: the actix-web HTTP API, one file per resource.
//! - [`grpc`]: the tonic `UserDirectory` service gateways call.
//! - [`domain`]: validated usernames, emails and passwords (no I/O).
//! - [`credentials`]: argon2id hashing on bounded blocking threads.
//! - [`rate_limit`]: brute-force limits shared by every replica.
//! - [`tokens`]: the Ed25519 key ring, access JWTs and refresh tokens.
//! - [`store`]: typed MongoDB access (users, sessions, revocation log).
//! - [`error`]: the HTTP error type and its `{code, message}` bodies.
//! - [`telemetry`]: tracing setup and the per-request span.
//! - [`metrics`]: Prometheus request metrics.

pub mod config;
pub mod credentials;
pub mod domain;
pub mod error;
pub mod grpc;
pub mod metrics;
pub mod rate_limit;
pub mod routes;
pub mod startup;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod tokens;
