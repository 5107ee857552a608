-- Safety (Part 3): roles, suspensions, blocks and mutes, reports and the moderation log.
--
-- A role is 'user', 'moderator' or 'admin'. A suspended account has `suspended_at` set; nothing
-- of it is deleted, and clearing it brings everything back.
ALTER TABLE users ADD COLUMN role         TEXT    NOT NULL DEFAULT 'user';
ALTER TABLE users ADD COLUMN suspended_at INTEGER;
-- Moderators are few: reports notify them all.
CREATE INDEX users_by_role ON users (role) WHERE role <> 'user';

-- Whom each viewer does not see, and why: one row per reason. A block of B by A is two rows,
-- (A, B, 'block') and (B, A, 'blocked_by'), so every list filters with one probe of the
-- unique index on (viewer_id, author_id); a mute is (muter, muted, 'mute'), with whether the
-- muted person's notifications are hidden too. `id` orders the lists of blocks and mutes.
CREATE TABLE hides (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    viewer_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    author_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    reason        TEXT    NOT NULL,
    notifications INTEGER NOT NULL DEFAULT 1,
    created_at    INTEGER NOT NULL,
    UNIQUE (viewer_id, author_id, reason),
    CHECK (viewer_id <> author_id)
);
-- A viewer's blocks (or mutes), most recent first.
CREATE INDEX hides_listed ON hides (viewer_id, reason, id);

-- `tweet_ids_json` is the reported tweets' ids as a JSON array, in the order given.
CREATE TABLE reports (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    reporter_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    target_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tweet_ids_json TEXT    NOT NULL DEFAULT '[]',
    category       TEXT    NOT NULL,
    reason         TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    resolved_by    INTEGER REFERENCES users (id),
    resolved_at    INTEGER,
    note           TEXT
);
-- Open reports, newest first; resolved ones likewise.
CREATE INDEX reports_by_status ON reports ((resolved_at IS NULL), id);

-- Every moderation act, appended and never changed. `actor_id` NULL: from the shell.
CREATE TABLE moderation_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    actor_id   INTEGER REFERENCES users (id),
    action     TEXT    NOT NULL,
    target_id  INTEGER NOT NULL REFERENCES users (id),
    note       TEXT,
    created_at INTEGER NOT NULL
);

-- Report notifications name their report: the uniqueness of (recipient, kind, actor, tweet)
-- gains `report_id` (0 for every other kind), so each report notifies each moderator once.
-- SQLite cannot change a table's constraint in place, so the table is rebuilt.
CREATE TABLE notifications_new (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL,
    actor_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    tweet_id     INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    is_read      INTEGER NOT NULL DEFAULT 0,
    report_id    INTEGER NOT NULL DEFAULT 0,
    UNIQUE (recipient_id, kind, actor_id, tweet_id, report_id)
);
INSERT INTO notifications_new (id, recipient_id, kind, actor_id, tweet_id, created_at, is_read)
    SELECT id, recipient_id, kind, actor_id, tweet_id, created_at, is_read FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_new RENAME TO notifications;
CREATE INDEX notifications_by_recipient ON notifications (recipient_id, id);
CREATE INDEX notifications_unread ON notifications (recipient_id) WHERE is_read = 0;
-- Blocking or muting someone removes their notifications to the viewer.
CREATE INDEX notifications_by_actor ON notifications (recipient_id, actor_id);
