"""Telling commenters that their comment was answered: a disposition of the
drafting government, or a published summary point that cites it.

In the app always, by e-mail by the commenter's frequency (through
``app.comments.notifications``); each event notifies a person once (dedupe
keys). Only people who may read the answer are told: a restricted summary
reaches no one who may not read it.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.accounts.models import User
from app.comments.models import Comment, NotificationKind
from app.comments.notifications import add_notification, excerpt, queue_participant_email
from app.consultations.models import Consultation, Section
from app.core.urls import external_url
from app.summaries.models import Decision, Disposition, Summary, SummaryRevision
from app.summaries.policy import can_view_summary, can_view_summary_revision

WORDING_EXCERPT = 1500

DECISION_WORDS = {
    Decision.ACCEPTED: _l("Accepted"),
    Decision.PARTLY_ACCEPTED: _l("Partly accepted"),
    Decision.NOT_ACCEPTED: _l("Not accepted"),
    Decision.NOTED: _l("Noted"),
}


def _by_author(session: Session, comment_ids: list[int], actor: Any) -> list[tuple[User, list[Comment]]]:
    """The cited comments grouped by their (active) authors, the actor left out."""
    if not comment_ids:
        return []
    comments = session.scalars(select(Comment).where(Comment.id.in_(sorted(set(comment_ids))))
                               .options(selectinload(Comment.author)).order_by(Comment.id))
    authors: dict[int, User] = {}
    grouped: dict[int, list[Comment]] = defaultdict(list)
    for comment in comments:
        author = comment.author
        if author is None or not author.is_active or author.id == getattr(actor, "id", None):
            continue
        authors[author.id] = author
        grouped[author.id].append(comment)
    return [(authors[user_id], grouped[user_id]) for user_id in sorted(grouped)]


def _receipts(comments: list[Comment]) -> list[dict[str, str]]:
    return [{"receipt": c.receipt_number or str(c.id), "excerpt": excerpt(c),
             "url": external_url("comments.permalink", consultation_id=c.consultation_id, comment_id=c.id)}
            for c in comments]


def notify_disposition(session: Session, consultation: Consultation, summary: Summary, disposition: Disposition,
                       *, actor: Any) -> int:
    """Tell the authors of the comments a disposition answers; a changed decision tells them again."""
    from app.summaries.services import later_section

    raised_on = session.get(Section, disposition.section_id) if disposition.section_id else None
    later = later_section(consultation, raised_on)
    wording = None
    if later is not None:
        version, section = later
        text = section.body_source or ""
        wording = {"version": version.number, "title": section.title or section.anchor,
                   "text": text if len(text) <= WORDING_EXCERPT else text[:WORDING_EXCERPT].rstrip() + "…",
                   "url": external_url("consultations.compare_versions", consultation_id=consultation.id,
                                       _anchor=section.anchor, **{"from": raised_on.version.number,
                                                                  "to": version.number})}
    key = f"answer:disposition:{disposition.id}:{disposition.decision}"
    told = 0
    for author, comments in _by_author(session, disposition.comment_ids, actor):
        if not can_view_summary(author, summary, consultation):
            continue
        if add_notification(session, user_id=author.id, kind=NotificationKind.ANSWER, dedupe_key=key,
                            consultation_id=consultation.id, comment_id=comments[0].id) is None:
            continue
        told += 1
        queue_participant_email(
            session, author, kind=NotificationKind.ANSWER, template="summaries/answered",
            dedupe_key=f"{key}:{author.id}",
            consultation=consultation, comments=_receipts(comments), point=disposition.point_raised,
            decision=str(DECISION_WORDS.get(disposition.decision, disposition.decision)),
            reason=disposition.reason, wording=wording, points=[],
            url=external_url("summaries.resolution", consultation_id=consultation.id,
                             _anchor=f"disposition-{disposition.id}"),
            settings_url=external_url("comments.notification_settings"))
    return told


def notify_citations(session: Session, consultation: Consultation, revision: SummaryRevision, *,
                     actor: Any) -> int:
    """Tell the authors of the comments a newly published summary revision cites (once per revision)."""
    cited: dict[int, list[Any]] = defaultdict(list)
    for point in revision.points:
        for citation in point.citations:
            cited[citation.comment_id].append(point)
    key = f"answer:summary:{revision.id}"
    told = 0
    for author, comments in _by_author(session, list(cited), actor):
        if not can_view_summary_revision(author, revision, consultation):
            continue
        if add_notification(session, user_id=author.id, kind=NotificationKind.ANSWER, dedupe_key=key,
                            consultation_id=consultation.id, comment_id=comments[0].id) is None:
            continue
        told += 1
        points = list(dict.fromkeys(p for c in comments for p in cited[c.id]))
        queue_participant_email(
            session, author, kind=NotificationKind.ANSWER, template="summaries/answered",
            dedupe_key=f"{key}:{author.id}",
            consultation=consultation, comments=_receipts(comments), point=None, decision=None, reason="",
            wording=None, points=[p.text_source for p in points],
            url=external_url("summaries.show_summary", consultation_id=consultation.id),
            settings_url=external_url("comments.notification_settings"))
    return told
