//! Blocks, mutes, reports and moderation over the real API, on SQLite and PostgreSQL: every
//! bullet of the contract's "Roles and registrations", "Blocks and mutes" and "Reports and
//! moderation" that HTTP can show (the live ones are in tests/realtime and tests/cluster).

use chirp::domain::Role;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp};

crate::on_every_backend!(
    a_block_removes_follows_both_ways_and_refuses_follows_likes_and_replies,
    hidden_authors_leave_every_list_before_the_page_is_cut,
    profiles_say_who_blocks_and_mutes_whom,
    notifications_from_hidden_actors_leave_the_list_and_the_count,
    blocks_and_mutes_are_listed_most_recent_first_with_cursors,
    bad_blocks_mutes_and_reports_get_their_400s,
    a_report_notifies_every_moderator_and_is_resolved_once,
    suspension_is_a_sign_out_and_a_disappearance_undone_by_unsuspending,
    only_moderators_moderate_and_only_admins_set_roles,
    a_moderator_deletes_anyones_tweet_and_the_log_says_so,
    me_and_profiles_show_the_role_read_fresh,
);

async fn put(app: &TestApp, path: &str, token: &str) -> crate::helpers::Answer {
    app.call(Method::PUT, path, Some(token)).await
}

async fn profile(app: &TestApp, name: &str, token: Option<&str>) -> Value {
    let answer = app.get(&format!("/api/users/{name}"), token).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    answer.body
}

async fn a_block_removes_follows_both_ways_and_refuses_follows_likes_and_replies(app: &TestApp) {
    let (_, ann) = app.user("ann").await;
    let (_, bob) = app.user("bob").await;
    assert!(
        put(app, "/api/users/bob/follow", &ann)
            .await
            .status
            .is_success()
    );
    assert!(
        put(app, "/api/users/ann/follow", &bob)
            .await
            .status
            .is_success()
    );
    let bobs = app.tweet(&bob, "bob speaks").await;
    let answer = put(app, "/api/users/bob/block", &ann).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.body["blocked_by_me"], true);
    assert_eq!(answer.body["followed_by_me"], false);
    assert_eq!(answer.body["follows_me"], false);
    assert_eq!(answer.body["followers_count"], 0, "the counts move at once");
    assert_eq!(answer.body["following_count"], 0);
    // Idempotent.
    assert_eq!(
        put(app, "/api/users/bob/block", &ann).await.status,
        StatusCode::OK
    );
    // Neither can follow, like or reply to the other.
    put(app, "/api/users/ann/follow", &bob)
        .await
        .assert_error(403, "blocked");
    put(app, "/api/users/bob/follow", &ann)
        .await
        .assert_error(403, "blocked");
    let like = format!("/api/tweets/{}/like", bobs["id"]);
    put(app, &like, &ann).await.assert_error(403, "blocked");
    let reply = json!({"text": "hey", "reply_to": bobs["id"]});
    app.post("/api/tweets", reply, Some(&ann))
        .await
        .assert_error(403, "blocked");
    let anns = app.tweet(&ann, "ann speaks").await;
    let reply = json!({"text": "hey", "reply_to": anns["id"]});
    app.post("/api/tweets", reply, Some(&bob))
        .await
        .assert_error(403, "blocked");
    // Unblocking restores the lists, not the follows.
    let answer = app
        .call(Method::DELETE, "/api/users/bob/block", Some(&ann))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.body["blocked_by_me"], false);
    assert_eq!(answer.body["followed_by_me"], false);
    assert!(
        put(app, "/api/users/bob/follow", &ann)
            .await
            .status
            .is_success()
    );
    assert!(put(app, &like, &ann).await.status.is_success());
}

