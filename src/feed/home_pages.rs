//! `HomePages`: home timeline pages picked in memory.
//!
//! Read from the database, a home page walks `tweets` newest first and probes `follows` for
//! every row until it has its 20 — about ten rows per row returned for a typical user, a
//! millisecond of work per request at a million tweets. Here the walk happens in memory:
//! the ids and authors of the newest tweets (a *window*, `--home-cache-tweets`) and, per
//! user who asked, the ids they follow. Only the chosen tweets are then read, by id, so
//! like counts, `liked_by_me`, display names and reply counts are always the database's.
//!
//! What keeps it exact: every tweet with an id at or above the window's floor is in it (the
//! writer adds each tweet as it is committed, before its poster hears back; in a cluster, the
//! bus adds other nodes' as they arrive, and a lost subscription empties the window, to be
//! read again once the bus has settled). A page the window cannot answer in full (a cursor
//! below the floor, or too few matching tweets above it) is read from the database instead,
//! as is one whose tweets were deleted meanwhile. Followee lists are dropped by every follow
//! change of their owner, and a list read while any follow changed is used but not kept.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use crate::domain::{Page, PageCursor, Tweet};
use crate::storage::{Store, StoreError};

/// Most followee ids kept over all users; past it the lists are dropped and read again.
const MAX_FOLLOWEE_IDS: usize = 4_000_000;

/// "Every tweet is in the window": the floor of a window that holds the whole table.
const WHOLE_TABLE: i64 = i64::MIN;

/// Recent tweets and followee lists, to pick home pages from. Shared by the writer, the
/// bus hook and the home endpoint.
pub struct HomePages {
    /// Most tweets in the window; 0 turns the whole thing off.
    capacity: usize,
    window: Mutex<Window>,
    followees: Mutex<Followees>,
    /// One window load at a time; requests that find it taken read the database.
    loading: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct Window {
    /// Tweet id → author id, for the newest tweets.
    tweets: BTreeMap<i64, i64>,
    /// Once loaded: every tweet with an id ≥ this is in `tweets` (`WHOLE_TABLE`: all).
    floor: Option<i64>,
    /// Bumped by `reset`, so a load that began before one is not installed.
    epoch: u64,
}

#[derive(Default)]
struct Followees {
    /// User → the ids they follow, sorted.
    lists: HashMap<i64, Arc<[i64]>>,
    /// Ids held in `lists`.
    held: usize,
    /// Bumped by every follow change: a list read across one is not kept.
    changes: u64,
}

impl HomePages {
    /// Keep up to `capacity` recent tweets (0: never answer from memory).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            window: Mutex::default(),
            followees: Mutex::default(),
            loading: tokio::sync::Mutex::const_new(()),
        }
    }

    /// A committed tweet (this node's or, from the bus, another's).
    pub fn tweeted(&self, id: i64, author: i64) {
        if self.capacity == 0 {
            return;
        }
        let mut window = lock(&self.window);
        window.tweets.insert(id, author);
        window.trim(self.capacity);
    }

    /// A deleted tweet.
    pub fn deleted(&self, id: i64) {
        lock(&self.window).tweets.remove(&id);
    }

    /// `follower` followed or unfollowed someone: forget their list.
    pub fn followed(&self, follower: i64) {
        let mut followees = lock(&self.followees);
        followees.changes += 1;
        if let Some(list) = followees.lists.remove(&follower) {
            followees.held -= list.len();
        }
    }

    /// Changes may have been missed (a lost bus subscription): forget everything.
    pub fn reset(&self) {
        let mut window = lock(&self.window);
        window.tweets.clear();
        window.floor = None;
        window.epoch += 1;
        drop(window);
        let mut followees = lock(&self.followees);
        followees.lists.clear();
        followees.held = 0;
        followees.changes += 1;
    }

    /// `viewer`'s home page from memory, or `None` when memory cannot answer it exactly
    /// (the caller reads the database).
    pub async fn page(
        &self,
        store: &dyn Store,
        viewer: i64,
        page: Page,
    ) -> Result<Option<Vec<Tweet>>, StoreError> {
        if self.capacity == 0 {
            return Ok(None);
        }
        if lock(&self.window).floor.is_none() {
            self.load(store).await?;
        }
        let followees = self.followees_of(store, viewer).await?;
        let Some(ids) = pick(&lock(&self.window), viewer, &followees, page) else {
            metrics::counter!("chirp_cache_misses_total", "cache" => "home").increment(1);
            return Ok(None);
        };
        let mut found = store.tweets_by_ids(&ids, viewer).await?;
        let mut tweets = Vec::with_capacity(ids.len());
        for id in ids {
            match found.remove(&id) {
                Some(tweet) => tweets.push(tweet),
                None => {
                    // Deleted since the window heard of it (a deletion can overtake its
                    // tweet on the bus): drop it, and let the database answer this once.
                    self.deleted(id);
                    return Ok(None);
                }
            }
        }
        metrics::counter!("chirp_cache_hits_total", "cache" => "home").increment(1);
        Ok(Some(tweets))
    }

    /// Read the newest tweets into the window, unless another request is doing it.
    async fn load(&self, store: &dyn Store) -> Result<(), StoreError> {
        let Ok(_loading) = self.loading.try_lock() else {
            return Ok(());
        };
        let epoch = {
            let window = lock(&self.window);
            if window.floor.is_some() {
                return Ok(());
            }
            window.epoch
        };
        let started = Instant::now();
        let wanted = i64::try_from(self.capacity).unwrap_or(i64::MAX);
        let rows = store.recent_authors(wanted).await?;
        let mut window = lock(&self.window);
        if window.epoch != epoch {
            return Ok(());
        }
        let floor = match rows.last() {
            Some(&(oldest, _)) if rows.len() >= self.capacity => oldest,
            _ => WHOLE_TABLE,
        };
        // Tweets heard while the query ran are already in; the union is complete from the
        // query's oldest row up.
        window.tweets.extend(rows);
        window.floor = Some(floor);
        window.trim(self.capacity);
        tracing::info!(
            tweets = window.tweets.len(),
            ms = started.elapsed().as_millis() as u64,
            "home pages: recent tweets read into memory"
        );
        Ok(())
    }

    /// Whom `user` follows, sorted: from memory, else from the store (and kept, unless a
    /// follow changed while it was read).
    async fn followees_of(&self, store: &dyn Store, user: i64) -> Result<Arc<[i64]>, StoreError> {
        let changes = {
            let followees = lock(&self.followees);
            if let Some(list) = followees.lists.get(&user) {
                return Ok(list.clone());
            }
            followees.changes
        };
        let mut ids = store.following_ids(user).await?;
        ids.sort_unstable();
        ids.dedup();
        let list: Arc<[i64]> = ids.into();
        let mut followees = lock(&self.followees);
        if followees.changes == changes {
            if followees.held + list.len() > MAX_FOLLOWEE_IDS {
                followees.lists.clear();
                followees.held = 0;
            }
            followees.held += list.len();
            if let Some(old) = followees.lists.insert(user, list.clone()) {
                followees.held -= old.len();
            }
        }
        Ok(list)
    }
}

