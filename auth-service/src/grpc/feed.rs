//! The revocation feed: **one** follower per auth-service replica reads the
//! revocation log and fans new entries out in-process to every
//! `WatchRevocations` subscriber, so the database work is the same whether
//! one gateway or a thousand streams are listening.
//!
//! The follower wakes on this process's own appends at once and re-reads the
//! log every [`POLL_INTERVAL`] for other replicas' appends. A subscriber
//! first replays the log after its position from the database, then takes
//! entries from the follower's broadcast. Positions are dense, so a jump
//! (a lagging subscriber, or an entry the follower had passed before the
//! subscriber's replay ended) is filled from the database before going on:
//! no revocation is skipped and none is sent twice. At most
//! `MAX_REVOCATION_STREAMS` subscribers are served at once.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use futures::Stream;
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, broadcast, mpsc, watch};
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;

use crate::store::{RevocationDoc, Store, StoreError};

/// How often the log is re-read for other replicas' appends.
pub const POLL_INTERVAL: Duration = Duration::from_millis(200);
/// Entries fetched per read.
const BATCH: i64 = 256;
/// Entries a subscriber may fall behind the follower before it re-reads
/// the database instead.
const LIVE_BUFFER: usize = 1024;

/// Where the feed reads the log (the store; a counting fake in unit tests).
pub trait RevocationLog: Clone + Send + Sync + 'static {
    /// Entries after `position`, oldest first, at most `limit`.
    fn after(
        &self,
        position: i64,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<RevocationDoc>, StoreError>> + Send;
    /// The newest position (0 for an empty log).
    fn newest(&self) -> impl Future<Output = Result<i64, StoreError>> + Send;
}

impl RevocationLog for Store {
    fn after(
        &self,
        position: i64,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<RevocationDoc>, StoreError>> + Send {
        self.revocations_after(position, limit)
    }

    fn newest(&self) -> impl Future<Output = Result<i64, StoreError>> + Send {
        self.newest_revocation_position()
    }
}

/// Refused subscription: every stream slot is taken.
#[derive(Debug, thiserror::Error)]
#[error("too many revocation streams")]
pub struct StreamsExhausted;

/// The follower's output and the stream slots.
pub struct RevocationFeed<L> {
    log: L,
    live: broadcast::Sender<RevocationDoc>,
    started: watch::Receiver<Option<i64>>,
    slots: Arc<Semaphore>,
}

impl<L: RevocationLog> RevocationFeed<L> {
    /// Starts the follower (it runs until `closing` is cancelled); `appended`
    /// is notified by this process's own appends.
    pub fn start(
        log: L,
        appended: Arc<Notify>,
        max_streams: usize,
        closing: CancellationToken,
    ) -> Arc<Self> {
        let (live, _) = broadcast::channel(LIVE_BUFFER);
        let (started_tx, started) = watch::channel(None);
        tokio::spawn(follow(
            log.clone(),
            live.clone(),
            appended,
            started_tx,
            closing,
        ));
        Arc::new(Self {
            log,
            live,
            started,
            slots: Arc::new(Semaphore::new(max_streams)),
        })
    }

    /// Every entry after `from`, then every new one, until the subscriber
    /// leaves or `closing` is cancelled. A read error ends the stream with it.
    pub fn subscribe(
        &self,
        from: i64,
        closing: CancellationToken,
    ) -> Result<impl Stream<Item = Result<RevocationDoc, StoreError>> + use<L>, StreamsExhausted>
    {
        let permit = self
            .slots
            .clone()
            .try_acquire_owned()
            .map_err(|_| StreamsExhausted)?;
        let (tx, rx) = mpsc::channel(BATCH as usize);
        let subscriber = Subscriber {
            log: self.log.clone(),
            live: self.live.subscribe(),
            started: self.started.clone(),
            tx,
            position: from,
            _permit: permit,
        };
        tokio::spawn(async move {
            tokio::select! {
                () = subscriber.run() => {}
                () = closing.cancelled() => {}
            }
        });
        Ok(ReceiverStream::new(rx))
    }
}

async fn follow<L: RevocationLog>(
    log: L,
    live: broadcast::Sender<RevocationDoc>,
    appended: Arc<Notify>,
    started: watch::Sender<Option<i64>>,
    closing: CancellationToken,
) {
    let mut position = None;
    loop {
        // Interest first, then read: an append in between is not missed.
        let notified = appended.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        let mut full = false;
        match position {
            None => match log.newest().await {
                Ok(newest) => {
                    position = Some(newest);
                    started.send_replace(position);
                }
                Err(e) => tracing::warn!(error = %e, "revocation log unreadable; retrying"),
            },
            Some(after) => match log.after(after, BATCH).await {
                Ok(batch) => {
                    full = batch.len() as i64 == BATCH;
                    for entry in batch {
                        position = Some(entry.position);
                        // No receiver is fine: nobody is listening.
                        let _ = live.send(entry);
                    }
                    started.send_replace(position);
                }
                Err(e) => tracing::warn!(error = %e, "revocation log unreadable; retrying"),
            },
        }
        if full {
            continue;
        }
        tokio::select! {
            () = &mut notified => {}
            () = tokio::time::sleep(POLL_INTERVAL) => {}
            () = closing.cancelled() => return,
        }
    }
}

struct Subscriber<L> {
    log: L,
    live: broadcast::Receiver<RevocationDoc>,
    started: watch::Receiver<Option<i64>>,
    tx: mpsc::Sender<Result<RevocationDoc, StoreError>>,
    position: i64,
    _permit: OwnedSemaphorePermit,
}

impl<L: RevocationLog> Subscriber<L> {
    async fn run(mut self) {
        // Entries the follower broadcast before this subscription are all in
        // the database once it has started: the replay below covers them. A
        // subscriber already at the follower's position (a gateway
        // resubscribing, or an empty log) needs no read at all.
        let Ok(followed) = self.started.wait_for(Option::is_some).await.map(|p| *p) else {
            return;
        };
        if followed.is_some_and(|p| self.position < p) && self.catch_up(i64::MAX).await.is_err() {
            return;
        }
        loop {
            let next = tokio::select! {
                next = self.live.recv() => next,
                () = self.tx.closed() => return,
            };
            let result = match next {
                Ok(entry) if entry.position <= self.position => Ok(()),
                Ok(entry) => match self.catch_up(entry.position - 1).await {
                    Ok(()) => self.send(entry).await,
                    Err(()) => Err(()),
                },
                Err(broadcast::error::RecvError::Lagged(_)) => self.catch_up(i64::MAX).await,
                Err(broadcast::error::RecvError::Closed) => return,
            };
            if result.is_err() {
                return;
            }
        }
    }

    /// Sends entries from the database up to `until` (inclusive).
    async fn catch_up(&mut self, until: i64) -> Result<(), ()> {
        while self.position < until {
            let batch = match self.log.after(self.position, BATCH).await {
                Ok(batch) => batch,
                Err(e) => {
                    let _ = self.tx.send(Err(e)).await;
                    return Err(());
                }
            };
            let full = batch.len() as i64 == BATCH;
            let mut sent = false;
            for entry in batch {
                if entry.position > until {
                    return Ok(());
                }
                self.send(entry).await?;
                sent = true;
            }
            if !full || !sent {
                break;
            }
        }
        Ok(())
    }

    async fn send(&mut self, entry: RevocationDoc) -> Result<(), ()> {
        self.position = entry.position;
        self.tx.send(Ok(entry)).await.map_err(|_| ())
    }
}

#[cfg(test)]
#[path = "feed_tests.rs"]
mod tests;