async fn hidden_authors_leave_every_list_before_the_page_is_cut(app: &TestApp) {
    let (_, viewer) = app.user("viewer").await;
    let (_, troll) = app.user("troll").await;
    let (_, pest) = app.user("pest").await;
    let (_, friend) = app.user("friend").await;
    for name in ["troll", "pest", "friend"] {
        assert!(
            put(app, &format!("/api/users/{name}/follow"), &viewer)
                .await
                .status
                .is_success()
        );
    }
    // The friend's tweets are buried under many of the troll's and the pest's.
    let first = app.tweet(&friend, "friend 1").await["id"].as_i64().unwrap();
    let trolls = app.tweet(&troll, "troll root").await;
    for i in 0..12 {
        app.tweet(&troll, &format!("troll {i}")).await;
        app.tweet(&pest, &format!("pest {i}")).await;
    }
    // The friend answers the troll: a thread with a hidden author.
    let reply = json!({"text": "friend answers troll", "reply_to": trolls["id"]});
    let answer = app.post("/api/tweets", reply, Some(&friend)).await;
    let friend_reply = answer.body["id"].as_i64().unwrap();
    let last = app.tweet(&friend, "friend 2").await["id"].as_i64().unwrap();
    assert_eq!(
        put(app, "/api/users/troll/block", &viewer).await.status,
        StatusCode::OK
    );
    let mute = app
        .send(
            app.request(Method::PUT, "/api/users/pest/mute")
                .bearer_auth(&viewer)
                .json(&json!({"notifications": false})),
        )
        .await;
    assert_eq!(mute.status, StatusCode::OK, "{}", mute.text);
    assert_eq!(mute.body["muted_by_me"], true);
    // A page of 2 is full: the hidden ones are left out before the page is cut.
    for path in ["/api/tweets?limit=2", "/api/timelines/home?limit=2"] {
        assert_eq!(
            app.ids_as(path, Some(&viewer)).await,
            [last, first],
            "{path}"
        );
    }
    // The thread shows on the friend's own page, not on the gathering lists.
    let friends = app.ids_as("/api/users/friend/tweets", Some(&viewer)).await;
    assert_eq!(friends, [last, friend_reply, first]);
    assert!(
        app.ids_as("/api/users/troll/tweets", Some(&viewer))
            .await
            .is_empty()
    );
    assert!(
        app.ids_as("/api/users/pest/tweets", Some(&viewer))
            .await
            .is_empty()
    );
    let replies = format!("/api/tweets/{}/replies", trolls["id"]);
    assert_eq!(app.ids_as(&replies, Some(&viewer)).await, [friend_reply]);
    // Paging forward (the banner's `after`) is filtered the same way.
    let after = format!("/api/tweets?limit=1&after={first}");
    assert_eq!(app.ids_as(&after, Some(&viewer)).await, [last]);
    // A tweet by id is not filtered; others still see everything.
    let one = app
        .get(&format!("/api/tweets/{}", trolls["id"]), Some(&viewer))
        .await;
    assert_eq!(one.status, StatusCode::OK);
    assert_eq!(app.ids_as("/api/tweets?limit=2", None).await.len(), 2);
    assert!(!app.ids_as("/api/users/troll/tweets", None).await.is_empty());
    // The blocked side sees nothing of the blocker either; the muted one notices nothing.
    let (_, viewer_tweet) = (0, app.tweet(&viewer, "viewer speaks").await);
    let troll_sees = app.ids_as("/api/tweets?limit=100", Some(&troll)).await;
    assert!(!troll_sees.contains(&viewer_tweet["id"].as_i64().unwrap()));
    let pest_sees = app.ids_as("/api/tweets?limit=100", Some(&pest)).await;
    assert!(pest_sees.contains(&viewer_tweet["id"].as_i64().unwrap()));
    assert_eq!(
        profile(app, "viewer", Some(&pest)).await["blocks_me"],
        false
    );
    // Unmuting brings the pest back.
    app.call(Method::DELETE, "/api/users/pest/mute", Some(&viewer))
        .await;
    let ids = app
        .ids_as("/api/users/pest/tweets?limit=5", Some(&viewer))
        .await;
    assert_eq!(ids.len(), 5);
}

async fn profiles_say_who_blocks_and_mutes_whom(app: &TestApp) {
    let (_, ann) = app.user("ann").await;
    let (_, bob) = app.user("bob").await;
    let anonymous = profile(app, "bob", None).await;
    for field in ["blocked_by_me", "blocks_me", "muted_by_me", "suspended"] {
        assert_eq!(anonymous[field], false, "{field}");
    }
    assert_eq!(anonymous["role"], "user");
    put(app, "/api/users/bob/block", &ann).await;
    put(app, "/api/users/bob/mute", &ann).await;
    let seen_by_ann = profile(app, "bob", Some(&ann)).await;
    assert_eq!(seen_by_ann["blocked_by_me"], true);
    assert_eq!(seen_by_ann["muted_by_me"], true);
    assert_eq!(seen_by_ann["blocks_me"], false);
    let seen_by_bob = profile(app, "ann", Some(&bob)).await;
    assert_eq!(seen_by_bob["blocks_me"], true);
    assert_eq!(seen_by_bob["muted_by_me"], false);
}

