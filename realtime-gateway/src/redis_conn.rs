//! One lazily (re)opened Redis connection, shared by the parts of the
//! gateway that talk to Redis themselves (event relay, idempotency keys,
//! presence). The multiplexed connection is cloned out of the lock, so
//! concurrent commands pipeline on it instead of queueing; after a failed
//! command the caller calls [`RedisConn::reset`] and the next command opens
//! a new connection. (The socketioxide adapter keeps its own connections.)
//!
//! [`RedisWatch`] pings Redis every second for `/readyz`, and
//! [`until_redis_answers`] holds start-up (serving only `/healthz` and a
//! not-ready answer) while Redis is down.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::Router;
use axum::http::StatusCode;
use axum::routing::get;
use redis::aio::MultiplexedConnection;
use tokio::net::TcpListener;
use tokio::sync::Mutex;

/// How long a PING may take before Redis counts as down.
const PING_TIMEOUT: Duration = Duration::from_secs(1);

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

    /// Whether Redis answers a PING within [`PING_TIMEOUT`].
    pub async fn ping(&self) -> bool {
        let answered =
            tokio::time::timeout(PING_TIMEOUT, self.query::<String>(&redis::cmd("PING"))).await;
        match answered {
            Ok(Ok(_)) => true,
            Ok(Err(_)) => false,
            Err(_) => {
                self.reset().await;
                false
            }
        }
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

/// Whether Redis answers, checked every second (`/readyz` reports
/// `redis_unreachable` while it does not).
pub struct RedisWatch {
    conn: RedisConn,
    up: AtomicBool,
}

impl RedisWatch {
    /// Watches the Redis at `url` (assumed up until the first check).
    pub fn new(url: &str) -> redis::RedisResult<Arc<Self>> {
        Ok(Arc::new(Self {
            conn: RedisConn::new(url)?,
            up: AtomicBool::new(true),
        }))
    }

    /// Whether the last check got an answer.
    pub fn is_up(&self) -> bool {
        self.up.load(Ordering::Acquire)
    }

    /// Checks every second for the life of the gateway, logging changes.
    pub async fn run(self: Arc<Self>) {
        let mut every = tokio::time::interval(Duration::from_secs(1));
        loop {
            every.tick().await;
            let up = self.conn.ping().await;
            if self.up.swap(up, Ordering::AcqRel) != up {
                if up {
                    tracing::info!("Redis answers again: ready");
                } else {
                    tracing::warn!("Redis does not answer: not ready (local sockets keep working)");
                }
            }
        }
    }
}

/// Returns `listener` once the Redis at `url` answers a PING. Until then the
/// listener serves `/healthz` (200: the process is alive) and answers every
/// other request 503 `{"ready":false,"reason":"redis_unreachable"}`, so an
/// orchestrator keeps the gateway out of rotation without restarting it.
pub async fn until_redis_answers(listener: TcpListener, url: &str) -> anyhow::Result<TcpListener> {
    let redis = RedisConn::new(url)?;
    if redis.ping().await {
        return Ok(listener);
    }
    tracing::warn!("Redis does not answer at start: not ready until it does");
    let std_listener = listener.into_std()?;
    let waiting = TcpListener::from_std(std_listener.try_clone()?)?;
    let not_ready = || async {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(serde_json::json!({"ready": false, "reason": "redis_unreachable"})),
        )
    };
    let router = Router::new()
        .route("/healthz", get(|| async { StatusCode::OK }))
        .fallback(not_ready);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        let _ = axum::serve(waiting, router)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
    });
    let mut backoff = Duration::from_millis(100);
    while !redis.ping().await {
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(2));
    }
    tracing::info!("Redis answers: starting");
    let _ = stop.send(());
    let _ = server.await;
    Ok(TcpListener::from_std(std_listener)?)
}
