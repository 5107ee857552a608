//! The storage conformance suite: every `Store` method, called directly (no HTTP), on SQLite
//! and on PostgreSQL, each test on a fresh database.
//!
//! A new query gets its test here once and runs on both back ends: write
//! `async fn the_behaviour(store: &dyn Store)` and add its name to `both_backends!` below.

use chirp::domain::{
    DisplayName, Draft, NewNotification, NotificationKind, Page, PageCursor, ProfileUpdate, Tweet,
    TweetText, User, Username, now_micros,
};
use chirp::storage::{Constraint, Store, StoreError};

/// One `#[tokio::test]` per back end for each named `async fn name(store: &dyn Store)`.
macro_rules! both_backends {
    ($($test:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $test() {
                    let test = $crate::helpers::TestStore::open($crate::helpers::Backend::Sqlite).await;
                    super::$test(&*test.store).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $test() {
                    let test = $crate::helpers::TestStore::open($crate::helpers::Backend::Postgres).await;
                    super::$test(&*test.store).await;
                }
            )*
        }
    };
}

both_backends!(
    usernames_are_unique_whatever_their_case,
    credentials_return_the_hash_stored,
    sessions_are_created_looked_up_and_deleted,
    a_batch_of_tweets_is_stored_in_order_with_growing_ids,
    pages_walk_newest_before_and_after,
    author_pages_hold_only_that_authors_tweets,
    only_the_author_deletes_and_deletions_are_listed,
    likes_are_idempotent_and_seen_per_viewer,
    following_ids_are_sorted_and_follow_changes,
    recent_authors_and_tweets_by_ids_read_what_home_pages_need,
    ping_answers,
    a_conflict_names_its_constraint,
    home_pages_with_few_authors_match_the_model,
    home_pages_with_many_authors_match_the_model,
    notify_makes_each_notification_once_for_many_recipients,
    a_secret_is_made_once_and_read_back,
    search_reads_pending_words_then_the_index,
);

use crate::search_store::search_reads_pending_words_then_the_index;

fn name(raw: &str) -> Username {
    Username::parse(raw).unwrap()
}

async fn user(store: &dyn Store, raw: &str) -> User {
    store.create_user(&name(raw), "hash").await.unwrap()
}

fn draft(author: &User, text: &str) -> Draft {
    Draft::new(author.clone(), TweetText::parse(text).unwrap(), None)
}

fn page(limit: i64, cursor: PageCursor) -> Page {
    Page { limit, cursor }
}

fn ids(tweets: &[Tweet]) -> Vec<i64> {
    tweets.iter().map(|t| t.id).collect()
}

/// Post `count` tweets one batch at a time, cycling through `authors`; returns them oldest
/// first.
async fn post(store: &dyn Store, authors: &[&User], count: usize) -> Vec<Tweet> {
    let mut tweets = Vec::new();
    for i in 0..count {
        let author = authors[i % authors.len()];
        let batch = store
            .create_tweets(&[draft(author, &format!("tweet {i}"))])
            .await
            .unwrap();
        tweets.extend(batch);
    }
    tweets
}

async fn usernames_are_unique_whatever_their_case(store: &dyn Store) {
    let ada = user(store, "Ada").await;
    assert_eq!(ada.username, "Ada", "kept as spelled");
    assert!(ada.id > 0);
    assert!(matches!(
        store.create_user(&name("aDA"), "other").await,
        Err(StoreError::Conflict(Constraint::Username))
    ));
    let grace = user(store, "grace").await;
    assert_ne!(grace.id, ada.id);
    assert_eq!(store.user_by_name(&name("ADA")).await.unwrap(), Some(ada));
    assert_eq!(store.user_by_name(&name("nobody")).await.unwrap(), None);
}

