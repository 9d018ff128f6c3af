-- Participants: the least we need to answer someone in their language and to rate-limit them.
-- No names or usernames are kept; `pseudonym` is what exports show instead of the Telegram id.
CREATE TABLE participants (
    user_id        INTEGER PRIMARY KEY,
    language_code  TEXT,
    locale         TEXT,
    pseudonym      TEXT NOT NULL UNIQUE,
    created_at     TEXT NOT NULL
);

CREATE TABLE submissions (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id              INTEGER NOT NULL,
    message_id           INTEGER NOT NULL,
    participant_id       INTEGER NOT NULL REFERENCES participants(user_id),
    kind                 TEXT NOT NULL CHECK (kind IN ('question', 'idea')),
    status               TEXT NOT NULL DEFAULT 'pending',
    text                 TEXT NOT NULL,
    locale               TEXT NOT NULL,
    language             TEXT,
    language_confidence  REAL,
    translation          TEXT,
    translation_engine   TEXT,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    -- Idempotent intake: a replayed update can never make a second row.
    UNIQUE (chat_id, message_id)
);
CREATE INDEX submissions_by_participant ON submissions (participant_id, created_at);
CREATE INDEX submissions_by_status ON submissions (status, id);

-- Write-ahead inbox: raw updates committed before their offset is confirmed to Telegram.
-- Rows are deleted once handled, so raw payloads (which carry names) do not linger.
CREATE TABLE inbox (
    update_id    INTEGER PRIMARY KEY,
    payload      TEXT NOT NULL,
    received_at  TEXT NOT NULL
);

-- Transactional outbox: every message the bot owes someone.
CREATE TABLE outbox (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id            INTEGER NOT NULL,
    method             TEXT NOT NULL,
    payload            TEXT NOT NULL,
    -- Same key, same message: replays and retries of the code that owes it cannot queue it twice.
    dedup_key          TEXT UNIQUE,
    state              TEXT NOT NULL DEFAULT 'queued'
                       CHECK (state IN ('queued', 'sending', 'sent', 'failed')),
    attempts           INTEGER NOT NULL DEFAULT 0,
    next_attempt_at    REAL NOT NULL,
    last_error         TEXT,
    result_message_id  INTEGER,
    created_at         TEXT NOT NULL,
    sent_at            TEXT
);
CREATE INDEX outbox_due ON outbox (next_attempt_at, id) WHERE state = 'queued';

CREATE TABLE settings (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
-- The sender takes each chat's oldest open message only, so a chat's messages keep their order.
CREATE INDEX outbox_open_by_chat ON outbox (chat_id, id) WHERE state IN ('queued', 'sending');
