//! Chirp's records as Mastodon's entities (docs.joinmastodon.org, 4.3): `Account`,
//! `Status`, `Notification`, `Relationship`. Ids are strings, times ISO 8601, and every
//! array the documentation lists is present (empty where Chirp has nothing to put).
//! Statuses embed their author's whole account, so a page's authors are read once each
//! (`Accounts`), not once per status.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::content;
use super::error::MastoError;
use super::state::MastodonState;
use crate::domain::{Attachment, Notification, NotificationKind, Profile, Tweet, format_time};

/// The version this API answers as (Mastodon.py reads it up to the first space).
pub const VERSION: &str = concat!("4.3.0 (compatible; Chirp ", env!("CARGO_PKG_VERSION"), ")");

/// An account as Mastodon's `Account` entity.
pub fn account(profile: &Profile, base: &str) -> Value {
    let user = &profile.user;
    let name = &user.username;
    let avatar = format!("{base}/static/favicon.svg");
    json!({
        "id": user.id.to_string(),
        "username": name,
        "acct": name,
        "display_name": profile.display_name,
        "locked": false,
        "bot": false,
        "discoverable": true,
        "indexable": false,
        "group": false,
        "created_at": format_time(user.created_at),
        "note": content::to_html(&profile.bio, &[], &[], base),
        "url": format!("{base}/users/{name}"),
        "uri": format!("{base}/users/{name}"),
        "avatar": avatar,
        "avatar_static": avatar,
        "header": "",
        "header_static": "",
        "followers_count": profile.followers_count,
        "following_count": profile.following_count,
        "statuses_count": profile.tweet_count,
        "last_status_at": null,
        "hide_collections": false,
        "noindex": false,
        "emojis": [],
        "roles": [],
        "fields": [],
    })
}

/// The signed-in user's own account (`CredentialAccount`): with `source` and `role`.
pub fn credential_account(profile: &Profile, base: &str) -> Value {
    let mut value = account(profile, base);
    value["source"] = json!({
        "privacy": "public",
        "sensitive": false,
        "language": null,
        "note": profile.bio,
        "fields": [],
        "follow_requests_count": 0,
    });
    value["role"] = json!({
        "id": "0",
        "name": profile.user.role.as_str(),
        "color": "",
        "permissions": "0",
        "highlighted": false,
    });
    value
}

/// How `viewer` relates to `profile` (`Relationship`).
pub fn relationship(profile: &Profile) -> Value {
    json!({
        "id": profile.user.id.to_string(),
        "following": profile.followed_by_me,
        "showing_reblogs": profile.followed_by_me,
        "notifying": false,
        "languages": null,
        "followed_by": profile.follows_me,
        "blocking": profile.blocked_by_me,
        "blocked_by": profile.blocks_me,
        "muting": profile.muted_by_me,
        "muting_notifications": profile.muted_by_me,
        "requested": false,
        "requested_by": false,
        "domain_blocking": false,
        "endorsed": false,
        "note": "",
    })
}

/// An attachment as Mastodon's `MediaAttachment` (URLs made absolute under `base` when the
/// media store serves them from this server).
pub fn attachment(media: &Attachment, base: &str) -> Value {
    let absolute = |url: &str| {
        if url.starts_with('/') {
            format!("{base}{url}")
        } else {
            url.to_owned()
        }
    };
    let size = |w: u32, h: u32| {
        json!({
            "width": w,
            "height": h,
            "size": format!("{w}x{h}"),
            "aspect": if h == 0 { 0.0 } else { f64::from(w) / f64::from(h) },
        })
    };
    json!({
        "id": media.id.to_string(),
        "type": media.kind,
        "url": absolute(&media.url),
        "preview_url": absolute(&media.preview_url),
        "remote_url": null,
        "meta": {
            "original": size(media.width, media.height),
            "small": size(media.preview_width, media.preview_height),
        },
        "description": if media.description.is_empty() { Value::Null } else { json!(media.description) },
        "blurhash": media.blurhash,
    })
}

/// The Mastodon type of a Chirp notification kind (a reply is a `mention`).
pub fn notification_type(kind: NotificationKind) -> &'static str {
    match kind {
        NotificationKind::Follow => "follow",
        NotificationKind::Like => "favourite",
        NotificationKind::Reply | NotificationKind::Mention => "mention",
        NotificationKind::Report => "admin.report",
    }
}

