-- Language detection and translation provenance, filled in by the translation worker after
-- the submission is stored and confirmed (intake never waits for them).
ALTER TABLE submissions ADD COLUMN translation_status TEXT NOT NULL DEFAULT 'pending'
    CHECK (translation_status IN ('pending', 'done', 'failed', 'not_needed'));
ALTER TABLE submissions ADD COLUMN translated_at TEXT;
ALTER TABLE submissions ADD COLUMN translation_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE submissions ADD COLUMN translation_due_at REAL NOT NULL DEFAULT 0;
ALTER TABLE submissions ADD COLUMN translation_error TEXT;
CREATE INDEX submissions_translation_due ON submissions (translation_due_at, id)
    WHERE translation_status = 'pending';

-- Identical (text, source, target) is translated once per engine.
CREATE TABLE translation_cache (
    engine       TEXT NOT NULL,
    source       TEXT NOT NULL,
    target       TEXT NOT NULL,
    text_sha256  TEXT NOT NULL,
    translation  TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (engine, source, target, text_sha256)
) WITHOUT ROWID;
