//! Routing a tweet to its sockets, the hot path: the visibility rule names the timelines that
//! gain the tweet, and the index's sets for them are concatenated, the author's own sockets
//! left out.

use super::{Key, Routing, WatchIndex};
use crate::domain::visibility::Audiences;

impl<S: Clone> WatchIndex<S> {
    /// Every socket a tweet is announced to: those watching a timeline that gains it, except
    /// its author's own. Each socket at most once.
    pub fn recipients(&self, tweet: Routing, mut visit: impl FnMut(&S)) -> usize {
        let audiences = Audiences::of(tweet);
        let mut count = 0;
        let author_sockets = self.by_user.get(&tweet.author);
        let mut send = |key: &Key, handle: &S| {
            if author_sockets.is_some_and(|own| own.iter().any(|(k, _)| k == key)) {
                return;
            }
            count += 1;
            visit(handle);
        };
        if audiences.everyone {
            self.everyone.iter().for_each(|(k, h)| send(k, h));
        }
        if let Some(watchers) = self.by_author.get(&audiences.user) {
            watchers.iter().for_each(|(k, h)| send(k, h));
        }
        if let Some(parent) = audiences.replies
            && let Some(watchers) = self.by_parent.get(&parent)
        {
            watchers.iter().for_each(|(k, h)| send(k, h));
        }
        // `audiences.home_of` is the author: their own home sockets are never told.
        if let Some(slots) = self.followers_online.get(&audiences.homes_following) {
            for slot in slots {
                if let Some(Some(home)) = self.homes.get(*slot as usize) {
                    home.sockets.iter().for_each(|(k, h)| send(k, h));
                }
            }
        }
        count
    }
}
