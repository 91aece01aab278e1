//! The state every HTTP handler shares (`web::Data<AppState>`): the store,
//! the password hasher, the token issuer, the limits. Its own module so
//! routes depend on it without depending on start-up wiring.

use std::{sync::Arc, time::Duration};

use crate::{credentials::Hasher, rate_limit::Limiter, store::Store, tokens::AccessTokens};

/// Shared state of the HTTP handlers.
pub struct AppState {
    /// The database.
    pub store: Store,
    /// Password hashing.
    pub hasher: Hasher,
    /// Access-token issuing and verification.
    pub tokens: Arc<AccessTokens>,
    /// Absolute session lifetime.
    pub refresh_token_ttl: Duration,
    /// Brute-force limits.
    pub limiter: Limiter,
    /// Reverse proxies whose `X-Forwarded-For` entries are trusted.
    pub trusted_proxy_hops: usize,
}
