"""Which language a person or a chat reads: the one place that answers it.

A person's choice (/language) wins over their Telegram app's language; a viewing party's
group reads the party's language as it is now (an organizer may change it); the moderators'
group and the organizers' working texts read the working language. Every service that
talks to people asks here, by these names and no others.
"""

from __future__ import annotations

from typing import Protocol

from bot.i18n import Gettext, Locales
from storage.curation import Listener
from storage.models import Submission
from storage.participants import ParticipantStore
from storage.parties import PartyStore


class Person(Protocol):
    """Anyone who wrote to the bot: a participant, a moderator, an organizer."""

    @property
    def user_id(self) -> int: ...

    @property
    def language_code(self) -> str | None: ...


class Readers:
    def __init__(
        self,
        participants: ParticipantStore,
        parties: PartyStore,
        locales: Locales,
        working_language: str,
    ) -> None:
        self._participants = participants
        self._parties = parties
        self._locales = locales
        self._working = locales.resolve(None, working_language)

    @property
    def locales(self) -> Locales:
        return self._locales

    @property
    def working_locale(self) -> str:
        """The organizers' working language, as one of our locales."""
        return self._working

    async def locale_of(self, person: Person) -> str:
        choice = await self._participants.locale_choice(person.user_id)
        return self._locales.resolve(choice, person.language_code)

    async def catalog_of(self, person: Person) -> Gettext:
        return self._locales.get(await self.locale_of(person))

    async def locale_of_asker(self, sub: Submission) -> str:
        """Who asked `sub` reads: the asker's choice, or the party's language now."""
        if sub.party_id is not None:
            choice = await self._parties.party_locale(sub.party_id)
        else:
            choice = await self._participants.locale_choice(sub.participant_id)
        return choice or sub.locale

    def locale_of_listener(self, person: Listener) -> str:
        """Someone told of a question they follow (asker, merged asker, voter), as the store
        listed them: their choice, else the language they asked in (a party's for its
        group), else their Telegram app's."""
        choice = person.locale_choice or person.fallback_locale or None
        return self._locales.resolve(choice, person.language_code)

    def catalog(self, locale: str) -> Gettext:
        return self._locales.get(locale)

    def working_catalog(self) -> Gettext:
        """The moderators' group and the organizers' shared texts."""
        return self._locales.get(self._working)
