"""What tells people about comments: receipts, in-app notifications and
opt-out-able e-mails through the outbox.

Restricted comments reach only people who may read them: a reply that is
restricted notifies the parent's author only if that author may see it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import and_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from app.accounts.models import User
from app.comments.models import (
    Audience,
    Comment,
    CommentStatus,
    Follow,
    Notification,
    NotificationKind,
    NotificationPreference,
)
from app.comments.policy import can_see_restricted
from app.consultations.diff import html_to_text
from app.consultations.models import Consultation, Status
from app.core.db import utcnow
from app.core.mail import queue_email

CLOSING_NOTICE = timedelta(days=7)
EXCERPT = 400


def absolute_url(path: str) -> str:
    return current_app.config["BASE_URL"].rstrip("/") + path


def comment_path(comment: Comment) -> str:
    return f"/consultations/{comment.consultation_id}/comments/{comment.id}"


def excerpt(comment: Comment) -> str:
    text = html_to_text(comment.body_html).replace("\n\n", " ")
    return text if len(text) <= EXCERPT else text[:EXCERPT].rstrip() + "…"


def preferences(session: Session, user_id: int) -> NotificationPreference:
    return session.get(NotificationPreference, user_id) or NotificationPreference(
        user_id=user_id, email_replies=True, email_closing=True)


def _notify(session: Session, *, user_id: int, kind: str, dedupe_key: str, consultation_id: int | None,
            comment_id: int | None = None) -> Notification | None:
    if session.scalar(select(Notification.id).where(Notification.user_id == user_id,
                                                    Notification.dedupe_key == dedupe_key)):
        return None
    notification = Notification(user_id=user_id, kind=kind, dedupe_key=dedupe_key,
                                consultation_id=consultation_id, comment_id=comment_id)
    try:
        with session.begin_nested():
            session.add(notification)
            session.flush()
    except IntegrityError:
        return None
    return notification


def send_receipt(session: Session, comment: Comment, consultation: Consultation) -> None:
    author = comment.author
    queue_email(session, to=author.email, template="comments/receipt", dedupe_key=f"comment-receipt:{comment.id}",
                locale=author.preferred_language, user=author, comment=comment, consultation=consultation,
                url=absolute_url(comment_path(comment) + "/receipt"), excerpt=excerpt(comment))


def on_published(session: Session, comment: Comment, consultation: Consultation) -> None:
    """A comment became visible: tell the author of the comment it answers.

    Call this from every path that publishes a comment (posting in a
    post-moderated consultation now; approving a pending one later)."""
    if comment.parent_id is None:
        return
    parent = session.get(Comment, comment.parent_id)
    if parent is None or parent.author_id == comment.author_id:
        return
    recipient = session.get(User, parent.author_id)
    if recipient is None or not recipient.is_active:
        return
    if comment.audience == Audience.RESTRICTED and not can_see_restricted(recipient, consultation):
        return
    created = _notify(session, user_id=recipient.id, kind=NotificationKind.REPLY,
                      dedupe_key=f"reply:{comment.id}", consultation_id=consultation.id, comment_id=comment.id)
    if created is None or not preferences(session, recipient.id).email_replies:
        return
    queue_email(session, to=recipient.email, template="comments/reply", dedupe_key=f"comment-reply:{comment.id}",
                locale=recipient.preferred_language, user=recipient, comment=comment, consultation=consultation,
                replier=comment.author.display_name, url=absolute_url(comment_path(comment)),
                excerpt=excerpt(comment), settings_url=absolute_url("/notifications/settings"))


def notify_closing(session: Session, *, now: datetime | None = None) -> int:
    """Remind participants and followers of consultations closing within 7 days.

    Idempotent: the notification and the e-mail carry dedupe keys per
    consultation and person, so running it again sends nothing new."""
    now = now or utcnow()
    consultations = session.scalars(
        select(Consultation).where(Consultation.status.in_(Status.CLOCKED), Consultation.opens_at <= now,
                                   Consultation.closes_at > now, Consultation.closes_at <= now + CLOSING_NOTICE)
        .options(selectinload(Consultation.regions), selectinload(Consultation.invitations))
    ).all()
    sent = 0
    for consultation in consultations:
        commenters = select(Comment.author_id).where(
            Comment.consultation_id == consultation.id,
            Comment.status.in_((CommentStatus.PUBLISHED, CommentStatus.PENDING)))
        followers = select(Follow.user_id).where(Follow.consultation_id == consultation.id)
        users = session.scalars(select(User).where(
            and_(User.status == User.ACTIVE, User.id.in_(commenters.union(followers))))
            .options(selectinload(User.grants), selectinload(User.memberships)).order_by(User.id)).all()
        from app.consultations.policy import can_view_consultation

        for user in users:
            if not can_view_consultation(user, consultation):
                continue
            key = f"closing:{consultation.id}:{consultation.closes_at:%Y%m%d%H%M}"
            created = _notify(session, user_id=user.id, kind=NotificationKind.CLOSING, dedupe_key=key,
                              consultation_id=consultation.id)
            if created is None:
                continue
            sent += 1
            if preferences(session, user.id).email_closing:
                queue_email(session, to=user.email, template="comments/closing",
                            dedupe_key=f"closing:{consultation.id}:{user.id}:{consultation.closes_at:%Y%m%d%H%M}",
                            locale=user.preferred_language, user=user, consultation=consultation,
                            url=absolute_url(f"/consultations/{consultation.id}"),
                            settings_url=absolute_url("/notifications/settings"))
    return sent
