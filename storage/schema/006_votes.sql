-- Participants' upvotes of the questions moderators made public: one per person and question.
CREATE TABLE votes (
    submission_id  INTEGER NOT NULL REFERENCES submissions (id),
    voter_id       INTEGER NOT NULL,
    created_at     TEXT NOT NULL,
    PRIMARY KEY (submission_id, voter_id)
) WITHOUT ROWID;
CREATE INDEX votes_by_voter ON votes (voter_id);
-- The count, kept with the submission in the same transaction as each vote: lists and exports
-- read it without counting.
ALTER TABLE submissions ADD COLUMN votes INTEGER NOT NULL DEFAULT 0;
CREATE INDEX submissions_public ON submissions (status, votes DESC, id DESC);
