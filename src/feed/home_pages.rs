//! `HomePages`: home timeline pages picked in memory.
//!
//! Read from the database, a home page walks `tweets` newest first and probes `follows` for
//! every row until it has its 20 — about ten rows per row returned for a typical user, a
//! millisecond of work per request at a million tweets. Here the walk happens in memory:
//! the ids, authors and parents of the newest tweets (a *window*, `--home-cache-tweets`)
//! and, per user who asked, the ids they follow. Only the chosen tweets are then read, by id, so
//! like counts, `liked_by_me`, display names and reply counts are always the database's.
//!
//! Which tweets a home page shows is the one visibility rule's to say
//! (`domain::visibility::shows`); this module only decides where to look.
//!
//! First pages (no cursor) are also kept per user and limit, as ready-to-send JSON, and
//! served again while still exact: no tweet by the user or a followee arrived since, the
//! followee list is the one it was built with, and nothing on it changed since it was built
//! (a like, a reply, a deletion, its author's display name: each numbers a change, `seq`).
//!
//! What keeps it exact: every tweet with an id at or above the window's floor is in it (the
//! writer adds each tweet as it is committed, before its poster hears back; in a cluster, the
//! bus adds other nodes' as they arrive, and a lost subscription empties the window, to be
//! read again once the bus has settled). A page the window cannot answer in full (a cursor
//! below the floor, or too few matching tweets above it) is read from the database instead,
//! as is one whose tweets were deleted meanwhile. Followee lists are dropped by every follow
//! change of their owner, and a list read while any follow changed is used but not kept. In
//! a cluster, where another node's follow arrives a moment after its answer, the list is
//! read from the store for every page and the one in memory used only while it matches.

use std::collections::{BTreeMap, HashMap};
use std::ops::Bound;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Instant;

use bytes::Bytes;

use super::first_page::encode;
use crate::domain::visibility::{self, Facts, List};
use crate::domain::{Page, PageCursor};
use crate::storage::{Store, StoreError};

/// Most followee and hidden ids kept over all users; past it the lists are dropped and read
/// again.
const MAX_FOLLOWEE_IDS: usize = 4_000_000;
/// Most bytes of cached first pages; past it they are dropped and built again.
const MAX_PAGE_BYTES: usize = 128 << 20;
/// Most window entries one page may look at. A viewer whose authors are rare in the window
/// (someone who follows nobody, or quiet accounts) would otherwise walk all of it, ~1.5 ms
/// for 100k entries, where the store reads their few authors by index in a fraction of that.
const MAX_SCAN: usize = 4_096;
/// Most change records kept; past it every cached page is dropped at once.
const MAX_CHANGES: usize = 200_000;

/// "Every tweet is in the window": the floor of a window that holds the whole table.
const WHOLE_TABLE: i64 = i64::MIN;

