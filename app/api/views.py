"""The read API: consultations, their sections, published comments and
summaries, regional coverage, and the caller's own digests.

Thin views over the domain read side: every visibility rule is the one the
HTML pages use (consultations.queries.visible_condition, can_view_consultation,
comments.queries.listed_condition, can_see_comment, shown_revision,
is_digest_recipient), so the API can never show more than the pages do.
Errors are JSON (core/errors.py answers /api/ paths in JSON; anonymous calls
to protected endpoints get 401).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, jsonify, request
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, undefer

from app.api import openapi, serializers
from app.api.auth import rate_key
from app.api.sync import BadParameter, conditional, updated_since
from app.comments.models import Comment
from app.comments.policy import can_see_comment
from app.comments.queries import listed_condition, sections_by_id, visible_reply_counts
from app.consultations import queries as consultation_queries
from app.consultations.models import Status
from app.consultations.policy import can_view_consultation
from app.core.authz import authorize, login_required, public
from app.core.db import db
from app.core.handling import or_404
from app.core.pagination import DEFAULT_PER_PAGE, MAX_PER_PAGE, page_number, paginate
from app.core.urls import page_url
from app.digests.models import Digest
from app.digests.policy import is_digest_recipient
from app.digests.queries import digests_of
from app.extensions import limiter
from app.geography.models import Region
from app.insight.queries import region_coverage
from app.summaries.policy import shown_revision
from app.summaries.queries import load_summary

bp = Blueprint("api", __name__, url_prefix="/api/v1")

# The list filter accepts the statuses readers see (drafts are never listed).
STATUS_FILTERS = tuple(s for s in Status.ALL if s != Status.DRAFT)


def _limits_off() -> bool:
    return not current_app.config["RATELIMIT_ENABLED"]


limiter.limit(lambda: current_app.config["API_RATELIMIT"], key_func=rate_key,
              exempt_when=_limits_off)(bp)
bp.after_request(conditional)  # ETag and If-None-Match on every answer (app/api/sync.py)
bp.register_error_handler(BadParameter, lambda error: error.get_response())


# --- helpers ---------------------------------------------------------------------------


def _paging() -> tuple[int, int]:
    """``page`` (1 when missing or not a positive integer) and ``per_page`` (1–100)."""
    page = page_number(request.args.get("page", 1))
    raw = request.args.get("per_page", "")
    if raw == "":
        return page, DEFAULT_PER_PAGE
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 6:
        abort(400)
    return page, max(1, min(int(raw), MAX_PER_PAGE))


def _link(number: int | None) -> str | None:
    if number is None:
        return None
    return page_url(number, _external=True)


def _listing(page: Any, items: list[dict[str, Any]]) -> Any:
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
    page, per_page = _paging()
    status = request.args.get("status", "")
    if status and status not in STATUS_FILTERS:
        abort(400)
    filters = consultation_queries.Filters(
        status=status, country=request.args.get("country", "")[:2].upper(),
        region=request.args.get("region", "")[:16].upper(), obligation=request.args.get("obligation", "")[:48],
        updated_since=updated_since())
    result = consultation_queries.list_consultations(db.session, current_user, filters, page=page,
                                                     per_page=per_page)
    return _listing(result, [serializers.consultation_item(c) for c in result.items])


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
    consultation = _visible_consultation(consultation_id)
    page, per_page = _paging()
    # Published comments the caller may read: restricted ones only for those allowed.
    stmt = select(Comment).where(listed_condition(current_user, consultation))
    if since is not None:
        stmt = stmt.where(Comment.updated_at >= since)
    stmt = (stmt
            .options(joinedload(Comment.author), joinedload(Comment.organisation))
            .order_by(Comment.path, Comment.id))
    result = paginate(stmt, page, per_page, session=db.session)
    anchors = {i: s.anchor for i, s in sections_by_id(db.session, {c.section_id for c in result.items}).items()}
    replies = visible_reply_counts(db.session, current_user, consultation, [c.id for c in result.items])
    return _listing(result, [serializers.comment(c, anchors, replies.get(c.id, 0)) for c in result.items])


@bp.get("/consultations/<int:consultation_id>/summary")
@public
def get_summary(consultation_id: int):
    since = updated_since()
    consultation = _visible_consultation(consultation_id)
    summary = load_summary(db.session, consultation.id)
    revision = or_404(shown_revision(current_user, summary, consultation))
    if since is not None and revision.published_at is not None and revision.published_at < since:
        return "", 304  # the summary the caller may read was published before updated_since
    citations = {point.id: [c.comment_id for c in point.citations
                            if can_see_comment(current_user, c.comment, consultation)]
                 for point in revision.points}
    return jsonify(serializers.summary(summary, revision, citations))


@bp.get("/regions/<code>/coverage")
@public
def get_region_coverage(code: str):
    region = or_404(db.session.get(Region, code[:16].upper()))
    return jsonify(serializers.coverage(region_coverage(db.session, region, current_user)))


@bp.get("/me/digests")
@login_required
def list_my_digests():
    page, per_page = _paging()
    result = digests_of(db.session, current_user, page, per_page)
    return _listing(result, [serializers.digest_item(d) for d in result.items])


@bp.get("/me/digests/<int:digest_id>")
@login_required
def get_my_digest(digest_id: int):
    digest = or_404(db.session.get(Digest, digest_id, options=[undefer(Digest.body_html), undefer(Digest.body_text)]))
    authorize(is_digest_recipient, current_user, digest, hide=True)
    return jsonify(serializers.digest_detail(digest))
