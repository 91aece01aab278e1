//! MongoDB access. Handlers call typed methods here and never build BSON
//! themselves; every filter is made from already-parsed domain values.
//!
//! Correctness never depends on transactions, retryable writes or change
//! streams (a standalone mongod offers none): uniqueness comes from unique
//! indexes, state changes from single-document atomic updates.

mod error;
mod rate_limits;
mod revocations;
mod sessions;
mod users;

use std::{sync::Arc, time::Duration};

use mongodb::{
    Client, Collection, Database, IndexModel,
    bson::doc,
    options::{ClientOptions, IndexOptions},
};
use tokio::sync::{Mutex, Notify, OnceCell};

pub use error::StoreError;
pub use rate_limits::{COUNTER_GRACE, CounterDoc};
pub use revocations::{RETENTION, RevocationDoc, RevocationReason};
pub use sessions::{RotateOutcome, SessionDoc, SessionState};
pub use users::{NewUser, UserDoc};

/// How long an operation may wait for a reachable server before the request
/// fails with 503 (the driver's default of 30 s would hang clients).
const SERVER_SELECTION_TIMEOUT: Duration = Duration::from_secs(2);

/// Handle to the service's collections. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    db: Database,
    users: Collection<UserDoc>,
    sessions: Collection<SessionDoc>,
    revocations: Collection<RevocationDoc>,
    counters: Collection<CounterDoc>,
    revocations_appended: Arc<Notify>,
    append_turn: Arc<Mutex<()>>,
    indexes: Arc<OnceCell<()>>,
}

impl Store {
    /// Configures a client; no connection is made until the first operation,
    /// so the service starts even while MongoDB is down.
    pub async fn connect(uri: &str, database: &str) -> anyhow::Result<Self> {
        let mut options = ClientOptions::parse(uri)
            .await
            .map_err(|_| anyhow::anyhow!("MONGODB_URI: not a valid MongoDB connection string"))?;
        options.server_selection_timeout = Some(SERVER_SELECTION_TIMEOUT);
        options.connect_timeout = Some(SERVER_SELECTION_TIMEOUT);
        options.app_name = Some("gatehouse-auth-service".into());
        let client = Client::with_options(options)?;
        let db = client.database(database);
        Ok(Self {
            users: db.collection("users"),
            sessions: db.collection("sessions"),
            revocations: db.collection("revocations"),
            counters: db.collection("rate_limits"),
            revocations_appended: Arc::new(Notify::new()),
            append_turn: Arc::new(Mutex::new(())),
            db,
            indexes: Arc::new(OnceCell::new()),
        })
    }

    /// Creates the indexes once per process (idempotent on the server). Every
    /// write path calls this first, so no user is inserted before the unique
    /// indexes exist, even if MongoDB was down at start.
    pub async fn ensure_indexes(&self) -> Result<(), StoreError> {
        self.indexes
            .get_or_try_init(|| async {
                let unique = |name: &str| {
                    IndexOptions::builder()
                        .unique(true)
                        .name(name.to_owned())
                        .build()
                };
                self.users
                    .create_indexes([
                        IndexModel::builder()
                            .keys(doc! {"username_norm": 1})
                            .options(unique("username_norm_unique"))
                            .build(),
                        IndexModel::builder()
                            .keys(doc! {"email_norm": 1})
                            .options(unique("email_norm_unique"))
                            .build(),
                    ])
                    .await?;
                self.sessions
                    .create_indexes([
                        IndexModel::builder().keys(doc! {"user_id": 1}).build(),
                        IndexModel::builder()
                            .keys(doc! {"refresh_hash": 1})
                            .options(unique("refresh_hash_unique"))
                            .build(),
                        IndexModel::builder().keys(doc! {"spent_hashes": 1}).build(),
                        expire_at_field(),
                    ])
                    .await?;
                self.counters.create_index(expire_at_field()).await?;
                Ok::<(), StoreError>(())
            })
            .await
            .map(|_| ())
    }

    /// Whether MongoDB answers and the indexes exist (readiness).
    pub async fn is_ready(&self) -> bool {
        self.ensure_indexes().await.is_ok() && self.db.run_command(doc! {"ping": 1}).await.is_ok()
    }
}

/// A TTL index deleting each document once its `expires_at` has passed.
fn expire_at_field() -> IndexModel {
    let options = IndexOptions::builder()
        .expire_after(Duration::from_secs(0))
        .name("expires_at_ttl".to_owned())
        .build();
    IndexModel::builder()
        .keys(doc! {"expires_at": 1})
        .options(options)
        .build()
}