/// Recent tweets and followee lists, to pick home pages from. Shared by the writer, the
/// bus hook and the home endpoint.
pub struct HomePages {
    /// Most tweets in the window; 0 turns the whole thing off.
    capacity: usize,
    window: Mutex<Window>,
    followees: Mutex<Followees>,
    pages: Mutex<Pages>,
    /// One window load at a time; requests that find it taken read the database.
    loading: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct Window {
    /// Tweet id → what the rule needs of it, for the newest tweets.
    tweets: BTreeMap<i64, Entry>,
    /// Once loaded: every tweet with an id ≥ this is in `tweets` (`WHOLE_TABLE`: all).
    floor: Option<i64>,
    /// Bumped by `reset`, so a load that began before one is not installed.
    epoch: u64,
    /// Numbers changes: a cached page built at `seq` n is stale once a change > n touches it.
    seq: u64,
    /// Pages built before this are stale (a tweet arrived below the newest one: rare, a
    /// cluster's tweets overtaking each other on the bus).
    stale_before: u64,
    /// Tweet id → the last change to it (likes, replies, deletion).
    changed_tweets: HashMap<i64, u64>,
    /// Author id → the last change to their display name.
    changed_authors: HashMap<i64, u64>,
}

/// A first page as served, with what it was built from.
struct CachedPage {
    json: Bytes,
    /// Its tweets' ids and distinct authors.
    ids: Vec<i64>,
    authors: Vec<i64>,
    /// The viewpoint it was picked with (the same `Arc` while it is current).
    viewpoint: Arc<Viewpoint>,
    /// `Window::seq` when it was built, and the newest id the window held then.
    built: u64,
    top: i64,
}

#[derive(Default)]
struct Pages {
    /// (user, limit) → their first page.
    by_user: HashMap<(i64, i64), Arc<CachedPage>>,
    /// Bytes of JSON held.
    held: usize,
}

/// A window entry: (author, parent or 0, parent's author or 0).
type Entry = (i64, i64, i64);

/// What a viewer's home shows, besides the window: whom they follow and whom they hide
/// (blocked either way, muted, suspended), both sorted. Handed to the store on a miss, so it
/// need not read them again.
#[derive(Debug, PartialEq, Eq)]
pub struct Viewpoint {
    /// Whom the viewer follows.
    pub followees: Arc<[i64]>,
    /// Whom the viewer hides.
    pub hidden: Arc<[i64]>,
}

impl Viewpoint {
    fn ids(&self) -> usize {
        self.followees.len() + self.hidden.len()
    }
}

#[derive(Default)]
struct Followees {
    /// User → their viewpoint.
    lists: HashMap<i64, Arc<Viewpoint>>,
    /// Ids held in `lists`.
    held: usize,
    /// Bumped by every follow, block, mute or suspension: a viewpoint read across one is not
    /// kept.
    changes: u64,
}

/// What memory could do for one home page (`HomePages::page`).
pub enum FromMemory {
    /// The page, as its JSON body.
    Page(Bytes),
    /// Not the page: the store must read it; with the viewer's followees and hidden authors
    /// when memory had them.
    Miss(Option<Arc<Viewpoint>>),
}

impl HomePages {
    /// Keep up to `capacity` recent tweets (0: never answer from memory).
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            window: Mutex::default(),
            followees: Mutex::default(),
            pages: Mutex::default(),
            loading: tokio::sync::Mutex::const_new(()),
        }
    }

    /// A committed tweet (this node's or, from the bus, another's), and the tweet it answers
    /// (whose reply count changed) and that tweet's author.
    pub fn tweeted(
        &self,
        id: i64,
        author: i64,
        reply_to: Option<i64>,
        reply_to_author: Option<i64>,
    ) {
        if self.capacity == 0 {
            return;
        }
        let mut window = lock(&self.window);
        let newest = window.tweets.last_key_value().map(|(&newest, _)| newest);
        window.tweets.insert(
            id,
            (author, reply_to.unwrap_or(0), reply_to_author.unwrap_or(0)),
        );
        if newest.is_some_and(|newest| newest > id) {
            window.seq += 1;
            window.stale_before = window.seq;
        }
        if let Some(parent) = reply_to {
            window.note_tweet(parent);
        }
        window.trim(self.capacity);
    }

    /// A deleted tweet (and its parent's reply count).
    pub fn deleted(&self, id: i64) {
        let mut window = lock(&self.window);
        if let Some((_, parent, _)) = window.tweets.remove(&id)
            && parent != 0
        {
            window.note_tweet(parent);
        }
        window.note_tweet(id);
    }

    /// A tweet's likes changed.
    pub fn liked(&self, id: i64) {
        lock(&self.window).note_tweet(id);
    }

    /// A user's profile (display name) changed.
    pub fn profile_changed(&self, user: i64) {
        let mut window = lock(&self.window);
        window.seq += 1;
        let seq = window.seq;
        window.changed_authors.insert(user, seq);
        window.bound_changes();
    }

    /// `viewer` followed or unfollowed, blocked or muted someone (or was blocked): forget
    /// their viewpoint.
    pub fn followed(&self, viewer: i64) {
        let mut followees = lock(&self.followees);
        followees.changes += 1;
        if let Some(list) = followees.lists.remove(&viewer) {
            followees.held -= list.ids();
        }
    }

    /// Someone was suspended or unsuspended: every viewpoint hides them (or no longer
    /// does), so all of them and every page picked with them go.
    pub fn forget_viewpoints(&self) {
        let mut followees = lock(&self.followees);
        followees.lists.clear();
        followees.held = 0;
        followees.changes += 1;
        drop(followees);
        let mut pages = lock(&self.pages);
        pages.by_user.clear();
        pages.held = 0;
    }

    /// Changes may have been missed (a lost bus subscription): forget everything.
    pub fn reset(&self) {
        let mut window = lock(&self.window);
        window.tweets.clear();
        window.floor = None;
        window.epoch += 1;
        window.seq += 1;
        window.stale_before = window.seq;
        drop(window);
        let mut pages = lock(&self.pages);
        pages.by_user.clear();
        pages.held = 0;
        drop(pages);
        let mut followees = lock(&self.followees);
        followees.lists.clear();
        followees.held = 0;
        followees.changes += 1;
    }

    /// `viewer`'s home page as its JSON body, from memory, or — when memory cannot answer it
    /// exactly — the viewer's followee ids, so that the caller reads the store without
    /// asking for them again (`FromMemory::Miss`). `fresh_followees`: read whom the viewer
    /// follows from the store rather than trust the list in memory (in a cluster, where
    /// another node's follow reaches this memory a moment after its answer).
    pub async fn page(
        &self,
        store: &dyn Store,
        viewer: i64,
        page: Page,
        fresh_followees: bool,
    ) -> Result<FromMemory, StoreError> {
        if self.capacity == 0 {
            return Ok(FromMemory::Miss(None));
        }
        if lock(&self.window).floor.is_none() {
            self.load(store).await?;
        }
        let viewpoint = self.viewpoint_of(store, viewer, fresh_followees).await?;
        let first = page.cursor == PageCursor::Newest;
        let key = (viewer, page.limit);
        let cached = lock(&self.pages).by_user.get(&key).cloned();
        let (ids, built, top) = {
            let window = lock(&self.window);
            if first
                && let Some(cached) = cached
                && window.still_exact(&cached, viewer, &viewpoint)
            {
                metrics::counter!("chirp_cache_hits_total", "cache" => "home").increment(1);
                return Ok(FromMemory::Page(cached.json.clone()));
            }
            let Some(ids) = pick(&window, viewer, &viewpoint, page) else {
                metrics::counter!("chirp_cache_misses_total", "cache" => "home").increment(1);
                return Ok(FromMemory::Miss(Some(viewpoint)));
            };
            let top = window.tweets.last_key_value().map_or(0, |(&id, _)| id);
            (ids, window.seq, top)
        };
        let mut found = store.tweets_by_ids(&ids, viewer).await?;
        let mut tweets = Vec::with_capacity(ids.len());
        for id in &ids {
            match found.remove(id) {
                Some(tweet) => tweets.push(tweet),
                None => {
                    // Deleted since the window heard of it (a deletion can overtake its
                    // tweet on the bus): drop it, and let the database answer this once.
                    self.deleted(*id);
                    return Ok(FromMemory::Miss(Some(viewpoint)));
                }
            }
        }
        let json = encode(&tweets)?;
        if first {
            let mut authors: Vec<i64> = tweets.iter().map(|t| t.author.id).collect();
            authors.sort_unstable();
            authors.dedup();
            self.keep(
                key,
                CachedPage {
                    json: json.clone(),
                    ids,
                    authors,
                    viewpoint,
                    built,
                    top,
                },
            );
        }
        Ok(FromMemory::Page(json))
    }

    /// Remember a first page, within `MAX_PAGE_BYTES`.
    fn keep(&self, key: (i64, i64), page: CachedPage) {
        let mut pages = lock(&self.pages);
        if pages.held + page.json.len() > MAX_PAGE_BYTES {
            pages.by_user.clear();
            pages.held = 0;
        }
        pages.held += page.json.len();
        if let Some(old) = pages.by_user.insert(key, Arc::new(page)) {
            pages.held -= old.json.len();
        }
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
            Some(&(oldest, _, _, _)) if rows.len() >= self.capacity => oldest,
            _ => WHOLE_TABLE,
        };
        // Tweets heard while the query ran are already in; the union is complete from the
        // query's oldest row up. Parents are read too: deleting a reply must mark its
        // parent's reply count changed, whenever the reply came into memory.
        for (id, author, parent, parent_author) in rows {
            window.tweets.entry(id).or_insert((
                author,
                parent.unwrap_or(0),
                parent_author.unwrap_or(0),
            ));
        }
        window.seq += 1;
        window.stale_before = window.seq;
        window.floor = Some(floor);
        window.trim(self.capacity);
        tracing::info!(
            tweets = window.tweets.len(),
            ms = started.elapsed().as_millis() as u64,
            "home pages: recent tweets read into memory"
        );
        Ok(())
    }

    /// Whom `user` follows and hides: from memory (unless `fresh`), else from the store
    /// (and kept, unless a follow, block, mute or suspension happened while it was read). A
    /// fresh read equal to the viewpoint in memory answers that one, so pages cached with it
    /// stay usable.
    async fn viewpoint_of(
        &self,
        store: &dyn Store,
        user: i64,
        fresh: bool,
    ) -> Result<Arc<Viewpoint>, StoreError> {
        let changes = {
            let followees = lock(&self.followees);
            if !fresh && let Some(list) = followees.lists.get(&user) {
                return Ok(list.clone());
            }
            followees.changes
        };
        let mut ids = store.following_ids(user).await?;
        ids.sort_unstable();
        ids.dedup();
        let hidden = store.hidden_authors(Some(user)).await?;
        let read = Viewpoint {
            followees: ids.into(),
            hidden: hidden.into(),
        };
        if let Some(list) = lock(&self.followees).lists.get(&user)
            && **list == read
        {
            return Ok(list.clone());
        }
        let list = Arc::new(read);
        let mut followees = lock(&self.followees);
        if followees.changes == changes {
            if followees.held + list.ids() > MAX_FOLLOWEE_IDS {
                followees.lists.clear();
                followees.held = 0;
            }
            followees.held += list.ids();
            if let Some(old) = followees.lists.insert(user, list.clone()) {
                followees.held -= old.ids();
            }
        }
        Ok(list)
    }
}

