//! Hashtags and search, on both databases with the same expectations (one conformance suite):
//! tags on tweets, a tag's timeline, trending, tweet search (words ignoring case and accents,
//! the last word as a prefix, `#tag`, `from:`), people search, and what the visibility rule
//! leaves out — each found the moment its POST answered and never after its deletion.

use std::time::{Duration, Instant};

use chirp::domain::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp};

crate::on_every_backend!(
    tweets_carry_their_tags_and_a_tag_lists_its_tweets,
    search_matches_words_ignoring_case_and_accents_with_a_prefix_last,
    search_operators_narrow_by_tag_and_author,
    search_and_tag_pages_walk_every_match_once,
    a_tweet_is_found_from_its_post_until_its_deletion,
    hidden_authors_and_their_threads_are_left_out_before_the_page_is_cut,
    people_search_by_name_prefix_most_followed_first,
    trending_counts_people_and_tweets_of_the_last_day,
    bad_queries_are_400s,
    tweets_stored_before_search_are_indexed_after_an_upgrade,
    the_server_moves_new_words_into_the_index,
);

async fn put(app: &TestApp, path: &str, token: &str) {
    let answer = app.call(Method::PUT, path, Some(token)).await;
    assert!(answer.status.is_success(), "{path}: {}", answer.text);
}

fn id(tweet: &Value) -> i64 {
    tweet["id"].as_i64().unwrap()
}

