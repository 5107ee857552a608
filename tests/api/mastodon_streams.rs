//! Mastodon streams keep Chirp's rules over real SSE: a reply to a suspended account stays off
//! the `public` and `hashtag` streams (as it stays off Chirp's own gathering timelines), on
//! both databases.

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::TestApp;

crate::on_every_backend!(replies_to_a_suspended_account_stay_off_public_streams,);

/// An open SSE response and what has been read of it but not yet split into events.
struct Sse {
    body: futures_util::stream::BoxStream<'static, reqwest::Result<bytes::Bytes>>,
    buffer: String,
}

impl Sse {
    async fn open(app: &TestApp, path: &str) -> Self {
        let response = app
            .client
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        Self {
            body: response.bytes_stream().boxed(),
            buffer: String::new(),
        }
    }

    /// The next event's `(event, data)`, skipping comments.
    async fn next(&mut self) -> (String, String) {
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                let field = |name: &str| {
                    block
                        .lines()
                        .find_map(|l| l.strip_prefix(name))
                        .map(str::to_owned)
                };
                if let (Some(event), Some(data)) = (field("event: "), field("data: ")) {
                    return (event, data);
                }
                continue;
            }
            let chunk = tokio::time::timeout(Duration::from_secs(10), self.body.next())
                .await
                .expect("an SSE event within 10 s")
                .expect("the stream stays open")
                .unwrap();
            self.buffer.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// The ids of the statuses streamed until the one with `last` (included).
    async fn updates_until(&mut self, last: &str) -> Vec<String> {
        let mut ids = Vec::new();
        loop {
            let (event, data) = self.next().await;
            if event != "update" {
                continue;
            }
            let status: Value = serde_json::from_str(&data).unwrap();
            let id = status["id"].as_str().unwrap().to_owned();
            ids.push(id.clone());
            if id == last {
                return ids;
            }
        }
    }
}

async fn replies_to_a_suspended_account_stay_off_public_streams(app: &TestApp) {
    let (_, cyd) = app.user("cyd").await;
    let (_, bob) = app.user("bob").await;
    app.sign_up("mod").await;
    app.set_role("mod", chirp::domain::Role::Moderator).await;
    let moderator = app.sign_in("mod").await;
    let parent = app.tweet(&cyd, "to be answered #topic").await;
    let mut public = Sse::open(app, "/api/v1/streaming/public").await;
    let mut tag = Sse::open(app, "/api/v1/streaming/hashtag?tag=topic").await;
    // Both streams are registered once they hear a status posted after they opened.
    let first = app.tweet(&bob, "before #topic").await["id"].to_string();
    assert_eq!(
        public.updates_until(&first).await,
        std::slice::from_ref(&first)
    );
    assert_eq!(
        tag.updates_until(&first).await,
        std::slice::from_ref(&first)
    );

    app.suspend("cyd", &moderator).await;
    let reply = app
        .post(
            "/api/tweets",
            json!({"text": "an answer #topic", "reply_to": parent["id"]}),
            Some(&bob),
        )
        .await;
    assert_eq!(reply.status, StatusCode::CREATED, "{}", reply.text);
    let last = app.tweet(&bob, "after #topic").await["id"].to_string();
    // Statuses reach a stream in order: had the reply been sent, it would come before `last`.
    assert_eq!(
        public.updates_until(&last).await,
        std::slice::from_ref(&last)
    );
    assert_eq!(tag.updates_until(&last).await, std::slice::from_ref(&last));
}
