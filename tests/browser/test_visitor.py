"""A visitor without an account: keyboard-only journey through the public pages,
in English, Arabic and Russian, with axe-core on every page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.support import Translations

from tests.browser.conftest import check_a11y, has_horizontal_overflow, screenshot

pytestmark = pytest.mark.browser

TRANSLATIONS = Path(__file__).resolve().parents[2] / "app" / "translations"
ARABIC = re.compile(r"[\u0600-\u06FF]")
CYRILLIC = re.compile(r"[\u0400-\u04FF]")


def translated(language: str, msgid: str) -> str:
    text = Translations.load(str(TRANSLATIONS), [language]).gettext(msgid)
    assert text != msgid, f"{msgid!r} is not translated into {language}"
    return text


def tab_to(page, name: str, *, limit: int = 40) -> None:
    """Press Tab until the focused element's text or label is ``name`` (fails if never)."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "() => { const e = document.activeElement;"
            " return (e.getAttribute('aria-label') || (e.labels && e.labels[0] && e.labels[0].innerText)"
            " || e.innerText || '').trim(); }"
        )
        seen.append(focused)
        if focused == name:
            outline = page.evaluate("() => getComputedStyle(document.activeElement).outlineStyle")
            assert outline != "none", f"{name!r} has no visible focus indicator"
            return
    raise AssertionError(f"Tab never reached {name!r}; focus went through {seen}")


def follow(page, name: str) -> None:
    tab_to(page, name)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_skip_link_is_the_first_stop_and_moves_focus_to_main(page):
    page.goto("/")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "skip-link"
    assert page.locator(".skip-link").is_visible(), "the skip link must show when focused"
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"


def test_keyboard_journey_through_the_public_pages(page, live_server):
    page.goto("/")
    assert page.locator("h1").inner_text().startswith("Consultations on draft national measures")
    check_a11y(page)

    follow(page, "Regional organisations")
    assert page.url.endswith("/regions")
    assert page.locator("h1").inner_text() == "Regional organisations"
    check_a11y(page)

    follow(page, "OSCE — Organization for Security and Co-operation in Europe")
    assert page.url.endswith("/regions/OSCE")
    assert page.get_by_role("heading", level=2, name=re.compile(r"\d+ member States")).is_visible()
    assert page.locator(".member-list li", has_text="Austria").is_visible()  # a member, named by Babel
    check_a11y(page)

    follow(page, "1540 obligations")
    assert page.locator("h1").inner_text() == "Obligations under resolution 1540"
    assert page.locator("#OP3d").is_visible()
    check_a11y(page)

    follow(page, "About the platform")
    assert page.locator("h1").inner_text() == "About Agora 1540"
    check_a11y(page)

    page.goto("/no-such-page")
    assert page.locator("h1").inner_text() == "Page not found"
    check_a11y(page)


PAGES = [("home", "/"), ("regions", "/regions"), ("region", "/regions/AU"), ("obligations", "/obligations"),
         ("about", "/about"), ("not-found", "/no-such-page")]


def switch_language(page, language_name: str, button_label: str) -> None:
    """Use the switcher in the header by keyboard: focus the select, pick, submit."""
    tab_to(page, page.locator("label[for=language-select]").inner_text())
    page.locator("#language-select").select_option(label=language_name)
    tab_to(page, button_label)
    with page.expect_navigation():
        page.keyboard.press("Enter")


@pytest.mark.parametrize(
    ("language", "language_name", "script", "stylesheet", "direction"),
    [
        ("ar", "العربية", ARABIC, "bootstrap.rtl.min.css", "rtl"),
        ("ru", "Русский", CYRILLIC, "bootstrap.min.css", "ltr"),
    ],
)
def test_language_switcher_and_every_page_in_that_language(
    page, language, language_name, script, stylesheet, direction
):
    page.goto("/regions")
    switch_language(page, language_name, "Change language")
    assert page.url.endswith("/regions"), "the switcher returns to the page it was used on"

    html = page.locator("html")
    assert html.get_attribute("lang") == language
    assert html.get_attribute("dir") == direction
    hrefs = page.eval_on_selector_all("link[rel=stylesheet]", "links => links.map(l => l.getAttribute('href'))")
    assert any(href.endswith(f"/{stylesheet}") for href in hrefs), hrefs
    assert page.locator("h1").inner_text() == translated(language, "Regional organisations")

    for name, path in PAGES:
        page.goto(path)
        assert page.locator("html").get_attribute("lang") == language
        nav = page.get_by_role("navigation", name=translated(language, "Main")).inner_text()
        assert script.search(nav), f"{path}: the navigation is not in {language}: {nav!r}"
        assert script.search(page.locator("h1").inner_text()) or name == "region", (
            f"{path}: the heading is not in {language}"
        )
        check_a11y(page)
        screenshot(page, f"{language}-{name}")
        page.set_viewport_size({"width": 360, "height": 800})
        assert not has_horizontal_overflow(page), f"{path} [{language}] scrolls sideways at 360 px"
        page.set_viewport_size({"width": 1280, "height": 900})

    # The choice sticks: the switcher shows it, and switching back works.
    assert page.locator("#language-select").input_value() == language
    switch_language(page, "English", translated(language, "Change language"))
    assert page.locator("html").get_attribute("lang") == "en"


def test_english_pages_fit_a_small_screen(page):
    for name, path in PAGES:
        page.goto(path)
        screenshot(page, f"en-{name}")
        page.set_viewport_size({"width": 360, "height": 800})
        assert not has_horizontal_overflow(page), f"{path} scrolls sideways at 360 px"
        page.set_viewport_size({"width": 1280, "height": 900})


def test_rtl_layout_mirrors(page):
    page.goto("/")
    switch_language(page, "العربية", "Change language")
    brand = page.locator(".navbar-brand").bounding_box()
    switcher = page.locator(".language-switcher").bounding_box()
    assert brand["x"] > switcher["x"], "in Arabic the brand sits on the right, the switcher on the left"
    skip = page.evaluate("() => getComputedStyle(document.querySelector('.skip-link')).right")
    assert skip != "auto"


def test_the_axe_check_reports_violations_with_rule_and_target(page):
    """The harness itself: a page with an unlabelled field and an image without alt text fails."""
    page.goto("/about")
    page.evaluate(
        """() => {
            const main = document.querySelector('main');
            const img = document.createElement('img'); img.id = 'no-alt'; img.src = '/static/none.png';
            const input = document.createElement('input'); input.id = 'no-label';
            main.append(img, input);
        }"""
    )
    with pytest.raises(AssertionError) as failure:
        check_a11y(page)
    message = str(failure.value)
    assert "image-alt (critical)" in message and "#no-alt" in message
    assert "label (critical)" in message and "#no-label" in message
