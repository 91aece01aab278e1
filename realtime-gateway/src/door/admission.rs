//! The engine.io gate, in front of socketioxide: an engine.io **open**
//! request (a `/socket.io/` request without `sid`) must pass the handshake
//! rate of its client address and find a free pending slot, before any
//! session exists or any token is looked at. Requests of long-polling
//! sessions that were refused and closed get engine.io's "unknown session".

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::slot::Full;
use super::{ConnInfo, Door};
use crate::metrics::ShedReason;

/// The path socket.io is served on.
const SOCKET_IO_PATH: &str = "/socket.io/";

/// Admission control for `/socket.io/` requests; other paths pass through.
pub async fn admit(State(door): State<Arc<Door>>, mut req: Request, next: Next) -> Response {
    if req.uri().path() != SOCKET_IO_PATH {
        return next.run(req).await;
    }
    let sid = query_value(req.uri().query().unwrap_or(""), "sid");
    if let Some(sid) = sid {
        if door.is_refused(sid) {
            // engine.io's own answer for a session it does not know.
            return (
                StatusCode::BAD_REQUEST,
                [(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                )],
                r#"{"code":1,"message":"Session ID unknown"}"#,
            )
                .into_response();
        }
        return next.run(req).await;
    }
    let Some(address) = client_address(&req, door.limits().trusted_proxy_hops) else {
        return next.run(req).await;
    };
    if let Some(rate) = &door.rate
        && rate.check_key(&address).is_err()
    {
        door.shed(ShedReason::HandshakeRate);
        return refuse(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    }
    match door.pending.take(address) {
        Ok(slot) => {
            if query_value(req.uri().query().unwrap_or(""), "transport") == Some("websocket")
                && let Some(conn) = req.extensions().get::<ConnInfo>()
            {
                conn.release_on_close(&slot);
            }
            req.extensions_mut().insert(slot);
            next.run(req).await
        }
        Err(Full::Address) => {
            door.shed(ShedReason::PerAddressCap);
            refuse(StatusCode::TOO_MANY_REQUESTS, "too_many_pending")
        }
        Err(Full::Node) => {
            door.shed(ShedReason::NodeCap);
            refuse(StatusCode::SERVICE_UNAVAILABLE, "unavailable")
        }
    }
}

/// The client address of a request that came through [`super::serve`].
fn client_address(req: &Request, hops: usize) -> Option<IpAddr> {
    let peer = req.extensions().get::<ConnInfo>()?.peer.ip();
    let forwarded = req
        .headers()
        .get_all("x-forwarded-for")
        .into_iter()
        .filter_map(|v| v.to_str().ok());
    Some(service_kit::client_ip::client_ip(peer, forwarded, hops))
}

fn refuse(status: StatusCode, code: &'static str) -> Response {
    (
        status,
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
            (header::RETRY_AFTER, HeaderValue::from_static("1")),
        ],
        format!(r#"{{"code":"{code}","message":"too many connection attempts; retry later"}}"#),
    )
        .into_response()
}

/// The value of `key` in a query string (no decoding: engine.io ids are
/// URL-safe).
fn query_value<'a>(query: &'a str, key: &str) -> Option<&'a str> {
    query
        .split('&')
        .filter_map(|pair| pair.split_once('='))
        .find(|(k, _)| *k == key)
        .map(|(_, v)| v)
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sid_is_found_anywhere_in_the_query() {
        assert_eq!(
            query_value("EIO=4&transport=polling&sid=abc", "sid"),
            Some("abc")
        );
        assert_eq!(query_value("sid=abc&EIO=4", "sid"), Some("abc"));
        assert_eq!(query_value("EIO=4&transport=websocket", "sid"), None);
        assert_eq!(query_value("EIO=4&sid=", "sid"), None);
        assert_eq!(query_value("EIO=4&xsid=abc", "sid"), None);
    }
}
