//! Trending tags: the last 24 hours of tag use, kept in memory and counted as tweets arrive,
//! so `GET /api/tags/trending` never scans the database.
//!
//! A listener of changes like the other caches: every tweet heard (this node's, or another
//! node's over the broker) adds its tags, a deletion takes them back, and uses older than the
//! window fall out when the list is next read. The window is read from the store when first
//! asked for, and again after this node may have missed changes (the broker came back) or an
//! account's suspension changed (suspended accounts' tweets do not count). It is bounded: at
//! most `MAX_TWEETS` tagged tweets, the oldest dropped first.
//!
//! Ranking: most distinct authors first, then most tweets, then by name (so equal counts list
//! in a stable order); at most `TOP` tags.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use serde::Serialize;

use crate::domain::now_micros;
use crate::storage::{Store, StoreError, TagUse};

/// The window: 24 hours, in microseconds.
pub const WINDOW_MICROS: i64 = 24 * 60 * 60 * 1_000_000;
/// Most tags listed.
pub const TOP: usize = 10;
/// Most tagged tweets kept in the window (about 150 bytes each with two tags).
pub const MAX_TWEETS: usize = 500_000;

/// A trending tag: `{"name", "tweets", "people"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Trend {
    /// The tag's name (without `#`).
    pub name: String,
    /// How many tweets of the last 24 hours carry it.
    pub tweets: u64,
    /// How many distinct people wrote them.
    pub people: u64,
}

#[derive(Default)]
struct Count {
    tweets: u64,
    /// Author → their tweets with the tag in the window.
    authors: HashMap<i64, u32>,
}

struct Tagged {
    author: i64,
    tags: Vec<Arc<str>>,
}

#[derive(Default)]
struct Window {
    /// Whether it holds what the store holds (else it is read again on the next ask).
    loaded: bool,
    /// Tagged tweets in the order heard, with when (microseconds).
    order: VecDeque<(i64, i64)>,
    /// Tweet → its author and tags, while it counts.
    live: HashMap<i64, Tagged>,
    counts: HashMap<Arc<str>, Count>,
    /// The ranking, until something changes.
    top: Option<Vec<Trend>>,
}

impl Window {
    fn add(&mut self, tweet: i64, author: i64, tags: &[String], at: i64) {
        if tags.is_empty() || self.live.contains_key(&tweet) {
            return;
        }
        let mut names = Vec::with_capacity(tags.len());
        for tag in tags {
            let name: Arc<str> = match self.counts.get_key_value(tag.as_str()) {
                Some((name, _)) => name.clone(),
                None => Arc::from(tag.as_str()),
            };
            let count = self.counts.entry(name.clone()).or_default();
            count.tweets += 1;
            *count.authors.entry(author).or_default() += 1;
            names.push(name);
        }
        self.live.insert(
            tweet,
            Tagged {
                author,
                tags: names,
            },
        );
        self.order.push_back((at, tweet));
        self.top = None;
        while self.live.len() > MAX_TWEETS {
            let Some((_, oldest)) = self.order.pop_front() else {
                break;
            };
            self.remove(oldest);
        }
    }

    fn remove(&mut self, tweet: i64) {
        let Some(tagged) = self.live.remove(&tweet) else {
            return;
        };
        for tag in tagged.tags {
            if let Some(count) = self.counts.get_mut(&tag) {
                count.tweets -= 1;
                if let Some(n) = count.authors.get_mut(&tagged.author) {
                    *n -= 1;
                    if *n == 0 {
                        count.authors.remove(&tagged.author);
                    }
                }
                if count.tweets == 0 {
                    self.counts.remove(&tag);
                }
            }
        }
        self.top = None;
    }

    fn expire(&mut self, now: i64) {
        while let Some(&(at, tweet)) = self.order.front() {
            if at >= now - WINDOW_MICROS {
                break;
            }
            self.order.pop_front();
            self.remove(tweet);
        }
    }

    fn rank(&mut self) -> Vec<Trend> {
        if let Some(top) = &self.top {
            return top.clone();
        }
        let mut all: Vec<Trend> = self
            .counts
            .iter()
            .map(|(name, count)| Trend {
                name: name.to_string(),
                tweets: count.tweets,
                people: count.authors.len() as u64,
            })
            .collect();
        all.sort_unstable_by(|a, b| {
            (b.people, b.tweets)
                .cmp(&(a.people, a.tweets))
                .then_with(|| a.name.cmp(&b.name))
        });
        all.truncate(TOP);
        self.top = Some(all.clone());
        all
    }
}

