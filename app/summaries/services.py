"""Summary services: write and publish a summary, cite comments, and the
comment-resolution table; this module also names the forwarding services
(forwarding.py) and what they share (state.py) for callers. Every function
flushes, never commits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.comments.models import Audience, Comment, CommentStatus
from app.consultations.models import Consultation, DraftVersion, Section, Status
from app.core.audit import record
from app.core.db import utcnow
from app.core.errors import Conflict, DomainError
from app.core.sanitize import SANITIZER_VERSION, render_markdown
from app.summaries.forwarding import (  # noqa: F401
    RESPONSE_MAX,
    NoFocalPoint,
    acknowledge_forwarding,
    changes_since_last,
    focal_points_for,
    forward_summary,
    respond_to_forwarding,
)
from app.summaries.models import (
    DECISIONS,
    Decision,
    Disposition,
    DispositionComment,
    Summary,
    SummaryCitation,
    SummaryPoint,
    SummaryRevision,
    SummaryStatus,
)
from app.summaries.state import (  # noqa: F401
    POINT_MAX,
    TEXT_MAX,
    ConsultationNotPublished,
    SummaryNotPublished,
    check_summarisable,
    clean_text,
    get_summary,
)
from app.summaries.statistics import compute_statistics

# --- writing -----------------------------------------------------------------------------

def _working_revision(session: Session, consultation: Consultation, *, actor: Any) -> tuple[Summary, SummaryRevision]:
    """The summary's draft revision, created (as a copy of the published one) when needed."""
    summary = get_summary(session, consultation.id)
    if summary is None:
        summary = Summary(consultation_id=consultation.id, created_by_id=getattr(actor, "id", None))
        session.add(summary)
        session.flush()
        record(session, actor=actor, action="summary.created", target=summary,
               after={"consultation": consultation.id})
    revision = summary.working_revision
    if revision is None:
        current = summary.current_revision
        revision = SummaryRevision(number=(current.number + 1) if current else 1,
                                   created_by_id=getattr(actor, "id", None),
                                   restricted=current.restricted if current is not None else False)
        if current is not None:
            revision.overall_source, revision.overall_html = current.overall_source, current.overall_html
            for point in current.points:
                revision.points.append(SummaryPoint(
                    section_id=point.section_id, position=point.position, text_source=point.text_source,
                    text_html=point.text_html,
                    citations=[SummaryCitation(comment_id=c.comment_id) for c in point.citations]))
        summary.revisions.append(revision)
        session.flush()
    return summary, revision


def _cites_restricted(session: Session, revision: SummaryRevision) -> bool:
    ids = [c.comment_id for p in revision.points for c in p.citations]
    if not ids:
        return False
    return session.scalar(select(Comment.id).where(Comment.id.in_(ids), Comment.audience != Audience.PUBLIC)
                          .limit(1)) is not None


def save_summary_text(session: Session, consultation: Consultation, *, overall: str, restricted: bool,
                      actor: Any) -> SummaryRevision:
    """The overall text and the restricted flag of the summary's draft revision.

    The flag belongs to the draft revision only: revisions already published keep
    the audience they were published for."""
    check_summarisable(consultation)
    overall = clean_text(overall, field_name="overall", max_length=TEXT_MAX, required=False, message="")
    summary, revision = _working_revision(session, consultation, actor=actor)
    if revision.restricted and not restricted and _cites_restricted(session, revision):
        raise DomainError(_l("This summary cites restricted comments, so it must stay restricted. Remove those "
                             "citations first."), field="restricted")
    if restricted != revision.restricted:
        record(session, actor=actor, action="summary.restricted_changed", target=summary,
               before={"restricted": revision.restricted, "revision": revision.number},
               after={"restricted": restricted, "revision": revision.number})
    revision.restricted = restricted
    revision.overall_source = overall
    revision.overall_html = render_markdown(overall)
    revision.sanitizer_version = SANITIZER_VERSION
    session.flush()
    return revision


