"""Delivers confirmed announcements: the text once per locale (the organizer's own text
for that locale if given, else a machine translation of theirs, else the original), then
the outbox fed a window at a time, so answers to people writing in meanwhile are not stuck
behind thousands of announcements. The preview is edited into the progress, and into the
result at the end. All of it survives a restart; see storage/broadcasts.py for why no one
gets it twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from bot import render
from bot.render.base import Reply
from bot.services.intake import Clock, utc_now
from bot.services.readers import Readers
from bot.services.replies import ReplyWriter
from bot.workers.base import SupervisedWorker, WorkerHealth
from bot.workers.translation import TranslationWorker
from storage.broadcasts import Broadcast, BroadcastStore, Progress, Recipient
from storage.models import NOTICE_PRIORITY, OutboxMessage

_log = logging.getLogger(__name__)

WINDOW = 60  # messages of a broadcast queued at once: about 2.5 s of sending at 25/s
TICK_S = 0.25
IDLE_S = 5.0
PROGRESS_EVERY_S = 3.0  # edits of the progress message: readable, and far from edit limits
TRANSLATION_DEADLINE_S = 60.0  # then the remaining locales get the original text
# How often the recipients' languages are read again while a broadcast goes out (a scan of
# the participants: 28 ms at 100,000), for someone who picks a new language meanwhile.
LANGUAGES_EVERY_S = 30.0


@dataclass(frozen=True, slots=True)
class Organizer:
    """Who made the broadcast, as the language lookup needs it."""

    user_id: int
    language_code: str | None


class BroadcastWorker(SupervisedWorker):
    """Delivers confirmed broadcasts: texts per locale first, then a window at a time."""

    name = "broadcast"

    def __init__(
        self,
        store: BroadcastStore,
        readers: Readers,
        translator: TranslationWorker,
        replies: ReplyWriter,
        title: Callable[[str], str | None],
        clock: Clock = utc_now,
        health: WorkerHealth | None = None,
    ) -> None:
        super().__init__(health)
        self._store = store
        self._readers = readers
        self._locales = readers.locales
        self._translator = translator
        self._replies = replies
        self._title = title  # the event's name in a locale, if the event file gives one
        self._clock = clock
        self._shown: dict[int, tuple[float, Progress | None]] = {}
        self._languages_read: dict[int, float] = {}  # broadcast -> when its texts were complete

    async def tick(self) -> float:
        busy = False
        for broadcast in await self._store.sending():
            try:
                busy = await self._advance(broadcast) or busy
            except Exception:  # one broken broadcast must not stop the others
                _log.exception("broadcast %d could not advance", broadcast.id)
        return TICK_S if busy else IDLE_S

    async def _advance(self, broadcast: Broadcast) -> bool:
        """One step; returns False once the broadcast is finished."""
        texts = await self._texts(broadcast)
        open_now = await self._store.open_messages(broadcast.id)
        more = True
        if open_now < WINDOW // 2:
            batch = await self._store.recipients_after(broadcast, WINDOW - open_now)
            if batch:
                rendered: dict[str, list[Reply]] = {}  # each locale's messages, made once
                messages = [
                    message
                    for r in batch
                    for message in self._messages(broadcast, texts, rendered, r)
                ]
                await self._store.queue(broadcast.id, messages, batch[-1].user_id, self._clock())
                self._replies.wake()
                open_now += len(messages)
            else:
                more = False
        finished = not more and open_now == 0
        await self._show_progress(broadcast, finished)
        if finished:
            await self._store.finish(broadcast.id, self._clock())
            self._shown.pop(broadcast.id, None)
            self._languages_read.pop(broadcast.id, None)
            _log.info("broadcast %d finished", broadcast.id)
        return not finished

    def _locale_of(self, choice: str | None, language_code: str | None) -> str:
        return self._locales.resolve(choice, language_code)

    def _messages(
        self,
        broadcast: Broadcast,
        texts: dict[str, tuple[str, str]],
        rendered: dict[str, list[Reply]],
        recipient: Recipient,
    ) -> list[OutboxMessage]:
        """The announcement for one recipient: one message, or several when its text (a
        translation runs longer than the original) does not fit in one. Each has its own key,
        `bc:<broadcast>:<user>:<part>`, queued in the same transaction as the cursor."""
        locale = self._locale_of(recipient.locale, recipient.language_code)
        if locale not in rendered:
            text, origin = texts.get(locale) or (broadcast.text, "original")
            rendered[locale] = render.broadcast.broadcast_messages(
                self._locales.get(locale), text, origin == "machine", self._title(locale)
            )
        user = recipient.user_id
        # At notice priority: someone who writes during the broadcast is answered first.
        return [
            replace(reply.send(user, f"bc:{broadcast.id}:{user}:{part}"), priority=NOTICE_PRIORITY)
            for part, reply in enumerate(rendered[locale], start=1)
        ]

    async def _texts(self, broadcast: Broadcast) -> dict[str, tuple[str, str]]:
        """The text for every locale among the recipients, made (and stored) once."""
        made = await self._store.texts(broadcast.id)
        complete_at = self._languages_read.get(broadcast.id)
        if complete_at is not None and time.monotonic() - complete_at < LANGUAGES_EVERY_S:
            return made
        needed = {
            self._locale_of(choice, code)
            for choice, code in await self._store.language_settings(broadcast)
        } - set(made)
        if needed:
            for locale in sorted(needed & {broadcast.source_locale, *broadcast.own_texts}):
                own = broadcast.own_texts.get(locale, broadcast.text)
                await self._store.save_text(broadcast.id, locale, own, "organizer")
            to_translate = sorted(needed - {broadcast.source_locale, *broadcast.own_texts})
            if to_translate:
                await self._translate_all(broadcast, to_translate)
            made = await self._store.texts(broadcast.id)
        self._languages_read[broadcast.id] = time.monotonic()  # every locale had its text
        return made

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
        tr = await self._readers.catalog_of(Organizer(broadcast.created_by, None))
        reply = render.broadcast.broadcast_progress(tr, broadcast, progress, finished)
        edit = reply.edit(broadcast.chat_id, broadcast.message_id, None)
        await self._replies.queue(
            OutboxMessage(
                edit.chat_id, edit.method, edit.params, coalesce_key=f"bcprogress:{broadcast.id}"
            )
        )
