"""Builders for the comment tests (plain functions with keyword defaults).

Consultations are written directly as rows — published, with sections — so
these tests do not depend on the management workflow."""

from __future__ import annotations

import itertools
from datetime import timedelta

from app.comments.forms import new_idempotency_key
from app.comments.services import CommentInput, post_comment
from app.consultations.models import (
    Consultation,
    ConsultationRegion,
    DraftVersion,
    ModerationMode,
    Section,
    Status,
    Visibility,
)
from app.core.db import utcnow
from app.core.sanitize import render_markdown

_seq = itertools.count(1)


def make_consultation(session, *, country: str = "AT", sections: int = 3, moderation: str = ModerationMode.POST,
                      regions: tuple[str, ...] = ("OSCE",), languages: tuple[str, ...] = ("en", "fr"),
                      visibility: str = Visibility.PUBLIC, opens_in: timedelta = timedelta(days=-1),
                      closes_in: timedelta = timedelta(days=30), status: str = Status.OPEN) -> Consultation:
    n = next(_seq)
    now = utcnow()
    consultation = Consultation(
        country_code=country, title=f"Draft export control law {n}", instrument_type="law",
        drafting_authority="Ministry of Trade", opens_at=now + opens_in, closes_at=now + closes_in,
        status=status, languages=list(languages), moderation_mode=moderation, visibility=visibility,
        regions=[ConsultationRegion(region_code=code) for code in regions],
    )
    version = DraftVersion(number=1, status=DraftVersion.PUBLISHED, published_at=now)
    for i in range(1, sections + 1):
        body = f"The competent authority shall license the export of item {i} listed in Annex {i}."
        version.sections.append(Section(position=i, number=f"Article {i}", heading=f"Licensing {i}",
                                        anchor=f"article-{i}", body_source=body, body_html=render_markdown(body)))
    consultation.versions = [version]
    session.add(consultation)
    session.flush()
    return consultation


def publish_new_version(session, consultation: Consultation) -> DraftVersion:
    old = consultation.current_version
    version = DraftVersion(number=old.number + 1, status=DraftVersion.PUBLISHED, published_at=utcnow(),
                           change_note="Revised after comments")
    for s in old.sections:
        version.sections.append(Section(position=s.position, number=s.number, heading=s.heading, anchor=s.anchor,
                                        body_source=s.body_source + " Amended.",
                                        body_html=render_markdown(s.body_source + " Amended.")))
    consultation.versions.append(version)
    session.flush()
    return version


def comment_input(consultation: Consultation, *, section: Section | None = None, parent=None, body: str = "A comment.",
                  **overrides) -> CommentInput:
    values = dict(
        body=body, kind="comment", stance=None, audience="public", language="en",
        section_id=section.id if section else (parent.section_id if parent else None),
        parent_id=parent.id if parent else None,
        version_id=None if parent else consultation.current_version.id,
        idempotency_key=new_idempotency_key(),
    )
    values.update(overrides)
    return CommentInput(**values)


def add_comment(session, consultation: Consultation, author, *, section: Section | None = None, parent=None,
                body: str = "A comment.", **overrides):
    comment, _created = post_comment(session, consultation,
                                     comment_input(consultation, section=section, parent=parent, body=body,
                                                   **overrides), actor=author)
    return comment


def form_data(consultation: Consultation, *, section: Section | None = None, parent=None, body: str = "A comment.",
              **overrides) -> dict:
    """What the browser sends when the comment form is submitted."""
    data = {
        "body": body, "kind": "comment", "stance": "", "audience": "public", "organisation_id": "",
        "language": "en", "section_id": str(section.id) if section else "",
        "parent_id": str(parent.id) if parent else "",
        "version_id": "" if parent else str(consultation.current_version.id),
        "idempotency_key": new_idempotency_key(), "proposed_wording": "",
    }
    data.update(overrides)
    return data
