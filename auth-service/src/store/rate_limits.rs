//! Fixed-window rate-limit counters in MongoDB, shared by every replica of
//! the auth-service (one `$inc` per hit; expired windows are removed by a TTL
//! index and are never read again anyway).

use std::time::Duration;

use mongodb::{
    bson::{DateTime, doc},
    options::ReturnDocument,
};
use serde::{Deserialize, Serialize};

use super::{Store, StoreError};

/// One counter: a key in one time window.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CounterDoc {
    /// `<scope>|<key>|<window start ms>`.
    #[serde(rename = "_id")]
    pub id: String,
    /// Hits in the window.
    pub count: i64,
    /// When the window ends (TTL index).
    pub expires_at: DateTime,
}

impl Store {
    /// Adds one hit to counter `id` and returns the new count.
    pub async fn increment_counter(
        &self,
        id: &str,
        expires_at: DateTime,
    ) -> Result<u64, StoreError> {
        self.ensure_indexes().await?;
        // Two first hits may race to insert the same counter: the loser's
        // upsert fails with a duplicate key and simply retries as an update.
        for attempt in 0..8u64 {
            if attempt > 0 {
                tokio::time::sleep(std::time::Duration::from_millis(attempt * 3)).await;
            }
            let result = self
                .counters
                .find_one_and_update(
                    doc! {"_id": id},
                    doc! {"$inc": {"count": 1}, "$setOnInsert": {"expires_at": expires_at}},
                )
                .upsert(true)
                .return_document(ReturnDocument::After)
                .await
                .map_err(StoreError::from);
            match result {
                Ok(Some(counter)) => return Ok(counter.count.max(0) as u64),
                // Applied or not, the server did not say: read the count
                // back (ours included if it was applied) rather than guess.
                Ok(None) => match self.counters.find_one(doc! {"_id": id}).await? {
                    Some(counter) => return Ok(counter.count.max(0) as u64),
                    None => continue,
                },
                Err(StoreError::Conflict) => continue,
                Err(e) => return Err(e),
            }
        }
        Err(StoreError::Unexpected(
            "the counter upsert kept failing to return the counter",
        ))
    }

    /// Takes one hit back from counter `id` (never below zero).
    pub async fn decrement_counter(&self, id: &str) -> Result<(), StoreError> {
        self.counters
            .update_one(
                doc! {"_id": id, "count": {"$gt": 0}},
                doc! {"$inc": {"count": -1}},
            )
            .await?;
        Ok(())
    }

    /// The current count of counter `id` (0 if absent).
    pub async fn counter(&self, id: &str) -> Result<u64, StoreError> {
        let counter = self.counters.find_one(doc! {"_id": id}).await?;
        Ok(counter.map_or(0, |c| c.count.max(0) as u64))
    }
}

/// Grace after a window's end before its counter is deleted.
pub const COUNTER_GRACE: Duration = Duration::from_secs(60);
