//! Timelines: `home` (the viewer and whom they follow) and `public` (everyone), paged the
//! Mastodon way, from the same store reads as Chirp's own lists (blocks, mutes and
//! suspensions filtered before the page is cut).

use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;

use super::entities::Accounts;
use super::error::MastoError;
use super::extract::{BaseUrl, MaybeToken, Params, Token};
use super::paging::{MastoPage, ends, linked};
use super::state::MastodonState;

/// Routes of this module.
pub fn router() -> Router<MastodonState> {
    Router::new()
        .route("/api/v1/timelines/home", get(home))
        .route("/api/v1/timelines/public", get(public))
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
    let tweets = page.trim(state.store.home(me, page.page).await?, |t| t.id);
    let link = ends(&tweets, |t| t.id);
    let items = Accounts::new(&state, Some(me), &base)
        .statuses(&tweets)
        .await?;
    let url = format!("{base}/api/v1/timelines/home");
    Ok(linked(items, &url, page.page.limit, link))
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
    let tweets = page.trim(tweets, |t| t.id);
    let link = ends(&tweets, |t| t.id);
    let items = Accounts::new(&state, viewer.viewer(), &base)
        .statuses(&tweets)
        .await?;
    Ok(linked(items, &url, page.page.limit, link))
}
