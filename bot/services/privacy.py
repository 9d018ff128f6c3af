"""What /privacy tells (with the day retention erases the texts, when configured), and
erasure on request: what /forget does, after the participant confirms it."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot import render
from bot.i18n import Gettext
from bot.services.feed import FeedService
from bot.services.intake import Author, Clock, utc_now
from bot.services.readers import Readers
from bot.services.replies import ReplyWriter, reply_key
from storage.participants import ParticipantStore
from storage.submissions import SubmissionStore


class PrivacyService:
    def __init__(
        self,
        participants: ParticipantStore,
        submissions: SubmissionStore,
        readers: Readers,
        replies: ReplyWriter,
        feed: FeedService,
        *,
        erase_at: datetime | None = None,
        zone: ZoneInfo | None = None,
        clock: Clock = utc_now,
    ) -> None:
        """`erase_at`: when retention erases the texts (None: not configured); /privacy
        gives its day, in `zone` (the event's time zone), while it is still to come."""
        self._erase_at = erase_at
        self._zone = zone or ZoneInfo("UTC")
        self._clock = clock
        self._participants = participants
        self._submissions = submissions
        self._readers = readers
        self._replies = replies
        self._feed = feed

    async def _catalog(self, author: Author) -> Gettext:
        return await self._readers.catalog_of(author)

    async def explain(self, author: Author, update_id: int) -> None:
        locale = await self._readers.locale_of(author)
        erased_on = None
        if self._erase_at is not None and self._erase_at > self._clock():
            erased_on = render.privacy.erasure_day(locale, self._erase_at, self._zone)
        reply = render.privacy.privacy(self._readers.catalog(locale), erased_on)
        await self._replies.queue(reply.send(author.chat_id, reply_key(update_id)))

    async def ask_to_forget(self, author: Author, update_id: int) -> None:
        tr = await self._catalog(author)
        _, total = await self._submissions.submissions_of(author.user_id, 1)
        prompt = render.privacy.forget_prompt(tr, total)
        await self._replies.queue(prompt.send(author.chat_id, reply_key(update_id)))

    async def forget(self, author: Author) -> render.base.Reply:
        """Erase; returns the confirmation, in the participant's language (looked up before
        erasing). The caller shows it by editing the prompt directly, not through the outbox:
        an outbox row would be one more record of this chat after the erasure."""
        tr = await self._catalog(author)
        # The moderators' posts, and the messages delivered elsewhere (review cards, pages,
        # notices), showed the text: their edits to the erased notice are queued in the
        # erasure's own transaction, so a crash cannot leave the text on them.
        await self._participants.erase_participant(
            author.user_id, datetime.now(UTC), self._feed.post_edits, self._feed.copy_edit
        )
        self._replies.wake()
        return render.privacy.forgotten(tr)
