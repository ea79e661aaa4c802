"""Languages: which one a visitor gets, right-to-left layout, and dates in the
viewer's language and time zone."""

from __future__ import annotations

import importlib.util
import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from babel.support import Translations
from flask import render_template_string
from flask_login import login_user

from app.accounts.sessions import LOGIN_AT, SEEN_AT
from app.core.db import utcnow
from app.core.i18n import LOCALE_COOKIE
from tests.factories import make_user

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "app" / "translations"
HOME_TITLE = "Consultations on draft national measures under resolution 1540"


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogues():
    """The .mo files are build products (git-ignored): compile the stale ones."""
    spec = importlib.util.spec_from_file_location("i18n_script", ROOT / "scripts" / "i18n.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    module.compile_catalogues(only_stale=True)


def translated(language: str, msgid: str) -> str:
    text = Translations.load(str(TRANSLATIONS), [language]).gettext(msgid)
    assert text != msgid, f"{msgid!r} has no {language} translation"
    return text


def html_tag(body: bytes) -> str:
    return re.search(r"<html[^>]*>", body.decode()).group(0)


def h1(body: bytes) -> str:
    return re.search(r"<h1[^>]*>(.*?)</h1>", body.decode(), re.S).group(1).strip()


def sign_in(client, user) -> None:
    """Sign in as the session cookie would after the login form (user id and generation)."""
    now = utcnow().timestamp()
    with client.session_transaction() as sess:
        sess["_user_id"] = user.get_id()
        sess["_fresh"] = True
        sess[LOGIN_AT] = now
        sess[SEEN_AT] = now


# --- negotiation: user setting → switcher cookie → Accept-Language → English ------

def test_without_any_preference_the_page_is_english(client):
    body = client.get("/").data
    assert 'lang="en"' in html_tag(body)
    assert h1(body) == HOME_TITLE


def test_an_unsupported_browser_language_falls_back_to_english(client):
    body = client.get("/", headers={"Accept-Language": "de-DE, de;q=0.9"}).data
    assert 'lang="en"' in html_tag(body)


@pytest.mark.parametrize(
    ("language", "tag"), [("fr", "fr"), ("es", "es"), ("ru", "ru"), ("ar", "ar"), ("zh", "zh-Hans")]
)
def test_the_browser_language_is_used(client, language, tag):
    body = client.get("/", headers={"Accept-Language": f"{language}-XX, {language};q=0.9, en;q=0.5"}).data
    assert f'lang="{tag}"' in html_tag(body)
    assert h1(body) == translated(language, HOME_TITLE)


def test_the_best_supported_browser_language_wins(client):
    body = client.get("/", headers={"Accept-Language": "de;q=1.0, es;q=0.8, fr;q=0.5"}).data
    assert 'lang="es"' in html_tag(body)


def test_the_switcher_remembers_the_choice_and_returns_to_the_page(client):
    response = client.post("/language", data={"language": "ru", "next": "/regions?x=1"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/regions?x=1"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith(f"{LOCALE_COOKIE}=ru;")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie

    # The explicit choice beats the browser's language.
    body = client.get("/regions", headers={"Accept-Language": "fr"}).data
    assert 'lang="ru"' in html_tag(body)
    assert h1(body) == translated("ru", "Regional organisations")


def test_the_switcher_ignores_unknown_languages_and_foreign_return_addresses(client):
    response = client.post("/language", data={"language": "xx", "next": "//evil.example/"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "Set-Cookie" not in response.headers
    assert 'lang="en"' in html_tag(client.get("/").data)


def test_the_switcher_works_without_javascript(client):
    """The header holds a plain form: a labelled select and a submit button."""
    body = client.get("/about").data.decode()
    form = re.search(r'<form method="post" action="/language".*?</form>', body, re.S).group(0)
    assert '<label for="language-select"' in form
    assert 'name="next" value="/about"' in form
    assert re.search(r'<option value="ar" lang="ar"\s*>العربية</option>', form)
    assert 'type="submit"' in form


def test_the_account_setting_beats_the_cookie_and_the_browser(client, session):
    user = make_user(session, language="zh")
    sign_in(client, user)
    client.set_cookie(LOCALE_COOKIE, "ru")
    body = client.get("/", headers={"Accept-Language": "fr"}).data
    assert 'lang="zh-Hans"' in html_tag(body)
    assert h1(body) == translated("zh", HOME_TITLE)


def test_an_account_without_a_setting_follows_the_cookie(client, session):
    user = make_user(session, language=None)
    sign_in(client, user)
    client.set_cookie(LOCALE_COOKIE, "es")
    body = client.get("/", headers={"Accept-Language": "fr"}).data
    assert 'lang="es"' in html_tag(body)


# --- direction ---------------------------------------------------------------------

def test_arabic_pages_are_right_to_left_with_the_rtl_stylesheet(client):
    client.set_cookie(LOCALE_COOKIE, "ar")
    body = client.get("/obligations").data.decode()
    tag = html_tag(body.encode())
    assert 'lang="ar"' in tag and 'dir="rtl"' in tag
    assert "bootstrap.rtl.min.css" in body
    assert "bootstrap.min.css" not in body
    assert h1(body.encode()) == translated("ar", "Obligations under resolution 1540")


@pytest.mark.parametrize("language", ["en", "fr", "es", "ru", "zh"])
def test_other_languages_are_left_to_right(client, language):
    client.set_cookie(LOCALE_COOKIE, language)
    body = client.get("/").data.decode()
    assert 'dir="ltr"' in html_tag(body.encode())
    assert "bootstrap.min.css" in body and "bootstrap.rtl.min.css" not in body


def test_error_pages_are_translated(client):
    client.set_cookie(LOCALE_COOKIE, "fr")
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert h1(response.data) == translated("fr", "Page not found")


def test_plural_forms_follow_the_language(client):
    """Russian has three forms: 1 государство, 2–4 государства, 5+ государств."""
    client.set_cookie(LOCALE_COOKIE, "ru")
    body = client.get("/regions").data.decode()
    counts = re.findall(r"(\d+) (государств\w*-член\w*)", body)
    assert counts, "no member counts on the page"
    for number, words in counts:
        n = int(number)
        if n % 10 == 1 and n % 100 != 11:
            assert words == "государство-член", (number, words)
        elif 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
            assert words == "государства-члена", (number, words)
        else:
            assert words == "государств-членов", (number, words)


# --- dates and times ---------------------------------------------------------------

MOMENT = datetime(2027, 3, 14, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("language", "zone", "expected"),
    [
        ("en", "America/New_York", [r"Mar 14, 2027", r"12:00"]),  # UTC-4 (daylight saving time)
        ("fr", "Asia/Tokyo", [r"15 mars 2027", r"01:00"]),  # the next day in Tokyo
        ("ru", "Europe/Moscow", [r"14 мар\. 2027", r"19:00"]),
        ("zh", "Asia/Shanghai", [r"2027年3月15日", r"00:00"]),
        ("ar", "Asia/Riyadh", [r"14.*03.*2027", r"7:00"]),
    ],
)
def test_when_shows_the_moment_in_the_viewers_language_and_zone(app, session, language, zone, expected):
    user = make_user(session, language=language, timezone=zone)
    with app.test_request_context("/"):
        login_user(user)
        text = render_template_string("{{ moment|when }}", moment=MOMENT)
    for pattern in expected:
        assert re.search(pattern, text), (pattern, text)


def test_when_uses_utc_for_visitors_and_is_empty_for_no_date(app):
    with app.test_request_context("/"):
        assert "4:00" in render_template_string("{{ moment|when }}", moment=MOMENT)
        assert render_template_string("{{ nothing|when }}|{{ nothing|relative }}", nothing=None) == "|"


@pytest.mark.parametrize(
    ("language", "future", "past"),
    [
        ("en", "in 3 days", "2 hours ago"),
        ("fr", "dans 3 jours", "il y a 2 heures"),
        ("es", "dentro de 3 días", "hace 2 horas"),
        ("ru", "через 3 дня", "2 часа назад"),
        ("zh", "3天后", "2小时前"),
    ],
)
def test_relative_speaks_the_viewers_language(app, language, future, past):
    with app.test_request_context("/", headers={"Accept-Language": language}):
        text = render_template_string(
            "{{ soon|relative }}|{{ earlier|relative }}",
            soon=utcnow() + timedelta(days=3, minutes=5),
            earlier=utcnow() - timedelta(hours=2, minutes=1),
        )
    assert text == f"{future}|{past}"


def test_templates_follow_a_forced_language_within_one_request(app):
    """Template strings and dates come from the catalogue found once per language:
    an e-mail rendered in its recipient's language in the middle of an English
    page gets that language, and the page keeps English after it."""
    from flask_babel import force_locale

    moment = datetime(2027, 3, 14, 16, 0, tzinfo=UTC)
    template = "{{ _('Reply') }} · {{ moment|when }}"
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        before = render_template_string(template, moment=moment)
        with force_locale("fr"):
            french = render_template_string(template, moment=moment)
        after = render_template_string(template, moment=moment)
    assert before == after and before.startswith("Reply · Mar 14, 2027")
    assert french.startswith("Répondre · 14 mars 2027")


# --- the taxonomy, the regional organisations, countries: in the reader's language -----------

TRANSIT = {"en": "Transit controls", "fr": "Contrôle du transit", "es": "Controles del tránsito",
           "ru": "Контроль за транзитом", "ar": "ضوابط العبور", "zh": "过境管制"}
AFRICAN_UNION = {"en": ("African Union", "AU"), "fr": ("Union africaine", "UA"), "es": ("Unión Africana", "UA"),
                 "ru": ("Африканский союз", "АС"), "ar": ("الاتحاد الأفريقي", "AU"), "zh": ("非洲联盟", "非盟")}


@pytest.mark.parametrize("language", sorted(TRANSIT))
def test_the_taxonomy_is_in_the_readers_language(client, language):
    client.set_cookie(LOCALE_COOKIE, language)
    page = client.get("/obligations").text
    assert f"<dt><bdi class=\"code-tag\">OP3d.transit</bdi> {TRANSIT[language]}</dt>" in page
    assert 'lang="en"' not in page.split("<main", 1)[1]  # nothing left marked as English data


@pytest.mark.parametrize("language", sorted(AFRICAN_UNION))
def test_regional_organisations_are_named_in_the_readers_language(client, language):
    full, short = AFRICAN_UNION[language]
    client.set_cookie(LOCALE_COOKIE, language)
    assert full in client.get("/regions").text
    page = client.get("/regions/AU").text
    assert h1(page.encode()) == f"{full} (<bdi>{short}</bdi>)"
    # Member States by their name in the same language, in alphabetical order.
    names = re.findall(r"<li>(.*?) <bdi class=\"code-tag text-muted\">[A-Z]{2}</bdi></li>", page)
    assert len(names) == 55
    if language == "fr":
        assert names.index("Djibouti") < names.index("Égypte") < names.index("Érythrée") < names.index("Éthiopie")
        assert "République sahraouie" in names


def test_the_role_of_an_organisation_is_translated(client):
    client.set_cookie(LOCALE_COOKIE, "es")
    page = client.get("/regions/OSCE").text
    assert "Acoge en Viena a un coordinador regional" in page
    assert "Hosts a UNODA-supported" not in page


def test_filters_name_regions_and_obligations_in_the_readers_language(client):
    client.set_cookie(LOCALE_COOKIE, "ar")
    page = client.get("/consultations").text
    assert ">ASEAN — رابطة أمم جنوب شرق آسيا</option>" in page
    assert ">OP3d.transit — ضوابط العبور</option>" in page


def test_fictional_states_and_time_zones_are_named_in_the_readers_language(client, session):
    from app.geography.queries import country_name

    with client.application.test_request_context("/", headers={"Accept-Language": "ru"}):
        assert country_name("XV") == "Республика Вальдория"
        assert country_name("EH") == "Сахарская Республика"
    user = make_user(session, language="fr")
    sign_in(client, user)
    page = client.get("/account").text
    assert '<option value="Europe/Vienna">Autriche — Vienne</option>' in page
    assert '<option selected value="UTC">UTC</option>' in page or '<option value="UTC" selected>UTC</option>' in page


def test_a_digest_names_obligations_in_the_language_of_the_subscription(client, session):
    from sqlalchemy import select

    from app.accounts.models import Role, Scope
    from app.consultations.models import SectionObligation
    from app.digests.models import Digest
    from app.digests.services import queue_due_digests, save_subscription
    from tests.factories import grant
    from tests.integration.test_comments_fixtures import make_consultation

    period = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    consultation = make_consultation(session, country="AT", regions=("OSCE",))
    consultation.opens_at = period - timedelta(days=1)
    session.add(SectionObligation(section_id=consultation.current_version.sections[0].id,
                                  obligation_code="OP3d.transit"))
    focal = make_user(session, language="en")
    grant(session, focal, Role.FOCAL_POINT, Scope.REGION, "OSCE")
    save_subscription(session, focal, regions=["OSCE"], countries=[], obligations=[], frequency="weekly",
                      language="fr", actor=focal)
    queue_due_digests(session, now=datetime(2026, 12, 2, 6, 0, tzinfo=UTC))  # composed outside any request
    digest = session.scalar(select(Digest).where(Digest.user_id == focal.id))
    assert "Contrôle du transit" in digest.body_html and "Transit controls" not in digest.body_html
    assert "Export and trans-shipment controls" not in digest.body_text
    assert "Contrôle à l'exportation et au transbordement" in digest.body_text
