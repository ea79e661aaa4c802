"""Forwarding a published summary to the focal points of regions and countries, and
what the focal points do with it: acknowledge receipt, answer. Every function
flushes, never commits."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Role, RoleGrant, User
from app.consultations.models import Consultation, Status
from app.core.audit import record
from app.core.db import utcnow
from app.core.errors import Conflict, DomainError
from app.core.mail import queue_email
from app.core.sanitize import SANITIZER_VERSION, render_comment_markdown
from app.core.urls import external_url
from app.geography.codes import find_country, find_region
from app.summaries.models import (
    Forwarding,
    ForwardingRecipient,
    ForwardingResponse,
    Summary,
    SummaryRevision,
    TargetType,
)
from app.summaries.policy import can_view_summary_revision
from app.summaries.state import SummaryNotPublished, check_summarisable, clean_text, get_summary

RESPONSE_MAX = 5_000


class NoFocalPoint(DomainError):  # noqa: N818 - named like core.errors.NotFound
    pass


def focal_points_for(session: Session, target_type: str, target_key: str) -> list[User]:
    return list(session.scalars(
        select(User).join(RoleGrant, RoleGrant.user_id == User.id)
        .where(RoleGrant.role == Role.FOCAL_POINT, RoleGrant.scope_type == target_type,
               RoleGrant.scope_key == target_key, User.status == User.ACTIVE)
        .order_by(User.id)))


def _check_target(session: Session, target_type: str, key: str) -> str:
    key = (key or "").strip().upper()
    if target_type == TargetType.REGION and find_region(session, key) is not None:
        return key
    if target_type == TargetType.COUNTRY and find_country(session, key) is not None:
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
    check_summarisable(consultation)
    summary = get_summary(session, consultation.id)
    revision = summary.current_revision if summary else None
    if revision is None:
        raise SummaryNotPublished(_l("Publish the summary before forwarding it."))
    note = clean_text(note, field_name="note", max_length=2000, required=False, message="")
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
    body = clean_text(body, field_name="body", max_length=RESPONSE_MAX, required=True, message=_l("Write your reply."))
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
