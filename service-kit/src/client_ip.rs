//! The client's address behind `TRUSTED_PROXY_HOPS` reverse proxies, one
//! rule for both services: with no trusted hop the TCP peer is the client and
//! `X-Forwarded-For` is ignored (anyone can send it); with N trusted hops,
//! each proxy appended one entry, so the client's is the N-th from the end.
//! A list too short or an entry that is not an IP address falls back to the
//! peer, never to client-chosen text.

use std::net::IpAddr;

/// The client address of a request from `peer` carrying these
/// `X-Forwarded-For` header values (each may hold a comma-separated list).
pub fn client_ip<'a>(
    peer: IpAddr,
    forwarded_for: impl IntoIterator<Item = &'a str>,
    trusted_hops: usize,
) -> IpAddr {
    if trusted_hops == 0 {
        return peer;
    }
    let entries: Vec<&str> = forwarded_for
        .into_iter()
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect();
    entries
        .len()
        .checked_sub(trusted_hops)
        .and_then(|i| entries.get(i))
        .and_then(|v| v.parse::<IpAddr>().ok())
        .unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PEER: IpAddr = IpAddr::V4(std::net::Ipv4Addr::new(10, 0, 0, 1));

    #[test]
    fn forwarded_for_is_ignored_without_trusted_hops() {
        assert_eq!(client_ip(PEER, ["203.0.113.9"], 0), PEER);
    }

    #[test]
    fn the_entry_appended_by_the_outermost_trusted_proxy_wins() {
        let spoofed_then_real = ["198.51.100.7, 203.0.113.9"];
        assert_eq!(
            client_ip(PEER, spoofed_then_real, 1).to_string(),
            "203.0.113.9"
        );
        assert_eq!(
            client_ip(PEER, spoofed_then_real, 2).to_string(),
            "198.51.100.7"
        );
        assert_eq!(
            client_ip(PEER, ["198.51.100.7", "203.0.113.9"], 1).to_string(),
            "203.0.113.9"
        );
    }

    #[test]
    fn short_lists_and_garbage_fall_back_to_the_peer() {
        assert_eq!(client_ip(PEER, ["203.0.113.9"], 2), PEER);
        assert_eq!(client_ip(PEER, ["not-an-ip"], 1), PEER);
        assert_eq!(client_ip(PEER, [], 1), PEER);
    }
}
