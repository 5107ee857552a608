-- Profiles, follows and the home timeline (Part 2).
-- Counters live on the user row and change in the same transaction as what they count, so a
-- profile never needs COUNT(*) over a big table.
ALTER TABLE users
    ADD COLUMN display_name    TEXT   NOT NULL DEFAULT '',
    ADD COLUMN bio             TEXT   NOT NULL DEFAULT '',
    ADD COLUMN followers_count BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN following_count BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN tweet_count     BIGINT NOT NULL DEFAULT 0;
UPDATE users SET tweet_count = c.n
    FROM (SELECT author_id, COUNT(*) AS n FROM tweets GROUP BY author_id) c
    WHERE c.author_id = users.id;

-- One row per (follower, followee). `id` comes from a sequence, so it only grows: lists are
-- "most recent follow first" and page with `id < cursor`, which neither skips nor repeats
-- while others follow and unfollow (a follow committed late lands above the reader's cursor,
-- where a newer follow belongs).
CREATE TABLE follows (
    follower_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    followee_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    id          BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    created_at  BIGINT NOT NULL,
    PRIMARY KEY (follower_id, followee_id),
    CHECK (follower_id <> followee_id)
);
-- Followers of a user, newest first.
CREATE INDEX follows_by_followee ON follows (followee_id, id);
-- Whom a user follows, newest first (the primary key serves the home timeline's lookups).
CREATE INDEX follows_by_follower ON follows (follower_id, id);

-- The home timeline reads each followed author's newest tweets: `tweets_by_author
-- (author_id, id)` from 0001 is that index.
