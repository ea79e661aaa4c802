"""What lets a machine keep a copy of the API in step: ETags on every answer,
``updated_since`` filters, and error objects that say what was wrong.

Every successful GET under /api/v1 carries a strong ETag (a digest of the
body, so it also changes when what the caller may see changes) and answers
``If-None-Match`` with 304. The body depends on who asks, so the answer
varies on Authorization and Cookie and is private to the caller's cache.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import jsonify, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from app.core.db import utcnow

# Clocks differ a little: a client a few seconds ahead is not refused.
CLOCK_SKEW = timedelta(minutes=5)


class BadParameter(HTTPException):
    """A 400 whose JSON body names the parameter and the problem."""

    code = 400

    def __init__(self, parameter: str, detail: str) -> None:
        super().__init__(description=detail)
        self.parameter = parameter

    def get_response(self, environ: Any = None, scope: Any = None) -> Any:
        response = jsonify(error=_("The request could not be understood"), status=400,
                           parameter=self.parameter, detail=self.description)
        response.status_code = 400
        return response


def updated_since() -> datetime | None:
    """The ``updated_since`` query parameter as an aware UTC datetime; 400 when it is not
    an ISO 8601 date or date-time, or lies in the future."""
    raw = request.args.get("updated_since")
    if raw is None:
        return None
    text = raw.strip()
    if not text or len(text) > 40:
        raise BadParameter("updated_since", _("Give a date and time in ISO 8601, for example "
                                              "2026-12-01T00:00:00Z."))
    try:
        value = datetime.fromisoformat(text[:-1] + "+00:00" if text[-1:] in "zZ" else text)
    except ValueError:
        raise BadParameter("updated_since", _("Give a date and time in ISO 8601, for example "
                                              "2026-12-01T00:00:00Z.")) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    try:
        value = value.astimezone(UTC)
    except (OverflowError, ValueError):
        raise BadParameter("updated_since", _("This date is out of range.")) from None
    if value > utcnow() + CLOCK_SKEW:
        raise BadParameter("updated_since", _("This date lies in the future."))
    return value


def conditional(response: Any) -> Any:
    """ETag and 304 for successful GETs (registered on the API blueprint)."""
    if request.method not in ("GET", "HEAD") or response.status_code != 200 or response.direct_passthrough:
        return response
    response.headers.add("Vary", "Authorization")
    response.headers.add("Vary", "Cookie")
    response.headers.setdefault("Cache-Control", "private, no-cache")
    response.add_etag()
    return response.make_conditional(request)
