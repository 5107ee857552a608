//! The few HTTP calls of Chirp's contract the load needs: sign up, sign in, post a tweet,
//! follow.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use serde::Deserialize;

pub const PASSWORD: &str = "loadgen password";

#[derive(Clone)]
pub struct Api {
    http: reqwest::Client,
    base: String,
}

/// A signed-in user.
#[derive(Clone, Debug)]
pub struct Author {
    pub id: i64,
    pub username: String,
    pub token: String,
}

#[derive(Deserialize)]
struct UserJson {
    id: i64,
    username: String,
}

#[derive(Deserialize)]
struct SessionJson {
    token: String,
    user: UserJson,
}

#[derive(Deserialize)]
struct TweetJson {
    id: i64,
}

impl Api {
    pub fn new(base: &str) -> Self {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(usize::MAX)
            .tcp_nodelay(true)
            .timeout(Duration::from_secs(60))
            .build()
            .expect("a plain HTTP client builds");
        Api {
            http,
            base: base.to_string(),
        }
    }

    async fn post_json(
        &self,
        path: &str,
        body: String,
        token: Option<&str>,
    ) -> anyhow::Result<(u16, String)> {
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/json")
            .body(body);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let res = req.send().await.with_context(|| format!("POST {path}"))?;
        let status = res.status().as_u16();
        Ok((status, res.text().await?))
    }

    /// Creates `username` (a 409 means it exists already) and signs in.
    pub async fn sign_up(&self, username: &str) -> anyhow::Result<Author> {
        let creds = serde_json::json!({ "username": username, "password": PASSWORD }).to_string();
        let (status, text) = self.post_json("/api/users", creds.clone(), None).await?;
        if status != 201 && status != 409 {
            bail!("sign-up {username}: {status} {text}");
        }
        let (status, text) = self.post_json("/api/sessions", creds, None).await?;
        if status != 200 {
            bail!("sign-in {username}: {status} {text}");
        }
        let s: SessionJson = serde_json::from_str(&text).context("sign-in answer")?;
        Ok(Author {
            id: s.user.id,
            username: s.user.username,
            token: s.token,
        })
    }

    /// Posts a tweet; its id.
    pub async fn post_tweet(&self, token: &str, text: &str) -> anyhow::Result<i64> {
        let body = serde_json::json!({ "text": text }).to_string();
        let (status, text) = self.post_json("/api/tweets", body, Some(token)).await?;
        if status != 201 {
            bail!("POST /api/tweets: {status} {text}");
        }
        Ok(serde_json::from_str::<TweetJson>(&text)
            .context("tweet answer")?
            .id)
    }

    /// Follows (`on`) or unfollows `username`; anything but a 200 is an error.
    pub async fn follow(&self, token: &str, username: &str, on: bool) -> anyhow::Result<()> {
        let url = format!("{}/api/users/{username}/follow", self.base);
        let req = if on {
            self.http.put(url)
        } else {
            self.http.delete(url)
        };
        let res = req
            .header("authorization", format!("Bearer {token}"))
            .send()
            .await
            .context("follow")?;
        let status = res.status().as_u16();
        let text = res.text().await?;
        if status != 200 {
            bail!("follow {username} ({on}): {status} {text}");
        }
        Ok(())
    }

    /// A cheap request that leaves a warm keep-alive connection in the pool.
    pub async fn warm(&self) -> anyhow::Result<()> {
        self.http
            .get(format!("{}/api/tweets?limit=1", self.base))
            .send()
            .await?
            .bytes()
            .await?;
        Ok(())
    }
}

/// A fresh username for this run: `lg` + 12 hex digits of the clock, with a prefix letter.
pub fn fresh_username(prefix: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mut name = format!("{prefix}{:012x}", (nanos / 1000) as u64 & 0xffff_ffff_ffff);
    name.truncate(20);
    name
}
