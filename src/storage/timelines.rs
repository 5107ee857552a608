//! Lists of tweets, paged: everyone's, one author's, a home timeline and a thread's replies;
//! the SQL and the macro that implements `Timelines` with it on both databases.
//!
//! A home timeline is read one of two ways, chosen per request by a cost estimate
//! (`home_plan`). Author by author: each author's newest tweets are read from the
//! `tweets_by_author (author_id, id)` index and merged, so the cost grows with the number of
//! authors but not with how rarely they post (nothing at all for someone who follows
//! nobody); each database writes that its own way (`home_ids_by_author` in `sqlite.rs` and
//! `postgres.rs`). The walk: `tweets` is walked by id, newest first, probing `follows` per
//! tweet, which stops after a page when the authors post often. The walk reads about
//! `limit / share` rows, where `share` is the authors' part of all tweets; author by author
//! reads `authors × limit`: so the walk wins when `authors × share > 1`, and the authors'
//! tweet counts (kept in `users`) tell the share.

use super::tweets::tweet_select;
use crate::domain::{Page, PageCursor};

/// The tweet's author is not hidden from viewer `$1` (blocked either way, muted, or
/// suspended): every list's condition, one probe of `hides`' unique index per tweet. The
/// visibility rule (`domain::visibility::hidden`) in SQL.
macro_rules! shown {
    () => {
        "u.suspended_at IS NULL AND NOT EXISTS (SELECT 1 FROM hides h \
           WHERE h.viewer_id = $1 AND h.author_id = t.author_id) "
    };
}
pub(super) use shown;
/// Nor, for a reply, the author it answers: the lists that gather many authors (everyone,
/// home, a tag's, search) leave out threads with a hidden author — suspended (`pu`, the
/// parent's author joined by `tweet_joins!`), or hidden from the viewer.
macro_rules! thread_shown {
    () => {
        "AND pu.suspended_at IS NULL AND (t.reply_to_author_id IS NULL OR NOT EXISTS \
           (SELECT 1 FROM hides h WHERE h.viewer_id = $1 AND h.author_id = t.reply_to_author_id)) "
    };
}
pub(super) use thread_shown;
/// `thread_shown!` for the per-author home read (`home_ids_by_author`), whose one bound
/// value is the viewer and whose table is `tweets` unaliased.
pub(super) const THREAD_SHOWN_TO: &str = " AND (reply_to_author_id IS NULL OR NOT EXISTS \
     (SELECT 1 FROM hides h WHERE h.viewer_id = ";
/// Closes `THREAD_SHOWN_TO` after the viewer's bound value (and leaves out replies to
/// suspended accounts, as `thread_shown!` does).
pub(super) const THREAD_SHOWN_TO_END: &str = " AND h.author_id = tweets.reply_to_author_id) \
     AND NOT EXISTS (SELECT 1 FROM users s WHERE s.id = tweets.reply_to_author_id \
     AND s.suspended_at IS NOT NULL))";

/// `shown!` for one author's list (`$4`): asked once, not per row (uncorrelated, so
/// PostgreSQL evaluates it once and keeps the index walk that stops after `limit` rows).
macro_rules! author_shown {
    () => {
        "(SELECT a.suspended_at FROM users a WHERE a.id = $4) IS NULL AND NOT EXISTS \
           (SELECT 1 FROM hides h WHERE h.viewer_id = $1 AND h.author_id = $4) "
    };
}

/// `$2` = exclusive upper bound, `$3` = limit.
pub(super) const TWEETS_BEFORE: &str = concat!(
    tweet_select!(),
    "WHERE t.id < $2 AND ",
    shown!(),
    thread_shown!(),
    "ORDER BY t.id DESC LIMIT $3"
);
/// `$2` = exclusive lower bound, `$3` = limit; oldest first (the caller reverses).
pub(super) const TWEETS_AFTER: &str = concat!(
    tweet_select!(),
    "WHERE t.id > $2 AND ",
    shown!(),
    thread_shown!(),
    "ORDER BY t.id ASC LIMIT $3"
);
/// As `TWEETS_BEFORE`, `$4` = author id.
pub(super) const AUTHOR_TWEETS_BEFORE: &str = concat!(
    tweet_select!(),
    "WHERE t.author_id = $4 AND t.id < $2 AND ",
    author_shown!(),
    "ORDER BY t.id DESC LIMIT $3"
);
/// As `TWEETS_AFTER`, `$4` = author id.
pub(super) const AUTHOR_TWEETS_AFTER: &str = concat!(
    tweet_select!(),
    "WHERE t.author_id = $4 AND t.id > $2 AND ",
    author_shown!(),
    "ORDER BY t.id ASC LIMIT $3"
);

