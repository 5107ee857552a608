//! Unit tests of the page picker and the window: paging like the database, the floor, trimming, resets.

use super::*;

fn window(tweets: &[(i64, i64)], floor: Option<i64>) -> Window {
    Window {
        tweets: tweets
            .iter()
            .map(|&(id, author)| (id, (author, 0, 0)))
            .collect(),
        floor,
        ..Window::default()
    }
}

/// A viewpoint following `ids` and hiding nobody.
fn follows(ids: &[i64]) -> Viewpoint {
    Viewpoint {
        followees: ids.into(),
        hidden: Arc::new([]),
    }
}

#[test]
fn hidden_authors_and_their_threads_are_not_picked() {
    // 1 by 7 (the viewer), 2 by 1, 3 by 2, 4 by 1 answering 3 (by 2), 5 by 1.
    let mut w = window(&[(1, 7), (2, 1), (3, 2), (5, 1)], Some(WHOLE_TABLE));
    w.tweets.insert(4, (1, 3, 2));
    let everyone = Viewpoint {
        followees: [1, 2].into(),
        hidden: Arc::new([]),
    };
    assert_eq!(
        pick(&w, 7, &everyone, page(10, PageCursor::Newest)),
        Some(vec![5, 4, 3, 2, 1])
    );
    let hiding_2 = Viewpoint {
        followees: [1, 2].into(),
        hidden: [2].into(),
    };
    assert_eq!(
        pick(&w, 7, &hiding_2, page(10, PageCursor::Newest)),
        Some(vec![5, 2, 1]),
        "2's tweet and the reply to it are left out"
    );
}

fn page(limit: i64, cursor: PageCursor) -> Page {
    Page { limit, cursor }
}

// Tweets 1..=10; author = id % 3 (authors 0, 1, 2); viewer 7 follows author 1.
fn ten() -> Vec<(i64, i64)> {
    (1..=10).map(|id| (id, id % 3)).collect()
}

#[test]
fn a_viewer_rare_in_the_window_is_left_to_the_store() {
    // Nobody the viewer (7) reads in 10,000 entries: past MAX_SCAN, memory gives up
    // rather than walk them all, even though it holds the whole table.
    let crowd: Vec<(i64, i64)> = (1..=10_000).map(|id| (id, 1)).collect();
    let w = window(&crowd, Some(WHOLE_TABLE));
    assert_eq!(
        pick(&w, 7, &follows(&[]), page(20, PageCursor::Newest)),
        None
    );
    assert_eq!(
        pick(&w, 7, &follows(&[]), page(20, PageCursor::After(0))),
        None
    );
    // Within the bound it still answers exactly, also "nothing".
    assert_eq!(
        pick(
            &w,
            7,
            &follows(&[]),
            page(20, PageCursor::After(10_000 - 10))
        ),
        Some(vec![])
    );
    assert_eq!(
        pick(&w, 7, &follows(&[1]), page(3, PageCursor::Newest)),
        Some(vec![10_000, 9_999, 9_998])
    );
}

#[test]
fn picks_own_and_followed_newest_first() {
    let w = window(&[(1, 7), (2, 1), (3, 2), (4, 1), (5, 7)], Some(WHOLE_TABLE));
    let ids = pick(&w, 7, &follows(&[1]), page(10, PageCursor::Newest));
    assert_eq!(ids, Some(vec![5, 4, 2, 1]));
    let ids = pick(&w, 7, &follows(&[1]), page(2, PageCursor::Newest));
    assert_eq!(ids, Some(vec![5, 4]));
}

#[test]
fn cursors_page_like_the_database() {
    let w = window(&ten(), Some(WHOLE_TABLE));
    // Author 1 wrote 1, 4, 7, 10.
    assert_eq!(
        pick(&w, 99, &follows(&[1]), page(2, PageCursor::Before(10))),
        Some(vec![7, 4])
    );
    // After: the oldest `limit` newer than the cursor, returned newest first.
    assert_eq!(
        pick(&w, 99, &follows(&[1]), page(2, PageCursor::After(1))),
        Some(vec![7, 4])
    );
    assert_eq!(
        pick(&w, 99, &follows(&[1]), page(5, PageCursor::After(7))),
        Some(vec![10])
    );
    assert_eq!(
        pick(&w, 99, &follows(&[1]), page(5, PageCursor::After(i64::MAX))),
        Some(vec![])
    );
}

#[test]
fn a_partial_window_answers_only_what_it_holds_in_full() {
    // Holds 5..=10 and knows nothing older.
    let w = window(&ten()[4..], Some(5));
    // Enough above the floor: answered.
    assert_eq!(
        pick(&w, 99, &follows(&[1]), page(2, PageCursor::Newest)),
        Some(vec![10, 7])
    );
    // Not enough above the floor: the database must answer.
    assert_eq!(
        pick(&w, 99, &follows(&[1]), page(3, PageCursor::Newest)),
        None
    );
    assert_eq!(
        pick(&w, 99, &follows(&[1]), page(1, PageCursor::Before(5))),
        None
    );
    // After a cursor at floor − 1 or above: everything newer is here.
    assert_eq!(
        pick(&w, 99, &follows(&[1]), page(5, PageCursor::After(4))),
        Some(vec![10, 7])
    );
    assert_eq!(
        pick(&w, 99, &follows(&[1]), page(5, PageCursor::After(3))),
        None
    );
    // Not loaded at all: nothing is answered.
    assert_eq!(
        pick(
            &window(&ten(), None),
            99,
            &follows(&[1]),
            page(1, PageCursor::Newest)
        ),
        None
    );
}

#[test]
fn trimming_raises_the_floor() {
    let pages = HomePages::new(4);
    lock(&pages.window).floor = Some(WHOLE_TABLE);
    for (id, author) in ten() {
        pages.tweeted(id, author, None, None);
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
        pages.tweeted(id, author, None, None);
    }
    let w = lock(&pages.window);
    assert_eq!(w.tweets.len(), 3);
    assert_eq!(w.floor, None);
}

#[test]
fn reset_forgets_everything_and_voids_loads_in_flight() {
    let pages = HomePages::new(10);
    lock(&pages.window).floor = Some(WHOLE_TABLE);
    pages.tweeted(1, 1, None, None);
    let epoch = lock(&pages.window).epoch;
    pages.reset();
    let w = lock(&pages.window);
    assert!(w.tweets.is_empty());
    assert_eq!(w.floor, None);
    assert_ne!(w.epoch, epoch);
}
