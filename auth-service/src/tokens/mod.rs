//! Tokens: the Ed25519 key ring and its JWKS, access-token issuing and
//! verification, and opaque refresh tokens.

mod access;
mod keys;
mod refresh;

pub use access::{AccessTokens, IssuedToken, TokenError};
pub use keys::KeyRing;
pub use refresh::{RefreshToken, hash_refresh_token};
