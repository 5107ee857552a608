//! How often one account (all its sockets together), or one client address when signed out,
//! may change the timeline it watches (`--watch-rate-limit`, per minute). Each `watch` costs
//! reads and a change of the watch index under its lock, so an unthrottled script on many
//! sockets slows everyone's reads; a person flipping pages never reaches the limit.
//!
//! A `limit::KeyedLimit` per watcher, as the HTTP limits use.

use std::net::IpAddr;
use std::num::NonZeroU32;

use governor::Quota;

use crate::limit::KeyedLimit;

/// Whose `watch` changes are counted: an account, or an address when signed out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Watcher {
    /// A signed-in socket's account (all its sockets together).
    User(i64),
    /// An anonymous socket's client address.
    Address(IpAddr),
}

/// The `watch` limit.
pub struct WatchLimit(KeyedLimit<Watcher>);

impl WatchLimit {
    /// `per_minute` changes per watcher, or no limit.
    pub fn new(per_minute: Option<NonZeroU32>) -> Self {
        Self(KeyedLimit::new("watch", per_minute.map(Quota::per_minute)))
    }

    /// Count one `watch` change by `who` (`None`: nobody to count it against): whether it
    /// may go ahead.
    pub fn admit(&self, who: Option<Watcher>) -> bool {
        who.is_none_or(|who| self.0.check(&who).is_ok())
    }
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_watcher_has_its_own_allowance() {
        let limit = WatchLimit::new(NonZeroU32::new(2));
        let ann = Some(Watcher::User(1));
        let address = Some(Watcher::Address([127, 0, 0, 2].into()));
        assert!(limit.admit(ann) && limit.admit(ann));
        assert!(!limit.admit(ann), "a third within the minute");
        assert!(limit.admit(address) && limit.admit(Some(Watcher::User(2))));
        assert!(limit.admit(None), "no key, no limit");
        let off = WatchLimit::new(None);
        assert!((0..1000).all(|_| off.admit(ann)));
    }
}
