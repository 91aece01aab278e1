//! Closing a socket with a reason the metrics can tell apart: the gateway
//! closes sockets for several reasons (revocation, expiry, drain, abuse),
//! which socketioxide all reports as one "server disconnect"; [`close`]
//! records the cause on the socket first, and [`reason`] reads it back when
//! the disconnect handler runs.

use socketioxide::adapter::Adapter;
use socketioxide::extract::SocketRef;
use socketioxide::socket::DisconnectReason;

use crate::metrics::CloseReason;

/// The cause recorded by [`close`].
#[derive(Debug, Clone, Copy)]
struct CloseCause(CloseReason);

/// Disconnects `s` for `cause`; false if it was already gone.
pub fn close<A: Adapter>(s: SocketRef<A>, cause: CloseReason) -> bool {
    s.extensions.insert(CloseCause(cause));
    s.disconnect().is_ok()
}

/// Why `s` went away, given what socketioxide reported.
pub fn reason<A: Adapter>(s: &SocketRef<A>, reported: DisconnectReason) -> CloseReason {
    use DisconnectReason as R;
    match reported {
        R::TransportClose | R::ClientNSDisconnect => CloseReason::ClientClose,
        R::TransportError | R::HeartbeatTimeout => CloseReason::TransportError,
        R::PacketParsingError | R::MultipleHttpPollingError => CloseReason::ProtocolError,
        R::ClosingServer => CloseReason::Drain,
        R::ServerNSDisconnect => s
            .extensions
            .get::<CloseCause>()
            .map_or(CloseReason::Drain, |c| c.0),
    }
}
