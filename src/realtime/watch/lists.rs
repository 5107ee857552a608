//! The small list and map helpers the index is built of, each growing or shrinking a list so
//! that memory stays tight: one user's sockets grow by one, inverted lists by an eighth.

use std::collections::HashMap;

use super::{Key, Slot};

pub(super) fn remove_from<S>(map: &mut HashMap<i64, HashMap<Key, S>>, at: i64, key: Key) {
    if let Some(set) = map.get_mut(&at) {
        set.remove(&key);
        if set.is_empty() {
            map.remove(&at);
        }
    }
}

/// Push onto a list of one user's sockets, growing it by one: they are one or two.
pub(super) fn push_exact<T>(list: &mut Vec<T>, item: T) {
    list.reserve_exact(1);
    list.push(item);
}

/// Remove a socket from such a list (order does not matter).
pub(super) fn remove_key<S>(list: &mut Vec<(Key, S)>, key: Key) {
    if let Some(at) = list.iter().position(|(k, _)| *k == key) {
        list.swap_remove(at);
    }
}

/// Push onto an inverted list, growing it by an eighth (at least 4) rather than doubling:
/// these lists are most of the index, and doubling leaves a third of them unused on average.
pub(super) fn push_compact(list: &mut Vec<Slot>, slot: Slot) {
    if list.len() == list.capacity() {
        list.reserve_exact((list.len() / 8).max(4));
    }
    list.push(slot);
}

pub(super) fn remove_follower(map: &mut HashMap<i64, Vec<Slot>>, followee: i64, slot: Slot) {
    if let Some(slots) = map.get_mut(&followee) {
        if let Some(at) = slots.iter().position(|s| *s == slot) {
            slots.swap_remove(at);
        }
        if slots.is_empty() {
            map.remove(&followee);
        } else if slots.capacity() > 2 * slots.len() + 4 {
            slots.shrink_to(slots.len() + slots.len() / 8);
        }
    }
}