impl Window {
    /// Number a change to tweet `id`.
    fn note_tweet(&mut self, id: i64) {
        self.seq += 1;
        let seq = self.seq;
        self.changed_tweets.insert(id, seq);
        self.bound_changes();
    }

    /// Keep the change records bounded: past `MAX_CHANGES`, forget them all and let every
    /// page built so far go stale instead.
    fn bound_changes(&mut self) {
        if self.changed_tweets.len() + self.changed_authors.len() > MAX_CHANGES {
            self.changed_tweets.clear();
            self.changed_authors.clear();
            self.stale_before = self.seq;
        }
    }

    /// Whether `page` is still `viewer`'s first page: built with today's followee list,
    /// after the last wholesale change, no new tweet for them since (all newer tweets still
    /// in the window to tell), nothing on it changed.
    fn still_exact(&self, page: &CachedPage, viewer: i64, viewpoint: &Arc<Viewpoint>) -> bool {
        let changed_since = |changes: &HashMap<i64, u64>, key: &i64| {
            changes.get(key).is_some_and(|&seq| seq > page.built)
        };
        // Every tweet newer than the page's `top` must still be in the window to be looked at.
        let holds_newer = self
            .floor
            .is_some_and(|floor| floor <= page.top.saturating_add(1));
        page.built >= self.stale_before
            && holds_newer
            && Arc::ptr_eq(&page.viewpoint, viewpoint)
            && !self
                .tweets
                .range((Bound::Excluded(page.top), Bound::Unbounded))
                .any(|(_, &tweet)| on_home(viewer, viewpoint, tweet))
            && !page
                .ids
                .iter()
                .any(|id| changed_since(&self.changed_tweets, id))
            && !page
                .authors
                .iter()
                .any(|a| changed_since(&self.changed_authors, a))
    }

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
fn pick(window: &Window, viewer: i64, viewpoint: &Viewpoint, page: Page) -> Option<Vec<i64>> {
    let floor = window.floor?;
    let limit = usize::try_from(page.limit).ok()?;
    let shown = |tweet: Entry| on_home(viewer, viewpoint, tweet);
    let mut ids = Vec::with_capacity(limit);
    match page.cursor {
        PageCursor::Newest | PageCursor::Before(_) => {
            let before = match page.cursor {
                PageCursor::Before(id) => id,
                _ => i64::MAX,
            };
            let older = window.tweets.range(..before).rev();
            for (scanned, (&id, &tweet)) in older.enumerate() {
                if scanned == MAX_SCAN {
                    return None;
                }
                if shown(tweet) {
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
            let newer = window
                .tweets
                .range((Bound::Excluded(after), Bound::Unbounded));
            for (scanned, (&id, &tweet)) in newer.enumerate() {
                if scanned == MAX_SCAN {
                    return None;
                }
                if shown(tweet) {
                    ids.push(id);
                    if ids.len() == limit {
                        break;
                    }
                }
            }
            ids.reverse();
            Some(ids)
        }
    }
}

/// Whether `viewer`'s home shows a window entry, by the one rule.
fn on_home(viewer: i64, viewpoint: &Viewpoint, (author, parent, parent_author): Entry) -> bool {
    let tweet = Facts {
        author,
        reply_to: (parent != 0).then_some(parent),
        reply_to_author: (parent_author != 0).then_some(parent_author),
    };
    visibility::shows(
        List::Home(viewer),
        tweet,
        |author| viewpoint.followees.binary_search(&author).is_ok(),
        |author| viewpoint.hidden.binary_search(&author).is_ok(),
    )
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Plain data; a panic elsewhere cannot leave it half-changed.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests;
