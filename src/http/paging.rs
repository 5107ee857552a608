//! The paging query strings of tweet and notification lists, each one struct that is both
//! the extractor and what the OpenAPI document describes, and `PageQuery`, which reads one
//! and answers the domain's `Page` (or the 400 its rule gives).
//!
//! The values are read as text so that a bad one gets the domain's own error (`Page::parse`);
//! the document still says they are integers (`value_type`).

use std::marker::PhantomData;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use utoipa::IntoParams;

use super::error::ApiError;
use super::extract::Query;
use crate::domain::{Invalid, Page, PageCursor};

/// A query string that names a page of some list.
pub trait PageRule: DeserializeOwned {
    /// The page asked for, or why it cannot be served.
    fn page(&self) -> Result<Page, Invalid>;
}

/// The `Page` a query string `P` asks for, checked before the handler runs.
pub struct PageQuery<P>(pub Page, pub PhantomData<P>);

impl<P: PageRule, S: Send + Sync> FromRequestParts<S> for PageQuery<P> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Query(params) = Query::<P>::from_request_parts(parts, state).await?;
        Ok(Self(params.page()?, PhantomData))
    }
}

/// Which slice of a timeline to read (at most one of `before` and `after`).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// How many tweets at most (default 20).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    limit: Option<String>,
    /// Only tweets older than this id.
    #[param(value_type = Option<i64>, minimum = 0)]
    before: Option<String>,
    /// Only tweets newer than this id: the `limit` oldest of them, still newest first.
    #[param(value_type = Option<i64>, minimum = 0)]
    after: Option<String>,
}

impl PageRule for PageParams {
    fn page(&self) -> Result<Page, Invalid> {
        Page::parse(
            self.limit.as_deref(),
            self.before.as_deref(),
            self.after.as_deref(),
        )
    }
}

/// Which replies to read: oldest first, after an id (`before` is refused).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RepliesParams {
    /// How many replies at most (default 20).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    limit: Option<String>,
    /// Refused: replies are read oldest first.
    #[param(ignore)]
    before: Option<String>,
    /// Only replies newer than this id (the `limit` oldest of them, oldest first).
    #[param(value_type = Option<i64>, minimum = 0)]
    after: Option<String>,
}

impl PageRule for RepliesParams {
    fn page(&self) -> Result<Page, Invalid> {
        one_way(
            [&self.limit, &self.before, &self.after],
            |cursor| matches!(cursor, PageCursor::Before(_)),
            "before",
            "Replies are read oldest first: page with after, not before.",
        )
    }
}

/// Which notifications to read: newest first, before an id (`after` is refused).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NotificationParams {
    /// How many notifications at most (default 20).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    limit: Option<String>,
    /// Only notifications older than this id.
    #[param(value_type = Option<i64>, minimum = 0)]
    before: Option<String>,
    /// Refused: notifications are read newest first.
    #[param(ignore)]
    after: Option<String>,
}

impl PageRule for NotificationParams {
    fn page(&self) -> Result<Page, Invalid> {
        one_way(
            [&self.limit, &self.before, &self.after],
            |cursor| matches!(cursor, PageCursor::After(_)),
            "after",
            "Notifications are read newest first: page with before, not after.",
        )
    }
}

/// The page `[limit, before, after]` ask for, read one way only: a cursor `refused` matches
/// is refused, naming `field`, with `why`.
fn one_way(
    [limit, before, after]: [&Option<String>; 3],
    refused: fn(&PageCursor) -> bool,
    field: &'static str,
    why: &'static str,
) -> Result<Page, Invalid> {
    let page = Page::parse(limit.as_deref(), before.as_deref(), after.as_deref())?;
    if refused(&page.cursor) {
        return Err(Invalid::new(field, why));
    }
    Ok(page)
}
