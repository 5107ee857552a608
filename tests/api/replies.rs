//! Replies and mentions: `reply_to` on posting (and its errors), `reply_to`, `reply_count`
//! and `mentions` on every tweet served, the replies list oldest first, and what deleting a
//! parent or a reply does.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::TestApp;

crate::on_every_backend!(
    a_reply_names_its_parent_everywhere_tweets_are_served,
    replies_are_listed_oldest_first_and_page_forward,
    reply_to_errors_name_the_field,
    deleting_a_reply_lowers_the_count_and_a_deleted_parent_keeps_its_replies,
    mentions_follow_the_contract_rule
);

async fn reply(app: &TestApp, token: &str, parent: i64, text: &str) -> Value {
    let answer = app
        .post(
            "/api/tweets",
            json!({"text": text, "reply_to": parent}),
            Some(token),
        )
        .await;
    assert_eq!(answer.status, StatusCode::CREATED, "reply: {}", answer.text);
    answer.body
}

async fn reply_count(app: &TestApp, tweet: i64) -> Value {
    app.get(&format!("/api/tweets/{tweet}"), None).await.body["reply_count"].clone()
}

fn id(tweet: &Value) -> i64 {
    tweet["id"].as_i64().unwrap()
}

async fn a_reply_names_its_parent_everywhere_tweets_are_served(app: &TestApp) {
    let (ada_id, ada) = app.user("ada").await;
    let (_, bob) = app.user("bob").await;
    let parent = app.tweet(&ada, "first").await;
    assert_eq!(parent["reply_to"], Value::Null);
    assert_eq!(parent["reply_count"], 0);
    assert_eq!(parent["mentions"], json!([]));
    let answer = reply(app, &bob, id(&parent), "an answer").await;
    let expected = json!({"id": id(&parent), "author": {"id": ada_id, "username": "ada"}});
    assert_eq!(answer["reply_to"], expected);
    assert_eq!(answer["reply_count"], 0);
    // One tweet, every timeline, home.
    let one = app.get(&format!("/api/tweets/{}", id(&answer)), None).await;
    assert_eq!(one.body["reply_to"], expected);
    assert_eq!(
        app.get(&format!("/api/tweets/{}", id(&parent)), None)
            .await
            .body["reply_count"],
        1
    );
    let everyone = app.get("/api/tweets", None).await;
    assert_eq!(everyone.body["tweets"][0]["reply_to"], expected);
    assert_eq!(everyone.body["tweets"][1]["reply_count"], 1);
    let signed_in = app.get("/api/tweets", Some(&ada)).await;
    assert_eq!(signed_in.body["tweets"][1]["reply_count"], 1);
    let bobs = app.get("/api/users/bob/tweets", None).await;
    assert_eq!(bobs.body["tweets"][0]["reply_to"], expected);
    let home = app.get("/api/timelines/home", Some(&bob)).await;
    assert_eq!(home.body["tweets"][0]["reply_to"], expected);
    // A reply to a reply names its own parent only.
    let deeper = reply(app, &ada, id(&answer), "and back").await;
    assert_eq!(deeper["reply_to"]["id"], id(&answer));
    assert_eq!(deeper["reply_to"]["author"]["username"], "bob");
}

async fn replies_are_listed_oldest_first_and_page_forward(app: &TestApp) {
    let (_, cy) = app.user("cyd").await;
    let parent = id(&app.tweet(&cy, "ask me").await);
    let other = id(&app.tweet(&cy, "elsewhere").await);
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(id(&reply(app, &cy, parent, &format!("r{i}")).await));
        reply(app, &cy, other, "noise").await;
    }
    let path = format!("/api/tweets/{parent}/replies");
    assert_eq!(
        app.ids(&path).await,
        ids,
        "oldest first, direct replies only"
    );
    assert_eq!(app.ids(&format!("{path}?limit=2")).await, ids[..2]);
    assert_eq!(
        app.ids(&format!("{path}?limit=2&after={}", ids[1])).await,
        ids[2..4]
    );
    assert!(
        app.ids(&format!("{path}?after={}", ids[4]))
            .await
            .is_empty()
    );
    assert!(
        app.ids(&format!("/api/tweets/{}/replies", ids[0]))
            .await
            .is_empty()
    );
    app.get(&format!("{path}?before=9"), None)
        .await
        .assert_error(400, "invalid_query");
    app.get(&format!("{path}?limit=0"), None)
        .await
        .assert_error(400, "invalid_query");
    app.get("/api/tweets/987654/replies", None)
        .await
        .assert_error(404, "not_found");
    app.get("/api/tweets/x/replies", None)
        .await
        .assert_error(404, "not_found");
}

