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

    proptest::proptest! {
        /// Whatever the header holds, the answer is the peer or an address
        /// that appears in the header — never text the client made up.
        #[test]
        fn the_answer_is_the_peer_or_a_listed_address(
            headers in proptest::collection::vec("\\PC{0,60}|([0-9]{1,3}\\.){3}[0-9]{1,3}(, ?([0-9]{1,3}\\.){3}[0-9]{1,3}){0,3}", 0..3),
            hops in 0usize..4,
        ) {
            let ip = client_ip(PEER, headers.iter().map(String::as_str), hops);
            if hops == 0 {
                proptest::prop_assert_eq!(ip, PEER);
            }
            let listed = headers
                .iter()
                .flat_map(|h| h.split(','))
                .filter_map(|v| v.trim().parse::<IpAddr>().ok())
                .any(|v| v == ip);
            proptest::prop_assert!(ip == PEER || listed);
        }
    }
}
