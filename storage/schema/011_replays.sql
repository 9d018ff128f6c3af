-- An update handled twice (replayed after a crash) changes nothing the second time.

-- Commands whose change is not a compare-and-set on a status (/open, /close, /move, /fixtr,
-- /invite) record their update's key in the change's own transaction: a replay finds it.
CREATE TABLE handled_requests (
    request_key  TEXT PRIMARY KEY,
    at           TEXT NOT NULL
) WITHOUT ROWID;

-- The /broadcast that made a draft: replayed, it finds that draft instead of making another.
ALTER TABLE broadcasts ADD COLUMN request_key TEXT;
CREATE UNIQUE INDEX broadcasts_by_request ON broadcasts (request_key);

-- The /party that registered the group: replayed, it is still the one that registered it;
-- any other /party there renames it.
ALTER TABLE parties ADD COLUMN request_key TEXT;
