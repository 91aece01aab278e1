//! `UserDirectory`: answers gateways about sessions and streams revocations.

use std::pin::Pin;
use std::sync::Arc;

use futures::Stream;
use proto::auth::v1::{
    CheckSessionRequest, CheckSessionResponse, Revocation, SessionStatus, WatchRevocationsRequest,
    user_directory_server::UserDirectory,
};
use tokio_util::sync::CancellationToken;
use tonic::{Request, Response, Status};

use super::feed::RevocationFeed;
use crate::store::{SessionState, Store, StoreError};

/// The `UserDirectory` service over the store.
#[derive(Clone)]
pub struct Directory {
    store: Store,
    feed: Arc<RevocationFeed<Store>>,
    closing: CancellationToken,
}

impl Directory {
    /// Serves directory queries from `store` and revocations from `feed`;
    /// `closing` ends every `WatchRevocations` stream at shutdown, so
    /// gateways move to another replica instead of holding this one open.
    pub fn new(store: Store, feed: Arc<RevocationFeed<Store>>, closing: CancellationToken) -> Self {
        Self {
            store,
            feed,
            closing,
        }
    }
}

/// Ids are canonical UUIDs (hyphenated, lowercase, as this service writes
/// them); anything else cannot exist and is refused before any lookup.
fn is_id(id: &str) -> bool {
    id.len() == 36 && uuid::Uuid::parse_str(id).is_ok_and(|u| u.hyphenated().to_string() == id)
}

impl From<StoreError> for Status {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Unavailable(e) => {
                tracing::warn!(error = %e, "database unavailable");
                Status::unavailable("directory temporarily unavailable")
            }
            other => {
                tracing::error!(error = ?other, "directory query failed");
                Status::internal("internal error")
            }
        }
    }
}

#[tonic::async_trait]
impl UserDirectory for Directory {
    #[tracing::instrument(skip_all, fields(user_id = %request.get_ref().user_id))]
    async fn check_session(
        &self,
        request: Request<CheckSessionRequest>,
    ) -> Result<Response<CheckSessionResponse>, Status> {
        let CheckSessionRequest {
            user_id,
            session_id,
        } = request.into_inner();
        if !is_id(&user_id) || !is_id(&session_id) {
            return Err(Status::invalid_argument(
                "user_id and session_id must be canonical UUIDs",
            ));
        }
        let (status, username) = match self.store.session_state(&user_id, &session_id).await? {
            SessionState::Active { username } => (SessionStatus::Active, username),
            SessionState::UnknownUser => (SessionStatus::UnknownUser, String::new()),
            SessionState::Disabled => (SessionStatus::Disabled, String::new()),
            SessionState::Revoked => (SessionStatus::SessionRevoked, String::new()),
        };
        Ok(Response::new(CheckSessionResponse {
            status: status.into(),
            username,
        }))
    }

    type WatchRevocationsStream = Pin<Box<dyn Stream<Item = Result<Revocation, Status>> + Send>>;

    async fn watch_revocations(
        &self,
        request: Request<WatchRevocationsRequest>,
    ) -> Result<Response<Self::WatchRevocationsStream>, Status> {
        let from = request.into_inner().from;
        let from =
            i64::try_from(from).map_err(|_| Status::invalid_argument("from is out of range"))?;
        let entries = self
            .feed
            .subscribe(from, self.closing.clone())
            .map_err(|_| Status::resource_exhausted("too many revocation streams; retry later"))?;
        Ok(Response::new(Box::pin(super::watch::to_wire_stream(
            entries,
        ))))
    }
}
