//! The search index's writing side, shared by storing tweets (`tweets`) and the backfill
//! (`search`): which database a statement is written for, and how one tweet's words are
//! indexed on each (SQLite: a row of `tweet_words_pending`, moved into the FTS5 table
//! `tweet_words` in batches by `MOVE_PENDING_WORDS`; PostgreSQL: the `tweets.search` column,
//! which an insert fills in the row itself).

/// Which database a statement is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    /// SQLite with FTS5.
    Sqlite,
    /// PostgreSQL with a tsvector column.
    Postgres,
}

/// Index tweet `$1`'s words `$2` (SQLite: a row of the FTS5 table; nothing for no words).
/// For the backfill of old tweets, in batches already.
pub(super) const SQLITE_INDEX_WORDS: &str =
    "INSERT INTO tweet_words (rowid, words) SELECT $1, $2 WHERE $2 <> ''";
/// Keep tweet `$1`'s words `$2` for the index (SQLite, in the tweet's own transaction: one
/// plain row, where an FTS5 row would flush a segment at commit).
pub(super) const SQLITE_PENDING_WORDS: &str =
    "INSERT INTO tweet_words_pending (id, words) VALUES ($1, $2)";
/// The highest id among the `$1` oldest pending rows (NULL: none pending). Moving the oldest
/// first keeps every row left pending newer than every row indexed.
pub(super) const PENDING_BATCH_END: &str = "SELECT MAX(id) FROM \
     (SELECT id FROM tweet_words_pending ORDER BY id LIMIT $1)";
/// Move the pending rows up to id `$1` into the FTS5 index (SQLite; with
/// `DELETE_PENDING_WORDS`, in one write transaction).
pub(super) const MOVE_PENDING_WORDS: &str = "INSERT INTO tweet_words (rowid, words) \
     SELECT id, words FROM tweet_words_pending WHERE id <= $1 ORDER BY id";
/// Forget the pending rows up to id `$1`, just moved.
pub(super) const DELETE_PENDING_WORDS: &str = "DELETE FROM tweet_words_pending WHERE id <= $1";
/// Index tweet `$1`'s words `$2` (PostgreSQL: its `search` column).
pub(super) const POSTGRES_INDEX_WORDS: &str =
    "UPDATE tweets SET search = array_to_tsvector(string_to_array($2, ' ')) WHERE id = $1";