async fn reply_to_errors_name_the_field(app: &TestApp) {
    let (_, dee) = app.user("dee").await;
    let parent = id(&app.tweet(&dee, "hello").await);
    for bad in [
        json!("1"),
        json!(1.5),
        json!(true),
        json!([1]),
        json!({"id": 1}),
    ] {
        let answer = app
            .post(
                "/api/tweets",
                json!({"text": "x", "reply_to": bad}),
                Some(&dee),
            )
            .await;
        answer.assert_error(400, "invalid_reply_to");
        assert_eq!(answer.body["error"]["field"], "reply_to");
    }
    let missing = app
        .post(
            "/api/tweets",
            json!({"text": "x", "reply_to": 987654}),
            Some(&dee),
        )
        .await;
    missing.assert_error(404, "not_found");
    assert_eq!(missing.body["error"]["field"], "reply_to");
    app.call(Method::DELETE, &format!("/api/tweets/{parent}"), Some(&dee))
        .await;
    let deleted = app
        .post(
            "/api/tweets",
            json!({"text": "x", "reply_to": parent}),
            Some(&dee),
        )
        .await;
    deleted.assert_error(404, "not_found");
    assert_eq!(deleted.body["error"]["field"], "reply_to");
    // An over-long reply is the text's error, as for any tweet.
    let parent = id(&app.tweet(&dee, "again").await);
    app.post(
        "/api/tweets",
        json!({"text": "a".repeat(281), "reply_to": parent}),
        Some(&dee),
    )
    .await
    .assert_error(400, "invalid_text");
    // `null` is a top-level tweet.
    let top = app
        .post(
            "/api/tweets",
            json!({"text": "top", "reply_to": null}),
            Some(&dee),
        )
        .await;
    assert_eq!(top.status, StatusCode::CREATED);
    assert_eq!(top.body["reply_to"], Value::Null);
    // Nothing above was stored as a reply.
    assert_eq!(
        app.get(&format!("/api/tweets/{parent}"), None).await.body["reply_count"],
        0
    );
}

async fn deleting_a_reply_lowers_the_count_and_a_deleted_parent_keeps_its_replies(app: &TestApp) {
    let (eve_id, eve) = app.user("eve").await;
    let (_, fay) = app.user("fay").await;
    let parent = id(&app.tweet(&eve, "parent").await);
    let first = id(&reply(app, &fay, parent, "one").await);
    let second = id(&reply(app, &fay, parent, "two").await);
    assert_eq!(reply_count(app, parent).await, 2);
    let gone = app
        .call(Method::DELETE, &format!("/api/tweets/{first}"), Some(&fay))
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
    assert_eq!(reply_count(app, parent).await, 1);
    // A second delete of the same reply changes nothing.
    app.call(Method::DELETE, &format!("/api/tweets/{first}"), Some(&fay))
        .await
        .assert_error(404, "not_found");
    assert_eq!(reply_count(app, parent).await, 1);
    // Someone else's delete attempt neither deletes nor counts.
    app.call(Method::DELETE, &format!("/api/tweets/{second}"), Some(&eve))
        .await
        .assert_error(403, "forbidden");
    assert_eq!(reply_count(app, parent).await, 1);
    // The parent goes; its reply stays and still names it.
    app.call(Method::DELETE, &format!("/api/tweets/{parent}"), Some(&eve))
        .await;
    let orphan = app.get(&format!("/api/tweets/{second}"), None).await;
    assert_eq!(orphan.status, StatusCode::OK);
    assert_eq!(
        orphan.body["reply_to"],
        json!({"id": parent, "author": {"id": eve_id, "username": "eve"}})
    );
    assert_eq!(
        app.ids(&format!("/api/tweets/{parent}/replies")).await,
        [second],
        "a deleted tweet still lists its replies"
    );
    // Deleting the orphan is fine too.
    let gone = app
        .call(Method::DELETE, &format!("/api/tweets/{second}"), Some(&fay))
        .await;
    assert_eq!(gone.status, StatusCode::NO_CONTENT);
}

async fn mentions_follow_the_contract_rule(app: &TestApp) {
    let (ada_id, ada) = app.user("Ada_1").await;
    let (bob_id, _) = app.user("bob").await;
    let mentions = |tweet: &Value| tweet["mentions"].clone();
    let t = app
        .tweet(
            &ada,
            "@bob hi @ADA_1 and @bob again, mail@bob is not one, @bobX neither, @nobody",
        )
        .await;
    assert_eq!(
        mentions(&t),
        json!([{"id": bob_id, "username": "bob"}, {"id": ada_id, "username": "Ada_1"}]),
        "existing users, once each, in order, with their own spelling"
    );
    // Served the same way on reading.
    let read = app.get(&format!("/api/tweets/{}", id(&t)), None).await;
    assert_eq!(mentions(&read.body), mentions(&t));
    let listed = app.get("/api/tweets", None).await;
    assert_eq!(mentions(&listed.body["tweets"][0]), mentions(&t));
    for text in ["mail@bob", "@bobby", "@@", "@ bob", "x_@bob", "9@bob"] {
        assert_eq!(mentions(&app.tweet(&ada, text).await), json!([]), "{text}");
    }
    assert_eq!(
        mentions(&app.tweet(&ada, "(@bob)").await),
        json!([{"id": bob_id, "username": "bob"}])
    );
    assert_eq!(
        mentions(&app.tweet(&ada, "é@bob, @bob's").await),
        json!([{"id": bob_id, "username": "bob"}])
    );
}
