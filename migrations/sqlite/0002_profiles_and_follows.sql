-- Profiles, follows and the home timeline (Part 2).
-- Counters live on the user row and change in the same transaction as what they count, so a
-- profile never needs COUNT(*) over a big table.
ALTER TABLE users ADD COLUMN display_name    TEXT    NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN bio             TEXT    NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN followers_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN following_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN tweet_count     INTEGER NOT NULL DEFAULT 0;
UPDATE users SET tweet_count = (SELECT COUNT(*) FROM tweets t WHERE t.author_id = users.id);

-- One row per (follower, followee). `id` only grows (it comes from `follow_ids`, never from
-- MAX(id), so a deleted newest follow's id is not handed out again): lists are "most recent
-- follow first" and page with `id < cursor`, which neither skips nor repeats while others
-- follow and unfollow.
CREATE TABLE follows (
    follower_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    followee_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    id          INTEGER NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (follower_id, followee_id),
    CHECK (follower_id <> followee_id)
);
-- Followers of a user, newest first.
CREATE INDEX follows_by_followee ON follows (followee_id, id);
-- Whom a user follows, newest first (the primary key serves the home timeline's lookups).
CREATE INDEX follows_by_follower ON follows (follower_id, id);

-- SQLite has no sequences: a one-row counter, bumped under the write lock.
CREATE TABLE follow_ids (last INTEGER NOT NULL);
INSERT INTO follow_ids (last) VALUES (0);

-- The home timeline reads each followed author's newest tweets: `tweets_by_author
-- (author_id, id)` from 0001 is that index.
