-- Holding up under floods: edits count toward the submission quota, and the outbox serves
-- chats in turn.

-- Every accepted edit of a pending submission's text (each one is a new text to detect and
-- translate): counted with the submissions in the participant's quota window. No text and
-- no person here: the submission says whose it was.
CREATE TABLE submission_edits (
    submission_id  INTEGER NOT NULL,
    at             TEXT NOT NULL
);
CREATE INDEX submission_edits_by_submission ON submission_edits (submission_id, at);

-- Chats take turns. The claim orders the chats' oldest open messages by next_attempt_at and
-- sets it to the claim's `now` on the rows it claims; this passes that moment on to the
-- chat's next open message, in the claim's own statement. So a chat's next message queues
-- up again behind every chat that was waiting when its previous one went: a chat with 80
-- replies queued gets one turn per round, instead of going first 80 times because its
-- messages are old. It never delays a message: the next one cannot go before the previous
-- one is done anyway, and the moment passed on is already past. Uses outbox_open_by_chat.
CREATE TRIGGER outbox_next_in_chat_waits_its_turn AFTER UPDATE OF state ON outbox
WHEN NEW.state = 'sending'
BEGIN
    UPDATE outbox SET next_attempt_at = max(next_attempt_at, NEW.next_attempt_at)
    WHERE id = (SELECT min(n.id) FROM outbox AS n WHERE n.chat_id = NEW.chat_id
                AND n.id > NEW.id AND n.state IN ('queued', 'sending'));
END;
