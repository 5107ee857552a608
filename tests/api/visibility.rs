//! The visibility rule is written once in Rust (`chirp::domain::visibility`) and encoded
//! again in SQL for reads from the database: this model test proves they agree. Random
//! users, follows, blocks, mutes, tweets (some with one of two tags), replies and deletions;
//! then every list (everyone, home, each user's tweets, each live tweet's replies, each tag's
//! timeline, a search matching every tweet), as each user sees it and as an
//! anonymous visitor does, read through the API page by page (so a page cut before
//! filtering shows), and compared with the Rust rule applied to every live tweet.

use std::collections::HashSet;

use chirp::domain::visibility::{Facts, List, shows};
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{Dice, TestApp, spawn_app_with};

crate::on_every_backend!(
    every_list_shows_what_the_rule_says_read_from_the_database,
    every_list_shows_what_the_rule_says_with_home_pages_in_memory,
);

async fn every_list_shows_what_the_rule_says_read_from_the_database(app: &TestApp) {
    let plain = spawn_app_with(app.backend, |c| c.caches.home_cache_tweets = 0).await;
    lists_match_the_rule(&plain, 7).await;
}

async fn every_list_shows_what_the_rule_says_with_home_pages_in_memory(app: &TestApp) {
    lists_match_the_rule(app, 8).await;
}

/// A live tweet of the model.
struct Modelled {
    id: i64,
    facts: Facts,
    /// Which of the tags `t0`, `t1` it carries, if one.
    tag: Option<usize>,
}

