"""The participant's own language as the detector's prior: the language chosen with /language
wins over Telegram's app language for a short, ambiguous question, and neither overrides a
long text that is clearly in another language."""

from __future__ import annotations

from storage.models import Submission
from tests.services.conftest import NOW, World

# Valid Spanish and valid Portuguese; a Devanagari phrase with no Nepali or Hindi marker word.
SPANISH_OR_PORTUGUESE = "Sobre este documento"
HINDI_OR_NEPALI = "शिक्षा नीति"
LONG_SPANISH = (
    "¿Qué medidas tomará el gobierno para que las escuelas rurales tengan maestros, "
    "libros y conexión a internet antes del próximo año escolar?"
)


async def detected(world: World, submission: Submission) -> str | None:
    await world.make_translator().tick()
    return (await world.submission(submission.id)).language


async def choose(world: World, user_id: int, telegram: str, chosen: str) -> None:
    await world.stores.participants.set_locale_choice(user_id, telegram, chosen, NOW)


async def test_telegram_language_is_the_prior_without_a_choice(world: World) -> None:
    spanish_app = await world.submit(701, SPANISH_OR_PORTUGUESE, language_code="es")
    portuguese_app = await world.submit(702, SPANISH_OR_PORTUGUESE, language_code="pt-br")
    assert await detected(world, spanish_app) == "es"
    assert (await world.submission(portuguese_app.id)).language == "pt"


async def test_chosen_language_wins_over_telegram_for_an_ambiguous_text(world: World) -> None:
    await choose(world, 711, telegram="es", chosen="pt")
    await choose(world, 712, telegram="ne", chosen="hi")
    await choose(world, 713, telegram="en", chosen="es")
    portuguese = await world.submit(711, SPANISH_OR_PORTUGUESE, language_code="es")
    hindi = await world.submit(712, HINDI_OR_NEPALI, language_code="ne")
    spanish = await world.submit(713, SPANISH_OR_PORTUGUESE, language_code="en")
    nepali_app = await world.submit(714, HINDI_OR_NEPALI, language_code="ne")
    assert await detected(world, portuguese) == "pt"
    assert (await world.submission(hindi.id)).language == "hi"
    assert (await world.submission(spanish.id)).language == "es"
    assert (await world.submission(nepali_app.id)).language == "ne"  # no choice: Telegram's


async def test_chosen_language_does_not_override_a_clear_long_text(world: World) -> None:
    await choose(world, 721, telegram="pt", chosen="pt")
    await choose(world, 722, telegram="en", chosen="hi")
    spanish = await world.submit(721, LONG_SPANISH, language_code="pt")
    other_script = await world.submit(722, LONG_SPANISH, language_code="en")
    assert await detected(world, spanish) == "es"
    assert (await world.submission(other_script.id)).language == "es"
