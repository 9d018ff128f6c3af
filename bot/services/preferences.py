"""A participant's preferences: the language the bot writes to them in."""

from __future__ import annotations

from bot import render
from bot.i18n import native_name
from bot.services.intake import Author, Clock, utc_now
from bot.services.readers import Readers
from bot.services.replies import ReplyWriter, reply_key
from storage.participants import ParticipantStore


class PreferencesService:
    def __init__(
        self,
        participants: ParticipantStore,
        readers: Readers,
        replies: ReplyWriter,
        clock: Clock = utc_now,
    ) -> None:
        self._participants = participants
        self._readers = readers
        self._locales = readers.locales
        self._clock = clock
        self._replies = replies

    def language_options(self) -> list[tuple[str, str]]:
        """Every shipped locale with its native name, in a stable order."""
        return [(locale, native_name(locale)) for locale in self._locales.available]

    async def current_locale(self, author: Author) -> str:
        return await self._readers.locale_of(author)

    async def show_language_menu(self, author: Author, update_id: int) -> None:
        current = await self.current_locale(author)
        menu = render.language.language_menu(
            self._locales.get(current), self.language_options(), current
        )
        await self._replies.queue(menu.send(author.chat_id, reply_key(update_id)))

    async def choose_language(
        self, author: Author, update_id: int, menu_message_id: int, locale: str
    ) -> str:
        """Store the choice and turn the menu into a confirmation; returns the toast text.

        The locale is checked here, not trusted from the button: callback data can be forged.
        """
        if locale not in self._locales.catalogs:
            return render.common.stale_button(self._locales.get(await self.current_locale(author)))
        await self._participants.set_locale_choice(
            author.user_id, author.language_code, locale, self._clock()
        )
        tr, name = self._locales.get(locale), native_name(locale)
        chosen = render.language.language_chosen(tr, name)
        await self._replies.queue(
            chosen.edit(author.chat_id, menu_message_id, f"lang:{update_id}")
        )
        return render.language.language_chosen_toast(tr, name)
