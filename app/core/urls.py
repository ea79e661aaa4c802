"""Addresses built once and filled in many times.

``url_for`` walks the URL map on every call (tens of microseconds); a page of
1,000 comments, or an export of 100,000, would call it thousands of times for
addresses that differ only by an id.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode

from flask import Flask, request, url_for
from werkzeug.routing import IntegerConverter, Map, ValidationError

# Numbers that cannot occur elsewhere in an address; url_for puts them where the ids go.
_FIRST_MARK = 915_400_000_001


def url_template(endpoint: str, *slots: str, **values) -> str:
    """``url_for(endpoint, **values)`` with each integer argument named in ``slots``
    left as a ``{slot}`` field for ``str.format``."""
    marks = {slot: _FIRST_MARK + n for n, slot in enumerate(slots)}
    url = url_for(endpoint, **values, **marks).replace("{", "{{").replace("}", "}}")
    for slot, mark in marks.items():
        url = url.replace(str(mark), "{" + slot + "}")
    return url


# --- hostile addresses ------------------------------------------------------------------

# Ids are INTEGER columns: 32-bit signed on PostgreSQL, where a larger number in a
# query is an error ("out of range for type integer"), not an empty result.
MAX_ID = 2**31 - 1
# Query parameters a link may carry over: lower-case names. url_for's own keywords
# (_external, _method, _anchor, _scheme) start with an underscore and never pass.
_QUERY_KEY = re.compile(r"[a-z][a-z0-9_]{0,31}\Z")
_MAX_QUERY_ITEMS = 32


class IdConverter(IntegerConverter):
    """``<int:…_id>``: a positive integer that fits an id column. Anything else
    (zero, 2^31, 20 digits, 5,000 digits) matches no route: 404, never an overflow in
    the database driver."""

    def __init__(self, map: Map, *args: Any, **kwargs: Any) -> None:  # noqa: A002 - werkzeug's name
        kwargs.setdefault("min", 1)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)

    def to_python(self, value: str) -> int:
        if len(value) > len(str(MAX_ID)):
            raise ValidationError()
        return super().to_python(value)


def parse_id(value: Any) -> int | None:
    """An id from untrusted input (a query parameter, a form value): the integer,
    or None when it is not a decimal number in 1..MAX_ID."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 1 <= value <= MAX_ID else None
    if not isinstance(value, str):
        return None
    value = value.strip()
    if not (value.isascii() and value.isdigit()) or len(value) > len(str(MAX_ID)):
        return None
    number = int(value)
    return number if 1 <= number <= MAX_ID else None


def url_with_query(endpoint: str, args: Any = None, *, drop: tuple[str, ...] = (), _external: bool = False,
                   **values: Any) -> str:
    """``url_for(endpoint, **values)`` followed by the query parameters of
    ``args`` (the request's by default) that are safe to carry over.

    The query string is never handed to ``url_for`` as keywords: a parameter
    named ``_method``, ``endpoint`` or like a path argument would change what
    it builds or make it fail."""
    base = url_for(endpoint, _external=_external, **values)
    source = request.args if args is None else args
    items = source.items(multi=True) if hasattr(source, "getlist") else source.items()
    kept = [(key, value) for key, value in items
            if _QUERY_KEY.match(key) and key not in drop and key not in values][:_MAX_QUERY_ITEMS]
    if not kept:
        return base
    return base + ("&" if "?" in base else "?") + urlencode(kept)


def page_url(number: int, *, param: str = "page", _external: bool = False) -> str:
    """The current page with ``param`` set to ``number``, its filters kept."""
    return url_with_query(request.endpoint, drop=(param,), _external=_external,
                          **(request.view_args or {}), **{param: number})


def init_app(app: Flask) -> None:
    """Before any blueprint registers its rules: every ``<int:…>`` is an id."""
    app.url_map.converters["int"] = IdConverter
    app.add_template_global(url_with_query)
    app.add_template_global(page_url, "current_page_url")


# --- links that leave the site (e-mails, feeds, digests) ---------------------------------

def external_url(endpoint: str, **values: Any) -> str:
    """The one builder of absolute links for e-mails, digests and anything read outside a
    request: built on ``BASE_URL`` (never the request's Host, which a client chooses), and
    usable in the worker and the CLI, where no request exists. ``_anchor`` becomes the
    fragment, as with ``url_for``; other unknown values become query arguments."""
    from urllib.parse import quote

    from flask import current_app

    anchor = values.pop("_anchor", None)
    path = current_app.url_map.bind("localhost", script_name="/").build(endpoint, values)
    if anchor:
        path += "#" + quote(str(anchor), safe="-_.~!$&'()*+,;=:@/?")
    return current_app.config["BASE_URL"].rstrip("/") + path
