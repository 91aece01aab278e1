//! `CheckSession` with the guarantees the handshake needs: a ~1 s deadline,
//! concurrent calls for the same (user, session) collapsed into one in-flight
//! call, ACTIVE answers cached for `SESSION_CACHE_TTL`, failures and negative
//! answers never cached. The caches are `moka`'s: its `try_get_with` gives
//! the collapsing (one init per key, errors not cached) and its expiry the
//! TTLs, so no map is ever scanned under a lock.
//!
//! Revocations received from the watch stream ([`SessionChecker::revoke`])
//! drop cached answers and, for a single session, remember it as revoked for
//! [`REVOKED_MEMORY`] (longer than an access token lives), so a stolen but
//! still-valid token of a revoked session cannot open a socket even inside
//! the cache window. A user-wide revocation (logout-all, user deleted) only
//! drops the user's cached answers: the user may log in again, and
//! `CheckSession` is authoritative. An ACTIVE answer to a call that was in
//! flight when a revocation of its session or user arrived is refused and
//! not cached.

use std::sync::Arc;
use std::time::Duration;

use moka::future::Cache;
use proto::auth::v1::{CheckSessionRequest, SessionStatus};
use tokio::time::Instant;

use prometheus_client::metrics::histogram::Histogram;

use super::link::{AuthLink, DirectoryClient, LinkStatus};

use crate::error::AuthError;

/// How long a revoked session id is remembered locally, from the time of
/// the revocation.
pub const REVOKED_MEMORY: Duration = Duration::from_secs(2 * 60 * 60);
/// Clock difference tolerated between the auth-service (which dates a
/// revocation) and this gateway.
const CLOCK_SKEW: Duration = Duration::from_secs(60);
/// Deadline of one `CheckSession` call.
pub const CHECK_DEADLINE: Duration = Duration::from_secs(1);
/// Entries kept per cache (memory bound whatever the traffic).
const CAPACITY: u64 = 200_000;

type Key = (String, String);

/// Asks the auth-service whether a session is live; returns the username.
#[derive(Clone)]
pub struct SessionChecker {
    client: DirectoryClient,
    link: Arc<LinkStatus>,
    latency: Histogram,
    deadline: Duration,
    /// ACTIVE answers: username by (user, session).
    active: Cache<Key, String>,
    /// How long an ACTIVE answer is reused.
    active_ttl: Duration,
    /// Sessions revoked one by one.
    revoked: Cache<Key, ()>,
    /// When each user's sessions were last all revoked.
    revoked_users: Cache<String, Instant>,
}

impl SessionChecker {
    /// A checker over `link` whose ACTIVE answers live `ttl`; each call's
    /// round trip is observed in `latency`.
    pub fn new(link: &AuthLink, ttl: Duration, latency: Histogram) -> Self {
        Self {
            client: link.client(),
            link: link.status().clone(),
            latency,
            deadline: CHECK_DEADLINE,
            active_ttl: ttl,
            active: Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(ttl)
                .support_invalidation_closures()
                .build(),
            revoked: Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(REVOKED_MEMORY)
                .build(),
            revoked_users: Cache::builder()
                .max_capacity(CAPACITY)
                .time_to_live(CHECK_DEADLINE * 2)
                .build(),
        }
    }

    /// `Ok(username)` if the session is ACTIVE; otherwise why not.
    pub async fn check(&self, user_id: &str, session_id: &str) -> Result<String, AuthError> {
        let key: Key = (user_id.to_owned(), session_id.to_owned());
        if self.revoked.contains_key(&key) {
            return Err(AuthError::SessionRevoked);
        }
        let asked = Instant::now();
        let this = self.clone();
        let init_key = key.clone();
        let answer = self
            .active
            .try_get_with(key.clone(), async move {
                let mut client = this.client.clone();
                let started = std::time::Instant::now();
                let result = call(&mut client, &this.link, &init_key, this.deadline).await;
                this.latency.observe(started.elapsed().as_secs_f64());
                let name = result?;
                // A revocation that landed while the call was in flight.
                if this.revoked_since(&init_key, asked).await {
                    return Err(AuthError::SessionRevoked);
                }
                Ok(name)
            })
            .await
            .map_err(|e| *e)?;
        // A revocation may also land between the cache hit and now.
        if self.revoked.contains_key(&key) {
            return Err(AuthError::SessionRevoked);
        }
        Ok(answer)
    }

    async fn revoked_since(&self, key: &Key, since: Instant) -> bool {
        self.revoked.contains_key(key)
            || self
                .revoked_users
                .get(&key.0)
                .await
                .is_some_and(|at| at >= since)
    }

    /// Applies a revocation made `age` ago: `session_id` empty means every
    /// session of the user. Work is bounded by what a revocation of that age
    /// can still change, so replaying a long log at start costs little: an
    /// answer cached before it has expired once `age` exceeds the ACTIVE
    /// lifetime, and a session is remembered as revoked only until
    /// [`REVOKED_MEMORY`] after its revocation (both with [`CLOCK_SKEW`]).
    pub async fn revoke(&self, user_id: &str, session_id: &str, age: Duration) {
        let can_touch_cache = age <= self.active_ttl + CHECK_DEADLINE * 2 + CLOCK_SKEW;
        if session_id.is_empty() {
            if !can_touch_cache {
                return;
            }
            self.revoked_users
                .insert(user_id.to_owned(), Instant::now())
                .await;
            let user = user_id.to_owned();
            // Only fails without `support_invalidation_closures`, set above.
            let _ = self
                .active
                .invalidate_entries_if(move |(u, _), _| *u == user);
        } else {
            let key = (user_id.to_owned(), session_id.to_owned());
            if age <= REVOKED_MEMORY + CLOCK_SKEW {
                self.revoked.insert(key.clone(), ()).await;
            }
            if can_touch_cache {
                self.active.invalidate(&key).await;
            }
        }
    }
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
