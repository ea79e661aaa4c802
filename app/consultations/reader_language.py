"""The language a reader reads a consultation's content in: the one chosen on
the content's language switcher (``?text_language=fr``, which changes the
content only, not the interface), else the language of the interface.
Shared by the pages of every blueprint that shows a consultation's content.

(``?lang=`` is the discussion's filter by the language of comments.)
"""

from __future__ import annotations

from typing import Any

from flask import g, has_request_context, request
from flask_babel import get_locale

from app.consultations.models import UN_LANGUAGES
from app.consultations.translations import titles_in
from app.core.db import db

TEXT_LANGUAGE_ARG = "text_language"


def chosen_text_language() -> str | None:
    """The language picked on the content's switcher, if any (kept in the links between its pages)."""
    if not has_request_context():
        return None
    value = request.args.get(TEXT_LANGUAGE_ARG, "")
    return value if value in UN_LANGUAGES else None


def interface_language() -> str:
    """The interface's language ('zh' for zh_Hans): the recipient's, when an e-mail is rendered for them."""
    return str(get_locale() or "en").split("_")[0]


def reader_language() -> str:
    return chosen_text_language() or interface_language()


def content_title(consultation: Any) -> str:
    """The consultation's title in the reader's language where it is translated
    (a template global: pages, and e-mails rendered in the recipient's language)."""
    language = reader_language()
    if language == consultation.original_language:
        return consultation.title
    if not has_request_context():  # an e-mail queued by a command
        return titles_in(db.session, [consultation.id], language).get(consultation.id) or consultation.title
    kept = g.setdefault("content_titles", {})  # a page may name the same consultation several times
    key = (consultation.id, language)
    if key not in kept:
        kept[key] = titles_in(db.session, [consultation.id], language).get(consultation.id)
    return kept[key] or consultation.title
