//! The home timeline: one's own tweets and those of everyone one follows, paged like every
//! timeline; a follow shows the followee's older tweets at once, an unfollow hides them.

use reqwest::{Method, StatusCode};

use crate::helpers::{Dice, TestApp, spawn_app_with};

crate::on_every_backend!(
    home_shows_own_and_followed_tweets_at_once,
    home_pages_before_and_after,
    home_errors,
    home_matches_a_model_with_a_small_window,
    home_matches_a_model_from_the_database_alone,
    home_matches_a_model_with_the_default_window,
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

// Home pages are picked in memory from a window of recent tweets (`--home-cache-tweets`) and
// read from the database when the window cannot answer. Whatever the window's size, every
// page must be what the follow graph says: checked against a model of it after random
// tweets, replies, follows, unfollows, deletions and restarts (a new server on the same
// database, whose window is read back from it), with every cursor shape. A window of 5
// makes most pages straddle its floor; 0 is the database alone.

async fn home_matches_a_model_with_a_small_window(app: &TestApp) {
    let mut small = spawn_app_with(app.backend, |config| config.caches.home_cache_tweets = 5).await;
    home_matches_the_model(&mut small, 25).await;
}

async fn home_matches_a_model_from_the_database_alone(app: &TestApp) {
    let mut plain = spawn_app_with(app.backend, |config| config.caches.home_cache_tweets = 0).await;
    home_matches_the_model(&mut plain, 12).await;
}

async fn home_matches_a_model_with_the_default_window(app: &TestApp) {
    let mut default = spawn_app_with(app.backend, |_| {}).await;
    home_matches_the_model(&mut default, 16).await;
}

/// One live tweet of the model.
struct Modelled {
    id: i64,
    author: usize,
    parent: Option<i64>,
    likers: [bool; 4],
}

async fn home_matches_the_model(app: &mut TestApp, seed: u64) {
    let names = ["ann", "bob", "cat", "dan"];
    let mut tokens = Vec::new();
    for name in names {
        tokens.push(app.user(name).await.1);
    }
    let mut dice = Dice(seed);
    // The model: live tweets, who follows whom, display names.
    let mut tweets: Vec<Modelled> = Vec::new();
    let mut follows = [[false; 4]; 4];
    let mut display = [String::new(), String::new(), String::new(), String::new()];
    for step in 0..120 {
        // Pages are checked every third step, and at once after a restart (so pages are
        // built from the window read back from the database) and after a deletion.
        let mut check = step % 3 == 2;
        if dice.roll(10) == 0 {
            // Memory is gone; the window is read back from the database on the next page.
            app.restart().await;
            check = true;
        }
        let app = &*app;
        let who = dice.roll(4);
        let token = &tokens[who];
        match dice.roll(12) {
            0..=4 => {
                // A tweet, or now and then a reply to a live one.
                let parent = match (dice.roll(2), tweets.is_empty()) {
                    (0, false) => Some(tweets[dice.roll(tweets.len())].id),
                    _ => None,
                };
                let body = serde_json::json!({"text": format!("step {step}"), "reply_to": parent});
                let answer = app.post("/api/tweets", body, Some(token)).await;
                assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
                tweets.push(Modelled {
                    id: id(&answer.body),
                    author: who,
                    parent,
                    likers: [false; 4],
                });
            }
            5 | 6 => {
                let whom = dice.roll(4);
                if whom != who {
                    let on = !follows[who][whom];
                    let method = if on { Method::PUT } else { Method::DELETE };
                    let path = format!("/api/users/{}/follow", names[whom]);
                    let answer = app.call(method, &path, Some(token)).await;
                    assert!(answer.status.is_success(), "{}", answer.text);
                    follows[who][whom] = on;
                }
            }
            7 => {
                // Replies first, half the time: deleting one changes its parent's count.
                let replies_only = dice.roll(2) == 0
                    && tweets.iter().any(|t| t.author == who && t.parent.is_some());
                let own: Vec<usize> = (0..tweets.len())
                    .filter(|&i| tweets[i].author == who)
                    .filter(|&i| !replies_only || tweets[i].parent.is_some())
                    .collect();
                if !own.is_empty() {
                    check = true;
                    let gone = tweets.remove(own[dice.roll(own.len())]).id;
                    let path = format!("/api/tweets/{gone}");
                    let answer = app.call(Method::DELETE, &path, Some(token)).await;
                    assert_eq!(answer.status, StatusCode::NO_CONTENT, "{}", answer.text);
                }
            }
            8 | 9 => {
                if !tweets.is_empty() {
                    let n = dice.roll(tweets.len());
                    let on = !tweets[n].likers[who];
                    let method = if on { Method::PUT } else { Method::DELETE };
                    let path = format!("/api/tweets/{}/like", tweets[n].id);
                    let answer = app.call(method, &path, Some(token)).await;
                    assert!(answer.status.is_success(), "{}", answer.text);
                    tweets[n].likers[who] = on;
                }
            }
            _ => {
                display[who] = format!("{} {step}", names[who]);
                let answer = app
                    .send(
                        app.request(Method::PATCH, "/api/me")
                            .bearer_auth(token)
                            .json(&serde_json::json!({"display_name": display[who]})),
                    )
                    .await;
                assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
            }
        }
        if !check {
            continue;
        }
        for viewer in 0..4 {
            // Newest first, as the model says.
            let expected: Vec<&Modelled> = tweets
                .iter()
                .rev()
                .filter(|t| t.author == viewer || follows[viewer][t.author])
                .collect();
            let limit = 1 + dice.roll(4);
            let token = &tokens[viewer];
            // The first page, in full: with the same limit every time, so it is built once and
            // served from memory until something on it, or for it, changes.
            let first = 2 + viewer;
            for _ in 0..2 {
                let answer = app
                    .get(&format!("/api/timelines/home?limit={first}"), Some(token))
                    .await;
                assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
                let page = answer.body["tweets"].as_array().unwrap();
                let want: Vec<serde_json::Value> = expected
                    .iter()
                    .take(first)
                    .map(|t| {
                        serde_json::json!({
                            "id": t.id,
                            "display_name": display[t.author],
                            "like_count": t.likers.iter().filter(|l| **l).count(),
                            "liked_by_me": t.likers[viewer],
                            "reply_count": tweets.iter().filter(|r| r.parent == Some(t.id)).count(),
                        })
                    })
                    .collect();
                let got: Vec<serde_json::Value> = page
                    .iter()
                    .map(|t| {
                        serde_json::json!({
                            "id": t["id"],
                            "display_name": t["author"]["display_name"],
                            "like_count": t["like_count"],
                            "liked_by_me": t["liked_by_me"],
                            "reply_count": t["reply_count"],
                        })
                    })
                    .collect();
                assert_eq!(got, want, "step {step}, viewer {viewer}: first page");
            }
            // Walk back from a random point, and forward from one.
            let expected: Vec<i64> = expected.iter().map(|t| t.id).collect();
            let newest = tweets.last().map_or(1, |t| t.id) + 1;
            let before = 1 + dice.roll(newest as usize) as i64;
            let want: Vec<i64> = expected
                .iter()
                .filter(|id| **id < before)
                .take(limit)
                .copied()
                .collect();
            let page = home_ids(app, token, &format!("?limit={limit}&before={before}")).await;
            assert_eq!(page, want, "step {step}, viewer {viewer}: before={before}");
            let after = dice.roll(newest as usize) as i64;
            let mut want: Vec<i64> = expected
                .iter()
                .rev()
                .filter(|id| **id > after)
                .take(limit)
                .copied()
                .collect();
            want.reverse();
            let page = home_ids(app, token, &format!("?limit={limit}&after={after}")).await;
            assert_eq!(page, want, "step {step}, viewer {viewer}: after={after}");
        }
    }
}
