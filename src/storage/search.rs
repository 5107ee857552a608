//! Hashtags and search: the statement a tweet search (or a tag's timeline) is read with on
//! each database, people search, the tag uses trending starts from, and the backfill that
//! indexes tweets stored before search existed; the macro that implements `Search` with it.
//!
//! Both databases match the same normalised words (`domain::indexed_words`): SQLite's FTS5
//! table `tweet_words` (`"word"`, `"prefix"*`), PostgreSQL's `tweets.search` tsvector
//! (`'word' & 'prefix':*`). A statement is driven by its most selective part, so that it can
//! stop after one page: the words' index when there are words (FTS5 hands rowids out
//! newest first; PostgreSQL's planner picks between the GIN index and walking ids), else the
//! first tag's rows (`tweet_tags`, by tag then id), else the author's tweets. Every other
//! part is a condition, and so are the visibility rule's (`shown!`, `thread_shown!`): a page
//! is cut after them, so it is short only at the end.

use super::timelines::{shown, thread_shown};
use super::tweets::{tweet_columns, tweet_joins};
use super::words::Dialect;
use crate::domain::SearchQuery;

/// A search statement: the SQL (`$1` viewer, `$2` exclusive bound, `$3` limit) and the text
/// values bound after those, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The SQL.
    pub sql: String,
    /// `$4`, `$5`, …
    pub binds: Vec<String>,
}

/// The words of `query` as the database's full-text query: every word, the last also as a
/// prefix when asked. Words hold only letters and numbers, so they need no escaping.
pub fn match_text(dialect: Dialect, query: &SearchQuery) -> String {
    let last = query.words.len().saturating_sub(1);
    let terms = query.words.iter().enumerate().map(|(i, w)| {
        let prefix = query.prefix && i == last;
        match (dialect, prefix) {
            (Dialect::Sqlite, false) => format!("\"{w}\""),
            (Dialect::Sqlite, true) => format!("\"{w}\"*"),
            (Dialect::Postgres, false) => format!("'{w}'"),
            (Dialect::Postgres, true) => format!("'{w}':*"),
        }
    });
    let joiner = match dialect {
        Dialect::Sqlite => " ",
        Dialect::Postgres => " & ",
    };
    terms.collect::<Vec<_>>().join(joiner)
}

/// The statement for one page of `query`, oldest first when `ascending`; `None` when the
/// query can match nothing (no part at all, or an impossible author).
pub fn search_statement(
    dialect: Dialect,
    query: &SearchQuery,
    ascending: bool,
) -> Option<Statement> {
    if query.impossible || query.is_empty() {
        return None;
    }
    let mut binds: Vec<String> = Vec::new();
    let mut bind = |value: String| {
        binds.push(value);
        format!("${}", binds.len() + 3)
    };
    let mut conditions: Vec<String> = Vec::new();
    let mut tags = query.tags.iter();
    let (from, id) = if !query.words.is_empty() {
        let words = bind(match_text(dialect, query));
        match dialect {
            Dialect::Sqlite => {
                // FTS5 matches by its table's name (a column filter needs positions).
                conditions.push(format!("tweet_words MATCH {words}"));
                (
                    "tweet_words JOIN tweets t ON t.id = tweet_words.rowid",
                    "tweet_words.rowid",
                )
            }
            Dialect::Postgres => {
                conditions.push(format!("t.search @@ CAST({words} AS tsquery)"));
                ("tweets t", "t.id")
            }
        }
    } else if let Some(tag) = tags.next() {
        let tag = bind(tag.as_str().to_owned());
        conditions.push(format!("g.tag = {tag}"));
        (
            "tweet_tags g JOIN tweets t ON t.id = g.tweet_id",
            "g.tweet_id",
        )
    } else {
        ("tweets t", "t.id")
    };
    for tag in tags {
        let tag = bind(tag.as_str().to_owned());
        conditions.push(format!(
            "EXISTS (SELECT 1 FROM tweet_tags x WHERE x.tweet_id = t.id AND x.tag = {tag})"
        ));
    }
    if let Some(author) = &query.from {
        let key = bind(author.key());
        conditions.push(format!(
            "t.author_id = (SELECT a.id FROM users a WHERE a.username_key = {key})"
        ));
    }
    let (compare, order) = if ascending {
        (">", "ASC")
    } else {
        ("<", "DESC")
    };
    let sql = format!(
        "{columns}FROM {from} {joins}WHERE {id} {compare} $2 AND {conditions} AND {shown}{thread}\
         ORDER BY {id} {order} LIMIT $3",
        columns = tweet_columns!(),
        joins = tweet_joins!(),
        conditions = conditions.join(" AND "),
        shown = shown!(),
        thread = thread_shown!(),
    );
    Some(Statement { sql, binds })
}

