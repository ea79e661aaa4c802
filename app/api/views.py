"""The read API: consultations, their sections, published comments and
summaries, regional coverage, and the caller's own digests.

Thin views over the domain read side: every visibility rule is the one the
HTML pages use (consultations.queries.visible_condition, can_view_consultation,
comments.queries.listed_condition, can_see_comment, shown_revision,
is_digest_recipient), so the API can never show more than the pages do.
Errors are JSON (core/errors.py answers /api/ paths in JSON; anonymous calls
to protected endpoints get 401). Lists page by signed cursor
(app/api/cursors.py); numbered pages (``page``) remain, deprecated, for older
clients. A summary carries the dispositions of its resolution table as the
resolution page shows them (summaries.queries.resolution_table).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from flask import Blueprint, current_app, jsonify, request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, undefer

from app.api import openapi, serializers
from app.api.auth import rate_key
from app.api.cursors import Keyset, paginate_by_key, query_identity
from app.api.sync import BadParameter, conditional, updated_since
from app.comments.models import Comment
from app.comments.policy import can_see_comment
from app.comments.queries import listed_condition, sections_by_id, visible_reply_counts
from app.consultations import queries as consultation_queries
from app.consultations.models import CONSULTATION_STATUSES, Consultation, Status
from app.consultations.policy import can_view_consultation
from app.core.authz import authorize, login_required, public
from app.core.db import db, utcnow
from app.core.handling import or_404
from app.core.pagination import DEFAULT_PER_PAGE, MAX_PER_PAGE, page_number, paginate
from app.core.urls import page_url, url_with_query
from app.digests.models import Digest
from app.digests.policy import is_digest_recipient
from app.digests.queries import digests_of
from app.extensions import limiter
from app.geography.codes import COUNTRY_CODE, OBLIGATION_CODE, REGION_CODE, find_region
from app.insight.queries import region_coverage
from app.summaries.policy import shown_revision
from app.summaries.queries import load_summary, resolution_table

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# The list filter accepts the statuses readers see (drafts are never listed).
STATUS_FILTERS = tuple(s for s in CONSULTATION_STATUSES if s != Status.DRAFT)


# The orders cursors walk: keys that never change once a row exists (a comment's
# path is fixed when it is posted), so rows added while a client pages through a
# list never move the ones it has not reached yet.
CONSULTATION_ORDER = Keyset((Consultation.id,), lambda c: [c.id], (int,))
COMMENT_ORDER = Keyset((Comment.path, Comment.id), lambda c: [c.path, c.id], (str, int))
DIGEST_ORDER = Keyset((Digest.id,), lambda d: [d.id], (int,), descending=True)  # newest first


def _limits_off() -> bool:
    return not current_app.config["RATELIMIT_ENABLED"]


limiter.limit(lambda: current_app.config["API_RATELIMIT"], key_func=rate_key,
              exempt_when=_limits_off)(bp)
bp.after_request(conditional)  # ETag and If-None-Match on every answer (app/api/sync.py)
bp.register_error_handler(BadParameter, lambda error: error.get_response())


# --- helpers ---------------------------------------------------------------------------


def _per_page() -> int:
    """``per_page``: 25 when missing, read as 100 above 100; 400 when not a positive number."""
    raw = request.args.get("per_page", "")
    if raw == "":
        return DEFAULT_PER_PAGE
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 6 or int(raw) < 1:
        raise BadParameter("per_page", _("Give a whole number from 1 to %(most)d.", most=MAX_PER_PAGE))
    return min(int(raw), MAX_PER_PAGE)


def _code(name: str, pattern: re.Pattern[str]) -> str:
    """A code filter (country, region, obligation): "" when absent; 400 when it cannot be a code
    (a code that exists nowhere just matches nothing)."""
    value = request.args.get(name, "")
    if value and not pattern.match(value):
        raise BadParameter(name, _("This is not a code of the kind this filter takes."))
    return value


def _by_page_number() -> bool:
    """Deprecated numbered pages: only when ``page`` is given and ``cursor`` is not."""
    return "page" in request.args and "cursor" not in request.args


def _link(number: int | None) -> str | None:
    if number is None:
        return None
    return page_url(number, _external=True)


def _listing(page: Any, items: list[dict[str, Any]]) -> Any:
    """A numbered page (deprecated: ``page``)."""
    pages = max(1, -(-page.total // page.per_page))
    return jsonify({
        "items": items,
        "page": page.page,
        "per_page": page.per_page,
        "total": page.total,
        "pages": pages,
        "next": _link(page.page + 1 if page.page < pages else None),
        "prev": _link(page.page - 1 if page.page > 1 else None),
    })


def _cursor_listing(page: Any, items: list[dict[str, Any]]) -> Any:
    """A page reached by cursor: ``next`` carries the cursor of the page after it."""
    link = None
    if page.next_cursor is not None:
        link = url_with_query(request.endpoint, drop=("cursor", "page"), _external=True,
                              **(request.view_args or {}), cursor=page.next_cursor)
    return jsonify({"items": items, "per_page": page.per_page, "total": page.total, "next": link,
                    "next_cursor": page.next_cursor})


def _visible_consultation(consultation_id: int):
    """The consultation, or 404 for whoever may not see it (its existence stays secret)."""
    consultation = or_404(consultation_queries.load_consultation(db.session, consultation_id))
    authorize(can_view_consultation, current_user, consultation, hide=True)
    return consultation


# --- endpoints -------------------------------------------------------------------------


@bp.get("/openapi.json")
@public
def openapi_document():
    return jsonify(openapi.document())


@bp.get("/consultations")
@public
def list_consultations():
    per_page = _per_page()
    status = request.args.get("status", "")
    if status and status not in STATUS_FILTERS:
        raise BadParameter("status", _("Give one of: %(values)s.", values=", ".join(STATUS_FILTERS)))
    filters = consultation_queries.Filters(
        status=status, country=_code("country", COUNTRY_CODE).upper(), region=_code("region", REGION_CODE).upper(),
        obligation=_code("obligation", OBLIGATION_CODE), updated_since=updated_since())
    if _by_page_number():
        result = consultation_queries.list_consultations(db.session, current_user, filters,
                                                         page=page_number(request.args["page"]), per_page=per_page)
        return _listing(result, [serializers.consultation_item(c) for c in result.items])
    identity = query_identity("consultations", status=filters.status, country=filters.country,
                              region=filters.region, obligation=filters.obligation,
                              updated_since=serializers.iso(filters.updated_since))
    stmt = select(Consultation).where(*consultation_queries.filter_conditions(db.session, current_user, filters,
                                                                              utcnow()))
    result = paginate_by_key(db.session, stmt, CONSULTATION_ORDER, identity, per_page)
    return _cursor_listing(result, [serializers.consultation_item(c) for c in result.items])


@bp.get("/consultations/<int:consultation_id>")
@public
def get_consultation(consultation_id: int):
    consultation = _visible_consultation(consultation_id)
    sections = consultation_queries.load_sections(db.session, consultation.current_version)
    return jsonify(serializers.consultation_detail(consultation, sections))


@bp.get("/consultations/<int:consultation_id>/comments")
@public
def list_comments(consultation_id: int):
    since = updated_since()
    per_page = _per_page()
    consultation = _visible_consultation(consultation_id)
    # Published comments the caller may read: restricted ones only for those allowed.
    stmt = select(Comment).where(listed_condition(current_user, consultation))
    if since is not None:
        stmt = stmt.where(Comment.updated_at >= since)
    stmt = stmt.options(joinedload(Comment.author), joinedload(Comment.organisation))
    if _by_page_number():
        result = paginate(stmt.order_by(*COMMENT_ORDER.order_by()), page_number(request.args["page"]), per_page,
                          session=db.session)
    else:
        identity = query_identity("comments", consultation=consultation.id, updated_since=serializers.iso(since))
        result = paginate_by_key(db.session, stmt, COMMENT_ORDER, identity, per_page)
    anchors = {i: s.anchor for i, s in sections_by_id(db.session, {c.section_id for c in result.items}).items()}
    replies = visible_reply_counts(db.session, current_user, consultation, [c.id for c in result.items])
    items = [serializers.comment(c, anchors, replies.get(c.id, 0)) for c in result.items]
    return _listing(result, items) if _by_page_number() else _cursor_listing(result, items)


@bp.get("/consultations/<int:consultation_id>/summary")
@public
def get_summary(consultation_id: int):
    since = updated_since()
    consultation = _visible_consultation(consultation_id)
    summary = load_summary(db.session, consultation.id)
    revision = or_404(shown_revision(current_user, summary, consultation))
    dispositions = _dispositions(summary, consultation)
    if since is not None and not _changed_since(revision, dispositions, since):
        return "", 304  # nothing the caller may read was published or changed after updated_since
    citations = {point.id: [c.comment_id for c in point.citations
                            if can_see_comment(current_user, c.comment, consultation)]
                 for point in revision.points}
    return jsonify(serializers.summary(summary, revision, citations,
                                       [serializers.disposition(row, consultation.id) for row in dispositions]))


def _dispositions(summary: Any, consultation: Any) -> list[Any]:
    """The rows of the comment-resolution table as its page shows them to the caller
    (app/summaries/views.py): only once the summary is published, and each row's
    answered comments only those the caller may read. Oldest round first."""
    groups = resolution_table(db.session, summary if summary.is_published else None, consultation, current_user)
    return sorted((row for group in groups for row in group.rows),
                  key=lambda row: (row.disposition.round, row.disposition.id))


def _changed_since(revision: Any, dispositions: list[Any], since: datetime) -> bool:
    changed = [revision.published_at, *(row.disposition.updated_at for row in dispositions)]
    return any(moment is not None and moment >= since for moment in changed)


@bp.get("/regions/<code>/coverage")
@public
def get_region_coverage(code: str):
    region = or_404(find_region(db.session, code.upper()))
    return jsonify(serializers.coverage(region_coverage(db.session, region, current_user)))


@bp.get("/me/digests")
@login_required
def list_my_digests():
    per_page = _per_page()
    if _by_page_number():
        result = digests_of(db.session, current_user, page_number(request.args["page"]), per_page)
        return _listing(result, [serializers.digest_item(d) for d in result.items])
    stmt = select(Digest).where(Digest.user_id == current_user.id)
    result = paginate_by_key(db.session, stmt, DIGEST_ORDER, query_identity("digests"), per_page)
    return _cursor_listing(result, [serializers.digest_item(d) for d in result.items])


@bp.get("/me/digests/<int:digest_id>")
@login_required
def get_my_digest(digest_id: int):
    digest = or_404(db.session.get(Digest, digest_id, options=[undefer(Digest.body_html), undefer(Digest.body_text)]))
    authorize(is_digest_recipient, current_user, digest, hide=True)
    return jsonify(serializers.digest_detail(digest))
