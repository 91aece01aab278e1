//! Plumbing that both Gatehouse services need and that must behave the same
//! in each: it lives here once, so the services never depend on each other
//! and `shared-types` stays plain data.
//!
//! - [`bearer`]: shared-secret credentials (`AUTH_GRPC_TOKEN`,
//!   `GATEWAY_API_KEYS`): parsed from a comma-separated list, checked against
//!   an `Authorization: Bearer …` value in constant time, never printed.

pub mod bearer;
