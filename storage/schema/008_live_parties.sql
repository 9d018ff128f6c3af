-- The live show and viewing parties.

-- Group chats an organizer registered as viewing parties (an embassy, a consulate, a hub),
-- each with a place and the language the bot speaks there.
CREATE TABLE parties (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    chat_id        INTEGER NOT NULL UNIQUE,
    place          TEXT NOT NULL,
    locale         TEXT NOT NULL,
    registered_by  INTEGER NOT NULL,
    registered_at  TEXT NOT NULL
);

-- A question asked in a party with /ask carries the party, and the place as it was then.
ALTER TABLE submissions ADD COLUMN party_id INTEGER REFERENCES parties (id);
ALTER TABLE submissions ADD COLUMN party_place TEXT;
CREATE INDEX submissions_by_party ON submissions (party_id, status) WHERE party_id IS NOT NULL;

-- Lower goes first. Answers to someone who is waiting (replies, confirmations) are 0; notices
-- to many people at once ("now answering") are 1, so a question sent during the live show is
-- still confirmed at once.
ALTER TABLE outbox ADD COLUMN priority INTEGER NOT NULL DEFAULT 0;
