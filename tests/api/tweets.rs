//! Posting, reading, paging and deleting tweets.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::TestApp;

crate::on_every_backend!(
    posting_answers_the_stored_tweet,
    posting_requires_sign_in,
    tweet_text_is_trimmed_and_counted_in_characters,
    timeline_is_newest_first_and_pages_with_before,
    after_walks_forward_without_gaps,
    paging_parameters_are_validated,
    one_tweet_by_id,
    user_timeline_has_only_their_tweets,
    only_the_author_can_delete,
    ids_grow_and_are_never_reused,
    first_page_reflects_every_change_at_once,
    concurrent_posts_each_get_their_own_text_and_id,
);

async fn posting_answers_the_stored_tweet(app: &TestApp) {
    let (id, token) = app.user("kim").await;
    let tweet = app.tweet(&token, "hello, world").await;
    assert_eq!(tweet["text"], "hello, world");
    assert_eq!(
        tweet["author"],
        json!({"id": id, "username": "kim", "display_name": ""})
    );
    assert_eq!(tweet["like_count"], 0);
    assert_eq!(tweet["liked_by_me"], false);
    assert!(chrono::DateTime::parse_from_rfc3339(tweet["created_at"].as_str().unwrap()).is_ok());
    let stored = app.get(&format!("/api/tweets/{}", tweet["id"]), None).await;
    assert_eq!(stored.body, tweet);
}

async fn posting_requires_sign_in(app: &TestApp) {
    app.post("/api/tweets", json!({"text": "anonymous"}), None)
        .await
        .assert_error(401, "unauthorized");
    app.post("/api/tweets", json!({"text": "bad token"}), Some("nope"))
        .await
        .assert_error(401, "unauthorized");
}

async fn tweet_text_is_trimmed_and_counted_in_characters(app: &TestApp) {
    let (_, token) = app.user("lee").await;
    assert_eq!(
        app.tweet(&token, "  \n spaced out \t ").await["text"],
        "spaced out"
    );
    for bad in ["", "   \n\t ", &"🐦".repeat(281), &"a".repeat(281)] {
        let answer = app
            .post("/api/tweets", json!({"text": bad}), Some(&token))
            .await;
        answer.assert_error(400, "invalid_text");
        assert_eq!(answer.body["error"]["field"], "text");
    }
    app.post("/api/tweets", json!({}), Some(&token))
        .await
        .assert_error(400, "invalid_text");
    // 280 four-byte characters are 1120 bytes but still one tweet.
    assert_eq!(
        app.tweet(&token, &"🐦".repeat(280)).await["text"],
        "🐦".repeat(280)
    );
    let combining = "e\u{301}".repeat(140); // 280 scalar values, 140 visible letters
    app.tweet(&token, &combining).await;
}

async fn timeline_is_newest_first_and_pages_with_before(app: &TestApp) {
    let (_, token) = app.user("mia").await;
    let mut posted = Vec::new();
    for i in 0..25 {
        posted.push(
            app.tweet(&token, &format!("tweet {i}")).await["id"]
                .as_i64()
                .unwrap(),
        );
    }
    let newest_first: Vec<i64> = posted.iter().rev().copied().collect();
    assert_eq!(
        app.ids("/api/tweets").await,
        newest_first[..20],
        "default limit 20"
    );
    assert_eq!(app.ids("/api/tweets?limit=5").await, newest_first[..5]);
    let before = newest_first[4];
    assert_eq!(
        app.ids(&format!("/api/tweets?limit=5&before={before}"))
            .await,
        newest_first[5..10]
    );
    assert_eq!(
        app.ids(&format!("/api/tweets?before={}", posted[0])).await,
        Vec::<i64>::new()
    );
    assert_eq!(app.ids("/api/tweets?limit=100").await.len(), 25);
}

async fn after_walks_forward_without_gaps(app: &TestApp) {
    let (_, token) = app.user("ned").await;
    let mut posted = Vec::new();
    for i in 0..12 {
        posted.push(
            app.tweet(&token, &format!("tweet {i}")).await["id"]
                .as_i64()
                .unwrap(),
        );
    }
    let seen = posted[1];
    // Everything newer than `seen`, newest first.
    let all: Vec<i64> = posted[2..].iter().rev().copied().collect();
    assert_eq!(app.ids(&format!("/api/tweets?after={seen}")).await, all);
    // With a small limit, pages are the oldest unseen ones (still newest first), so a
    // client can walk forward with after=<max of page> and miss nothing.
    let mut walked = Vec::new();
    let mut cursor = seen;
    loop {
        let page = app
            .ids(&format!("/api/tweets?after={cursor}&limit=4"))
            .await;
        assert!(
            page.windows(2).all(|w| w[0] > w[1]),
            "newest first: {page:?}"
        );
        if page.is_empty() {
            break;
        }
        cursor = page[0];
        walked.extend(page.into_iter().rev());
    }
    assert_eq!(walked, posted[2..]);
    assert!(
        app.ids(&format!("/api/tweets?after={}", posted[11]))
            .await
            .is_empty()
    );
}

async fn paging_parameters_are_validated(app: &TestApp) {
    for query in [
        "limit=0",
        "limit=101",
        "limit=-3",
        "limit=ten",
        "limit=",
        "before=x",
        "after=1.5",
        "before=-1",
        "before=1&after=2",
        "after=99999999999999999999",
    ] {
        app.get(&format!("/api/tweets?{query}"), None)
            .await
            .assert_error(400, "invalid_query");
        app.get(&format!("/api/users/nobody/tweets?{query}"), None)
            .await
            .assert_error(400, "invalid_query");
    }
    assert_eq!(
        app.get("/api/tweets?limit=100&after=0", None).await.status,
        StatusCode::OK
    );
    assert_eq!(
        app.get("/api/tweets?unknown=1", None).await.status,
        StatusCode::OK
    );
}