/// The accounts a response embeds, read once each, as one viewer sees them.
pub struct Accounts<'a> {
    state: &'a MastodonState,
    viewer: Option<i64>,
    base: &'a str,
    known: HashMap<i64, Value>,
}

impl<'a> Accounts<'a> {
    /// Accounts as `viewer` sees them, with links under `base`.
    pub fn new(state: &'a MastodonState, viewer: Option<i64>, base: &'a str) -> Self {
        Self {
            state,
            viewer,
            base,
            known: HashMap::new(),
        }
    }

    /// The `Account` of user `id`.
    pub async fn get(&mut self, id: i64) -> Result<Value, MastoError> {
        if let Some(found) = self.known.get(&id) {
            return Ok(found.clone());
        }
        let profile = self
            .state
            .store
            .profile_by_id(id, self.viewer)
            .await?
            .ok_or_else(|| anyhow::anyhow!("the author {id} of a listed record is gone"))?;
        let value = account(&profile, self.base);
        self.known.insert(id, value.clone());
        Ok(value)
    }

    /// A tweet as Mastodon's `Status`.
    pub async fn status(&mut self, tweet: &Tweet) -> Result<Value, MastoError> {
        let author = self.get(tweet.author.id).await?;
        let base = self.base;
        let names: Vec<String> = tweet.mentions.iter().map(|m| m.username.clone()).collect();
        let mentions: Vec<Value> = tweet
            .mentions
            .iter()
            .map(|m| {
                json!({
                    "id": m.id.to_string(),
                    "username": m.username,
                    "acct": m.username,
                    "url": format!("{base}/users/{}", m.username),
                })
            })
            .collect();
        let tags: Vec<Value> = tweet
            .tags
            .iter()
            .map(|name| json!({ "url": format!("{base}/tags/{name}"), "name": name }))
            .collect();
        let url = format!("{base}/tweets/{}", tweet.id);
        Ok(json!({
            "id": tweet.id.to_string(),
            "uri": url,
            "url": url,
            "created_at": format_time(tweet.created_at),
            "edited_at": null,
            "account": author,
            "content": content::to_html(&tweet.text, &names, &tweet.tags, base),
            "text": null,
            "visibility": "public",
            "sensitive": false,
            "spoiler_text": "",
            "language": null,
            "media_attachments": tweet.media.iter().map(|m| attachment(m, base)).collect::<Vec<_>>(),
            "application": null,
            "mentions": mentions,
            "tags": tags,
            "emojis": [],
            "reblogs_count": 0,
            "favourites_count": tweet.like_count,
            "replies_count": tweet.reply_count,
            "in_reply_to_id": tweet.reply_to.as_ref().map(|r| r.id.to_string()),
            "in_reply_to_account_id": tweet.reply_to.as_ref().map(|r| r.author.id.to_string()),
            "reblog": null,
            "poll": null,
            "card": null,
            "favourited": tweet.liked_by_me,
            "reblogged": false,
            "muted": false,
            "bookmarked": false,
            "pinned": false,
            "filtered": [],
        }))
    }

    /// Tweets as statuses, in order.
    pub async fn statuses(&mut self, tweets: &[Tweet]) -> Result<Vec<Value>, MastoError> {
        let mut out = Vec::with_capacity(tweets.len());
        for tweet in tweets {
            out.push(self.status(tweet).await?);
        }
        Ok(out)
    }

    /// A notification as Mastodon's `Notification` (a reply is a `mention`, a like a
    /// `favourite`, a report `admin.report`).
    pub async fn notification(&mut self, n: &Notification) -> Result<Value, MastoError> {
        let kind = notification_type(n.kind);
        let status = match &n.tweet {
            Some(tweet) => self.status(tweet).await?,
            None => Value::Null,
        };
        Ok(json!({
            "id": n.id.to_string(),
            "type": kind,
            "group_key": format!("ungrouped-{}", n.id),
            "created_at": format_time(n.created_at),
            "account": self.get(n.actor.id).await?,
            "status": status,
        }))
    }
}
