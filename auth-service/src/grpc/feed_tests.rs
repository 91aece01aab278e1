//! Unit tests of the revocation feed over an in-memory log. The log is a
//! fake on purpose: the point is to count the reads the feed makes, which a
//! real database does not report. The real service is covered by
//! `tests/api/grpc.rs`.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use futures::StreamExt;
use mongodb::bson::DateTime;

use super::*;
use crate::store::RevocationReason;

#[derive(Clone, Default)]
struct MemoryLog {
    entries: Arc<Mutex<Vec<RevocationDoc>>>,
    reads: Arc<AtomicUsize>,
    appended: Arc<Notify>,
}

impl MemoryLog {
    fn append(&self, n: usize) {
        let mut entries = self.entries.lock().unwrap();
        for _ in 0..n {
            let position = entries.len() as i64 + 1;
            entries.push(RevocationDoc {
                position,
                user_id: format!("u{position}"),
                session_id: String::new(),
                reason: RevocationReason::Logout,
                at: DateTime::now(),
            });
        }
        drop(entries);
        self.appended.notify_waiters();
    }

    fn reads(&self) -> usize {
        self.reads.load(Ordering::SeqCst)
    }
}

impl RevocationLog for MemoryLog {
    async fn after(&self, position: i64, limit: i64) -> Result<Vec<RevocationDoc>, StoreError> {
        self.reads.fetch_add(1, Ordering::SeqCst);
        let entries = self.entries.lock().unwrap();
        Ok(entries
            .iter()
            .filter(|e| e.position > position)
            .take(limit as usize)
            .cloned()
            .collect())
    }

    async fn newest(&self) -> Result<i64, StoreError> {
        Ok(self.entries.lock().unwrap().len() as i64)
    }
}

fn start(log: &MemoryLog, max_streams: usize) -> Arc<RevocationFeed<MemoryLog>> {
    RevocationFeed::start(
        log.clone(),
        log.appended.clone(),
        max_streams,
        CancellationToken::new(),
    )
}

async fn positions(
    stream: &mut (impl Stream<Item = Result<RevocationDoc, StoreError>> + Unpin),
    n: usize,
) -> Vec<i64> {
    let mut out = Vec::new();
    while out.len() < n {
        out.push(stream.next().await.unwrap().unwrap().position);
    }
    out
}

#[tokio::test(start_paused = true)]
async fn many_subscribers_share_one_follower_reading_the_log() {
    let log = MemoryLog::default();
    log.append(2);
    let feed = start(&log, 1000);
    let mut streams: Vec<_> = (0..200)
        .map(|_| Box::pin(feed.subscribe(0, CancellationToken::new()).unwrap()))
        .collect();
    for s in &mut streams {
        assert_eq!(positions(s, 2).await, vec![1, 2], "replay");
    }
    log.append(1);
    for s in &mut streams {
        assert_eq!(positions(s, 1).await, vec![3], "live entry");
    }

    let before = log.reads();
    tokio::time::sleep(Duration::from_secs(10)).await;
    let idle_reads = log.reads() - before;
    // One follower polling every 200 ms reads ~50 times in 10 s; a poller
    // per subscriber would read 200 times as often.
    assert!(
        idle_reads <= 52,
        "{idle_reads} reads in 10 s with 200 subscribers"
    );
    assert!(idle_reads >= 45, "the follower keeps polling: {idle_reads}");
}

#[tokio::test(start_paused = true)]
async fn a_lagging_subscriber_gets_every_entry_once_in_order() {
    let log = MemoryLog::default();
    let feed = start(&log, 10);
    let mut stream = Box::pin(feed.subscribe(0, CancellationToken::new()).unwrap());
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Far more than the live buffer while the subscriber reads nothing.
    for _ in 0..12 {
        log.append(300);
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let got = positions(&mut stream, 3600).await;
    assert_eq!(got, (1..=3600).collect::<Vec<_>>());
    log.append(1);
    assert_eq!(positions(&mut stream, 1).await, vec![3601]);
}

#[tokio::test(start_paused = true)]
async fn a_subscriber_resumes_after_its_position_without_repeats() {
    let log = MemoryLog::default();
    log.append(10);
    let feed = start(&log, 10);
    let mut stream = Box::pin(feed.subscribe(7, CancellationToken::new()).unwrap());
    assert_eq!(positions(&mut stream, 3).await, vec![8, 9, 10]);
    log.append(2);
    assert_eq!(positions(&mut stream, 2).await, vec![11, 12]);
}

#[tokio::test(start_paused = true)]
async fn streams_beyond_the_cap_are_refused_until_one_leaves() {
    let log = MemoryLog::default();
    let feed = start(&log, 2);
    let first = feed.subscribe(0, CancellationToken::new()).unwrap();
    let _second = feed.subscribe(0, CancellationToken::new()).unwrap();
    assert!(feed.subscribe(0, CancellationToken::new()).is_err());
    drop(first);
    tokio::time::sleep(Duration::from_millis(50)).await;
    assert!(feed.subscribe(0, CancellationToken::new()).is_ok());
}
