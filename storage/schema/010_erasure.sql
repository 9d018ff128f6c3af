-- Every text hash under which a submission's texts were cached: its versions before edits,
-- its translations, what /browse translated for readers. Erasure follows these links to
-- cache rows of texts that are no longer stored anywhere else.
CREATE TABLE cache_links (
    submission_id  INTEGER NOT NULL,
    text_sha256    TEXT NOT NULL,
    PRIMARY KEY (submission_id, text_sha256)
) WITHOUT ROWID;

-- A failed message is never sent again: its text has no reason to stay.
UPDATE outbox SET payload = '{}' WHERE state = 'failed';
