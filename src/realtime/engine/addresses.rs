//! Engine.IO sessions per client address, so that one address cannot hold every connection
//! the server can take (`--max-sockets-per-address`). A new session reserves its place at
//! the handshake, before anything is allocated for it, and gives it back when it closes (or,
//! if it never opened, when the reservation is dropped).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, MutexGuard};

/// Open sessions by client address.
pub struct Addresses {
    /// Most sessions per address; 0: no cap (they are still counted).
    max: usize,
    counts: Mutex<HashMap<IpAddr, usize>>,
}

/// One session's place under its address's cap, given back when dropped.
pub struct AddressSlot {
    addresses: Arc<Addresses>,
    ip: IpAddr,
}

impl Addresses {
    /// At most `max` sessions per address (0: no cap).
    pub fn new(max: usize) -> Arc<Self> {
        Arc::new(Self {
            max,
            counts: Mutex::default(),
        })
    }

    /// A place for one more session from `ip`, or `None` when it has `max` already.
    pub fn reserve(self: &Arc<Self>, ip: IpAddr) -> Option<AddressSlot> {
        let mut counts = self.lock();
        let count = counts.entry(ip).or_insert(0);
        if self.max > 0 && *count >= self.max {
            return None;
        }
        *count += 1;
        Some(AddressSlot {
            addresses: self.clone(),
            ip,
        })
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<IpAddr, usize>> {
        // Nothing panics while holding it; a poisoned map is still a valid map.
        self.counts.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl AddressSlot {
    /// The client address this place is held for.
    pub fn ip(&self) -> IpAddr {
        self.ip
    }
}

impl Drop for AddressSlot {
    fn drop(&mut self) {
        let mut counts = self.addresses.lock();
        if let Some(count) = counts.get_mut(&self.ip) {
            *count -= 1;
            if *count == 0 {
                counts.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn caps_each_address_and_gives_places_back() {
        let addresses = Addresses::new(2);
        let a: IpAddr = "127.0.0.2".parse().unwrap();
        let b: IpAddr = "127.0.0.3".parse().unwrap();
        let first = addresses.reserve(a).unwrap();
        let _second = addresses.reserve(a).unwrap();
        assert!(addresses.reserve(a).is_none(), "a third from one address");
        assert!(
            addresses.reserve(b).is_some(),
            "other addresses are not affected"
        );
        drop(first);
        assert!(addresses.reserve(a).is_some(), "a place was given back");
        assert!(addresses.lock().len() <= 2);
        let unlimited = Addresses::new(0);
        let all: Vec<_> = (0..5).map(|_| unlimited.reserve(a).unwrap()).collect();
        drop(all);
        assert!(unlimited.lock().is_empty(), "nothing left behind");
    }
}
