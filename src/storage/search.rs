//! Hashtags and search: the statement a tweet search (or a tag's timeline) is read with on
//! each database, people search, the tag uses trending starts from, and the backfill that
//! indexes tweets stored before search existed; the macro that implements `Search` with it.
//!
//! Both databases match the same normalised words (`domain::indexed_words`): SQLite's FTS5
//! table `tweet_words` (`"word"`, `"prefix"*`), PostgreSQL's `tweets.search` tsvector
//! (`'word' & 'prefix':*`). SQLite's newest tweets wait in `tweet_words_pending` until a
//! background step moves them into the index in batches (`index_pending_words`; an FTS5 row
//! per tweet transaction was most of the writer's cost): a search reads those rows first,
//! matching the words directly, then the index, in one read transaction (`Plan::Pending`). A statement is driven by its most selective part, so that it can
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

/// How many of the newest tweets past the bound PostgreSQL looks through first for word
/// matches (`Plan::RecentWindow`): a word in more than one tweet in a hundred fills a page
/// there.
pub const RECENT_WINDOW: i64 = 2000;

/// How a page of word matches is read. SQLite's FTS5 hands matches out newest first by
/// itself, so it has one way (`Direct`), after the words not yet moved into it (`Pending`). PostgreSQL's planner must choose between walking ids
/// newest first (quick for common words, a long walk for rare ones) and gathering every
/// match from the GIN index (the reverse), and guesses wrong for words between the two. So
/// it is asked twice at most: first among the newest `RECENT_WINDOW` tweets past the bound,
/// which fills the page for any common word; only when that falls short (rarer words, whose
/// matches are few), from every match, its index kept out of the ordering.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Plan {
    /// One statement, as the database plans it.
    Direct,
    /// SQLite's pending words (`tweet_words_pending`), newer than every indexed tweet, each
    /// row's words matched directly.
    Pending,
    /// Only the newest `RECENT_WINDOW` tweets past the bound.
    RecentWindow,
    /// Every match, gathered by the words' index and then ordered.
    AllMatches,
}

/// How the pages of several plans make one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Combine {
    /// Each plan reads the whole page; the first that fills it is the answer.
    FirstFull,
    /// Each plan reads a part, in order; the parts follow one another (in one read
    /// transaction), each asked for what the page still lacks.
    Concatenate,
}

/// The plans to read a page of `query` with on `dialect`, in order (oldest first when
/// `ascending`), and how their pages combine.
pub fn plans(dialect: Dialect, query: &SearchQuery, ascending: bool) -> (&'static [Plan], Combine) {
    match dialect {
        _ if query.words.is_empty() => (&[Plan::Direct], Combine::FirstFull),
        Dialect::Postgres => (&[Plan::RecentWindow, Plan::AllMatches], Combine::FirstFull),
        // Pending words are newer than every indexed one.
        Dialect::Sqlite if ascending => (&[Plan::Direct, Plan::Pending], Combine::Concatenate),
        Dialect::Sqlite => (&[Plan::Pending, Plan::Direct], Combine::Concatenate),
    }
}

/// The conditions that `words` (a row's space-separated words) holds every word of
/// `query`, the last as a prefix when asked; each binds its needle through `bind`.
fn words_held(query: &SearchQuery, mut bind: impl FnMut(String) -> String) -> Vec<String> {
    let last = query.words.len().saturating_sub(1);
    query
        .words
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let needle = if query.prefix && i == last {
                bind(format!(" {w}"))
            } else {
                bind(format!(" {w} "))
            };
            format!("instr(' ' || p.words || ' ', {needle}) > 0")
        })
        .collect()
}

