//! The `sessions` collection: one document per login. A session carries the
//! hash of its current refresh token and ends by expiry or revocation.

use mongodb::bson::{DateTime, doc};
use serde::{Deserialize, Serialize};

use super::{Store, StoreError};

/// Spent refresh-token hashes kept per session for reuse detection: the
/// last 64 rotations (16 hours of 15-minute refreshes). An older spent token
/// is simply invalid; the list never grows past this, however often a
/// client refreshes.
pub const SPENT_KEPT: i64 = 64;

/// A stored session.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SessionDoc {
    /// Session id (UUID v4, also the token `sid`).
    #[serde(rename = "_id")]
    pub id: String,
    /// Owner.
    pub user_id: String,
    /// Login time.
    pub created_at: DateTime,
    /// Absolute end of the session (refresh tokens never outlive it).
    pub expires_at: DateTime,
    /// When it was revoked, if it was.
    #[serde(default)]
    pub revoked_at: Option<DateTime>,
    /// SHA-256 of the current refresh token.
    pub refresh_hash: String,
    /// Hashes of the session's spent refresh tokens (reuse detection).
    #[serde(default)]
    pub spent_hashes: Vec<String>,
}

/// What a session check reads of a user.
#[derive(Debug, Deserialize)]
struct UserStatus {
    username: String,
    #[serde(default)]
    disabled: bool,
}

/// The state of a (user, session) pair, as `CheckSession` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SessionState {
    /// Live session of an enabled user; carries the current username.
    Active {
        /// Current username.
        username: String,
    },
    /// No such user.
    UnknownUser,
    /// The user exists but is disabled.
    Disabled,
    /// Unknown, expired or revoked session, or one of another user.
    Revoked,
}

impl Store {
    /// Records a new session for `user_id` with the hash of its first
    /// refresh token.
    pub async fn create_session(
        &self,
        user_id: &str,
        refresh_hash: String,
        expires_at: DateTime,
    ) -> Result<SessionDoc, StoreError> {
        self.ensure_indexes().await?;
        let session = SessionDoc {
            id: uuid::Uuid::new_v4().to_string(),
            user_id: user_id.to_owned(),
            created_at: DateTime::now(),
            expires_at,
            revoked_at: None,
            refresh_hash,
            spent_hashes: Vec::new(),
        };
        self.sessions.insert_one(&session).await?;
        Ok(session)
    }

    /// Whether this session of this user is live.
    pub async fn session_state(
        &self,
        user_id: &str,
        session_id: &str,
    ) -> Result<SessionState, StoreError> {
        // Two indexed point reads, each projected to what the answer needs:
        // never the password hash, never the spent-token list.
        let Some(user) = self
            .users
            .clone_with_type::<UserStatus>()
            .find_one(doc! {"_id": user_id})
            .projection(doc! {"username": 1, "disabled": 1})
            .await?
        else {
            return Ok(SessionState::UnknownUser);
        };
        if user.disabled {
            return Ok(SessionState::Disabled);
        }
        let live = self
            .sessions
            .clone_with_type::<mongodb::bson::Document>()
            .find_one(doc! {
                "_id": session_id,
                "user_id": user_id,
                "revoked_at": null,
                "expires_at": {"$gt": DateTime::now()},
            })
            .projection(doc! {"_id": 1})
            .await?;
        Ok(match live {
            Some(_) => SessionState::Active {
                username: user.username,
            },
            None => SessionState::Revoked,
        })
    }
}

/// What presenting a refresh token did.
#[derive(Debug, Clone)]
pub enum RotateOutcome {
    /// The token was current: it is now spent and `new_hash` is current.
    Rotated(SessionDoc),
    /// The token was already spent: the whole session is now revoked.
    Reused(SessionDoc),
    /// Unknown, expired or revoked.
    Invalid,
}

impl Store {
    /// Spends the refresh token with hash `old_hash` and makes `new_hash`
    /// current, in one atomic update, so of two concurrent refreshes with
    /// the same token at most one succeeds. A token presented again after
    /// being spent revokes its session (the token family).
    pub async fn rotate_refresh(
        &self,
        old_hash: &str,
        new_hash: &str,
    ) -> Result<RotateOutcome, StoreError> {
        self.ensure_indexes().await?;
        let now = DateTime::now();
        let rotated = self
            .sessions
            .find_one_and_update(
                doc! {"refresh_hash": old_hash, "revoked_at": null, "expires_at": {"$gt": now}},
                doc! {
                    "$set": {"refresh_hash": new_hash},
                    "$push": {"spent_hashes": {"$each": [old_hash], "$slice": -SPENT_KEPT}},
                },
            )
            .return_document(mongodb::options::ReturnDocument::After)
            .await?;
        if let Some(session) = rotated {
            return Ok(RotateOutcome::Rotated(session));
        }
        Ok(match self.revoke_by_spent_refresh(old_hash).await? {
            Some(session) => RotateOutcome::Reused(session),
            None => RotateOutcome::Invalid,
        })
    }

    /// A spent refresh token presented again means a copy exists: revokes
    /// the session it belonged to (if still live) and returns that session.
    /// `None` when the hash was never a spent token of any session.
    pub async fn revoke_by_spent_refresh(
        &self,
        spent_hash: &str,
    ) -> Result<Option<SessionDoc>, StoreError> {
        let Some(session) = self
            .sessions
            .find_one(doc! {"spent_hashes": spent_hash})
            .projection(doc! {"spent_hashes": 0})
            .await?
        else {
            return Ok(None);
        };
        self.sessions
            .update_one(
                doc! {"_id": &session.id, "revoked_at": null},
                doc! {"$set": {"revoked_at": DateTime::now()}},
            )
            .await?;
        Ok(Some(session))
    }

    /// The live session whose current refresh token has this hash.
    pub async fn find_live_session_by_refresh(
        &self,
        hash: &str,
    ) -> Result<Option<SessionDoc>, StoreError> {
        Ok(self
            .sessions
            .find_one(doc! {"refresh_hash": hash, "revoked_at": null, "expires_at": {"$gt": DateTime::now()}})
            .await?)
    }

    /// Revokes one session of a user; false if it was not live.
    pub async fn revoke_session(
        &self,
        user_id: &str,
        session_id: &str,
    ) -> Result<bool, StoreError> {
        let result = self
            .sessions
            .update_one(
                doc! {"_id": session_id, "user_id": user_id, "revoked_at": null},
                doc! {"$set": {"revoked_at": DateTime::now()}},
            )
            .await?;
        Ok(result.modified_count > 0)
    }

    /// Revokes every live session of a user; returns how many.
    pub async fn revoke_all_sessions(&self, user_id: &str) -> Result<u64, StoreError> {
        let result = self
            .sessions
            .update_many(
                doc! {"user_id": user_id, "revoked_at": null},
                doc! {"$set": {"revoked_at": DateTime::now()}},
            )
            .await?;
        Ok(result.modified_count)
    }

    /// Deletes a user and every session (with its refresh tokens).
    pub async fn delete_user(&self, user_id: &str) -> Result<(), StoreError> {
        self.users.delete_one(doc! {"_id": user_id}).await?;
        self.sessions.delete_many(doc! {"user_id": user_id}).await?;
        Ok(())
    }
}