impl Window {
    /// Drop the oldest tweets past `capacity`, raising the floor to match.
    fn trim(&mut self, capacity: usize) {
        let mut dropped = false;
        while self.tweets.len() > capacity {
            self.tweets.pop_first();
            dropped = true;
        }
        if let (true, Some(floor), Some((&oldest, _))) =
            (dropped, self.floor, self.tweets.first_key_value())
        {
            self.floor = Some(floor.max(oldest));
        }
    }
}

/// The ids of `viewer`'s home page, newest first, if the window holds all it needs.
fn pick(window: &Window, viewer: i64, followees: &[i64], page: Page) -> Option<Vec<i64>> {
    let floor = window.floor?;
    let limit = usize::try_from(page.limit).ok()?;
    let shown = |author: i64| author == viewer || followees.binary_search(&author).is_ok();
    match page.cursor {
        PageCursor::Newest | PageCursor::Before(_) => {
            let before = match page.cursor {
                PageCursor::Before(id) => id,
                _ => i64::MAX,
            };
            let mut ids = Vec::with_capacity(limit);
            for (&id, &author) in window.tweets.range(..before).rev() {
                if shown(author) {
                    ids.push(id);
                    if ids.len() == limit {
                        return Some(ids);
                    }
                }
            }
            // Ran out of window: complete only if it holds the whole table.
            (floor == WHOLE_TABLE).then_some(ids)
        }
        PageCursor::After(after) => {
            // Every tweet newer than `after` must be in the window.
            if floor != WHOLE_TABLE && after < floor.saturating_sub(1) {
                return None;
            }
            let mut ids: Vec<i64> = window
                .tweets
                .range((Bound::Excluded(after), Bound::Unbounded))
                .filter(|&(_, &author)| shown(author))
                .map(|(&id, _)| id)
                .take(limit)
                .collect();
            ids.reverse();
            Some(ids)
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Plain data; a panic elsewhere cannot leave it half-changed.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(tweets: &[(i64, i64)], floor: Option<i64>) -> Window {
        Window {
            tweets: tweets.iter().copied().collect(),
            floor,
            epoch: 0,
        }
    }

    fn page(limit: i64, cursor: PageCursor) -> Page {
        Page { limit, cursor }
    }

    // Tweets 1..=10; author = id % 3 (authors 0, 1, 2); viewer 7 follows author 1.
    fn ten() -> Vec<(i64, i64)> {
        (1..=10).map(|id| (id, id % 3)).collect()
    }

    #[test]
    fn picks_own_and_followed_newest_first() {
        let w = window(&[(1, 7), (2, 1), (3, 2), (4, 1), (5, 7)], Some(WHOLE_TABLE));
        let ids = pick(&w, 7, &[1], page(10, PageCursor::Newest));
        assert_eq!(ids, Some(vec![5, 4, 2, 1]));
        let ids = pick(&w, 7, &[1], page(2, PageCursor::Newest));
        assert_eq!(ids, Some(vec![5, 4]));
    }

    #[test]
    fn cursors_page_like_the_database() {
        let w = window(&ten(), Some(WHOLE_TABLE));
        // Author 1 wrote 1, 4, 7, 10.
        assert_eq!(
            pick(&w, 99, &[1], page(2, PageCursor::Before(10))),
            Some(vec![7, 4])
        );
        // After: the oldest `limit` newer than the cursor, returned newest first.
        assert_eq!(
            pick(&w, 99, &[1], page(2, PageCursor::After(1))),
            Some(vec![7, 4])
        );
        assert_eq!(
            pick(&w, 99, &[1], page(5, PageCursor::After(7))),
            Some(vec![10])
        );
        assert_eq!(
            pick(&w, 99, &[1], page(5, PageCursor::After(i64::MAX))),
            Some(vec![])
        );
    }

    #[test]
    fn a_partial_window_answers_only_what_it_holds_in_full() {
        // Holds 5..=10 and knows nothing older.
        let w = window(&ten()[4..], Some(5));
        // Enough above the floor: answered.
        assert_eq!(
            pick(&w, 99, &[1], page(2, PageCursor::Newest)),
            Some(vec![10, 7])
        );
        // Not enough above the floor: the database must answer.
        assert_eq!(pick(&w, 99, &[1], page(3, PageCursor::Newest)), None);
        assert_eq!(pick(&w, 99, &[1], page(1, PageCursor::Before(5))), None);
        // After a cursor at floor − 1 or above: everything newer is here.
        assert_eq!(
            pick(&w, 99, &[1], page(5, PageCursor::After(4))),
            Some(vec![10, 7])
        );
        assert_eq!(pick(&w, 99, &[1], page(5, PageCursor::After(3))), None);
        // Not loaded at all: nothing is answered.
        assert_eq!(
            pick(&window(&ten(), None), 99, &[1], page(1, PageCursor::Newest)),
            None
        );
    }

    #[test]
    fn trimming_raises_the_floor() {
        let pages = HomePages::new(4);
        lock(&pages.window).floor = Some(WHOLE_TABLE);
        for (id, author) in ten() {
            pages.tweeted(id, author);
        }
        let w = lock(&pages.window);
        assert_eq!(
            w.tweets.keys().copied().collect::<Vec<_>>(),
            vec![7, 8, 9, 10]
        );
        assert_eq!(w.floor, Some(7));
    }

    #[test]
    fn an_unloaded_window_stays_bounded_and_unloaded() {
        let pages = HomePages::new(3);
        for (id, author) in ten() {
            pages.tweeted(id, author);
        }
        let w = lock(&pages.window);
        assert_eq!(w.tweets.len(), 3);
        assert_eq!(w.floor, None);
    }

    #[test]
    fn reset_forgets_everything_and_voids_loads_in_flight() {
        let pages = HomePages::new(10);
        lock(&pages.window).floor = Some(WHOLE_TABLE);
        pages.tweeted(1, 1);
        let epoch = lock(&pages.window).epoch;
        pages.reset();
        let w = lock(&pages.window);
        assert!(w.tweets.is_empty());
        assert_eq!(w.floor, None);
        assert_ne!(w.epoch, epoch);
    }
}
