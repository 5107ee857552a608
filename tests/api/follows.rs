//! Follows: idempotent follow and unfollow, the errors, exact counters under concurrency,
//! followers / following lists whose cursors never skip or repeat while others follow, and a
//! burst of mixed follows (stored in batches by the feed's follow writer) in which each
//! request gets its own answer and the counts, lists and notifications come out exact.

use std::collections::{BTreeSet, HashMap, HashSet};

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{Backend, TestApp, spawn_app_with};

crate::on_every_backend!(
    follow_and_unfollow_are_idempotent_and_counted,
    follow_errors,
    lists_show_profiles_most_recent_first_for_the_viewer,
    list_paging_errors,
    cursors_are_bound_to_their_list_and_cannot_be_forged
);

async fn follow(app: &TestApp, token: &str, name: &str, on: bool) -> crate::helpers::Answer {
    let method = if on { Method::PUT } else { Method::DELETE };
    app.call(method, &format!("/api/users/{name}/follow"), Some(token))
        .await
}

/// As `follow`, but sent again while the server answers 503 (its pool or SQLite's write
/// lock busy under a burst): what a client is told to do, and safe because it is idempotent.
async fn follow_until_answered(
    app: &TestApp,
    token: &str,
    name: &str,
    on: bool,
) -> crate::helpers::Answer {
    loop {
        let answer = follow(app, token, name, on).await;
        if answer.status != StatusCode::SERVICE_UNAVAILABLE {
            return answer;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

fn names(list: &Value) -> Vec<String> {
    list["users"]
        .as_array()
        .expect("users array")
        .iter()
        .map(|u| u["username"].as_str().unwrap().to_owned())
        .collect()
}

async fn follow_and_unfollow_are_idempotent_and_counted(app: &TestApp) {
    let (_, ann) = app.user("ann").await;
    let (_, ben) = app.user("ben").await;
    for _ in 0..2 {
        let answer = follow(app, &ann, "BEN", true).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
        assert_eq!(
            answer.body["username"], "ben",
            "the followed user's profile"
        );
        assert_eq!(answer.body["followers_count"], 1);
        assert_eq!(answer.body["followed_by_me"], true);
        assert_eq!(answer.body["follows_me"], false);
    }
    let ann_seen_by_ben = app.get("/api/users/ann", Some(&ben)).await;
    assert_eq!(ann_seen_by_ben.body["following_count"], 1);
    assert_eq!(ann_seen_by_ben.body["follows_me"], true);
    assert_eq!(ann_seen_by_ben.body["followed_by_me"], false);
    let anonymous = app.get("/api/users/ben", None).await;
    assert_eq!(anonymous.body["followed_by_me"], false);
    assert_eq!(anonymous.body["followers_count"], 1);

    for _ in 0..2 {
        let answer = follow(app, &ann, "ben", false).await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
        assert_eq!(answer.body["followers_count"], 0);
        assert_eq!(answer.body["followed_by_me"], false);
    }
    assert_eq!(
        app.get("/api/users/ann", None).await.body["following_count"],
        0
    );
}

async fn follow_errors(app: &TestApp) {
    let (_, cal) = app.user("cal").await;
    app.sign_up("dee").await;
    follow(app, &cal, "cal", true)
        .await
        .assert_error(400, "invalid_follow");
    follow(app, &cal, "CAL", false)
        .await
        .assert_error(400, "invalid_follow");
    follow(app, &cal, "nobody_here", true)
        .await
        .assert_error(404, "not_found");
    follow(app, &cal, "nobody_here", false)
        .await
        .assert_error(404, "not_found");
    follow(app, &cal, "not-a-name", true)
        .await
        .assert_error(404, "not_found");
    app.call(Method::PUT, "/api/users/dee/follow", None)
        .await
        .assert_error(401, "unauthorized");
    app.call(Method::DELETE, "/api/users/dee/follow", Some("nonsense"))
        .await
        .assert_error(401, "unauthorized");
    app.get("/api/users/dee/follow", Some(&cal))
        .await
        .assert_error(405, "method_not_allowed");
    assert_eq!(
        app.get("/api/users/dee", None).await.body["followers_count"],
        0
    );
}

async fn lists_show_profiles_most_recent_first_for_the_viewer(app: &TestApp) {
    let (_, eve) = app.user("eve").await;
    let (_, fay) = app.user("fay").await;
    let (_, gus) = app.user("gus").await;
    follow(app, &fay, "eve", true).await;
    follow(app, &gus, "eve", true).await;
    follow(app, &eve, "gus", true).await;
    follow(app, &eve, "fay", true).await;

    let followers = app.get("/api/users/eve/followers", Some(&gus)).await;
    assert_eq!(followers.status, StatusCode::OK, "{}", followers.text);
    assert_eq!(names(&followers.body), ["gus", "fay"]);
    assert_eq!(followers.body["next_cursor"], Value::Null);
    let gus_row = &followers.body["users"][0];
    assert_eq!(gus_row["followers_count"], 1);
    assert_eq!(gus_row["following_count"], 1);
    assert_eq!(gus_row["followed_by_me"], false, "gus looking at himself");
    let fay_row = &followers.body["users"][1];
    assert_eq!(fay_row["display_name"], "");
    assert_eq!(fay_row["followed_by_me"], false);

    let following = app.get("/api/users/EVE/following", Some(&fay)).await;
    assert_eq!(names(&following.body), ["fay", "gus"]);
    assert_eq!(following.body["users"][0]["follows_me"], false);
    assert_eq!(following.body["users"][1]["followed_by_me"], false);
    let as_fay = app.get("/api/users/fay/followers", Some(&fay)).await;
    assert_eq!(names(&as_fay.body), ["eve"]);
    assert_eq!(
        as_fay.body["users"][0]["follows_me"], true,
        "eve follows fay"
    );
    assert_eq!(
        as_fay.body["users"][0]["followed_by_me"], true,
        "fay follows eve"
    );

    // Unfollow and follow again: the follow is now the most recent.
    follow(app, &fay, "eve", false).await;
    follow(app, &fay, "eve", true).await;
    let again = app.get("/api/users/eve/followers", None).await;
    assert_eq!(names(&again.body), ["fay", "gus"]);
    assert_eq!(again.body["users"][0]["followed_by_me"], false, "anonymous");
    let empty = app.get("/api/users/fay/following", None).await;
    assert_eq!(names(&empty.body), ["eve"]);
    app.sign_up("hob").await;
    let nobody = app.get("/api/users/hob/followers", None).await;
    assert_eq!(nobody.body["users"], Value::Array(vec![]));
    assert_eq!(nobody.body["next_cursor"], Value::Null);
}

async fn list_paging_errors(app: &TestApp) {
    let (_, hal) = app.user("hal").await;
    app.sign_up("ivy").await;
    app.sign_up("jon").await;
    let (_, kim) = app.user("kim").await;
    follow(app, &hal, "ivy", true).await;
    follow(app, &kim, "ivy", true).await;
    let first = app.get("/api/users/ivy/followers?limit=1", None).await;
    assert_eq!(names(&first.body), ["kim"]);
    let cursor = first.body["next_cursor"].as_str().expect("a next cursor");
    let second = app
        .get(
            &format!("/api/users/ivy/followers?limit=1&cursor={cursor}"),
            None,
        )
        .await;
    assert_eq!(names(&second.body), ["hal"]);
    assert_eq!(
        second.body["next_cursor"],
        Value::Null,
        "exactly one page left"
    );
    for bad in ["zzz", "", "12", "%00", "AAAAAAAAAAA"] {
        app.get(&format!("/api/users/ivy/followers?cursor={bad}"), None)
            .await
            .assert_error(400, "invalid_cursor");
        app.get(&format!("/api/users/ivy/following?cursor={bad}"), None)
            .await
            .assert_error(400, "invalid_cursor");
    }
    for bad in ["0", "101", "x", "-3"] {
        app.get(&format!("/api/users/ivy/followers?limit={bad}"), None)
            .await
            .assert_error(400, "invalid_query");
    }
    let hundred = app.get("/api/users/ivy/following?limit=100", None).await;
    assert_eq!(hundred.status, StatusCode::OK);
    app.get("/api/users/nobody_here/followers", None)
        .await
        .assert_error(404, "not_found");
    app.get("/api/users/nobody_here/following", None)
        .await
        .assert_error(404, "not_found");
    app.get("/api/users/jon/following", None).await;
}

/// `n` signed-in users named `{prefix}00`…, signed up two at a time: password hashing is the
/// slow part, and a crowd of them at once can outwait the database pool (503).
async fn users(app: &TestApp, prefix: &str, n: usize) -> Vec<(String, String)> {
    use futures_util::StreamExt;
    futures_util::stream::iter((0..n).map(|i| async move {
        let name = format!("{prefix}{i:02}");
        let (_, token) = app.user(&name).await;
        (name, token)
    }))
    .buffered(2)
    .collect()
    .await
}

/// Many users follow and unfollow one account (and it follows them back) all at once, each
/// request sent several times concurrently: the counters equal the rows.
async fn counters_stay_exact_under_concurrent_follows(backend: Backend) {
    let app = spawn_app_with(backend, |c| c.limits.auth_rate_limit = 0).await;
    let app = &app;
    let (_, star) = app.user("star").await;
    let fans = users(app, "fan", 12).await;
    let star = &star;
    let mut follow_all = Vec::new();
    for (name, token) in &fans {
        for _ in 0..3 {
            follow_all.push(follow_until_answered(app, token, "star", true));
            follow_all.push(follow_until_answered(app, star, name, true));
        }
    }
    for answer in futures_util::future::join_all(follow_all).await {
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    }
    let profile = app.get("/api/users/star", None).await;
    assert_eq!(profile.body["followers_count"], 12);
    assert_eq!(profile.body["following_count"], 12);

    // Half of them unfollow (three times each, at once) while the rest follow again.
    let churn = fans.iter().enumerate().flat_map(|(i, (_, token))| {
        (0..3).map(move |_| follow_until_answered(app, token, "star", i % 2 == 1))
    });
    for answer in futures_util::future::join_all(churn).await {
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    }
    let profile = app.get("/api/users/star", None).await;
    assert_eq!(profile.body["followers_count"], 6);
    let listed = app.get("/api/users/star/followers?limit=100", None).await;
    assert_eq!(listed.body["users"].as_array().unwrap().len(), 6);
    for (i, (name, _)) in fans.iter().enumerate() {
        let fan = app.get(&format!("/api/users/{name}"), None).await;
        assert_eq!(fan.body["following_count"], i64::from(i % 2 == 1), "{name}");
        assert_eq!(fan.body["followers_count"], 1, "{name}");
    }
}

/// A client walks the followers list page by page while new follows keep arriving: it sees
/// everyone who followed before it started exactly once, in order, and no one twice.
async fn cursor_paging_never_skips_or_repeats_during_follows(backend: Backend) {
    let app = spawn_app_with(backend, |c| c.limits.auth_rate_limit = 0).await;
    let app = &app;
    app.sign_up("idol").await;
    let users = users(app, "u", 40).await;
    let (early, late) = users.split_at(25);
    for (_, token) in early {
        let answer = follow(app, token, "idol", true).await;
        assert_eq!(answer.status, StatusCode::OK);
    }
    let expected: Vec<String> = early.iter().rev().map(|(n, _)| n.clone()).collect();

    // The late ones follow concurrently with the walk, and one between every two pages.
    let walker = async {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        let mut late = late.iter();
        loop {
            let path = match &cursor {
                None => "/api/users/idol/followers?limit=4".to_owned(),
                Some(c) => format!("/api/users/idol/followers?limit=4&cursor={c}"),
            };
            let page = app.get(&path, None).await;
            assert_eq!(page.status, StatusCode::OK, "{}", page.text);
            seen.extend(names(&page.body));
            if let Some((_, token)) = late.next() {
                follow_until_answered(app, token, "idol", true).await;
            }
            match page.body["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => break,
            }
        }
        seen
    };
    let background = futures_util::future::join_all(
        late.iter()
            .map(|(_, token)| follow_until_answered(app, token, "idol", true)),
    );
    let (seen, _) = tokio::join!(walker, background);

    let unique: HashSet<&String> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "nobody twice: {seen:?}");
    let early_seen: Vec<String> = seen
        .iter()
        .filter(|n| expected.contains(n))
        .cloned()
        .collect();
    assert_eq!(
        early_seen, expected,
        "every earlier follower once, newest first"
    );
    let profile = app.get("/api/users/idol", None).await;
    assert_eq!(profile.body["followers_count"], 40);
}

/// Whom each of the `n` users `{prefix}00`… follows now, by the test's own account.
type Graph = HashMap<usize, BTreeSet<usize>>;

/// Send every `(user, followee name, on)` at once (503s sent again) and answer the statuses
/// in the same order.
async fn burst(
    app: &TestApp,
    tokens: &[String],
    requests: &[(usize, String, bool)],
) -> Vec<StatusCode> {
    let sent = requests
        .iter()
        .map(|(user, name, on)| follow_until_answered(app, &tokens[*user], name, *on));
    futures_util::future::join_all(sent)
        .await
        .into_iter()
        .map(|answer| answer.status)
        .collect()
}

/// Every user's counters, followers list and follow notifications match `graph`; `extra`
/// followers (name → count) are followers from outside the graph.
async fn assert_matches(
    app: &TestApp,
    names: &[String],
    tokens: &[String],
    graph: &Graph,
    notified: &Graph,
    extra: &HashMap<String, usize>,
) {
    for (i, name) in names.iter().enumerate() {
        let followers: BTreeSet<String> = graph
            .iter()
            .filter(|(_, followees)| followees.contains(&i))
            .map(|(f, _)| names[*f].clone())
            .collect();
        let outside = extra.get(name).copied().unwrap_or(0);
        let profile = app.get(&format!("/api/users/{name}"), None).await;
        assert_eq!(profile.body["following_count"], graph[&i].len(), "{name}");
        assert_eq!(
            profile.body["followers_count"],
            followers.len() + outside,
            "{name}"
        );
        let listed = app
            .get(&format!("/api/users/{name}/followers?limit=100"), None)
            .await;
        let listed: BTreeSet<String> = self::names(&listed.body).into_iter().collect();
        assert_eq!(listed.len(), followers.len() + outside, "{name}");
        assert!(listed.is_superset(&followers), "{name}: {listed:?}");
        // One `follow` notification per follower ever, whatever they did since.
        let answer = app
            .get("/api/notifications?limit=100", Some(&tokens[i]))
            .await;
        let mut actors: Vec<String> = answer.body["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["kind"] == "follow")
            .map(|n| n["actor"]["username"].as_str().unwrap().to_owned())
            .filter(|actor| names.contains(actor))
            .collect();
        actors.sort();
        let expected: Vec<String> = notified
            .iter()
            .filter(|(_, followees)| followees.contains(&i))
            .map(|(f, _)| names[*f].clone())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        assert_eq!(actors, expected, "{name}'s follow notifications");
    }
}

/// 16 users send 200 follow requests at once: new follows, the same follows again,
/// unfollows of nobody followed, unknown users, themselves, across a block, and one user far
/// over the rate limit. Each gets its own answer; then a second burst unfollows and follows
/// again. Counters, lists and notifications (once per follower, ever) come out exact.
async fn a_burst_of_mixed_follows_gets_each_its_own_answer(backend: Backend) {
    let app = spawn_app_with(backend, |c| {
        c.limits.rate_limits = chirp::config::Switch::On;
        (c.limits.auth_rate_limit, c.limits.signup_rate_limit) = (0, 0);
        c.limits.follow_rate_limit = 60;
    })
    .await;
    let app = &app;
    let n = 16;
    let (names, tokens): (Vec<String>, Vec<String>) = users(app, "b", n).await.into_iter().unzip();
    let (_, blocker) = app.user("blocker").await;
    let (_, blocked) = app.user("blocked").await;
    let (_, eager) = app.user("eager").await;
    let answer = app
        .call(Method::PUT, "/api/users/blocked/block", Some(&blocker))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    let mut tokens = tokens;
    let (blocker_at, blocked_at, eager_at) = (n, n + 1, n + 2);
    tokens.extend([blocker, blocked, eager]);

    let mut requests: Vec<(usize, String, bool, StatusCode)> = Vec::new();
    let mut graph: Graph = (0..n).map(|i| (i, BTreeSet::new())).collect();
    for i in 0..n {
        for k in 1..=8 {
            let j = (i + k) % n;
            graph.get_mut(&i).unwrap().insert(j);
            requests.push((i, names[j].clone(), true, StatusCode::OK));
        }
        for k in [1, 2] {
            requests.push((i, names[(i + k) % n].clone(), true, StatusCode::OK));
        }
        requests.push((i, names[(i + 12) % n].clone(), false, StatusCode::OK));
    }
    for (i, name) in names.iter().enumerate().take(8) {
        requests.push((i, format!("ghost{i}"), true, StatusCode::NOT_FOUND));
        requests.push((i, name.clone(), true, StatusCode::BAD_REQUEST));
        let (from, to) = if i % 2 == 0 {
            (blocker_at, "blocked")
        } else {
            (blocked_at, "blocker")
        };
        requests.push((from, to.to_owned(), true, StatusCode::FORBIDDEN));
    }
    assert_eq!(requests.len(), 200);
    // Far over the limit (60 a minute): some are refused, and refusing them fails no one else.
    let eager_requests = 80;
    let mut sent: Vec<(usize, String, bool)> = requests
        .iter()
        .map(|(u, name, on, _)| (*u, name.clone(), *on))
        .collect();
    sent.extend((0..eager_requests).map(|_| (eager_at, names[0].clone(), true)));
    let statuses = burst(app, &tokens, &sent).await;
    for ((user, name, on, want), got) in requests.iter().zip(&statuses) {
        assert_eq!(got, want, "user {user} → {name} ({on})");
    }
    let eager_statuses = &statuses[requests.len()..];
    assert!(
        eager_statuses
            .iter()
            .all(|s| [StatusCode::OK, StatusCode::TOO_MANY_REQUESTS].contains(s)),
        "{eager_statuses:?}"
    );
    assert!(eager_statuses.contains(&StatusCode::TOO_MANY_REQUESTS));
    assert!(eager_statuses.contains(&StatusCode::OK));
    let extra = HashMap::from([(names[0].clone(), 1)]);
    let mut notified = graph.clone();
    assert_matches(app, &names, &tokens, &graph, &notified, &extra).await;
    for who in ["blocker", "blocked"] {
        let profile = app.get(&format!("/api/users/{who}"), None).await;
        assert_eq!(profile.body["followers_count"], 0, "{who}");
        assert_eq!(profile.body["following_count"], 0, "{who}");
    }

    // Each unfollows four (one of them twice), follows one again and one new.
    let mut second = Vec::new();
    for i in 0..n {
        for k in 1..=4 {
            let j = (i + k) % n;
            graph.get_mut(&i).unwrap().remove(&j);
            second.push((i, names[j].clone(), false));
        }
        second.push((i, names[(i + 1) % n].clone(), false));
        second.push((i, names[(i + 5) % n].clone(), true));
        let new = (i + 9) % n;
        graph.get_mut(&i).unwrap().insert(new);
        notified.get_mut(&i).unwrap().insert(new);
        second.push((i, names[new].clone(), true));
    }
    for (status, (user, name, on)) in burst(app, &tokens, &second).await.iter().zip(&second) {
        assert_eq!(*status, StatusCode::OK, "user {user} → {name} ({on})");
    }
    assert_matches(app, &names, &tokens, &graph, &notified, &extra).await;
}

mod concurrency {
    use crate::helpers::Backend;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_a_burst_of_mixed_follows_gets_each_its_own_answer() {
        super::a_burst_of_mixed_follows_gets_each_its_own_answer(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_a_burst_of_mixed_follows_gets_each_its_own_answer() {
        super::a_burst_of_mixed_follows_gets_each_its_own_answer(Backend::Postgres).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_counters_stay_exact_under_concurrent_follows() {
        super::counters_stay_exact_under_concurrent_follows(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_counters_stay_exact_under_concurrent_follows() {
        super::counters_stay_exact_under_concurrent_follows(Backend::Postgres).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_cursor_paging_never_skips_or_repeats_during_follows() {
        super::cursor_paging_never_skips_or_repeats_during_follows(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres_cursor_paging_never_skips_or_repeats_during_follows() {
        super::cursor_paging_never_skips_or_repeats_during_follows(Backend::Postgres).await;
    }
}

/// A cursor was the base64 of a raw follow id: any value worked on any list. Now only a
/// cursor this list gave out pages it.
async fn cursors_are_bound_to_their_list_and_cannot_be_forged(app: &TestApp) {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    let (_, ivy) = app.user("ivy").await;
    for name in ["amy", "ben", "cat"] {
        let (_, token) = app.user(name).await;
        follow(app, &token, "ivy", true).await;
        follow(app, &ivy, name, true).await;
    }
    let first = app.get("/api/users/ivy/followers?limit=1", None).await;
    assert_eq!(names(&first.body), ["cat"]);
    let cursor = first.body["next_cursor"].as_str().expect("a next cursor");
    let next = app
        .get(
            &format!("/api/users/ivy/followers?limit=1&cursor={cursor}"),
            None,
        )
        .await;
    assert_eq!(names(&next.body), ["ben"], "a real cursor still pages");

    let mut tampered = URL_SAFE_NO_PAD.decode(cursor).unwrap();
    tampered[7] ^= 1;
    let mut retagged = URL_SAFE_NO_PAD.decode(cursor).unwrap();
    let last = retagged.len() - 1;
    retagged[last] ^= 1;
    let forged = [
        // What a cursor used to be: any follow id, in base64.
        URL_SAFE_NO_PAD.encode(i64::MAX.to_be_bytes()),
        URL_SAFE_NO_PAD.encode(2_i64.to_be_bytes()),
        URL_SAFE_NO_PAD.encode(tampered),
        URL_SAFE_NO_PAD.encode(retagged),
    ];
    for bad in &forged {
        app.get(&format!("/api/users/ivy/followers?cursor={bad}"), None)
            .await
            .assert_error(400, "invalid_cursor");
    }
    // Another list's cursor: the same user's other kind, and another user's same kind.
    app.get(&format!("/api/users/ivy/following?cursor={cursor}"), None)
        .await
        .assert_error(400, "invalid_cursor");
    app.get(&format!("/api/users/amy/followers?cursor={cursor}"), None)
        .await
        .assert_error(400, "invalid_cursor");
}
