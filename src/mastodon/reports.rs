//! Reports: `POST /api/v1/reports`, filed through the feed as Chirp's own reports are (every
//! moderator notified). Mastodon's categories map onto Chirp's (`legal` → `illegal`,
//! `violation` → `abuse`); an empty comment is filed with a sentence saying so, since a
//! Chirp report always has a reason.

use std::collections::HashSet;

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::accounts::find;
use super::entities::account;
use super::error::MastoError;
use super::extract::{BaseUrl, Params, Token};
use super::state::{Limits, MastodonState};
use crate::domain::{
    MAX_REPORTED_TWEETS, NewReport, ReportCategory, ReportReason, format_time, now_micros,
};

/// Routes of this module.
pub fn router() -> Router<MastodonState> {
    Router::new().route("/api/v1/reports", post(file))
}

async fn file(
    State(state): State<MastodonState>,
    BaseUrl(base): BaseUrl,
    token: Token,
    params: Params,
) -> Result<Json<Value>, MastoError> {
    token.require("write:reports")?;
    let me = token.user.id;
    let target = find(
        &state,
        &params.str("account_id").unwrap_or_default(),
        Some(me),
    )
    .await?;
    if target.user.id == me {
        return Err(MastoError::invalid(
            "Validation failed: you cannot report yourself",
        ));
    }
    let category = match params.str("category").as_deref().unwrap_or("other") {
        "spam" => ReportCategory::Spam,
        "legal" => ReportCategory::Illegal,
        "violation" => ReportCategory::Abuse,
        "other" => ReportCategory::Other,
        _ => {
            return Err(MastoError::invalid(
                "Validation failed: category is spam, legal, violation or other",
            ));
        }
    };
    let comment = params.str("comment").unwrap_or_default();
    let comment = if comment.trim().is_empty() {
        "(Reported through a Mastodon app, with no comment.)".to_owned()
    } else {
        comment
    };
    let reason = ReportReason::parse(&comment, "comment")?;
    let mut seen = HashSet::new();
    let mut tweet_ids = Vec::new();
    for raw in params.list("status_ids") {
        let id: i64 = raw
            .parse()
            .map_err(|_| MastoError::invalid("Validation failed: status_ids must be ids"))?;
        if seen.insert(id) {
            tweet_ids.push(id);
        }
    }
    if tweet_ids.len() > MAX_REPORTED_TWEETS {
        return Err(MastoError::invalid(format!(
            "Validation failed: a report names at most {MAX_REPORTED_TWEETS} statuses"
        )));
    }
    let found = state.store.tweets_by_ids(&tweet_ids, me).await?;
    if tweet_ids
        .iter()
        .any(|id| found.get(id).is_none_or(|t| t.author.id != target.user.id))
    {
        return Err(MastoError::invalid(
            "Validation failed: every status must be one of the reported account's",
        ));
    }
    Limits::check(&state.limits.reports, &me).await?;
    let id = state
        .feed
        .report(&NewReport {
            reporter: me,
            target: target.user.id,
            tweet_ids: tweet_ids.clone(),
            category,
            reason,
        })
        .await?;
    let category = params.str("category").unwrap_or_else(|| "other".into());
    Ok(Json(json!({
        "id": id.to_string(),
        "action_taken": false,
        "action_taken_at": null,
        "category": category,
        "comment": comment,
        "forwarded": false,
        "created_at": format_time(now_micros()),
        "status_ids": tweet_ids.iter().map(i64::to_string).collect::<Vec<_>>(),
        "rule_ids": null,
        "target_account": account(&target, &base),
    })))
}
