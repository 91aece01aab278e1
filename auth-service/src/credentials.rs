//! Password hashing with argon2id (OWASP parameters: m = 19 MiB, t = 2, p = 1).
//!
//! Hashing costs tens of milliseconds of CPU, so it runs on Tokio's blocking
//! pool, never on an async worker, and at most one hash per core runs at a
//! time (a semaphore): excess logins queue instead of starving the runtime.
//! Unknown accounts are verified against a dummy hash so that "no such user"
//! and "wrong password" cost the same time.

use std::sync::Arc;

use anyhow::Context;
use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::domain::Password;

/// Memory cost in KiB (OWASP 2023 argon2id recommendation).
pub const MEMORY_KIB: u32 = 19_456;
/// Iterations.
pub const ITERATIONS: u32 = 2;
/// Lanes.
pub const PARALLELISM: u32 = 1;

/// Requests that may wait for a hashing slot; more are refused at once
/// (503 `unavailable`), so a burst of any size holds bounded memory.
pub const MAX_WAITING: usize = 256;

/// Why a hash or verification did not happen.
#[derive(Debug, thiserror::Error)]
pub enum HashError {
    /// [`MAX_WAITING`] requests already wait for a slot.
    #[error("too many password checks waiting")]
    Busy,
    /// argon2 or the blocking pool failed.
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

/// Hashes and verifies passwords off the async workers.
#[derive(Clone)]
pub struct Hasher {
    permits: Arc<Semaphore>,
    waiting: Arc<Semaphore>,
    dummy_hash: Arc<str>,
}

fn argon2() -> anyhow::Result<Argon2<'static>> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, PARALLELISM, None)
        .map_err(|e| anyhow::anyhow!("argon2 parameters: {e}"))?;
    Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
}

fn hash_blocking(password: &str) -> anyhow::Result<String> {
    let hash = argon2()?
        .hash_password(password.as_bytes())
        .map_err(|e| anyhow::anyhow!("argon2 hash: {e}"))?;
    Ok(hash.to_string())
}

impl Hasher {
    /// Builds a hasher allowing `concurrency` simultaneous hashes (the number
    /// of cores is the useful maximum) with up to [`MAX_WAITING`] requests
    /// queued, and computes its dummy hash.
    pub async fn new(concurrency: usize) -> anyhow::Result<Self> {
        Self::with_queue(concurrency, MAX_WAITING).await
    }

    /// Like [`Hasher::new`] with at most `max_waiting` queued requests.
    pub async fn with_queue(concurrency: usize, max_waiting: usize) -> anyhow::Result<Self> {
        let dummy = tokio::task::spawn_blocking(|| hash_blocking("gatehouse-dummy-password"))
            .await
            .context("dummy hash task")??;
        Ok(Self {
            permits: Arc::new(Semaphore::new(concurrency.max(1))),
            waiting: Arc::new(Semaphore::new(max_waiting + concurrency.max(1))),
            dummy_hash: dummy.into(),
        })
    }

    /// The PHC string of a new argon2id hash of `password`.
    pub async fn hash(&self, password: Password) -> Result<String, HashError> {
        let permit = self.permit().await?;
        let hash = tokio::task::spawn_blocking(move || {
            let _permit = permit; // held until the hash is done, even if the caller left
            hash_blocking(password.expose())
        })
        .await
        .context("hash task")??;
        Ok(hash)
    }

    /// A hashing slot. It moves into the blocking task: a request cancelled
    /// while its hash runs must not free the slot before the hash's memory
    /// is freed, or a burst of impatient clients would run (and allocate for)
    /// more hashes than the concurrency allows.
    /// Beyond [`MAX_WAITING`] waiters the request is refused at once.
    async fn permit(&self) -> Result<(OwnedSemaphorePermit, OwnedSemaphorePermit), HashError> {
        let waiting = self
            .waiting
            .clone()
            .try_acquire_owned()
            .map_err(|_| HashError::Busy)?;
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .context("hasher closed")?;
        Ok((waiting, permit))
    }

    /// Whether `password` matches `stored`. With no stored hash (unknown
    /// account) the dummy hash is verified instead and the answer is `false`,
    /// after the same amount of work.
    pub async fn verify(
        &self,
        password: Password,
        stored: Option<String>,
    ) -> Result<bool, HashError> {
        let permit = self.permit().await?;
        let known = stored.is_some();
        let hash = stored.unwrap_or_else(|| self.dummy_hash.to_string());
        let matches = tokio::task::spawn_blocking(move || -> anyhow::Result<bool> {
            let _permit = permit;
            match argon2()?.verify_password(password.expose().as_bytes(), hash.as_str()) {
                Ok(()) => Ok(true),
                Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
                Err(e) => Err(anyhow::anyhow!("argon2 verify: {e}")),
            }
        })
        .await
        .context("verify task")??;
        Ok(known && matches)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pw(s: &str) -> Password {
        Password::parse_candidate(s).unwrap()
    }

    #[tokio::test]
    async fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let hasher = Hasher::new(1).await.unwrap();
        let hash = hasher.hash(pw("correct horse")).await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(
            hasher
                .verify(pw("correct horse"), Some(hash.clone()))
                .await
                .unwrap()
        );
        assert!(!hasher.verify(pw("wrong horse"), Some(hash)).await.unwrap());
    }

    #[tokio::test]
    async fn requests_beyond_the_queue_are_refused_at_once_not_queued() {
        let hasher = Hasher::with_queue(1, 2).await.unwrap();
        let calls = (0..6).map(|_| hasher.verify(pw("correct horse"), None));
        let results = futures::future::join_all(calls).await;
        let busy = results
            .iter()
            .filter(|r| matches!(r, Err(HashError::Busy)))
            .count();
        assert_eq!(busy, 3, "1 hashing + 2 waiting admitted, the rest refused");
        assert!(
            results
                .iter()
                .all(|r| matches!(r, Ok(false) | Err(HashError::Busy)))
        );
        // Slots come back: a later call is served.
        assert!(matches!(
            hasher.verify(pw("x-y-z-w-v"), None).await,
            Ok(false)
        ));
    }

    #[tokio::test]
    async fn an_unknown_account_never_verifies_even_with_the_dummy_password() {
        let hasher = Hasher::new(1).await.unwrap();
        assert!(
            !hasher
                .verify(pw("gatehouse-dummy-password"), None)
                .await
                .unwrap()
        );
    }
}
