"""Summary services: write and publish a summary, cite comments, forward it to
focal points, acknowledge and answer a forwarded summary, and the
comment-resolution table. Every function flushes, never commits.

Over 400 lines: a summary revision, its forwardings and the resolution table share
the revision's life (draft, published, forwarded); the next split is forwarding."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Role, RoleGrant, User
from app.comments.models import Audience, Comment, CommentStatus
from app.consultations.models import Consultation, DraftVersion, Section, Status
from app.core.audit import record
from app.core.db import utcnow
from app.core.errors import Conflict, DomainError
from app.core.mail import queue_email
from app.core.sanitize import SANITIZER_VERSION, render_comment_markdown, render_markdown
from app.core.urls import external_url
from app.geography.models import Country, Region
from app.summaries.models import (
    Decision,
    Disposition,
    DispositionComment,
    Forwarding,
    ForwardingRecipient,
    ForwardingResponse,
    Summary,
    SummaryCitation,
    SummaryPoint,
    SummaryRevision,
    SummaryStatus,
    TargetType,
)
from app.summaries.policy import can_view_summary_revision
from app.summaries.statistics import compute_statistics

TEXT_MAX = 20_000
POINT_MAX = 5_000
RESPONSE_MAX = 5_000


class SummaryNotPublished(Conflict):
    pass


class NoFocalPoint(DomainError):  # noqa: N818 - named like core.errors.NotFound
    pass


def _text(value: str, *, field_name: str, max_length: int, required: bool, message) -> str:
    value = (value or "").replace("\x00", "").strip()
    if required and not value:
        raise DomainError(message, field=field_name)
    if len(value) > max_length:
        raise DomainError(_l("Shorten the text to %(max)d characters or fewer.", max=max_length), field=field_name)
    return value


# --- writing -----------------------------------------------------------------------------

class ConsultationNotPublished(Conflict):
    pass


def _check_summarisable(consultation: Consultation) -> None:
    """A consultation that was never published has nothing to summarise or forward."""
    if consultation.status == Status.DRAFT or not consultation.published_versions:
        raise ConsultationNotPublished(_l("This consultation is not published; it cannot be summarised or "
                                          "forwarded."))


def get_summary(session: Session, consultation_id: int) -> Summary | None:
    return session.scalar(select(Summary).where(Summary.consultation_id == consultation_id))


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
    _check_summarisable(consultation)
    overall = _text(overall, field_name="overall", max_length=TEXT_MAX, required=False, message="")
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
    text = _text(data.text, field_name="text", max_length=POINT_MAX, required=True,
                 message=_l("Write the point."))
    section = _section_of(session, consultation, data.section_id)
    comments = _citable(session, consultation, revision, data.comment_ids, field_name="comment_ids")
    point.section_id = section.id if section else None
    point.text_source, point.text_html = text, render_markdown(text)
    point.citations = [SummaryCitation(comment_id=c.id) for c in comments]


def add_point(session: Session, consultation: Consultation, data: PointInput, *, actor: Any) -> SummaryPoint:
    _check_summarisable(consultation)
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
    _check_summarisable(consultation)
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
    change_note = _text(change_note, field_name="change_note", max_length=2000, required=revision.number > 1,
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


# --- forwarding ----------------------------------------------------------------------------

def focal_points_for(session: Session, target_type: str, target_key: str) -> list[User]:
    return list(session.scalars(
        select(User).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.role == Role.FOCAL_POINT, RoleGrant.scope_type == target_type,
               RoleGrant.scope_key == target_key, User.status == User.ACTIVE)
        .order_by(User.id)))


def _check_target(session: Session, target_type: str, key: str) -> str:
    key = (key or "").strip().upper()
    if target_type == TargetType.REGION and session.get(Region, key) is not None:
        return key
    if target_type == TargetType.COUNTRY and len(key) == 2 and session.get(Country, key) is not None:
        return key
    raise DomainError(_l("Choose regional organisations and countries from the lists."), field="regions")


def changes_since_last(session: Session, summary: Summary, revision: SummaryRevision, target_type: str,
                       target_key: str, *, before: datetime | None = None) -> list[SummaryRevision] | None:
    """Revisions published since the one last forwarded to this target (None: first forwarding)."""
    stmt = (select(SummaryRevision.number).join(Forwarding, Forwarding.revision_id == SummaryRevision.id)
            .where(SummaryRevision.summary_id == summary.id, Forwarding.target_type == target_type,
                   Forwarding.target_key == target_key, SummaryRevision.number < revision.number))
    if before is not None:
        stmt = stmt.where(Forwarding.created_at < before)
    last = session.scalar(stmt.order_by(SummaryRevision.number.desc()).limit(1))
    if last is None:
        return None
    return [r for r in summary.revisions if r.is_published and last < r.number <= revision.number]


def forward_summary(session: Session, consultation: Consultation, *, regions: list[str], countries: list[str],
                    note: str = "", actor: Any, now: datetime | None = None) -> list[Forwarding]:
    """Send the published summary to the focal points of each region and country.

    Nothing is sent when any target has no focal point: the moderator is told
    which, and decides. A restricted summary goes only to the consultation's
    own country and regions, whose focal points may read restricted comments.
    """
    now = now or utcnow()
    _check_summarisable(consultation)
    summary = get_summary(session, consultation.id)
    revision = summary.current_revision if summary else None
    if revision is None:
        raise SummaryNotPublished(_l("Publish the summary before forwarding it."))
    note = _text(note, field_name="note", max_length=2000, required=False, message="")
    targets = [(TargetType.REGION, _check_target(session, TargetType.REGION, k)) for k in regions]
    targets += [(TargetType.COUNTRY, _check_target(session, TargetType.COUNTRY, k)) for k in countries]
    targets = list(dict.fromkeys(targets))
    if not targets:
        raise DomainError(_l("Choose at least one regional organisation or country."), field="regions")
    if revision.restricted:
        outside = [key for kind, key in targets
                   if not ((kind == TargetType.COUNTRY and key == consultation.country_code)
                           or (kind == TargetType.REGION and key in consultation.region_codes))]
        if outside:
            raise DomainError(_l("This summary is restricted: it can be forwarded only to the consultation's own "
                                 "country and regional organisations. Not allowed: %(targets)s.",
                                 targets=", ".join(outside)), field="regions")
    recipients = {target: focal_points_for(session, *target) for target in targets}
    empty = [key for (_kind, key), users in recipients.items() if not users]
    if empty:
        raise NoFocalPoint(_l("No focal point is registered for %(targets)s, so nothing was sent. Remove them from "
                              "the list, or ask an administrator to grant the focal point role first.",
                              targets=", ".join(empty)), field="regions")
    # Whoever receives the summary must be able to read it (and its consultation) afterwards.
    blind = [key for (_kind, key), users in recipients.items()
             if any(not can_view_summary_revision(u, revision, consultation) for u in users)]
    if blind:
        raise DomainError(_l("The focal points of %(targets)s may not read this consultation or its summary, so "
                             "nothing was sent. Invite them to the consultation first, or remove them from the "
                             "list.", targets=", ".join(blind)), field="regions")
    already = [key for kind, key in targets if session.scalar(select(Forwarding.id).where(
        Forwarding.revision_id == revision.id, Forwarding.target_type == kind, Forwarding.target_key == key))]
    if already:
        raise Conflict(_l("Revision %(number)d was already forwarded to %(targets)s.", number=revision.number,
                          targets=", ".join(already)), field="regions")
    forwardings = []
    for (kind, key), users in recipients.items():
        changes = changes_since_last(session, summary, revision, kind, key)
        forwarding = Forwarding(revision_id=revision.id, target_type=kind, target_key=key, note=note,
                                forwarded_by_id=getattr(actor, "id", None), created_at=now,
                                recipients=[ForwardingRecipient(user_id=u.id) for u in users])
        session.add(forwarding)
        session.flush()
        record(session, actor=actor, action="summary.forwarded", target=forwarding,
               after={"summary": summary.id, "revision": revision.number, "target": f"{kind}:{key}",
                      "recipients": [u.id for u in users]})
        for user in users:
            queue_email(
                session, to=user.email, template="summaries/forwarded",
                dedupe_key=f"summary-forwarded:{forwarding.id}:{user.id}", locale=user.preferred_language,
                user=user, consultation=consultation, revision=revision, forwarding=forwarding,
                changes=None if changes is None else [
                    r for r in changes if can_view_summary_revision(user, r, consultation)],
                statistics=revision.statistics or {},
                url=external_url("summaries.show_forwarding", forwarding_id=forwarding.id))
        forwardings.append(forwarding)
    # An open consultation summarised on demand keeps its clock; a closed one moves on.
    if consultation.effective_status(now) in (Status.CLOSED, Status.SUMMARISED):
        before = consultation.status
        consultation.status = Status.FORWARDED
        record(session, actor=actor, action="consultation.forwarded", target=consultation,
               before={"status": before}, after={"status": Status.FORWARDED})
    session.flush()
    return forwardings


def _recipient(session: Session, forwarding: Forwarding, actor: Any) -> ForwardingRecipient:
    row = session.get(ForwardingRecipient, (forwarding.id, actor.id))
    if row is None:  # a focal point of the target granted after the forwarding
        row = ForwardingRecipient(forwarding_id=forwarding.id, user_id=actor.id)
        forwarding.recipients.append(row)
        session.flush()
    return row


def acknowledge_forwarding(session: Session, forwarding: Forwarding, *, actor: Any,
                           now: datetime | None = None) -> bool:
    """Acknowledge receipt; False when it was acknowledged already."""
    row = _recipient(session, forwarding, actor)
    if row.acknowledged_at is not None:
        return False
    row.acknowledged_at = now or utcnow()
    session.flush()
    record(session, actor=actor, action="summary.acknowledged", target=forwarding)
    return True


def respond_to_forwarding(session: Session, forwarding: Forwarding, *, body: str, publish: bool, actor: Any,
                          now: datetime | None = None) -> ForwardingResponse:
    """A reply to the moderators and the drafting government; published on the summary page if asked."""
    body = _text(body, field_name="body", max_length=RESPONSE_MAX, required=True, message=_l("Write your reply."))
    row = _recipient(session, forwarding, actor)
    if row.acknowledged_at is None:
        row.acknowledged_at = now or utcnow()  # a reply is an acknowledgement too
    response = ForwardingResponse(author_id=actor.id, body_source=body, body_html=render_comment_markdown(body),
                                  sanitizer_version=SANITIZER_VERSION, published=publish,
                                  created_at=now or utcnow())
    forwarding.responses.append(response)
    session.flush()
    record(session, actor=actor, action="summary.response", target=forwarding,
           after={"response": response.id, "published": publish})
    consultation = forwarding.revision.summary.consultation
    forwarder = forwarding.forwarded_by
    if forwarder is not None and forwarder.id != actor.id:
        queue_email(session, to=forwarder.email, template="summaries/response",
                    dedupe_key=f"summary-response:{response.id}:{forwarder.id}",
                    locale=forwarder.preferred_language, user=forwarder, responder=actor.display_name,
                    consultation=consultation, forwarding=forwarding, response=response,
                    url=external_url("summaries.forward_summary", consultation_id=consultation.id))
    return response


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
    point = _text(data.point_raised, field_name="point_raised", max_length=POINT_MAX, required=True,
                  message=_l("Describe the point raised."))
    if data.decision not in Decision.ALL:
        raise DomainError(_l("Choose the government's decision."), field="decision")
    reason = _text(data.reason, field_name="reason", max_length=POINT_MAX,
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
