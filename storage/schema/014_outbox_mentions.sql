-- Which submissions a message shows (the `#<id>` its text writes), as a JSON list of ids,
-- kept after the message is delivered and its text dropped: when someone asks to be
-- forgotten, the messages already delivered that showed their questions (review cards,
-- /show, queue pages, boards, browse pages, notices) are edited to the erased notice.
ALTER TABLE outbox ADD COLUMN mentions TEXT;
