-- Hashtags and search (Part 3).
--
-- `tags_json` is the tweet's `tags` as served (`["name", …]`), written once when the tweet is
-- stored, so reading a page needs no extra query; `tweet_tags` is the same list as rows, for a
-- tag's timeline (newest first by `tweet_tags_by_tag`) and for trending (by time). Both are
-- written in the transaction that stores the tweet, and go with it.
ALTER TABLE tweets ADD COLUMN tags_json TEXT NOT NULL DEFAULT '[]';
CREATE TABLE tweet_tags (
    tag        TEXT    NOT NULL,
    tweet_id   INTEGER NOT NULL REFERENCES tweets (id) ON DELETE CASCADE,
    author_id  INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tag, tweet_id)
) WITHOUT ROWID;
CREATE INDEX tweet_tags_by_tweet ON tweet_tags (tweet_id);
CREATE INDEX tweet_tags_by_time ON tweet_tags (created_at);

-- The search index: each tweet's words as Chirp normalises them (`domain::indexed_words`:
-- accents and case folded, split at everything but letters and numbers), joined by spaces,
-- under the tweet's id. The tokenizer only splits at those spaces (no folding of its own), so
-- SQLite matches exactly what PostgreSQL does. Contentless (the text is in `tweets`), with
-- deletes, and without positions (searches are sets of words and prefixes, not phrases).
CREATE VIRTUAL TABLE tweet_words USING fts5(
    words,
    content = '',
    contentless_delete = 1,
    detail = none,
    tokenize = 'unicode61 remove_diacritics 0'
);
-- A deleted tweet is never found again, however it was deleted.
CREATE TRIGGER tweet_words_forget AFTER DELETE ON tweets BEGIN
    DELETE FROM tweet_words WHERE rowid = old.id;
END;

-- Tweets stored before this migration are indexed by the server after it starts, newest
-- first, in batches (`storage::search` backfill): `upto` is the highest id still to index.
CREATE TABLE search_backfill (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    upto INTEGER NOT NULL
);
INSERT INTO search_backfill (id, upto) SELECT 1, COALESCE(MAX(id), 0) FROM tweets;

-- People search matches display names ignoring case, by Rust's Unicode lowercase, which
-- SQLite's lower() is not (ASCII only): kept beside the name. NULL until keyed (the server
-- keys existing names when it starts).
ALTER TABLE users ADD COLUMN display_key TEXT;
