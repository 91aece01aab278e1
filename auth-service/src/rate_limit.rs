//! Brute-force and abuse limits: fixed-window counters shared by every
//! replica through MongoDB (the one store every auth-service replica
//! already has; no extra moving part such as Redis is needed).
//!
//! - login attempts per client address (all attempts);
//! - failed logins per (account, client address): a guesser is stopped, but
//!   can never lock the real user out, who logs in from another address;
//! - registrations per client address.
//!
//! Windows are fixed, so every refusal ends by itself at the window's end,
//! which is what `Retry-After` says.

use std::{
    str::FromStr,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use mongodb::bson::DateTime;

use crate::{
    error::ApiError,
    store::{COUNTER_GRACE, Store},
};

/// `N/<duration>`: at most N hits per window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Hits allowed per window.
    pub limit: u64,
    /// Window length.
    pub window: Duration,
}

impl FromStr for Policy {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (limit, window) = s
            .split_once('/')
            .ok_or("expected N/<duration>, e.g. 5/15m")?;
        let limit: u64 = limit
            .trim()
            .parse()
            .map_err(|_| format!("`{limit}` is not a count"))?;
        let window = humantime::parse_duration(window.trim())
            .map_err(|_| format!("`{window}` is not a duration"))?;
        if limit == 0 || window < Duration::from_secs(1) {
            return Err("the count must be at least 1 and the window at least 1s".into());
        }
        Ok(Self { limit, window })
    }
}

/// What a counter limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Login attempts from one address.
    LoginAddress,
    /// Failed logins on one account from one address.
    LoginFailures,
    /// Registrations from one address.
    RegisterAddress,
    /// Token refreshes from one address.
    RefreshAddress,
}

/// The configured limits over the shared counters.
#[derive(Clone)]
pub struct Limiter {
    store: Store,
    login_per_address: Policy,
    login_failures: Policy,
    register_per_address: Policy,
    refresh_per_address: Policy,
}

/// The counter id and the seconds left in its window, at `now_ms`.
fn window(scope: Scope, key: &str, policy: Policy, now_ms: i64) -> (String, i64, u64) {
    let length = policy.window.as_millis() as i64;
    let start = now_ms - now_ms.rem_euclid(length);
    let retry_after = ((start + length - now_ms) as u64).div_ceil(1000).max(1);
    (
        format!("{scope:?}|{key}|{start}"),
        start + length,
        retry_after,
    )
}

fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

impl Limiter {
    /// Limits over `store` with these policies.
    pub fn new(
        store: Store,
        login_per_address: Policy,
        login_failures: Policy,
        register_per_address: Policy,
        refresh_per_address: Policy,
    ) -> Self {
        Self {
            store,
            login_per_address,
            login_failures,
            register_per_address,
            refresh_per_address,
        }
    }

    fn policy(&self, scope: Scope) -> Policy {
        match scope {
            Scope::LoginAddress => self.login_per_address,
            Scope::LoginFailures => self.login_failures,
            Scope::RegisterAddress => self.register_per_address,
            Scope::RefreshAddress => self.refresh_per_address,
        }
    }

    /// Counts a hit and refuses it if the window is over its limit.
    pub async fn consume(&self, scope: Scope, key: &str) -> Result<(), ApiError> {
        self.hit(scope, key).await.map(|_| ())
    }

    /// Counts a hit; the counter's id, or refused over the limit.
    async fn hit(&self, scope: Scope, key: &str) -> Result<String, ApiError> {
        let policy = self.policy(scope);
        let (id, end, retry_after) = window(scope, key, policy, now_ms());
        let expires = DateTime::from_millis(end + COUNTER_GRACE.as_millis() as i64);
        let count = self.store.increment_counter(&id, expires).await?;
        if count > policy.limit {
            return Err(ApiError::RateLimited { retry_after });
        }
        Ok(id)
    }

    /// Counts one attempt **before** the work it guards (a password check)
    /// and refuses beyond the limit: concurrent attempts cannot all pass a
    /// check made before any of them is recorded. Give the attempt back with
    /// [`Attempt::refund`] when it turns out not to be a failure.
    pub async fn attempt(&self, scope: Scope, key: &str) -> Result<Attempt, ApiError> {
        let id = self.hit(scope, key).await?;
        Ok(Attempt {
            store: self.store.clone(),
            id,
        })
    }
}

/// An attempt counted against a limit (see [`Limiter::attempt`]).
pub struct Attempt {
    store: Store,
    id: String,
}

impl Attempt {
    /// The attempt was not a failure (it succeeded, or was never
    /// evaluated): it no longer counts.
    pub async fn refund(self) -> Result<(), ApiError> {
        Ok(self.store.decrement_counter(&self.id).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_parse_and_refuse_nonsense() {
        let p: Policy = "5/15m".parse().unwrap();
        assert_eq!((p.limit, p.window), (5, Duration::from_secs(900)));
        for bad in ["5", "0/1m", "x/1m", "5/soon", "5/0s"] {
            assert!(bad.parse::<Policy>().is_err(), "{bad}");
        }
    }

    #[test]
    fn windows_are_aligned_and_retry_after_counts_down_to_their_end() {
        let policy: Policy = "3/1m".parse().unwrap();
        let (id_a, end, retry) = window(Scope::LoginAddress, "1.2.3.4", policy, 120_500);
        assert_eq!((end, retry), (180_000, 60));
        let (id_b, _, retry) = window(Scope::LoginAddress, "1.2.3.4", policy, 179_999);
        assert_eq!((id_a.as_str(), retry), (id_b.as_str(), 1));
        let (id_c, _, _) = window(Scope::LoginAddress, "1.2.3.4", policy, 180_000);
        assert_ne!(id_a, id_c, "a new window starts a new counter");
        let (id_d, _, _) = window(Scope::LoginFailures, "1.2.3.4", policy, 120_500);
        assert_ne!(id_a, id_d, "scopes never share counters");
    }
}