/// Ids found by `q` (URL-encoded here), as `token`'s user or anonymously.
async fn found(app: &TestApp, q: &str, token: Option<&str>) -> Vec<i64> {
    let q: String = url_encode(q);
    app.ids_as(&format!("/api/search?q={q}"), token).await
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn tweets_carry_their_tags_and_a_tag_lists_its_tweets(app: &TestApp) {
    let (_, ann) = app.user("ann").await;
    let t1 = app.tweet(&ann, "#Rust and #tokio, again #RUST").await;
    assert_eq!(t1["tags"], json!(["rust", "tokio"]));
    let t2 = app.tweet(&ann, "Un #Café, un #cafe\u{301}, un #cafe").await;
    assert_eq!(
        t2["tags"],
        json!(["café", "cafe"]),
        "accents kept, forms folded"
    );
    let t3 = app.tweet(&ann, "no tags: a#b it&#39;s #123 #").await;
    assert_eq!(t3["tags"], json!([]));
    // Every read shows the tags as stored.
    let one = app.get(&format!("/api/tweets/{}", id(&t1)), None).await;
    assert_eq!(one.body["tags"], json!(["rust", "tokio"]));
    let everyone = app.get("/api/tweets", Some(&ann)).await;
    assert_eq!(everyone.body["tweets"][2]["tags"], json!(["rust", "tokio"]));
    // A tag's timeline, by any spelling of its name.
    for name in ["rust", "RUST", "%23rust", "%23Rust"] {
        assert_eq!(
            app.ids(&format!("/api/tags/{name}/tweets")).await,
            [id(&t1)],
            "{name}"
        );
    }
    assert_eq!(
        app.ids(&format!("/api/tags/{}/tweets", url_encode("CAFÉ")))
            .await,
        [id(&t2)]
    );
    assert_eq!(app.ids("/api/tags/cafe/tweets").await, [id(&t2)]);
    assert!(app.ids("/api/tags/python/tweets").await.is_empty());
}

async fn search_matches_words_ignoring_case_and_accents_with_a_prefix_last(app: &TestApp) {
    let (_, ann) = app.user("ann").await;
    let cafe = id(&app.tweet(&ann, "Un Café crème, s'il vous plaît").await);
    let rust = id(&app.tweet(&ann, "rust is FUN").await);
    let trust = id(&app.tweet(&ann, "In trust we rust-proof").await);
    let greek = id(&app.tweet(&ann, "Καλημέρα κόσμε").await);
    assert_eq!(found(app, "cafe", None).await, [cafe]);
    assert_eq!(found(app, "CAFÉ CREME", None).await, [cafe]);
    assert_eq!(found(app, "plait", None).await, [cafe]);
    assert_eq!(found(app, "rust", None).await, [trust, rust]);
    // The last word is also a prefix; others are whole words.
    assert_eq!(found(app, "ru", None).await, [trust, rust]);
    assert_eq!(found(app, "fun ru", None).await, [rust]);
    assert_eq!(found(app, "ru fun", None).await, Vec::<i64>::new());
    // A word matches as a word, not inside one.
    assert_eq!(found(app, "ust", None).await, Vec::<i64>::new());
    assert_eq!(found(app, "trust", None).await, [trust]);
    assert_eq!(found(app, "καλημερα", None).await, [greek]);
    // Every word must occur.
    assert_eq!(found(app, "rust proof", None).await, [trust]);
    assert_eq!(found(app, "rust cafe", None).await, Vec::<i64>::new());
    // Only punctuation names nothing: nothing is found.
    assert_eq!(found(app, "!!!", None).await, Vec::<i64>::new());
}

async fn search_operators_narrow_by_tag_and_author(app: &TestApp) {
    let (_, ann) = app.user("ann").await;
    let (_, bob) = app.user("bob").await;
    let a1 = id(&app.tweet(&ann, "learning #Rust today").await);
    let b1 = id(&app.tweet(&bob, "rust without the tag").await);
    let b2 = id(&app.tweet(&bob, "#rust and #go, today").await);
    assert_eq!(found(app, "#rust", None).await, [b2, a1]);
    assert_eq!(found(app, "#RUST #go", None).await, [b2]);
    assert_eq!(
        found(app, "rust", None).await,
        [b2, b1, a1],
        "words see the tag's text"
    );
    assert_eq!(found(app, "#rust today", None).await, [b2, a1]);
    assert_eq!(found(app, "from:bob", None).await, [b2, b1]);
    assert_eq!(found(app, "from:BOB #rust", None).await, [b2]);
    assert_eq!(found(app, "from:ann rust", None).await, [a1]);
    assert_eq!(
        found(app, "from:nobody rust", None).await,
        Vec::<i64>::new()
    );
    assert_eq!(
        found(app, "from:ann from:bob", None).await,
        Vec::<i64>::new()
    );
}

async fn search_and_tag_pages_walk_every_match_once(app: &TestApp) {
    let (_, ann) = app.user("ann").await;
    let mut want: Vec<i64> = Vec::new();
    for i in 0..7 {
        want.push(id(&app.tweet(&ann, &format!("page {i} #paged")).await));
        app.tweet(&ann, &format!("filler {i}")).await;
    }
    want.reverse();
    for base in [
        "/api/search?q=page&limit=3",
        "/api/tags/paged/tweets?limit=3",
    ] {
        let mut got: Vec<i64> = Vec::new();
        let mut path = base.to_owned();
        loop {
            let page = app.ids(&path).await;
            got.extend(&page);
            match page.last() {
                Some(last) if page.len() == 3 => path = format!("{base}&before={last}"),
                _ => break,
            }
        }
        assert_eq!(got, want, "{base}");
    }
    // A tag's timeline also pages forward, as /api/tweets does.
    let after = app
        .ids(&format!("/api/tags/paged/tweets?after={}&limit=2", want[3]))
        .await;
    assert_eq!(after, [want[1], want[2]]);
}

async fn a_tweet_is_found_from_its_post_until_its_deletion(app: &TestApp) {
    let (_, ann) = app.user("ann").await;
    for i in 0..20 {
        let tweet = id(&app.tweet(&ann, &format!("instant{i} #now{i}")).await);
        // No wait: the answer to the POST means it is indexed.
        assert_eq!(found(app, &format!("instant{i}"), None).await, [tweet]);
        assert_eq!(app.ids(&format!("/api/tags/now{i}/tweets")).await, [tweet]);
        let gone = app
            .call(Method::DELETE, &format!("/api/tweets/{tweet}"), Some(&ann))
            .await;
        assert_eq!(gone.status, StatusCode::NO_CONTENT, "{}", gone.text);
        assert!(found(app, &format!("instant{i}"), None).await.is_empty());
        assert!(
            app.ids(&format!("/api/tags/now{i}/tweets"))
                .await
                .is_empty()
        );
    }
}

async fn hidden_authors_and_their_threads_are_left_out_before_the_page_is_cut(app: &TestApp) {
    let (_, ann) = app.user("ann").await;
    let (_, bob) = app.user("bob").await;
    let (_, cat) = app.user("cat").await;
    let (_, moderator) = app.user("the_mod").await;
    app.set_role("the_mod", Role::Moderator).await;
    let visible: Vec<i64> = [
        app.tweet(&cat, "zebra one #zoo").await,
        app.tweet(&cat, "zebra two #zoo").await,
    ]
    .iter()
    .map(id)
    .collect();
    // Newer matches by bob, and a reply to bob by cat.
    let by_bob = id(&app.tweet(&bob, "zebra bob #zoo").await);
    for i in 0..4 {
        app.tweet(&bob, &format!("zebra bob {i} #zoo")).await;
    }
    let reply = app
        .post(
            "/api/tweets",
            json!({"text": "zebra reply #zoo", "reply_to": by_bob}),
            Some(&cat),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let reply = id(&reply.body);
    put(app, "/api/users/bob/mute", &ann).await;
    let want = [visible[1], visible[0]];
    // Five newer hidden matches do not cut the page short.
    assert_eq!(
        app.ids_as("/api/search?q=zebra&limit=2", Some(&ann)).await,
        want
    );
    assert_eq!(
        app.ids_as("/api/tags/zoo/tweets?limit=2", Some(&ann)).await,
        want
    );
    assert_eq!(found(app, "zebra", None).await.len(), 8, "anonymous: all");
    // A block hides both ways: blocked by bob, ann still does not see him once unmuted.
    put(app, "/api/users/ann/block", &bob).await;
    let unmute = app
        .call(Method::DELETE, "/api/users/bob/mute", Some(&ann))
        .await;
    assert!(unmute.status.is_success(), "{}", unmute.text);
    assert_eq!(
        app.ids_as("/api/search?q=zebra&limit=2", Some(&ann)).await,
        want,
        "blocked by bob: still hidden"
    );
    // A suspended author's tweets leave search for everyone.
    app.suspend("bob", &moderator).await;
    let anonymous = found(app, "zebra", None).await;
    assert_eq!(
        anonymous.len(),
        2,
        "cat's two; the reply to bob left out too"
    );
    assert_eq!(app.ids("/api/tags/zoo/tweets").await, want);
    // As everyone's timeline does, for everyone (it gathers many authors too).
    for token in [None, Some(ann.as_str())] {
        let everyone = app.ids_as("/api/tweets?limit=100", token).await;
        assert!(!everyone.contains(&reply) && everyone.contains(&visible[0]));
        let home_of_cat = app.ids_as("/api/tweets?before=999999999", token).await;
        assert!(!home_of_cat.contains(&reply));
    }
}

async fn people_search_by_name_prefix_most_followed_first(app: &TestApp) {
    let (_, ann) = app.user("ann").await;
    let (_, _elodie) = app.user("elodie").await;
    let (_, el_fan) = app.user("el_fan").await;
    let (_, bob) = app.user("bob").await;
    let (_, moderator) = app.user("the_mod").await;
    app.set_role("the_mod", Role::Moderator).await;
    let rename = app
        .send(
            app.request(Method::PATCH, "/api/me")
                .bearer_auth(&bob)
                .json(&json!({"display_name": "Élise Bobbins"})),
        )
        .await;
    assert_eq!(rename.status, StatusCode::OK, "{}", rename.text);
    put(app, "/api/users/elodie/follow", &ann).await;
    put(app, "/api/users/elodie/follow", &el_fan).await;
    put(app, "/api/users/el_fan/follow", &ann).await;
    let names = |answer: crate::helpers::Answer| -> Vec<String> {
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
        answer.body["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["username"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        names(app.get("/api/search?q=EL&type=users", None).await),
        ["elodie", "el_fan"]
    );
    // Display names count, ignoring case beyond ASCII.
    assert_eq!(
        names(
            app.get(
                &format!("/api/search?q={}&type=users", url_encode("éli")),
                None
            )
            .await
        ),
        ["bob"]
    );
    // `_` is no wildcard.
    assert_eq!(
        names(app.get("/api/search?q=el_&type=users", None).await),
        ["el_fan"]
    );
    // Blocked accounts are listed, with the profile's booleans; suspended ones only to
    // moderators.
    put(app, "/api/users/elodie/block", &ann).await;
    let answer = app.get("/api/search?q=elo&type=users", Some(&ann)).await;
    assert_eq!(
        answer.body["users"][0]["blocked_by_me"], true,
        "{}",
        answer.text
    );
    app.suspend("elodie", &moderator).await;
    assert_eq!(
        names(app.get("/api/search?q=el&type=users", Some(&ann)).await),
        ["el_fan"]
    );
    assert_eq!(
        names(
            app.get("/api/search?q=el&type=users", Some(&moderator))
                .await
        ),
        ["elodie", "el_fan"]
    );
    assert_eq!(
        names(app.get("/api/search?q=el&type=users&limit=1", None).await),
        ["el_fan"]
    );
}

async fn trending_counts_people_and_tweets_of_the_last_day(app: &TestApp) {
    let (_, ann) = app.user("ann").await;
    let (_, bob) = app.user("bob").await;
    let (_, moderator) = app.user("the_mod").await;
    app.set_role("the_mod", Role::Moderator).await;
    let trending = || async {
        let answer = app.get("/api/tags/trending", None).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
        answer.body["tags"].clone()
    };
    assert_eq!(trending().await, json!([]));
    app.tweet(&ann, "#solo #solo2").await;
    app.tweet(&ann, "#solo again").await;
    app.tweet(&ann, "#shared").await;
    let gone = id(&app.tweet(&bob, "#shared #solo2").await);
    assert_eq!(
        trending().await,
        json!([
            {"name": "shared", "tweets": 2, "people": 2},
            {"name": "solo2", "tweets": 2, "people": 2},
            {"name": "solo", "tweets": 2, "people": 1},
        ])
    );
    app.call(Method::DELETE, &format!("/api/tweets/{gone}"), Some(&bob))
        .await;
    assert_eq!(
        trending().await,
        json!([
            {"name": "solo", "tweets": 2, "people": 1},
            {"name": "shared", "tweets": 1, "people": 1},
            {"name": "solo2", "tweets": 1, "people": 1},
        ])
    );
    // A suspended account's tweets stop counting.
    app.tweet(&bob, "#bobs").await;
    app.suspend("ann", &moderator).await;
    assert_eq!(
        trending().await,
        json!([{"name": "bobs", "tweets": 1, "people": 1}])
    );
    // At most ten.
    for i in 0..12 {
        app.tweet(&bob, &format!("#many{i:02}")).await;
    }
    assert_eq!(trending().await.as_array().unwrap().len(), 10);
}

async fn bad_queries_are_400s(app: &TestApp) {
    for path in [
        "/api/search",
        "/api/search?q=",
        "/api/search?q=%20%20",
        "/api/search?q=rust&type=posts",
        "/api/search?q=rust&limit=0",
        "/api/search?q=rust&before=x",
        "/api/search?q=rust&type=users&before=5",
        "/api/search?q=a%00b&type=users",
        "/api/search?q=a%00b",
        "/api/tags/123/tweets",
        "/api/tags/a%20b/tweets",
        "/api/tags/rust/tweets?limit=101",
    ] {
        app.get(path, None).await.assert_error(400, "invalid_query");
    }
    let long = "a".repeat(201);
    app.get(&format!("/api/search?q={long}"), None)
        .await
        .assert_error(400, "invalid_query");
    let just_right = "a".repeat(200);
    let answer = app.get(&format!("/api/search?q={just_right}"), None).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
}

/// Run `sql` on the app's database (each statement separately).
async fn run_sql(app: &TestApp, statements: &[&str]) {
    use sqlx::Connection;
    match app.backend {
        Backend::Sqlite => {
            let mut conn = sqlx::SqliteConnection::connect(app.database_url())
                .await
                .unwrap();
            for s in statements {
                sqlx::query(s).execute(&mut conn).await.unwrap();
            }
        }
        Backend::Postgres => {
            let mut conn = sqlx::PgConnection::connect(app.database_url())
                .await
                .unwrap();
            for s in statements {
                sqlx::query(s).execute(&mut conn).await.unwrap();
            }
        }
    }
}

async fn tweets_stored_before_search_are_indexed_after_an_upgrade(app: &TestApp) {
    let mut app = crate::helpers::spawn_app(app.backend).await;
    let (_, ann) = app.user("ann").await;
    let mut old = Vec::new();
    for i in 0..12 {
        old.push(id(&app.tweet(&ann, &format!("legacy {i} #Old")).await));
    }
    old.reverse();
    // As a database from before search: no tags, no words, and the backfill to do.
    let unindex = match app.backend {
        Backend::Sqlite => ["DELETE FROM tweet_words", "DELETE FROM tweet_words_pending"],
        Backend::Postgres => ["UPDATE tweets SET search = NULL", "SELECT 1"],
    };
    run_sql(
        &app,
        &[
            unindex[0],
            unindex[1],
            "DELETE FROM tweet_tags",
            "UPDATE tweets SET tags_json = '[]'",
            "UPDATE search_backfill SET upto = (SELECT MAX(id) FROM tweets)",
        ],
    )
    .await;
    assert!(found(&app, "legacy", None).await.is_empty());
    app.restart().await;
    let started = Instant::now();
    while found(&app, "legacy", None).await.len() < old.len() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "backfill never finished"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(found(&app, "legacy", None).await, old);
    assert_eq!(app.ids("/api/tags/old/tweets").await, old);
    let one = app.get(&format!("/api/tweets/{}", old[0]), None).await;
    assert_eq!(one.body["tags"], json!(["old"]));
}

/// SQLite: a running server moves new tweets' words from `tweet_words_pending` into the FTS5
/// index by itself, and they are found the same way before and after (the two parts are
/// checked directly in `search_store`). PostgreSQL has no pending words.
async fn the_server_moves_new_words_into_the_index(app: &TestApp) {
    let (_, ann) = app.user("ann").await;
    let posted = id(&app.tweet(&ann, "moving along").await);
    assert_eq!(found(app, "moving", None).await, [posted]);
    if app.backend != Backend::Sqlite {
        return;
    }
    use sqlx::Connection;
    let mut conn = sqlx::SqliteConnection::connect(app.database_url())
        .await
        .unwrap();
    let count = |sql: &'static str| sqlx::query_scalar::<_, i64>(sql);
    let started = Instant::now();
    while count("SELECT COUNT(*) FROM tweet_words_pending")
        .fetch_one(&mut conn)
        .await
        .unwrap()
        > 0
    {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the words never moved"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let indexed = count("SELECT COUNT(*) FROM tweet_words WHERE tweet_words MATCH '\"moving\"'")
        .fetch_one(&mut conn)
        .await
        .unwrap();
    assert_eq!(indexed, 1);
    assert_eq!(found(app, "moving", None).await, [posted]);
    assert_eq!(found(app, "mov", None).await, [posted]);
}
