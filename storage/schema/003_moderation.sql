-- Moderation: decisions on submissions, the run order, review claims, the moderators' feed,
-- run-time moderators and their invitations, and the audit log.
ALTER TABLE submissions ADD COLUMN decided_by TEXT;
ALTER TABLE submissions ADD COLUMN decided_at TEXT;
ALTER TABLE submissions ADD COLUMN reason TEXT;
-- Run order of approved questions (1 = first); NULL when not approved.
ALTER TABLE submissions ADD COLUMN position INTEGER;
-- A moderator reviewing a card holds it briefly so another is not shown the same one.
ALTER TABLE submissions ADD COLUMN review_claimed_by INTEGER;
ALTER TABLE submissions ADD COLUMN review_claimed_until REAL;
-- 'post' when the submission got its own post in the moderators' group, 'digest' when it
-- was counted in a digest instead (the group was at its message budget).
ALTER TABLE submissions ADD COLUMN feed TEXT;
CREATE INDEX submissions_by_position ON submissions (position) WHERE position IS NOT NULL;

CREATE TABLE moderators (
    user_id     INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    added_by    INTEGER NOT NULL,
    added_at    TEXT NOT NULL
);

CREATE TABLE invites (
    token_sha256  TEXT PRIMARY KEY,
    created_by    INTEGER NOT NULL,
    expires_at    REAL NOT NULL,
    used_by       INTEGER,
    used_at       TEXT
);

CREATE TABLE audit_log (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    submission_id  INTEGER,
    actor_id       INTEGER NOT NULL,
    actor_name     TEXT NOT NULL,
    action         TEXT NOT NULL,
    from_status    TEXT,
    to_status      TEXT,
    reason         TEXT,
    at             TEXT NOT NULL
);
CREATE INDEX audit_by_submission ON audit_log (submission_id, id);

-- Several queued edits of the same message: only the newest matters. A coalesce key is
-- unique among queued rows, so a new edit replaces the one still waiting.
ALTER TABLE outbox ADD COLUMN coalesce_key TEXT;
-- The send whose resulting message an edit refers to (its message_id is known once sent).
ALTER TABLE outbox ADD COLUMN message_ref TEXT;
CREATE UNIQUE INDEX outbox_coalesce ON outbox (coalesce_key) WHERE state = 'queued';