async fn notifications_from_hidden_actors_leave_the_list_and_the_count(app: &TestApp) {
    let (_, ann) = app.user("ann").await;
    let (_, bob) = app.user("bob").await;
    let (_, cat) = app.user("cat").await;
    let anns = app.tweet(&ann, "hello").await;
    put(app, &format!("/api/tweets/{}/like", anns["id"]), &bob).await;
    put(app, &format!("/api/tweets/{}/like", anns["id"]), &cat).await;
    let list = app.get("/api/notifications", Some(&ann)).await;
    assert_eq!(list.body["unread_count"], 2);
    put(app, "/api/users/bob/block", &ann).await;
    let list = app.get("/api/notifications", Some(&ann)).await;
    assert_eq!(list.body["unread_count"], 1, "{}", list.text);
    assert_eq!(list.body["notifications"][0]["actor"]["username"], "cat");
    // A mention by the blocked notifies nobody.
    app.tweet(&bob, "hey @ann").await;
    // A mute with notifications hides cat's; one without does not.
    app.send(
        app.request(Method::PUT, "/api/users/cat/mute")
            .bearer_auth(&ann)
            .json(&json!({"notifications": false})),
    )
    .await;
    app.tweet(&cat, "hey @ann").await;
    let list = app.get("/api/notifications", Some(&ann)).await;
    assert_eq!(list.body["unread_count"], 2, "{}", list.text);
    put(app, "/api/users/cat/mute", &ann).await;
    let list = app.get("/api/notifications", Some(&ann)).await;
    assert_eq!(list.body["unread_count"], 0, "{}", list.text);
    app.tweet(&cat, "again @ann").await;
    let list = app.get("/api/notifications", Some(&ann)).await;
    assert_eq!(list.body["unread_count"], 0, "{}", list.text);
    // Unmuting does not bring back what happened meanwhile.
    app.call(Method::DELETE, "/api/users/cat/mute", Some(&ann))
        .await;
    let list = app.get("/api/notifications", Some(&ann)).await;
    assert_eq!(list.body["notifications"].as_array().unwrap().len(), 0);
}

