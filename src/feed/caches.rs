//! `Caches`: what the feed keeps in memory — the anonymous first page (`FirstPage`) and the
//! material home pages are picked from (`HomePages`) — and how each change reaches them: one
//! mapping (`apply`) for this node's changes and those another node announced on the bus,
//! so the two cannot drift apart.

use super::{FirstPage, HomePages};
use crate::domain::Tweet;
use crate::realtime::Announcement;

/// The feed's caches. Shared by the feed, its writer and the bus hook.
pub struct Caches {
    /// The anonymous first page of everyone's timeline.
    pub first_page: FirstPage,
    /// Recent tweets and followee lists, for home pages.
    pub home: HomePages,
}

impl Caches {
    /// Caches keeping up to `home_tweets` recent tweets for home pages (0: none).
    pub fn new(home_tweets: usize) -> Self {
        Self {
            first_page: FirstPage::default(),
            home: HomePages::new(home_tweets),
        }
    }

    /// Tweets were committed here (the writer; as `apply` with `Announcement::Tweet`, without
    /// building one per tweet).
    pub fn stored(&self, tweets: &[&Tweet]) {
        self.first_page.invalidate();
        for tweet in tweets {
            let parent = tweet.reply_to.as_ref().map(|parent| parent.id);
            self.home.tweeted(tweet.id, tweet.author.id, parent);
        }
    }

    /// A change, made here (the feed, after storing it) or announced by another node.
    pub fn apply(&self, announcement: &Announcement) {
        match announcement {
            Announcement::Tweet {
                id,
                author,
                reply_to,
            } => {
                self.first_page.invalidate();
                self.home.tweeted(*id, author.id, *reply_to);
            }
            Announcement::Deleted { id } => {
                self.first_page.invalidate();
                self.home.deleted(*id);
            }
            Announcement::Follow { follower, .. } => self.home.followed(*follower),
            // Pages carry like counts and display names.
            Announcement::Liked { tweet } => {
                self.first_page.invalidate();
                self.home.liked(*tweet);
            }
            Announcement::ProfileChanged { user } => {
                self.first_page.invalidate();
                self.home.profile_changed(*user);
            }
            Announcement::SessionEnded { .. }
            | Announcement::SessionForgotten { .. }
            | Announcement::Notification { .. } => {}
        }
    }

    /// Announcements may have been missed (the bus subscription was lost or came back).
    pub fn lost(&self) {
        self.first_page.invalidate();
        self.home.reset();
    }
}
