"""The on-air screen and the host's run order: what they show, and who gets their links.

The pages hold no personal data beyond a question's text and its place: never a name or an
account. A question erased, withdrawn, merged or answered while on air turns the screen idle.
"""

from __future__ import annotations

import functools
import hmac
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot import render
from bot.config import Settings
from bot.domain import Role
from bot.i18n import Gettext
from bot.services.intake import Clock, utc_now
from bot.services.moderation import Staff
from bot.services.readers import Readers
from bot.workers.translation import ENGINE_ERRORS, TranslationWorker
from storage.models import Submission
from storage.screen import Page, ScreenStore

SECOND_LANGUAGE_WAIT_S = 1.5  # then the screen shows without it; it comes from the cache next


@dataclass(frozen=True, slots=True)
class PageRequest:
    page: Page
    secret: str
    language: str | None = None  # ?lang=fr: a second language for the translation


class ScreenService:
    def __init__(
        self,
        store: ScreenStore,
        readers: Readers,
        translator: TranslationWorker,
        settings: Settings,
        bot_username: Callable[[], str | None],
        clock: Clock = utc_now,
    ) -> None:
        self._store = store
        self._readers = readers
        self._translator = translator
        self._settings = settings
        self._bot_username = bot_username
        self._clock = clock

    # ---- the organizers' command ---------------------------------------------------------

    async def links(self, staff: Staff, renew: bool) -> render.base.Reply:
        tr = await self._readers.catalog_of(staff)
        if staff.role < Role.ORGANIZER:  # again here: commands can come from anyone
            return render.common.staff_only(tr, organizers=True)
        if staff.chat_id != staff.user_id:  # the links are secrets: a private chat only
            return render.common.usage(tr, "screen")
        secrets = (
            await self._store.rotate() if renew else {p: await self._store.secret(p) for p in Page}
        )
        return render.screen.screen_links(
            tr,
            self.url(Page.SCREEN, secrets[Page.SCREEN]),
            self.url(Page.ORDER, secrets[Page.ORDER]),
            renew,
        )

    def url(self, page: Page, secret: str) -> str:
        return f"{self._settings.public_base_url()}/{page.value}/{secret}"

    # ---- the pages -----------------------------------------------------------------------

    async def allowed(self, request: PageRequest) -> bool:
        """Whether the secret opens this page (compared in constant time)."""
        expected = await self._store.secret(request.page)
        return hmac.compare_digest(expected.encode(), request.secret.encode())

    def page_locale(self, language: str | None) -> str:
        found = self._readers.locales.match(language) if language else None
        return found or self._readers.working_locale

    async def state(self, request: PageRequest) -> dict[str, Any]:
        """What the page shows now, as plain values (the page makes text of them)."""
        locale = self.page_locale(request.language)
        tr = self._readers.catalog(locale)
        state: dict[str, Any] = {
            "locale": locale,
            "dir": "rtl" if locale.split("_")[0] in render.screen.RTL_LANGUAGES else "ltr",
            "words": render.screen.page_words(tr),
        }
        on_air = await self._store.on_air()
        if request.page is Page.ORDER:
            order = await self._store.run_order()
            state["items"] = [self._item(tr, locale, sub, on_air) for sub in order]
            return state
        if on_air is None:
            state.update(self._idle(locale))
            return state
        state["question"] = self._item(tr, locale, on_air, on_air)
        second = await self._second_language(on_air, request.language)
        if second is not None:
            state["question"]["second"] = second
        return state

    def _item(
        self, tr: Gettext, locale: str, sub: Submission, on_air: Submission | None
    ) -> dict[str, Any]:
        event = self._settings.event
        topic = event.topic(sub.topic) if event and sub.topic else None
        working = self._settings.language
        return {
            "ref": render.base.ref(sub.id),
            "text": sub.text,
            "translation": sub.translation if sub.language != working else None,
            "topic": topic.label.pick(locale, working) if topic else None,
            "from": render.screen.from_place(tr, sub.party_place),
            "live": on_air is not None and sub.id == on_air.id,
        }

    def _idle(self, locale: str) -> dict[str, Any]:
        event = self._settings.event
        idle: dict[str, Any] = {"idle": True, "title": None, "when": None}
        if event is not None:
            idle["title"] = event.name_in(locale, self._settings.language)
            if event.starts_at is not None:
                idle["when"] = render.base.moment(locale, event.starts_at, event.timezone)
        username = self._bot_username()
        if username:
            link = f"https://t.me/{username}"
            idle["link"] = link
            idle["qr"] = qr_svg(link)
        return idle

    async def _second_language(self, sub: Submission, language: str | None) -> str | None:
        """The question in the page's own language too, when it asks for one."""
        if not language or language == self._settings.language or language == sub.language:
            return None
        source_text = sub.translation or sub.text
        source = self._settings.language if sub.translation else (sub.language or "")
        try:
            found = await self._translator.translate_within(
                source_text, source, language, SECOND_LANGUAGE_WAIT_S, sub.id
            )
        except ENGINE_ERRORS:
            return None
        return found[0] if found else None


@functools.lru_cache(maxsize=4)
def qr_svg(link: str) -> str:
    """A QR code of the link, as an SVG document (drawn here: no service asked). Cached: the
    state of every open page is read twice a second, and the link does not change."""
    import segno  # only the screen needs it

    buffer = io.BytesIO()
    segno.make(link, error="m").save(
        buffer, kind="svg", scale=8, border=2, dark="#000", light="#fff"
    )
    return buffer.getvalue().decode("utf-8")
