//! The `users` collection: one document per account, unique on the
//! case-folded username and email.

use mongodb::bson::{DateTime, doc};
use serde::{Deserialize, Serialize};

use super::{Store, StoreError};
use crate::domain::{Email, Username};

/// A stored account.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserDoc {
    /// User id (UUID v4, also the token `sub`).
    #[serde(rename = "_id")]
    pub id: String,
    /// Username as registered.
    pub username: String,
    /// Lower-cased username (unique index).
    pub username_norm: String,
    /// Email as registered.
    pub email: String,
    /// Lower-cased email (unique index).
    pub email_norm: String,
    /// argon2id PHC string.
    pub password_hash: String,
    /// Creation time.
    pub created_at: DateTime,
    /// A disabled account cannot log in and its sockets are refused.
    #[serde(default)]
    pub disabled: bool,
}

/// What registration stores.
pub struct NewUser {
    /// Parsed username.
    pub username: Username,
    /// Parsed email.
    pub email: Email,
    /// argon2id hash of the password.
    pub password_hash: String,
}

impl Store {
    /// Inserts a new account. A taken username or email (compared
    /// case-insensitively by the unique indexes) is `StoreError::Conflict`,
    /// even when two registrations race.
    pub async fn insert_user(&self, new: NewUser) -> Result<UserDoc, StoreError> {
        self.ensure_indexes().await?;
        let user = UserDoc {
            id: uuid::Uuid::new_v4().to_string(),
            username_norm: new.username.normalized(),
            username: new.username.as_str().to_owned(),
            email_norm: new.email.normalized(),
            email: new.email.as_str().to_owned(),
            password_hash: new.password_hash,
            created_at: DateTime::now(),
            disabled: false,
        };
        self.users.insert_one(&user).await?;
        Ok(user)
    }

    /// Finds an account by username or, when the login contains `@`, by email.
    /// The login is only ever compared as a plain string.
    pub async fn find_user_by_login(&self, login: &str) -> Result<Option<UserDoc>, StoreError> {
        // The same folding as at registration (the domain types own it).
        let filter = if login.contains('@') {
            doc! {"email_norm": crate::domain::Email::fold(login)}
        } else {
            doc! {"username_norm": crate::domain::Username::fold(login)}
        };
        Ok(self.users.find_one(filter).await?)
    }

    /// Finds an account by id.
    pub async fn find_user_by_id(&self, id: &str) -> Result<Option<UserDoc>, StoreError> {
        Ok(self.users.find_one(doc! {"_id": id}).await?)
    }
}