/// The statement for one page of `query`, oldest first when `ascending`, read by `plan`;
/// `None` when the query can match nothing (no part at all, or an impossible author).
pub fn search_statement(
    dialect: Dialect,
    query: &SearchQuery,
    ascending: bool,
    plan: Plan,
) -> Option<Statement> {
    if query.impossible || query.is_empty() {
        return None;
    }
    let mut binds: Vec<String> = Vec::new();
    let mut bind = |value: String| {
        binds.push(value);
        format!("${}", binds.len() + 3)
    };
    let (compare, order) = if ascending {
        (">", "ASC")
    } else {
        ("<", "DESC")
    };
    let mut conditions: Vec<String> = Vec::new();
    let mut tags = query.tags.iter();
    let window = format!(
        "(SELECT * FROM tweets r WHERE r.id {compare} $2 ORDER BY r.id {order} \
         LIMIT {RECENT_WINDOW}) t"
    );
    let (from, id): (&str, &str) = if !query.words.is_empty() {
        match (dialect, plan) {
            (Dialect::Sqlite, Plan::Pending) => {
                conditions.extend(words_held(query, &mut bind));
                ("tweet_words_pending p JOIN tweets t ON t.id = p.id", "p.id")
            }
            (Dialect::Sqlite, _) => {
                let words = bind(match_text(dialect, query));
                // FTS5 matches by its table's name (a column filter needs positions).
                conditions.push(format!("tweet_words MATCH {words}"));
                (
                    "tweet_words JOIN tweets t ON t.id = tweet_words.rowid",
                    "tweet_words.rowid",
                )
            }
            (Dialect::Postgres, _) => {
                let words = bind(match_text(dialect, query));
                conditions.push(format!("t.search @@ CAST({words} AS tsquery)"));
                match plan {
                    Plan::RecentWindow => (window.as_str(), "t.id"),
                    Plan::Direct | Plan::AllMatches | Plan::Pending => ("tweets t", "t.id"),
                }
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
    // `+ 0`: an expression no index is ordered by, so the planner gathers the matches first.
    let ordered_by = if plan == Plan::AllMatches {
        format!("{id} + 0")
    } else {
        id.to_owned()
    };
    let sql = format!(
        "{columns}FROM {from} {joins}WHERE {id} {compare} $2 AND {conditions} AND {shown}{thread}\
         ORDER BY {ordered_by} {order} LIMIT $3",
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
                use $crate::storage::search as sql;
                let (bound, ascending) = $crate::storage::timelines::bound(page);
                let (plans, combine) = sql::plans(Self::DIALECT, query, ascending);
                // Parts are read in one read transaction, from one snapshot, so a tweet
                // moving from one part to the next meanwhile is in exactly one of them. A
                // page read whole by one statement needs none (no BEGIN/COMMIT round trips).
                let mut tx = match combine {
                    sql::Combine::Concatenate => Some(self.pool.begin().await?),
                    sql::Combine::FirstFull => None,
                };
                let mut rows: Vec<$crate::storage::tweets::TweetRow> = Vec::new();
                for &plan in plans {
                    let Some(statement) =
                        sql::search_statement(Self::DIALECT, query, ascending, plan)
                    else {
                        return Ok(Vec::new());
                    };
                    let limit = match combine {
                        sql::Combine::FirstFull => page.limit,
                        sql::Combine::Concatenate => page.limit - rows.len() as i64,
                    };
                    let mut q =
                        sqlx::query_as::<_, $crate::storage::tweets::TweetRow>(&statement.sql)
                            .bind(viewer)
                            .bind(bound)
                            .bind(limit);
                    for value in &statement.binds {
                        q = q.bind(value);
                    }
                    let part = match &mut tx {
                        Some(tx) => q.fetch_all(&mut **tx).await?,
                        None => q.fetch_all(&self.pool).await?,
                    };
                    match combine {
                        sql::Combine::FirstFull => rows = part,
                        sql::Combine::Concatenate => rows.extend(part),
                    }
                    if rows.len() as i64 >= page.limit {
                        break;
                    }
                }
                if let Some(tx) = tx {
                    tx.commit().await?;
                }
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

            async fn index_pending_words(
                &self,
                batch: i64,
            ) -> Result<u64, $crate::storage::StoreError> {
                if Self::DIALECT != $crate::storage::words::Dialect::Sqlite {
                    return Ok(0);
                }
                use $crate::storage::words as sql;
                // Looked at without the write lock first: an idle server must not take it
                // ten times a second for nothing.
                let (waiting,): (Option<i64>,) = sqlx::query_as(sql::PENDING_BATCH_END)
                    .bind(1_i64)
                    .fetch_one(&self.pool)
                    .await?;
                if waiting.is_none() {
                    return Ok(0);
                }
                let mut tx = self.begin_write().await?;
                let (upto,): (Option<i64>,) = sqlx::query_as(sql::PENDING_BATCH_END)
                    .bind(batch)
                    .fetch_one(&mut *tx)
                    .await?;
                let Some(upto) = upto else {
                    return Ok(0);
                };
                let moved = sqlx::query(sql::MOVE_PENDING_WORDS)
                    .bind(upto)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                sqlx::query(sql::DELETE_PENDING_WORDS)
                    .bind(upto)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(moved)
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
        let s = search_statement(
            Dialect::Sqlite,
            &query("rust #a #b from:ada"),
            false,
            Plan::Direct,
        )
        .unwrap();
        assert!(
            s.sql.contains("FROM tweet_words JOIN tweets t"),
            "{}",
            s.sql
        );
        assert!(s.sql.contains("ORDER BY tweet_words.rowid DESC"));
        assert_eq!(s.binds, ["\"rust\"", "a", "b", "ada"]);
        let s = search_statement(Dialect::Postgres, &query("#a #b"), true, Plan::Direct).unwrap();
        assert!(
            s.sql.contains("FROM tweet_tags g JOIN tweets t"),
            "{}",
            s.sql
        );
        assert!(s.sql.contains("g.tweet_id > $2") && s.sql.contains("ORDER BY g.tweet_id ASC"));
        assert_eq!(s.binds, ["a", "b"]);
        let s =
            search_statement(Dialect::Postgres, &query("from:Ada"), false, Plan::Direct).unwrap();
        assert!(s.sql.contains("FROM tweets t JOIN users u"), "{}", s.sql);
        assert_eq!(s.binds, ["ada"]);
    }

    #[test]
    fn postgres_looks_among_recent_tweets_first_then_at_every_match() {
        let q = query("people time");
        assert_eq!(
            plans(Dialect::Postgres, &q, false),
            (
                &[Plan::RecentWindow, Plan::AllMatches][..],
                Combine::FirstFull
            )
        );
        assert_eq!(
            plans(Dialect::Postgres, &query("#tag"), false),
            (&[Plan::Direct][..], Combine::FirstFull)
        );
        let s = search_statement(Dialect::Postgres, &q, false, Plan::RecentWindow).unwrap();
        assert!(
            s.sql.contains("ORDER BY r.id DESC LIMIT 2000) t"),
            "{}",
            s.sql
        );
        let s = search_statement(Dialect::Postgres, &q, false, Plan::AllMatches).unwrap();
        assert!(s.sql.contains("FROM tweets t ") && s.sql.contains("ORDER BY t.id + 0 DESC"));
    }

    #[test]
    fn sqlite_reads_pending_words_then_the_index_newest_first() {
        let q = query("Café rus");
        assert_eq!(
            plans(Dialect::Sqlite, &q, false),
            (&[Plan::Pending, Plan::Direct][..], Combine::Concatenate)
        );
        assert_eq!(
            plans(Dialect::Sqlite, &q, true),
            (&[Plan::Direct, Plan::Pending][..], Combine::Concatenate)
        );
        assert_eq!(
            plans(Dialect::Sqlite, &query("#tag"), false),
            (&[Plan::Direct][..], Combine::FirstFull)
        );
        let s = search_statement(Dialect::Sqlite, &q, false, Plan::Pending).unwrap();
        assert!(
            s.sql
                .contains("FROM tweet_words_pending p JOIN tweets t ON t.id = p.id"),
            "{}",
            s.sql
        );
        assert!(s.sql.contains("instr(' ' || p.words || ' ', $4) > 0"));
        assert!(s.sql.contains("ORDER BY p.id DESC"));
        // Whole words, the last a prefix: as FTS5 matches `"cafe" "rus"*`.
        assert_eq!(s.binds, [" cafe ", " rus"]);
    }

    #[test]
    fn queries_that_match_nothing_make_no_statement() {
        assert_eq!(
            search_statement(Dialect::Sqlite, &query("!!!"), false, Plan::Direct),
            None
        );
        assert_eq!(
            search_statement(Dialect::Sqlite, &query("rust from:x"), false, Plan::Direct),
            None
        );
    }

    #[test]
    fn name_prefixes_escape_like_wildcards() {
        assert_eq!(prefix_pattern("Ad_a%"), "ad\\_a\\%%");
        assert_eq!(prefix_pattern("ÉL"), "él%");
    }
}
