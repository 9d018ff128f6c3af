"""The moderators' group feed: a post per new submission while the group's budget allows,
one digest edited in place when it does not; and the edits that keep each post showing its
submission as it is now (every service that changes a submission asks here).

Telegram lets a bot send about 20 messages a minute into a group. The feed runs beside intake,
not inside it: a submission is confirmed to its sender first, and this worker picks up what
has not been shown to moderators yet (state in the database, so a restart resumes it). The
outbox sender enforces the group's pace in any case; the budget here keeps the queue for the
group short, so posts arrive while they matter and never a backlog of hundreds.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from bot import render
from bot.i18n import Gettext
from bot.services.intake import Clock
from bot.services.readers import Readers
from bot.services.replies import ReplyWriter
from storage.erasure import DeliveredCopy
from storage.models import OutboxMessage, Submission
from storage.moderation import ModerationStore
from storage.submissions import SubmissionStore

_log = logging.getLogger(__name__)

# Posts only while the group has had fewer messages than this in the last minute; the rest of
# the budget stays free for post edits, digests and replies to moderators' commands.
POST_BUDGET = 8
DIGEST_LIFETIME = timedelta(minutes=10)  # after this a new digest starts, at the bottom
LANGUAGE_WAIT = timedelta(seconds=10)  # posts wait this long at most for the language


@dataclass
class Digest:
    key: str
    started: datetime
    ids: list[int] = field(default_factory=list)
    languages: Counter[str] = field(default_factory=Counter)


class FeedService:
    """Posts, digests and post edits for the moderators' group (none without a group)."""

    def __init__(
        self,
        store: ModerationStore,
        submissions: SubmissionStore,
        readers: Readers,
        replies: ReplyWriter,
        chat_id: int | None,
        clock: Clock,
    ) -> None:
        self._store = store
        self._submissions = submissions
        self._readers = readers
        self._replies = replies
        self._chat = chat_id
        self._clock = clock
        self._digest: Digest | None = None

    def post_edits(self, sub: Submission, group: Gettext | None = None) -> list[OutboxMessage]:
        """The edit of the submission's post in the moderators' group, if it has one: to be
        queued in the transaction of the change it shows."""
        chat = self._chat
        if chat is None or sub.feed != "post":
            return []
        group = group or self._readers.working_catalog()
        edit = render.moderation.moderator_post(group, sub).edit(chat, 0, None)
        return [
            OutboxMessage(
                chat,
                edit.method,
                edit.params,
                coalesce_key=f"postedit:{sub.id}",
                message_ref=f"post:{sub.id}",
            )
        ]

    def copy_edit(self, copy: DeliveredCopy) -> OutboxMessage:
        """A delivered message that showed an erased question, edited to the erased notice in
        its chat's language: to be queued in the erasure's transaction."""
        if copy.locale_choice or copy.language_code:
            tr = self._readers.catalog(
                self._readers.locales.resolve(copy.locale_choice, copy.language_code)
            )
        else:
            tr = self._readers.working_catalog()
        # Still on the wire at the erasure: the edit names its send, and waits behind it.
        edit = render.privacy.erased_copy(tr).edit(copy.chat_id, copy.message_id or 0, None)
        return replace(edit, dedup_key=f"erased:{copy.outbox_id}", message_ref=copy.message_ref)

    @property
    def posts(self) -> bool:
        """Whether there are posts to show changes on (a moderators' group is set)."""
        return self._chat is not None

    async def refresh_posts(self, subs: Sequence[Submission]) -> None:
        """Show these submissions as they are now on their posts, in one write."""
        group = self._readers.working_catalog()
        edits = [edit for sub in subs for edit in self.post_edits(sub, group)]
        if edits:
            await self._store.queue(edits, self._clock())
            self._replies.wake()

    async def refresh_post(self, submission_id: int) -> None:
        """Show the submission as it is now on its post (only the latest edit stays queued)."""
        await self.refresh_posts([await self._submissions.submission(submission_id)])

    async def feed_once(self) -> None:
        """Show moderators what they have not seen yet: posts, or the digest."""
        chat = self._chat
        if chat is None:
            return
        now = self._clock()
        new = await self._store.unfed_submissions(500, now - LANGUAGE_WAIT)
        if not new:
            return
        recent = await self._store.recent_group_messages(chat, now - timedelta(minutes=1))
        if recent + len(new) <= POST_BUDGET:
            await self._post(chat, new, now)
        else:
            await self._add_to_digest(chat, new, now)
        self._replies.wake()

    async def _post(self, chat: int, new: list[Submission], now: datetime) -> None:
        group = self._readers.working_catalog()
        posts = [
            render.moderation.moderator_post(group, sub).send(chat, f"post:{sub.id}")
            for sub in new
        ]
        await self._store.mark_fed([s.id for s in new], "post", posts, now)

    async def _add_to_digest(self, chat: int, new: list[Submission], now: datetime) -> None:
        digest = self._digest
        fresh = digest is None or now - digest.started > DIGEST_LIFETIME
        if fresh:
            digest = self._digest = Digest(f"digest:{int(now.timestamp())}", now)
        assert digest is not None
        digest.ids += [s.id for s in new]
        digest.languages.update(s.language or "?" for s in new)
        reply = render.moderation.digest(
            self._readers.working_catalog(),
            digest.ids,
            dict(digest.languages),
            digest.started.strftime("%H:%M UTC"),
        )
        if fresh:
            message = reply.send(chat, digest.key)
        else:
            edit = reply.edit(chat, 0, None)
            message = OutboxMessage(
                chat,
                edit.method,
                edit.params,
                coalesce_key=f"edit:{digest.key}",
                message_ref=digest.key,
            )
        await self._store.mark_fed([s.id for s in new], "digest", [message], now)