async fn lists_match_the_rule(app: &TestApp, seed: u64) {
    let names = ["vic", "wes", "xia", "yul", "zed"];
    let mut users = Vec::new();
    for name in names {
        users.push(app.user(name).await);
    }
    let mut dice = Dice(seed);
    let mut tweets: Vec<Modelled> = Vec::new();
    let mut follows: HashSet<(i64, i64)> = HashSet::new();
    // (viewer, author) pairs: blocks (both ways are hidden) and mutes.
    let mut blocks: HashSet<(i64, i64)> = HashSet::new();
    let mut mutes: HashSet<(i64, i64)> = HashSet::new();
    for step in 0..120 {
        let who = dice.roll(users.len());
        let (me, token) = &users[who];
        let blocked = |a: i64, b: i64| blocks.contains(&(a, b)) || blocks.contains(&(b, a));
        match dice.roll(12) {
            0..=4 => {
                let parent = match (dice.roll(2), tweets.is_empty()) {
                    (0, false) => Some(tweets[dice.roll(tweets.len())].id),
                    _ => None,
                };
                let parent_author =
                    parent.map(|p| tweets.iter().find(|t| t.id == p).unwrap().facts.author);
                let tag = match dice.roll(3) {
                    2 => None,
                    k => Some(k),
                };
                let text = match tag {
                    Some(k) => format!("step {step} #T{k}"),
                    None => format!("step {step}"),
                };
                let body = json!({"text": text, "reply_to": parent});
                let answer = app.post("/api/tweets", body, Some(token)).await;
                if parent_author.is_some_and(|a| blocked(*me, a)) {
                    answer.assert_error(403, "blocked");
                    continue;
                }
                assert_eq!(answer.status, StatusCode::CREATED, "{}", answer.text);
                let id = answer.body["id"].as_i64().unwrap();
                let facts = Facts {
                    author: *me,
                    reply_to: parent,
                    reply_to_author: parent
                        .map(|p| tweets.iter().find(|t| t.id == p).unwrap().facts.author),
                };
                tweets.push(Modelled { id, facts, tag });
            }
            10 | 11 => {
                let (whom, _) = users[dice.roll(users.len())];
                let name = names[users.iter().position(|u| u.0 == whom).unwrap()];
                if whom != *me {
                    let (set, what) = if dice.roll(2) == 0 {
                        (&mut blocks, "block")
                    } else {
                        (&mut mutes, "mute")
                    };
                    let on = !set.contains(&(*me, whom));
                    let method = if on { Method::PUT } else { Method::DELETE };
                    let path = format!("/api/users/{name}/{what}");
                    let answer = app.call(method, &path, Some(token)).await;
                    assert!(answer.status.is_success(), "{}", answer.text);
                    if on {
                        set.insert((*me, whom));
                        if what == "block" {
                            follows.remove(&(*me, whom));
                            follows.remove(&(whom, *me));
                        }
                    } else {
                        set.remove(&(*me, whom));
                    }
                }
            }
            5..=7 => {
                let (whom, _) = users[dice.roll(users.len())];
                // While a block stands, a follow would be refused (and none exists).
                if whom != *me && !blocked(*me, whom) {
                    let on = !follows.contains(&(*me, whom));
                    let method = if on { Method::PUT } else { Method::DELETE };
                    let name = names[users.iter().position(|u| u.0 == whom).unwrap()];
                    let path = format!("/api/users/{name}/follow");
                    let answer = app.call(method, &path, Some(token)).await;
                    assert!(answer.status.is_success(), "{}", answer.text);
                    if on {
                        follows.insert((*me, whom));
                    } else {
                        follows.remove(&(*me, whom));
                    }
                }
            }
            _ => {
                let own: Vec<usize> = (0..tweets.len())
                    .filter(|&i| tweets[i].facts.author == *me)
                    .collect();
                if !own.is_empty() {
                    let gone = tweets.remove(own[dice.roll(own.len())]).id;
                    let path = format!("/api/tweets/{gone}");
                    let answer = app.call(Method::DELETE, &path, Some(token)).await;
                    assert_eq!(answer.status, StatusCode::NO_CONTENT, "{}", answer.text);
                }
            }
        }
        if step % 40 != 39 {
            continue;
        }
        let limit = 1 + dice.roll(4);
        // `viewer` 0 is an anonymous visitor, who hides nobody.
        let rule = |list: List, viewer: i64, tag: Option<usize>| -> Vec<i64> {
            let hides = |a: i64| {
                blocks.contains(&(viewer, a))
                    || blocks.contains(&(a, viewer))
                    || mutes.contains(&(viewer, a))
            };
            tweets
                .iter()
                .filter(|t| tag.is_none() || t.tag == tag)
                .filter(|t| shows(list, t.facts, |a| follows.contains(&(viewer, a)), hides))
                .map(|t| t.id)
                .collect()
        };
        let newest_first = |mut ids: Vec<i64>| {
            ids.reverse();
            ids
        };
        let viewers = std::iter::once((0, None))
            .chain(users.iter().map(|(id, token)| (*id, Some(token.as_str()))));
        for (viewer, token) in viewers {
            let everyone = walk_back(app, "/api/tweets", token, limit).await;
            let want = newest_first(rule(List::Everyone, viewer, None));
            assert_eq!(everyone, want, "step {step}: everyone as {viewer}");
            if let Some(token) = token {
                let home = walk_back(app, "/api/timelines/home", Some(token), limit).await;
                let want = newest_first(rule(List::Home(viewer), viewer, None));
                assert_eq!(home, want, "step {step}: {viewer}'s home");
            }
            for (i, (id, _)) in users.iter().enumerate() {
                let path = format!("/api/users/{}/tweets", names[i]);
                let theirs = walk_back(app, &path, token, limit).await;
                let want = newest_first(rule(List::User(*id), viewer, None));
                assert_eq!(
                    theirs, want,
                    "step {step}: {}'s tweets as {viewer}",
                    names[i]
                );
            }
            let found = walk_back(app, "/api/search?q=STE", token, limit).await;
            let want = newest_first(rule(List::Search, viewer, None));
            assert_eq!(found, want, "step {step}: search as {viewer}");
            for k in 0..2 {
                let want = newest_first(rule(List::Tag, viewer, Some(k)));
                let path = format!("/api/tags/t{k}/tweets");
                let tagged = walk_back(app, &path, token, limit).await;
                assert_eq!(tagged, want, "step {step}: #t{k} as {viewer}");
                let path = format!("/api/search?q=step%20%23t{k}");
                let found = walk_back(app, &path, token, limit).await;
                assert_eq!(found, want, "step {step}: search step #t{k} as {viewer}");
            }
            for parent in tweets.iter().map(|t| t.id) {
                let replies = walk_forward(app, parent, token, limit).await;
                let want = rule(List::Replies(parent), viewer, None);
                assert_eq!(
                    replies, want,
                    "step {step}: replies to {parent} as {viewer}"
                );
            }
        }
    }
}

/// Every id of a newest-first list, read `limit` at a time with `before=`.
async fn walk_back(app: &TestApp, path: &str, token: Option<&str>, limit: usize) -> Vec<i64> {
    let mut ids = Vec::new();
    let joiner = if path.contains('?') { '&' } else { '?' };
    let mut query = format!("{joiner}limit={limit}");
    loop {
        let page = app.ids_as(&format!("{path}{query}"), token).await;
        ids.extend(&page);
        match page.last() {
            Some(last) if page.len() == limit => {
                query = format!("{joiner}limit={limit}&before={last}")
            }
            _ => return ids,
        }
    }
}

/// Every id of a tweet's replies, oldest first, read `limit` at a time with `after=`.
async fn walk_forward(app: &TestApp, parent: i64, token: Option<&str>, limit: usize) -> Vec<i64> {
    let mut ids = Vec::new();
    let mut after = 0;
    loop {
        let path = format!("/api/tweets/{parent}/replies?limit={limit}&after={after}");
        let page = app.ids_as(&path, token).await;
        ids.extend(&page);
        match page.last() {
            Some(&last) if page.len() == limit => after = last,
            _ => return ids,
        }
    }
}
