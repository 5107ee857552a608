//! `Listener`: what a part of Chirp that keeps state derived from changes (the sockets, the
//! feed's caches, the session cache) implements to be told of them. Listeners are registered
//! once, at start (`Changes::start`), and each is told every change through the same calls
//! whether the change was made on this node or another.

use std::sync::Arc;

use super::change::Change;

/// Told of changes. Every method has an empty default: a listener implements what it needs.
pub trait Listener: Send + Sync {
    /// A change, as soon as this node learns of it: its own as it is published (before
    /// the publisher answers anyone), another node's as it arrives (before it is put in
    /// order), a tweet found in the store that never came over the bus. Runs on the
    /// caller's task, so it must be quick; may be told a change twice.
    fn heard(&self, _change: &Change) {}

    /// A change in order (new tweets in id order, others behind them), each once, on the
    /// delivery task. Never a `Control::SessionForgotten`.
    fn deliver(&self, _change: &Change) {}

    /// Other nodes' changes may have been missed: the subscription to them was lost, or
    /// has just come back. Drop whatever was kept up to date by them.
    fn missed(&self) {}

    /// The subscription came back, or has settled: what other nodes changed while it was
    /// away may never come, so state built from their changes is read again from the store.
    fn resync(&self) {}
}

/// Every registered listener, in registration order; fixed at start, so telling them takes
/// no lock.
pub type Listeners = Arc<[Arc<dyn Listener>]>;

/// Tell every listener that `change` was heard.
pub(super) fn heard(listeners: &Listeners, change: &Change) {
    for listener in listeners.iter() {
        listener.heard(change);
    }
}
