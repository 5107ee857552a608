-- Search words written behind the tweet (SQLite). Writing a tweet's words into the FTS5 index
-- in the tweet's own transaction cost most of the writer's time per tweet (FTS5 flushes a
-- segment at every commit), so a tweet's transaction now writes its words here, one plain
-- row, and a background step (`storage::search`, `index_pending_words`) moves them into
-- `tweet_words` in batches. Search reads both — these rows by matching the words directly,
-- then the index — in one read transaction, so a tweet is found from the moment it is stored.
-- Ids here are always newer than every id the step has moved (it moves all there are, in one
-- transaction), so the two parts of a page never interleave.
CREATE TABLE tweet_words_pending (
    id    INTEGER PRIMARY KEY,
    words TEXT NOT NULL
);
CREATE TRIGGER tweet_words_pending_forget AFTER DELETE ON tweets BEGIN
    DELETE FROM tweet_words_pending WHERE id = old.id;
END;
