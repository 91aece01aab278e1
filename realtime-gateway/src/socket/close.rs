//! Closing a socket with a reason the metrics can tell apart: the gateway
//! closes sockets for several reasons (revocation, expiry, drain, abuse),
//! which socketioxide all reports as one "server disconnect"; [`close`]
//! records the cause on the socket first, and [`reason`] reads it back when
//! the disconnect handler runs.

use socketioxide::adapter::Adapter;
use socketioxide::extract::SocketRef;
use socketioxide::socket::DisconnectReason;

use socketioxide::SocketError;

use crate::door::ConnInfo;
use crate::metrics::CloseReason;

/// The cause recorded by [`close`].
#[derive(Debug, Clone, Copy)]
struct CloseCause(CloseReason);

/// Disconnects `s` for `cause`; false if it was already gone.
///
/// socketioxide's disconnect first queues a DISCONNECT packet and gives up
/// when the socket's send buffer is full — exactly the socket a slow
/// consumer is. Such a socket's connection is closed underneath instead
/// ([`ConnInfo::kill`]); engine.io then ends the session.
pub fn close<A: Adapter>(s: SocketRef<A>, cause: CloseReason) -> bool {
    s.extensions.insert(CloseCause(cause));
    let conn = s.req_parts().extensions.get::<ConnInfo>().cloned();
    match s.disconnect() {
        Ok(()) => true,
        Err(SocketError::InternalChannelFull) => {
            conn.iter().for_each(ConnInfo::kill);
            true
        }
        Err(_) => false,
    }
}

/// Why `s` went away, given what socketioxide reported.
pub fn reason<A: Adapter>(s: &SocketRef<A>, reported: DisconnectReason) -> CloseReason {
    use DisconnectReason as R;
    if let Some(cause) = s.extensions.get::<CloseCause>() {
        return cause.0;
    }
    match reported {
        R::TransportClose | R::ClientNSDisconnect => CloseReason::ClientClose,
        R::TransportError | R::HeartbeatTimeout => CloseReason::TransportError,
        R::PacketParsingError | R::MultipleHttpPollingError => CloseReason::ProtocolError,
        R::ClosingServer => CloseReason::Drain,
        R::ServerNSDisconnect => CloseReason::Drain,
    }
}
