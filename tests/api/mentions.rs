//! Mention notifications are made off the write path and within limits: a tweet notifies at
//! most `--max-mention-notifications` of the people it names, an account's mentions count
//! toward `--mention-rate-limit` (past it tweets still post, notifying nobody of mentions),
//! and a post never waits for another tweet's notifications.

use std::time::Duration;

use chirp::config::Switch;
use reqwest::StatusCode;
use serde_json::{Value, json};
use sqlx::{Connection, PgConnection};

use crate::helpers::{Backend, TestApp, spawn_app, spawn_app_with};

crate::on_every_backend!(
    a_tweet_notifies_only_the_first_people_it_names,
    mention_notifications_count_toward_a_per_account_limit,
);

/// Mentions `token`'s owner was notified of, as (actor, tweet id).
async fn mentions_of(app: &TestApp, token: &str) -> Vec<(String, i64)> {
    let answer = app.get("/api/notifications", Some(token)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    answer.body["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "mention")
        .map(|n| {
            (
                n["actor"]["username"].as_str().unwrap().to_owned(),
                n["tweet"]["id"].as_i64().unwrap(),
            )
        })
        .collect()
}

async fn post(app: &TestApp, token: &str, body: Value) -> Value {
    let answer = app.post("/api/tweets", body, Some(token)).await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    answer.body
}

fn mentioned(tweet: &Value) -> Vec<&str> {
    tweet["mentions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["username"].as_str().unwrap())
        .collect()
}

async fn a_tweet_notifies_only_the_first_people_it_names(app: &TestApp) {
    let capped = spawn_app_with(app.backend, |c| c.limits.max_mention_notifications = 3).await;
    let app = &capped;
    let (_, ann) = app.user("ann").await;
    let mut named = Vec::new();
    for name in ["bo1", "bo2", "bo3", "bo4", "bo5"] {
        named.push(app.user(name).await.1);
    }
    let tweet = post(
        app,
        &ann,
        json!({"text": "@ann @bo1 @bo2 @bo3 @bo4 @bo5 hello"}),
    )
    .await;
    let id = tweet["id"].as_i64().unwrap();
    assert_eq!(
        mentioned(&tweet),
        ["ann", "bo1", "bo2", "bo3", "bo4", "bo5"],
        "the tweet lists every mention"
    );
    // The author is never notified and takes no place: bo1..bo3 are the first three.
    for (i, token) in named.iter().enumerate() {
        let want: Vec<(String, i64)> = if i < 3 {
            vec![("ann".into(), id)]
        } else {
            vec![]
        };
        assert_eq!(mentions_of(app, token).await, want, "bo{}", i + 1);
    }
    // A reply's parent author is told as `reply` and takes no mention place either.
    let parent = post(app, &named[4], json!({"text": "bo5 speaks"})).await;
    let reply = json!({"text": "@bo5 @bo4 @bo3 @bo2 @bo1 sure", "reply_to": parent["id"]});
    let reply = post(app, &ann, reply).await;
    let reply_id = reply["id"].as_i64().unwrap();
    assert_eq!(
        mentions_of(app, &named[3]).await,
        [("ann".into(), reply_id)]
    );
    assert_eq!(mentions_of(app, &named[0]).await, [("ann".into(), id)]);
    assert_eq!(mentions_of(app, &named[4]).await, []);
}

async fn mention_notifications_count_toward_a_per_account_limit(app: &TestApp) {
    let limited = spawn_app_with(app.backend, |c| {
        c.limits.rate_limits = Switch::On;
        c.limits.mention_rate_limit = 4;
    })
    .await;
    let app = &limited;
    let (_, ann) = app.user("ann").await;
    let mut named = Vec::new();
    for name in ["bo1", "bo2", "bo3", "bo4", "bo5"] {
        named.push(app.user(name).await.1);
    }
    let first = post(app, &ann, json!({"text": "@bo1 @bo2 @bo3 one"})).await;
    let second = post(app, &ann, json!({"text": "@bo4 @bo5 two"})).await;
    // Over the limit: still posted, mentions listed, nobody notified.
    let third = post(app, &ann, json!({"text": "@bo1 @bo5 three"})).await;
    assert_eq!(mentioned(&third), ["bo1", "bo5"]);
    let id = |t: &Value| t["id"].as_i64().unwrap();
    let ann_of = |t: &Value| vec![("ann".to_owned(), id(t))];
    assert_eq!(mentions_of(app, &named[0]).await, ann_of(&first));
    assert_eq!(mentions_of(app, &named[3]).await, ann_of(&second));
    assert_eq!(mentions_of(app, &named[4]).await, []);
    // Another account has its own allowance, and replies are not mentions.
    let from_b1 = post(app, &named[0], json!({"text": "@bo5 from bo1"})).await;
    assert_eq!(
        mentions_of(app, &named[4]).await,
        [("bo1".to_owned(), id(&from_b1))]
    );
    post(app, &ann, json!({"text": "re", "reply_to": id(&from_b1)})).await;
    let bo1 = app.get("/api/notifications", Some(&named[0])).await;
    assert_eq!(bo1.body["notifications"][0]["kind"], "reply");

    // `--rate-limits off` lifts it.
    let unlimited = spawn_app_with(app.backend, |c| c.limits.mention_rate_limit = 1).await;
    let (_, cy) = unlimited.user("cyd").await;
    let (_, dee) = unlimited.user("dee").await;
    let one = post(&unlimited, &cy, json!({"text": "@dee one"})).await;
    let two = post(&unlimited, &cy, json!({"text": "@dee two"})).await;
    assert_eq!(
        mentions_of(&unlimited, &dee).await,
        [("cyd".to_owned(), id(&two)), ("cyd".to_owned(), id(&one))]
    );
}

/// Whether some connection waits for a lock on the `notifications` table.
async fn notifications_lock_awaited(conn: &mut PgConnection) -> bool {
    let waiting: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation \
         WHERE c.relname = 'notifications' AND NOT l.granted",
    )
    .fetch_one(conn)
    .await
    .unwrap();
    waiting > 0
}

/// The writer never waits for notifications: while the `notifications` table is locked (so
/// the notifier is provably stuck on a tweet's mention), another account's plain post is
/// still stored and answered. The mentioning poster's own answer waits for its notification,
/// so it is listed by the time the 201 arrives. (PostgreSQL only: SQLite cannot lock one
/// table, only the whole database, which the writer needs too.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_is_not_held_up_by_another_tweets_notifications_postgres() {
    let app = spawn_app(Backend::Postgres).await;
    let (_, ann) = app.user("ann").await;
    let (_, bob) = app.user("bob").await;
    let (_, cat) = app.user("cat").await;
    let mut lock = PgConnection::connect(app.database_url()).await.unwrap();
    sqlx::query("BEGIN").execute(&mut lock).await.unwrap();
    sqlx::query("LOCK TABLE notifications IN ACCESS EXCLUSIVE MODE")
        .execute(&mut lock)
        .await
        .unwrap();
    let mention = tokio::spawn(
        app.request(reqwest::Method::POST, "/api/tweets")
            .bearer_auth(&ann)
            .json(&json!({"text": "@bob look"}))
            .send(),
    );
    while !notifications_lock_awaited(&mut lock).await {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // A guard against hanging forever, not a measurement: before the notifier existed the
    // writer itself waited for the lock, and this post was never answered.
    let plain = tokio::time::timeout(
        Duration::from_secs(60),
        app.post("/api/tweets", json!({"text": "plain"}), Some(&cat)),
    )
    .await
    .expect("a plain post waited for another tweet's notifications");
    assert_eq!(plain.status, StatusCode::CREATED, "{}", plain.text);
    assert!(notifications_lock_awaited(&mut lock).await, "still stuck");
    assert!(
        !mention.is_finished(),
        "the mentioning poster waits for its own notification"
    );
    assert_eq!(app.ids("/api/tweets").await.len(), 2, "both are stored");
    sqlx::query("ROLLBACK").execute(&mut lock).await.unwrap();
    assert_eq!(
        mention.await.unwrap().unwrap().status(),
        StatusCode::CREATED
    );
    assert_eq!(mentions_of(&app, &bob).await.len(), 1);
}
