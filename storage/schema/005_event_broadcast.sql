-- Topics come from the event file; a participant picks one after submitting (NULL: none).
ALTER TABLE submissions ADD COLUMN topic TEXT;
CREATE INDEX submissions_by_topic ON submissions (topic, status) WHERE topic IS NOT NULL;

-- Set when Telegram says the participant blocked the bot or is gone; cleared when they write
-- again. Broadcasts skip them.
ALTER TABLE participants ADD COLUMN blocked_at TEXT;

-- The broadcast a message belongs to. Broadcast messages are sent at most once: after a
-- crash, one left 'sending' is not sent again, so no one gets an announcement twice.
ALTER TABLE outbox ADD COLUMN broadcast_id INTEGER;
CREATE INDEX outbox_by_broadcast ON outbox (broadcast_id, state) WHERE broadcast_id IS NOT NULL;

CREATE TABLE broadcasts (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    created_by    INTEGER NOT NULL,
    author_name   TEXT NOT NULL,
    -- The organizer's text and the locale it is written in; texts they gave per locale (JSON).
    source_locale TEXT NOT NULL,
    text          TEXT NOT NULL,
    own_texts     TEXT NOT NULL DEFAULT '{}',
    state         TEXT NOT NULL DEFAULT 'draft'
                  CHECK (state IN ('draft', 'sending', 'done', 'cancelled')),
    -- The preview message, which becomes the progress message once confirmed.
    chat_id       INTEGER NOT NULL,
    message_id    INTEGER,
    recipients    INTEGER,
    -- Participants are queued in user_id order; the last one queued (resumes after a crash).
    cursor        INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    confirmed_at  TEXT,
    finished_at   TEXT
);

-- The text each locale receives: the organizer's own, a machine translation, or the original
-- when no translation could be made. Made once per locale, before anything is queued.
CREATE TABLE broadcast_texts (
    broadcast_id  INTEGER NOT NULL REFERENCES broadcasts (id),
    locale        TEXT NOT NULL,
    text          TEXT NOT NULL,
    origin        TEXT NOT NULL CHECK (origin IN ('organizer', 'machine', 'original')),
    PRIMARY KEY (broadcast_id, locale)
) WITHOUT ROWID;
