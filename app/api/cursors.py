"""Cursor pagination of the read API: opaque, signed, tied to one query.

A cursor carries a digest of the query it belongs to (the endpoint, its path
arguments and its filters) and the sort key of the last item the client was
given. The next page is the items after that key in a stable order (keyset
pagination), so rows added or removed while a client pages through a list
never make it skip or see twice an item it has not reached yet. Cursors are
signed with the application's secret key: a cursor from another query, an
altered one, or anything that is not a cursor is refused with 400 naming the
parameter ``cursor``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from flask import current_app, request
from flask_babel import gettext as _
from itsdangerous import BadData, URLSafeSerializer
from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from app.api.sync import BadParameter

SALT = "api.cursor.v1"
# A cursor is a few dozen characters; anything much longer is not one of ours.
MAX_LENGTH = 600


@dataclass(frozen=True)
class Keyset:
    """A stable order: ``columns`` (the last one unique), ascending or descending,
    and how to read an item's key (plain JSON values: ints and strings)."""

    columns: tuple[Any, ...]
    key_of: Callable[[Any], list[Any]]
    types: tuple[type, ...]
    descending: bool = False

    def order_by(self) -> list[Any]:
        return [c.desc() if self.descending else c.asc() for c in self.columns]

    def after(self, key: Sequence[Any]) -> Any:
        """Rows strictly after ``key`` in this order: (a, b) > (x, y) spelled out portably."""
        clauses = []
        for n, column in enumerate(self.columns):
            beyond = column < key[n] if self.descending else column > key[n]
            clauses.append(and_(*[self.columns[i] == key[i] for i in range(n)], beyond))
        return or_(*clauses)


@dataclass
class CursorPage:
    items: list[Any]
    per_page: int
    total: int
    next_cursor: str | None


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def query_identity(endpoint: str, **parts: Any) -> str:
    """A short digest of what makes a list the list it is (never the position in it)."""
    text = json.dumps([endpoint, parts], sort_keys=True, default=str, ensure_ascii=True)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def _refuse() -> BadParameter:
    return BadParameter("cursor", _("This cursor is not valid for this list: follow the next link of the "
                                    "previous page, or start again without a cursor."))


def read_cursor(keyset: Keyset, identity: str) -> list[Any] | None:
    """The key after which the page starts (None on the first page); 400 for a bad cursor."""
    raw = request.args.get("cursor")
    if raw is None:
        return None
    if not raw or len(raw) > MAX_LENGTH or not raw.isascii():
        raise _refuse()
    try:
        payload = _serializer().loads(raw)
    except (BadData, ValueError, UnicodeError):
        raise _refuse() from None
    if not isinstance(payload, dict) or payload.get("q") != identity:
        raise _refuse()
    key = payload.get("k")
    if (not isinstance(key, list) or len(key) != len(keyset.types)
            or not all(type(value) is kind for value, kind in zip(key, keyset.types, strict=True))):
        raise _refuse()
    return key


def make_cursor(identity: str, key: list[Any]) -> str:
    return _serializer().dumps({"q": identity, "k": key})


def paginate_by_key(session: Session, stmt: Select, keyset: Keyset, identity: str, per_page: int) -> CursorPage:
    """One page of ``stmt`` (unordered, unpaginated) after the request's cursor.

    Two queries: the total of the whole list and the page itself (one row more
    than asked for, to know whether a next page exists)."""
    key = read_cursor(keyset, identity)
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    window = stmt if key is None else stmt.where(keyset.after(key))
    rows = list(session.scalars(window.order_by(*keyset.order_by()).limit(per_page + 1)).unique())
    items = rows[:per_page]
    more = len(rows) > per_page
    return CursorPage(items=items, per_page=per_page, total=total,
                      next_cursor=make_cursor(identity, keyset.key_of(items[-1])) if more and items else None)
