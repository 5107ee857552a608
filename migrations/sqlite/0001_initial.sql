-- Chirp's schema on SQLite. Times are UTC microseconds since the Unix epoch.
-- AUTOINCREMENT so that a deleted tweet's id is never handed out again: ids only grow.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    username      TEXT    NOT NULL,
    username_key  TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    created_at    INTEGER NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE tweets (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    author_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    text       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE INDEX tweets_by_author ON tweets (author_id, id);

CREATE TABLE likes (
    tweet_id   INTEGER NOT NULL REFERENCES tweets (id) ON DELETE CASCADE,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (tweet_id, user_id)
);

-- One row per deleted tweet, so that a node that missed the announcement can catch up.
CREATE TABLE deletions (
    tweet_id   INTEGER PRIMARY KEY,
    deleted_at INTEGER NOT NULL
);
CREATE INDEX deletions_by_time ON deletions (deleted_at);
