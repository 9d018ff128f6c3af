"""Erasure on request: what /forget does, after the participant confirms it."""

from __future__ import annotations

from collections.abc import Callable

from bot import render
from bot.i18n import Gettext, Locales
from bot.services.intake import Author, Clock, utc_now
from bot.services.moderation import ModerationService
from bot.services.outbox import Replies
from bot.services.speakers import catalog_of
from storage.repository import Repository


class PrivacyService:
    def __init__(
        self,
        repo: Repository,
        locales: Locales,
        moderation: ModerationService,
        notify_outbox: Callable[[], None],
        clock: Clock = utc_now,
    ) -> None:
        self._repo = repo
        self._locales = locales
        self._moderation = moderation
        self._replies = Replies(repo, notify_outbox, clock)

    async def _catalog(self, author: Author) -> Gettext:
        return await catalog_of(self._repo, self._locales, author.user_id, author.language_code)

    async def explain(self, author: Author, update_id: int) -> None:
        tr = await self._catalog(author)
        await self._replies.queue(
            render.privacy.privacy(tr).send(author.chat_id, f"reply:{update_id}")
        )

    async def ask_to_forget(self, author: Author, update_id: int) -> None:
        tr = await self._catalog(author)
        _, total = await self._repo.submissions_of(author.user_id, 1)
        prompt = render.privacy.forget_prompt(tr, total)
        await self._replies.queue(prompt.send(author.chat_id, f"reply:{update_id}"))

    async def forget(self, author: Author) -> render.base.Reply:
        """Erase; returns the confirmation, in the participant's language (looked up before
        erasing). The caller shows it by editing the prompt directly, not through the outbox:
        an outbox row would be one more record of this chat after the erasure."""
        tr = await self._catalog(author)
        posted, _ = await self._repo.submissions_of(author.user_id, 10_000)
        await self._repo.erase_participant(author.user_id)
        # The moderators' posts showed the text: they now show it erased.
        for sub in posted:
            if sub.feed == "post":
                await self._moderation.refresh_post(sub.id)
        return render.privacy.forgotten(tr)