async fn credentials_return_the_hash_stored(store: &dyn Store) {
    let ada = store
        .create_user(&name("ada"), "$argon2id$v=19$stored")
        .await
        .unwrap();
    assert_eq!(
        store.credentials(&name("Ada")).await.unwrap(),
        Some((ada, "$argon2id$v=19$stored".to_owned()))
    );
    assert_eq!(store.credentials(&name("nobody")).await.unwrap(), None);
}

async fn sessions_are_created_looked_up_and_deleted(store: &dyn Store) {
    let ada = user(store, "ada").await;
    let grace = user(store, "grace").await;
    store.create_session("hash-a", ada.id).await.unwrap();
    store.create_session("hash-g", grace.id).await.unwrap();
    assert_eq!(store.session_user("hash-a").await.unwrap(), Some(ada));
    assert_eq!(store.session_user("unknown").await.unwrap(), None);
    store.delete_session("hash-a").await.unwrap();
    assert_eq!(store.session_user("hash-a").await.unwrap(), None);
    // Deleting twice, or a session that never was, is not an error.
    store.delete_session("hash-a").await.unwrap();
    store.delete_session("never").await.unwrap();
    assert_eq!(
        store.session_user("hash-g").await.unwrap(),
        Some(grace),
        "other sessions stay"
    );
}

async fn a_batch_of_tweets_is_stored_in_order_with_growing_ids(store: &dyn Store) {
    let ada = user(store, "ada").await;
    let grace = user(store, "grace").await;
    let named = ProfileUpdate {
        display_name: Some(DisplayName::parse("Grace H").unwrap()),
        bio: None,
    };
    store.update_profile(grace.id, &named).await.unwrap();
    assert!(store.create_tweets(&[]).await.unwrap().is_empty());

    let first = store
        .create_tweets(&[
            draft(&ada, "one"),
            draft(&grace, "two"),
            draft(&ada, "three"),
        ])
        .await
        .unwrap();
    let texts: Vec<&str> = first.iter().map(|t| t.text.as_str()).collect();
    assert_eq!(texts, ["one", "two", "three"], "in the drafts' order");
    assert!(
        first.windows(2).all(|w| w[0].id < w[1].id),
        "ids grow within a batch: {:?}",
        ids(&first)
    );
    assert_eq!(first[1].author.id, grace.id);
    assert_eq!(first[1].author.username, "grace");
    assert_eq!(first[1].author.display_name, "Grace H");
    assert!(first.iter().all(|t| t.like_count == 0 && !t.liked_by_me));

    let second = store.create_tweets(&[draft(&grace, "four")]).await.unwrap();
    assert!(second[0].id > first[2].id, "ids grow across batches");

    // What was returned is what is stored.
    for tweet in first.iter().chain(&second) {
        assert_eq!(
            store.tweet(tweet.id, None).await.unwrap().as_ref(),
            Some(tweet)
        );
    }
    assert_eq!(store.tweet(second[0].id + 1, None).await.unwrap(), None);
    // Each author's count moved with their tweets.
    for (who, count) in [("ada", 2), ("grace", 2)] {
        let profile = store.profile(&name(who), None).await.unwrap().unwrap();
        assert_eq!(profile.tweet_count, count, "{who}");
    }
}

async fn pages_walk_newest_before_and_after(store: &dyn Store) {
    let ada = user(store, "ada").await;
    let grace = user(store, "grace").await;
    let all = ids(&post(store, &[&ada, &grace], 7).await); // oldest first
    let newest_first = |slice: &[i64]| slice.iter().rev().copied().collect::<Vec<_>>();

    let newest = store
        .tweets(None, page(3, PageCursor::Newest), None)
        .await
        .unwrap();
    assert_eq!(ids(&newest), newest_first(&all[4..]));

    let older = store
        .tweets(None, page(3, PageCursor::Before(all[4])), None)
        .await
        .unwrap();
    assert_eq!(ids(&older), newest_first(&all[1..4]), "strictly older");
    let oldest = store
        .tweets(None, page(3, PageCursor::Before(all[1])), None)
        .await
        .unwrap();
    assert_eq!(ids(&oldest), vec![all[0]], "a short last page");

    // After: the `limit` oldest newer than the cursor, still newest first.
    let newer = store
        .tweets(None, page(2, PageCursor::After(all[2])), None)
        .await
        .unwrap();
    assert_eq!(ids(&newer), vec![all[4], all[3]]);
    let caught_up = store
        .tweets(None, page(10, PageCursor::After(all[6])), None)
        .await
        .unwrap();
    assert!(caught_up.is_empty());
    let everything = store
        .tweets(None, page(100, PageCursor::After(0)), None)
        .await
        .unwrap();
    assert_eq!(ids(&everything), newest_first(&all));
}

