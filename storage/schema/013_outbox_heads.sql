-- The claim in O(batch): one row per chat with anything open (queued or sending), kept in the
-- same transaction as every change to the outbox. It holds what the claim orders chats by:
-- the chat's oldest open message (its head: only it may go, so a chat's messages keep their
-- order), whether that one is waiting ('queued', not on the wire), its next_attempt_at, and
-- the chat's most urgent open priority (a chat with anything urgent open goes first with its
-- oldest message). The claim reads the first due heads through outbox_heads_due, whose order
-- is its ORDER BY: no scan or sort of every queued row.
CREATE TABLE outbox_heads (
    chat_id          INTEGER PRIMARY KEY,
    head_id          INTEGER NOT NULL,
    waiting          INTEGER NOT NULL,
    priority         INTEGER NOT NULL,
    next_attempt_at  REAL NOT NULL
);
CREATE INDEX outbox_heads_due ON outbox_heads (priority, next_attempt_at, head_id) WHERE waiting;

INSERT INTO outbox_heads (chat_id, head_id, waiting, priority, next_attempt_at)
SELECT o.chat_id, o.id, o.state = 'queued', c.priority, o.next_attempt_at
FROM (SELECT chat_id, min(id) AS head_id, min(priority) AS priority FROM outbox
      WHERE state IN ('queued', 'sending') GROUP BY chat_id) AS c
JOIN outbox AS o ON o.id = c.head_id;

-- A new message is entered by the code that queues it (storage/outbox.py, HEADS_OF_NEW_ROWS:
-- one statement for a whole batch; a trigger per row tripled the time it takes to queue a
-- notice to 100,000 people). The triggers below keep the heads on every other change.

-- Claimed, or back in the queue (a retry, a restart): the chat's open messages are the same;
-- only whether its head is waiting, and when, changes.
CREATE TRIGGER outbox_heads_on_turn AFTER UPDATE OF state ON outbox
WHEN OLD.state IN ('queued', 'sending') AND NEW.state IN ('queued', 'sending')
    AND OLD.state != NEW.state
BEGIN
    UPDATE outbox_heads SET waiting = NEW.state = 'queued', next_attempt_at = NEW.next_attempt_at
    WHERE chat_id = NEW.chat_id AND head_id = NEW.id;
END;

-- A new moment for a message (the claim's, a retry's, the turn passed on): only a head's counts.
CREATE TRIGGER outbox_heads_on_moment AFTER UPDATE OF next_attempt_at ON outbox
WHEN NEW.next_attempt_at IS NOT OLD.next_attempt_at
BEGIN
    UPDATE outbox_heads SET next_attempt_at = NEW.next_attempt_at
    WHERE chat_id = NEW.chat_id AND head_id = NEW.id;
END;

-- A message done (sent, failed, erased), or in principle reopened or given another priority
-- (a message's chat never changes): the chat's head and priority are read again from its
-- open messages, through outbox_open_by_chat.
CREATE TRIGGER outbox_heads_on_settle AFTER UPDATE OF state, priority ON outbox
WHEN (OLD.state IN ('queued', 'sending')) != (NEW.state IN ('queued', 'sending'))
    OR (NEW.state IN ('queued', 'sending') AND OLD.priority != NEW.priority)
BEGIN
    DELETE FROM outbox_heads WHERE chat_id = NEW.chat_id;
    INSERT INTO outbox_heads (chat_id, head_id, waiting, priority, next_attempt_at)
    SELECT h.chat_id, h.id, h.state = 'queued',
           (SELECT min(q.priority) FROM outbox AS q
            WHERE q.chat_id = h.chat_id AND q.state IN ('queued', 'sending')),
           h.next_attempt_at
    FROM outbox AS h
    WHERE h.id = (SELECT min(n.id) FROM outbox AS n
                  WHERE n.chat_id = NEW.chat_id AND n.state IN ('queued', 'sending'));
END;

-- A message deleted with its chat (a participant's /forget).
CREATE TRIGGER outbox_heads_on_delete AFTER DELETE ON outbox
WHEN OLD.state IN ('queued', 'sending')
BEGIN
    DELETE FROM outbox_heads WHERE chat_id = OLD.chat_id;
    INSERT INTO outbox_heads (chat_id, head_id, waiting, priority, next_attempt_at)
    SELECT h.chat_id, h.id, h.state = 'queued',
           (SELECT min(q.priority) FROM outbox AS q
            WHERE q.chat_id = h.chat_id AND q.state IN ('queued', 'sending')),
           h.next_attempt_at
    FROM outbox AS h
    WHERE h.id = (SELECT min(n.id) FROM outbox AS n
                  WHERE n.chat_id = OLD.chat_id AND n.state IN ('queued', 'sending'));
END;
