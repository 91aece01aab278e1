//! An in-process fake `UserDirectory` on port 0 for unit tests whose point
//! is concurrency or a failure mode (call counting, slowness, outages).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use proto::auth::v1::user_directory_server::{UserDirectory, UserDirectoryServer};
use proto::auth::v1::{
    CheckSessionRequest, CheckSessionResponse, Revocation, SessionStatus, WatchRevocationsRequest,
};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::transport::Channel;
use tonic::{Request, Response, Status};

#[derive(Default)]
pub(crate) struct Fake {
    pub calls: AtomicUsize,
    pub status: Mutex<Option<SessionStatus>>,
    pub delay: Mutex<Duration>,
    pub fail: AtomicBool,
    pub watch_from: Mutex<Vec<u64>>,
    pub revocations: Mutex<Option<mpsc::Sender<Result<Revocation, Status>>>>,
}

impl Fake {
    pub(crate) fn set_status(&self, s: SessionStatus) {
        *self.status.lock().unwrap() = Some(s);
    }
    pub(crate) fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

pub(crate) struct FakeSvc(Arc<Fake>);

#[tonic::async_trait]
impl UserDirectory for FakeSvc {
    async fn check_session(
        &self,
        _req: Request<CheckSessionRequest>,
    ) -> Result<Response<CheckSessionResponse>, Status> {
        self.0.calls.fetch_add(1, Ordering::SeqCst);
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
            "alice"
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

/// Starts the fake; returns it and a channel to it.
pub(crate) async fn spawn_fake() -> (Arc<Fake>, Channel) {
    let fake = Arc::new(Fake::default());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let svc = UserDirectoryServer::new(FakeSvc(fake.clone()));
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(svc)
            .serve_with_incoming(tonic::transport::server::TcpIncoming::from(listener)),
    );
    let channel = crate::grpc::lazy_channel(&format!("http://{addr}")).unwrap();
    (fake, channel)
}
