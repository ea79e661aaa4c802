"""Read side of summaries: the summary page, the citation picker, the
resolution table, forwardings and the "forwarded to me" list."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, selectinload

from app.comments.models import Audience, Comment, CommentStatus
from app.comments.policy import can_see_comment
from app.comments.queries import restricted_readable_condition
from app.consultations.models import Consultation, DraftVersion, Section
from app.consultations.queries import visible_condition as consultation_visible_condition
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


def revision_visible_condition(user: Any):
    """SQL form of ``policy.can_view_summary_revision`` for lists: published revisions
    ``user`` may read. The statement must join ``Consultation`` (through ``Summary``)."""
    return and_(SummaryRevision.published_at.is_not(None), consultation_visible_condition(user),
                or_(SummaryRevision.restricted.is_(False), restricted_readable_condition(user)))


def load_summary(session: Session, consultation_id: int) -> Summary | None:
    return session.scalar(
        select(Summary).where(Summary.consultation_id == consultation_id)
        .options(selectinload(Summary.revisions).selectinload(SummaryRevision.points)
                 .selectinload(SummaryPoint.citations).selectinload(SummaryCitation.comment)
                 .selectinload(Comment.organisation),
                 selectinload(Summary.revisions).selectinload(SummaryRevision.points)
                 .selectinload(SummaryPoint.citations).selectinload(SummaryCitation.comment)
                 .selectinload(Comment.author),
                 selectinload(Summary.revisions).selectinload(SummaryRevision.points)
                 .selectinload(SummaryPoint.section)))


@dataclass
class CitationView:
    """One cited comment as the reader may see it: who wrote it and what it says, or, when
    the reader may not read it, only that it exists."""

    comment_id: int
    visible: bool
    who: str = ""
    excerpt: str = ""
    restricted: bool = False


CITATION_EXCERPT = 160


def citation_views(comments: list[Comment], consultation: Consultation, user: Any) -> list[CitationView]:
    from app.consultations.diff import html_to_text

    views = []
    for comment in comments:
        if not can_see_comment(user, comment, consultation):
            views.append(CitationView(comment.id, visible=False, restricted=comment.audience != Audience.PUBLIC))
            continue
        text = " ".join(html_to_text(comment.body_html or "").split())
        if len(text) > CITATION_EXCERPT:
            text = text[:CITATION_EXCERPT].rstrip() + "…"
        who = comment.organisation.name if comment.organisation is not None else comment.author.display_name
        views.append(CitationView(comment.id, visible=True, who=who, excerpt=text,
                                  restricted=comment.audience != Audience.PUBLIC))
    return views


@dataclass
class PointView:
    point: SummaryPoint
    figures: dict[str, int]
    visible: list[Comment]
    citations: list[CitationView] = field(default_factory=list)


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
        # The figures count what the reader may see, never more.
        visible = [c.comment for c in point.citations if can_see_comment(user, c.comment, consultation)]
        view = PointView(point, citation_figures(visible), visible,
                         citation_views([c.comment for c in point.citations], consultation, user))
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
    citations: list[CitationView] = field(default_factory=list)
    # The summary points (of the revision the reader is shown) this row answers.
    points: list[SummaryPoint] = field(default_factory=list)


def _points_answered(revision: SummaryRevision | None, disposition: Disposition) -> list[SummaryPoint]:
    """The points that cite a comment the disposition answers; failing that, the points on its section."""
    if revision is None:
        return []
    answered = set(disposition.comment_ids)
    points = [p for p in revision.points if answered & set(p.comment_ids)]
    if not points and disposition.section_id is not None:
        points = [p for p in revision.points if p.section_id == disposition.section_id]
    return points


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
    comments = {c.id: c for c in session.scalars(
        select(Comment).where(Comment.id.in_(ids))
        .options(selectinload(Comment.author), selectinload(Comment.organisation)))} if ids else {}
    from app.summaries.policy import shown_revision

    shown = shown_revision(user, summary, consultation)
    groups: dict[Any, ResolutionGroup] = {}
    for d in dispositions:
        visible = [comments[i] for i in d.comment_ids if i in comments
                   and can_see_comment(user, comments[i], consultation)]
        key = d.section.anchor if d.section else None
        groups.setdefault(key, ResolutionGroup(d.section)).rows.append(
            ResolutionRow(d, visible, later_section(consultation, d.section),
                          citation_views([comments[i] for i in d.comment_ids if i in comments], consultation, user),
                          _points_answered(shown, d)))
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


def published_responses(session: Session, summary: Summary | None, user: Any) -> list[ForwardingResponse]:
    """Published replies of focal points to forwardings of revisions ``user`` may read."""
    if summary is None:
        return []
    return list(session.scalars(
        select(ForwardingResponse).join(Forwarding).join(SummaryRevision)
        .join(Summary, Summary.id == SummaryRevision.summary_id)
        .join(Consultation, Consultation.id == Summary.consultation_id)
        .where(SummaryRevision.summary_id == summary.id, ForwardingResponse.published.is_(True),
               revision_visible_condition(user))
        .options(selectinload(ForwardingResponse.author), selectinload(ForwardingResponse.forwarding))
        .order_by(ForwardingResponse.created_at)))


def forwarded_to(session: Session, user: Any, page: Any = 1, per_page: int = 20) -> Page:
    """Rows of (ForwardingRecipient, Forwarding, Consultation), newest first."""
    stmt = (select(ForwardingRecipient, Forwarding, Consultation)
            .join(Forwarding, Forwarding.id == ForwardingRecipient.forwarding_id)
            .join(SummaryRevision, SummaryRevision.id == Forwarding.revision_id)
            .join(Summary, Summary.id == SummaryRevision.summary_id)
            .join(Consultation, Consultation.id == Summary.consultation_id)
            .where(ForwardingRecipient.user_id == user.id, revision_visible_condition(user))
            .options(selectinload(Forwarding.revision))
            .order_by(Forwarding.created_at.desc(), Forwarding.id.desc()))
    return paginate(stmt, page, per_page, session=session, scalars=False)


def load_forwarding(session: Session, forwarding_id: int) -> Forwarding | None:
    return session.scalar(
        select(Forwarding).where(Forwarding.id == forwarding_id)
        .options(selectinload(Forwarding.recipients), selectinload(Forwarding.responses)
                 .selectinload(ForwardingResponse.author)))


def cited_in(session: Session, consultation: Consultation, user: Any) -> dict[int, list[tuple[str, str]]]:
    """For every comment of ``consultation``, the summary points and dispositions that cite it and
    that ``user`` may read: (what, address) pairs, "point" or the decision. A fixed number of queries."""
    from flask import url_for

    from app.summaries.models import DispositionComment
    from app.summaries.policy import can_view_summary, shown_revision

    summary = session.scalar(select(Summary).where(Summary.consultation_id == consultation.id))
    links: dict[int, list[tuple[str, str]]] = {}
    if summary is None or not summary.is_published:
        return links
    revision = shown_revision(user, summary, consultation)
    if revision is not None:
        summary_url = url_for("summaries.show_summary", consultation_id=consultation.id)
        for comment_id, point_id in session.execute(
                select(SummaryCitation.comment_id, SummaryPoint.id)
                .join(SummaryPoint, SummaryPoint.id == SummaryCitation.point_id)
                .where(SummaryPoint.revision_id == revision.id).order_by(SummaryPoint.position)):
            links.setdefault(comment_id, []).append(("point", f"{summary_url}#point-{point_id}"))
    if can_view_summary(user, summary, consultation):
        table_url = url_for("summaries.resolution", consultation_id=consultation.id)
        for comment_id, disposition_id, decision in session.execute(
                select(DispositionComment.comment_id, Disposition.id, Disposition.decision)
                .join(Disposition, Disposition.id == DispositionComment.disposition_id)
                .where(Disposition.summary_id == summary.id).order_by(Disposition.id)):
            links.setdefault(comment_id, []).append((decision, f"{table_url}#disposition-{disposition_id}"))
    return links
