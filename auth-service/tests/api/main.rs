//! Integration tests of the auth-service: the real service on port 0 against
//! a real MongoDB wire-protocol server, a fresh database per test.

// Test helpers outside `#[test]` functions unwrap freely: a panic is a failure.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli;
mod grpc;
mod grpc_trust;
mod helpers;
mod hostile;
mod login;
mod me;
mod memory;
mod metrics;
mod openapi;
mod outage;
mod rate_limits;
mod register;
mod sessions;
mod shutdown;
