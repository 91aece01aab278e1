//! Gatehouse realtime-gateway: a socket.io server (axum + socketioxide) that
//! authenticates every handshake with an access token, keeps each socket's
//! session honest for its whole life, and scales out through Redis.
//!
//! Crate map:
//! - [`api`]: the server API for the application's backends (own listener).
//! - [`config`]: `Settings` from environment variables, `--help` text.
//! - [`door`]: the front door — header timeout, pending-connection and
//!   pending-session caps, handshake rate per address, refused-session grace.
//! - [`fanout`]: room events to local members and other gateways, slow
//!   consumers disconnected instead of silently skipped.
//! - [`hooks`]: the application's room-authorization and RPC hooks
//!   (signed HTTP calls, fail closed).
//! - [`presence`]: who is in a presence room, across replicas.
//! - [`redis_conn`]: the shared, lazily reopened Redis connection.
//! - [`compact`]: frees hyper's read buffer from long-lived request parts.
//! - [`telemetry`]: tracing subscriber (pretty / JSON).
//! - [`startup`]: `Application` — binds, wires, runs, drains.
//! - [`health`]: `/healthz`, `/readyz`, the `healthcheck` subcommand.
//! - [`state`]: the state shared by handlers.
//! - [`error`]: `AuthError`, `ConnectError` and their client codes.
//! - [`token`]: JWKS cache and JWT verification (local, no network per token).
//! - [`grpc`]: `CheckSession` (collapsed, cached) and the revocation watcher.
//! - [`socket`]: handshake middleware, event handlers, room policy, limits,
//!   token lifetime, drain.

pub mod api;
pub mod compact;
pub mod config;
pub mod door;
pub mod error;
pub mod fanout;
pub mod grpc;
pub mod health;
pub mod hooks;
pub mod metrics;
pub mod presence;
pub mod redis_conn;
pub mod socket;
pub mod startup;
pub mod state;
pub mod telemetry;
pub mod token;