@dataclass
class PointInput:
    section_id: int | None
    text: str
    comment_ids: list[int] = field(default_factory=list)


def _section_of(session: Session, consultation: Consultation, section_id: int | None) -> Section | None:
    if section_id is None:
        return None
    section = session.get(Section, section_id)
    if section is None or section.version.consultation_id != consultation.id:
        raise DomainError(_l("Choose a section of this consultation."), field="section_id")
    return section


def _citable(session: Session, consultation: Consultation, revision: SummaryRevision, ids: list[int], *,
             field_name: str) -> list[Comment]:
    ids = sorted(set(ids))
    if not ids:
        return []
    comments = list(session.scalars(select(Comment).where(Comment.id.in_(ids))))
    if len(comments) != len(ids) or any(c.consultation_id != consultation.id for c in comments):
        raise DomainError(_l("Cite only comments of this consultation."), field=field_name)
    if any(c.status != CommentStatus.PUBLISHED for c in comments):
        raise DomainError(_l("Cite only published comments."), field=field_name)
    if not revision.restricted and any(c.audience != Audience.PUBLIC for c in comments):
        raise DomainError(_l("Restricted comments can be cited only in a restricted summary. Mark the summary "
                             "as restricted, or remove those citations."), field=field_name)
    return comments


def _fill_point(session: Session, consultation: Consultation, revision: SummaryRevision, point: SummaryPoint,
                data: PointInput) -> None:
    text = clean_text(data.text, field_name="text", max_length=POINT_MAX, required=True,
                 message=_l("Write the point."))
    section = _section_of(session, consultation, data.section_id)
    comments = _citable(session, consultation, revision, data.comment_ids, field_name="comment_ids")
    point.section_id = section.id if section else None
    point.text_source, point.text_html = text, render_markdown(text)
    point.citations = [SummaryCitation(comment_id=c.id) for c in comments]


def add_point(session: Session, consultation: Consultation, data: PointInput, *, actor: Any) -> SummaryPoint:
    check_summarisable(consultation)
    _summary, revision = _working_revision(session, consultation, actor=actor)
    point = SummaryPoint(position=max((p.position for p in revision.points), default=0) + 1)
    _fill_point(session, consultation, revision, point, data)
    revision.points.append(point)
    session.flush()
    return point


def _editable_point(summary: Summary, point: SummaryPoint) -> None:
    if point.revision.is_published or point.revision.summary_id != summary.id:
        raise Conflict(_l("This point belongs to a published revision and can no longer change."))


def update_point(session: Session, consultation: Consultation, point: SummaryPoint, data: PointInput, *,
                 actor: Any) -> SummaryPoint:
    summary = get_summary(session, consultation.id)
    _editable_point(summary, point)
    _fill_point(session, consultation, point.revision, point, data)
    session.flush()
    return point


def delete_point(session: Session, consultation: Consultation, point: SummaryPoint, *, actor: Any) -> None:
    summary = get_summary(session, consultation.id)
    _editable_point(summary, point)
    point.revision.points.remove(point)
    session.flush()


def publish_summary(session: Session, consultation: Consultation, *, change_note: str = "", actor: Any,
                    now: datetime | None = None) -> SummaryRevision:
    """Freeze the draft revision with its computed figures; the summary becomes public (unless restricted)."""
    now = now or utcnow()
    check_summarisable(consultation)
    summary = get_summary(session, consultation.id)
    revision = summary.working_revision if summary else None
    if revision is None:
        raise Conflict(_l("There is no draft of the summary to publish. Edit the summary first."))
    if not revision.restricted and _cites_restricted(session, revision):
        raise DomainError(_l("This summary cites restricted comments, so it must stay restricted. Remove those "
                             "citations first."), field="change_note")
    if not revision.overall_source and not revision.points:
        raise DomainError(_l("Write the overall summary or at least one point before publishing."),
                          field="change_note")
    change_note = clean_text(change_note, field_name="change_note", max_length=2000, required=revision.number > 1,
                        message=_l("Explain what changed since the last published summary."))
    # A public revision's figures count only what the public may read.
    revision.statistics = compute_statistics(session, consultation.id, include_restricted=revision.restricted)
    revision.change_note = change_note
    revision.published_at = now
    revision.published_by_id = getattr(actor, "id", None)
    summary.status = SummaryStatus.PUBLISHED
    if consultation.effective_status(now) == Status.CLOSED:
        before = consultation.status
        consultation.status = Status.SUMMARISED
        record(session, actor=actor, action="consultation.summarised", target=consultation,
               before={"status": before}, after={"status": Status.SUMMARISED})
    session.flush()
    record(session, actor=actor, action="summary.published", target=summary,
           after={"revision": revision.number, "restricted": revision.restricted})
    from app.summaries.notifications import notify_citations

    notify_citations(session, consultation, revision, actor=actor)
    return revision


