//! The `sessions` collection: one document per login. A session carries the
//! hash of its current refresh token and ends by expiry or revocation.

use mongodb::bson::{DateTime, doc};
use serde::{Deserialize, Serialize};

use super::{Store, StoreError};

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
        let Some(user) = self.find_user_by_id(user_id).await? else {
            return Ok(SessionState::UnknownUser);
        };
        if user.disabled {
            return Ok(SessionState::Disabled);
        }
        let live = self
            .sessions
            .find_one(doc! {
                "_id": session_id,
                "user_id": user_id,
                "revoked_at": null,
                "expires_at": {"$gt": DateTime::now()},
            })
            .await?;
        Ok(match live {
            Some(_) => SessionState::Active {
                username: user.username,
            },
            None => SessionState::Revoked,
        })
    }
}
