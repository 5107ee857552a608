-- Secrets every node of a cluster must share and that must outlive a restart (the key
-- that signs follow-list cursors): made at random by the first node that needs one
-- (INSERT … ON CONFLICT DO NOTHING, then read back), so all nodes read the same value.
CREATE TABLE secrets (
    name  TEXT PRIMARY KEY,
    value BYTEA NOT NULL
);
