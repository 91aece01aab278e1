//! Access-token checks done locally, without calling the auth-service: the
//! JWKS cache ([`jwks`]) and the JWT verification rules ([`verify`]).

pub mod jwks;
pub mod verify;

pub use jwks::{JwksCache, JwksSource};
pub use verify::TokenVerifier;
