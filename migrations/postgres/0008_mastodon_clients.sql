-- The Mastodon client API (Part 4): registered apps, OAuth authorization codes and tokens,
-- read markers, and dismissed notifications.
--
-- Secrets are stored as SHA-256 hex, never as given: an app's client secret, a code, a token.
-- A token that acts for a user also has a `sessions` row with the same hash, so that signing
-- out everywhere and a suspension end it like any session; Chirp's own API refuses these
-- tokens (their scopes are for the Mastodon API only). An app-only token
-- (`client_credentials`) has no user and no session.
CREATE TABLE oauth_apps (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    client_id     TEXT   NOT NULL UNIQUE,
    secret_hash   TEXT   NOT NULL,
    name          TEXT   NOT NULL,
    website       TEXT,
    redirect_uris TEXT   NOT NULL,
    scopes        TEXT   NOT NULL,
    created_at    BIGINT NOT NULL
);

-- Codes live ten minutes and are used once (deleted as they are exchanged).
CREATE TABLE oauth_codes (
    code_hash        TEXT   PRIMARY KEY,
    app_id           BIGINT NOT NULL REFERENCES oauth_apps (id) ON DELETE CASCADE,
    user_id          BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    redirect_uri     TEXT   NOT NULL,
    scopes           TEXT   NOT NULL,
    challenge        TEXT,
    challenge_method TEXT,
    expires_at       BIGINT NOT NULL
);

CREATE TABLE oauth_tokens (
    token_hash TEXT   PRIMARY KEY,
    app_id     BIGINT NOT NULL REFERENCES oauth_apps (id) ON DELETE CASCADE,
    user_id    BIGINT REFERENCES users (id) ON DELETE CASCADE,
    scopes     TEXT   NOT NULL,
    created_at BIGINT NOT NULL
);

-- Where a user stopped reading a timeline (`home`, `notifications`).
CREATE TABLE markers (
    user_id      BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    timeline     TEXT   NOT NULL,
    last_read_id BIGINT NOT NULL,
    version      BIGINT NOT NULL,
    updated_at   BIGINT NOT NULL,
    PRIMARY KEY (user_id, timeline)
);

-- A dismissed notification leaves every list and count but keeps its row, so the rule
-- "once ever per (kind, actor, tweet)" still holds after it.
ALTER TABLE notifications ADD COLUMN dismissed BIGINT NOT NULL DEFAULT 0;
