//! `Caches`: what the feed keeps in memory — the anonymous first page (`FirstPage`), the
//! material home pages are picked from (`HomePages`) and trending tags (`Trending`) — as a listener of changes: every change
//! heard (this node's as the feed publishes it, another node's as it arrives) drops or
//! updates what it makes stale, through one mapping, so the two cannot drift apart.

use super::{FirstPage, HomePages, Trending};
use crate::changes::{Change, Event, Listener, Stale};

/// The feed's caches. Shared by the feed (which reads them) and `changes` (which tells them).
pub struct Caches {
    /// The anonymous first page of everyone's timeline.
    pub first_page: FirstPage,
    /// Recent tweets and followee lists, for home pages.
    pub home: HomePages,
    /// The last 24 hours of tag use.
    pub trending: Trending,
}

impl Caches {
    /// Caches keeping up to `home_tweets` recent tweets for home pages (0: none).
    pub fn new(home_tweets: usize) -> Self {
        Self {
            first_page: FirstPage::default(),
            home: HomePages::new(home_tweets),
            trending: Trending::default(),
        }
    }
}

impl Listener for Caches {
    fn heard(&self, change: &Change) {
        if let Some(t) = change.tweeted() {
            let facts = t.facts;
            self.first_page.invalidate();
            self.home
                .tweeted(t.id, facts.author, facts.reply_to, facts.reply_to_author);
            self.trending.tweeted(t.id, facts.author, t.tags);
            return;
        }
        match change {
            // Above.
            Change::Event(Event::Tweet { .. }) => {}
            Change::Event(Event::Deleted { id }) => {
                self.first_page.invalidate();
                self.home.deleted(*id);
                self.trending.deleted(*id);
            }
            Change::Stale(Stale::Follow { follower, .. }) => self.home.followed(*follower),
            // Home pages are picked with the viewer's hidden authors.
            Change::Stale(Stale::Hide { viewer, .. }) => self.home.followed(*viewer),
            // Every list (the anonymous first page too) leaves out suspended accounts.
            Change::Stale(Stale::Suspended { .. }) => {
                self.first_page.invalidate();
                self.home.forget_viewpoints();
                self.trending.reset();
            }
            // Pages carry like counts and display names.
            Change::Stale(Stale::Liked { tweet }) => {
                self.first_page.invalidate();
                self.home.liked(*tweet);
            }
            Change::Stale(Stale::ProfileChanged { user }) => {
                self.first_page.invalidate();
                self.home.profile_changed(*user);
            }
            Change::Event(Event::Notification { .. } | Event::UnreadCount { .. })
            | Change::Control(_) => {}
        }
    }

    /// Other nodes' changes may have been missed: forget everything.
    fn missed(&self) {
        self.first_page.invalidate();
        self.home.reset();
        self.trending.reset();
    }
}
