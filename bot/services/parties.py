"""Viewing parties: an organizer registers a group chat with a place (/party), its language
(/partylang); in a registered group, /ask submits a question on the party's behalf."""

from __future__ import annotations

from bot import render
from bot.domain import Role
from bot.i18n import native_name
from bot.services.intake import Author, Clock, IntakeService, Received, utc_now
from bot.services.moderation import Staff
from bot.services.readers import Readers
from bot.services.replies import ReplyWriter
from storage.models import Kind
from storage.parties import PartyStore
from storage.requests import request_key

MAX_PLACE = 80  # a place is a label on posts and in exports, not a description


class PartyService:
    def __init__(
        self,
        store: PartyStore,
        intake: IntakeService,
        readers: Readers,
        replies: ReplyWriter,
        moderator_chat: int | None,
        clock: Clock = utc_now,
    ) -> None:
        self._store = store
        self._intake = intake
        self._readers = readers
        self._locales = readers.locales
        self._moderator_chat = moderator_chat
        self._replies = replies
        self._clock = clock

    def _is_party_chat(self, chat_id: int) -> bool:
        # Groups have negative ids; the moderators' group is never a viewing party.
        return chat_id < 0 and chat_id != self._moderator_chat

    async def register(self, staff: Staff, update_id: int, place: str) -> render.base.Reply:
        """/party <place>, sent by an organizer in the group (replayed: the same answer)."""
        tr = await self._readers.catalog_of(staff)
        if staff.role < Role.ORGANIZER:
            return render.common.staff_only(tr, organizers=True)
        if not self._is_party_chat(staff.chat_id):
            return render.parties.party_only_in_groups(tr)
        place = " ".join(place.split())
        if not place or len(place) > MAX_PLACE:
            return render.common.usage(tr, "party")
        locale = self._locales.resolve(None, staff.language_code)
        key = request_key("party", update_id)  # replayed: still the one that registered it
        party, new = await self._store.register(
            staff.chat_id, place, locale, staff.user_id, self._clock(), key
        )
        reader = self._locales.get(party.locale)
        return render.parties.party_registered(
            reader, party.place, party.id, new, native_name(party.locale)
        )

    async def set_language(self, staff: Staff, code: str) -> render.base.Reply:
        """/partylang <code>, sent by an organizer in the party's group."""
        tr = await self._readers.catalog_of(staff)
        if staff.role < Role.ORGANIZER:
            return render.common.staff_only(tr, organizers=True)
        locale = self._locales.match(code.strip())
        if not self._is_party_chat(staff.chat_id) or locale is None:
            return render.common.usage(tr, "partylang")
        party = await self._store.set_locale(staff.chat_id, locale)
        if party is None:
            return render.parties.not_a_party(tr)
        reader = self._locales.get(party.locale)
        return render.parties.party_language_set(reader, native_name(party.locale))

    async def listing(self, staff: Staff) -> render.base.Reply:
        tr = await self._readers.catalog_of(staff)
        if staff.role < Role.MODERATOR:
            return render.common.staff_only(tr)
        rows = [(p.id, p.place, p.locale, n) for p, n in await self._store.all()]
        return render.parties.party_list(tr, rows)

    async def ask(self, message: Received) -> None:
        """/ask in a group: the party's question, or why this group cannot take one."""
        party = await self._store.of_chat(message.author.chat_id)
        if party is None:
            await self._intake.reply(message.author, message.update_id, render.parties.not_a_party)
            return
        await self._intake.submit(message, Kind.QUESTION, from_command=True, party=party)

    async def locale_in(self, author: Author) -> str:
        """The language to answer in: a party's in its group, else the person's."""
        party = await self._store.of_chat(author.chat_id) if author.chat_id < 0 else None
        return party.locale if party else await self._intake.locale_for(author)
