//! The watch index's unit tests: sockets registered, moved, routed to and forgotten.

use super::*;

impl<S> WatchIndex<S> {
    /// Whether nothing at all is registered (the follow log aside).
    fn is_empty(&self) -> bool {
        self.sockets.is_empty()
            && self.everyone.is_empty()
            && self.by_author.is_empty()
            && self.by_parent.is_empty()
            && self.homes.iter().all(Option::is_none)
            && self.free_slots.len() == self.homes.len()
            && self.home_slot.is_empty()
            && self.followers_online.is_empty()
            && self.by_user.is_empty()
    }
}

fn recipients(index: &WatchIndex<Key>, author: i64, reply_to: Option<i64>) -> Vec<Key> {
    let mut out = Vec::new();
    index.recipients(
        Routing {
            author,
            reply_to,
            reply_to_author: None,
        },
        &[],
        |k| out.push(*k),
    );
    out.sort_unstable();
    out
}

fn follow(index: &mut WatchIndex<Key>, follower: i64, followee: i64, following: bool) {
    index.follow_changed(FollowChange {
        follower,
        followee,
        following,
    });
}

#[test]
fn a_followee_list_read_again_replaces_the_old_one_keeping_later_changes() {
    let mut index = WatchIndex::default();
    index.connect(1, 1, Some(10));
    index.watch_home(1, vec![20, 30], 0).unwrap();
    assert_eq!(index.home_users(), vec![10]);
    // Read from the store at seq 0 ([30, 40]: 20 was unfollowed, 40 followed elsewhere);
    // meanwhile this node hears a follow of 50.
    let read_at = index.follow_seq();
    follow(&mut index, 10, 50, true);
    index.replace_followees(10, vec![40, 30], read_at).unwrap();
    assert_eq!(recipients(&index, 20, None), Vec::<Key>::new());
    assert_eq!(recipients(&index, 30, None), vec![1]);
    assert_eq!(recipients(&index, 40, None), vec![1]);
    assert_eq!(recipients(&index, 50, None), vec![1]);
    // A user who stopped watching home is left alone.
    index.replace_followees(99, vec![20], read_at).unwrap();
    assert_eq!(recipients(&index, 20, None), Vec::<Key>::new());
    index.disconnect(1);
    assert!(index.followers_online.is_empty());
}

#[test]
fn everyone_gets_every_tweet_but_the_author_does_not() {
    let mut index = WatchIndex::default();
    index.connect(1, 1, None);
    index.connect(2, 2, Some(10));
    index.connect(3, 3, Some(20));
    assert_eq!(recipients(&index, 10, None), vec![1, 3]);
    assert_eq!(recipients(&index, 99, None), vec![1, 2, 3]);
}

#[test]
fn user_and_replies_timelines_get_only_their_tweets() {
    let mut index = WatchIndex::default();
    index.connect(1, 1, None);
    index.connect(2, 2, None);
    index.watch(1, Timeline::User(7)).unwrap();
    index.watch(2, Timeline::Replies(100)).unwrap();
    assert_eq!(recipients(&index, 8, None), Vec::<Key>::new());
    assert_eq!(recipients(&index, 7, None), vec![1]);
    assert_eq!(recipients(&index, 8, Some(100)), vec![2]);
    assert_eq!(
        recipients(&index, 7, Some(100)),
        vec![1, 2],
        "both, once each"
    );
    index.watch(1, Timeline::Everyone).unwrap();
    assert_eq!(recipients(&index, 7, None), vec![1]);
    assert_eq!(index.by_author.len(), 0, "empty sets are dropped");
}

#[test]
fn home_follows_live_and_replays_changes_made_during_the_read() {
    let mut index = WatchIndex::default();
    index.connect(1, 1, Some(10));
    index.connect(2, 2, Some(10));
    assert_eq!(index.watch(1, Timeline::Home), Err(WatchError::NotSignedIn));
    let read_at = index.follow_seq();
    // While the store was being read: 10 followed 30 and unfollowed 20.
    follow(&mut index, 10, 30, true);
    follow(&mut index, 10, 20, false);
    index.watch_home(1, vec![20, 40], read_at).unwrap();
    assert_eq!(
        recipients(&index, 20, None),
        vec![2],
        "only the everyone socket"
    );
    assert_eq!(recipients(&index, 30, None), vec![1, 2]);
    assert_eq!(recipients(&index, 40, None), vec![1, 2]);
    // A second tab shares the live list, whatever it read.
    index.watch_home(2, vec![], index.follow_seq()).unwrap();
    assert_eq!(recipients(&index, 40, None), vec![1, 2]);
    follow(&mut index, 10, 40, false);
    assert_eq!(recipients(&index, 40, None), Vec::<Key>::new());
    follow(&mut index, 10, 50, true);
    follow(&mut index, 10, 50, true);
    assert_eq!(recipients(&index, 50, None), vec![1, 2], "once each");
    index.disconnect(1);
    index.disconnect(2);
    assert!(index.home_slot.is_empty() && index.followers_online.is_empty());
}

