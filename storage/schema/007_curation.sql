-- Curation across languages: similar submissions, merges, corrected translations, answers.

-- Similar earlier submissions found when this one's working-language text was ready, best
-- first ("12 40"): shown to moderators on the post, card and /show.
ALTER TABLE submissions ADD COLUMN similar_to TEXT;
-- Status 'merged': this submission joined another one. Chains are flattened, so this is always
-- the submission that stands for all of them.
ALTER TABLE submissions ADD COLUMN merged_into INTEGER REFERENCES submissions (id);
CREATE INDEX submissions_by_merged_into ON submissions (merged_into) WHERE merged_into IS NOT NULL;
-- Who corrected the machine translation (/fixtr); NULL while it is the machine's.
ALTER TABLE submissions ADD COLUMN translation_reviewed_by TEXT;

-- The look-alikes each submission was found to have when its text was ready; read both ways,
-- so /show of an earlier one lists the later ones too.
CREATE TABLE similar (
    submission_id  INTEGER NOT NULL REFERENCES submissions (id),
    other_id       INTEGER NOT NULL REFERENCES submissions (id),
    score          REAL NOT NULL,
    PRIMARY KEY (submission_id, other_id)
) WITHOUT ROWID;
CREATE INDEX similar_by_other ON similar (other_id);

-- Written answers (/answer), delivered to the asker, the voters and the merged askers.
CREATE TABLE answers (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    submission_id  INTEGER NOT NULL REFERENCES submissions (id),
    text           TEXT NOT NULL,
    answered_by    TEXT NOT NULL,
    -- The organizer's command that made it: a replayed update cannot answer twice.
    request_key    TEXT NOT NULL UNIQUE,
    recipients     INTEGER NOT NULL,
    created_at     TEXT NOT NULL
);
CREATE INDEX answers_by_submission ON answers (submission_id, id);
