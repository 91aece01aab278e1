//! Test doubles for the Gatehouse test suites (a dev-dependency only).
//!
//! [`FakeDirectory`]: the one in-process fake of the auth-service's
//! `UserDirectory`, for gateway tests whose point is a failure mode or a
//! count the real service cannot be made to show (slowness, outages, how
//! many calls were collapsed, what exactly was asked). It records every
//! `CheckSession` request, so a test can prove the gateway asked about the
//! right user and session, and answers what the test sets.

// Test code: a poisoned lock or a failed bind is a failed test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use proto::auth::v1::user_directory_server::{UserDirectory, UserDirectoryServer};
use proto::auth::v1::{
    CheckSessionRequest, CheckSessionResponse, Revocation, SessionStatus, WatchRevocationsRequest,
};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

/// What the fake answers, and what it was asked.
#[derive(Default)]
pub struct FakeDirectory {
    /// `CheckSession` calls received.
    pub calls: AtomicUsize,
    /// Every `CheckSession` request, as (user_id, session_id).
    pub asked: Mutex<Vec<(String, String)>>,
    /// The status answered (ACTIVE when unset).
    pub status: Mutex<Option<SessionStatus>>,
    /// How long each `CheckSession` takes.
    pub delay: Mutex<Duration>,
    /// When set, `CheckSession` fails with UNAVAILABLE.
    pub fail: AtomicBool,
    /// The `from` of every `WatchRevocations` subscription.
    pub watch_from: Mutex<Vec<u64>>,
    /// The sender of the current revocation stream.
    pub revocations: Mutex<Option<mpsc::Sender<Result<Revocation, Status>>>>,
}

/// The username an ACTIVE answer carries.
pub const USERNAME: &str = "alice";

impl FakeDirectory {
    /// Starts a fake on a free loopback port.
    pub async fn spawn() -> (Arc<Self>, SocketAddr) {
        let fake = Arc::new(Self::default());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let svc = UserDirectoryServer::new(Service(fake.clone()));
        tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(svc)
                .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener)),
        );
        (fake, addr)
    }

    /// Answers `status` from now on.
    pub fn set_status(&self, status: SessionStatus) {
        *self.status.lock().unwrap() = Some(status);
    }

    /// `CheckSession` calls so far.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }

    /// Sends a revocation on the current stream (panics without one).
    pub async fn revoke(&self, revocation: Revocation) {
        let tx = self.revocations.lock().unwrap().clone().unwrap();
        tx.send(Ok(revocation)).await.unwrap();
    }
}

struct Service(Arc<FakeDirectory>);

#[tonic::async_trait]
impl UserDirectory for Service {
    async fn check_session(
        &self,
        req: Request<CheckSessionRequest>,
    ) -> Result<Response<CheckSessionResponse>, Status> {
        self.0.calls.fetch_add(1, Ordering::SeqCst);
        let req = req.into_inner();
        self.0
            .asked
            .lock()
            .unwrap()
            .push((req.user_id, req.session_id));
        let delay = *self.0.delay.lock().unwrap();
        tokio::time::sleep(delay).await;
        if self.0.fail.load(Ordering::SeqCst) {
            return Err(Status::unavailable("down"));
        }
        let status = self
            .0
            .status
            .lock()
            .unwrap()
            .unwrap_or(SessionStatus::Active);
        let username = if status == SessionStatus::Active {
            USERNAME
        } else {
            ""
        };
        Ok(Response::new(CheckSessionResponse {
            status: status as i32,
            username: username.into(),
        }))
    }

    type WatchRevocationsStream = ReceiverStream<Result<Revocation, Status>>;

    async fn watch_revocations(
        &self,
        req: Request<WatchRevocationsRequest>,
    ) -> Result<Response<Self::WatchRevocationsStream>, Status> {
        self.0
            .watch_from
            .lock()
            .unwrap()
            .push(req.into_inner().from);
        let (tx, rx) = mpsc::channel(16);
        *self.0.revocations.lock().unwrap() = Some(tx);
        Ok(Response::new(ReceiverStream::new(rx)))
    }
}