#[test]
fn anonymous_sockets_cannot_watch_home() {
    let mut index = WatchIndex::default();
    index.connect(1, 1, None);
    assert_eq!(
        index.watch_home(1, vec![2], 0),
        Err(WatchError::NotSignedIn)
    );
    assert_eq!(index.timeline(1), Some(Timeline::Everyone));
    assert_eq!(
        index.watch(9, Timeline::Everyone),
        Err(WatchError::UnknownSocket)
    );
}

#[test]
fn a_read_older_than_the_log_is_refused() {
    let mut index = WatchIndex::default();
    index.connect(1, 1, Some(10));
    for i in 0..(FOLLOW_LOG as i64 + 10) {
        follow(&mut index, 99, i, true);
    }
    assert_eq!(index.watch_home(1, vec![], 0), Err(WatchError::Stale));
    let now = index.follow_seq();
    assert_eq!(index.watch_home(1, vec![], now), Ok(()));
}

#[test]
fn per_user_sockets() {
    let mut index = WatchIndex::default();
    index.connect(1, 1, Some(10));
    index.connect(2, 2, Some(10));
    index.connect(3, 3, Some(11));
    index.watch(2, Timeline::User(5)).unwrap();
    let mut seen = Vec::new();
    index.user_sockets(10, |k| seen.push(*k));
    seen.sort_unstable();
    assert_eq!(seen, vec![1, 2]);
    index.disconnect(2);
    assert_eq!(index.sockets.len(), 2);
    assert!(index.by_author.is_empty());
}

#[test]
fn everything_is_forgotten_once_every_socket_is_gone() {
    let mut index = WatchIndex::default();
    for round in 0..3 {
        // Users 10..30, two sockets each for the even ones, on every timeline.
        for key in 0..40u64 {
            let user = 10 + (key % 20) as i64;
            if key >= 20 && user % 2 == 1 {
                continue;
            }
            index.connect(key, key, Some(user));
            let read_at = index.follow_seq();
            let followees = (0..user).map(|f| f * 3).collect();
            match key % 4 {
                0 | 1 => index.watch_home(key, followees, read_at).unwrap(),
                2 => index.watch(key, Timeline::User(5)).unwrap(),
                _ => index.watch(key, Timeline::Replies(7)).unwrap(),
            }
        }
        index.connect(99, 99, None);
        follow(&mut index, 10, 1000, true);
        follow(&mut index, 12, 0, false);
        follow(&mut index, 14, 1 << 40, true);
        assert!(!recipients(&index, 1000, None).is_empty());
        assert!(!recipients(&index, 1 << 40, None).is_empty());
        // Leave in a different order each round, some sockets switching away first.
        let mut keys: Vec<u64> = (0..40).chain([99]).collect();
        keys.rotate_left(round * 7);
        for key in keys {
            if key % 3 == 0 {
                let _ = index.watch(key, Timeline::Everyone);
            }
            index.disconnect(key);
        }
        assert!(index.is_empty(), "round {round}");
    }
}

#[test]
fn slots_are_reused_without_leaking_routes() {
    let mut index = WatchIndex::default();
    index.connect(1, 1, Some(10));
    index.watch_home(1, vec![20, 30], 0).unwrap();
    index.disconnect(1);
    // User 11 gets user 10's old slot, and none of their followees.
    index.connect(2, 2, Some(11));
    index.watch_home(2, vec![40], index.follow_seq()).unwrap();
    assert_eq!(index.homes.len(), 1);
    assert_eq!(recipients(&index, 20, None), Vec::<Key>::new());
    assert_eq!(recipients(&index, 40, None), vec![2]);
}

