//! The sign-out confirmation: a node that publishes `SessionEnded` waits until every other
//! node subscribed at that moment has answered `SessionForgotten` (its session cache forgot
//! the session), so that the answer to a sign-out cannot overtake it. `Confirmations` counts
//! the answers; `Changes::end_session` waits on it, `Inbox` feeds it.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::sync::oneshot;

/// A sign-out of this node waiting for the other nodes to confirm it.
struct Waiter {
    remaining: usize,
    done: oneshot::Sender<()>,
}

/// Sign-outs of this node waiting for confirmations, by token hash. One plain mutex: it is
/// taken once per sign-out and once per confirmation, never across an await.
#[derive(Default)]
pub struct Confirmations(Mutex<HashMap<String, Vec<Waiter>>>);

impl Confirmations {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Vec<Waiter>>> {
        // Plain data; nothing panics while holding it.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Wait for `others` confirmations of `token_hash`: the receiver completes once they
    /// have all come.
    pub fn expect(&self, token_hash: &str, others: usize) -> oneshot::Receiver<()> {
        let (done, rx) = oneshot::channel();
        self.lock()
            .entry(token_hash.to_owned())
            .or_default()
            .push(Waiter {
                remaining: others,
                done,
            });
        rx
    }

    /// One more node forgot `token_hash`: wake the sign-outs that have all they waited for.
    pub fn confirmed(&self, token_hash: &str) {
        let mut echoes = self.lock();
        let Some(waiters) = echoes.remove(token_hash) else {
            return;
        };
        let mut still = Vec::new();
        for mut waiter in waiters {
            waiter.remaining = waiter.remaining.saturating_sub(1);
            if waiter.remaining == 0 {
                let _ = waiter.done.send(());
            } else {
                still.push(waiter);
            }
        }
        if !still.is_empty() {
            echoes.insert(token_hash.to_owned(), still);
        }
    }

    /// Stop waiting for confirmations of `token_hash` (they did not all come in time).
    pub fn give_up(&self, token_hash: &str) {
        self.lock().remove(token_hash);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sign_out_is_confirmed_once_every_other_node_answered() {
        let confirmations = Confirmations::default();
        let mut done = confirmations.expect("h", 2);
        confirmations.confirmed("other");
        confirmations.confirmed("h");
        assert!(done.try_recv().is_err(), "one of two");
        confirmations.confirmed("h");
        assert!(done.try_recv().is_ok());
    }

    #[test]
    fn giving_up_forgets_the_waiter() {
        let confirmations = Confirmations::default();
        let mut done = confirmations.expect("h", 1);
        confirmations.give_up("h");
        confirmations.confirmed("h");
        assert!(done.try_recv().is_err());
    }
}
