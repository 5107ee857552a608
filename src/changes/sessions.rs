//! The session cache as a listener: a sign-out heard (here or from another node) forgets
//! that session before anything else happens, and sign-outs that may have been missed
//! forget them all. (When the cache may answer at all is `Changes::coherence`.)

use super::change::{Change, Control};
use super::listener::Listener;
use crate::storage::SessionCache;

impl Listener for SessionCache {
    fn heard(&self, change: &Change) {
        if let Change::Control(Control::SessionEnded { token_hash }) = change {
            self.forget(token_hash);
        }
    }

    fn missed(&self) {
        self.forget_all();
    }
}