/// People whose username or display name begins with `$2` (a `LIKE` pattern), as viewer
/// `$1` sees them, suspended accounts only when `$3`; most followed first, at most `$4`.
pub(super) const SEARCH_USERS: &str = concat!(
    super::accounts::profile_select!(),
    "FROM users u WHERE (u.username_key LIKE $2 ESCAPE '\\' OR u.display_key LIKE $2 ESCAPE '\\') \
       AND ($3 OR u.suspended_at IS NULL) \
     ORDER BY u.followers_count DESC, u.id ASC LIMIT $4"
);

/// A `LIKE` pattern for names beginning with `prefix` (lowercased), its wildcards escaped.
pub fn prefix_pattern(prefix: &str) -> String {
    let mut pattern = String::with_capacity(prefix.len() + 1);
    for c in prefix.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// Tag uses stored at or after `$1` (microseconds), oldest first, but suspended accounts'.
pub(super) const TAG_USES_SINCE: &str = "SELECT g.tag, g.tweet_id, g.author_id, g.created_at \
     FROM tweet_tags g JOIN users u ON u.id = g.author_id \
     WHERE g.created_at >= $1 AND u.suspended_at IS NULL ORDER BY g.created_at, g.tweet_id";

/// The highest tweet id the backfill has still to index (0: done).
pub(super) const BACKFILL_UPTO: &str = "SELECT upto FROM search_backfill WHERE id = 1";
/// Up to `$2` tweets to index, at or below id `$1`, newest first.
pub(super) const BACKFILL_TWEETS: &str = "SELECT id, author_id, text, created_at FROM tweets \
     WHERE id <= $1 ORDER BY id DESC LIMIT $2";
/// The backfill has indexed every tweet above `$1`.
pub(super) const BACKFILL_DONE_ABOVE: &str = "UPDATE search_backfill SET upto = $1 WHERE id = 1";
/// Tweet `$1`'s tags as served (`$2`, JSON).
pub(super) const SET_TAGS_JSON: &str = "UPDATE tweets SET tags_json = $2 WHERE id = $1";
/// Display names not yet keyed for people search (`display_key`).
pub(super) const UNKEYED_NAMES: &str =
    "SELECT id, display_name FROM users WHERE display_key IS NULL LIMIT 1000";
/// `$1` user, `$2` their display name's key.
pub(super) const SET_DISPLAY_KEY: &str = "UPDATE users SET display_key = $2 WHERE id = $1";

/// A tweet's tag, with what trending counts: when, and by whom.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TagUse {
    /// The tag's name.
    pub tag: String,
    /// The tweet.
    pub tweet_id: i64,
    /// Its author.
    pub author_id: i64,
    /// When it was stored (UTC microseconds).
    pub created_at: i64,
}

