"""Participants' intake: the rules between a private message and a stored submission.

No Telegram objects here: handlers pass plain values in; every answer is queued in the outbox
(rendered in the participant's language) so that it survives a crash and respects Telegram's
limits. Answers to one update carry a key derived from its update_id, so replaying an update
after a crash never answers twice.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot import domain, render
from bot.event import Event, intake_is_open
from bot.i18n import Gettext
from bot.services.readers import Readers
from bot.services.replies import ReplyWriter, edit_key, reply_key
from bot.telegram.callbacks import ChooseTopic, SwitchKind
from storage.errors import NotFound
from storage.models import Kind, OutboxMessage, Status, Submission
from storage.participants import ParticipantStore
from storage.parties import Party
from storage.submissions import NewSubmission, Quota, QuotaExceeded, SubmissionStore

Clock = Callable[[], datetime]
MY_LIST_LIMIT = 20


def utc_now() -> datetime:
    return datetime.now(UTC)


async def _nothing(submission_id: int) -> None:
    return None


@dataclass(frozen=True, slots=True)
class Author:
    """Who wrote, as far as intake needs to know: no names are taken."""

    user_id: int
    chat_id: int
    language_code: str | None


@dataclass(frozen=True, slots=True)
class Received:
    """A private message: `text` is the message text or a media caption, None if neither."""

    update_id: int
    author: Author
    message_id: int
    text: str | None


@dataclass(frozen=True, slots=True)
class IntakeRules:
    min_weight: int
    quota_limit: int
    quota_window: timedelta

    @property
    def window_minutes(self) -> int:
        return max(1, round(self.quota_window.total_seconds() / 60))


class IntakeService:
    def __init__(
        self,
        submissions: SubmissionStore,
        participants: ParticipantStore,
        readers: Readers,
        replies: ReplyWriter,
        rules: IntakeRules,
        clock: Clock = utc_now,
        notify_text_changed: Callable[[], None] = lambda: None,
        event: Event | None = None,
        working_language: str = "en",
        refresh_post: Callable[[int], Awaitable[None]] | None = None,
    ) -> None:
        self._refresh_post = refresh_post or _nothing
        self._submissions = submissions
        self._participants = participants
        self._event = event
        self._working_language = working_language
        self._readers = readers
        self._locales = readers.locales
        self._rules = rules
        self._replies = replies
        # A new or edited text is something for the translation worker to look at.
        self._text_changed = notify_text_changed
        self._clock = clock

    async def locale_for(self, author: Author) -> str:
        return await self._readers.locale_of(author)

    async def catalog_for(self, author: Author) -> Gettext:
        return self._locales.get(await self.locale_for(author))

    async def reply(
        self, author: Author, update_id: int, build: Callable[[Gettext], render.base.Reply]
    ) -> None:
        """Answer an update once, in the author's language."""
        tr = await self.catalog_for(author)
        await self._replies.queue(build(tr).send(author.chat_id, reply_key(update_id)))

    async def submit(
        self,
        message: Received,
        kind: Kind,
        from_command: bool = False,
        party: Party | None = None,
    ) -> None:
        """Store a question or idea and queue its confirmation, or answer why not. A viewing
        party's question is confirmed in its group, in the party's language."""
        author = message.author
        locale = party.locale if party else await self.locale_for(author)
        tr = self._locales.get(locale)
        text = message.text or ""
        refusal = self._refusal(tr, text, kind, from_command)
        if refusal is None and not await self.is_open() and not await self._stored(message):
            # A message stored before the close (an update replayed after a crash) is not
            # refused: it was recorded, and its confirmation said so.
            refusal = self._closed(tr, locale)
        if refusal is not None:
            await self._replies.queue(refusal.send(author.chat_id, reply_key(message.update_id)))
            return
        now = self._clock()
        new = NewSubmission(
            participant_id=author.user_id,
            language_code=author.language_code,
            chat_id=author.chat_id,
            message_id=message.message_id,
            kind=kind,
            text=text,
            locale=locale,
            created_at=now,
            party_id=party.id if party else None,
            party_place=party.place if party else None,
        )
        quota = Quota(self._rules.quota_limit, now - self._rules.quota_window)

        def confirm(stored: Submission) -> OutboxMessage:
            return self._confirmation(tr, locale, stored).send(
                author.chat_id, f"confirm:{stored.id}", reply_to=message.message_id
            )

        try:
            await self._submissions.submit(new, quota, confirm)
        except QuotaExceeded as exceeded:
            answer = self._rate_limited(tr, exceeded, now)
            await self._replies.queue(answer.send(author.chat_id, reply_key(message.update_id)))
            return
        self._replies.wake()
        self._text_changed()

    async def _stored(self, message: Received) -> bool:
        author = message.author
        found = await self._submissions.submission_by_message(author.chat_id, message.message_id)
        return found is not None

    async def is_open(self) -> bool:
        """Whether submissions are taken now: the schedule and the organizers' switch."""
        return intake_is_open(self._event, await self._submissions.intake_switch(), self._clock())

    def _closed(self, tr: Gettext, locale: str) -> render.base.Reply:
        """Closed, with the next opening and the live show when the event file has them."""
        event, now = self._event, self._clock()
        if event is None:
            return render.intake.intake_closed(tr)

        def when(at: datetime | None) -> str | None:
            if at is None or at <= now:
                return None
            return render.base.moment(locale, at, event.timezone)

        return render.intake.intake_closed(tr, when(event.opens_at), when(event.starts_at))

    def topics_for(self, locale: str) -> list[render.intake.TopicChoice]:
        if self._event is None:
            return []
        return self._event.topic_choices(locale, self._working_language)

    def _confirmation(self, tr: Gettext, locale: str, sub: Submission) -> render.base.Reply:
        confirmation = render.intake.confirmation(tr, sub, self.topics_for(locale))
        if sub.party_id is not None:
            # In a party's group anyone could press; a party's /ask is a question, as it is.
            return render.base.Reply(confirmation.text)
        return confirmation

    def _refusal(
        self, tr: Gettext, text: str, kind: Kind, from_command: bool
    ) -> render.base.Reply | None:
        if domain.visible_length(text) == 0:
            return (
                render.intake.missing_text(tr, kind)
                if from_command
                else render.intake.empty_text(tr)
            )
        if domain.text_weight(text) < self._rules.min_weight:
            return render.intake.too_short(tr, self._rules.min_weight)
        return None

    async def refuse_media(self, author: Author, update_id: int) -> None:
        await self.reply(author, update_id, render.intake.unsupported_media)

    async def edit(self, message: Received) -> None:
        """An edited message updates its submission while pending; it never makes a new one."""
        author = message.author
        tr = await self.catalog_for(author)
        key = edit_key(message.update_id)
        stored = await self._submissions.submission_by_message(author.chat_id, message.message_id)
        text = message.text or ""
        if stored is None:
            answer = render.intake.edit_not_submission(tr)
        elif not domain.participant_may_change(stored.status):
            answer = render.intake.edit_refused(tr, stored)
        elif (refusal := self._refusal(tr, text, stored.kind, False)) is not None:
            answer = refusal
        elif text == stored.text:  # nothing new (the same edit replayed): nothing to redo
            answer = render.intake.edit_accepted(tr, stored)
        else:
            # An accepted edit is a new text to translate: it counts toward the quota.
            now = self._clock()
            try:
                updated = await self._submissions.edit_pending_text(
                    stored.id,
                    author.user_id,
                    text,
                    now,
                    lambda sub: render.intake.edit_accepted(tr, sub).send(author.chat_id, key),
                    Quota(self._rules.quota_limit, now - self._rules.quota_window),
                )
            except QuotaExceeded as exceeded:
                updated, answer = None, self._rate_limited(tr, exceeded, now)
            else:
                answer = render.intake.edit_refused(tr, stored)
            if updated is not None:
                self._replies.wake()
                self._text_changed()
                return
        await self._replies.queue(answer.send(author.chat_id, key))

    def _rate_limited(
        self, tr: Gettext, exceeded: QuotaExceeded, now: datetime
    ) -> render.base.Reply:
        wait = exceeded.oldest_in_window + self._rules.quota_window - now
        return render.intake.rate_limited(
            tr, self._rules.quota_limit, self._rules.window_minutes, wait.total_seconds()
        )

    async def switch_kind(
        self, author: Author, update_id: int, confirmation_message_id: int, action: SwitchKind
    ) -> str:
        """Turn a pending submission into a question or an idea; returns the toast to show.

        The owner check is here, not only in the button: callback data can be forged.
        """
        locale = await self.locale_for(author)
        tr = self._locales.get(locale)

        def edited_confirmation(sub: Submission) -> OutboxMessage:
            return self._confirmation(tr, locale, sub).edit(
                author.chat_id, confirmation_message_id, f"kind:{update_id}"
            )

        own = await self._own_pending(author, action.submission_id)
        if own is not None and own.kind is action.kind:  # already (a double tap, a replay)
            return render.intake.kind_switched(tr, own)
        updated = await self._submissions.switch_kind(
            action.submission_id, author.user_id, action.kind, self._clock(), edited_confirmation
        )
        if updated is None:
            return render.intake.cannot_change(tr, action.submission_id)
        self._replies.wake()
        return render.intake.kind_switched(tr, updated)

    async def choose_topic(
        self, author: Author, update_id: int, confirmation_message_id: int, action: ChooseTopic
    ) -> str:
        """File a pending submission under a topic of the event ("" for none); returns the
        toast. Checked here: the owner, the status, and that the topic exists."""
        locale = await self.locale_for(author)
        tr = self._locales.get(locale)
        labels = dict(self.topics_for(locale))
        if action.topic and action.topic not in labels:
            return render.common.stale_button(tr)

        def edited_confirmation(sub: Submission) -> OutboxMessage:
            return self._confirmation(tr, locale, sub).edit(
                author.chat_id, confirmation_message_id, f"topic:{update_id}"
            )

        own = await self._own_pending(author, action.submission_id)
        if own is not None and own.topic == action.topic:  # already (a double tap, a replay)
            return render.intake.topic_chosen(tr, own.id, labels.get(action.topic))
        updated = await self._submissions.set_topic(
            action.submission_id, author.user_id, action.topic, self._clock(), edited_confirmation
        )
        if updated is None:
            return render.intake.cannot_change(tr, action.submission_id)
        self._replies.wake()
        await self._refresh_post(updated.id)  # the moderators' post shows the topic
        return render.intake.topic_chosen(tr, updated.id, labels.get(action.topic))

    async def _own_pending(self, author: Author, submission_id: int) -> Submission | None:
        """The author's submission while still pending, else None."""
        try:
            sub = await self._submissions.submission(submission_id)
        except NotFound:
            return None
        mine = sub.participant_id == author.user_id and sub.status is Status.PENDING
        return sub if mine else None

    async def welcome(self, author: Author, update_id: int) -> None:
        """/start: the welcome, with the live show's time when the event file has it."""
        locale = await self.locale_for(author)
        event, starts = self._event, None
        if event is not None and event.starts_at is not None and event.starts_at > self._clock():
            starts = render.base.moment(locale, event.starts_at, event.timezone)
        reply = render.intake.welcome(self._locales.get(locale), starts)
        await self._replies.queue(reply.send(author.chat_id, reply_key(update_id)))

    async def register(self, author: Author) -> None:
        """/start: remember who started the bot, so announcements reach them."""
        await self._participants.register_participant(
            author.user_id, author.language_code, self._clock()
        )

    async def list_own(self, author: Author, update_id: int) -> None:
        tr = await self.catalog_for(author)
        items, total = await self._submissions.submissions_of(author.user_id, MY_LIST_LIMIT)
        reply = render.intake.my_submissions(tr, items, total)
        await self._replies.queue(reply.send(author.chat_id, reply_key(update_id)))
