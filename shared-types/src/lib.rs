//! Plain data shared by every Gatehouse component and by third-party Rust clients.
//!
//! Nothing here performs I/O: these are the serde shapes of the access-token
//! claims, the auth HTTP API, the socket.io events and the stable error codes
//! fixed by the design contract. Services parse these DTOs into their own domain
//! types; clients can depend on this crate to speak the same wire format.

pub mod api;
pub mod claims;
pub mod error;
pub mod socket;

pub use api::*;
pub use claims::AccessClaims;
pub use error::{ConnectErrorCode, ErrorBody, ErrorCode};
