//! The gateway's link to the auth-service's gRPC port: one client that sends
//! the gateway's credentials (`AUTH_GRPC_TOKEN` as `authorization: Bearer`)
//! on every call, and the link's state for readiness. A link whose
//! credentials were refused (`UNAUTHENTICATED`) fails closed — handshakes get
//! `auth_unavailable` — and `/readyz` says why, so a wrong or rotated-away
//! token shows up in the rollout instead of as silently refused users.

use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

use proto::auth::v1::user_directory_client::UserDirectoryClient;
use secrecy::ExposeSecret;
use service_kit::bearer::BearerKeys;
use service_kit::grpc::SendBearer;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

/// The `UserDirectory` client every gateway call goes through.
pub type DirectoryClient = UserDirectoryClient<InterceptedService<Channel, SendBearer>>;

/// What the gateway knows of its gRPC link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkState {
    /// No revocation stream yet, or it broke.
    Down,
    /// The revocation stream is subscribed.
    Up,
    /// The auth-service refused the gateway's credentials.
    Refused,
}

/// The link state, shared by the session checker, the watcher and `/readyz`.
#[derive(Debug, Default)]
pub struct LinkStatus(AtomicU8);

impl LinkStatus {
    /// The current state.
    pub fn get(&self) -> LinkState {
        match self.0.load(Ordering::Acquire) {
            1 => LinkState::Up,
            2 => LinkState::Refused,
            _ => LinkState::Down,
        }
    }

    /// Records a new state.
    pub fn set(&self, state: LinkState) {
        let value = match state {
            LinkState::Down => 0,
            LinkState::Up => 1,
            LinkState::Refused => 2,
        };
        self.0.store(value, Ordering::Release);
    }

    /// Records what a failed call says about the link; logs a refusal
    /// loudly, since only an operator can fix it.
    pub fn observe_failure(&self, status: &tonic::Status) {
        if status.code() == tonic::Code::Unauthenticated {
            if self.get() != LinkState::Refused {
                tracing::error!(
                    "the auth-service refused this gateway's gRPC credentials: check that \
                     AUTH_GRPC_TOKEN matches one of the auth-service's; handshakes fail closed"
                );
            }
            self.set(LinkState::Refused);
        }
    }
}

/// The client and its state.
#[derive(Clone)]
pub struct AuthLink {
    client: DirectoryClient,
    status: Arc<LinkStatus>,
}

impl AuthLink {
    /// A link over `channel` sending the first of `credentials`.
    pub fn new(channel: Channel, credentials: Option<&BearerKeys>) -> anyhow::Result<Self> {
        let send = SendBearer::new(credentials.map(|keys| keys.primary().expose_secret()))
            .map_err(|_| anyhow::anyhow!("AUTH_GRPC_TOKEN is not a valid header value"))?;
        Ok(Self {
            client: UserDirectoryClient::with_interceptor(channel, send),
            status: Arc::new(LinkStatus::default()),
        })
    }

    /// A client for one call (cheap: clients share the channel).
    pub fn client(&self) -> DirectoryClient {
        self.client.clone()
    }

    /// The shared state.
    pub fn status(&self) -> &Arc<LinkStatus> {
        &self.status
    }
}
