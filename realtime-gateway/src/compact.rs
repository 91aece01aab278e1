//! Detaches what a socket keeps of its HTTP request from hyper's read buffer.
//!
//! hyper parses the URI and header values as zero-copy slices of the
//! connection's read buffer (about 16 KiB), axum records a copy of the URI as
//! `OriginalUri`, and socket.io keeps the request parts for the socket's
//! whole life: without this layer every idle socket pins that buffer.
//! Copying the few hundred bytes of URI and headers into allocations of
//! their own lets it go (measured with heaptrack; see BENCHMARKS.md).

use axum::{
    extract::{OriginalUri, Request},
    http::{HeaderMap, HeaderValue, Uri},
};

/// Replaces the request's URI, `OriginalUri` and header values with owned copies.
pub async fn detach_request(mut req: Request) -> Request {
    let shared = std::mem::take(req.headers_mut());
    let mut owned = HeaderMap::with_capacity(shared.len());
    for (name, value) in &shared {
        if let Ok(mut copy) = HeaderValue::from_bytes(value.as_bytes()) {
            copy.set_sensitive(value.is_sensitive());
            owned.append(name.clone(), copy);
        }
    }
    *req.headers_mut() = owned;
    if let Some(uri) = owned_uri(req.uri()) {
        *req.uri_mut() = uri;
    }
    if let Some(original) = req.extensions_mut().get_mut::<OriginalUri>()
        && let Some(uri) = owned_uri(&original.0)
    {
        original.0 = uri;
    }
    req
}

fn owned_uri(uri: &Uri) -> Option<Uri> {
    Uri::try_from(uri.to_string()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn headers_and_uris_survive_the_copy() {
        let mut req = Request::builder()
            .uri("/socket.io/?EIO=4&transport=websocket")
            .header("origin", "http://a.test")
            .header("x-many", "1")
            .header("x-many", "2")
            .body(axum::body::Body::empty())
            .unwrap();
        let original = OriginalUri(req.uri().clone());
        req.extensions_mut().insert(original);
        let copied = detach_request(req).await;
        assert_eq!(copied.uri().query(), Some("EIO=4&transport=websocket"));
        assert_eq!(
            copied.extensions().get::<OriginalUri>().unwrap().0,
            *copied.uri()
        );
        assert_eq!(copied.headers()["origin"], "http://a.test");
        assert_eq!(copied.headers().get_all("x-many").iter().count(), 2);
    }

    #[tokio::test]
    async fn nothing_keeps_referencing_the_parsed_buffer() {
        // As hyper does: URI and header values are slices of one read buffer.
        let buffer = bytes::Bytes::copy_from_slice(b"/socket.io/?EIO=4http://a.test");
        let uri = Uri::from_maybe_shared(buffer.slice(0..17)).unwrap();
        let origin = HeaderValue::from_maybe_shared(buffer.slice(17..)).unwrap();
        let mut req = Request::builder()
            .uri(uri.clone())
            .body(axum::body::Body::empty())
            .unwrap();
        req.headers_mut().insert("origin", origin);
        req.extensions_mut().insert(OriginalUri(uri));
        assert!(!buffer.is_unique(), "the request shares the buffer");
        let copied = detach_request(req).await;
        assert!(buffer.is_unique(), "the request still pins the read buffer");
        assert_eq!(copied.headers()["origin"], "http://a.test");
    }
}
