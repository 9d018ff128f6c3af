"""The live show: /live and /next put a question on air and tell everyone behind it, /when
tells anyone when the show is.

"Now answering" goes to the asker (the viewing party's group for a party's question), the
askers merged into it and its voters, each in their language, through the outbox at priority
1: behind replies to people waiting for one, ahead of nothing else, so thousands of notices
leave at Telegram's pace while a question sent meanwhile is still confirmed at once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from bot import render
from bot.config import Settings
from bot.domain import Role
from bot.i18n import Locales
from bot.services.curation import reader_locale
from bot.services.intake import Clock, utc_now
from bot.services.moderation import ModerationService, Staff
from bot.services.outbox import Replies
from storage.errors import NotFound
from storage.live import LiveOutcome, LiveStore
from storage.models import OutboxMessage, Submission
from storage.repository import Repository

BOARD_NEXT = 2  # the moderators' group sees the one on air and the next two
NOTICE_PRIORITY = 1


class LiveService:
    def __init__(
        self,
        repo: Repository,
        store: LiveStore,
        moderation: ModerationService,
        locales: Locales,
        settings: Settings,
        notify_outbox: Callable[[], None],
        clock: Clock = utc_now,
    ) -> None:
        self._repo = repo
        self._store = store
        self._moderation = moderation
        self._locales = locales
        self._settings = settings
        self._clock = clock
        self._replies = Replies(repo, notify_outbox, clock)

    @property
    def _stream_url(self) -> str | None:
        event = self._settings.event
        return event.stream_url if event else None

    async def go_live(self, staff: Staff, submission_id: int | None) -> render.Reply:
        """/live <id>, or /next (None): on air, the previous one answered, everyone told."""
        tr = await self._moderation.catalog(staff)
        if staff.role < Role.MODERATOR:
            return render.staff_only(tr)
        current = await self._store.live_now()
        if submission_id is None:
            following = await self._store.upcoming(1, current)
            submission_id = following[0].id if following else None
        listeners = await self._store.listeners(submission_id) if submission_id else []
        upcoming = await self._store.upcoming(BOARD_NEXT, submission_id)
        group = self._moderation.group_catalog()

        def messages(live: Submission, previous: Submission | None) -> list[OutboxMessage]:
            owed = self._moderation.post_edits(group, live)
            if previous is not None:
                owed += self._moderation.post_edits(group, previous)
            for person in listeners:
                reader = self._locales.get(reader_locale(self._locales, person))
                notice = render.now_answering(reader, live.id, person.asked, self._stream_url)
                message = notice.send(person.chat_id, f"live:{live.id}:{person.chat_id}")
                owed.append(replace(message, priority=NOTICE_PRIORITY))
            if self._settings.moderator_chat is not None:
                board = render.live_board(group, live, upcoming)
                owed.append(board.send(self._settings.moderator_chat, None))
            return owed

        change = await self._store.go_live(submission_id, staff.actor, self._clock(), messages)
        if change.outcome is LiveOutcome.NOT_FOUND:
            return render.Reply(render.no_such_submission(tr, submission_id or 0))
        if change.outcome is LiveOutcome.NOTHING_NEXT:
            if change.previous is not None:
                await self._replies.queue_all(self._moderation.post_edits(group, change.previous))
            return render.live_refused(tr, change.outcome.value, None)
        if change.outcome is not LiveOutcome.LIVE:
            return render.live_refused(tr, change.outcome.value, change.live)
        self._replies.wake()
        told = render.live_told(tr, len(listeners))
        if staff.chat_id == self._settings.moderator_chat:
            return told  # the group gets the board itself
        board = render.live_board(tr, change.live, upcoming)
        return render.Reply(f"{board.text}\n\n{told.text}")

    async def board(self, staff: Staff) -> render.Reply:
        tr = await self._moderation.catalog(staff)
        current = await self._store.live_now()
        live = None
        if current is not None:
            try:
                live = await self._repo.submission(current)
            except NotFound:
                live = None
        return render.live_board(tr, live, await self._store.upcoming(BOARD_NEXT, current))

    async def tell_when(self, chat_id: int, update_id: int, locale: str) -> None:
        reply = await self.when(locale)
        await self._replies.queue(reply.send(chat_id, f"reply:{update_id}"))

    async def when(self, locale: str) -> render.Reply:
        """/when, in `locale`."""
        tr = self._locales.get(locale)
        event = self._settings.event
        if event is None or event.starts_at is None:
            return render.no_show_time(tr)
        title = event.name_in(locale, self._settings.language)
        return render.show_time(
            tr, locale, title, event.starts_at, event.timezone, self._clock(), event.stream_url
        )
