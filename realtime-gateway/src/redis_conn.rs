//! One lazily (re)opened Redis connection, shared by the parts of the
//! gateway that talk to Redis themselves (event relay, idempotency keys,
//! presence). The multiplexed connection is cloned out of the lock, so
//! concurrent commands pipeline on it instead of queueing; after a failed
//! command the caller calls [`RedisConn::reset`] and the next command opens
//! a new connection. (The socketioxide adapter keeps its own connections.)

use redis::aio::MultiplexedConnection;
use tokio::sync::Mutex;

/// A Redis client and its current connection, if any.
pub struct RedisConn {
    client: redis::Client,
    conn: Mutex<Option<MultiplexedConnection>>,
}

impl RedisConn {
    /// For the Redis at `url`; connects on first use.
    pub fn new(url: &str) -> redis::RedisResult<Self> {
        Ok(Self {
            client: redis::Client::open(url)?,
            conn: Mutex::new(None),
        })
    }

    /// The client (for pub/sub, which needs its own connection).
    pub fn client(&self) -> &redis::Client {
        &self.client
    }

    /// The current connection, opened if there is none.
    pub async fn get(&self) -> redis::RedisResult<MultiplexedConnection> {
        let mut conn = self.conn.lock().await;
        if let Some(c) = conn.as_ref() {
            return Ok(c.clone());
        }
        let c = self.client.get_multiplexed_async_connection().await?;
        *conn = Some(c.clone());
        Ok(c)
    }

    /// Forgets the connection after a failure; the next [`get`](Self::get)
    /// opens a new one.
    pub async fn reset(&self) {
        *self.conn.lock().await = None;
    }

    /// Runs `cmd`, resetting the connection if it fails.
    pub async fn query<T: redis::FromRedisValue>(&self, cmd: &redis::Cmd) -> redis::RedisResult<T> {
        let mut c = self.get().await?;
        let reply = cmd.query_async(&mut c).await;
        if reply.is_err() {
            self.reset().await;
        }
        reply
    }

    /// Runs `script` with `keys` and `args`, resetting the connection if it
    /// fails.
    pub async fn script<T: redis::FromRedisValue>(
        &self,
        script: &redis::Script,
        keys: &[&str],
        args: &[&str],
    ) -> redis::RedisResult<T> {
        let mut c = self.get().await?;
        let mut invocation = script.prepare_invoke();
        for k in keys {
            invocation.key(*k);
        }
        for a in args {
            invocation.arg(*a);
        }
        let reply = invocation.invoke_async(&mut c).await;
        if reply.is_err() {
            self.reset().await;
        }
        reply
    }
}
