//! The socket.io side of the gateway: handshake middleware ([`auth`]),
//! event handlers ([`events`]), and the rules they apply — room policy
//! ([`rooms`]), the `rpc` event ([`rpc`]), admission control ([`rate`]), per-user limit ([`limits`]),
//! token lifetime ([`lifetime`]). Handlers are generic over the adapter so
//! the same code serves the in-memory and the Redis adapter.

pub mod auth;
pub mod close;
pub mod control;
pub mod events;
pub mod lifetime;
pub mod limits;
pub mod principal;
pub mod rate;
pub mod rooms;
pub mod rpc;

pub use auth::{authenticate, on_connect};
pub use principal::Principal;
