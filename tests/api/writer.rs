//! The batching tweet writer keeps failures with their poster: a draft the database refuses
//! fails alone, on both back ends, and the drafts queued beside it are stored and answered.
//! Also the API side of it: tweet text that a database could refuse never gets that far.

use std::sync::Arc;

use chirp::changes::{Changes, ChangesConfig};
use chirp::domain::{Draft, TweetText, User, Username};
use chirp::feed::{Caches, Feed, FeedConfig};
use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{Backend, TestApp, TestStore};

crate::on_every_backend!(control_characters_are_refused_and_never_fail_other_posters);

/// Four posters send `x\0y` (refused by PostgreSQL's `text`) while an innocent one posts:
/// the bad posts are 400 `invalid_text` on both back ends and every innocent post is 201.
async fn control_characters_are_refused_and_never_fail_other_posters(app: &TestApp) {
    let (_, mallory) = app.user("mallory").await;
    let (_, innocent) = app.user("innocent").await;
    let bad = (0..40).map(|_| async {
        app.post("/api/tweets", json!({"text": "x\u{0}y"}), Some(&mallory))
            .await
    });
    let innocent_token = innocent.as_str();
    let good = (0..40).map(|i| async move {
        app.post(
            "/api/tweets",
            json!({"text": format!("fine {i}")}),
            Some(innocent_token),
        )
        .await
    });
    let (bad, good) = tokio::join!(
        futures_util::future::join_all(bad),
        futures_util::future::join_all(good)
    );
    for answer in &bad {
        answer.assert_error(400, "invalid_text");
        assert_eq!(answer.body["error"]["field"], "text");
    }
    for answer in &good {
        assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    }
    for text in ["a\u{7}b", "a\u{1b}[2Jb", "a\rb", "a\u{7f}b"] {
        app.post("/api/tweets", json!({"text": text}), Some(&mallory))
            .await
            .assert_error(400, "invalid_text");
    }
    let tweet = app.tweet(&innocent, "line one\n\tline two").await;
    assert_eq!(tweet["text"], "line one\n\tline two");
    assert_eq!(app.ids("/api/tweets?limit=100").await.len(), 41);
}

/// Queue drafts of a real author around one whose author does not exist (a foreign-key
/// failure on both back ends) so that they share a batch: only that one fails.
async fn a_refused_draft_fails_alone(backend: Backend) {
    let test = TestStore::open(backend).await;
    let store = test.store.clone();
    let caches = Arc::new(Caches::new(0));
    let changes = Changes::start(
        ChangesConfig {
            store: store.clone(),
            redis_url: None,
            newest_tweet_id: 0,
        },
        vec![caches.clone()],
    )
    .unwrap();
    let feed = Feed::start(store.clone(), changes, caches, FeedConfig::default());
    let author = store
        .create_user(&Username::parse("writer").unwrap(), "not-a-hash")
        .await
        .unwrap();
    let ghost = User {
        id: author.id + 1000,
        username: "ghost".into(),
        created_at: author.created_at,
        role: author.role,
    };
    let draft = |who: &User, i: usize| {
        Draft::new(
            who.clone(),
            TweetText::parse(&format!("draft {i}")).unwrap(),
            None,
        )
    };
    // On this single-threaded runtime `join_all` queues every draft before the writer task
    // runs, so they all reach it in one batch.
    let posts = (0..9).map(|i| {
        let who = if i == 4 { &ghost } else { &author };
        let d = draft(who, i);
        let feed = feed.clone();
        async move { feed.post(d).await }
    });
    let answers = futures_util::future::join_all(posts).await;
    let mut ids = Vec::new();
    for (i, answer) in answers.iter().enumerate() {
        if i == 4 {
            assert!(answer.is_err(), "the ghost's draft was stored: {answer:?}");
        } else {
            let tweet = answer.as_ref().expect("an innocent draft failed");
            assert_eq!(tweet.text, format!("draft {i}"));
            ids.push(tweet.id);
        }
    }
    assert!(
        ids.windows(2).all(|w| w[0] < w[1]),
        "ids follow the queue: {ids:?}"
    );
    let stored = feed.newest_json(20).await.unwrap();
    let stored: serde_json::Value = serde_json::from_slice(&stored).unwrap();
    assert_eq!(stored["tweets"].as_array().unwrap().len(), 8);
}

#[tokio::test(flavor = "current_thread")]
async fn a_refused_draft_fails_alone_sqlite() {
    a_refused_draft_fails_alone(Backend::Sqlite).await;
}

#[tokio::test(flavor = "current_thread")]
async fn a_refused_draft_fails_alone_postgres() {
    a_refused_draft_fails_alone(Backend::Postgres).await;
}
