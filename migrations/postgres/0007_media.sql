-- Image attachments (Part 3). An upload is a row with `tweet_id` NULL until a tweet takes it
-- (at most 4 per tweet, in `position` order). No foreign key to tweets: deleting a tweet
-- leaves its rows for the media service, which removes their files first and then the rows
-- (the sweep also finds the rows of recently deleted tweets, should a node stop in between).
-- `media_json` is the tweet's `media` as served, written once when the tweet is stored (and
-- again if a description changes), so reading a page needs no extra query.
CREATE TABLE media (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    owner_id       BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tweet_id       BIGINT,
    position       BIGINT  NOT NULL DEFAULT 0,
    file_key       TEXT    NOT NULL UNIQUE,
    preview_key    TEXT    NOT NULL,
    width          BIGINT  NOT NULL,
    height         BIGINT  NOT NULL,
    preview_width  BIGINT  NOT NULL,
    preview_height BIGINT  NOT NULL,
    description    TEXT    NOT NULL DEFAULT '',
    blurhash       TEXT    NOT NULL,
    created_at     BIGINT  NOT NULL
);
CREATE INDEX media_by_tweet ON media (tweet_id) WHERE tweet_id IS NOT NULL;
-- The sweep of uploads never attached, oldest first.
CREATE INDEX media_unattached ON media (created_at) WHERE tweet_id IS NULL;

ALTER TABLE tweets ADD COLUMN media_json TEXT NOT NULL DEFAULT '[]';
