-- Each command that tried to change what is on air (/live, /next), whatever came of it: a
-- replayed update finds its row and changes nothing; the row's id numbers an airing, so a
-- question aired again is announced again; the latest change and who made it let a /next
-- that crossed another moderator's be refused.
CREATE TABLE live_log (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    request_key    TEXT NOT NULL UNIQUE,
    actor_id       INTEGER NOT NULL,
    submission_id  INTEGER,
    outcome        TEXT NOT NULL DEFAULT 'pending',
    at             TEXT NOT NULL
);
