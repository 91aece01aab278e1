//! A connection the gateway can close from outside hyper: [`Killable`] wraps
//! the TCP stream (it stays underneath a WebSocket after the upgrade), and
//! the [`ConnInfo`] put in every request's extensions can end it. Reads and
//! writes fail once it is killed, so hyper or the WebSocket drop the
//! connection and engine.io closes the session with it. socketioxide offers
//! no way to close a session that never joined a namespace; this is the
//! smallest piece that does. When the stream is dropped it also gives back
//! the pending slots registered on it (a WebSocket session's slot returns
//! the moment its connection closes).

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, Weak};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio_util::sync::{CancellationToken, WaitForCancellationFutureOwned};

use super::PendingSlot;

/// Pending slots to give back when the connection closes.
type OnClose = Arc<Mutex<Vec<Weak<PendingSlot>>>>;

/// The connection a request arrived on.
#[derive(Debug, Clone)]
pub struct ConnInfo {
    /// The TCP peer.
    pub peer: SocketAddr,
    kill: CancellationToken,
    on_close: OnClose,
}

impl ConnInfo {
    /// Closes the connection: pending and future reads and writes fail.
    pub fn kill(&self) {
        self.kill.cancel();
    }

    /// Gives `slot` back when this connection closes (a WebSocket session
    /// lives exactly as long as its connection).
    pub fn release_on_close(&self, slot: &Arc<PendingSlot>) {
        if let Ok(mut slots) = self.on_close.lock() {
            slots.push(Arc::downgrade(slot));
        }
    }
}

/// An I/O stream that fails once its token is cancelled.
pub struct Killable<T> {
    inner: T,
    killed: Pin<Box<WaitForCancellationFutureOwned>>,
    on_close: OnClose,
}

impl<T> Drop for Killable<T> {
    fn drop(&mut self) {
        if let Ok(slots) = self.on_close.lock() {
            slots
                .iter()
                .filter_map(Weak::upgrade)
                .for_each(|s| s.release());
        }
    }
}

impl<T> Killable<T> {
    /// Wraps the stream of a connection from `peer`; returns the stream and
    /// the [`ConnInfo`] its requests carry.
    pub fn new(inner: T, peer: SocketAddr) -> (Self, ConnInfo) {
        let kill = CancellationToken::new();
        let on_close = OnClose::default();
        let info = ConnInfo {
            peer,
            kill: kill.clone(),
            on_close: on_close.clone(),
        };
        let stream = Self {
            inner,
            killed: Box::pin(kill.cancelled_owned()),
            on_close,
        };
        (stream, info)
    }

    /// Ready (with the error to return) once killed; registers the waker.
    fn poll_killed(&mut self, cx: &mut Context<'_>) -> Option<io::Error> {
        self.killed
            .as_mut()
            .poll(cx)
            .is_ready()
            .then(|| io::Error::new(io::ErrorKind::ConnectionAborted, "closed by the gateway"))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Killable<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if let Some(e) = this.poll_killed(cx) {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Killable<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if let Some(e) = this.poll_killed(cx) {
            return Poll::Ready(Err(e));
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
