"""Organizers' announcements to every participant, each in their own language.

`/broadcast <text>` makes a draft and shows a preview with Send and Cancel buttons; once
confirmed, `bot/workers/broadcast.py` delivers it. Roles are checked here.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass

from bot import render
from bot.domain import Role
from bot.i18n import Locales
from bot.services.intake import Clock, utc_now
from bot.services.moderation import Staff
from bot.services.readers import Readers
from bot.services.replies import ReplyWriter, reply_key
from storage.broadcasts import BroadcastStore
from storage.requests import request_key

_log = logging.getLogger(__name__)

MAX_BROADCAST_CHARS = 3500  # room for the heading and the machine-translation note
_OWN_TEXT = re.compile(r"^([a-z]{2,3}(?:_[A-Za-z]{2,4})?):\s?(.*)$")


@dataclass(frozen=True, slots=True)
class Draft:
    """What the organizer wrote: their text, and the texts they gave for some locales."""

    text: str
    own_texts: dict[str, str]


def parse_draft(body: str, locales: Locales) -> Draft:
    """Split `/broadcast` text into the main text and per-locale texts.

    A line starting with a locale code we have and a colon ("fr: Nous sommes en direct")
    starts that locale's text; the lines after it belong to it until the next such line.
    """
    main: list[str] = []
    own: dict[str, list[str]] = {}
    current = main
    for line in body.splitlines():
        match = _OWN_TEXT.match(line)
        if match and match.group(1) in locales.catalogs:
            current = own.setdefault(match.group(1), [])
            current.append(match.group(2))
        else:
            current.append(line)
    return Draft(
        "\n".join(main).strip(),
        {locale: "\n".join(lines).strip() for locale, lines in own.items() if "".join(lines)},
    )


class BroadcastService:
    """The organizer's side: draft, preview, confirm, cancel. Roles checked here."""

    def __init__(
        self,
        store: BroadcastStore,
        readers: Readers,
        replies: ReplyWriter,
        wake_worker: Callable[[], None],
        clock: Clock = utc_now,
    ) -> None:
        self._store = store
        self._readers = readers
        self._locales = readers.locales
        self._source = readers.working_locale
        self._replies = replies
        self._wake_worker = wake_worker
        self._clock = clock

    async def prepare(self, staff: Staff, update_id: int, body: str) -> None:
        tr = await self._readers.catalog_of(staff)
        key = reply_key(update_id)
        draft = parse_draft(body, self._locales)
        if not draft.text or staff.chat_id != staff.user_id:
            await self._replies.queue(
                render.common.usage(tr, "broadcast").send(staff.chat_id, key)
            )
            return
        longest = max(len(t) for t in (draft.text, *draft.own_texts.values()))
        if longest > MAX_BROADCAST_CHARS:
            answer = render.broadcast.broadcast_too_long(tr, MAX_BROADCAST_CHARS)
            await self._replies.queue(answer.send(staff.chat_id, key))
            return
        broadcast = await self._store.create(
            staff.user_id,
            staff.name,
            staff.chat_id,
            self._source,
            draft.text,
            draft.own_texts,
            self._clock(),
            request_key("broadcast", update_id),  # replayed, the same draft
        )
        recipients = await self._store.count_recipients()
        preview = render.broadcast.broadcast_preview(tr, broadcast, recipients)
        await self._replies.queue(preview.send(staff.chat_id, key))

    async def decide(self, staff: Staff, broadcast_id: int, send: bool, message_id: int) -> str:
        """The Send or Cancel button under a preview; returns the toast."""
        tr = await self._readers.catalog_of(staff)
        broadcast = await self._store.get(broadcast_id)
        if staff.role < Role.ORGANIZER or broadcast is None:
            return render.base.plain(render.common.staff_only(tr, organizers=True).text)
        now = self._clock()
        if not send:
            if not await self._store.cancel(broadcast_id, now):
                return render.broadcast.broadcast_already(tr)
            cancelled = render.broadcast.broadcast_cancelled(tr)
            await self._replies.queue(
                cancelled.edit(staff.chat_id, message_id, f"bcdecide:{broadcast_id}")
            )
            return render.base.plain(cancelled.text)
        confirmed = await self._store.confirm(broadcast_id, message_id, now)
        if confirmed is None:
            return render.broadcast.broadcast_already(tr)
        self._wake_worker()
        return render.broadcast.broadcast_started(tr, confirmed.recipients or 0)