async fn author_pages_hold_only_that_authors_tweets(store: &dyn Store) {
    let ada = user(store, "ada").await;
    let grace = user(store, "grace").await;
    let tweets = post(store, &[&ada, &grace], 8).await;
    // Ada wrote the even ones, oldest first.
    let adas: Vec<i64> = tweets
        .iter()
        .filter(|t| t.author.id == ada.id)
        .map(|t| t.id)
        .collect();
    assert_eq!(adas.len(), 4);
    let of_ada = |cursor, limit| store.tweets(Some(ada.id), page(limit, cursor), None);

    let newest = of_ada(PageCursor::Newest, 2).await.unwrap();
    assert_eq!(ids(&newest), vec![adas[3], adas[2]]);
    assert!(newest.iter().all(|t| t.author.username == "ada"));
    let before = of_ada(PageCursor::Before(adas[2]), 10).await.unwrap();
    assert_eq!(ids(&before), vec![adas[1], adas[0]]);
    let after = of_ada(PageCursor::After(adas[0]), 2).await.unwrap();
    assert_eq!(ids(&after), vec![adas[2], adas[1]]);

    let nobody = user(store, "nobody").await;
    assert!(
        store
            .tweets(Some(nobody.id), page(10, PageCursor::Newest), None)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn only_the_author_deletes_and_deletions_are_listed(store: &dyn Store) {
    let ada = user(store, "ada").await;
    let grace = user(store, "grace").await;
    let tweets = post(store, &[&ada, &grace], 3).await;
    let since = now_micros();

    assert!(matches!(
        store.delete_tweet(tweets[0].id, grace.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(
        store.tweet(tweets[0].id, None).await.unwrap().is_some(),
        "someone else's delete changes nothing"
    );
    assert!(matches!(
        store.delete_tweet(tweets[2].id + 100, ada.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(store.deleted_since(since).await.unwrap().is_empty());

    store.delete_tweet(tweets[2].id, ada.id).await.unwrap();
    store.delete_tweet(tweets[0].id, ada.id).await.unwrap();
    assert_eq!(store.tweet(tweets[0].id, None).await.unwrap(), None);
    assert!(matches!(
        store.delete_tweet(tweets[0].id, ada.id).await,
        Err(StoreError::NotFound)
    ));
    let left = store
        .tweets(None, page(10, PageCursor::Newest), None)
        .await
        .unwrap();
    assert_eq!(ids(&left), vec![tweets[1].id]);

    assert_eq!(
        store.deleted_since(since).await.unwrap(),
        vec![tweets[0].id, tweets[2].id],
        "by id"
    );
    assert!(
        store
            .deleted_since(now_micros() + 1_000_000)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn likes_are_idempotent_and_seen_per_viewer(store: &dyn Store) {
    let ada = user(store, "ada").await;
    let grace = user(store, "grace").await;
    let tweet = post(store, &[&ada], 1).await.remove(0);
    let seen_by = |viewer: Option<i64>| store.tweet(tweet.id, viewer);

    store.set_like(tweet.id, grace.id, true).await.unwrap();
    store.set_like(tweet.id, grace.id, true).await.unwrap();
    let by_grace = seen_by(Some(grace.id)).await.unwrap().unwrap();
    assert_eq!((by_grace.like_count, by_grace.liked_by_me), (1, true));
    let by_ada = seen_by(Some(ada.id)).await.unwrap().unwrap();
    assert_eq!((by_ada.like_count, by_ada.liked_by_me), (1, false));
    let anonymous = seen_by(None).await.unwrap().unwrap();
    assert_eq!((anonymous.like_count, anonymous.liked_by_me), (1, false));

    store.set_like(tweet.id, ada.id, true).await.unwrap();
    let listed = store
        .tweets(None, page(10, PageCursor::Newest), Some(ada.id))
        .await
        .unwrap();
    assert_eq!((listed[0].like_count, listed[0].liked_by_me), (2, true));

    store.set_like(tweet.id, grace.id, false).await.unwrap();
    store.set_like(tweet.id, grace.id, false).await.unwrap();
    let by_grace = seen_by(Some(grace.id)).await.unwrap().unwrap();
    assert_eq!((by_grace.like_count, by_grace.liked_by_me), (1, false));

    assert!(matches!(
        store.set_like(tweet.id + 100, grace.id, true).await,
        Err(StoreError::NotFound)
    ));
}

async fn ping_answers(store: &dyn Store) {
    store.ping().await.unwrap();
}

async fn following_ids_are_sorted_and_follow_changes(store: &dyn Store) {
    let fan = user(store, "fan").await;
    assert_eq!(
        store.following_ids(fan.id).await.unwrap(),
        Vec::<i64>::new()
    );
    let mut idols = Vec::new();
    for i in 0..12 {
        idols.push(user(store, &format!("idol{i}")).await.id);
    }
    // Followed out of order; listed ascending, each once.
    for &idol in idols.iter().rev() {
        assert!(store.set_follow(fan.id, idol, true).await.unwrap());
    }
    assert!(!store.set_follow(fan.id, idols[3], true).await.unwrap());
    assert_eq!(store.following_ids(fan.id).await.unwrap(), idols);
    store.set_follow(fan.id, idols[0], false).await.unwrap();
    assert_eq!(store.following_ids(fan.id).await.unwrap(), idols[1..]);
}

async fn recent_authors_and_tweets_by_ids_read_what_home_pages_need(store: &dyn Store) {
    let ann = user(store, "ann").await;
    let bob = user(store, "bob").await;
    let mut tweets = post(store, &[&ann, &bob], 5).await;
    let reply = Draft::new(
        bob.clone(),
        TweetText::parse("a reply").unwrap(),
        Some(tweets[4].id),
    );
    tweets.extend(store.create_tweets(&[reply]).await.unwrap());
    let recent = store.recent_authors(3).await.unwrap();
    let want: Vec<(i64, i64, Option<i64>, Option<i64>)> = tweets
        .iter()
        .rev()
        .take(3)
        .map(|t| {
            let parent = t.reply_to.as_ref();
            (
                t.id,
                t.author.id,
                parent.map(|p| p.id),
                parent.map(|p| p.author.id),
            )
        })
        .collect();
    assert_eq!(want[0].2, Some(tweets[4].id));
    assert_eq!(
        recent, want,
        "the newest first, with their authors and parents"
    );
    assert_eq!(store.recent_authors(100).await.unwrap().len(), 6);
    store.set_like(tweets[1].id, bob.id, true).await.unwrap();
    store
        .delete_tweet(tweets[2].id, tweets[2].author.id)
        .await
        .unwrap();
    let ids = [tweets[1].id, tweets[2].id, tweets[3].id];
    let found = store.tweets_by_ids(&ids, bob.id).await.unwrap();
    assert_eq!(found.len(), 2, "the deleted one is not found");
    assert!(found[&tweets[1].id].liked_by_me);
    assert_eq!(found[&tweets[1].id].like_count, 1);
    assert!(!found[&tweets[3].id].liked_by_me);
}

async fn a_conflict_names_its_constraint(store: &dyn Store) {
    let ada = user(store, "ada").await;
    store.create_session("same-hash", ada.id).await.unwrap();
    assert!(matches!(
        store.create_session("same-hash", ada.id).await,
        Err(StoreError::Conflict(Constraint::SessionToken))
    ));
}

/// `viewer`'s home timeline by the model (their own tweets and their followees', newest
/// first) against the store, walked with `before` from the newest page down and with `after`
/// from the start up, a page of `limit` at a time.
async fn home_matches_the_model(store: &dyn Store, viewer: &User, authors: &[i64], all: &[Tweet]) {
    let mut want: Vec<i64> = all
        .iter()
        .filter(|t| t.author.id == viewer.id || authors.contains(&t.author.id))
        .map(|t| t.id)
        .collect();
    want.sort_unstable_by(|a, b| b.cmp(a));
    let limit = 7;
    let mut got = Vec::new();
    let mut cursor = PageCursor::Newest;
    loop {
        let page = ids(&store.home(viewer.id, page(limit, cursor)).await.unwrap());
        assert!(
            page.windows(2).all(|w| w[0] > w[1]),
            "newest first: {page:?}"
        );
        let Some(&last) = page.last() else { break };
        got.extend(page);
        cursor = PageCursor::Before(last);
    }
    assert_eq!(got, want, "walking before");
    let mut got = Vec::new();
    let mut cursor = PageCursor::After(0);
    loop {
        let page = ids(&store.home(viewer.id, page(limit, cursor)).await.unwrap());
        assert!(
            page.windows(2).all(|w| w[0] > w[1]),
            "newest first: {page:?}"
        );
        let Some(&first) = page.first() else { break };
        got.splice(0..0, page);
        cursor = PageCursor::After(first);
    }
    assert_eq!(got, want, "walking after");
}

/// A viewer who follows nobody (whose home used to scan every tweet), one who follows a
/// few, and one whose followees rarely post: read author by author.
async fn home_pages_with_few_authors_match_the_model(store: &dyn Store) {
    let loner = user(store, "loner").await;
    let fan = user(store, "fan").await;
    let idols = [user(store, "idol1").await, user(store, "idol2").await];
    let crowd = [user(store, "crowd1").await, user(store, "crowd2").await];
    for idol in &idols {
        assert!(store.set_follow(fan.id, idol.id, true).await.unwrap());
    }
    let mut all = post(store, &[&crowd[0], &crowd[1]], 30).await;
    all.extend(
        post(
            store,
            &[&idols[0], &crowd[0], &fan, &crowd[1], &idols[1]],
            40,
        )
        .await,
    );
    all.extend(post(store, &[&crowd[1]], 20).await);
    assert_eq!(
        store
            .home(loner.id, page(20, PageCursor::Newest))
            .await
            .unwrap(),
        Vec::<Tweet>::new(),
        "following nobody and silent: nothing"
    );
    home_matches_the_model(store, &loner, &[], &all).await;
    let idol_ids: Vec<i64> = idols.iter().map(|u| u.id).collect();
    home_matches_the_model(store, &fan, &idol_ids, &all).await;
    all.extend(post(store, &[&loner], 3).await);
    home_matches_the_model(store, &loner, &[], &all).await;
}

/// More authors than are read one by one: the walk by id answers the same pages.
async fn home_pages_with_many_authors_match_the_model(store: &dyn Store) {
    let fan = user(store, "fan").await;
    let mut followed = Vec::new();
    for i in 0..300 {
        let idol = user(store, &format!("idol{i}")).await;
        store.set_follow(fan.id, idol.id, true).await.unwrap();
        followed.push(idol);
    }
    let stranger = user(store, "stranger").await;
    let authors: Vec<&User> = [&stranger, &followed[0], &fan, &followed[299], &stranger]
        .into_iter()
        .collect();
    let all = post(store, &authors, 40).await;
    let ids: Vec<i64> = followed.iter().map(|u| u.id).collect();
    home_matches_the_model(store, &fan, &ids, &all).await;
}

/// Sixty recipients of one tweet's mentions, some asked twice in the call, one already told
/// before, one also told of a reply and liking the tweet: each made once, in id order, each
/// with its recipient's unread count just after it, the tweet as its recipient sees it.
async fn notify_makes_each_notification_once_for_many_recipients(store: &dyn Store) {
    let actor = user(store, "actor").await;
    let mut recipients = Vec::new();
    for i in 0..60 {
        recipients.push(user(store, &format!("reader{i}")).await);
    }
    let tweet = post(store, &[&actor], 1).await.remove(0);
    let (first, second) = (recipients[0].id, recipients[1].id);
    store.set_like(tweet.id, first, true).await.unwrap();
    let told = |recipient: i64, kind: NotificationKind| NewNotification {
        recipient,
        kind,
        actor: actor.id,
        tweet: Some(tweet.id),
        report: None,
    };
    let before = store
        .notify(&[told(second, NotificationKind::Mention)])
        .await
        .unwrap();
    assert_eq!(before.len(), 1);
    assert_eq!(before[0].1, 1, "the new one counts");

    let mut batch: Vec<NewNotification> = recipients
        .iter()
        .map(|r| told(r.id, NotificationKind::Mention))
        .collect();
    batch.extend(
        recipients[..10]
            .iter()
            .map(|r| told(r.id, NotificationKind::Mention)),
    );
    batch.push(told(first, NotificationKind::Reply));
    batch.push(NewNotification {
        recipient: first,
        kind: NotificationKind::Follow,
        actor: actor.id,
        tweet: None,
        report: None,
    });
    let made = store.notify(&batch).await.unwrap();
    assert_eq!(
        made.len(),
        59 + 2,
        "each once; the one made before is not made again"
    );
    assert!(
        made.windows(2).all(|w| w[0].0.id < w[1].0.id),
        "in id order"
    );
    let mut seen = std::collections::HashSet::new();
    for (n, unread) in &made {
        assert!(
            seen.insert((n.recipient, n.kind.as_str())),
            "made twice: {n:?}"
        );
        assert_eq!(n.actor.id, actor.id);
        assert!(!n.read);
        if n.recipient == second {
            panic!("told twice of the same mention: {n:?}");
        }
        if n.kind == NotificationKind::Follow {
            assert_eq!(n.tweet, None);
        } else {
            let seen_tweet = n.tweet.as_ref().expect("the tweet is there");
            assert_eq!(seen_tweet.id, tweet.id);
            assert_eq!(seen_tweet.like_count, 1);
            assert_eq!(seen_tweet.liked_by_me, n.recipient == first, "{n:?}");
        }
        if n.recipient != first {
            assert_eq!(*unread, 1, "{n:?}");
        }
    }
    let firsts: Vec<i64> = made
        .iter()
        .filter(|(n, _)| n.recipient == first)
        .map(|(_, unread)| *unread)
        .collect();
    assert_eq!(firsts, [1, 2, 3], "each counts the ones made before it");
    assert_eq!(store.unread_count(first).await.unwrap(), 3);
    assert_eq!(store.unread_count(second).await.unwrap(), 1);
    assert_eq!(store.notify(&batch).await.unwrap(), Vec::new(), "once ever");
    assert_eq!(store.notify(&[]).await.unwrap(), Vec::new());
    let listed = store.notifications(first, i64::MAX, 10).await.unwrap();
    assert_eq!(listed.len(), 3);
    assert!(
        listed
            .iter()
            .any(|n| n.tweet.as_ref().is_some_and(|t| t.liked_by_me))
    );
}

/// A secret is made on first use and the same bytes come back after (every node, every
/// restart); another name is another secret.
async fn a_secret_is_made_once_and_read_back(store: &dyn Store) {
    let first = store.secret("cursor_key").await.unwrap();
    assert_eq!(store.secret("cursor_key").await.unwrap(), first);
    assert_ne!(store.secret("other").await.unwrap(), first);
}
