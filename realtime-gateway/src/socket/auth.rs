//! The handshake: a namespace connect middleware that turns `auth: {token}`
//! into a [`Principal`] or refuses with one stable `connect_error` code, and
//! the connect handler that wires the accepted socket.
//!
//! Order: draining → `auth_unavailable`; token shape → `invalid_token`;
//! local JWT checks; `CheckSession`; per-user limit; then the principal is
//! stored in the socket's extensions and the socket joins `user:<id>`.

use std::sync::Arc;

use serde_json::Value;
use shared_types::ConnectErrorCode;
use shared_types::socket::AuthExpiring;
use socketioxide::SocketIo;
use socketioxide::adapter::Adapter;
use socketioxide::extract::{SocketRef, State, TryData};
use socketioxide::socket::DisconnectReason;
use tracing::Instrument;

use super::close::{self, close};
use super::lifetime::{TimerEvent, run_expiry_timer};
use super::limits::Reservation;
use super::principal::{LiveSession, Principal, session_room, user_room};
use super::rate::EventGuard;
use crate::door::PendingSlot;
use crate::error::ConnectError;
use crate::metrics::CloseReason;
use crate::state::AppState;

/// Connect middleware: authenticates the handshake.
pub async fn authenticate<A: Adapter>(
    s: SocketRef<A>,
    io: SocketIo<A>,
    State(state): State<AppState>,
    TryData(auth): TryData<Value>,
) -> Result<(), ConnectError> {
    let span = tracing::info_span!("handshake", socket_id = %s.id, user_id = tracing::field::Empty);
    async move {
        let result = admit(&s, &io, &state, auth.ok()).await;
        state
            .metrics
            .handshake(result.as_ref().map(|_| ()).map_err(|e| e.0));
        let slot = s.req_parts().extensions.get::<Arc<PendingSlot>>().cloned();
        match &result {
            // Authenticated sockets never count against the front door.
            Ok(()) => slot.iter().for_each(|slot| slot.release()),
            // Retryable: the client may CONNECT again on this session.
            Err(e) if e.0 == ConnectErrorCode::AuthUnavailable => {}
            Err(_) => state.door.after_refusal(&s),
        }
        match &result {
            Ok(()) => tracing::info!("socket authenticated"),
            Err(e) => tracing::info!(code = %e, "handshake refused"),
        }
        result
    }
    .instrument(span)
    .await
}

async fn admit<A: Adapter>(
    s: &SocketRef<A>,
    io: &SocketIo<A>,
    state: &AppState,
    auth: Option<Value>,
) -> Result<(), ConnectError> {
    if state.is_draining() {
        return Err(ConnectError(ConnectErrorCode::AuthUnavailable));
    }
    let token = auth
        .as_ref()
        .and_then(|a| a.get("token"))
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
        .ok_or(ConnectError(ConnectErrorCode::InvalidToken))?;
    let claims = state.verifier.verify(token).await?;
    tracing::Span::current().record("user_id", claims.sub.as_str());
    // The directory's username is current even if the token's is older.
    let username = state.sessions.check(&claims.sub, &claims.sid).await?;
    let room = user_room(&claims.sub);
    let live = async {
        let sockets = io.to(room.clone()).fetch_sockets().await?;
        Ok::<_, A::Error>(
            sockets
                .into_iter()
                .map(|s| s.data().id.to_string())
                .collect(),
        )
    };
    let reservation = state
        .limiter
        .reserve(&claims.sub, &s.id.to_string(), live)
        .await?;
    let principal = Principal {
        username,
        user_id: claims.sub,
        session_id: claims.sid,
        expires_at: claims.exp,
    };
    s.extensions.insert(Arc::new(reservation));
    s.extensions.insert(LiveSession::new(principal.expires_at));
    s.extensions.insert(Arc::new(EventGuard::new(
        state.max_event_bytes,
        state.event_burst,
        state.event_rate_per_sec,
    )));
    let own_rooms = [room, session_room(&principal.session_id)];
    s.extensions.insert(principal);
    s.extensions.insert(state.metrics.clone());
    s.extensions.insert(Arc::new(super::rooms::RoomQuota::new(
        state.max_rooms_per_socket,
        own_rooms.clone(),
    )));
    s.extensions.insert(crate::presence::Tracked::new());
    s.join(own_rooms);
    // Here, not in `on_connect`: socketioxide sends CONNECT to the client
    // before it spawns the connect handler, so a client emitting right after
    // `connect` could otherwise reach a socket without handlers and lose its
    // event and its ack.
    super::events::register(s, state);
    Ok(())
}

/// Connect handler: the socket is now counted by the adapter, so its
/// reservation is released; starts the expiry timer.
pub async fn on_connect<A: Adapter>(s: SocketRef<A>, State(state): State<AppState>) {
    drop(s.extensions.remove::<Arc<Reservation>>());
    let Some(live) = s.extensions.get::<Arc<LiveSession>>() else {
        // Unreachable: the middleware always sets it. Refuse to serve blind.
        let _ = s.disconnect();
        return;
    };
    let live_on_close = live.clone();
    let on_close = state.clone();
    s.on_disconnect(
        async move |s: SocketRef<A>, io: SocketIo<A>, reported: DisconnectReason| {
            live_on_close.cancel.cancel();
            on_close.metrics.disconnect(close::reason(&s, reported));
            if let Some(p) = s.extensions.get::<Principal>() {
                crate::presence::exit_all(&s, &io, &on_close, &p).await;
            }
        },
    );

    let socket = s.clone();
    let user_id = s
        .extensions
        .get::<Principal>()
        .map(|p| p.user_id)
        .unwrap_or_default();
    let span = tracing::info_span!("session_timer", socket_id = %s.id, user_id);
    tokio::spawn(
        run_expiry_timer(
            live.expiry.subscribe(),
            state.auth_expiring_lead,
            live.cancel.clone(),
            move |event| match event {
                TimerEvent::Expiring(expires_at) => {
                    tracing::debug!(expires_at, "emitting auth:expiring");
                    let _ = socket.emit("auth:expiring", &AuthExpiring { expires_at });
                }
                TimerEvent::Expired => {
                    tracing::info!("token expired un-refreshed; disconnecting");
                    close(socket.clone(), CloseReason::Expired);
                }
            },
        )
        .instrument(span),
    );
}