/// The trending window of this node.
#[derive(Default)]
pub struct Trending {
    window: Mutex<Window>,
}

impl Trending {
    fn lock(&self) -> MutexGuard<'_, Window> {
        // A panic while counting leaves counts at worst a little off: keep serving.
        self.window.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A tweet was stored (heard on this node).
    pub fn tweeted(&self, tweet: i64, author: i64, tags: &[String]) {
        if tags.is_empty() {
            return;
        }
        let mut window = self.lock();
        if window.loaded {
            window.add(tweet, author, tags, now_micros());
        }
    }

    /// A tweet was deleted.
    pub fn deleted(&self, tweet: i64) {
        self.lock().remove(tweet);
    }

    /// Read the window from the store again on the next ask (changes may have been missed,
    /// or whose tweets count has changed).
    pub fn reset(&self) {
        let mut window = self.lock();
        *window = Window::default();
    }

    /// The top tags of the last 24 hours.
    pub async fn top(&self, store: &dyn Store) -> Result<Vec<Trend>, StoreError> {
        let now = now_micros();
        {
            let mut window = self.lock();
            if window.loaded {
                window.expire(now);
                return Ok(window.rank());
            }
        }
        let uses = store.tag_uses_since(now - WINDOW_MICROS).await?;
        let mut window = self.lock();
        if !window.loaded {
            *window = load(uses);
        }
        window.expire(now);
        Ok(window.rank())
    }
}

/// A window holding `uses` (oldest first).
fn load(uses: Vec<TagUse>) -> Window {
    let mut window = Window {
        loaded: true,
        ..Window::default()
    };
    let mut at = 0;
    while at < uses.len() {
        let first = &uses[at];
        let mut end = at + 1;
        while end < uses.len() && uses[end].tweet_id == first.tweet_id {
            end += 1;
        }
        let tags: Vec<String> = uses[at..end].iter().map(|u| u.tag.clone()).collect();
        window.add(first.tweet_id, first.author_id, &tags, first.created_at);
        at = end;
    }
    window
}

#[cfg(test)]
mod tests {
    use super::*;

    fn loaded() -> Window {
        load(Vec::new())
    }

    fn tags(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn ranks_by_people_then_tweets_then_name() {
        let mut w = loaded();
        w.add(1, 10, &tags(&["rust", "tokio"]), 0);
        w.add(2, 10, &tags(&["rust"]), 0);
        w.add(3, 11, &tags(&["tokio"]), 0);
        w.add(4, 12, &tags(&["axum"]), 0);
        let top = w.rank();
        let names: Vec<_> = top
            .iter()
            .map(|t| (t.name.as_str(), t.people, t.tweets))
            .collect();
        assert_eq!(names, [("tokio", 2, 2), ("rust", 1, 2), ("axum", 1, 1)]);
    }

    #[test]
    fn deletions_and_repeats_and_age_are_counted_right() {
        let mut w = loaded();
        w.add(1, 10, &tags(&["rust"]), 0);
        w.add(1, 10, &tags(&["rust"]), 0);
        assert_eq!(w.rank()[0].tweets, 1, "a tweet heard twice counts once");
        w.add(2, 11, &tags(&["rust"]), 5);
        w.remove(1);
        assert_eq!(
            w.rank(),
            [Trend {
                name: "rust".into(),
                tweets: 1,
                people: 1
            }]
        );
        w.expire(WINDOW_MICROS + 6);
        assert!(w.rank().is_empty());
        assert!(w.counts.is_empty() && w.live.is_empty());
    }

    #[test]
    fn at_most_ten_tags() {
        let mut w = loaded();
        for i in 0..30 {
            w.add(i, i, &[format!("t{i:02}")], 0);
        }
        assert_eq!(w.rank().len(), TOP);
    }

    #[test]
    fn a_store_read_groups_uses_by_tweet() {
        let uses = vec![
            TagUse {
                tag: "a".into(),
                tweet_id: 1,
                author_id: 7,
                created_at: 1,
            },
            TagUse {
                tag: "b".into(),
                tweet_id: 1,
                author_id: 7,
                created_at: 1,
            },
            TagUse {
                tag: "a".into(),
                tweet_id: 2,
                author_id: 8,
                created_at: 2,
            },
        ];
        let mut w = load(uses);
        assert_eq!(w.live.len(), 2);
        assert_eq!(
            w.rank()[0],
            Trend {
                name: "a".into(),
                tweets: 2,
                people: 2
            }
        );
    }
}
