//! The `WatchRevocations` stream: replays the log after the subscriber's
//! position, then follows it. Local appends wake the stream at once; appends
//! by other replicas are found by polling, so every gateway hears of every
//! revocation within one poll interval.

use std::time::Duration;

use futures::Stream;
use proto::auth::v1::{Revocation, RevocationReason as WireReason};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tokio_util::sync::CancellationToken;
use tonic::Status;

use crate::store::{RevocationDoc, RevocationReason, Store};

/// How often the log is re-read when nothing was appended locally.
const POLL_INTERVAL: Duration = Duration::from_millis(200);
/// Entries fetched per read.
const BATCH: i64 = 256;

/// A stream of every revocation after `from`, live until the client leaves
/// or `closing` is cancelled (shutdown), which ends the stream cleanly.
pub fn revocations(
    store: Store,
    from: i64,
    closing: CancellationToken,
) -> impl Stream<Item = Result<Revocation, Status>> {
    let (tx, rx) = mpsc::channel(BATCH as usize);
    tokio::spawn(async move {
        let mut position = from;
        loop {
            // Register interest before reading, so an append between the read
            // and the wait is not missed.
            let appended = store.revocation_appended();
            tokio::pin!(appended);
            appended.as_mut().enable();
            let batch = match store.revocations_after(position, BATCH).await {
                Ok(batch) => batch,
                Err(e) => {
                    let _ = tx.send(Err(Status::from(e))).await;
                    return;
                }
            };
            let full = batch.len() as i64 == BATCH;
            for entry in batch {
                position = entry.position;
                if tx.send(Ok(to_wire(entry))).await.is_err() {
                    return; // subscriber gone
                }
            }
            if full {
                continue;
            }
            tokio::select! {
                _ = appended => {}
                _ = tokio::time::sleep(POLL_INTERVAL) => {}
                _ = tx.closed() => return,
                _ = closing.cancelled() => return,
            }
        }
    });
    ReceiverStream::new(rx)
}

fn to_wire(entry: RevocationDoc) -> Revocation {
    let reason = match entry.reason {
        RevocationReason::Logout => WireReason::Logout,
        RevocationReason::LogoutAll => WireReason::LogoutAll,
        RevocationReason::UserDeleted => WireReason::UserDeleted,
        RevocationReason::RefreshReuse => WireReason::RefreshReuse,
    };
    Revocation {
        user_id: entry.user_id,
        session_id: entry.session_id,
        reason: reason.into(),
        at: entry.at.timestamp_millis(),
        position: entry.position as u64,
    }
}
