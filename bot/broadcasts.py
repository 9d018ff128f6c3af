"""Organizers' announcements to every participant, each in their own language.

`/broadcast <text>` makes a draft and shows a preview with Send and Cancel buttons. Once
confirmed, the worker makes the text once per locale (the organizer's own text for that
locale if given, else a machine translation of theirs, else the original), then feeds the
outbox a window at a time, so answers to people writing in meanwhile are not stuck behind
thousands of announcements, and the sender keeps Telegram's pace. The preview message is
edited into the progress, and into the result at the end. All of it survives a restart; see
storage/broadcasts.py for why no one gets it twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot import render
from bot.domain import Role
from bot.i18n import Locales
from bot.services.intake import Clock, utc_now
from bot.services.moderation import ModerationService, Staff
from bot.services.outbox import Replies
from bot.translation_worker import TranslationWorker
from storage.broadcasts import Broadcast, BroadcastStore, Progress
from storage.models import OutboxMessage

_log = logging.getLogger(__name__)

WINDOW = 60  # messages of a broadcast queued at once: about 2.5 s of sending at 25/s
TICK_S = 0.25
PROGRESS_EVERY_S = 3.0  # edits of the progress message: readable, and far from edit limits
TRANSLATION_DEADLINE_S = 60.0  # then the remaining locales get the original text
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
        moderation: ModerationService,
        locales: Locales,
        source_locale: str,
        replies: Replies,
        wake_worker: Callable[[], None],
        clock: Clock = utc_now,
    ) -> None:
        self._store = store
        self._moderation = moderation
        self._locales = locales
        self._source = source_locale
        self._replies = replies
        self._wake_worker = wake_worker
        self._clock = clock

    async def prepare(self, staff: Staff, update_id: int, body: str) -> None:
        tr = await self._moderation.catalog(staff)
        key = f"reply:{update_id}"
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
        )
        recipients = await self._store.count_recipients()
        preview = render.broadcast.broadcast_preview(tr, broadcast, recipients)
        await self._replies.queue(preview.send(staff.chat_id, key))

    async def decide(self, staff: Staff, broadcast_id: int, send: bool, message_id: int) -> str:
        """The Send or Cancel button under a preview; returns the toast."""
        tr = await self._moderation.catalog(staff)
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


class BroadcastWorker:
    """Delivers confirmed broadcasts: texts per locale first, then a window at a time."""

    def __init__(
        self,
        store: BroadcastStore,
        locales: Locales,
        translator: TranslationWorker,
        moderation: ModerationService,
        replies: Replies,
        title: Callable[[str], str | None],
        clock: Clock = utc_now,
    ) -> None:
        self._store = store
        self._locales = locales
        self._translator = translator
        self._moderation = moderation
        self._replies = replies
        self._title = title  # the event's name in a locale, if the event file gives one
        self._clock = clock
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._shown: dict[int, tuple[float, Progress | None]] = {}

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self, timeout: float) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.wait({self._task}, timeout=timeout)

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            busy = False
            for broadcast in await self._store.sending():
                try:
                    busy = await self._advance(broadcast) or busy
                except Exception:  # one broken broadcast must not stop the others
                    _log.exception("broadcast %d could not advance", broadcast.id)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), TICK_S if busy else 5.0)

    async def _advance(self, broadcast: Broadcast) -> bool:
        """One step; returns False once the broadcast is finished."""
        texts = await self._texts(broadcast)
        open_now = await self._store.open_messages(broadcast.id)
        more = True
        if open_now < WINDOW // 2:
            batch = await self._store.recipients_after(broadcast, WINDOW - open_now)
            if batch:
                messages = [self._message(broadcast, texts, r.user_id, r.locale, r.language_code)
                            for r in batch]  # fmt: skip
                await self._store.queue(broadcast.id, messages, batch[-1].user_id, self._clock())
                self._replies.wake()
                open_now += len(batch)
            else:
                more = False
        finished = not more and open_now == 0
        await self._show_progress(broadcast, finished)
        if finished:
            await self._store.finish(broadcast.id, self._clock())
            self._shown.pop(broadcast.id, None)
            _log.info("broadcast %d finished", broadcast.id)
        return not finished

    def _locale_of(self, choice: str | None, language_code: str | None) -> str:
        return self._locales.resolve(choice, language_code)

    def _message(
        self,
        broadcast: Broadcast,
        texts: dict[str, tuple[str, str]],
        user_id: int,
        choice: str | None,
        language_code: str | None,
    ) -> OutboxMessage:
        locale = self._locale_of(choice, language_code)
        text, origin = texts.get(locale) or (broadcast.text, "original")
        reply = render.broadcast.broadcast_message(
            self._locales.get(locale), text, origin == "machine", self._title(locale)
        )
        return reply.send(user_id, f"bc:{broadcast.id}:{user_id}")

    async def _texts(self, broadcast: Broadcast) -> dict[str, tuple[str, str]]:
        """The text for every locale among the recipients, made (and stored) once."""
        made = await self._store.texts(broadcast.id)
        needed = {
            self._locale_of(choice, code)
            for choice, code in await self._store.language_settings(broadcast)
        } - set(made)
        if not needed:
            return made
        for locale in sorted(needed & {broadcast.source_locale, *broadcast.own_texts}):
            own = broadcast.own_texts.get(locale, broadcast.text)
            await self._store.save_text(broadcast.id, locale, own, "organizer")
        to_translate = sorted(needed - {broadcast.source_locale, *broadcast.own_texts})
        if to_translate:
            await self._translate_all(broadcast, to_translate)
        return await self._store.texts(broadcast.id)

    async def _translate_all(self, broadcast: Broadcast, locales: list[str]) -> None:
        """Machine translations, at once; whatever is not done by the deadline (the engine
        down or slow) goes out in the original: an announcement must not wait for long."""
        made = await self._translator.translate_many(
            broadcast.text, broadcast.source_locale, locales, TRANSLATION_DEADLINE_S
        )
        for locale in locales:
            if locale in made:
                await self._store.save_text(broadcast.id, locale, made[locale], "machine")
            else:
                await self._store.save_text(broadcast.id, locale, broadcast.text, "original")

    async def _show_progress(self, broadcast: Broadcast, finished: bool) -> None:
        """Edit the preview into the progress, at most every few seconds, and at the end."""
        if broadcast.message_id is None:
            return
        shown_at, shown = self._shown.get(broadcast.id, (0.0, None))
        now = time.monotonic()
        if not finished and now - shown_at < PROGRESS_EVERY_S:
            return
        progress = await self._store.progress(broadcast)
        if progress == shown and not finished:
            return
        self._shown[broadcast.id] = (now, progress)
        staff = self._moderation.staff(broadcast.created_by, broadcast.chat_id, "", None)
        tr = await self._moderation.catalog(staff)
        reply = render.broadcast.broadcast_progress(tr, broadcast, progress, finished)
        edit = reply.edit(broadcast.chat_id, broadcast.message_id, None)
        await self._replies.queue(
            OutboxMessage(
                edit.chat_id, edit.method, edit.params, coalesce_key=f"bcprogress:{broadcast.id}"
            )
        )
