//! Pending (not yet authenticated) engine.io sessions, counted per client
//! address and per node. A [`PendingSlot`] is taken when a session opens
//! and travels in the open request's extensions, which socketioxide keeps
//! for the session's life: the slot is given back when the handshake
//! succeeds ([`PendingSlot::release`]) or when the session is dropped,
//! whichever comes first, so nothing can leak a slot.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Why a session was not admitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Full {
    /// `MAX_PENDING_PER_ADDRESS` reached for this address.
    Address,
    /// `MAX_PENDING_SESSIONS` reached on this node.
    Node,
}

#[derive(Default)]
struct Counts {
    total: usize,
    by_address: HashMap<IpAddr, usize>,
}

/// The counters.
#[derive(Clone)]
pub struct Pending {
    counts: Arc<Mutex<Counts>>,
    per_node: usize,
    per_address: usize,
}

impl Pending {
    /// Counters with these caps.
    pub fn new(per_node: usize, per_address: usize) -> Self {
        Self {
            counts: Arc::default(),
            per_node,
            per_address,
        }
    }

    fn lock(&self) -> MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Takes a slot for `address`, or says which cap is full.
    pub fn take(&self, address: IpAddr) -> Result<Arc<PendingSlot>, Full> {
        let mut c = self.lock();
        if c.total >= self.per_node {
            return Err(Full::Node);
        }
        let mine = c.by_address.entry(address).or_insert(0);
        if *mine >= self.per_address {
            return Err(Full::Address);
        }
        *mine += 1;
        c.total += 1;
        Ok(Arc::new(PendingSlot {
            pending: self.clone(),
            address,
            released: AtomicBool::new(false),
        }))
    }

    /// Slots held now (node-wide, and for `address`).
    pub fn held(&self, address: IpAddr) -> (usize, usize) {
        let c = self.lock();
        (c.total, c.by_address.get(&address).copied().unwrap_or(0))
    }

    fn give_back(&self, address: IpAddr) {
        let mut c = self.lock();
        c.total = c.total.saturating_sub(1);
        if let Some(n) = c.by_address.get_mut(&address) {
            *n -= 1;
            if *n == 0 {
                c.by_address.remove(&address);
            }
        }
    }
}

/// One pending session's place in the counts.
pub struct PendingSlot {
    pending: Pending,
    address: IpAddr,
    released: AtomicBool,
}

impl PendingSlot {
    /// The session authenticated: it no longer counts (idempotent).
    pub fn release(&self) {
        if !self.released.swap(true, Ordering::AcqRel) {
            self.pending.give_back(self.address);
        }
    }

    /// Whether [`release`](Self::release) ran.
    pub fn is_released(&self) -> bool {
        self.released.load(Ordering::Acquire)
    }

    /// The client address it was counted under.
    pub fn address(&self) -> IpAddr {
        self.address
    }
}

impl Drop for PendingSlot {
    fn drop(&mut self) {
        self.release();
    }
}
