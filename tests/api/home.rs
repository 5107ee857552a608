//! The home timeline: one's own tweets and those of everyone one follows, paged like every
//! timeline; a follow shows the followee's older tweets at once, an unfollow hides them.

use reqwest::{Method, StatusCode};

use crate::helpers::TestApp;

crate::on_every_backend!(
    home_shows_own_and_followed_tweets_at_once,
    home_pages_before_and_after,
    home_errors
);

async fn home_ids(app: &TestApp, token: &str, query: &str) -> Vec<i64> {
    let answer = app
        .get(&format!("/api/timelines/home{query}"), Some(token))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    answer.body["tweets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect()
}

fn id(tweet: &serde_json::Value) -> i64 {
    tweet["id"].as_i64().unwrap()
}

async fn home_shows_own_and_followed_tweets_at_once(app: &TestApp) {
    let (_, lou) = app.user("lou").await;
    let (_, mia) = app.user("mia").await;
    let (_, ned) = app.user("ned").await;
    let mia_old = id(&app.tweet(&mia, "mia, before anyone followed").await);
    let ned_1 = id(&app.tweet(&ned, "ned, never followed").await);
    let lou_1 = id(&app.tweet(&lou, "lou's own").await);
    assert_eq!(home_ids(app, &lou, "").await, [lou_1], "own tweets only");

    app.call(Method::PUT, "/api/users/mia/follow", Some(&lou))
        .await;
    assert_eq!(
        home_ids(app, &lou, "").await,
        [lou_1, mia_old],
        "the followee's older tweets appear at once"
    );
    let mia_new = id(&app.tweet(&mia, "mia, after").await);
    let home = app.get("/api/timelines/home", Some(&lou)).await;
    assert_eq!(id(&home.body["tweets"][0]), mia_new);
    assert_eq!(home.body["tweets"][0]["author"]["username"], "mia");
    assert_eq!(home.body["tweets"][0]["author"]["display_name"], "");
    assert!(!home_ids(app, &lou, "").await.contains(&ned_1));

    // Likes look as the viewer sees them.
    app.call(
        Method::PUT,
        &format!("/api/tweets/{mia_new}/like"),
        Some(&lou),
    )
    .await;
    let liked = app.get("/api/timelines/home", Some(&lou)).await;
    assert_eq!(liked.body["tweets"][0]["liked_by_me"], true);
    assert_eq!(liked.body["tweets"][0]["like_count"], 1);

    app.call(Method::DELETE, "/api/users/mia/follow", Some(&lou))
        .await;
    assert_eq!(
        home_ids(app, &lou, "").await,
        [lou_1],
        "unfollowing hides them"
    );
    // Deleted tweets leave home too.
    app.call(Method::DELETE, &format!("/api/tweets/{lou_1}"), Some(&lou))
        .await;
    assert!(home_ids(app, &lou, "").await.is_empty());
    // Following is one way: mia's home does not show lou.
    app.call(Method::PUT, "/api/users/lou/follow", Some(&mia))
        .await;
    let lou_2 = id(&app.tweet(&lou, "lou again").await);
    assert_eq!(home_ids(app, &mia, "").await, [lou_2, mia_new, mia_old]);
    assert!(home_ids(app, &lou, "").await == [lou_2]);
}

async fn home_pages_before_and_after(app: &TestApp) {
    let (_, ora) = app.user("ora").await;
    let (_, pip) = app.user("pip").await;
    let (_, rex) = app.user("rex").await;
    app.call(Method::PUT, "/api/users/pip/follow", Some(&ora))
        .await;
    let mut mine = Vec::new();
    for i in 0..7 {
        let author = if i % 2 == 0 { &pip } else { &ora };
        mine.push(id(&app.tweet(author, &format!("home {i}")).await));
        app.tweet(&rex, &format!("noise {i}")).await;
    }
    let newest_first: Vec<i64> = mine.iter().rev().copied().collect();
    assert_eq!(home_ids(app, &ora, "").await, newest_first);
    assert_eq!(home_ids(app, &ora, "?limit=3").await, newest_first[..3]);
    let below = newest_first[2];
    assert_eq!(
        home_ids(app, &ora, &format!("?limit=3&before={below}")).await,
        newest_first[3..6]
    );
    assert_eq!(
        home_ids(app, &ora, &format!("?before={}", newest_first[6])).await,
        Vec::<i64>::new()
    );
    // after=: the `limit` oldest newer tweets, newest first; walking forward misses nothing.
    let mut walked: Vec<i64> = Vec::new();
    let mut cursor = 0;
    loop {
        let page = home_ids(app, &ora, &format!("?limit=2&after={cursor}")).await;
        let Some(&top) = page.first() else { break };
        assert!(
            page.windows(2).all(|w| w[0] > w[1]),
            "newest first: {page:?}"
        );
        walked.extend(page.iter().rev());
        cursor = top;
    }
    assert_eq!(walked, mine);
    assert_eq!(
        home_ids(app, &ora, &format!("?limit=2&after={}", mine[2])).await,
        [mine[4], mine[3]]
    );
}

async fn home_errors(app: &TestApp) {
    let (_, sal) = app.user("sal").await;
    app.get("/api/timelines/home", None)
        .await
        .assert_error(401, "unauthorized");
    app.get("/api/timelines/home?before=5&after=1", Some(&sal))
        .await
        .assert_error(400, "invalid_query");
    for bad in ["limit=0", "limit=101", "limit=x", "before=x", "after=-1"] {
        app.get(&format!("/api/timelines/home?{bad}"), Some(&sal))
            .await
            .assert_error(400, "invalid_query");
    }
    app.call(Method::POST, "/api/timelines/home", Some(&sal))
        .await
        .assert_error(405, "method_not_allowed");
}
