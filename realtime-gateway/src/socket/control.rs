//! Actions on this node's sockets that do not depend on the adapter type:
//! closing the sockets of a revoked session, and draining on shutdown.
//! [`LocalSockets`] erases the adapter so start-up code can hold either.

use std::time::Duration;

use socketioxide::SocketIo;
use socketioxide::adapter::Adapter;

use super::close::close;
use super::principal::{Principal, user_room};
use crate::metrics::{CloseReason, SocketCensus};

/// This node's sockets.
pub trait LocalSockets: SocketCensus {
    /// Disconnects local sockets of `user_id` whose session is `session_id`
    /// (empty = every session); returns how many.
    fn disconnect_session(&self, user_id: &str, session_id: &str) -> usize;
    /// Disconnects up to `n` local sockets; returns how many.
    fn disconnect_some(&self, n: usize) -> usize;
    /// Number of local sockets.
    fn count(&self) -> usize;
    /// Delivers a room event to this node's members of `room`
    /// ([`crate::fanout::deliver_local`]); returns how many were sent it.
    fn deliver(&self, room: &str, event: &str, data: &serde_json::value::RawValue) -> usize;
}

impl<A: Adapter> LocalSockets for SocketIo<A> {
    fn disconnect_session(&self, user_id: &str, session_id: &str) -> usize {
        let mut closed = 0;
        for s in self.local().to(user_room(user_id)).sockets() {
            let matches = s.extensions.get::<Principal>().is_some_and(|p| {
                p.user_id == user_id && (session_id.is_empty() || p.session_id == session_id)
            });
            if matches && close(s, CloseReason::Revoked) {
                closed += 1;
            }
        }
        closed
    }

    fn disconnect_some(&self, n: usize) -> usize {
        self.local()
            .sockets()
            .into_iter()
            .take(n)
            .filter(|s| close(s.clone(), CloseReason::Drain))
            .count()
    }

    fn count(&self) -> usize {
        self.local().sockets().len()
    }

    fn deliver(&self, room: &str, event: &str, data: &serde_json::value::RawValue) -> usize {
        crate::fanout::deliver_local(self, room, event, data).sent
    }
}

impl<A: Adapter> SocketCensus for SocketIo<A> {
    fn census(&self) -> (usize, usize) {
        let sockets = self.local().sockets();
        let users: std::collections::HashSet<String> = sockets
            .iter()
            .filter_map(|s| s.extensions.get::<Principal>().map(|p| p.user_id))
            .collect();
        (sockets.len(), users.len())
    }
}

/// Disconnects every local socket in batches spread over `period`, so the
/// clients' reconnections reach the other replicas gradually.
pub async fn drain(sockets: &dyn LocalSockets, period: Duration) {
    const BATCHES: u32 = 10;
    let total = sockets.count();
    tracing::info!(sockets = total, ?period, "draining");
    if total == 0 {
        return;
    }
    let per_batch = total.div_ceil(BATCHES as usize).max(1);
    let pause = period / BATCHES;
    for _ in 0..BATCHES {
        sockets.disconnect_some(per_batch);
        if sockets.count() == 0 {
            break;
        }
        tokio::time::sleep(pause).await;
    }
    // Whatever connected in between (none: handshakes are refused) or is left.
    sockets.disconnect_some(usize::MAX);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    struct Fake(Mutex<(usize, Vec<usize>)>);
    impl SocketCensus for Fake {
        fn census(&self) -> (usize, usize) {
            (0, 0)
        }
    }
    impl LocalSockets for Fake {
        fn disconnect_session(&self, _: &str, _: &str) -> usize {
            0
        }
        fn disconnect_some(&self, n: usize) -> usize {
            let mut g = self.0.lock().unwrap();
            let k = n.min(g.0);
            g.0 -= k;
            g.1.push(k);
            k
        }
        fn count(&self) -> usize {
            self.0.lock().unwrap().0
        }
        fn deliver(&self, _: &str, _: &str, _: &serde_json::value::RawValue) -> usize {
            0
        }
    }

    #[tokio::test(start_paused = true)]
    async fn draining_spreads_disconnects_over_the_period() {
        let fake = Fake(Mutex::new((95, vec![])));
        let started = tokio::time::Instant::now();
        drain(&fake, Duration::from_secs(10)).await;
        let batches = fake.0.lock().unwrap().1.clone();
        assert_eq!(batches.iter().sum::<usize>(), 95);
        assert!(batches.iter().all(|b| *b <= 10), "{batches:?}");
        assert!(started.elapsed() >= Duration::from_secs(8));
        assert!(started.elapsed() <= Duration::from_secs(10));
    }
}