#[test]
fn ids_beyond_u32_route_like_any_other() {
    let big = i64::from(u32::MAX) + 10;
    let mut index = WatchIndex::default();
    index.connect(1, 1, Some(big));
    index.connect(2, 2, Some(-5));
    index.watch_home(1, vec![big + 1, 3], 0).unwrap();
    index.watch_home(2, vec![big, -6], 0).unwrap();
    assert_eq!(recipients(&index, big + 1, None), vec![1]);
    assert_eq!(recipients(&index, 3, None), vec![1]);
    assert_eq!(recipients(&index, big, None), vec![2]);
    assert_eq!(recipients(&index, -6, None), vec![2]);
    follow(&mut index, big, -6, true);
    assert_eq!(recipients(&index, -6, None), vec![1, 2]);
    index.disconnect(1);
    index.disconnect(2);
    assert!(index.is_empty());
}

fn hide(index: &mut WatchIndex<Key>, viewer: i64, author: i64, hidden: bool) {
    index.hide_changed(HideChange {
        viewer,
        author,
        hidden,
    });
}

fn thread(index: &WatchIndex<Key>, author: i64, parent: i64, parent_author: i64) -> Vec<Key> {
    let mut out = Vec::new();
    index.recipients(
        Routing {
            author,
            reply_to: Some(parent),
            reply_to_author: Some(parent_author),
        },
        &[],
        |k| out.push(*k),
    );
    out.sort_unstable();
    out
}

#[test]
fn a_viewer_who_hides_an_author_gets_nothing_of_theirs_on_any_timeline() {
    let mut index = WatchIndex::default();
    // Viewer 10: socket 1 on everyone, socket 2 on user:20, socket 3 on home (follows 20).
    index.connect(1, 1, Some(10));
    index.connect(2, 2, Some(10));
    index.watch(2, Timeline::User(20)).unwrap();
    index.connect(3, 3, Some(10));
    index.watch_home(3, vec![20, 30], 0).unwrap();
    // Someone else, anonymous, on everyone.
    index.connect(4, 4, None);
    assert_eq!(recipients(&index, 20, None), vec![1, 2, 3, 4]);
    hide(&mut index, 10, 20, true);
    assert!(index.hides(10, 20));
    assert_eq!(recipients(&index, 20, None), vec![4]);
    // A reply by 30 to 20's tweet: not on everyone or home for 10.
    assert_eq!(thread(&index, 30, 5, 20), vec![4]);
    // On a user page the thread still shows: 10 watching user:30 sees it.
    index.watch(2, Timeline::User(30)).unwrap();
    assert_eq!(thread(&index, 30, 5, 20), vec![2, 4]);
    hide(&mut index, 10, 20, false);
    assert_eq!(thread(&index, 30, 5, 20), vec![1, 2, 3, 4]);
    for key in 1..=4 {
        index.disconnect(key);
    }
    assert!(index.is_empty() && index.hides.is_empty() && index.hidden_from.is_empty());
}

#[test]
fn hides_read_before_connecting_replay_what_landed_meanwhile() {
    let mut index = WatchIndex::default();
    // Viewer 10's hides read at seq 0 ([20]); meanwhile they mute 30 and unblock 20.
    let read_at = index.hide_seq();
    hide(&mut index, 10, 30, true);
    hide(&mut index, 10, 20, false);
    index.connect(1, 1, Some(10));
    index.set_hides(10, vec![20], read_at).unwrap();
    assert_eq!(recipients(&index, 20, None), vec![1]);
    assert_eq!(recipients(&index, 30, None), Vec::<Key>::new());
    // A second socket of theirs keeps the live list.
    index.connect(2, 2, Some(10));
    index.set_hides(10, vec![], index.hide_seq()).unwrap();
    assert_eq!(recipients(&index, 30, None), Vec::<Key>::new());
    // Once their last socket leaves, nothing of theirs is kept.
    index.disconnect(1);
    index.disconnect(2);
    assert!(index.hides.is_empty() && index.hidden_from.is_empty());
}

#[test]
fn a_hides_read_older_than_the_log_is_refused() {
    let mut index = WatchIndex::default();
    index.connect(1, 1, Some(10));
    for n in 0..(HIDE_LOG as i64 + 2) {
        hide(&mut index, 99, n + 100, true);
    }
    assert_eq!(index.set_hides(10, vec![20], 0), Err(WatchError::Stale));
}

