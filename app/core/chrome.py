"""The site's header and footer, rendered once and kept.

Every page draws the same header (account links, language switcher, main
navigation) and footer; rendering them costs some twenty URL builds and as
many translations per page. They show no content from the database, only
who the reader is, so they are kept (app/core/cache.py ``chrome``) per
interface language, page (its endpoint, for the current link), the reader's
name and roles, and for the footer the time zone. What changes with each
request is a slot filled in here: the CSRF token, the address the language
switcher comes back to, and the counts of unread notifications and of items
waiting for review.
"""

from __future__ import annotations

from flask import Flask, current_app, request
from flask_babel import get_timezone
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup, escape

from app.core.cache import page_cache
from app.core.i18n import viewer_locale
from app.core.slots import fill, slot, split

TEMPLATES = {"header": "_site_header.html", "footer": "_site_footer.html"}
BADGES = "_site_badges.html"
# Slot kind: the count's function in the templates' context, and the macro of its badge (BADGES).
COUNTS = {"u": ("unread_notification_count", "unread_badge"), "q": ("moderation_queue_total", "waiting_badge")}


def _reader() -> tuple:
    """Whom the header is for: signed in or not, their name and their roles."""
    if not current_user.is_authenticated:
        return ()
    return current_user.display_name, current_user.role_keys


def _parts(part: str) -> tuple:
    if part == "header":
        return (part, viewer_locale(), request.script_root, request.endpoint, _reader())
    return (part, viewer_locale(), request.script_root, str(get_timezone()), current_user.is_authenticated)


@pass_context
def site_chrome(context: Context, part: str) -> Markup:
    """The header or the footer, kept, with this request's slots filled in."""

    def render() -> list[str]:
        template = current_app.jinja_env.get_template(TEMPLATES[part])
        return split(template.render({**context.get_all(), "slot": slot}))

    pieces = page_cache().chrome(_parts(part), render)
    return Markup(fill(pieces, lambda kind, _index: _answer(context, kind)))  # noqa: S704 - our templates' output


def _answer(context: Context, kind: str) -> str:
    if kind == "c":
        return generate_csrf()
    if kind == "n":
        return str(escape(request.full_path if request.query_string else request.path))
    count_of, badge = COUNTS[kind]
    count = context[count_of]()
    return str(getattr(current_app.jinja_env.get_template(BADGES).module, badge)(count)) if count else ""


def init_app(app: Flask) -> None:
    app.jinja_env.globals["site_chrome"] = site_chrome

