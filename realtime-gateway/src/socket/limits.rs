//! `MAX_CONNECTIONS_PER_USER`, checked in the handshake.
//!
//! The live count is the set of sockets in room `user:<id>` as the adapter
//! reports it — every replica's sockets with the Redis adapter. A socket
//! only enters that set once it has joined the room, so handshakes in
//! progress on this node hold a [`Reservation`] naming their socket id, and
//! the user's count is the union of both sets (a socket that has joined but
//! not yet released its reservation counts once). The count-and-reserve step
//! runs under a per-user async lock: concurrent handshakes of one user on one
//! node can neither overshoot nor undershoot the limit. Across replicas, two handshakes
//! racing on different nodes within the adapter's round trip may both pass;
//! the limit is exact per node and best effort cluster-wide.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::{Arc, Mutex};

use shared_types::ConnectErrorCode;

use crate::error::ConnectError;

#[derive(Default)]
struct Slot {
    lock: tokio::sync::Mutex<()>,
    pending: Mutex<HashSet<String>>,
}

/// Per-user connection limiter.
pub struct ConnectionLimiter {
    max: usize,
    slots: Mutex<HashMap<String, Arc<Slot>>>,
}

/// A handshake in progress that counts against its user's limit until it
/// is dropped (the socket is connected and counted by the adapter, or the
/// handshake failed).
pub struct Reservation {
    limiter: Arc<ConnectionLimiter>,
    user_id: String,
    socket_id: String,
    slot: Arc<Slot>,
    held: bool,
}

impl std::fmt::Debug for Reservation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reservation")
            .field("user_id", &self.user_id)
            .finish()
    }
}

impl ConnectionLimiter {
    /// A limiter allowing `max` sockets per user.
    pub fn new(max: usize) -> Arc<Self> {
        Arc::new(Self {
            max,
            slots: Mutex::new(HashMap::new()),
        })
    }

    /// Reserves a connection for socket `socket_id` of `user_id`; `live`
    /// lists the ids of the user's connected sockets (through the adapter).
    /// A failing listing is `auth_unavailable` (retryable).
    pub async fn reserve<F, E>(
        self: &Arc<Self>,
        user_id: &str,
        socket_id: &str,
        live: F,
    ) -> Result<Reservation, ConnectError>
    where
        F: Future<Output = Result<Vec<String>, E>>,
        E: std::fmt::Display,
    {
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            slots.entry(user_id.to_owned()).or_default().clone()
        };
        let mut reservation = Reservation {
            limiter: self.clone(),
            user_id: user_id.to_owned(),
            socket_id: socket_id.to_owned(),
            slot,
            held: false,
        };
        let _turn = reservation.slot.lock.lock().await;
        let live = live.await.map_err(|e| {
            tracing::warn!(error = %e, "counting the user's sockets failed");
            ConnectError(ConnectErrorCode::AuthUnavailable)
        })?;
        let mut pending = reservation
            .slot
            .pending
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        let joined_or_pending = pending.iter().filter(|id| !live.contains(id)).count() + live.len();
        if joined_or_pending >= self.max {
            return Err(ConnectError(ConnectErrorCode::TooManyConnections));
        }
        pending.insert(socket_id.to_owned());
        drop(pending);
        reservation.held = true;
        drop(_turn);
        Ok(reservation)
    }

    /// Handshakes of `user_id` in progress on this node (for tests and logs).
    pub fn pending(&self, user_id: &str) -> usize {
        let slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots.get(user_id).map_or(0, |s| {
            s.pending.lock().unwrap_or_else(|p| p.into_inner()).len()
        })
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if self.held {
            let mut pending = self.slot.pending.lock().unwrap_or_else(|p| p.into_inner());
            pending.remove(&self.socket_id);
        }
        // Forget the user's slot once nobody else holds it.
        let mut slots = self.limiter.slots.lock().unwrap_or_else(|p| p.into_inner());
        if Arc::strong_count(&self.slot) == 2 {
            slots.remove(&self.user_id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::convert::Infallible;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test]
    async fn the_limit_counts_live_and_in_progress_handshakes() {
        let limiter = ConnectionLimiter::new(2);
        let first = limiter.reserve("u1", "s2", live(&["s1"])).await.unwrap();
        let err = limiter
            .reserve("u1", "s3", live(&["s1"]))
            .await
            .unwrap_err();
        assert_eq!(err.0, ConnectErrorCode::TooManyConnections);
        assert!(limiter.reserve("u2", "s4", live(&["s5"])).await.is_ok());
        drop(first);
        assert_eq!(limiter.pending("u1"), 0);
        assert!(limiter.reserve("u1", "s6", live(&["s1"])).await.is_ok());
    }

    fn live(ids: &[&str]) -> impl Future<Output = Result<Vec<String>, Infallible>> + use<> {
        let ids: Vec<String> = ids.iter().map(|s| s.to_string()).collect();
        async move { Ok(ids) }
    }

    #[tokio::test]
    async fn a_socket_that_joined_before_releasing_its_reservation_counts_once() {
        let limiter = ConnectionLimiter::new(2);
        let _joining = limiter.reserve("u1", "s1", live(&[])).await.unwrap();
        // s1 is now both in the room and still reserved: one socket, not two.
        assert!(limiter.reserve("u1", "s2", live(&["s1"])).await.is_ok());
    }

    #[tokio::test]
    async fn concurrent_handshakes_cannot_overshoot() {
        let limiter = ConnectionLimiter::new(3);
        let counts = Arc::new(AtomicUsize::new(0));
        let attempts = (0..10).map(|i| {
            let (limiter, counts) = (limiter.clone(), counts.clone());
            async move {
                let live = async move {
                    counts.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    Ok::<_, Infallible>(Vec::new())
                };
                limiter.reserve("u1", &format!("s{i}"), live).await
            }
        });
        let results = futures::future::join_all(attempts).await;
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 3);
        assert_eq!(limiter.pending("u1"), 3);
    }

    #[tokio::test]
    async fn a_failing_count_is_auth_unavailable() {
        let limiter = ConnectionLimiter::new(3);
        let err = limiter
            .reserve("u1", "s1", async { Err::<Vec<String>, _>("redis down") })
            .await
            .unwrap_err();
        assert_eq!(err.0, ConnectErrorCode::AuthUnavailable);
        assert_eq!(limiter.pending("u1"), 0);
    }
}
