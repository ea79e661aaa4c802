"""Model → JSON dictionaries with stable field names.

Only what the caller may read is ever passed in: visibility is decided by
the domain queries and policies before anything reaches these functions.
No e-mail address is ever serialised.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask import url_for

from app.geography.queries import country_name


def iso(value: datetime | None) -> str | None:
    """ISO 8601 in UTC with a "Z" suffix (stored datetimes are UTC)."""
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def consultation_item(consultation: Any) -> dict[str, Any]:
    return {
        "id": consultation.id,
        "title": consultation.title,
        "country": consultation.country_code,
        "country_name": country_name(consultation.country_code),
        "instrument_type": consultation.instrument_type,
        "drafting_authority": consultation.drafting_authority,
        "status": consultation.effective_status(),
        "visibility": consultation.visibility,
        "opens_at": iso(consultation.opens_at),
        "closes_at": iso(consultation.closes_at),
        "regions": consultation.region_codes,
        "obligations": consultation.obligation_codes,
        "languages": list(consultation.languages or []),
        "url": url_for("consultations.show_consultation", consultation_id=consultation.id, _external=True),
        "api_url": url_for("api.get_consultation", consultation_id=consultation.id, _external=True),
    }


def section(item: Any) -> dict[str, Any]:
    return {
        "id": item.id,
        "number": item.number,
        "heading": item.heading,
        "anchor": item.anchor,
        "level": item.level,
        "body_html": item.body_html,
        "obligations": item.obligation_codes,
    }


def consultation_detail(consultation: Any, sections: list[Any]) -> dict[str, Any]:
    version = consultation.current_version
    data = consultation_item(consultation)
    data.update({
        "summary_html": consultation.summary_html,
        "questions_html": consultation.questions_html,
        "weapon_categories": list(consultation.weapon_categories or []),
        "moderation_mode": consultation.moderation_mode,
        "current_version": None if version is None else {
            "number": version.number,
            "published_at": iso(version.published_at),
            "change_note": version.change_note,
            "sections": [section(s) for s in sections],
        },
    })
    return data


def comment(item: Any, anchors: dict[int, str], reply_count: int) -> dict[str, Any]:
    """``reply_count``: the replies the caller may read (not the stored counter, which counts every reply)."""
    organisation = item.organisation
    return {
        "id": item.id,
        "consultation_id": item.consultation_id,
        "section_id": item.section_id,
        "section_anchor": anchors.get(item.section_id) if item.section_id else None,
        "parent_id": item.parent_id,
        "depth": item.depth,
        "kind": item.kind,
        "stance": item.stance,
        "audience": item.audience,
        "language": item.language,
        "author": {"display_name": item.author.display_name},
        "organisation": None if organisation is None else {"id": organisation.id, "name": organisation.name,
                                                            "kind": organisation.kind},
        "body_html": item.body_html,
        "proposed_wording": item.proposed_wording,
        "support_count": item.support_count,
        "reply_count": reply_count,
        "created_at": iso(item.created_at),
        "published_at": iso(item.published_at),
        "edited_at": iso(item.edited_at),
        "version": item.version,
        "updated_at": iso(item.updated_at),
    }


def disposition(row: Any, consultation_id: int) -> dict[str, Any]:
    """A row of the comment-resolution table (summaries.queries.ResolutionRow): its
    ``comments`` are already only those the reader may read."""
    item = row.disposition
    return {
        "id": item.id,
        "consultation_id": consultation_id,
        "round": item.round,
        "section_anchor": item.section.anchor if item.section else None,
        "point_raised": item.point_raised,
        "decision": item.decision,
        "reason": item.reason,
        "comment_ids": [c.id for c in row.comments],
        "point_ids": [p.id for p in row.points],
        "created_at": iso(item.created_at),
        "updated_at": iso(item.updated_at),
    }


def summary(item: Any, revision: Any, visible_citations: dict[int, list[int]],
            dispositions: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "consultation_id": item.consultation_id,
        "restricted": revision.restricted,
        "revision": revision.number,
        "published_at": iso(revision.published_at),
        "change_note": revision.change_note,
        "overall_html": revision.overall_html,
        "statistics": revision.statistics,
        "points": [{
            "id": point.id,
            "section_anchor": point.section.anchor if point.section else None,
            "text_html": point.text_html,
            "comment_ids": visible_citations.get(point.id, []),
        } for point in revision.points],
        "dispositions": dispositions,
    }


def coverage(data: Any) -> dict[str, Any]:
    return {
        "region": {"code": data.region.code, "name": data.region.full_name},
        "sections": [{"code": s.code, "title": s.title} for s in data.sections],
        "gaps": [s.code for s in data.gaps],
        "states": [{
            "country": row.country_code,
            "name": row.name,
            "consultation_ids": [d.id for d in row.drafts],
            "cells": {code: {"consultation_ids": [d.id for d in cell.drafts], "fields": sorted(cell.fields)}
                      for code, cell in sorted(row.cells.items())},
        } for row in data.rows],
    }


def digest_item(item: Any) -> dict[str, Any]:
    return {
        "id": item.id,
        "period": item.period_key,
        "frequency": item.frequency,
        "period_start": iso(item.period_start),
        "period_end": iso(item.period_end),
        "language": item.language,
        "subject": item.subject,
        "item_count": item.item_count,
        "created_at": iso(item.created_at),
        "read_at": iso(item.read_at),
        "url": url_for("digests.show_digest", digest_id=item.id, _external=True),
        "pdf_url": url_for("digests.digest_pdf", digest_id=item.id, _external=True),
        "api_url": url_for("api.get_my_digest", digest_id=item.id, _external=True),
    }


def digest_detail(item: Any) -> dict[str, Any]:
    data = digest_item(item)
    data.update({"body_html": item.body_html, "body_text": item.body_text})
    return data
