"""The consultation pages in Arabic (right to left) and Russian, in a real browser.

Switch the language in the header, then walk home → consultations →
a consultation → a section by following links, with axe-core on each page.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.support import Translations
from playwright.sync_api import expect

from tests.browser import journey_support as js
from tests.browser.conftest import check_a11y

pytestmark = pytest.mark.browser

TRANSLATIONS = Path(__file__).resolve().parents[2] / "app" / "translations"
SCRIPTS = {"ar": re.compile(r"[\u0600-\u06FF]"), "ru": re.compile(r"[\u0400-\u04FF]")}


def translated(language: str, msgid: str) -> str:
    text = Translations.load(str(TRANSLATIONS), [language]).gettext(msgid)
    assert text != msgid, f"{msgid!r} is not translated into {language}"
    return text


@pytest.fixture(scope="module")
def draft(live_server) -> js.Draft:
    def seed(session):
        from app.accounts.models import Role

        author = js.account(session, "Elena Author", roles=((Role.AUTHOR, "country", "AT"),))
        reader = js.account(session, "Nadia Expert")
        draft = js.consultation(session, author, title=f"Draft Law on Transit {js.suffix()}", moderation="post")
        js.comment(session, draft, reader, "Free economic zones need the same controls as ports.")
        return draft

    return js.in_app(live_server, seed)


def follow(page, name: str | re.Pattern[str], *, scope=None) -> None:
    with page.expect_navigation():
        (scope or page.get_by_role("main")).get_by_role("link", name=name).first.click()


def assert_language(page, language: str, direction: str) -> None:
    html = page.locator("html")
    assert html.get_attribute("lang") == language, page.url
    assert html.get_attribute("dir") == direction, page.url
    nav = page.get_by_role("navigation", name=translated(language, "Main")).inner_text()
    assert SCRIPTS[language].search(nav), f"{page.url}: the navigation is not in {language}: {nav!r}"
    check_a11y(page)


@pytest.mark.parametrize(("language", "direction"), [("ar", "rtl"), ("ru", "ltr")])
def test_a_consultation_in_arabic_and_russian(page, draft, language, direction):
    page.goto("/")
    page.locator("#language-select").select_option(language)
    with page.expect_navigation():
        page.locator(".language-switcher").get_by_role("button").click()
    assert_language(page, language, direction)

    # home → consultations (main navigation)
    with page.expect_navigation():
        page.get_by_role("navigation", name=translated(language, "Main")).get_by_role(
            "link", name=translated(language, "Consultations"), exact=True).click()
    assert page.url.endswith("/consultations")
    assert_language(page, language, direction)
    expect(page.get_by_role("heading", level=1)).to_contain_text(SCRIPTS[language])

    # → the consultation
    follow(page, draft.title)
    assert page.url.endswith(draft.url)
    assert_language(page, language, direction)
    expect(page.get_by_role("heading", level=1)).to_have_text(draft.title)

    # → Article 5 from the table of contents
    follow(page, re.compile(r"^Article 5"))
    assert page.url.endswith(draft.article_5_url)
    assert_language(page, language, direction)
    heading = translated(language, "Comments on this provision")
    discussion = page.get_by_role("region", name=re.compile(re.escape(heading)))
    expect(discussion).to_contain_text("Free economic zones need the same controls as ports.")
    # The comment keeps its own language (English) inside the translated page.
    expect(discussion.locator(".prose[lang=en]").first).to_be_visible()
    if direction == "rtl":
        hrefs = page.eval_on_selector_all("link[rel=stylesheet]", "ls => ls.map(l => l.getAttribute('href'))")
        assert any(h.endswith("/bootstrap.rtl.min.css") for h in hrefs), hrefs
