//! Process plumbing both binaries share: the shutdown signal, and the
//! `healthcheck` subcommand container HEALTHCHECKs run (the final images
//! have no shell or curl).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::time::Duration;

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let interrupt = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
}

/// GETs `/healthz` on `addr` (an unspecified address means this host) over
/// plain HTTP/1.1 and reports whether the status is 200. Written on the
/// standard library on purpose: the probe runs once per HEALTHCHECK
/// interval and must not need a runtime or a TLS stack.
pub fn healthcheck(addr: SocketAddr) -> bool {
    let mut target = addr;
    if target.ip().is_unspecified() {
        target.set_ip(match addr.ip() {
            IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
        });
    }
    let timeout = Duration::from_secs(3);
    let Ok(mut stream) = TcpStream::connect_timeout(&target, timeout) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(timeout));
    let _ = stream.set_write_timeout(Some(timeout));
    let request = format!("GET /healthz HTTP/1.1\r\nHost: {target}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut status_line = String::new();
    if BufReader::new(stream.take(256))
        .read_line(&mut status_line)
        .is_err()
    {
        return false;
    }
    // "HTTP/1.1 200 OK": the second field is the status code.
    let mut fields = status_line.split_ascii_whitespace();
    matches!(
        (fields.next(), fields.next()),
        (Some(version), Some("200")) if version.starts_with("HTTP/1.")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::TcpListener;

    /// A one-shot server answering `reply` to the first request.
    fn answering(reply: &'static str) -> SocketAddr {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            if let Ok((mut s, _)) = listener.accept() {
                let mut buf = [0u8; 1024];
                let _ = s.read(&mut buf);
                let _ = s.write_all(reply.as_bytes());
            }
        });
        addr
    }

    #[test]
    fn only_a_200_is_healthy() {
        assert!(healthcheck(answering(
            "HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"
        )));
        assert!(!healthcheck(answering(
            "HTTP/1.1 503 Service Unavailable\r\n\r\n"
        )));
        assert!(!healthcheck(answering("HTTP/1.1 2000 OK\r\n\r\n")));
        assert!(!healthcheck(answering("garbage\r\n")));
        assert!(!healthcheck(answering("")));
    }

    #[test]
    fn nothing_listening_is_unhealthy() {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        assert!(!healthcheck(port));
    }
}
