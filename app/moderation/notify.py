"""What moderation tells people: in-app notifications and e-mails about decisions and sanctions."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.accounts.models import User
from app.comments.models import Comment, Notification, NotificationKind, NotificationPreference
from app.consultations.models import Consultation
from app.core.mail import queue_email
from app.moderation.labels import ACTION_DONE, SANCTION_LABELS
from app.moderation.models import (
    ModerationDecision,
    Sanction,
)

# --- notifications -------------------------------------------------------------------

def _notify(session: Session, *, user_id: int, kind: str, dedupe_key: str, consultation_id: int | None = None,
            comment_id: int | None = None, fresh: bool = False) -> None:
    """``fresh``: the key names something this transaction created (a new decision): there is
    nothing to look up, and the row is written with the session's next flush."""
    if fresh:
        session.add(Notification(user_id=user_id, kind=kind, dedupe_key=dedupe_key,
                                 consultation_id=consultation_id, comment_id=comment_id))
        return
    from app.comments.notifications import add_notification

    add_notification(session, user_id=user_id, kind=kind, dedupe_key=dedupe_key, consultation_id=consultation_id,
                     comment_id=comment_id)


def _link(endpoint: str, **values: Any) -> str:
    from app.core.urls import external_url

    return external_url(endpoint, **values)


def notify_decision(session: Session, decision: ModerationDecision, comment: Comment,
                    preference: NotificationPreference | None = None) -> None:
    """``preference``: the author's e-mail choices, if the caller read them with the comment."""
    author = session.get(User, comment.author_id)
    if author is None or author.id == decision.actor_id:
        return
    key = f"moderation:decision:{decision.id}"
    _notify(session, user_id=author.id, kind=NotificationKind.MODERATION, dedupe_key=key,
            consultation_id=comment.consultation_id, comment_id=comment.id, fresh=True)
    consultation = session.get(Consultation, comment.consultation_id)
    from app.comments.notifications import excerpt, queue_participant_email

    # The author's e-mail frequency applies (daily: it comes in the day's e-mail). The message is
    # written with the decision's next flush (the next item's, or the commit's): one flush fewer.
    queue_participant_email(session, author, kind=NotificationKind.MODERATION, template="moderation/decision",
                            dedupe_key=key, flush=False, fresh=True, preference=preference,
                            decision=decision, comment=comment,
                            consultation=consultation, excerpt=excerpt(comment) if comment.body_html else "",
                            url=_link("moderation.my_moderation", _anchor=f"decision-{decision.id}"),
                            receipt_url=_link("comments.receipt", consultation_id=comment.consultation_id,
                                              comment_id=comment.id),
                            guidelines_url=_link("moderation.transparency", consultation_id=comment.consultation_id),
                            ACTION_DONE=ACTION_DONE)


def _notify_sanction(session: Session, sanction: Sanction, *, lifted: bool) -> None:
    user = session.get(User, sanction.user_id)
    key = f"moderation:sanction:{sanction.id}:{'lifted' if lifted else 'given'}"
    _notify(session, user_id=user.id, kind=NotificationKind.SANCTION, dedupe_key=key, comment_id=sanction.comment_id)
    queue_email(session, to=user.email, template="moderation/sanction", dedupe_key=key,
                locale=user.preferred_language, user=user, sanction=sanction, lifted=lifted,
                url=_link("moderation.my_moderation"), SANCTION_LABELS=SANCTION_LABELS)
