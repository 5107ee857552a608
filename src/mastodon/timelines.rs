//! Timelines: `home` (the viewer and whom they follow), `public` (everyone) and
//! `tag/:hashtag`, paged the Mastodon way, from the same store reads as Chirp's own lists
//! (blocks, mutes and suspensions filtered before the page is cut).

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;

use super::entities::Accounts;
use super::error::MastoError;
use super::extract::{BaseUrl, MaybeToken, Params, Token};
use super::paging::{MastoPage, ends, linked};
use super::state::MastodonState;
use crate::domain::{Hashtag, SearchQuery, Tweet};

/// Routes of this module.
pub fn router() -> Router<MastodonState> {
    Router::new()
        .route("/api/v1/timelines/home", get(home))
        .route("/api/v1/timelines/public", get(public))
        .route("/api/v1/timelines/tag/{hashtag}", get(tag))
}

async fn home(
    State(state): State<MastodonState>,
    BaseUrl(base): BaseUrl,
    token: Token,
    params: Params,
) -> Result<Response, MastoError> {
    token.require("read:statuses")?;
    let me = token.user.id;
    let page = MastoPage::parse(&params, 40)?;
    let tweets = state.store.home(me, page.page).await?;
    let url = format!("{base}/api/v1/timelines/home");
    answer(&state, &base, &url, Some(me), &page, tweets).await
}

async fn public(
    State(state): State<MastodonState>,
    BaseUrl(base): BaseUrl,
    viewer: MaybeToken,
    params: Params,
) -> Result<Response, MastoError> {
    let page = MastoPage::parse(&params, 40)?;
    let url = format!("{base}/api/v1/timelines/public");
    // Every status here is local; none is federated.
    if params.bool("remote")? == Some(true) || params.bool("only_media")? == Some(true) {
        return Ok(linked(Vec::new(), &url, page.page.limit, None));
    }
    let tweets = state.store.tweets(None, page.page, viewer.viewer()).await?;
    answer(&state, &base, &url, viewer.viewer(), &page, tweets).await
}

/// A page of statuses with its `Link` header.
async fn answer(
    state: &MastodonState,
    base: &str,
    url: &str,
    viewer: Option<i64>,
    page: &MastoPage,
    tweets: Vec<Tweet>,
) -> Result<Response, MastoError> {
    let tweets = page.trim(tweets, |t| t.id);
    let link = ends(&tweets, |t| t.id);
    let items = Accounts::new(state, viewer, base).statuses(&tweets).await?;
    Ok(linked(items, url, page.page.limit, link))
}

async fn tag(
    State(state): State<MastodonState>,
    BaseUrl(base): BaseUrl,
    Path(hashtag): Path<String>,
    viewer: MaybeToken,
    params: Params,
) -> Result<Response, MastoError> {
    let tag = Hashtag::parse(&hashtag).ok_or_else(MastoError::not_found)?;
    let page = MastoPage::parse(&params, 40)?;
    let url = format!("{base}/api/v1/timelines/tag/{}", tag.as_str());
    let query = SearchQuery {
        tags: vec![tag],
        ..SearchQuery::default()
    };
    let tweets = state
        .store
        .search_tweets(&query, page.page, viewer.viewer())
        .await?;
    answer(&state, &base, &url, viewer.viewer(), &page, tweets).await
}
