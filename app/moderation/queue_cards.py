"""The review queue's cards, kept.

A card shows one item with its context: status, author and organisation, where
it was posted, audience, hold reasons, open flags, the comment it answers, the
provision, the text and proposed wording, and the author's history. Whoever
moderates it sees the same card, so each is rendered once per language and
time zone and kept (in the page cache's store, app/core/cache.py) under a
digest of everything it shows (``shown``): any change to the item, its flags,
its context or its author's history makes a new digest, and the old card is
never asked for again. A decision therefore costs the next page one card (the
item that moves up), not twenty-five. Only the selection box and the "3 days
ago" are filled in for each request (app/core/slots.py).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any

from babel.dates import TIMEDELTA_UNITS
from flask import render_template
from flask_babel import format_timedelta, get_timezone
from markupsafe import Markup

from app.core.cache import page_cache
from app.core.db import utcnow
from app.core.i18n import viewer_locale
from app.core.slots import fill, slot, split

CHECKED = " checked"


def cards(items: list, *, checked: Callable[[str], bool], keeping: bool = False) -> dict[int, Markup]:
    """{comment id: its card} for the queue items ``items`` (app.moderation.queries.QueueItem);
    ``checked(value)``: the selection box of the item whose box sends ``value`` is ticked.
    ``keeping``: the n-th card's "3 days ago" stays a slot ("r", n) (``ago_slots``)."""
    cache = page_cache()
    keep = cache.store is not None and cache.reading()
    prefix = json.dumps([cache.build, viewer_locale(), str(get_timezone())])
    keys = {item.comment.id: _key(prefix, item) for item in items}
    found = cache.store.get_many([keys[item.comment.id] for item in items]) if keep else [None] * len(items)
    pieces = {item.comment.id: kept for item, kept in zip(items, found, strict=True) if kept is not None}
    cache.card_hits += len(pieces)
    missing = [item for item in items if item.comment.id not in pieces]
    if missing:
        rendered: dict[int, list[str]] = {}
        render_template("moderation/_queue_cards.html", items=missing, checked=slot("c"), ago=slot("r"),
                        keep=lambda item, html: rendered.__setitem__(item.comment.id, split(html)) or "")
        cache.card_renders += len(rendered)
        pieces.update(rendered)
        if keep:
            cache.store.set_many({keys[comment_id]: card for comment_id, card in rendered.items()})
    return {item.comment.id: _filled(pieces[item.comment.id], item.comment, checked, slot("r", n) if keeping else None)
            for n, item in enumerate(items)}


def ago_slots(items: list) -> list[str]:
    """What fills the "3 days ago" slots that ``cards(..., keeping=True)`` left: the moments."""
    return [item.comment.created_at.isoformat() for item in items]


def ago(moments: list[str]) -> Callable[[str], str]:
    """What fills the n-th "3 days ago" slot of a kept page, now (``moments``: from ``ago_slots``)."""
    now, locale = utcnow(), viewer_locale()
    return lambda n: relative_escaped(datetime.fromisoformat(moments[int(n)]), now, locale)


def relative_escaped(value: datetime, now: datetime | None = None, locale: str | None = None) -> str:
    """What ``relative`` (app/core/i18n.py: "3 days ago", "in 2 hours") says of ``value``, escaped.

    Babel's text depends only on the language, the direction, the unit it picks and the rounded
    number of those units; formatting it costs more than the rest of a kept queue page's own
    work (25 cards), so each text is formatted once per (language, direction, unit, number)
    and looked up afterwards. ``_unit`` picks the unit as ``babel.dates.format_timedelta``
    does with ``relative``'s threshold (1.0) and granularity (second)."""
    delta = value - (now or utcnow())
    seconds = delta.total_seconds()
    key = (locale or viewer_locale(), seconds >= 0, *_unit(seconds))
    text = _RELATIVE.get(key)
    if text is None:
        if len(_RELATIVE) >= _RELATIVE_MAX:
            _RELATIVE.clear()
        text = _RELATIVE[key] = str(Markup.escape(format_timedelta(delta, add_direction=True, threshold=1.0)))
    return text


_RELATIVE: dict[tuple, str] = {}
_RELATIVE_MAX = 4096


def _unit(seconds: float) -> tuple[str, int]:
    for unit, size in TIMEDELTA_UNITS:
        value = abs(seconds) / size
        if value >= 1.0 or unit == "second":
            if unit == "second" and value > 0:
                value = max(1, value)
            return unit, int(round(value))
    raise AssertionError("unreachable: the last unit is the second")


def _filled(pieces: list[str], comment: Any, checked: Callable[[str], bool], ago_slot: str | None) -> Markup:
    box = CHECKED if checked(f"{comment.id}:{comment.version}") else ""
    when = ago_slot or relative_escaped(comment.created_at)
    return Markup(fill(pieces, lambda kind, _index: box if kind == "c" else when))  # noqa: S704 - our template's output


def _key(prefix: str, item: Any) -> str:
    raw = json.dumps([prefix, shown(item)], default=str)
    return "agora:page:card:" + hashlib.sha256(raw.encode()).hexdigest()


def shown(item: Any) -> list:
    """Everything the card of ``item`` shows (long texts by their digest)."""
    c, section, parent, history = item.comment, item.section, item.parent, item.history
    organisation = c.organisation
    return [
        c.id, c.version, c.status, c.audience, c.created_at, c.receipt_number, c.language, c.author.display_name,
        organisation.name if organisation is not None else None,
        _digest(c.body_html, json.dumps(c.proposed_diff, default=str), c.proposed_wording or ""),
        item.consultation_title,
        [section.id, section.number, section.heading, _digest(section.body_source or "")] if section else None,
        [parent.id, parent.author.display_name, _digest(parent.body_source or "")] if parent else None,
        item.state.hold_reasons if item.state is not None else None,
        sorted(item.flags.items()),
        sorted(history.decisions.items()),
        [[d.action, d.created_at, d.reason_label] for d in history.recent],
        [[s.kind, s.created_at, s.lifted_at, s.ends_at] for s in history.sanctions],
    ]


def _digest(*texts: str) -> str:
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode())
        digest.update(b"\x00")
    return digest.hexdigest()
