//! `CheckSession` with the guarantees the handshake needs: a ~1 s deadline,
//! concurrent calls for the same (user, session) collapsed into one in-flight
//! call, ACTIVE answers cached for `SESSION_CACHE_TTL`, failures and negative
//! answers never cached.
//!
//! Revocations received from the watch stream ([`SessionChecker::revoke`])
//! drop cached answers and, for a single session, remember it as revoked for
//! [`REVOKED_MEMORY`] (longer than an access token lives), so a stolen but
//! still-valid token of a revoked session cannot open a socket even inside
//! the cache window. A user-wide revocation (logout-all, user deleted) only
//! drops the user's cached answers: the user may log in again, and
//! `CheckSession` is authoritative. A generation counter keeps an answer that
//! was in flight during a revocation out of the cache.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use futures::FutureExt;
use futures::future::{BoxFuture, Shared};
use proto::auth::v1::{CheckSessionRequest, SessionStatus};
use tokio::time::Instant;

use prometheus_client::metrics::histogram::Histogram;

use super::link::{AuthLink, DirectoryClient, LinkStatus};

use crate::error::AuthError;

/// How long a revoked session id is remembered locally.
pub const REVOKED_MEMORY: Duration = Duration::from_secs(2 * 60 * 60);
/// Deadline of one `CheckSession` call.
pub const CHECK_DEADLINE: Duration = Duration::from_secs(1);

type Key = (String, String);
type Pending = Shared<BoxFuture<'static, Result<String, AuthError>>>;

#[derive(Default)]
struct Inner {
    active: HashMap<Key, (Instant, String)>,
    inflight: HashMap<Key, Pending>,
    revoked: HashMap<Key, Instant>,
    generation: u64,
}

/// Asks the auth-service whether a session is live; returns the username.
#[derive(Clone)]
pub struct SessionChecker {
    client: DirectoryClient,
    link: Arc<LinkStatus>,
    latency: Histogram,
    ttl: Duration,
    deadline: Duration,
    inner: Arc<Mutex<Inner>>,
}

impl SessionChecker {
    /// A checker over `link` whose ACTIVE answers live `ttl`; each call's
    /// round trip is observed in `latency`.
    pub fn new(link: &AuthLink, ttl: Duration, latency: Histogram) -> Self {
        Self {
            client: link.client(),
            link: link.status().clone(),
            latency,
            ttl,
            deadline: CHECK_DEADLINE,
            inner: Arc::new(Mutex::new(Inner::default())),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        lock(&self.inner)
    }

    /// `Ok(username)` if the session is ACTIVE; otherwise why not.
    pub async fn check(&self, user_id: &str, session_id: &str) -> Result<String, AuthError> {
        let key: Key = (user_id.to_owned(), session_id.to_owned());
        let pending = {
            let mut g = self.lock();
            let now = Instant::now();
            if g.revoked.get(&key).is_some_and(|until| *until > now) {
                return Err(AuthError::SessionRevoked);
            }
            if let Some((until, name)) = g.active.get(&key)
                && *until > now
            {
                return Ok(name.clone());
            }
            match g.inflight.get(&key) {
                Some(p) => p.clone(),
                None => {
                    let p = self.start_call(key.clone(), g.generation);
                    g.inflight.insert(key.clone(), p.clone());
                    p
                }
            }
        };
        let result = pending.await;
        if result.is_ok() && self.lock().revoked.contains_key(&key) {
            return Err(AuthError::SessionRevoked);
        }
        result
    }

    /// Spawns the call so it completes (and leaves the in-flight map) even if
    /// every waiter goes away.
    fn start_call(&self, key: Key, generation: u64) -> Pending {
        let (mut client, inner) = (self.client.clone(), self.inner.clone());
        let (ttl, deadline, link) = (self.ttl, self.deadline, self.link.clone());
        let latency = self.latency.clone();
        let task = tokio::spawn(async move {
            let started = std::time::Instant::now();
            let result = call(&mut client, &link, &key, deadline).await;
            latency.observe(started.elapsed().as_secs_f64());
            let mut g = lock(&inner);
            g.inflight.remove(&key);
            if let Ok(name) = &result
                && g.generation == generation
                && !g.revoked.contains_key(&key)
            {
                let now = Instant::now();
                if g.active.len() > 4096 {
                    g.active.retain(|_, (until, _)| *until > now);
                }
                g.active.insert(key, (now + ttl, name.clone()));
            }
            result
        });
        async move { task.await.unwrap_or(Err(AuthError::Unavailable)) }
            .boxed()
            .shared()
    }

    /// Applies a revocation: `session_id` empty means every session of the user.
    pub fn revoke(&self, user_id: &str, session_id: &str) {
        let mut g = self.lock();
        let now = Instant::now();
        g.generation += 1;
        g.revoked.retain(|_, until| *until > now);
        if session_id.is_empty() {
            g.active.retain(|(u, _), _| u != user_id);
        } else {
            let key = (user_id.to_owned(), session_id.to_owned());
            g.active.remove(&key);
            g.revoked.insert(key, now + REVOKED_MEMORY);
        }
    }
}

fn lock(inner: &Mutex<Inner>) -> MutexGuard<'_, Inner> {
    inner.lock().unwrap_or_else(|p| p.into_inner())
}

async fn call(
    client: &mut DirectoryClient,
    link: &LinkStatus,
    (user_id, session_id): &Key,
    deadline: Duration,
) -> Result<String, AuthError> {
    let (mut req, trace_id) = super::trace::traced(CheckSessionRequest {
        user_id: user_id.clone(),
        session_id: session_id.clone(),
    });
    req.set_timeout(deadline);
    tracing::debug!(%trace_id, "CheckSession");
    let resp = match tokio::time::timeout(deadline, client.check_session(req)).await {
        Ok(Ok(resp)) => resp.into_inner(),
        Ok(Err(status)) => {
            tracing::warn!(%trace_id, code = ?status.code(), "CheckSession failed");
            link.observe_failure(&status);
            return Err(AuthError::Unavailable);
        }
        Err(_) => {
            tracing::warn!(%trace_id, "CheckSession timed out");
            return Err(AuthError::Unavailable);
        }
    };
    match SessionStatus::try_from(resp.status) {
        Ok(SessionStatus::Active) => Ok(resp.username),
        // A disabled account is reported like a missing one: the client's
        // remedy (log in again / contact support) is the same.
        Ok(SessionStatus::UnknownUser | SessionStatus::Disabled) => Err(AuthError::UnknownUser),
        Ok(SessionStatus::SessionRevoked) => Err(AuthError::SessionRevoked),
        _ => Err(AuthError::Unavailable),
    }
}

#[cfg(test)]
#[path = "session_tests.rs"]
mod tests;
