"""Addresses built once and filled in many times.

``url_for`` walks the URL map on every call (tens of microseconds); a page of
1,000 comments, or an export of 100,000, would call it thousands of times for
addresses that differ only by an id.
"""

from __future__ import annotations

from flask import url_for

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
