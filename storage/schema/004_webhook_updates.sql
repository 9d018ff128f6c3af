-- Update ids received through the webhook. Telegram may deliver webhook updates out of order
-- and re-deliver one whose acknowledgement was lost, so the polling offset cannot tell a
-- repeat from a late arrival; this table can. Pruned after two days.
CREATE TABLE seen_updates (
    update_id    INTEGER PRIMARY KEY,
    received_at  REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX seen_updates_by_time ON seen_updates (received_at);
