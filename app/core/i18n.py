"""Locale and time-zone selection, Babel formatting helpers for templates."""

from __future__ import annotations

from datetime import datetime

from babel import Locale
from flask import Flask, current_app, g, request
from flask_babel import format_datetime, format_timedelta
from flask_login import current_user

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


def when(value: datetime | None, fmt: str = "medium") -> str:
    """Absolute date and time in the viewer's language and zone.

    The default is "14 Mar 2027, 17:00 CET": a medium date, a short time and
    the zone, joined the way the locale joins them (no seconds).
    """
    if value is None:
        return ""
    if fmt != "medium":
        return format_datetime(value, fmt)
    from flask_babel import format_date, format_time, get_locale

    pattern = Locale.parse(str(get_locale() or "en")).datetime_formats["medium"]
    moment = str(pattern).replace("'", "").format(format_time(value, "short"), format_date(value, "medium"))
    return f"{moment} {format_datetime(value, 'zzz')}"


def relative(value: datetime | None) -> str:
    """'in 3 days' / '2 hours ago' in the viewer's language."""
    if value is None:
        return ""
    return format_timedelta(value - utcnow(), add_direction=True, threshold=1.0)


def filesize(num_bytes: int | None) -> str:
    """'12 kB' / '3.4 MB' with the unit and digits of the viewer's language."""
    from babel.units import format_unit
    from flask_babel import get_locale

    size = float(num_bytes or 0)
    locale = str(get_locale() or "en")
    if size < 1000 * 1000:
        return format_unit(max(1, round(size / 1000)), "digital-kilobyte", length="short", locale=locale)
    return format_unit(round(size / 1000 / 1000, 1), "digital-megabyte", length="short", locale=locale)


def list_of(items) -> str:
    """"A, B and C" — a list joined the way the viewer's language joins lists."""
    from babel.lists import format_list
    from flask_babel import get_locale

    items = [str(item) for item in items if item]
    return format_list(items, style="standard", locale=str(get_locale() or "en")) if items else ""


def init_app(app: Flask) -> None:
    from flask_babel import get_locale

    app.jinja_env.globals.update(
        LANGUAGE_NAMES=LANGUAGE_NAMES,
        text_direction=lambda: text_direction(str(get_locale())),
        current_locale=lambda: str(get_locale()),
    )
    app.jinja_env.filters["when"] = when
    app.jinja_env.filters["relative"] = relative
    app.jinja_env.filters["filesize"] = filesize
    app.jinja_env.filters["list_of"] = list_of
    app.jinja_env.filters["language_name"] = lambda code: Locale.parse(code).get_display_name(
        str(get_locale())
    ) if code else ""
