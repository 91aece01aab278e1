//! The public keys of the auth-service, fetched from `AUTH_JWKS_URL` and
//! cached by (issuer, kid).
//!
//! A token signed with an unknown `kid` may mean the auth-service rotated its
//! key, so it triggers a refetch — but at most one per [`MIN_REFETCH_INTERVAL`]
//! whatever the outcome, so forged `kid`s cannot turn the gateway into a
//! request amplifier. Concurrent misses wait on the same refetch. The
//! background loader ([`JwksCache::run_loader`]) fetches at start with backoff
//! until it succeeds, then refreshes periodically.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use anyhow::Context;
use futures::future::BoxFuture;
use jsonwebtoken::DecodingKey;
use shared_types::JwkSet;
use tokio::time::Instant;

/// Smallest interval between two refetches triggered by unknown `kid`s.
pub const MIN_REFETCH_INTERVAL: Duration = Duration::from_secs(30);
/// Periodic refresh once keys are loaded (picks up retired keys).
const REFRESH_EVERY: Duration = Duration::from_secs(300);
/// Backoff cap of the start-up loader.
const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Where key sets come from: HTTP in production, a closure in tests.
pub type JwksSource = Arc<dyn Fn() -> BoxFuture<'static, anyhow::Result<JwkSet>> + Send + Sync>;

/// Builds the production [`JwksSource`]: GET `url` with a short timeout.
pub fn http_source(url: String) -> anyhow::Result<JwksSource> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
        .build()
        .context("building the JWKS HTTP client")?;
    Ok(Arc::new(move || {
        let (client, url) = (client.clone(), url.clone());
        Box::pin(async move {
            let resp = client.get(&url).send().await.context("fetching the JWKS")?;
            let resp = resp.error_for_status().context("JWKS status")?;
            resp.json::<JwkSet>().await.context("decoding the JWKS")
        })
    }))
}

/// Cached verification keys of one issuer.
pub struct JwksCache {
    issuer: String,
    source: JwksSource,
    keys: RwLock<HashMap<(String, String), DecodingKey>>,
    /// When the last fetch started (`None` before the first one).
    last_fetch: tokio::sync::Mutex<Option<Instant>>,
    loaded: AtomicBool,
}

impl JwksCache {
    /// An empty cache for tokens of `issuer`, filled from `source`.
    pub fn new(issuer: String, source: JwksSource) -> Self {
        Self {
            issuer,
            source,
            keys: RwLock::new(HashMap::new()),
            last_fetch: tokio::sync::Mutex::new(None),
            loaded: AtomicBool::new(false),
        }
    }

    /// Whether at least one key set has been loaded (readiness).
    pub fn is_loaded(&self) -> bool {
        self.loaded.load(Ordering::Acquire)
    }

    /// The key for (`iss`, `kid`); on a miss, refetches if the last fetch is
    /// older than [`MIN_REFETCH_INTERVAL`].
    pub async fn key(&self, iss: &str, kid: &str) -> Option<DecodingKey> {
        if let Some(k) = self.cached(iss, kid) {
            return Some(k);
        }
        if iss != self.issuer {
            return None; // never fetch on behalf of a foreign issuer
        }
        let mut last = self.last_fetch.lock().await;
        // Someone else may have refetched while we waited for the lock.
        if let Some(k) = self.cached(iss, kid) {
            return Some(k);
        }
        if last.is_some_and(|t| t.elapsed() < MIN_REFETCH_INTERVAL) {
            return None;
        }
        *last = Some(Instant::now());
        if let Err(e) = self.fetch().await {
            tracing::warn!(
                error = format!("{e:#}"),
                "JWKS refetch for an unknown kid failed"
            );
        }
        self.cached(iss, kid)
    }

    fn cached(&self, iss: &str, kid: &str) -> Option<DecodingKey> {
        let keys = self.keys.read().unwrap_or_else(|p| p.into_inner());
        keys.get(&(iss.to_owned(), kid.to_owned())).cloned()
    }

    /// Fetches the key set and replaces the cache with its usable keys.
    pub async fn fetch(&self) -> anyhow::Result<usize> {
        let set = (self.source)().await?;
        let mut fresh = HashMap::new();
        for jwk in set.keys {
            if jwk.kty != "OKP" || jwk.crv != "Ed25519" || jwk.kid.is_empty() {
                continue;
            }
            match DecodingKey::from_ed_components(&jwk.x) {
                Ok(key) => {
                    fresh.insert((self.issuer.clone(), jwk.kid), key);
                }
                Err(e) => tracing::warn!(kid = jwk.kid, error = %e, "ignoring an unusable JWK"),
            }
        }
        anyhow::ensure!(!fresh.is_empty(), "the JWKS holds no usable Ed25519 key");
        let n = fresh.len();
        *self.keys.write().unwrap_or_else(|p| p.into_inner()) = fresh;
        self.loaded.store(true, Ordering::Release);
        Ok(n)
    }

    /// Background loop: load with exponential backoff until it works, then
    /// refresh every few minutes. Runs until the task is aborted.
    pub async fn run_loader(self: Arc<Self>) {
        let mut backoff = Duration::from_millis(100);
        loop {
            *self.last_fetch.lock().await = Some(Instant::now());
            match self.fetch().await {
                Ok(n) => {
                    tracing::info!(keys = n, "JWKS loaded");
                    backoff = Duration::from_millis(100);
                    tokio::time::sleep(REFRESH_EVERY).await;
                }
                Err(e) => {
                    tracing::warn!(error = format!("{e:#}"), retry_in = ?backoff, "JWKS not loaded");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::sync::atomic::AtomicUsize;

    pub(crate) fn counting_source(set: JwkSet) -> (JwksSource, Arc<AtomicUsize>) {
        let calls = Arc::new(AtomicUsize::new(0));
        let c = calls.clone();
        let source: JwksSource = Arc::new(move || {
            c.fetch_add(1, Ordering::SeqCst);
            let set = set.clone();
            Box::pin(async move { Ok(set) })
        });
        (source, calls)
    }

    #[tokio::test(start_paused = true)]
    async fn unknown_kids_refetch_at_most_once_per_interval() {
        let set = crate::token::verify::tests::TestKey::new(1, "k1").jwks();
        let (source, calls) = counting_source(set);
        let cache = JwksCache::new("gatehouse".into(), source);

        assert!(cache.key("gatehouse", "nope").await.is_none());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        for _ in 0..20 {
            assert!(cache.key("gatehouse", "nope-again").await.is_none());
        }
        // The first miss loaded k1: no fetch needed for it.
        assert!(cache.key("gatehouse", "k1").await.is_some());
        assert_eq!(
            calls.load(Ordering::SeqCst),
            1,
            "misses within 30 s must not refetch"
        );

        tokio::time::advance(MIN_REFETCH_INTERVAL).await;
        assert!(cache.key("gatehouse", "nope").await.is_none());
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_foreign_issuer_never_triggers_a_fetch() {
        let (source, calls) = counting_source(JwkSet { keys: vec![] });
        let cache = JwksCache::new("gatehouse".into(), source);
        assert!(cache.key("evil", "k1").await.is_none());
        assert_eq!(calls.load(Ordering::SeqCst), 0);
    }
}