#[test]
fn slots_left_are_swept_in_batches_and_never_inherited() {
    let mut index = WatchIndex::default();
    // Nine users (keys 1..=9) watch home, each following author 100.
    for user in 1..=9_u64 {
        index.connect(user, user, Some(user as i64));
        index.watch_home(user, vec![100], 0).unwrap();
    }
    index.disconnect(1);
    // Dead but not swept yet (one of nine slots): routing skips it.
    assert_eq!(index.dead_slots.len(), 1);
    assert_eq!(recipients(&index, 100, None), (2..=9).collect::<Vec<Key>>());
    // A newcomer gets a fresh slot, not the dead one, and inherits nothing.
    index.connect(10, 10, Some(10));
    index.watch_home(10, vec![200], 0).unwrap();
    assert_eq!(recipients(&index, 100, None), (2..=9).collect::<Vec<Key>>());
    assert_eq!(recipients(&index, 200, None), vec![10]);
    // A second leave makes the dead an eighth of the slots: one sweep frees both.
    index.disconnect(2);
    assert!(index.dead_slots.is_empty());
    assert_eq!(index.free_slots.len(), 2);
    assert_eq!(index.followers_online[&100].len(), 7);
    assert_eq!(recipients(&index, 100, None), (3..=9).collect::<Vec<Key>>());
    for key in 3..=10 {
        index.disconnect(key);
    }
    assert!(index.is_empty());
}

fn tagged(index: &WatchIndex<Key>, author: i64, tags: &[&str]) -> Vec<Key> {
    let tags: Vec<String> = tags.iter().map(|t| (*t).to_owned()).collect();
    let mut out = Vec::new();
    index.recipients(
        Routing {
            author,
            reply_to: None,
            reply_to_author: None,
        },
        &tags,
        |k| out.push(*k),
    );
    out.sort_unstable();
    out
}

#[test]
fn tag_watchers_hear_tweets_with_their_tag_once_and_never_from_hidden_authors() {
    let mut index = WatchIndex::default();
    let rust = Timeline::Tag("rust".into());
    for (key, user) in [(1, Some(10)), (2, None), (3, Some(11)), (4, Some(12))] {
        index.connect(key, key, user);
    }
    index.watch(1, rust.clone()).unwrap();
    index.watch(2, rust.clone()).unwrap();
    index.watch(3, Timeline::Tag("go".into())).unwrap();
    index.watch(4, rust.clone()).unwrap();
    index.hide_changed(HideChange {
        viewer: 12,
        author: 20,
        hidden: true,
    });
    assert_eq!(tagged(&index, 20, &["rust", "go"]), [1, 2, 3]);
    assert_eq!(tagged(&index, 20, &["tokio"]), Vec::<Key>::new());
    // The author's own sockets are never told.
    assert_eq!(tagged(&index, 10, &["rust"]), [2, 4]);
    // Moving off the tag, and disconnecting, leave its set.
    index.watch(1, Timeline::Everyone).unwrap();
    index.disconnect(2);
    index.disconnect(4);
    assert_eq!(tagged(&index, 20, &["rust"]), [1]);
    assert!(!index.by_tag.contains_key("rust"));
    assert_eq!(index.timeline(3), Some(Timeline::Tag("go".into())));
}

#[test]
fn replies_to_a_suspended_account_leave_only_the_gathering_timelines() {
    let mut index = WatchIndex::default();
    for key in 1..=4 {
        index.connect(key, key, None);
    }
    index.watch(2, Timeline::User(7)).unwrap();
    index.watch(3, Timeline::Replies(100)).unwrap();
    index.watch(4, Timeline::Tag("t".into())).unwrap();
    let reply = |index: &WatchIndex<Key>| {
        let mut out = Vec::new();
        let routing = Routing {
            author: 7,
            reply_to: Some(100),
            reply_to_author: Some(9),
        };
        index.recipients(routing, &["t".to_owned()], |k| out.push(*k));
        out.sort_unstable();
        out
    };
    assert_eq!(reply(&index), [1, 2, 3, 4]);
    index.set_suspended(9, true);
    assert_eq!(
        reply(&index),
        [2, 3],
        "everyone and the tag gather many authors"
    );
    index.replace_suspended(Vec::new());
    assert_eq!(reply(&index), [1, 2, 3, 4]);
}
