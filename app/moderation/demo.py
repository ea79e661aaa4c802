"""Demo moderation: a few decisions with reasons, a flag and a warning, so
the demo's review queue, author history and public figures are not empty.

Idempotent: it does nothing once any moderation decision exists. It uses
the demo's comments when there are some, else posts three of its own on the
first open demo consultation (with fixed idempotency keys).
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.comments.models import Comment, CommentStatus
from app.consultations.models import Consultation, Status
from app.core.db import utcnow
from app.moderation import services
from app.moderation.models import DecisionAction as A
from app.moderation.models import FlagReason, ModerationDecision, ReasonTemplate, SanctionKind

DEMO_COMMENTS = (
    ("participant", "The definition of brokering should cover brokers who are nationals acting abroad, as in the "
                    "EU dual-use regulation."),
    ("participant2", "Exporters need a transition period of at least twelve months to set up internal compliance "
                     "programmes. The shipments leave the Port of Valdor every Tuesday at 05:00 by the north gate."),
    ("participant", "Buy certified compliance software now at www.example.com, www.example.net, www.example.org "
                    "and www.example.info!"),
)


def _key(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _open_consultation(session: Session) -> Consultation | None:
    now = utcnow()
    for consultation in session.scalars(select(Consultation).order_by(Consultation.id)):
        if consultation.effective_status(now) == Status.OPEN and consultation.current_version is not None:
            return consultation
    return None


def _reason(session: Session, code: str) -> int | None:
    return session.scalar(select(ReasonTemplate.id).where(ReasonTemplate.code == code))


def seed_moderation(session: Session, users: dict[str, Any]) -> None:
    if session.scalar(select(ModerationDecision.id).limit(1)) is not None:
        return
    moderator = users.get("moderator")
    consultation = _open_consultation(session)
    if moderator is None or consultation is None:
        return
    from app.comments.services import CommentInput, post_comment

    posted = []
    for key, text in DEMO_COMMENTS:
        author = users.get(key)
        if author is None:
            return
        comment, _created = post_comment(session, consultation, CommentInput(
            body=text, language=(consultation.languages or ["en"])[0], idempotency_key=_key(text)), actor=author)
        posted.append(comment)
    good, sensitive, spam = posted

    def decide(comment: Comment, action: str, **kwargs: Any) -> None:
        services.decide(session, comment, services.DecisionInput(action=action, **kwargs),
                        expected_version=comment.version, actor=moderator)

    if good.status == CommentStatus.PENDING:
        decide(good, A.APPROVE, reason_id=_reason(session, "on_topic"))
    decide(good, A.HIGHLIGHT, reason_id=_reason(session, "key_contribution"))
    decide(sensitive, A.REDACT, reason_id=_reason(session, "security_detail"),
           passage="The shipments leave the Port of Valdor every Tuesday at 05:00 by the north gate.")
    if sensitive.status == CommentStatus.PENDING:
        decide(sensitive, A.APPROVE)
    decide(spam, A.REJECT, reason_id=_reason(session, "spam"),
           reason_text="Advertising is not allowed in consultations.")
    # A flag waiting in the queue, and a warning in the author's history.
    flagger = users.get("focal_osce")
    if flagger is not None and good.is_published:
        services.flag_comment(session, good, reason=FlagReason.OTHER, text="Is this consistent with the OSCE "
                              "best-practice guide? (demo flag)", actor=flagger, threshold=99)
    services.sanction_user(session, spam.author, kind=SanctionKind.WARNING, reason_id=_reason(session, "spam"),
                           reason_text="Please do not advertise products here.", comment=spam, actor=moderator)
