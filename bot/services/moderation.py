"""Moderation rules: who may act, status changes with their notices, lists, review cards.

No Telegram objects: handlers pass a `Staff` (who acts, where) and plain values. Every action
checks the role here, again, whatever the handler's filters said: any Telegram client can
send any command or callback data.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from bot import domain, render
from bot.config import Settings
from bot.domain import Action, Role
from bot.i18n import Gettext
from bot.render.base import REASON_CHARS
from bot.services.feed import FeedService
from bot.services.intake import Author, Clock, utc_now
from bot.services.readers import Readers
from bot.services.replies import ReplyWriter, reply_key
from bot.telegram import callbacks
from storage.errors import NotFound
from storage.models import Kind, OutboxMessage, Status, Submission
from storage.moderation import Actor, AuditEntry, ModerationStore, QueueFilter
from storage.requests import request_key
from storage.submissions import SubmissionStore

PAGE_SIZE = 8
CARD_HOLD_S = 120.0  # a card shown to one moderator is not shown to another for this long
INVITE_HOURS = 24


@dataclass(frozen=True, slots=True)
class Staff:
    """Someone acting as staff: who, in which chat, in which language."""

    user_id: int
    chat_id: int
    name: str
    language_code: str | None
    role: Role

    @property
    def actor(self) -> Actor:
        return Actor(self.user_id, self.name)


class ModerationService:
    def __init__(
        self,
        store: ModerationStore,
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
        self._runtime_moderators: set[int] = set()
        self._skipped: dict[int, list[int]] = {}  # per moderator, this session's skipped cards

    async def load(self) -> None:
        self._runtime_moderators = {m.user_id for m in await self._store.moderators()}

    # ---- who is who ----------------------------------------------------------------------

    def moderator_ids(self) -> frozenset[int]:
        """Everyone with moderator rights (organizers included)."""
        return frozenset(self._settings.staff | self._runtime_moderators)

    def role(self, user_id: int) -> Role:
        moderators = self._settings.moderators | self._runtime_moderators
        return domain.role_of(user_id, self._settings.organizers, frozenset(moderators))

    def staff(self, user_id: int, chat_id: int, name: str, language_code: str | None) -> Staff:
        return Staff(user_id, chat_id, name, language_code, self.role(user_id))

    async def catalog(self, staff: Staff) -> Gettext:
        return await self._readers.catalog_of(staff)

    async def refuse(self, staff: Staff, update_id: int, organizers: bool = False) -> None:
        refusal = render.common.staff_only(await self.catalog(staff), organizers)
        await self._replies.reply(staff.chat_id, update_id, refusal)

    # ---- status changes ------------------------------------------------------------------

    async def act(
        self, staff: Staff, action: Action, ids: Sequence[int], reason: str | None
    ) -> list[str]:
        """Apply `action` to each id; one line per id saying what happened (as many as fit
        in one message, the rest counted). A reason over REASON_CHARS changes nothing: the
        moderator is asked for a shorter one, rather than the participant told half of it."""
        tr = await self.catalog(staff)
        if reason is not None and len(reason) > REASON_CHARS:
            return [render.moderation.reason_too_long(tr, REASON_CHARS)]
        lines = [await self._act_one(tr, staff, action, sid, reason) for sid in ids]
        return render.moderation.action_results(tr, lines)

    async def _act_one(
        self, tr: Gettext, staff: Staff, action: Action, submission_id: int, reason: str | None
    ) -> str:
        rule = domain.RULES[action]
        if staff.role < rule.role:
            return render.common.staff_only(tr, organizers=rule.role is Role.ORGANIZER).text
        try:
            messages = await self._messages_for_change(submission_id)
        except NotFound:
            return render.moderation.no_such_submission(tr, submission_id)
        change = await self._store.change_status(
            submission_id,
            rule.sources,
            rule.target,
            staff.actor,
            action.value,
            reason,
            self._clock(),
            messages,
        )
        if change.submission is not None:
            return render.moderation.action_done(tr, action, submission_id)
        if change.current is None:
            return render.moderation.no_such_submission(tr, submission_id)
        return render.moderation.action_lost(tr, submission_id, change.current, change.decided_by)

    async def _messages_for_change(
        self, submission_id: int
    ) -> Callable[[Submission], list[OutboxMessage]]:
        """What a change owes: built inside its transaction, so the languages are looked up
        first. The asker is told, and so is everyone whose question was merged into it: they
        were told it joined this one, and hear what becomes of it."""
        group = self._readers.working_catalog()
        before = await self._submissions.submission(submission_id)
        askers = [before, *await self._submissions.merged_askers(submission_id)]
        readers: dict[int, Gettext] = {}  # chat -> catalog, each chat once
        for asker in askers:
            if asker.text and asker.chat_id not in readers:
                readers[asker.chat_id] = self._locales.get(
                    await self._readers.locale_of_asker(asker)
                )

        def build(sub: Submission) -> list[OutboxMessage]:
            messages = self._feed.post_edits(sub, group)
            wanted = sub.status is not Status.REJECTED or self._settings.rejection_notices
            for chat, tr in readers.items():
                notice = render.intake.status_notice(tr, sub)
                if notice is not None and wanted:
                    # No dedup key: the compare-and-set lets each change happen once, and the
                    # same status may rightly be reached again after a /reopen.
                    messages.append(notice.send(chat, None))
            return messages

        return build

    async def press(self, staff: Staff, press: callbacks.Moderate) -> str:
        """A button on a post or card; returns the toast (plain text)."""
        lines = await self.act(staff, press.action, [press.submission_id], None)
        return render.base.plain(lines[0])

    # ---- participants withdrawing ----------------------------------------------------------

    async def withdraw(self, author: Author, update_id: int, submission_id: int | None) -> None:
        tr = await self._readers.catalog_of(author)
        key = reply_key(update_id)
        if submission_id is None:
            await self._replies.queue(
                render.common.usage(tr, "withdraw").send(author.chat_id, key)
            )
            return
        rule = domain.RULES[Action.WITHDRAW]
        change = await self._store.change_status(
            submission_id,
            rule.sources,
            rule.target,
            Actor(author.user_id, "participant"),
            Action.WITHDRAW.value,
            None,
            self._clock(),
            self._feed.post_edits,
            owner=author.user_id,
        )
        if change.submission is not None:
            answer = render.intake.withdrawn(tr, submission_id)
        elif change.current is None:
            answer = render.base.Reply(render.moderation.no_such_submission(tr, submission_id))
        else:
            answer = render.intake.cannot_withdraw(tr, submission_id)
        await self._replies.queue(answer.send(author.chat_id, key))

    # ---- lists ---------------------------------------------------------------------------

    async def queue_page(self, staff: Staff, where: QueueFilter, offset: int) -> render.base.Reply:
        tr = await self.catalog(staff)
        items, total = await self._store.queue_page(where, offset, PAGE_SIZE)
        kind = Kind(where.kind) if where.kind else None

        def page(at: int) -> str:
            return callbacks.encode(
                callbacks.QueuePage(
                    where.status, kind, where.language, at, where.topic, where.party
                )
            )

        previous = page(max(0, offset - PAGE_SIZE)) if offset > 0 else None
        following = page(offset + PAGE_SIZE) if offset + PAGE_SIZE < total else None
        return render.moderation.queue_page(
            tr, items, total, offset, where.status, (previous, following)
        )

    async def show(self, staff: Staff, submission_id: int) -> render.base.Reply:
        tr = await self.catalog(staff)
        try:
            sub = await self._submissions.submission(submission_id)
        except NotFound:
            return render.base.Reply(render.moderation.no_such_submission(tr, submission_id))
        history = [
            (entry.at.replace("T", " ").removesuffix("Z"), _history_line(entry))
            for entry in await self._store.audit(submission_id)
        ]
        similar, merged = await self._store.similar_and_merged(submission_id)
        return render.moderation.show_submission(tr, sub, history, similar, merged)

    async def order(self, staff: Staff) -> render.base.Reply:
        return render.moderation.run_order(
            await self.catalog(staff), await self._store.run_order()
        )

    async def move(
        self, staff: Staff, update_id: int, submission_id: int, position: int
    ) -> render.base.Reply:
        tr = await self.catalog(staff)
        key = request_key("move", update_id)  # replayed, it moves nothing again
        if not await self._store.move(submission_id, position, staff.actor, self._clock(), key):
            return render.moderation.not_approved(tr, submission_id)
        order = [s.id for s in await self._store.run_order()]
        return render.moderation.moved(tr, submission_id, order.index(submission_id) + 1)

    # ---- review cards --------------------------------------------------------------------

    async def next_card(self, staff: Staff) -> render.base.Reply:
        tr = await self.catalog(staff)
        sub = await self._store.claim_next_pending(
            staff.user_id, time.time(), CARD_HOLD_S, self._skipped.get(staff.user_id, [])
        )
        if sub is None:
            return render.moderation.review_done(tr)
        age = max(0, int((self._clock() - sub.created_at).total_seconds() // 60))
        return render.moderation.review_card(tr, sub, age)

    async def skip_card(self, staff: Staff, submission_id: int) -> None:
        self._skipped.setdefault(staff.user_id, []).append(submission_id)
        await self._store.release_claim(submission_id, staff.user_id)

    # ---- the intake window ---------------------------------------------------------------

    async def switch_intake(
        self, staff: Staff, update_id: int, is_open: bool
    ) -> render.base.Reply:
        """/open, /close. Replayed after a crash, it changes nothing again: a /close replayed
        after the scheduled opening must not close the intake at the moment of the replay."""
        await self._submissions.set_intake_open(
            is_open,
            self._clock(),
            staff.actor,
            request_key("open" if is_open else "close", update_id),
        )
        return render.intake.intake_switched(await self.catalog(staff), is_open)

    # ---- the team ------------------------------------------------------------------------

    async def invite(self, staff: Staff, update_id: int, bot_username: str) -> None:
        """/invite: a one-time link, sent in the transaction that stores it. Replayed, it
        makes no second invitation (and sends nothing: the first link was sent)."""
        token = secrets.token_urlsafe(24)  # 32 characters: Telegram allows 64 in a start link
        now = self._clock()
        expires = now + timedelta(hours=INVITE_HOURS)
        link = f"https://t.me/{bot_username}?start={token}"
        answer = render.moderation.invite_link(await self.catalog(staff), link, INVITE_HOURS)
        made = await self._store.create_invite(
            token,
            staff.actor,
            expires.timestamp(),
            request_key("invite", update_id),
            now,
            [answer.send(staff.chat_id, reply_key(update_id))],
        )
        if made:
            self._replies.wake()

    async def redeem(self, author: Author, name: str, token: str) -> bool:
        """/start <token>: True if it makes `author` a moderator, or made them one already
        (the same /start replayed, or their link opened again); False for anyone else."""
        if not await self._store.redeem_invite(token, Actor(author.user_id, name), self._clock()):
            return False
        self._runtime_moderators.add(author.user_id)
        return True

    async def moderators(self, staff: Staff) -> render.base.Reply:
        added = [(m.user_id, m.name) for m in await self._store.moderators()]
        fixed = sorted(self._settings.staff)
        return render.moderation.moderator_list(await self.catalog(staff), fixed, added)

    async def unmod(self, staff: Staff, user_id: int) -> render.base.Reply:
        removed = await self._store.remove_moderator(user_id)
        if removed:
            self._runtime_moderators.discard(user_id)
            await self._store.record(staff.actor, "unmod", str(user_id), self._clock())
        return render.moderation.unmodded(await self.catalog(staff), user_id, removed)


def _history_line(entry: AuditEntry) -> str:
    change = f" ({entry.from_status} → {entry.to_status})" if entry.from_status else ""
    reason = f": {entry.reason}" if entry.reason else ""
    return f"{entry.action} · {entry.actor_name}{change}{reason}"
