"""The on-air screen in a real browser (Debian's headless Chromium, driven by Selenium with
Debian's chromedriver): it loads idle, follows /live and /next without a reload, and shows
a question's markup as text. Screenshots in six scripts are written where
TOWNHALL_SCREENSHOTS points (the README's come from there), else to the test's folder."""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from tests.conftest import RunningBot
from tests.test_browse import command
from tests.test_screen import MARKUP_Q, MODERATOR, approved, bot, screen_links

__all__ = ["bot"]  # the fixture, shared with the endpoint tests

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
SCRIPTS = {
    "latin": ("es", "¿Cómo protegerá el gobierno a los periodistas durante las elecciones?"),
    "arabic": ("ar", "كيف ستحمي الحكومة الصحفيين أثناء الانتخابات القادمة في المنطقة؟"),
    "devanagari": ("hi", "चुनाव के दौरान सरकार पत्रकारों की सुरक्षा कैसे करेगी और क्या योजना है?"),
    "ethiopic": ("am", "መንግስት በምርጫ ወቅት ጋዜጠኞችን እንዴት ይጠብቃል? ምን ዕቅድ አለው?"),
    "burmese": ("my", "ရွေးကောက်ပွဲကာလအတွင်း အစိုးရက သတင်းထောက်များကို မည်သို့ ကာကွယ်မည်နည်း။"),
    "chinese": ("zh", "选举期间政府将如何保护记者的人身安全和采访自由？"),
}


@contextmanager
def chromium() -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,720",
        "--hide-scrollbars",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def until(check: Callable[[], bool], timeout: float = 5.0) -> float:
    """Seconds until `check` held (it must, within `timeout`)."""
    start = time.monotonic()
    while not check():
        if time.monotonic() - start > timeout:
            raise AssertionError(f"not within {timeout} s")
        time.sleep(0.05)
    return time.monotonic() - start


def shots_folder(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("TOWNHALL_SCREENSHOTS") or tmp_path / "screenshots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


async def test_the_screen_in_a_browser_follows_the_show(bot: RunningBot, tmp_path: Path) -> None:
    links = await screen_links(bot)
    first = await approved(bot, 851, MARKUP_Q, "en")
    second = await approved(bot, 852, SCRIPTS["latin"][1], "es")
    with chromium() as browser:
        await asyncio.to_thread(browser.get, links["screen"])
        state = lambda: browser.find_element(By.TAG_NAME, "body").get_attribute("data-state")  # noqa: E731
        await asyncio.to_thread(until, lambda: state() == "idle")
        title = browser.find_element(By.CSS_SELECTOR, ".idle .title").text
        assert title == "Global Town Hall"
        assert browser.find_element(By.CSS_SELECTOR, ".idle img").get_attribute("src")
        browser.execute_script("window.notReloaded = true")
        await command(bot, MODERATOR, f"/live {first}")
        took = await asyncio.to_thread(until, lambda: state() == "live", 5.0)
        assert took < 3.0  # the 2 s promise, with a margin for a loaded machine
        original = browser.find_element(By.CSS_SELECTOR, ".question .original")
        assert original.text == MARKUP_Q  # markup shown as typed
        assert browser.find_elements(By.CSS_SELECTOR, "main script, main b") == []
        assert browser.execute_script("return window.notReloaded") is True
        await command(bot, MODERATOR, "/next")
        await asyncio.to_thread(
            until,
            lambda: browser.find_element(By.CSS_SELECTOR, ".question .ref").text.startswith(
                f"#{second}"
            ),
        )
        translation = browser.find_element(By.CSS_SELECTOR, ".question .translation").text
        assert SCRIPTS["latin"][1] in translation  # the fake engine keeps the words
        assert browser.execute_script("return window.notReloaded") is True


async def test_screenshots_in_six_scripts(bot: RunningBot, tmp_path: Path) -> None:
    folder = shots_folder(tmp_path)
    links = await screen_links(bot)
    ids = {}
    for n, (name, (language, text)) in enumerate(SCRIPTS.items()):
        ids[name] = await approved(bot, 860 + n, text, language)
    with chromium() as browser:
        # Nothing on air yet: the event, its time, and how to take part.
        await asyncio.to_thread(browser.get, links["screen"])
        await asyncio.to_thread(
            until,
            lambda: (
                browser.find_element(By.TAG_NAME, "body").get_attribute("data-state") == "idle"
            ),
        )
        await asyncio.to_thread(browser.save_screenshot, str(folder / "idle.png"))
        for name, (_language, text) in SCRIPTS.items():
            await command(bot, MODERATOR, f"/live {ids[name]}")
            page_lang = "ar" if name == "arabic" else "en"
            await asyncio.to_thread(browser.get, f"{links['screen']}?lang={page_lang}")
            await asyncio.to_thread(
                until,
                lambda: (
                    browser.find_element(By.TAG_NAME, "body").get_attribute("data-state") == "live"
                ),
            )
            shown = browser.find_element(By.CSS_SELECTOR, ".question .original")
            assert shown.text == text
            direction = browser.execute_script(
                "return getComputedStyle(arguments[0]).direction", shown
            )
            assert direction == ("rtl" if name == "arabic" else "ltr")
            await asyncio.to_thread(browser.save_screenshot, str(folder / f"screen-{name}.png"))
        # Two more for the host's page: on air, next up, and one after.
        for n, (language, text) in enumerate([SCRIPTS["devanagari"], SCRIPTS["latin"]]):
            await approved(bot, 870 + n, text, language)
        await asyncio.to_thread(browser.get, links["order"])
        await asyncio.to_thread(
            until, lambda: len(browser.find_elements(By.CSS_SELECTOR, "li")) == 3
        )
        marked = [li.get_attribute("class") for li in browser.find_elements(By.CSS_SELECTOR, "li")]
        assert marked == ["live", "next", ""]
        await asyncio.to_thread(browser.save_screenshot, str(folder / "order.png"))
    shots = sorted(p.name for p in folder.glob("*.png"))
    assert shots == sorted([f"screen-{n}.png" for n in SCRIPTS] + ["idle.png", "order.png"])
    assert all((folder / s).stat().st_size > 5_000 for s in shots)
