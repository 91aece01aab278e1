//! The real auth-service and the real realtime-gateway together, on port 0,
//! against a real MongoDB wire-protocol server, spoken to over HTTP and over
//! socket.io on a WebSocket.

// Test code: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod dashboard;
mod handshake;
mod helpers;
mod metrics;
mod outage;
mod revocation;
mod socket;
