"""Locale and time-zone selection, Babel formatting helpers for templates."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, tzinfo
from functools import lru_cache
from typing import Any

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_datetime as babel_format_datetime
from babel.dates import format_time as babel_format_time
from flask import Flask, current_app, g, has_app_context, request
from flask_babel import format_datetime, format_timedelta, get_locale, get_timezone, get_translations
from flask_login import current_user
from jinja2 import pass_eval_context
from markupsafe import Markup

from app.core.db import utcnow

LOCALE_COOKIE = "agora_lang"
RTL_LANGUAGES = {"ar", "he", "fa", "ur"}
LANGUAGE_NAMES = {  # each language named in itself, for the switcher
    "en": "English",
    "fr": "Français",
    "es": "Español",
    "ru": "Русский",
    "ar": "العربية",
    "zh": "中文",
}


def select_locale() -> str:
    """User setting → explicit choice (cookie) → Accept-Language → English."""
    languages = current_app.config["LANGUAGES"]
    forced = g.get("force_locale")
    if forced in languages:
        return forced
    user_lang = getattr(current_user, "preferred_language", None) if current_user else None
    if user_lang in languages:
        return user_lang
    if request:
        cookie = request.cookies.get(LOCALE_COOKIE)
        if cookie in languages:
            return cookie
        best = request.accept_languages.best_match(languages)
        if best:
            return best
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    tz = getattr(current_user, "timezone", None) if current_user else None
    return tz or current_app.config["BABEL_DEFAULT_TIMEZONE"]


def text_direction(locale: str) -> str:
    return "rtl" if locale.split("_")[0] in RTL_LANGUAGES else "ltr"


def _babel_state() -> tuple[Any, Any]:
    """``flask.g`` itself (not its proxy) and Flask-Babel's namespace in it, or Nones
    outside an app context: a page asks for them hundreds of times."""
    if not has_app_context():
        return None, None
    store = g._get_current_object()
    return store, store.__dict__.get("_flask_babel")


def current_translations() -> Any:
    """Flask-Babel's translations for the current locale, looked up once per locale
    and app context instead of once per string (a page of comments asks for
    hundreds). Follows ``force_locale`` (e-mails in the recipient's language)."""
    store, state = _babel_state()
    if store is None:
        return get_translations()
    locale = getattr(state, "babel_locale", None)
    cached = store.__dict__.get("_agora_translations")
    if cached is not None and locale is not None and cached[0] is locale:
        return cached[1]
    translations = get_translations()  # sets the namespace's babel_locale
    store._agora_translations = (store._flask_babel.babel_locale, translations)
    return translations


def viewer_locale() -> str:
    """The current locale as a string ('en', 'fr', 'zh_Hans' …), cheaply."""
    _store, state = _babel_state()
    locale = getattr(state, "babel_locale", None) or get_locale()
    return str(locale or "en")


def _viewer_zone() -> tzinfo | None:
    _store, state = _babel_state()
    return getattr(state, "babel_tzinfo", None) or get_timezone()


DATE_STYLES = ("short", "medium", "long", "full")


@lru_cache(maxsize=16_384)
def _when(value: datetime, style: str, locale: str, zone: tzinfo) -> str:
    pattern = Locale.parse(locale).datetime_formats["long" if style == "full" else style]
    return str(pattern).replace("'", "").format(
        babel_format_time(value, "short", tzinfo=zone, locale=locale),
        babel_format_date(value.astimezone(zone), style, locale=locale))


def when(value: datetime | None, fmt: str = "medium") -> str:
    """Absolute date and time in the viewer's language and zone.

    ``fmt`` is the style of the date — "medium" ("14 Mar 2027, 17:00") in lists,
    "long" ("14 March 2027 at 17:00") for deadlines and receipts — always with a
    short time: no seconds, and no zone, which the page names once
    (``time_zone_name``). Formatted once per (moment, style, language, zone)
    and kept: a page lists the same comments' dates request after request.
    """
    if value is None:
        return ""
    if fmt not in DATE_STYLES:
        return format_datetime(value, fmt)
    return _when(value, fmt, viewer_locale(), _viewer_zone())


def time_zone_name() -> str:
    """The reader's time zone, named in their language ("Central European Time")."""
    from babel.dates import get_timezone_name

    zone, locale = _viewer_zone(), viewer_locale()
    key = str(getattr(zone, "key", None) or getattr(zone, "zone", None) or zone)
    if key in ("UTC", "Etc/UTC", "GMT", "Etc/GMT", "Universal", "Zulu"):
        return babel_format_datetime(utcnow(), "zzzz", tzinfo=zone, locale=locale)
    return get_timezone_name(zone, width="long", locale=locale)


@lru_cache(maxsize=8)
def time_zone_choices(zones: tuple[str, ...], locale: str) -> list[tuple[str, str]]:
    """(zone, "France — Paris") in the reader's language, by country then city;
    zones outside any country ("UTC") first, as they are; an old name of a zone
    ("Asia/Calcutta") follows its city with the name itself."""
    from babel.core import get_global
    from babel.dates import get_timezone_location

    territories, aliases = get_global("zone_territories"), get_global("zone_aliases")
    names = Locale.parse(locale).territories
    plain, placed = [], []
    for zone in zones:
        country = names.get(territories.get(aliases.get(zone, zone), ""))
        if not country or "/" not in zone:
            plain.append((zone, zone.replace("_", " ")))
            continue
        city = get_timezone_location(zone, locale=locale, return_city=True)
        old_name = f" ({zone})" if zone in aliases else ""  # an alias beside its current name
        placed.append((zone, f"{country} — {city}{old_name}"))
    return plain + sorted(placed, key=lambda item: collation_key(item[1]))


def collation_key(text: str) -> str:
    """Alphabetical order close to a reader's expectation in every script: accents
    and case do not count ("Égypte" files under E, not after Z)."""
    import unicodedata

    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


@contextmanager
def force_timezone(name: str | None) -> Iterator[None]:
    """Format dates in the zone ``name`` (a recipient's, when rendering for them)."""
    from babel.dates import get_timezone as zone_named

    get_timezone()  # Flask-Babel's per-context state exists from here on
    state = g._flask_babel
    before = state.__dict__.get("babel_tzinfo")
    try:
        zone = zone_named(name) if name else before
    except LookupError:
        zone = before
    state.babel_tzinfo = zone
    try:
        yield
    finally:
        state.babel_tzinfo = before


def relative(value: datetime | None) -> str:
    """'in 3 days' / '2 hours ago' in the viewer's language."""
    if value is None:
        return ""
    return format_timedelta(value - utcnow(), add_direction=True, threshold=1.0)


def filesize(num_bytes: int | None) -> str:
    """'12 kB' / '3.4 MB' with the unit and digits of the viewer's language."""
    from babel.units import format_unit

    size = float(num_bytes or 0)
    locale = str(get_locale() or "en")
    if size < 1000 * 1000:
        return format_unit(max(1, round(size / 1000)), "digital-kilobyte", length="short", locale=locale)
    return format_unit(round(size / 1000 / 1000, 1), "digital-megabyte", length="short", locale=locale)


def list_of(items) -> str:
    """"A, B and C" — a list joined the way the viewer's language joins lists."""
    from babel.lists import format_list

    items = [str(item) for item in items if item]
    return format_list(items, style="standard", locale=str(get_locale() or "en")) if items else ""


def isolated(text: Any) -> Markup:
    """``{{ name|bdi }}``: a name or title someone wrote, escaped and isolated in a
    <bdi>, so that inside a translated sentence (``_('by %(name)s', name=x|bdi)``)
    it keeps its own direction and its brackets stay in place."""
    return Markup("<bdi>%s</bdi>") % ("" if text is None else text)


@pass_eval_context
def template_gettext(eval_ctx: Any, string: str, **variables: Any) -> str:
    """``_()`` in templates: what Jinja's newstyle ``gettext`` does (escape-aware,
    ``%`` formatting always applied), in one call instead of three nested ones; a
    page of comments or a review queue asks for it hundreds of times."""
    rv = current_translations().ugettext(string)
    if eval_ctx.autoescape:
        rv = Markup(rv)  # noqa: S704 - our own catalogue's text, as Jinja's gettext does
    return rv % variables


def init_app(app: Flask) -> None:
    app.jinja_env.install_gettext_callables(  # after Flask-Babel's: the same, with the cheap lookup
        gettext=lambda s: current_translations().ugettext(s),
        ngettext=lambda s, p, n: current_translations().ungettext(s, p, n),
        pgettext=lambda c, s: current_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: current_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.jinja_env.globals["_"] = template_gettext
    app.jinja_env.globals.update(
        LANGUAGE_NAMES=LANGUAGE_NAMES,
        text_direction=lambda: text_direction(str(get_locale())),
        current_locale=lambda: str(get_locale()),
        time_zone_name=time_zone_name,
    )
    app.jinja_env.filters["when"] = when
    app.jinja_env.filters["relative"] = relative
    app.jinja_env.filters["filesize"] = filesize
    app.jinja_env.filters["list_of"] = list_of
    app.jinja_env.filters["bdi"] = isolated
    app.jinja_env.filters["language_name"] = lambda code: Locale.parse(code).get_display_name(
        str(get_locale())
    ) if code else ""
