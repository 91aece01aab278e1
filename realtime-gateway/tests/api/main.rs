//! Gateway tests against the real server on port 0, with a fake auth-service.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod cli;
mod events;
mod handshake;
mod helpers;
mod lifecycle;
mod presence_store;
mod redis;
mod server_api;
mod server_api_cluster;
mod server_api_grpc;
