//! Unit tests of the pending-session counts and the refusal grace.

use std::net::{IpAddr, Ipv4Addr};

use super::*;

fn ip(last: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 0, last))
}

#[test]
fn per_address_and_node_caps_are_exact_and_slots_come_back() {
    let pending = Pending::new(3, 2);
    let a1 = pending.take(ip(2)).unwrap();
    let _a2 = pending.take(ip(2)).unwrap();
    assert_eq!(pending.take(ip(2)).err(), Some(slot::Full::Address));
    let b1 = pending.take(ip(3)).unwrap();
    assert_eq!(pending.take(ip(4)).err(), Some(slot::Full::Node));
    a1.release();
    a1.release(); // idempotent
    assert_eq!(pending.held(ip(2)), (2, 1));
    drop(a1); // already released: no double give-back
    assert_eq!(pending.held(ip(2)), (2, 1));
    drop(b1); // dropped without release: given back
    assert_eq!(pending.held(ip(3)), (1, 0));
    assert!(pending.take(ip(4)).is_ok());
}

#[test]
fn racing_takes_never_exceed_the_caps() {
    let pending = Pending::new(1000, 5);
    let slots = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..16 {
            scope.spawn(|| {
                for _ in 0..10 {
                    if let Ok(slot) = pending.take(ip(9)) {
                        slots.lock().unwrap().push(slot);
                    }
                }
            });
        }
    });
    assert_eq!(slots.lock().unwrap().len(), 5);
    assert_eq!(pending.held(ip(9)), (5, 5));
}

fn limits(rate: u32) -> DoorLimits {
    DoorLimits {
        header_read_timeout: Duration::from_secs(5),
        max_pending_connections: 10,
        max_pending_sessions: 10,
        max_pending_per_address: 10,
        handshake_rate_per_address: rate,
        connect_timeout: Duration::from_secs(10),
        refused_session_grace: Duration::from_secs(1),
        trusted_proxy_hops: 0,
    }
}

#[test]
fn the_handshake_bucket_allows_twice_the_rate_in_a_burst_per_address() {
    let door = Door::new(limits(5), Arc::new(crate::metrics::GatewayMetrics::new()));
    let rate = door.rate.as_ref().unwrap();
    let allowed = (0..30).filter(|_| rate.check_key(&ip(2)).is_ok()).count();
    assert_eq!(allowed, 10);
    assert!(
        rate.check_key(&ip(3)).is_ok(),
        "another address has its own bucket"
    );
    let unlimited = Door::new(limits(0), Arc::new(crate::metrics::GatewayMetrics::new()));
    assert!(unlimited.rate.is_none());
}
