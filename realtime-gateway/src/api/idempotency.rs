//! Idempotency keys: the first use of a key within [`WINDOW`] wins, a
//! repeat is reported as a duplicate. With `REDIS_URL` the keys live in
//! Redis (`SET NX PX`, atomic across replicas); on a single node in an
//! in-process `moka` cache with the same time-to-live.

use std::time::Duration;

use super::error::ApiError;
use crate::redis_conn::RedisConn;

/// How long a key suppresses repeats.
pub const WINDOW: Duration = Duration::from_secs(300);
/// Most keys remembered in memory (single node).
const MEMORY_CAPACITY: u64 = 1_000_000;
/// Redis key prefix.
const PREFIX: &str = "gatehouse:idem:";

/// Where idempotency keys are remembered.
pub enum Idempotency {
    /// This node only.
    Memory(moka::future::Cache<String, ()>),
    /// Every replica, through Redis.
    Redis(RedisConn),
}

impl Idempotency {
    /// In memory, for a single node.
    pub fn memory() -> Self {
        Self::Memory(
            moka::future::Cache::builder()
                .max_capacity(MEMORY_CAPACITY)
                .time_to_live(WINDOW)
                .build(),
        )
    }

    /// In the Redis at `url`.
    pub fn redis(url: &str) -> anyhow::Result<Self> {
        Ok(Self::Redis(RedisConn::new(url)?))
    }

    /// Records `key`; true if it was not seen within [`WINDOW`]. Fails
    /// (`unavailable`) when Redis cannot answer: nothing is delivered then.
    pub async fn first_use(&self, key: &str) -> Result<bool, ApiError> {
        match self {
            Self::Memory(cache) => Ok(cache.entry(key.to_owned()).or_insert(()).await.is_fresh()),
            Self::Redis(redis) => {
                let mut set = redis::cmd("SET");
                set.arg(format!("{PREFIX}{key}"))
                    .arg(1)
                    .arg("NX")
                    .arg("PX")
                    .arg(u64::try_from(WINDOW.as_millis()).unwrap_or(u64::MAX));
                let reply: Option<String> = redis
                    .query(&set)
                    .await
                    .map_err(|e| ApiError::unavailable(&e))?;
                Ok(reply.is_some())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_key_is_fresh_once() {
        let idem = Idempotency::memory();
        assert!(idem.first_use("k").await.unwrap());
        assert!(!idem.first_use("k").await.unwrap());
        assert!(idem.first_use("other").await.unwrap());
    }
}
