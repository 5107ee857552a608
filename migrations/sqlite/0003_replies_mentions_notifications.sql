-- Replies, mentions and notifications (Part 2).
-- A reply names its parent and the parent's author with no foreign key: deleting a parent
-- keeps its replies, and they still say whom they answered. `reply_count` counts the direct
-- replies still present; it moves in the transaction that inserts or deletes a reply.
-- `mentions_json` is the tweet's `mentions` as served (`[{"id","username"}]`), written once
-- when the tweet is stored, so reading a page needs no extra query; `mentions` is the same
-- list as rows, for notifications and lookups.
ALTER TABLE tweets ADD COLUMN reply_to_id        INTEGER;
ALTER TABLE tweets ADD COLUMN reply_to_author_id INTEGER;
ALTER TABLE tweets ADD COLUMN reply_count        INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tweets ADD COLUMN mentions_json      TEXT    NOT NULL DEFAULT '[]';
-- A tweet's replies, oldest first.
CREATE INDEX tweets_by_parent ON tweets (reply_to_id, id) WHERE reply_to_id IS NOT NULL;

CREATE TABLE mentions (
    tweet_id INTEGER NOT NULL REFERENCES tweets (id) ON DELETE CASCADE,
    user_id  INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    PRIMARY KEY (tweet_id, user_id)
);
CREATE INDEX mentions_by_user ON mentions (user_id, tweet_id);

-- `tweet_id` is 0 for a follow (no tweet) so that the UNIQUE constraint, which treats NULLs
-- as distinct, holds for follows too; no foreign key, so a deleted tweet's notifications
-- stay (and show `tweet: null`). At most one per (recipient, kind, actor, tweet), ever:
-- inserts say ON CONFLICT DO NOTHING.
CREATE TABLE notifications (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL,
    actor_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tweet_id     INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    is_read      INTEGER NOT NULL DEFAULT 0,
    UNIQUE (recipient_id, kind, actor_id, tweet_id)
);
-- A recipient's notifications, newest first.
CREATE INDEX notifications_by_recipient ON notifications (recipient_id, id);
-- The unread badge counts only unread rows.
CREATE INDEX notifications_unread ON notifications (recipient_id) WHERE is_read = 0;
