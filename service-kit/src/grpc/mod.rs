//! The project's gRPC plumbing, both sides of the shared-secret credentials:
//! [`SendBearer`] (a client interceptor sending `authorization: Bearer`),
//! [`CallerCheck`] (the server interceptor checking it), and [`serve`]
//! (a service behind the check, with health, reflection and trace ids).

mod check;
mod client;
mod server;

pub use check::CallerCheck;
pub use client::{InvalidSecret, SendBearer};
pub use server::{ServeError, serve, trace_id};
