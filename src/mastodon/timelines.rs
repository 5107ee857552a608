//! Timelines: `home` (the viewer and whom they follow), `public` (everyone) and
//! `tag/:hashtag`, paged the Mastodon way, from the same store reads as Chirp's own lists
//! (blocks, mutes and suspensions filtered before the page is cut); `only_media` keeps the
//! statuses with images, reading on until the page is full (`read_page`).

use std::future::Future;

use axum::Router;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;

use super::entities::Accounts;
use super::error::MastoError;
use super::extract::{BaseUrl, MaybeToken, Params, Token};
use super::paging::{MastoPage, ends, filtered, linked};
use super::state::MastodonState;
use crate::domain::{Hashtag, Page, SearchQuery, Tweet};
use crate::storage::StoreError;

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
    let store = &state.store;
    let read = read_page(&page, None, |p| store.home(me, p)).await?;
    let url = format!("{base}/api/v1/timelines/home");
    answer(&state, &base, &url, Some(me), &page, read).await
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
    if params.bool("remote")? == Some(true) {
        return Ok(linked(Vec::new(), &url, page.page.limit, None));
    }
    let viewer = viewer.viewer();
    let store = &state.store;
    media_or_all(&state, &base, &url, viewer, &params, &page, |p| {
        store.tweets(None, p, viewer)
    })
    .await
}

/// A page of what `read` gives, only the statuses with images when `only_media` asks,
/// with its `Link` header (which keeps the filter).
async fn media_or_all<Fut>(
    state: &MastodonState,
    base: &str,
    url: &str,
    viewer: Option<i64>,
    params: &Params,
    page: &MastoPage,
    read: impl FnMut(Page) -> Fut,
) -> Result<Response, MastoError>
where
    Fut: Future<Output = Result<Vec<Tweet>, StoreError>>,
{
    let keep = only_media(params)?;
    let read = read_page(page, keep, read).await?;
    let url = with_filters(url, &[("only_media", keep.is_some())]);
    answer(state, base, &url, viewer, page, read).await
}

/// `url` with the filters that are on (`name=true`), for the `Link` header: the next
/// pages keep them.
pub fn with_filters(url: &str, filters: &[(&str, bool)]) -> String {
    let on: Vec<String> = filters
        .iter()
        .filter(|(_, on)| *on)
        .map(|(name, _)| format!("{name}=true"))
        .collect();
    if on.is_empty() {
        url.to_owned()
    } else {
        format!("{url}?{}", on.join("&"))
    }
}

/// Which statuses of a page to keep (`None`: every one, as read).
pub type Keep<'a> = Option<&'a (dyn Fn(&Tweet) -> bool + Sync)>;

/// `only_media=true`: keep the statuses with images.
pub fn only_media(params: &Params) -> Result<Keep<'static>, MastoError> {
    Ok((params.bool("only_media")? == Some(true)).then_some(&|t: &Tweet| !t.media.is_empty()))
}

/// The statuses of a page as `read` (a store page reader) gives them and `keep` keeps
/// them, with the ids its `Link` header names.
pub async fn read_page<Fut>(
    page: &MastoPage,
    keep: Keep<'_>,
    mut read: impl FnMut(Page) -> Fut,
) -> Result<(Vec<Tweet>, Option<(i64, i64)>), MastoError>
where
    Fut: Future<Output = Result<Vec<Tweet>, StoreError>>,
{
    match keep {
        Some(keep) => filtered(page, keep, |t| t.id, read).await,
        None => {
            let tweets = page.trim(read(page.page).await?, |t| t.id);
            let ends = ends(&tweets, |t| t.id);
            Ok((tweets, ends))
        }
    }
}

/// A page of statuses with its `Link` header (named by `ends`, the newest and oldest ids read).
pub async fn answer(
    state: &MastodonState,
    base: &str,
    url: &str,
    viewer: Option<i64>,
    page: &MastoPage,
    (tweets, ends): (Vec<Tweet>, Option<(i64, i64)>),
) -> Result<Response, MastoError> {
    let items = Accounts::new(state, viewer, base).statuses(&tweets).await?;
    Ok(linked(items, url, page.page.limit, ends))
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
    let viewer = viewer.viewer();
    let store = &state.store;
    media_or_all(&state, &base, &url, viewer, &params, &page, |p| {
        store.search_tweets(&query, p, viewer)
    })
    .await
}
