"""Erasure on request: what /forget does, after the participant confirms it."""

from __future__ import annotations

from bot import render
from bot.i18n import Gettext
from bot.services.feed import FeedService
from bot.services.intake import Author
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
    ) -> None:
        self._participants = participants
        self._submissions = submissions
        self._readers = readers
        self._replies = replies
        self._feed = feed

    async def _catalog(self, author: Author) -> Gettext:
        return await self._readers.catalog_of(author)

    async def explain(self, author: Author, update_id: int) -> None:
        tr = await self._catalog(author)
        await self._replies.queue(
            render.privacy.privacy(tr).send(author.chat_id, reply_key(update_id))
        )

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
        posted, _ = await self._submissions.submissions_of(author.user_id, 10_000)
        await self._participants.erase_participant(author.user_id)
        # The moderators' posts showed the text: they now show it erased.
        for sub in posted:
            if sub.feed == "post":
                await self._feed.refresh_post(sub.id)
        return render.privacy.forgotten(tr)
