"""Curation across languages: similar submissions, /merge, /fixtr and /answer.

Similarity is measured on the working-language text (the translation, or the original when it
is already in the working language): forty people asking the same thing in nine languages
meet there. The texts are kept normalised in memory, per kind, so a new one is compared with
thousands in a few milliseconds (benchmarks/similarity.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot import render, similarity
from bot.config import Settings
from bot.domain import Role
from bot.services.feed import FeedService
from bot.services.intake import Clock, utc_now
from bot.services.moderation import Staff
from bot.services.readers import Readers
from bot.services.replies import ReplyWriter
from bot.workers.translation import TranslationWorker
from storage.curation import OPEN_STATUSES, CurationStore, MergeOutcome, Voices
from storage.errors import NotFound
from storage.models import NOTICE_PRIORITY, OutboxMessage, Status, Submission
from storage.requests import request_key
from storage.submissions import SubmissionStore

_log = logging.getLogger(__name__)
SHOWN_SIMILAR = 3  # on a post: enough to act on, short enough to read on a phone
ANSWER_TRANSLATION_S = 30.0  # then the languages not translated yet get the original
MAX_FIXED_TRANSLATION = 3500


@dataclass(frozen=True, slots=True)
class AnswerText:
    text: str
    machine: bool


class CurationService:
    def __init__(
        self,
        store: CurationStore,
        submissions: SubmissionStore,
        readers: Readers,
        replies: ReplyWriter,
        feed: FeedService,
        settings: Settings,
        translator: TranslationWorker,
        clock: Clock = utc_now,
    ) -> None:
        self._store = store
        self._submissions = submissions
        self._readers = readers
        self._locales = readers.locales
        self._replies = replies
        self._feed = feed
        self._settings = settings
        self._translator = translator
        self._clock = clock
        self._index: dict[str, dict[int, str]] | None = None  # kind -> id -> normalised text
        self._index_epoch = -1  # the erasure epoch it was loaded at
        self._index_lock = asyncio.Lock()

    # ---- similar submissions -------------------------------------------------------------

    async def _loaded_index(self) -> dict[str, dict[int, str]]:
        async with self._index_lock:
            # An erasure (here, or `townhall-bot purge` in another process) moves the epoch:
            # the erased words must not stay in memory, so the index is read again.
            epoch = await self._store.erasure_epoch()
            if self._index is None or epoch != self._index_epoch:
                self._index_epoch = epoch
                index: dict[str, dict[int, str]] = {}
                for sid, kind, text in await self._store.working_texts(self._settings.language):
                    index.setdefault(kind, {})[sid] = similarity.normalise(text)
                self._index = index
            return self._index

    async def working_texts_ready(self, ids: Sequence[int]) -> None:
        """These submissions' working-language texts are known (translated, corrected, or
        written in it): find their look-alikes and show them on their posts.

        A batch at a time (the translation worker settles a burst together): a few queries
        for all of them, not several each.
        """
        subs = await self._store.submissions(ids)
        index = await self._loaded_index()
        found: dict[int, list[tuple[int, float]]] = {}
        for sub in subs:  # in id order: each is compared with those before it too
            for kind in index.values():  # its kind may have been switched since
                kind.pop(sub.id, None)
            same_kind = index.setdefault(sub.kind.value, {})
            text = _working_text(sub, self._settings.language)
            if text is None or sub.status not in OPEN_STATUSES:
                continue
            normalised = similarity.normalise(text)
            found[sub.id] = similarity.most_similar(normalised, same_kind, SHOWN_SIMILAR * 3)
            same_kind[sub.id] = normalised
        others = {other for matches in found.values() for other, _ in matches}
        still_open = await self._store.open_ids(sorted(others)) if others else set()
        for kind in index.values():  # merged, rejected or withdrawn since they were indexed
            for other in others - still_open:
                kind.pop(other, None)
        shown = {
            sid: [(o, score) for o, score in matches if o in still_open][:SHOWN_SIMILAR]
            for sid, matches in found.items()
        }
        changed = {
            sub.id: shown.get(sub.id, []) for sub in subs if shown.get(sub.id) or sub.similar_to
        }
        if changed:  # most have no look-alike: no write for them
            await self._store.save_similar_many(changed)
        # Read again: a moderator may have acted meanwhile, and the post must show that.
        redraw = [sub.id for sub in subs if sub.id in changed or sub.translation]
        if redraw and self._feed.posts:  # no moderators' group: no posts to read them for
            await self._feed.refresh_posts(await self._store.submissions(redraw))

    async def on_translated(self, ids: Sequence[int]) -> None:
        """The translation worker's hook: look-alikes first, then the posts show both."""
        try:
            await self.working_texts_ready(ids)
        except Exception:  # similarity is a help: a failure must not lose the post edits
            _log.exception("similar submissions of %s not found", list(ids))
            if self._feed.posts:
                await self._feed.refresh_posts(await self._store.submissions(ids))

    # ---- merges --------------------------------------------------------------------------

    async def merge(self, staff: Staff, source_id: int, target_id: int) -> render.base.Reply:
        tr = await self._readers.catalog_of(staff)
        if staff.role < Role.MODERATOR:
            return render.common.staff_only(tr)
        locales = await self._askers_locales(source_id)
        group = self._readers.working_catalog()

        def messages(
            source: Submission, target: Submission, moved: Sequence[Submission], voices: Voices
        ) -> list[OutboxMessage]:
            owed = self._feed.post_edits(source, group)
            owed += self._feed.post_edits(target, group)
            for sub in moved:
                if not sub.text:  # erased at the participant's request: no one to tell
                    continue
                reader = self._locales.get(locales.get(sub.id, sub.locale))
                notice = render.curation.merge_notice(reader, sub, target.id, *_counts(voices))
                owed.append(notice.send(sub.chat_id, f"merged:{sub.id}:{target.id}"))
            return owed

        result = await self._store.merge(
            source_id, target_id, staff.actor, self._clock(), messages
        )
        if result.outcome is MergeOutcome.NOT_FOUND:
            return render.base.Reply(render.moderation.no_such_submission(tr, result.missing or 0))
        if result.outcome is not MergeOutcome.MERGED:
            return render.curation.merge_refused(
                tr, result.outcome.value, result.source, result.target
            )
        assert result.target is not None and result.voices is not None
        self._replies.wake()
        index = await self._loaded_index()
        for sub in result.moved:
            index.get(sub.kind.value, {}).pop(sub.id, None)
        return render.curation.merge_done(
            tr, source_id, target_id, *_counts(result.voices), result.target.votes
        )

    async def _askers_locales(self, source_id: int) -> dict[int, str]:
        """The language of each submission a merge of `source_id` will move, by submission id.
        Looked up before the merge's transaction (which builds the notices)."""
        try:
            source = await self._submissions.submission(source_id)
        except NotFound:
            return {}
        askers = [source, *await self._submissions.merged_askers(source_id)]
        return {sub.id: await self._readers.locale_of_asker(sub) for sub in askers}

    # ---- corrected translations ----------------------------------------------------------

    async def fix_translation(
        self, staff: Staff, update_id: int, submission_id: int, text: str
    ) -> render.base.Reply:
        tr = await self._readers.catalog_of(staff)
        if staff.role < Role.MODERATOR:
            return render.common.staff_only(tr)
        if not text.strip() or len(text) > MAX_FIXED_TRANSLATION:
            return render.common.usage(tr, "fixtr")
        group = self._readers.working_catalog()
        fixed, changed = await self._store.fix_translation(
            submission_id,
            text.strip(),
            staff.actor,
            self._clock(),
            lambda sub: self._feed.post_edits(sub, group),
            request_key("fixtr", update_id),  # replayed, it changes nothing again
        )
        if fixed is None:
            return render.curation.translation_not_fixed(tr, submission_id)
        if changed:
            self._replies.wake()
            await self.on_translated([submission_id])  # look-alikes, on the corrected text
        return render.curation.translation_fixed(tr, submission_id)

    # ---- written answers -----------------------------------------------------------------

    async def answer(
        self, staff: Staff, update_id: int, submission_id: int, text: str
    ) -> render.base.Reply:
        tr = await self._readers.catalog_of(staff)
        if staff.role < Role.ORGANIZER:
            return render.common.staff_only(tr, organizers=True)
        if not text.strip():
            return render.common.usage(tr, "answer")
        try:
            sub = await self._submissions.submission(submission_id)
            if sub.merged_into is not None:  # the answer goes to everyone behind it
                sub = await self._submissions.submission(sub.merged_into)
        except NotFound:
            return render.base.Reply(render.moderation.no_such_submission(tr, submission_id))
        recipients = await self._store.audience(sub.id)
        if sub.status is Status.WITHDRAWN or not recipients:
            return render.curation.answer_refused(tr, sub)
        readers = {r.chat_id: self._readers.locale_of_listener(r) for r in recipients}
        texts = await self._answer_texts(text.strip(), set(readers.values()), sub.id)

        rendered: dict[tuple[str, bool], list[render.base.Reply]] = {}
        for person in recipients:  # once per language and role, not once per person
            locale = readers[person.chat_id]
            if (locale, person.asked) not in rendered:
                made = texts[locale]
                rendered[locale, person.asked] = render.curation.written_answers(
                    self._locales.get(locale), sub.id, made.text, made.machine, person.asked
                )

        def messages(answer_id: int) -> list[OutboxMessage]:
            owed = []
            for person in recipients:
                # A long answer is several messages, each with its own key; the chat's
                # order keeps them in order.
                for part, reply in enumerate(rendered[readers[person.chat_id], person.asked], 1):
                    key = f"answer:{answer_id}:{person.chat_id}:{part}"
                    owed.append(replace(reply.send(person.chat_id, key), priority=NOTICE_PRIORITY))
            return owed

        answer_id = await self._store.save_answer(
            sub.id, text.strip(), staff.actor, f"update:{update_id}", self._clock(), messages
        )
        if answer_id is None:
            return render.curation.answer_already(tr, sub.id)
        self._replies.wake()
        machine = sum(1 for locale in set(readers.values()) if texts[locale].machine)
        return render.curation.answer_queued(
            tr, sub.id, len(recipients), len(set(readers.values())), machine
        )

    async def _answer_texts(
        self, text: str, locales: set[str], about: int
    ) -> dict[str, AnswerText]:
        """The answer in each reader's language, translated once per language, at once; what
        is not done by the deadline goes out as written."""
        working = self._settings.language
        languages = {locale: locale.split("_")[0] for locale in locales}
        wanted = {lang for lang in languages.values() if lang != working}
        # Linked to the question: erased with it, and not cached if it is erased meanwhile.
        made = await self._translator.translate_many(
            text, working, wanted, ANSWER_TRANSLATION_S, about
        )
        return {
            locale: AnswerText(made[lang], True) if lang in made else AnswerText(text, False)
            for locale, lang in languages.items()
        }


def _working_text(sub: Submission, working_language: str) -> str | None:
    """The text in the working language, if there is one yet."""
    if not sub.text:
        return None
    if sub.translation:
        return sub.translation
    return sub.text if sub.language == working_language else None


def _counts(voices: Voices) -> tuple[int, int]:
    return voices.people, voices.languages