/// The walk by id for the home timeline of `$4`: their own tweets and those of everyone they
/// follow, probing the `follows` primary key per tweet. About a millisecond on both
/// databases for 1,000 active follows among 1M tweets (bench/home_timeline.sh), where
/// `author_id IN (…)` made SQLite gather and sort every followed tweet; but a whole-table
/// scan for someone whose authors rarely post, hence `home_plan`.
macro_rules! home_where {
    () => {
        "WHERE (t.author_id = $4 OR EXISTS (SELECT 1 FROM follows f \
           WHERE f.follower_id = $4 AND f.followee_id = t.author_id)) "
    };
}
/// As `TWEETS_BEFORE`, for the home timeline of `$4`.
pub(super) const HOME_BEFORE: &str = concat!(
    tweet_select!(),
    home_where!(),
    "AND t.id < $2 AND ",
    shown!(),
    thread_shown!(),
    "ORDER BY t.id DESC LIMIT $3"
);
/// As `TWEETS_AFTER`, for the home timeline of `$4`.
pub(super) const HOME_AFTER: &str = concat!(
    tweet_select!(),
    home_where!(),
    "AND t.id > $2 AND ",
    shown!(),
    thread_shown!(),
    "ORDER BY t.id ASC LIMIT $3"
);
/// `HOME_BEFORE` for a viewer who hides nobody (and with nobody suspended): no probe of
/// `hides` per row.
pub(super) const HOME_BEFORE_ALL: &str = concat!(
    tweet_select!(),
    home_where!(),
    "AND t.id < $2 ORDER BY t.id DESC LIMIT $3"
);
/// `HOME_AFTER` for a viewer who hides nobody.
pub(super) const HOME_AFTER_ALL: &str = concat!(
    tweet_select!(),
    home_where!(),
    "AND t.id > $2 ORDER BY t.id ASC LIMIT $3"
);

/// The direct replies to `$4`, oldest first, after id `$2`; `$3` = limit.
pub(super) const REPLIES_AFTER: &str = concat!(
    tweet_select!(),
    "WHERE t.reply_to_id = $4 AND t.id > $2 AND ",
    shown!(),
    "ORDER BY t.id ASC LIMIT $3"
);

/// Most authors (the viewer included) whose home timeline may be read author by author
/// (the statement's size); above this it is always the walk. bench/home_sparse.sh measures
/// both plans at 1M tweets.
pub(super) const PER_AUTHOR_MAX: usize = 256;

/// Up to this many authors (the viewer included) a home page is always read author by
/// author: at most this many index seeks and `ALWAYS_PER_AUTHOR × limit` rows.
pub(super) const ALWAYS_PER_AUTHOR: usize = 8;

/// The tweets the viewer (`$1`) and everyone they follow have written, and about how many
/// tweets there are (the newest id: deletions make it an overestimate, which is harmless).
pub(super) const HOME_SHARE: &str = "SELECT \
     CAST(COALESCE((SELECT SUM(u.tweet_count) FROM users u WHERE u.id = $1 \
       OR u.id IN (SELECT f.followee_id FROM follows f WHERE f.follower_id = $1)), 0) AS BIGINT), \
     CAST(COALESCE((SELECT MAX(t.id) FROM tweets t), 0) AS BIGINT)";

/// How to read one home page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum HomePlan {
    /// Each author's tweets by the author index, merged.
    PerAuthor,
    /// `tweets` by id, probing `follows`.
    Walk,
}

/// The plan for a home timeline showing `authors` authors, who wrote `written` of about
/// `total` tweets: author by author unless the walk reads fewer rows (`authors × written /
/// total > 1`, see the module doc) or there are too many authors for one statement.
pub(super) fn home_plan(authors: usize, written: i64, total: i64) -> HomePlan {
    let authors_i64 = i64::try_from(authors).unwrap_or(i64::MAX);
    if authors <= ALWAYS_PER_AUTHOR
        || (authors <= PER_AUTHOR_MAX && authors_i64.saturating_mul(written.max(0)) <= total.max(0))
    {
        HomePlan::PerAuthor
    } else {
        HomePlan::Walk
    }
}

