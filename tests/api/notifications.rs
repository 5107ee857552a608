//! Notifications: follow, like, reply and mention; never for one's own acts; at most one
//! per (kind, actor, tweet) ever, also under concurrent like/unlike/like; the unread count,
//! marking read, paging, and `tweet: null` once the tweet is deleted.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Answer, TestApp};

crate::on_every_backend!(
    follow_notifies_once_ever,
    like_notifies_once_ever_even_under_concurrent_like_unlike_like,
    replies_and_mentions_notify_once_each_and_never_the_actor,
    a_deleted_tweets_notifications_show_no_tweet,
    reading_marking_and_paging_notifications,
    notification_errors
);

async fn notifications(app: &TestApp, token: &str) -> Value {
    let answer = app.get("/api/notifications", Some(token)).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    answer.body
}

fn kinds(list: &Value) -> Vec<(String, String)> {
    list["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["kind"].as_str().unwrap().to_owned(),
                n["actor"]["username"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn pair(kind: &str, actor: &str) -> (String, String) {
    (kind.to_owned(), actor.to_owned())
}

/// Send again while the server answers 503 (SQLite's write lock busy under a burst): what a
/// client is told to do, and safe because likes and follows are idempotent.
async fn until_answered(app: &TestApp, method: Method, path: &str, token: &str) -> Answer {
    loop {
        let answer = app.call(method.clone(), path, Some(token)).await;
        if answer.status != StatusCode::SERVICE_UNAVAILABLE {
            assert_eq!(answer.status, StatusCode::OK, "{path}: {}", answer.text);
            return answer;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

async fn follow_notifies_once_ever(app: &TestApp) {
    let (ada_id, ada) = app.user("ada").await;
    let (bob_id, bob) = app.user("bob").await;
    for method in [Method::PUT, Method::DELETE, Method::PUT, Method::PUT] {
        until_answered(app, method, "/api/users/ada/follow", &bob).await;
    }
    let list = notifications(app, &ada).await;
    assert_eq!(kinds(&list), [pair("follow", "bob")]);
    let n = &list["notifications"][0];
    assert_eq!(n["actor"], json!({"id": bob_id, "username": "bob"}));
    assert_eq!(n["tweet"], Value::Null);
    assert_eq!(n["read"], false);
    assert!(n["created_at"].as_str().unwrap().ends_with('Z'));
    assert!(n["id"].as_i64().is_some());
    assert_eq!(list["unread_count"], 1);
    // The follower is told nothing; following back tells bob.
    assert_eq!(kinds(&notifications(app, &bob).await), []);
    until_answered(app, Method::PUT, "/api/users/bob/follow", &ada).await;
    let back = notifications(app, &bob).await;
    assert_eq!(back["notifications"][0]["actor"]["id"], ada_id);
}

async fn like_notifies_once_ever_even_under_concurrent_like_unlike_like(app: &TestApp) {
    let (_, ann) = app.user("ann").await;
    let tweet = app.tweet(&ann, "like me").await;
    let path = format!("/api/tweets/{}/like", tweet["id"]);
    // Liking your own tweet tells nobody.
    until_answered(app, Method::PUT, &path, &ann).await;
    let mut likers = Vec::new();
    for name in ["li1", "li2", "li3", "li4"] {
        likers.push((name, app.user(name).await.1));
    }
    // Each liker runs like/unlike/like from three clients at once.
    let mut runs = Vec::new();
    for (_, token) in &likers {
        for _ in 0..3 {
            let (path, token) = (path.clone(), token.clone());
            runs.push(async move {
                for method in [Method::PUT, Method::DELETE, Method::PUT] {
                    until_answered(app, method, &path, &token).await;
                }
            });
        }
    }
    futures_util::future::join_all(runs).await;
    let list = notifications(app, &ann).await;
    let mut got = kinds(&list);
    got.sort();
    let want: Vec<_> = likers.iter().map(|(name, _)| pair("like", name)).collect();
    assert_eq!(got, want, "one like notification per liker");
    assert_eq!(list["unread_count"], 4);
    assert_eq!(list["notifications"][0]["tweet"]["id"], tweet["id"]);
    // Unliking and liking again later still adds nothing.
    let (_, first) = &likers[0];
    until_answered(app, Method::DELETE, &path, first).await;
    until_answered(app, Method::PUT, &path, first).await;
    assert_eq!(notifications(app, &ann).await["unread_count"], 4);
}

async fn replies_and_mentions_notify_once_each_and_never_the_actor(app: &TestApp) {
    let (_, pam) = app.user("pam").await;
    let (_, quin) = app.user("quin").await;
    let (_, ray) = app.user("ray").await;
    let parent = app.tweet(&pam, "a question for @quin").await;
    assert_eq!(
        kinds(&notifications(app, &quin).await),
        [pair("mention", "pam")]
    );
    // Quin answers, mentioning pam (the parent's author: one `reply`), ray, and herself.
    let answer = app
        .post(
            "/api/tweets",
            json!({"text": "@pam @ray @quin here you go @PAM", "reply_to": parent["id"]}),
            Some(&quin),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
    let pams = notifications(app, &pam).await;
    assert_eq!(kinds(&pams), [pair("reply", "quin")]);
    assert_eq!(pams["notifications"][0]["tweet"]["id"], answer.body["id"]);
    assert_eq!(
        pams["notifications"][0]["tweet"]["reply_to"]["id"],
        parent["id"]
    );
    assert_eq!(
        kinds(&notifications(app, &ray).await),
        [pair("mention", "quin")]
    );
    assert_eq!(
        kinds(&notifications(app, &quin).await),
        [pair("mention", "pam")],
        "mentioning yourself tells nobody"
    );
    // Replying to yourself tells nobody; a mention in it still tells the mentioned.
    let own = app
        .post(
            "/api/tweets",
            json!({"text": "more, @ray", "reply_to": parent["id"]}),
            Some(&pam),
        )
        .await;
    assert_eq!(own.status, StatusCode::CREATED);
    assert_eq!(
        kinds(&notifications(app, &pam).await),
        [pair("reply", "quin")]
    );
    assert_eq!(
        kinds(&notifications(app, &ray).await),
        [pair("mention", "pam"), pair("mention", "quin")]
    );
}

async fn a_deleted_tweets_notifications_show_no_tweet(app: &TestApp) {
    let (_, sal) = app.user("sal").await;
    let (_, tom) = app.user("tom").await;
    let tweet = app.tweet(&tom, "hey @sal").await;
    assert_eq!(
        notifications(app, &sal).await["notifications"][0]["tweet"]["id"],
        tweet["id"]
    );
    app.call(
        Method::DELETE,
        &format!("/api/tweets/{}", tweet["id"]),
        Some(&tom),
    )
    .await;
    let list = notifications(app, &sal).await;
    assert_eq!(kinds(&list), [pair("mention", "tom")]);
    assert_eq!(list["notifications"][0]["tweet"], Value::Null);
}

async fn reading_marking_and_paging_notifications(app: &TestApp) {
    let (_, uma) = app.user("uma").await;
    let mut ids = Vec::new();
    for name in ["fa1", "fa2", "fa3", "fa4", "fa5"] {
        let (_, token) = app.user(name).await;
        until_answered(app, Method::PUT, "/api/users/uma/follow", &token).await;
    }
    let list = notifications(app, &uma).await;
    for n in list["notifications"].as_array().unwrap() {
        ids.push(n["id"].as_i64().unwrap());
    }
    assert_eq!(ids.len(), 5);
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "newest first: {ids:?}");
    assert_eq!(
        kinds(&list).first().map(|k| k.1.clone()).as_deref(),
        Some("fa5")
    );
    let page = app
        .get(
            &format!("/api/notifications?limit=2&before={}", ids[1]),
            Some(&uma),
        )
        .await;
    let page_ids: Vec<i64> = page.body["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_i64().unwrap())
        .collect();
    assert_eq!(page_ids, ids[2..4]);
    assert_eq!(page.body["unread_count"], 5, "the count is not the page's");
    // Mark the older three read.
    let read = app
        .post(
            "/api/notifications/read",
            json!({"up_to": ids[2]}),
            Some(&uma),
        )
        .await;
    assert_eq!(read.status, StatusCode::NO_CONTENT, "{}", read.text);
    let list = notifications(app, &uma).await;
    assert_eq!(list["unread_count"], 2);
    let flags: Vec<bool> = list["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["read"].as_bool().unwrap())
        .collect();
    assert_eq!(flags, [false, false, true, true, true]);
    // `{}` marks all.
    let all = app
        .post("/api/notifications/read", json!({}), Some(&uma))
        .await;
    assert_eq!(all.status, StatusCode::NO_CONTENT);
    assert_eq!(notifications(app, &uma).await["unread_count"], 0);
}

async fn notification_errors(app: &TestApp) {
    let (_, vic) = app.user("vic").await;
    app.get("/api/notifications", None)
        .await
        .assert_error(401, "unauthorized");
    app.post("/api/notifications/read", json!({}), None)
        .await
        .assert_error(401, "unauthorized");
    app.get("/api/notifications?after=1", Some(&vic))
        .await
        .assert_error(400, "invalid_query");
    app.get("/api/notifications?limit=101", Some(&vic))
        .await
        .assert_error(400, "invalid_query");
    app.get("/api/notifications?before=x", Some(&vic))
        .await
        .assert_error(400, "invalid_query");
    for bad in [json!({"up_to": "3"}), json!({"up_to": 1.5}), json!("all")] {
        app.post("/api/notifications/read", bad, Some(&vic))
            .await
            .assert_error(400, "invalid_json");
    }
    let empty = notifications(app, &vic).await;
    assert_eq!(empty, json!({"notifications": [], "unread_count": 0}));
}
