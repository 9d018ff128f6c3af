"""The live show: /live and /next put a question on air and tell everyone behind it, /when
tells anyone when the show is.

"Now answering" goes to the asker (the viewing party's group for a party's question), the
askers merged into it and its voters, each in their language, through the outbox at priority
1: behind replies to people waiting for one, ahead of nothing else, so thousands of notices
leave at Telegram's pace while a question sent meanwhile is still confirmed at once.
"""

from __future__ import annotations

from dataclasses import replace

from bot import render
from bot.config import Settings
from bot.domain import Role
from bot.i18n import Gettext
from bot.services.feed import FeedService
from bot.services.intake import Clock, utc_now
from bot.services.moderation import Staff
from bot.services.readers import Readers
from bot.services.replies import ReplyWriter, reply_key
from storage.curation import Listener
from storage.errors import NotFound
from storage.live import BOARD_NEXT, LiveChange, LiveOutcome, LiveStore, OnAir
from storage.models import NOTICE_PRIORITY, OutboxMessage
from storage.submissions import SubmissionStore


class LiveService:
    def __init__(
        self,
        store: LiveStore,
        submissions: SubmissionStore,
        readers: Readers,
        replies: ReplyWriter,
        feed: FeedService,
        settings: Settings,
        clock: Clock = utc_now,
    ) -> None:
        self._store = store
        self._submissions = submissions
        self._readers = readers
        self._locales = readers.locales
        self._replies = replies
        self._feed = feed
        self._settings = settings
        self._clock = clock

    @property
    def _stream_url(self) -> str | None:
        event = self._settings.event
        return event.stream_url if event else None

    async def go_live(
        self, staff: Staff, update_id: int, submission_id: int | None
    ) -> render.base.Reply:
        """/live <id>, or /next (None): on air, the previous one answered, everyone told."""
        tr = await self._readers.catalog_of(staff)
        if staff.role < Role.MODERATOR:
            return render.common.staff_only(tr)
        seen = await self._store.live_now()  # what this moderator acts on: compare-and-set
        group = self._readers.working_catalog()

        def messages(show: OnAir) -> list[OutboxMessage]:
            owed: list[OutboxMessage] = []
            for sub in (show.live, show.previous):
                if sub is not None:
                    owed += self._feed.post_edits(sub, group)
            if show.live is not None:
                owed += self._notices(show.live.id, show.airing, show.listeners)
            if self._settings.moderator_chat is not None:
                board = render.live.live_board(group, show.live, show.upcoming)
                owed.append(board.send(self._settings.moderator_chat, f"board:{show.airing}"))
            return owed

        change = await self._store.go_live(
            submission_id, seen, f"update:{update_id}", staff.actor, self._clock(), messages
        )
        self._replies.wake()
        return await self._outcome(tr, staff, change, submission_id)

    def _notices(
        self, submission_id: int, airing: int, listeners: list[Listener]
    ) -> list[OutboxMessage]:
        """ "Now answering", each in their language; keyed by the airing, so a replay sends
        nothing twice and a question aired again is announced again."""
        owed = []
        for person in listeners:
            reader = self._locales.get(self._readers.locale_of_listener(person))
            notice = render.live.now_answering(
                reader, submission_id, person.asked, self._stream_url
            )
            message = notice.send(person.chat_id, f"live:{airing}:{person.chat_id}")
            owed.append(replace(message, priority=NOTICE_PRIORITY))
        return owed

    async def _outcome(
        self, tr: Gettext, staff: Staff, change: LiveChange, submission_id: int | None
    ) -> render.base.Reply:
        match change.outcome:
            case LiveOutcome.LIVE:
                told = render.live.live_told(tr, change.told)
                if staff.chat_id == self._settings.moderator_chat:
                    return told  # the group gets the board itself
                board = await self.board(staff)
                return render.base.Reply(f"{board.text}\n\n{told.text}")
            case LiveOutcome.NOT_FOUND:
                return render.base.Reply(
                    render.moderation.no_such_submission(tr, submission_id or 0)
                )
            case LiveOutcome.REPLAYED:
                return await self.board(staff)
            case _:
                return render.live.live_refused(tr, change.outcome.value, change.live)

    async def board(self, staff: Staff) -> render.base.Reply:
        tr = await self._readers.catalog_of(staff)
        if staff.role < Role.MODERATOR:
            return render.common.staff_only(tr)
        current = await self._store.live_now()
        live = None
        if current is not None:
            try:
                live = await self._submissions.submission(current)
            except NotFound:
                live = None
        return render.live.live_board(tr, live, await self._store.upcoming(BOARD_NEXT, current))

    async def tell_when(self, chat_id: int, update_id: int, locale: str) -> None:
        reply = await self.when(locale)
        await self._replies.queue(reply.send(chat_id, reply_key(update_id)))

    async def when(self, locale: str) -> render.base.Reply:
        """/when, in `locale`."""
        tr = self._locales.get(locale)
        event = self._settings.event
        if event is None or event.starts_at is None:
            return render.live.no_show_time(tr)
        title = event.name_in(locale, self._settings.language)
        return render.live.show_time(
            tr, locale, title, event.starts_at, event.timezone, self._clock(), event.stream_url
        )