/// Where a page starts: the exclusive bound, and whether it reads oldest first (`after`).
pub(super) fn bound(page: Page) -> (i64, bool) {
    match page.cursor {
        PageCursor::After(id) => (id, true),
        PageCursor::Before(id) => (id, false),
        PageCursor::Newest => (i64::MAX, false),
    }
}

/// The page's ids among `candidates` (each author's first `limit` past the bound, in any
/// order): the `limit` nearest the bound, newest first either way.
pub(super) fn merge_page(mut candidates: Vec<i64>, ascending: bool, limit: i64) -> Vec<i64> {
    let limit = usize::try_from(limit).unwrap_or(0);
    candidates.sort_unstable();
    candidates.dedup();
    if ascending {
        candidates.truncate(limit);
        candidates.reverse();
    } else {
        candidates.reverse();
        candidates.truncate(limit);
    }
    candidates
}

/// Implements `Timelines` for a struct with a `pool` field and
/// `home_ids_by_author(hiding, authors, bound, ascending, limit)` (each author's first
/// `limit` ids past `bound`, in any order; with `hiding: Some(viewer)`, leaving out replies to
/// authors the viewer hides (`THREAD_SHOWN_TO`)).
macro_rules! impl_timelines {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::Timelines for $store {
            async fn tweets(
                &self,
                author: Option<i64>,
                page: $crate::domain::Page,
                viewer: Option<i64>,
            ) -> Result<Vec<$crate::domain::Tweet>, $crate::storage::StoreError> {
                use $crate::domain::PageCursor;
                use $crate::storage::timelines as sql;
                let (query, bound, ascending) = match (page.cursor, author.is_some()) {
                    (PageCursor::After(id), false) => (sql::TWEETS_AFTER, id, true),
                    (PageCursor::After(id), true) => (sql::AUTHOR_TWEETS_AFTER, id, true),
                    (PageCursor::Before(id), false) => (sql::TWEETS_BEFORE, id, false),
                    (PageCursor::Before(id), true) => (sql::AUTHOR_TWEETS_BEFORE, id, false),
                    (PageCursor::Newest, false) => (sql::TWEETS_BEFORE, i64::MAX, false),
                    (PageCursor::Newest, true) => (sql::AUTHOR_TWEETS_BEFORE, i64::MAX, false),
                };
                let mut q = sqlx::query_as::<_, $crate::storage::tweets::TweetRow>(query)
                    .bind(viewer)
                    .bind(bound)
                    .bind(page.limit);
                if let Some(author) = author {
                    q = q.bind(author);
                }
                let rows = q.fetch_all(&self.pool).await?;
                let mut tweets: Vec<$crate::domain::Tweet> =
                    rows.into_iter().map(Into::into).collect();
                if ascending {
                    tweets.reverse();
                }
                Ok(tweets)
            }

            async fn home(
                &self,
                user_id: i64,
                page: $crate::domain::Page,
            ) -> Result<Vec<$crate::domain::Tweet>, $crate::storage::StoreError> {
                let followees = $crate::storage::Follows::following_ids(self, user_id).await?;
                let hidden =
                    $crate::storage::Moderation::hidden_authors(self, Some(user_id)).await?;
                $crate::storage::Timelines::home_of(self, user_id, &followees, &hidden, page).await
            }

            async fn home_of(
                &self,
                user_id: i64,
                followees: &[i64],
                hidden: &[i64],
                page: $crate::domain::Page,
            ) -> Result<Vec<$crate::domain::Tweet>, $crate::storage::StoreError> {
                use $crate::storage::timelines::{self as sql, HomePlan};
                let (bound, ascending) = sql::bound(page);
                // `hidden` holds every suspended account too: when it is empty, nothing on
                // this home needs filtering, and the cheaper statements are exact.
                let hiding = (!hidden.is_empty()).then_some(user_id);
                let mut authors: Vec<i64> = followees
                    .iter()
                    .copied()
                    .filter(|a| hidden.binary_search(a).is_err())
                    .collect();
                authors.push(user_id);
                // A few authors are read one by one whatever they wrote (at most
                // `ALWAYS_PER_AUTHOR × limit` rows), so their share is not asked for.
                let (written, total): (i64, i64) = if authors.len() <= sql::ALWAYS_PER_AUTHOR {
                    (0, 0)
                } else if authors.len() <= sql::PER_AUTHOR_MAX {
                    sqlx::query_as(sql::HOME_SHARE)
                        .bind(user_id)
                        .fetch_one(&self.pool)
                        .await?
                } else {
                    (i64::MAX, 0)
                };
                if sql::home_plan(authors.len(), written, total) == HomePlan::PerAuthor {
                    let candidates = self
                        .home_ids_by_author(hiding, &authors, bound, ascending, page.limit)
                        .await?;
                    let ids = sql::merge_page(candidates, ascending, page.limit);
                    let mut found =
                        $crate::storage::Tweets::tweets_by_ids(self, &ids, user_id).await?;
                    // A tweet deleted between the two reads is left out.
                    return Ok(ids.iter().filter_map(|id| found.remove(id)).collect());
                }
                let query = match (ascending, hiding.is_some()) {
                    (true, true) => sql::HOME_AFTER,
                    (false, true) => sql::HOME_BEFORE,
                    (true, false) => sql::HOME_AFTER_ALL,
                    (false, false) => sql::HOME_BEFORE_ALL,
                };
                let rows = sqlx::query_as::<_, $crate::storage::tweets::TweetRow>(query)
                    .bind(user_id)
                    .bind(bound)
                    .bind(page.limit)
                    .bind(user_id)
                    .fetch_all(&self.pool)
                    .await?;
                let mut tweets: Vec<$crate::domain::Tweet> =
                    rows.into_iter().map(Into::into).collect();
                if ascending {
                    tweets.reverse();
                }
                Ok(tweets)
            }

            async fn replies(
                &self,
                parent: i64,
                page: $crate::domain::Page,
                viewer: Option<i64>,
            ) -> Result<Vec<$crate::domain::Tweet>, $crate::storage::StoreError> {
                use $crate::domain::PageCursor;
                let after = match page.cursor {
                    PageCursor::After(id) => id,
                    PageCursor::Newest | PageCursor::Before(_) => 0,
                };
                let rows = sqlx::query_as::<_, $crate::storage::tweets::TweetRow>(
                    $crate::storage::timelines::REPLIES_AFTER,
                )
                .bind(viewer)
                .bind(after)
                .bind(page.limit)
                .bind(parent)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }
        }
    };
}
pub(super) use impl_timelines;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_before_takes_the_newest_candidates_newest_first() {
        assert_eq!(merge_page(vec![3, 9, 1, 7, 5], false, 3), [9, 7, 5]);
    }

    #[test]
    fn a_page_after_takes_the_oldest_candidates_newest_first() {
        assert_eq!(merge_page(vec![3, 9, 1, 7, 5], true, 3), [5, 3, 1]);
    }

    #[test]
    fn fewer_candidates_than_the_limit_are_all_kept() {
        assert_eq!(merge_page(vec![2, 4], false, 20), [4, 2]);
        assert_eq!(merge_page(Vec::new(), true, 20), Vec::<i64>::new());
    }

    #[test]
    fn few_or_quiet_authors_are_read_author_by_author_and_many_busy_ones_by_the_walk() {
        const MILLION: i64 = 1_000_000;
        // Nobody followed, or a few accounts: author by author.
        assert_eq!(home_plan(1, 0, MILLION), HomePlan::PerAuthor);
        assert_eq!(home_plan(11, 5_000, MILLION), HomePlan::PerAuthor);
        // 200 accounts that wrote a tenth of everything: a page is ~200 rows of the walk.
        assert_eq!(home_plan(201, 100_000, MILLION), HomePlan::Walk);
        // 200 accounts that hardly post: the walk would read the whole table.
        assert_eq!(home_plan(201, 400, MILLION), HomePlan::PerAuthor);
        // Too many authors for one statement: always the walk.
        assert_eq!(home_plan(PER_AUTHOR_MAX + 1, 0, MILLION), HomePlan::Walk);
        // An empty table, or a few authors whatever they wrote.
        assert_eq!(home_plan(1, 0, 0), HomePlan::PerAuthor);
        assert_eq!(
            home_plan(ALWAYS_PER_AUTHOR, MILLION, MILLION),
            HomePlan::PerAuthor
        );
    }
}
