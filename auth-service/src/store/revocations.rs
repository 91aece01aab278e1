//! The revocation log: an ordered, persisted list of "these sessions ended"
//! events that gateways follow through `WatchRevocations`.
//!
//! Positions are dense (1, 2, 3, …): a writer inserts `newest + 1` and
//! retries if another writer took that number (the `_id` is unique), so a
//! reader that has seen position N and finds N + 2 knows N + 1 is missing for
//! good reason only if it was pruned. Entries older than the retention are
//! pruned, except the newest, so positions never restart.

use std::sync::Arc;
use std::time::Duration;

use futures::TryStreamExt;
use mongodb::{
    bson::{DateTime, doc},
    options::FindOptions,
};
use serde::{Deserialize, Serialize};
use tokio::sync::Notify;

use super::{Store, StoreError};

/// Tries at a free position before giving up (only other replicas compete).
const APPEND_ATTEMPTS: usize = 32;

/// How long revocations stay replayable for a reconnecting gateway.
pub const RETENTION: Duration = Duration::from_secs(24 * 3600);

/// Why sessions were revoked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevocationReason {
    /// One session logged out.
    Logout,
    /// Every session of the user logged out.
    LogoutAll,
    /// The account was deleted.
    UserDeleted,
    /// A spent refresh token was presented again.
    RefreshReuse,
}

/// One entry of the log.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RevocationDoc {
    /// Position in the log (dense, from 1).
    #[serde(rename = "_id")]
    pub position: i64,
    /// The user whose sessions ended.
    pub user_id: String,
    /// The session, or empty for every session of the user.
    pub session_id: String,
    /// Why.
    pub reason: RevocationReason,
    /// When.
    pub at: DateTime,
}

impl Store {
    /// Appends a revocation and returns its position.
    ///
    /// Appends of this process take turns (a local lock), so concurrent
    /// logouts on one replica never race each other for a position; a race
    /// with another replica is retried after a short random pause.
    pub async fn append_revocation(
        &self,
        user_id: &str,
        session_id: &str,
        reason: RevocationReason,
    ) -> Result<i64, StoreError> {
        let _turn = self.append_turn.lock().await;
        for attempt in 0..APPEND_ATTEMPTS {
            if attempt > 0 {
                let jitter = u64::from(uuid::Uuid::new_v4().as_bytes()[0] % 20);
                tokio::time::sleep(Duration::from_millis(1 + jitter)).await;
            }
            let position = self.newest_revocation_position().await? + 1;
            let entry = RevocationDoc {
                position,
                user_id: user_id.to_owned(),
                session_id: session_id.to_owned(),
                reason,
                at: DateTime::now(),
            };
            match self
                .revocations
                .insert_one(&entry)
                .await
                .map_err(StoreError::from)
            {
                Ok(_) => {
                    self.revocations_appended.notify_waiters();
                    self.prune_revocations(position).await?;
                    return Ok(position);
                }
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Contention)
    }

    /// Entries after `position`, oldest first, at most `limit`.
    pub async fn revocations_after(
        &self,
        position: i64,
        limit: i64,
    ) -> Result<Vec<RevocationDoc>, StoreError> {
        let options = FindOptions::builder()
            .sort(doc! {"_id": 1})
            .limit(limit)
            .build();
        let cursor = self
            .revocations
            .find(doc! {"_id": {"$gt": position}})
            .with_options(options)
            .await?;
        Ok(cursor.try_collect().await?)
    }

    /// Notified when this process appends a revocation (other replicas'
    /// appends are found by polling).
    pub fn revocations_appended(&self) -> Arc<Notify> {
        self.revocations_appended.clone()
    }

    /// The newest position in the log (0 when empty).
    pub async fn newest_revocation_position(&self) -> Result<i64, StoreError> {
        let options = mongodb::options::FindOneOptions::builder()
            .sort(doc! {"_id": -1})
            .build();
        let newest = self
            .revocations
            .find_one(doc! {})
            .with_options(options)
            .await?;
        Ok(newest.map_or(0, |r| r.position))
    }

    async fn prune_revocations(&self, newest: i64) -> Result<(), StoreError> {
        let cutoff = DateTime::from_millis(
            DateTime::now().timestamp_millis() - RETENTION.as_millis() as i64,
        );
        self.revocations
            .delete_many(doc! {"at": {"$lt": cutoff}, "_id": {"$lt": newest}})
            .await?;
        Ok(())
    }
}
