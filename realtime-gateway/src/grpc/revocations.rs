//! Follows `WatchRevocations` for the life of the gateway and closes the
//! sockets of revoked sessions.
//!
//! The first subscription asks from position 0: the auth-service replays the
//! revocations it still retains. Disconnecting sockets of already-revoked
//! sessions is harmless, and it fills the local revoked-set so a stolen,
//! still-valid token of such a session cannot open a socket. After a broken
//! stream the watcher resubscribes with exponential backoff (capped at
//! [`MAX_BACKOFF`]) from the last position seen, so nothing is missed.
//!
//! Every replica runs its own watcher and disconnects only its **local**
//! sockets: together the replicas cover every socket without any
//! cross-node traffic through the Redis adapter.

use std::sync::Arc;
use std::time::Duration;

use proto::auth::v1::{Revocation, WatchRevocationsRequest};

use super::SessionChecker;
use super::link::{AuthLink, DirectoryClient, LinkState, LinkStatus};

/// Longest wait between two subscription attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// Called for each revocation, after the session cache was updated.
pub type OnRevoke = Arc<dyn Fn(&Revocation) + Send + Sync>;

/// The background subscriber.
pub struct RevocationWatcher {
    client: DirectoryClient,
    sessions: SessionChecker,
    on_revoke: OnRevoke,
    link: Arc<LinkStatus>,
    position: u64,
}

impl RevocationWatcher {
    /// A watcher that reports its stream state in the link's status
    /// (readiness).
    pub fn new(link: &AuthLink, sessions: SessionChecker, on_revoke: OnRevoke) -> Self {
        Self {
            client: link.client(),
            sessions,
            on_revoke,
            link: link.status().clone(),
            position: 0,
        }
    }

    /// Subscribes and resubscribes forever (until the task is aborted).
    pub async fn run(mut self) {
        let mut backoff = Duration::from_millis(100);
        loop {
            match self.follow().await {
                Ok(()) => {
                    tracing::warn!("revocation stream ended; resubscribing");
                    self.link.set(LinkState::Down);
                }
                Err(status) => {
                    tracing::warn!(
                        code = ?status.code(),
                        retry_in = ?backoff,
                        "revocation stream unavailable"
                    );
                    // A refusal stays visible (readiness says why) until a
                    // subscription succeeds.
                    self.link.set(LinkState::Down);
                    self.link.observe_failure(&status);
                }
            }
            tokio::time::sleep(backoff).await;
            backoff = (backoff * 2).min(MAX_BACKOFF);
            if self.position > 0 {
                // Made progress at least once: start the next backoff low.
                backoff = backoff.min(Duration::from_millis(400));
            }
        }
    }

    async fn follow(&mut self) -> Result<(), tonic::Status> {
        let (req, trace_id) = super::trace::traced(WatchRevocationsRequest {
            from: self.position,
        });
        let mut stream = self.client.watch_revocations(req).await?.into_inner();
        self.link.set(LinkState::Up);
        tracing::info!(from = self.position, %trace_id, "following revocations");
        while let Some(rev) = stream.message().await? {
            self.apply(&rev).await;
        }
        Ok(())
    }

    async fn apply(&mut self, rev: &Revocation) {
        self.position = self.position.max(rev.position);
        tracing::info!(
            user_id = rev.user_id,
            all_sessions = rev.session_id.is_empty(),
            position = rev.position,
            "revocation"
        );
        let age_ms = crate::socket::lifetime::now_unix_ms().saturating_sub(rev.at);
        let age = Duration::from_millis(u64::try_from(age_ms).unwrap_or(0));
        self.sessions
            .revoke(&rev.user_id, &rev.session_id, age)
            .await;
        (self.on_revoke)(rev);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grpc::fake::spawn_fake;
    use std::sync::Mutex;

    #[tokio::test]
    async fn revocations_are_applied_and_resumed_from_the_last_position() {
        let (fake, channel) = spawn_fake().await;
        let link = AuthLink::new(channel, None).unwrap();
        let sessions = SessionChecker::new(
            &link,
            Duration::from_secs(60),
            service_kit::metrics::latency_histogram(),
        );
        sessions.check("u1", "s1").await.unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = seen.clone();
        let on_revoke: OnRevoke = Arc::new(move |r| s.lock().unwrap().push(r.session_id.clone()));
        let watcher = RevocationWatcher::new(&link, sessions.clone(), on_revoke);
        let task = tokio::spawn(watcher.run());

        let tx = wait_for_subscription(&fake, 1).await;
        for _ in 0..50 {
            if link.status().get() == LinkState::Up {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(link.status().get(), LinkState::Up);
        let rev = Revocation {
            user_id: "u1".into(),
            session_id: "s1".into(),
            position: 7,
            at: crate::socket::lifetime::now_unix_ms(),
            ..Default::default()
        };
        tx.send(Ok(rev)).await.unwrap();
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(*seen.lock().unwrap(), vec!["s1".to_string()]);
        assert_eq!(
            sessions.check("u1", "s1").await,
            Err(crate::error::AuthError::SessionRevoked)
        );

        drop(tx); // the server ends the stream
        *fake.revocations.lock().unwrap() = None;
        wait_for_subscription(&fake, 2).await;
        assert_eq!(*fake.watch_from.lock().unwrap(), vec![0, 7]);
        task.abort();
    }

    async fn wait_for_subscription(
        fake: &crate::grpc::fake::Fake,
        n: usize,
    ) -> tokio::sync::mpsc::Sender<Result<Revocation, tonic::Status>> {
        for _ in 0..100 {
            let subscribed = fake.watch_from.lock().unwrap().len() >= n;
            if subscribed && let Some(tx) = fake.revocations.lock().unwrap().clone() {
                return tx;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("no subscription #{n}");
    }
}
