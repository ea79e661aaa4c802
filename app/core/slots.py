"""Slots in kept HTML: places a reader's own parts go, filled in for each request.

A page part rendered once for many readers (a discussion kept for every
participant, a review-queue card) carries, where something of the reader's
goes, a slot: a mark no text can contain (with a random part per process), a
kind (one letter) and an index. ``split`` cuts the rendered HTML into text and
slots once, when it is kept; filling it is then a loop over a list.
"""

from __future__ import annotations

import re
import secrets

from markupsafe import Markup

_MARK = "\x00" + secrets.token_hex(8)
SLOT = re.compile(re.escape(_MARK) + r"([a-z])(\d*)\x00")


def slot(kind: str, index: int | str = "") -> Markup:
    return Markup(f"{_MARK}{kind}{index}\x00")  # noqa: S704 - no user text in it


def split(html: str) -> list[str]:
    """Text and slots: [text, kind, index, text, kind, index, ..., text] (JSON-able)."""
    return SLOT.split(str(html))


def fill(pieces: list[str], answer) -> str:
    """``pieces`` (from ``split``) with each slot replaced by ``answer(kind, index)``."""
    out = [pieces[0]]
    for i in range(1, len(pieces), 3):
        out.append(answer(pieces[i], pieces[i + 1]))
        out.append(pieces[i + 2])
    return "".join(out)
