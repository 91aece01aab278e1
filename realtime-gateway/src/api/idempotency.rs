//! Idempotency keys: the first use of a key within [`WINDOW`] wins, a
//! repeat is reported as a duplicate. With `REDIS_URL` the keys live in
//! Redis (`SET NX PX`, atomic across replicas); on a single node in an
//! in-process `moka` cache with the same time-to-live.

use std::time::Duration;

use tokio::sync::Mutex;

use super::error::ApiError;

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
    Redis {
        /// The Redis client.
        client: redis::Client,
        /// A lazily (re)opened connection.
        conn: Mutex<Option<redis::aio::MultiplexedConnection>>,
    },
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
        Ok(Self::Redis {
            client: redis::Client::open(url)?,
            conn: Mutex::new(None),
        })
    }

    /// Records `key`; true if it was not seen within [`WINDOW`]. Fails
    /// (`unavailable`) when Redis cannot answer: nothing is delivered then.
    pub async fn first_use(&self, key: &str) -> Result<bool, ApiError> {
        match self {
            Self::Memory(cache) => Ok(cache.entry(key.to_owned()).or_insert(()).await.is_fresh()),
            Self::Redis { client, conn } => {
                // The multiplexed connection is cloned out of the lock so
                // concurrent calls pipeline on it instead of queueing.
                let mut c = {
                    let mut conn = conn.lock().await;
                    if conn.is_none() {
                        *conn = Some(
                            client
                                .get_multiplexed_async_connection()
                                .await
                                .map_err(|e| ApiError::unavailable(&e))?,
                        );
                    }
                    conn.clone()
                        .ok_or_else(|| ApiError::unavailable(&"no Redis connection"))?
                };
                let set: redis::RedisResult<Option<String>> = redis::cmd("SET")
                    .arg(format!("{PREFIX}{key}"))
                    .arg(1)
                    .arg("NX")
                    .arg("PX")
                    .arg(u64::try_from(WINDOW.as_millis()).unwrap_or(u64::MAX))
                    .query_async(&mut c)
                    .await;
                set.map(|reply| reply.is_some()).map_err(|e| {
                    conn.try_lock().map(|mut g| *g = None).ok();
                    ApiError::unavailable(&e)
                })
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
