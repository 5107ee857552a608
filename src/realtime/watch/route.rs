//! Routing a tweet to its sockets, the hot path: the visibility rule names the timelines that
//! gain the tweet, and the index's sets for them are concatenated, the author's own sockets
//! left out, and those of viewers who hide it (`hides`). And the same question for one
//! socket (`receives`), to replay what a recovering socket missed.

use super::{Key, Routing, Timeline, WatchIndex};
use crate::domain::visibility::{self, Audiences, List};

impl<S: Clone> WatchIndex<S> {
    /// Every socket a tweet is announced to: those watching a timeline that gains it, except
    /// its author's own and those of viewers who hide it. Each socket at most once.
    /// `tags` are the tweet's hashtags' names.
    pub fn recipients(&self, tweet: Routing, tags: &[String], mut visit: impl FnMut(&S)) -> usize {
        let audiences = Audiences::of(tweet);
        let mut count = 0;
        let author_sockets = self.by_user.get(&tweet.author);
        // Viewers hiding the author see it nowhere; those hiding the parent's author do not
        // see the thread on the timelines that gather many authors (`List::gathers`).
        let hiding_author = self.sockets_hiding(Some(tweet.author));
        let hiding_thread = self.sockets_hiding(tweet.reply_to_author);
        // Every viewer hides a suspended account: its thread leaves the gathering lists.
        let suspended_thread = tweet.reply_to_author.is_some_and(|a| self.is_suspended(a));
        let mut send = |key: &Key, handle: &S, gathers: bool| {
            if (gathers && suspended_thread)
                || author_sockets.is_some_and(|own| own.iter().any(|(k, _)| k == key))
                || hiding_author
                    .as_ref()
                    .is_some_and(|keys| keys.contains(key))
                || (gathers
                    && hiding_thread
                        .as_ref()
                        .is_some_and(|keys| keys.contains(key)))
            {
                return;
            }
            count += 1;
            visit(handle);
        };
        if audiences.everyone {
            let gathers = List::Everyone.gathers();
            self.everyone.iter().for_each(|(k, h)| send(k, h, gathers));
        }
        if let Some(watchers) = self.by_author.get(&audiences.user) {
            let gathers = List::User(audiences.user).gathers();
            watchers.iter().for_each(|(k, h)| send(k, h, gathers));
        }
        if let Some(parent) = audiences.replies
            && let Some(watchers) = self.by_parent.get(&parent)
        {
            let gathers = List::Replies(parent).gathers();
            watchers.iter().for_each(|(k, h)| send(k, h, gathers));
        }
        for tag in tags {
            if let Some(watchers) = self.by_tag.get(tag.as_str()) {
                let gathers = List::Tag.gathers();
                watchers.iter().for_each(|(k, h)| send(k, h, gathers));
            }
        }
        // `audiences.home_of` is the author: their own home sockets are never told.
        if let Some(slots) = self.followers_online.get(&audiences.homes_following) {
            for slot in slots {
                if let Some(Some(home)) = self.homes.get(*slot as usize) {
                    let gathers = List::Home(home.user).gathers();
                    home.sockets.iter().for_each(|(k, h)| send(k, h, gathers));
                }
            }
        }
        count
    }

    /// Whether socket `key`, as it watches and hides now, is among a tweet's recipients
    /// (`recipients` for one socket).
    pub fn receives(&self, key: Key, tweet: Routing, tags: &[String]) -> bool {
        let Some(watcher) = self.sockets.get(&key) else {
            return false;
        };
        if watcher.user == Some(tweet.author) {
            return false;
        }
        let list = match &watcher.timeline {
            Timeline::Everyone => List::Everyone,
            Timeline::User(user) => List::User(*user),
            Timeline::Replies(parent) => List::Replies(*parent),
            Timeline::Tag(name) if tags.iter().any(|t| t.as_str() == &**name) => List::Tag,
            Timeline::Tag(_) => return false,
            Timeline::Home => match watcher.user {
                Some(user) => List::Home(user),
                None => return false,
            },
        };
        let follows = |author: i64| {
            let slot = watcher.user.and_then(|u| self.home_slot.get(&u));
            slot.and_then(|s| self.homes.get(*s as usize))
                .and_then(Option::as_ref)
                .is_some_and(|home| home.followees.contains(author))
        };
        let hidden = watcher.user.and_then(|u| self.hides.get(&u));
        let hides = |author: i64| {
            self.is_suspended(author) || hidden.is_some_and(|h| h.binary_search(&author).is_ok())
        };
        visibility::shows(list, tweet, follows, hides)
    }
}