# --- the comment-resolution table ------------------------------------------------------------

@dataclass
class DispositionInput:
    section_id: int | None
    point_raised: str
    decision: str
    reason: str = ""
    comment_ids: list[int] = field(default_factory=list)


def save_disposition(session: Session, consultation: Consultation, data: DispositionInput, *, actor: Any,
                     disposition: Disposition | None = None) -> Disposition:
    summary = get_summary(session, consultation.id)
    revision = summary.current_revision if summary else None
    if revision is None:
        raise SummaryNotPublished(_l("Dispositions answer a published summary; none is published yet."))
    point = clean_text(data.point_raised, field_name="point_raised", max_length=POINT_MAX, required=True,
                  message=_l("Describe the point raised."))
    if data.decision not in DECISIONS:
        raise DomainError(_l("Choose the government's decision."), field="decision")
    reason = clean_text(data.reason, field_name="reason", max_length=POINT_MAX,
                   required=data.decision in (Decision.NOT_ACCEPTED, Decision.PARTLY_ACCEPTED),
                   message=_l("Give the reason for this decision."))
    section = _section_of(session, consultation, data.section_id)
    ids = sorted(set(data.comment_ids))
    if ids:
        found = set(session.scalars(select(Comment.id).where(Comment.id.in_(ids),
                                                             Comment.consultation_id == consultation.id)))
        if found != set(ids):
            raise DomainError(_l("Choose comments of this consultation."), field="comment_ids")
    before = None
    if disposition is None:
        disposition = Disposition(summary_id=summary.id, round=revision.number,
                                  created_by_id=getattr(actor, "id", None))
        session.add(disposition)
    else:
        if disposition.summary_id != summary.id:
            raise DomainError(_l("Choose a disposition of this consultation."))
        before = {"decision": disposition.decision, "point": disposition.point_raised}
    disposition.section_id = section.id if section else None
    disposition.point_raised, disposition.decision, disposition.reason = point, data.decision, reason
    disposition.answered = [DispositionComment(comment_id=i) for i in ids]
    session.flush()
    record(session, actor=actor, action="disposition.saved", target=disposition, before=before,
           after={"decision": data.decision, "section": disposition.section_id, "round": disposition.round})
    from app.summaries.notifications import notify_disposition

    notify_disposition(session, consultation, summary, disposition, actor=actor)
    return disposition


def delete_disposition(session: Session, disposition: Disposition, *, actor: Any) -> None:
    record(session, actor=actor, action="disposition.deleted", target=disposition,
           before={"decision": disposition.decision, "point": disposition.point_raised})
    session.delete(disposition)
    session.flush()


def later_section(consultation: Consultation, section: Section | None) -> tuple[DraftVersion, Section] | None:
    """The same provision (by anchor) in the newest published version after the section's own version."""
    if section is None:
        return None
    newer = [v for v in consultation.published_versions if v.number > section.version.number]
    if not newer:
        return None
    latest = newer[-1]
    match = next((s for s in latest.sections if s.anchor == section.anchor), None)
    return (latest, match) if match is not None else None
