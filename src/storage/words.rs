//! The search index's writing side, shared by storing tweets (`tweets`) and the backfill
//! (`search`): which database a statement is written for, and how one tweet's words are
//! indexed on each (SQLite: a row of the FTS5 table `tweet_words`; PostgreSQL: the
//! `tweets.search` column, which an insert fills in the row itself).

/// Which database a statement is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite with FTS5.
    Sqlite,
    /// PostgreSQL with a tsvector column.
    Postgres,
}

/// Index tweet `$1`'s words `$2` (SQLite: a row of the FTS5 table; nothing for no words).
pub(super) const SQLITE_INDEX_WORDS: &str =
    "INSERT INTO tweet_words (rowid, words) SELECT $1, $2 WHERE $2 <> ''";
/// Index tweet `$1`'s words `$2` (PostgreSQL: its `search` column).
pub(super) const POSTGRES_INDEX_WORDS: &str =
    "UPDATE tweets SET search = array_to_tsvector(string_to_array($2, ' ')) WHERE id = $1";
