-- Hashtags and search (Part 3).
--
-- `tags_json` is the tweet's `tags` as served (`["name", …]`), written once when the tweet is
-- stored, so reading a page needs no extra query; `tweet_tags` is the same list as rows, for a
-- tag's timeline (newest first, by the primary key) and for trending (by time). Both are
-- written in the transaction that stores the tweet, and go with it.
ALTER TABLE tweets ADD COLUMN tags_json TEXT NOT NULL DEFAULT '[]';
CREATE TABLE tweet_tags (
    tag        TEXT   NOT NULL,
    tweet_id   BIGINT NOT NULL REFERENCES tweets (id) ON DELETE CASCADE,
    author_id  BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tag, tweet_id)
);
CREATE INDEX tweet_tags_by_tweet ON tweet_tags (tweet_id);
CREATE INDEX tweet_tags_by_time ON tweet_tags (created_at);

-- The search index: each tweet's words as Chirp normalises them (`domain::indexed_words`:
-- accents and case folded, split at everything but letters and numbers), stored as exactly
-- those lexemes (`array_to_tsvector`, not PostgreSQL's own parser), so PostgreSQL matches
-- exactly what SQLite does. It lives and dies with the row. NULL for tweets stored before
-- this migration until the server has indexed them (see `search_backfill`).
ALTER TABLE tweets ADD COLUMN search tsvector;
CREATE INDEX tweets_search ON tweets USING gin (search);

-- Tweets stored before this migration are indexed by the server after it starts, newest
-- first, in batches (`storage::search` backfill): `upto` is the highest id still to index.
CREATE TABLE search_backfill (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    upto BIGINT  NOT NULL
);
INSERT INTO search_backfill (id, upto) SELECT 1, COALESCE(MAX(id), 0) FROM tweets;

-- People search matches display names ignoring case, by Rust's Unicode lowercase (which
-- lower() under the C locale is not): kept beside the name. NULL until keyed (the server
-- keys existing names when it starts).
ALTER TABLE users ADD COLUMN display_key TEXT;
