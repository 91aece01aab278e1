//! The unit tests' handle on the one fake `UserDirectory` (the
//! `test-support` crate): the fake and a channel to it.

use std::sync::Arc;

use tonic::transport::Channel;

pub(crate) use test_support::FakeDirectory as Fake;

/// Starts the fake; returns it and a channel to it.
pub(crate) async fn spawn_fake() -> (Arc<Fake>, Channel) {
    let (fake, addr) = Fake::spawn().await;
    let channel = crate::grpc::lazy_channel(&format!("http://{addr}")).unwrap();
    (fake, channel)
}