async fn blocks_and_mutes_are_listed_most_recent_first_with_cursors(app: &TestApp) {
    let (_, me) = app.user("me_me").await;
    for name in ["aa1", "aa2", "aa3"] {
        app.user(name).await;
        put(app, &format!("/api/users/{name}/block"), &me).await;
    }
    app.user("mm1").await;
    put(app, "/api/users/mm1/mute", &me).await;
    let first = app.get("/api/me/blocks?limit=2", Some(&me)).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let names: Vec<&str> = first.body["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["aa3", "aa2"]);
    let cursor = first.body["next_cursor"].as_str().unwrap();
    let rest = app
        .get(
            &format!("/api/me/blocks?limit=2&cursor={cursor}"),
            Some(&me),
        )
        .await;
    assert_eq!(rest.body["users"][0]["username"], "aa1");
    assert_eq!(rest.body["next_cursor"], Value::Null);
    // A blocks cursor is no good for mutes.
    app.get(&format!("/api/me/mutes?cursor={cursor}"), Some(&me))
        .await
        .assert_error(400, "invalid_cursor");
    let mutes = app.get("/api/me/mutes", Some(&me)).await;
    assert_eq!(mutes.body["users"][0]["username"], "mm1");
    app.get("/api/me/blocks", None)
        .await
        .assert_error(401, "unauthorized");
}

async fn bad_blocks_mutes_and_reports_get_their_400s(app: &TestApp) {
    let (_, me) = app.user("self_ish").await;
    let (_, other) = app.user("other").await;
    put(app, "/api/users/self_ish/block", &me)
        .await
        .assert_error(400, "invalid_block");
    put(app, "/api/users/self_ish/mute", &me)
        .await
        .assert_error(400, "invalid_mute");
    put(app, "/api/users/nobody_here/block", &me)
        .await
        .assert_error(404, "not_found");
    let bad_body = app
        .send(
            app.request(Method::PUT, "/api/users/other/mute")
                .bearer_auth(&me)
                .json(&json!({"notifications": "yes"})),
        )
        .await;
    bad_body.assert_error(400, "invalid_json");
    let others = app.tweet(&other, "mine").await["id"].as_i64().unwrap();
    let mine = app.tweet(&me, "mine too").await["id"].as_i64().unwrap();
    let report = |body: Value| app.post("/api/reports", body, Some(&me));
    let ok =
        json!({"username": "other", "tweet_ids": [others], "category": "spam", "reason": "ads"});
    let mut yourself = ok.clone();
    yourself["username"] = json!("self_ish");
    report(yourself).await.assert_error(400, "invalid_report");
    let mut not_theirs = ok.clone();
    not_theirs["tweet_ids"] = json!([others, mine]);
    let answer = report(not_theirs).await;
    answer.assert_error(400, "invalid_report");
    assert_eq!(answer.body["error"]["field"], "tweet_ids");
    let mut too_many = ok.clone();
    too_many["tweet_ids"] = json!((0..21).collect::<Vec<i64>>());
    let answer = report(too_many).await;
    answer.assert_error(400, "invalid_report");
    assert_eq!(answer.body["error"]["field"], "tweet_ids");
    let mut long = ok.clone();
    long["reason"] = json!("x".repeat(1001));
    let answer = report(long).await;
    answer.assert_error(400, "invalid_report");
    assert_eq!(answer.body["error"]["field"], "reason");
    let mut empty = ok.clone();
    empty["reason"] = json!("   ");
    report(empty).await.assert_error(400, "invalid_report");
    let mut category = ok.clone();
    category["category"] = json!("boring");
    report(category).await.assert_error(400, "invalid_report");
    let mut nobody = ok.clone();
    nobody["username"] = json!("nobody_here");
    report(nobody).await.assert_error(404, "not_found");
    let filed = report(ok).await;
    assert_eq!(filed.status, StatusCode::CREATED, "{}", filed.text);
    assert_eq!(filed.body["status"], "open");
    assert_eq!(filed.body["tweets"][0]["id"], others);
    assert_eq!(filed.body["reporter"]["username"], "self_ish");
}

async fn a_report_notifies_every_moderator_and_is_resolved_once(app: &TestApp) {
    let (_, mod1) = app.user("mod_one").await;
    let (_, mod2) = app.user("mod_two").await;
    let (_, reporter) = app.user("reporter").await;
    app.user("target").await;
    app.set_role("mod_one", Role::Moderator).await;
    app.set_role("mod_two", Role::Admin).await;
    // A moderator who blocks the reporter still hears of their reports.
    put(app, "/api/users/reporter/block", &mod2).await;
    let body = json!({"username": "target", "category": "abuse", "reason": "rude"});
    let filed = app.post("/api/reports", body, Some(&reporter)).await;
    assert_eq!(filed.status, StatusCode::CREATED, "{}", filed.text);
    let id = filed.body["id"].as_i64().unwrap();
    for token in [&mod1, &mod2] {
        let list = app.get("/api/notifications", Some(token)).await;
        let n = &list.body["notifications"][0];
        assert_eq!(n["kind"], "report", "{}", list.text);
        assert_eq!(n["report_id"], id);
        assert_eq!(n["tweet"], Value::Null);
        assert_eq!(n["actor"]["username"], "reporter");
    }
    let open = app.get("/api/admin/reports", Some(&mod1)).await;
    assert_eq!(open.status, StatusCode::OK, "{}", open.text);
    assert_eq!(open.body["reports"][0]["id"], id);
    let path = format!("/api/admin/reports/{id}/resolve");
    let resolved = app
        .post(&path, json!({"note": "warned"}), Some(&mod1))
        .await;
    assert_eq!(resolved.status, StatusCode::OK, "{}", resolved.text);
    assert_eq!(resolved.body["status"], "resolved");
    assert_eq!(resolved.body["note"], "warned");
    assert_eq!(resolved.body["resolved_by"]["username"], "mod_one");
    // Idempotent: the second resolve changes nothing and is not logged again.
    let again = app.post(&path, json!({"note": "other"}), Some(&mod2)).await;
    assert_eq!(again.body["note"], "warned");
    let open = app.get("/api/admin/reports", Some(&mod1)).await;
    assert!(open.body["reports"].as_array().unwrap().is_empty());
    let done = app
        .get("/api/admin/reports?status=resolved", Some(&mod1))
        .await;
    assert_eq!(done.body["reports"][0]["id"], id);
    app.get("/api/admin/reports?status=maybe", Some(&mod1))
        .await
        .assert_error(400, "invalid_query");
    app.post("/api/admin/reports/999999/resolve", json!({}), Some(&mod1))
        .await
        .assert_error(404, "not_found");
    let log = app.get("/api/admin/log", Some(&mod1)).await;
    let entries = log.body["entries"].as_array().unwrap();
    let resolves: Vec<&Value> = entries
        .iter()
        .filter(|e| e["action"] == "resolve_report")
        .collect();
    assert_eq!(resolves.len(), 1, "{}", log.text);
    assert_eq!(resolves[0]["target"]["username"], "target");
    assert_eq!(resolves[0]["note"], "warned");
    // The roles set from the shell are logged with no actor.
    assert!(
        entries
            .iter()
            .any(|e| e["action"] == "set_role" && e["actor"] == Value::Null)
    );
}

async fn suspension_is_a_sign_out_and_a_disappearance_undone_by_unsuspending(app: &TestApp) {
    let (_, moderator) = app.user("the_mod").await;
    let (_, fan) = app.user("fan").await;
    let (_, bad) = app.user("bad").await;
    app.set_role("the_mod", Role::Moderator).await;
    put(app, "/api/users/bad/follow", &fan).await;
    let tweet = app.tweet(&bad, "bad tweet").await["id"].as_i64().unwrap();
    let path = "/api/admin/users/bad/suspend";
    app.post(path, json!({"reason": ""}), Some(&moderator))
        .await
        .assert_error(400, "invalid_reason");
    let answer = app
        .post(path, json!({"reason": "spam"}), Some(&moderator))
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.body["suspended"], true);
    // Signed out everywhere; signing in is refused.
    app.get("/api/me", Some(&bad))
        .await
        .assert_error(401, "unauthorized");
    let sign_in = json!({"username": "bad", "password": PASSWORD});
    app.post("/api/sessions", sign_in.clone(), None)
        .await
        .assert_error(403, "suspended");
    // Gone for everyone but moderators, from every list.
    app.get("/api/users/bad", Some(&fan))
        .await
        .assert_error(404, "not_found");
    app.get("/api/users/bad", None)
        .await
        .assert_error(404, "not_found");
    app.get(&format!("/api/tweets/{tweet}"), None)
        .await
        .assert_error(404, "not_found");
    assert_eq!(
        profile(app, "bad", Some(&moderator)).await["suspended"],
        true
    );
    let seen = app
        .get(&format!("/api/tweets/{tweet}"), Some(&moderator))
        .await;
    assert_eq!(seen.status, StatusCode::OK);
    for path in ["/api/tweets", "/api/timelines/home"] {
        assert!(
            !app.ids_as(path, Some(&fan)).await.contains(&tweet),
            "{path}"
        );
    }
    assert!(!app.ids_as("/api/tweets", None).await.contains(&tweet));
    // Counts of others are unchanged.
    assert_eq!(profile(app, "fan", None).await["following_count"], 1);
    // Nobody suspends themselves.
    app.post(
        "/api/admin/users/the_mod/suspend",
        json!({"reason": "x"}),
        Some(&moderator),
    )
    .await
    .assert_error(400, "invalid_username");
    // Unsuspending brings it all back, but not the sessions.
    let answer = app
        .call(
            Method::POST,
            "/api/admin/users/bad/unsuspend",
            Some(&moderator),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.text);
    assert_eq!(answer.body["suspended"], false);
    app.get("/api/me", Some(&bad))
        .await
        .assert_error(401, "unauthorized");
    assert!(
        app.ids_as("/api/timelines/home", Some(&fan))
            .await
            .contains(&tweet)
    );
    assert!(app.ids_as("/api/tweets", None).await.contains(&tweet));
    assert_eq!(profile(app, "bad", None).await["suspended"], false);
    assert_eq!(
        app.post("/api/sessions", sign_in, None).await.status,
        StatusCode::OK
    );
    let log = app.get("/api/admin/log", Some(&moderator)).await;
    let actions: Vec<&str> = log.body["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(&actions[..2], ["unsuspend", "suspend"], "{}", log.text);
    assert_eq!(log.body["entries"][1]["note"], "spam");
}

async fn only_moderators_moderate_and_only_admins_set_roles(app: &TestApp) {
    let (_, plain) = app.user("plain").await;
    let (_, moderator) = app.user("moddy").await;
    let (_, admin) = app.user("admin_a").await;
    app.set_role("moddy", Role::Moderator).await;
    app.set_role("admin_a", Role::Admin).await;
    for path in ["/api/admin/reports", "/api/admin/log"] {
        app.get(path, Some(&plain))
            .await
            .assert_error(403, "forbidden");
        app.get(path, None).await.assert_error(401, "unauthorized");
    }
    app.post(
        "/api/admin/users/moddy/suspend",
        json!({"reason": "x"}),
        Some(&plain),
    )
    .await
    .assert_error(403, "forbidden");
    // A moderator cannot suspend an admin, nor set roles.
    app.post(
        "/api/admin/users/admin_a/suspend",
        json!({"reason": "x"}),
        Some(&moderator),
    )
    .await
    .assert_error(403, "forbidden");
    let role = |token: &str, body: Value| {
        app.send(
            app.request(Method::PUT, "/api/admin/users/plain/role")
                .bearer_auth(token)
                .json(&body),
        )
    };
    role(&moderator, json!({"role": "moderator"}))
        .await
        .assert_error(403, "forbidden");
    role(&admin, json!({"role": "god"}))
        .await
        .assert_error(400, "invalid_role");
    let made = role(&admin, json!({"role": "moderator"})).await;
    assert_eq!(made.status, StatusCode::OK, "{}", made.text);
    assert_eq!(made.body["role"], "moderator");
    // Counts at once: the new moderator may read reports.
    assert_eq!(
        app.get("/api/admin/reports", Some(&plain)).await.status,
        StatusCode::OK
    );
    app.post(
        "/api/admin/users/nobody_here/suspend",
        json!({"reason": "x"}),
        Some(&admin),
    )
    .await
    .assert_error(404, "not_found");
}

async fn a_moderator_deletes_anyones_tweet_and_the_log_says_so(app: &TestApp) {
    let (_, moderator) = app.user("deleter").await;
    let (_, author) = app.user("author").await;
    let (_, other) = app.user("someone").await;
    app.set_role("deleter", Role::Moderator).await;
    let id = app.tweet(&author, "delete me").await["id"]
        .as_i64()
        .unwrap();
    let path = format!("/api/tweets/{id}");
    app.call(Method::DELETE, &path, Some(&other))
        .await
        .assert_error(403, "forbidden");
    let answer = app.call(Method::DELETE, &path, Some(&moderator)).await;
    assert_eq!(answer.status, StatusCode::NO_CONTENT, "{}", answer.text);
    app.get(&path, None).await.assert_error(404, "not_found");
    let log = app.get("/api/admin/log", Some(&moderator)).await;
    let entry = &log.body["entries"][0];
    assert_eq!(entry["action"], "delete_tweet", "{}", log.text);
    assert_eq!(entry["target"]["username"], "author");
    assert_eq!(entry["actor"]["username"], "deleter");
}

async fn me_and_profiles_show_the_role_read_fresh(app: &TestApp) {
    let (_, token) = app.user("rising").await;
    let me = app.get("/api/me", Some(&token)).await;
    assert_eq!(me.body["role"], "user");
    app.set_role("rising", Role::Admin).await;
    let me = app.get("/api/me", Some(&token)).await;
    assert_eq!(
        me.body["role"], "admin",
        "read fresh, not from the session cache"
    );
    assert_eq!(profile(app, "rising", None).await["role"], "admin");
}
