"""/browse: the questions moderators made public, each in the reader's language, with votes.

A question is shown in the reader's language: as written if it is theirs, else translated
from its working-language translation (the best text we have: moderators read and may
correct it) or from the original. Each translation is made once per language and cached;
a page waits a few seconds at most for them, then shows what it has, marked as such. The
original is one tap away. Votes: one per participant and question, undoable, never for
one's own (checked in storage, whatever the button says). Each vote button says whether it
votes or takes the vote back, so a double tap or a replayed press counts once.
"""

from __future__ import annotations

import asyncio
import logging

from bot import render
from bot.services.intake import Author, Clock, utc_now
from bot.services.readers import Readers
from bot.services.replies import ReplyWriter, reply_key
from bot.telegram import callbacks
from bot.workers.translation import ENGINE_ERRORS, TranslationWorker
from storage.models import Submission
from storage.participants import ParticipantStore
from storage.votes import PublicItem, Sort, VoteOutcome, VoteStore

_log = logging.getLogger(__name__)
PAGE_SIZE = 5
TRANSLATION_WAIT_S = 4.0  # a page shows what it has by then; the cache fills for next time


class BrowseService:
    def __init__(
        self,
        votes: VoteStore,
        participants: ParticipantStore,
        readers: Readers,
        replies: ReplyWriter,
        translator: TranslationWorker,
        statuses: tuple[str, ...],
        working_language: str,
        clock: Clock = utc_now,
    ) -> None:
        self._votes = votes
        self._participants = participants
        self._readers = readers
        self._locales = readers.locales
        self._translator = translator
        self._statuses = statuses
        self._working = working_language
        self._replies = replies
        self._clock = clock

    async def _locale(self, author: Author) -> str:
        return await self._readers.locale_of(author)

    async def show(self, author: Author, update_id: int) -> None:
        page = await self._page(author, await self._locale(author), Sort.VOTES, 0, None)
        await self._replies.queue(page.send(author.chat_id, reply_key(update_id)))

    async def turn(
        self, author: Author, update_id: int, message_id: int, action: callbacks.BrowsePage
    ) -> None:
        locale = await self._locale(author)
        page = await self._page(author, locale, action.sort, action.offset, action.original)
        await self._replies.queue(page.edit(author.chat_id, message_id, f"browse:{update_id}"))

    async def vote(
        self, author: Author, update_id: int, message_id: int, action: callbacks.Upvote
    ) -> str:
        """Vote or take the vote back, as the button says, and show the page again with the
        buttons for what is now so; returns the toast. Pressed twice, or handled twice (a
        replayed update), it counts once and shows the same."""
        locale = await self._locale(author)
        tr = self._locales.get(locale)
        key = f"browse:{update_id}"
        if action.vote is None:  # a button from before buttons said which: ask again
            page = await self._page(author, locale, action.sort, action.offset, None)
            await self._replies.queue(page.edit(author.chat_id, message_id, key))
            return render.common.stale_button(tr)
        # A voter is told of answers to what they voted for: kept like someone who /start-ed.
        await self._participants.register_participant(
            author.user_id, author.language_code, self._clock()
        )
        result = await self._votes.set_vote(
            action.submission_id, author.user_id, action.vote, self._statuses, self._clock()
        )
        if result.outcome in (VoteOutcome.ADDED, VoteOutcome.REMOVED):
            # Even when nothing changed: the page pressed may be older than the vote.
            page = await self._page(author, locale, action.sort, action.offset, None)
            await self._replies.queue(page.edit(author.chat_id, message_id, key))
        return render.browse.vote_toast(tr, action.submission_id, result.outcome, result.votes)

    async def _page(
        self, author: Author, locale: str, sort: Sort, offset: int, original: int | None
    ) -> render.base.Reply:
        items, total = await self._votes.public_page(
            self._statuses, sort, offset, PAGE_SIZE, author.user_id
        )
        shown = await self._in_language(items, locale)
        return render.browse.browse_page(
            self._locales.get(locale), shown, total, offset, PAGE_SIZE, sort, original
        )

    async def _in_language(
        self, items: list[PublicItem], locale: str
    ) -> list[render.browse.BrowseItem]:
        language = locale.split("_")[0]
        texts = await asyncio.gather(*(self._text_for(i.submission, language) for i in items))
        return [
            render.browse.BrowseItem(item.submission, text, machine, item.voted)
            for item, (text, machine) in zip(items, texts, strict=True)
        ]

    async def _text_for(self, sub: Submission, language: str) -> tuple[str, bool]:
        """(text in `language`, whether it is a machine translation)."""
        if sub.language in (None, "und", language) or not sub.text:
            return sub.text, False
        if sub.translation and language == self._working:
            return sub.translation, True
        source_text, source = (
            (sub.translation, self._working) if sub.translation else (sub.text, sub.language)
        )
        try:
            found = await self._translator.translate_within(
                source_text, source, language, TRANSLATION_WAIT_S, sub.id
            )
        except ENGINE_ERRORS as error:
            _log.info("#%d not translated into %s for browsing: %s", sub.id, language, error)
            found = None
        if found is not None:
            return found[0], True
        # No translation into their language: the working-language one, else the original.
        return (sub.translation, True) if sub.translation else (sub.text, False)
