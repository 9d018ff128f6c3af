"""The one reply writer: every answer to an update goes through here.

It owns the outbox dedup keys of replies: an update answered twice (a replay after a crash)
finds its answer already queued under the same key, and nothing new is sent. Messages that
belong to a state change are queued by the stores in that change's transaction instead.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from bot.render.base import Reply
from storage.models import OutboxMessage
from storage.outbox import OutboxStore


def reply_key(update_id: int) -> str:
    """The dedup key of the answer to an update."""
    return f"reply:{update_id}"


def edit_key(update_id: int) -> str:
    """The dedup key of the edit an update (a button press) makes of one of our messages."""
    return f"edit:{update_id}"


class ReplyWriter:
    def __init__(
        self, outbox: OutboxStore, wake_sender: Callable[[], None], clock: Callable[[], datetime]
    ) -> None:
        self._outbox = outbox
        self._wake_sender = wake_sender
        self._clock = clock

    def wake(self) -> None:
        """Something was queued elsewhere (in a store's transaction): have the sender look."""
        self._wake_sender()

    async def reply(
        self, chat_id: int, update_id: int, reply: Reply, quote: int | None = None
    ) -> None:
        """Answer the update `update_id` in `chat_id` (quoting message `quote`)."""
        await self.queue(reply.send(chat_id, reply_key(update_id), quote))

    async def edit(self, chat_id: int, message_id: int, update_id: int, reply: Reply) -> None:
        """Turn our message `message_id` into `reply`, in answer to the update `update_id`."""
        await self.queue(reply.edit(chat_id, message_id, edit_key(update_id)))

    async def queue(self, *messages: OutboxMessage) -> None:
        await self.queue_all(messages)

    async def queue_all(self, messages: Sequence[OutboxMessage]) -> None:
        if messages and await self._outbox.queue_messages(messages, self._clock()):
            self._wake_sender()