/// Implements `Search` for a struct with a `pool` field and a `DIALECT` constant.
macro_rules! impl_search {
    ($store:ty) => {
        #[async_trait::async_trait]
        impl $crate::storage::Search for $store {
            async fn search_tweets(
                &self,
                query: &$crate::domain::SearchQuery,
                page: $crate::domain::Page,
                viewer: Option<i64>,
            ) -> Result<Vec<$crate::domain::Tweet>, $crate::storage::StoreError> {
                let (bound, ascending) = $crate::storage::timelines::bound(page);
                let Some(statement) =
                    $crate::storage::search::search_statement(Self::DIALECT, query, ascending)
                else {
                    return Ok(Vec::new());
                };
                let mut q = sqlx::query_as::<_, $crate::storage::tweets::TweetRow>(&statement.sql)
                    .bind(viewer)
                    .bind(bound)
                    .bind(page.limit);
                for value in &statement.binds {
                    q = q.bind(value);
                }
                let rows = q.fetch_all(&self.pool).await?;
                let mut tweets: Vec<$crate::domain::Tweet> =
                    rows.into_iter().map(Into::into).collect();
                if ascending {
                    tweets.reverse();
                }
                Ok(tweets)
            }

            async fn search_users(
                &self,
                prefix: &str,
                viewer: Option<i64>,
                with_suspended: bool,
                limit: i64,
            ) -> Result<Vec<$crate::domain::Profile>, $crate::storage::StoreError> {
                let rows: Vec<$crate::storage::accounts::ProfileRow> =
                    sqlx::query_as($crate::storage::search::SEARCH_USERS)
                        .bind(viewer)
                        .bind($crate::storage::search::prefix_pattern(prefix))
                        .bind(with_suspended)
                        .bind(limit)
                        .fetch_all(&self.pool)
                        .await?;
                Ok(rows.into_iter().map(Into::into).collect())
            }

            async fn tag_uses_since(
                &self,
                since: i64,
            ) -> Result<Vec<$crate::storage::TagUse>, $crate::storage::StoreError> {
                Ok(sqlx::query_as($crate::storage::search::TAG_USES_SINCE)
                    .bind(since)
                    .fetch_all(&self.pool)
                    .await?)
            }

            async fn backfill_search(
                &self,
                batch: i64,
            ) -> Result<i64, $crate::storage::StoreError> {
                use $crate::storage::search as sql;
                let mut tx = self.begin_write().await?;
                let (upto,): (i64,) = sqlx::query_as(sql::BACKFILL_UPTO)
                    .fetch_optional(&mut *tx)
                    .await?
                    .unwrap_or((0,));
                if upto <= 0 {
                    return Ok(0);
                }
                let rows: Vec<(i64, i64, String, i64)> = sqlx::query_as(sql::BACKFILL_TWEETS)
                    .bind(upto)
                    .bind(batch)
                    .fetch_all(&mut *tx)
                    .await?;
                for (id, author, text, created_at) in &rows {
                    let tags = $crate::domain::parse_hashtags(text);
                    let words = $crate::domain::indexed_words(text);
                    let names: Vec<&str> = tags.iter().map(|t| t.as_str()).collect();
                    let json = serde_json::to_string(&names)
                        .map_err(|e| anyhow::anyhow!("cannot encode tags: {e}"))?;
                    sqlx::query(sql::SET_TAGS_JSON)
                        .bind(id)
                        .bind(json)
                        .execute(&mut *tx)
                        .await?;
                    for tag in &names {
                        sqlx::query($crate::storage::tweets::INSERT_TAG)
                            .bind(*tag)
                            .bind(id)
                            .bind(author)
                            .bind(created_at)
                            .execute(&mut *tx)
                            .await?;
                    }
                    let index = match Self::DIALECT {
                        $crate::storage::words::Dialect::Sqlite => {
                            $crate::storage::words::SQLITE_INDEX_WORDS
                        }
                        $crate::storage::words::Dialect::Postgres => {
                            $crate::storage::words::POSTGRES_INDEX_WORDS
                        }
                    };
                    sqlx::query(index)
                        .bind(id)
                        .bind(&words)
                        .execute(&mut *tx)
                        .await?;
                }
                // Fewer than a batch: every tweet at or below `upto` is indexed now.
                let left = match rows.last() {
                    Some((oldest, ..)) if rows.len() as i64 == batch => oldest - 1,
                    _ => 0,
                };
                sqlx::query(sql::BACKFILL_DONE_ABOVE)
                    .bind(left)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(left)
            }

            async fn key_display_names(&self) -> Result<u64, $crate::storage::StoreError> {
                let mut keyed = 0;
                loop {
                    let rows: Vec<(i64, String)> =
                        sqlx::query_as($crate::storage::search::UNKEYED_NAMES)
                            .fetch_all(&self.pool)
                            .await?;
                    if rows.is_empty() {
                        return Ok(keyed);
                    }
                    for (id, name) in rows {
                        sqlx::query($crate::storage::search::SET_DISPLAY_KEY)
                            .bind(id)
                            .bind(name.to_lowercase())
                            .execute(&self.pool)
                            .await?;
                        keyed += 1;
                    }
                }
            }
        }
    };
}
pub(super) use impl_search;

#[cfg(test)]
mod tests {
    use super::*;

    fn query(q: &str) -> SearchQuery {
        SearchQuery::parse(q).unwrap()
    }

    #[test]
    fn words_become_each_databases_query() {
        let q = query("Café rus");
        assert_eq!(match_text(Dialect::Sqlite, &q), "\"cafe\" \"rus\"*");
        assert_eq!(match_text(Dialect::Postgres, &q), "'cafe' & 'rus':*");
        let q = query("rust #async");
        assert_eq!(match_text(Dialect::Postgres, &q), "'rust'");
    }

    #[test]
    fn statements_are_driven_by_words_then_a_tag_then_the_author() {
        let s = search_statement(Dialect::Sqlite, &query("rust #a #b from:ada"), false).unwrap();
        assert!(
            s.sql.contains("FROM tweet_words JOIN tweets t"),
            "{}",
            s.sql
        );
        assert!(s.sql.contains("ORDER BY tweet_words.rowid DESC"));
        assert_eq!(s.binds, ["\"rust\"", "a", "b", "ada"]);
        let s = search_statement(Dialect::Postgres, &query("#a #b"), true).unwrap();
        assert!(
            s.sql.contains("FROM tweet_tags g JOIN tweets t"),
            "{}",
            s.sql
        );
        assert!(s.sql.contains("g.tweet_id > $2") && s.sql.contains("ORDER BY g.tweet_id ASC"));
        assert_eq!(s.binds, ["a", "b"]);
        let s = search_statement(Dialect::Postgres, &query("from:Ada"), false).unwrap();
        assert!(s.sql.contains("FROM tweets t JOIN users u"), "{}", s.sql);
        assert_eq!(s.binds, ["ada"]);
    }

    #[test]
    fn queries_that_match_nothing_make_no_statement() {
        assert_eq!(
            search_statement(Dialect::Sqlite, &query("!!!"), false),
            None
        );
        assert_eq!(
            search_statement(Dialect::Sqlite, &query("rust from:x"), false),
            None
        );
    }

    #[test]
    fn name_prefixes_escape_like_wildcards() {
        assert_eq!(prefix_pattern("Ad_a%"), "ad\\_a\\%%");
        assert_eq!(prefix_pattern("ÉL"), "él%");
    }
}
