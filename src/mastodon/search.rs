//! `GET /api/v2/search`: accounts, statuses and hashtags for `q`, by Chirp's own search
//! (the same rules: words as words, the last as a prefix, `#tag`, `from:`; blocks, mutes and
//! suspensions applied). `type` narrows it to one kind; statuses page with `max_id` /
//! `min_id`; `resolve` has nothing to resolve (there are no remote accounts).

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::{Value, json};

use super::accounts::moderates;
use super::entities::{Accounts, account};
use super::error::MastoError;
use super::extract::{BaseUrl, MaybeToken, Params};
use super::paging::MastoPage;
use super::state::MastodonState;
use crate::domain::{Hashtag, SearchQuery};

/// Routes of this module.
pub fn router() -> Router<MastodonState> {
    Router::new().route("/api/v2/search", get(search))
}

async fn search(
    State(state): State<MastodonState>,
    BaseUrl(base): BaseUrl,
    viewer: MaybeToken,
    params: Params,
) -> Result<Json<Value>, MastoError> {
    if let Some(token) = &viewer.0 {
        token.require("read:search")?;
    }
    let q = params.str("q").unwrap_or_default();
    let kind = params.str("type").unwrap_or_default();
    if !matches!(kind.as_str(), "" | "accounts" | "statuses" | "hashtags") {
        return Err(MastoError::bad_request(
            "type must be accounts, statuses or hashtags",
        ));
    }
    let want = |k: &str| kind.is_empty() || kind == k;
    // Later pages of one kind (`offset`) are not served: Chirp's search pages by id.
    let offset = params.str("offset").and_then(|o| o.parse::<i64>().ok());
    let page = MastoPage::parse(&params, 40)?;
    let me = viewer.viewer();
    let mut accounts = Vec::new();
    let mut statuses = Vec::new();
    let mut hashtags = Vec::new();
    if offset.unwrap_or(0) == 0 {
        let query = SearchQuery::parse(&q)?;
        if want("accounts") {
            let moderator = moderates(&state, me).await?;
            let prefix = q.trim().trim_start_matches('@');
            let found = state
                .store
                .search_users(prefix, me, moderator, page.page.limit)
                .await?;
            accounts = found.iter().map(|p| account(p, &base)).collect();
        }
        if want("statuses") {
            let tweets = state.store.search_tweets(&query, page.page, me).await?;
            let tweets = page.trim(tweets, |t| t.id);
            statuses = Accounts::new(&state, me, &base).statuses(&tweets).await?;
        }
        if want("hashtags")
            && let Some(tag) = Hashtag::parse(q.trim())
        {
            let name = tag.as_str();
            hashtags.push(json!({
                "name": name,
                "url": format!("{base}/tags/{name}"),
                "history": [],
                "following": false,
            }));
        }
    }
    Ok(Json(json!({
        "accounts": accounts,
        "statuses": statuses,
        "hashtags": hashtags,
    })))
}
