//! `WatchRevocations` on the wire: a subscription to this replica's
//! [`RevocationFeed`](super::feed::RevocationFeed), each log entry turned
//! into its protobuf message.

use futures::{Stream, StreamExt};
use proto::auth::v1::{Revocation, RevocationReason as WireReason};
use tonic::Status;

use crate::store::{RevocationDoc, RevocationReason};

/// The wire form of a feed subscription.
pub fn to_wire_stream(
    entries: impl Stream<Item = Result<RevocationDoc, crate::store::StoreError>>,
) -> impl Stream<Item = Result<Revocation, Status>> {
    entries.map(|entry| entry.map(to_wire).map_err(Status::from))
}

fn to_wire(entry: RevocationDoc) -> Revocation {
    let reason = match entry.reason {
        RevocationReason::Logout => WireReason::Logout,
        RevocationReason::LogoutAll => WireReason::LogoutAll,
        RevocationReason::UserDeleted => WireReason::UserDeleted,
        RevocationReason::RefreshReuse => WireReason::RefreshReuse,
    };
    Revocation {
        user_id: entry.user_id,
        session_id: entry.session_id,
        reason: reason.into(),
        at: entry.at.timestamp_millis(),
        position: entry.position as u64,
    }
}
