//! Per-socket event admission: the payload size limit and a token bucket.
//!
//! The bucket holds `EVENT_BURST` tokens and refills at `EVENT_RATE_PER_SEC`;
//! each event takes one. A refused event is acked `rate_limited`. After
//! [`ABUSE_DISCONNECT_AFTER`] refused events in a row the socket is
//! disconnected: a client that ignores `rate_limited` is not worth serving.
//! Time is `tokio::time::Instant`, so tests drive it with a paused clock.

use std::sync::Mutex;

use serde_json::Value;
use shared_types::socket::EventErrorCode;
use tokio::time::Instant;

/// Consecutive rate-limited events that get a socket disconnected.
pub const ABUSE_DISCONNECT_AFTER: u32 = 50;

/// A classic token bucket.
#[derive(Debug)]
pub struct TokenBucket {
    capacity: f64,
    per_sec: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket of `capacity` tokens refilled at `per_sec`.
    pub fn new(capacity: u32, per_sec: f64) -> Self {
        let capacity = f64::from(capacity.max(1));
        Self {
            capacity,
            per_sec,
            tokens: capacity,
            last: Instant::now(),
        }
    }

    /// Takes one token if there is one.
    pub fn try_take(&mut self) -> bool {
        let now = Instant::now();
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.per_sec).min(self.capacity);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// What to do with an incoming event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Handle it.
    Accept,
    /// Ack this error and drop the event.
    Refuse(EventErrorCode),
    /// Ack `rate_limited`, then disconnect the socket.
    Disconnect,
}

/// The admission state of one socket.
#[derive(Debug)]
pub struct EventGuard {
    max_bytes: usize,
    inner: Mutex<(TokenBucket, u32)>,
}

impl EventGuard {
    /// A guard with the given limits.
    pub fn new(max_bytes: usize, burst: u32, per_sec: f64) -> Self {
        Self {
            max_bytes,
            inner: Mutex::new((TokenBucket::new(burst, per_sec), 0)),
        }
    }

    /// Rate first (every event costs a token, even an oversized one), then size.
    pub fn admit(&self, payload: &Value) -> Admission {
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let (bucket, strikes) = &mut *g;
        if !bucket.try_take() {
            *strikes += 1;
            return if *strikes >= ABUSE_DISCONNECT_AFTER {
                Admission::Disconnect
            } else {
                Admission::Refuse(EventErrorCode::RateLimited)
            };
        }
        *strikes = 0;
        let size = serde_json::to_vec(payload).map_or(usize::MAX, |v| v.len());
        if size > self.max_bytes {
            return Admission::Refuse(EventErrorCode::PayloadTooLarge);
        }
        Admission::Accept
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[tokio::test(start_paused = true)]
    async fn the_bucket_allows_a_burst_then_the_refill_rate() {
        let mut b = TokenBucket::new(3, 2.0);
        assert!(b.try_take() && b.try_take() && b.try_take());
        assert!(!b.try_take());
        tokio::time::advance(Duration::from_millis(499)).await;
        assert!(!b.try_take());
        tokio::time::advance(Duration::from_millis(2)).await;
        assert!(b.try_take());
        assert!(!b.try_take());
        tokio::time::advance(Duration::from_secs(60)).await;
        let taken = (0..10).filter(|_| b.try_take()).count();
        assert_eq!(taken, 3, "refill never exceeds the burst size");
    }

    #[tokio::test(start_paused = true)]
    async fn oversized_payloads_are_refused() {
        let g = EventGuard::new(300, 10, 1.0);
        assert_eq!(g.admit(&Value::String("x".repeat(200))), Admission::Accept);
        assert_eq!(
            g.admit(&Value::String("x".repeat(400))),
            Admission::Refuse(EventErrorCode::PayloadTooLarge)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn sustained_abuse_disconnects() {
        let g = EventGuard::new(1000, 1, 1.0);
        assert_eq!(g.admit(&Value::Null), Admission::Accept);
        for _ in 1..ABUSE_DISCONNECT_AFTER {
            assert_eq!(
                g.admit(&Value::Null),
                Admission::Refuse(EventErrorCode::RateLimited)
            );
        }
        assert_eq!(g.admit(&Value::Null), Admission::Disconnect);
    }

    #[tokio::test(start_paused = true)]
    async fn an_accepted_event_resets_the_strikes() {
        let g = EventGuard::new(1000, 1, 1.0);
        for _ in 0..3 {
            assert_eq!(g.admit(&Value::Null), Admission::Accept);
            for _ in 0..(ABUSE_DISCONNECT_AFTER - 1) {
                assert_ne!(g.admit(&Value::Null), Admission::Disconnect);
            }
            tokio::time::advance(Duration::from_secs(1)).await;
        }
    }
}
