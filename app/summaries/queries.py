"""Read side of summaries: the summary page, the citation picker, the
resolution table, forwardings and the "forwarded to me" list."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.comments.models import Audience, Comment, CommentStatus
from app.comments.policy import can_see_comment
from app.consultations.models import Consultation, DraftVersion, Section
from app.core.pagination import Page, paginate
from app.summaries.models import (
    Disposition,
    Forwarding,
    ForwardingRecipient,
    ForwardingResponse,
    Summary,
    SummaryCitation,
    SummaryPoint,
    SummaryRevision,
)
from app.summaries.services import later_section
from app.summaries.statistics import citation_figures

PICKER_LIMIT = 300


def load_summary(session: Session, consultation_id: int) -> Summary | None:
    return session.scalar(
        select(Summary).where(Summary.consultation_id == consultation_id)
        .options(selectinload(Summary.revisions).selectinload(SummaryRevision.points)
                 .selectinload(SummaryPoint.citations).selectinload(SummaryCitation.comment)
                 .selectinload(Comment.organisation),
                 selectinload(Summary.revisions).selectinload(SummaryRevision.points)
                 .selectinload(SummaryPoint.section)))


@dataclass
class PointView:
    point: SummaryPoint
    figures: dict[str, int]
    visible: list[Comment]


@dataclass
class SectionPoints:
    section: Section | None
    points: list[PointView] = field(default_factory=list)


def grouped_points(revision: SummaryRevision | None, consultation: Consultation, user: Any) -> list[SectionPoints]:
    """Points of the draft as a whole first, then by section in the order of the text."""
    if revision is None:
        return []
    groups: dict[Any, SectionPoints] = {}
    for point in revision.points:
        comments = [c.comment for c in point.citations]
        view = PointView(point, citation_figures(comments),
                         [c for c in comments if can_see_comment(user, c, consultation)])
        key = point.section.anchor if point.section else None
        groups.setdefault(key, SectionPoints(point.section)).points.append(view)
    order = {s.anchor: i for i, s in enumerate(consultation.current_version.sections)} \
        if consultation.current_version else {}
    return sorted(groups.values(), key=lambda g: -1 if g.section is None else order.get(g.section.anchor, 10**6))


def citable_comments(session: Session, consultation: Consultation, *, section_id: int | None,
                     include_restricted: bool) -> list[Comment]:
    """Published comments a point may cite (on one section, or on the draft as a whole)."""
    conditions = [Comment.consultation_id == consultation.id, Comment.status == CommentStatus.PUBLISHED]
    conditions.append(Comment.section_id == section_id if section_id else Comment.section_id.is_(None))
    if not include_restricted:
        conditions.append(Comment.audience == Audience.PUBLIC)
    return list(session.scalars(
        select(Comment).where(*conditions).options(selectinload(Comment.author), selectinload(Comment.organisation))
        .order_by(Comment.path).limit(PICKER_LIMIT)))


def consultation_sections(session: Session, consultation: Consultation) -> list[Section]:
    """Sections of every published version, newest version first (points may be on any)."""
    return list(session.scalars(
        select(Section).join(DraftVersion).where(DraftVersion.consultation_id == consultation.id)
        .order_by(DraftVersion.number.desc(), Section.position)))


@dataclass
class ResolutionRow:
    disposition: Disposition
    comments: list[Comment]
    later: tuple[DraftVersion, Section] | None


@dataclass
class ResolutionGroup:
    section: Section | None
    rows: list[ResolutionRow] = field(default_factory=list)


def resolution_table(session: Session, summary: Summary | None, consultation: Consultation,
                     user: Any) -> list[ResolutionGroup]:
    if summary is None:
        return []
    dispositions = list(session.scalars(
        select(Disposition).where(Disposition.summary_id == summary.id)
        .options(selectinload(Disposition.section), selectinload(Disposition.answered))
        .order_by(Disposition.round, Disposition.id)))
    ids = {i for d in dispositions for i in d.comment_ids}
    comments = {c.id: c for c in session.scalars(select(Comment).where(Comment.id.in_(ids)))} if ids else {}
    groups: dict[Any, ResolutionGroup] = {}
    for d in dispositions:
        visible = [comments[i] for i in d.comment_ids if i in comments
                   and can_see_comment(user, comments[i], consultation)]
        key = d.section.anchor if d.section else None
        groups.setdefault(key, ResolutionGroup(d.section)).rows.append(
            ResolutionRow(d, visible, later_section(consultation, d.section)))
    order = {s.anchor: i for i, s in enumerate(consultation.current_version.sections)} \
        if consultation.current_version else {}
    return sorted(groups.values(), key=lambda g: -1 if g.section is None else order.get(g.section.anchor, 10**6))


def forwardings_of(session: Session, summary: Summary | None) -> list[Forwarding]:
    if summary is None:
        return []
    return list(session.scalars(
        select(Forwarding).join(SummaryRevision).where(SummaryRevision.summary_id == summary.id)
        .options(selectinload(Forwarding.recipients).selectinload(ForwardingRecipient.user),
                 selectinload(Forwarding.responses).selectinload(ForwardingResponse.author),
                 selectinload(Forwarding.forwarded_by), selectinload(Forwarding.revision))
        .order_by(Forwarding.created_at.desc(), Forwarding.id.desc())))


def published_responses(session: Session, summary: Summary | None) -> list[ForwardingResponse]:
    if summary is None:
        return []
    return list(session.scalars(
        select(ForwardingResponse).join(Forwarding).join(SummaryRevision)
        .where(SummaryRevision.summary_id == summary.id, ForwardingResponse.published.is_(True))
        .options(selectinload(ForwardingResponse.author), selectinload(ForwardingResponse.forwarding))
        .order_by(ForwardingResponse.created_at)))


def forwarded_to(session: Session, user: Any, page: Any = 1, per_page: int = 20) -> Page:
    """Rows of (ForwardingRecipient, Forwarding, Consultation), newest first."""
    stmt = (select(ForwardingRecipient, Forwarding, Consultation)
            .join(Forwarding, Forwarding.id == ForwardingRecipient.forwarding_id)
            .join(SummaryRevision, SummaryRevision.id == Forwarding.revision_id)
            .join(Summary, Summary.id == SummaryRevision.summary_id)
            .join(Consultation, Consultation.id == Summary.consultation_id)
            .where(ForwardingRecipient.user_id == user.id)
            .options(selectinload(Forwarding.revision))
            .order_by(Forwarding.created_at.desc(), Forwarding.id.desc()))
    return paginate(stmt, page, per_page, session=session, scalars=False)


def load_forwarding(session: Session, forwarding_id: int) -> Forwarding | None:
    return session.scalar(
        select(Forwarding).where(Forwarding.id == forwarding_id)
        .options(selectinload(Forwarding.recipients), selectinload(Forwarding.responses)
                 .selectinload(ForwardingResponse.author)))
