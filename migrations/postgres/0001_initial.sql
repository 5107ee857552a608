-- Chirp's schema on PostgreSQL. Times are UTC microseconds since the Unix epoch.
CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      TEXT   NOT NULL,
    username_key  TEXT   NOT NULL UNIQUE,
    password_hash TEXT   NOT NULL,
    created_at    BIGINT NOT NULL
);

CREATE TABLE sessions (
    token_hash TEXT   PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL
);
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE tweets (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    author_id  BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    text       TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX tweets_by_author ON tweets (author_id, id);

CREATE TABLE likes (
    tweet_id   BIGINT NOT NULL REFERENCES tweets (id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (tweet_id, user_id)
);

-- One row per deleted tweet, so that a node that missed the announcement can catch up.
CREATE TABLE deletions (
    tweet_id   BIGINT PRIMARY KEY,
    deleted_at BIGINT NOT NULL
);
CREATE INDEX deletions_by_time ON deletions (deleted_at);