async fn one_tweet_by_id(app: &TestApp) {
    let (_, token) = app.user("olga").await;
    let tweet = app.tweet(&token, "just one").await;
    let found = app.get(&format!("/api/tweets/{}", tweet["id"]), None).await;
    assert_eq!(found.status, StatusCode::OK);
    assert_eq!(found.body["text"], "just one");
    app.get("/api/tweets/999999", None)
        .await
        .assert_error(404, "not_found");
    app.get("/api/tweets/abc", None)
        .await
        .assert_error(404, "not_found");
    app.get("/api/tweets/99999999999999999999999", None)
        .await
        .assert_error(404, "not_found");
}

async fn user_timeline_has_only_their_tweets(app: &TestApp) {
    let (_, pat) = app.user("pat").await;
    let (_, quinn) = app.user("quinn").await;
    let p1 = app.tweet(&pat, "pat 1").await["id"].as_i64().unwrap();
    app.tweet(&quinn, "quinn 1").await;
    let p2 = app.tweet(&pat, "pat 2").await["id"].as_i64().unwrap();
    assert_eq!(app.ids("/api/users/pat/tweets").await, vec![p2, p1]);
    assert_eq!(
        app.ids("/api/users/PAT/tweets").await,
        vec![p2, p1],
        "names ignore case"
    );
    assert_eq!(
        app.ids(&format!("/api/users/pat/tweets?after={p1}")).await,
        vec![p2]
    );
    assert_eq!(
        app.ids(&format!("/api/users/pat/tweets?before={p2}&limit=1"))
            .await,
        vec![p1]
    );
}

async fn only_the_author_can_delete(app: &TestApp) {
    let (_, rose) = app.user("rose").await;
    let (_, sam) = app.user("sam").await;
    let id = app.tweet(&rose, "mine").await["id"].as_i64().unwrap();
    let path = format!("/api/tweets/{id}");
    app.call(Method::DELETE, &path, None)
        .await
        .assert_error(401, "unauthorized");
    app.call(Method::DELETE, &path, Some(&sam))
        .await
        .assert_error(403, "forbidden");
    assert_eq!(
        app.call(Method::DELETE, &path, Some(&rose)).await.status,
        StatusCode::NO_CONTENT
    );
    app.get(&path, None).await.assert_error(404, "not_found");
    app.call(Method::DELETE, &path, Some(&rose))
        .await
        .assert_error(404, "not_found");
    app.call(Method::DELETE, "/api/tweets/nope", Some(&rose))
        .await
        .assert_error(404, "not_found");
    assert!(app.ids("/api/tweets").await.is_empty());
}

async fn ids_grow_and_are_never_reused(app: &TestApp) {
    let (_, token) = app.user("tess").await;
    let first = app.tweet(&token, "one").await["id"].as_i64().unwrap();
    let second = app.tweet(&token, "two").await["id"].as_i64().unwrap();
    assert!(second > first);
    app.call(
        Method::DELETE,
        &format!("/api/tweets/{second}"),
        Some(&token),
    )
    .await;
    let third = app.tweet(&token, "three").await["id"].as_i64().unwrap();
    assert!(third > second, "a deleted id is not handed out again");
}

async fn first_page_reflects_every_change_at_once(app: &TestApp) {
    let (_, token) = app.user("yara").await;
    let first = app.tweet(&token, "first").await["id"].as_i64().unwrap();
    let page = || app.get("/api/tweets", None);
    assert_eq!(page().await.body["tweets"][0]["id"], first);
    assert_eq!(
        page().await.body["tweets"][0]["id"],
        first,
        "served twice, the same"
    );
    let second = app.tweet(&token, "second").await["id"].as_i64().unwrap();
    assert_eq!(
        page().await.body["tweets"][0]["id"],
        second,
        "a new tweet shows at once"
    );
    app.call(
        Method::PUT,
        &format!("/api/tweets/{second}/like"),
        Some(&token),
    )
    .await;
    assert_eq!(
        page().await.body["tweets"][0]["like_count"],
        1,
        "a like shows at once"
    );
    app.call(
        Method::DELETE,
        &format!("/api/tweets/{second}"),
        Some(&token),
    )
    .await;
    assert_eq!(
        page().await.body["tweets"][0]["id"],
        first,
        "a deletion shows at once"
    );
    assert_eq!(
        app.get("/api/tweets?limit=1", None).await.body["tweets"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let mine = app.get("/api/tweets", Some(&token)).await;
    assert_eq!(mine.body["tweets"][0]["liked_by_me"], false);
}

async fn concurrent_posts_each_get_their_own_text_and_id(app: &TestApp) {
    let (_, alice) = app.user("zoe").await;
    let (_, bob) = app.user("zack").await;
    // Posted all at once, they are stored in batches; each answer must still be its own.
    let posts = (0..60).map(|i| {
        let token = if i % 2 == 0 { &alice } else { &bob };
        async move { (i, app.tweet(token, &format!("concurrent {i}")).await) }
    });
    let answers = futures_util::future::join_all(posts).await;
    let mut ids = Vec::new();
    for (i, tweet) in &answers {
        assert_eq!(tweet["text"], format!("concurrent {i}"));
        assert_eq!(
            tweet["author"]["username"],
            if i % 2 == 0 { "zoe" } else { "zack" }
        );
        let id = tweet["id"].as_i64().unwrap();
        let stored = app.get(&format!("/api/tweets/{id}"), None).await;
        assert_eq!(
            stored.body["text"], tweet["text"],
            "id {id} holds another tweet's text"
        );
        ids.push(id);
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), 60, "every post got its own id");
    assert_eq!(app.ids("/api/tweets?limit=100").await.len(), 60);
}
