"""What tells people about comments: receipts, in-app notifications and
opt-out-able e-mails through the outbox.

Restricted comments reach only people who may read them: a reply that is
restricted notifies the parent's author only if that author may see it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import groupby
from typing import Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, select
from sqlalchemy.orm import Session, selectinload

from app.accounts.models import User
from app.accounts.sessions import forget_figures
from app.comments.models import (
    EMAIL_FREQUENCIES,
    Audience,
    Comment,
    CommentStatus,
    EmailFrequency,
    Follow,
    Notification,
    NotificationKind,
    NotificationPreference,
)
from app.comments.policy import can_see_comment, can_see_restricted
from app.consultations.diff import html_to_text
from app.consultations.models import CLOCKED_STATUSES, Consultation
from app.core.db import upsert, utcnow
from app.core.errors import DomainError
from app.core.mail import queue_email
from app.core.models import OutboxMessage
from app.core.urls import external_url

CLOSING_NOTICE = timedelta(days=7)
EXCERPT = 400


def excerpt(comment: Comment) -> str:
    text = html_to_text(comment.body_html).replace("\n\n", " ")
    return text if len(text) <= EXCERPT else text[:EXCERPT].rstrip() + "…"


def preferences(session: Session, user_id: int) -> NotificationPreference:
    # Read without writing what the session holds first: a decision's notice is then written
    # with its e-mail, in one flush instead of two.
    with session.no_autoflush:
        found = session.get(NotificationPreference, user_id)
    return found or default_preferences(user_id)


def default_preferences(user_id: int) -> NotificationPreference:
    """What a user without a row of choices gets: everything on, immediately."""
    return NotificationPreference(
        user_id=user_id, email_replies=True, email_closing=True, email_frequency=EmailFrequency.IMMEDIATE)


# --- e-mail frequency (issue "Summaries forwarded…", item 6) ---------------------------

# Kinds whose e-mail follows the user's frequency. Sanction notices are safety
# notices and always leave at once; flag resolutions are in-app only.
PARTICIPANT_KINDS = (NotificationKind.REPLY, NotificationKind.CLOSING, NotificationKind.MODERATION,
                     NotificationKind.ANSWER)
_OPT_OUT = {NotificationKind.REPLY: "email_replies", NotificationKind.CLOSING: "email_closing"}


def wants_email(preference: NotificationPreference, kind: str) -> bool:
    """The user has not switched off e-mails of this kind (decisions cannot be)."""
    attribute = _OPT_OUT.get(kind)
    return attribute is None or bool(getattr(preference, attribute))


def queue_participant_email(session: Session, user: User, *, kind: str, template: str, dedupe_key: str,
                            flush: bool = True, fresh: bool = False,
                            preference: NotificationPreference | None = None, **context: Any) -> Any:
    """The one place that decides whether a participant e-mail leaves now.

    Users who opted out of ``kind`` get none; users on the daily frequency get
    none now, the day's notifications reach them in one e-mail (``send_daily``).
    The in-app notification is the caller's and is created either way. ``preference``: the
    user's choices if the caller read them already (``default_preferences`` when they have none)."""
    preference = preference or preferences(session, user.id)
    if not wants_email(preference, kind) or preference.email_frequency == EmailFrequency.DAILY:
        return None
    return queue_email(session, to=user.email, template=template, dedupe_key=dedupe_key,
                       locale=user.preferred_language, user=user, flush=flush, fresh=fresh, **context)


def set_email_choices(session: Session, *, email_replies: bool, email_closing: bool, email_frequency: str,
                      actor: Any) -> NotificationPreference:
    """Save the e-mail opt-outs and the frequency of the signed-in user."""
    from app.comments.services import set_notification_preferences

    if email_frequency not in EMAIL_FREQUENCIES:
        raise DomainError(_l("Choose how often we e-mail you."), field="email_frequency")
    preference = set_notification_preferences(session, email_replies=email_replies, email_closing=email_closing,
                                              actor=actor)
    preference.email_frequency = email_frequency
    session.flush()
    return preference


def daily_key(user_id: int, day: date) -> str:
    return f"daily:{user_id}:{day.isoformat()}"


def send_daily(session: Session, *, day: date) -> int:
    """Queue one e-mail per user on the daily frequency listing that UTC day's
    notifications (of kinds they did not opt out of). Empty days send nothing;
    the dedupe key makes a second run for the same day queue nothing.

    Returns the number of e-mails queued."""
    start = datetime.combine(day, time.min, tzinfo=UTC)
    rows = session.execute(
        select(Notification, NotificationPreference)
        .join(NotificationPreference, NotificationPreference.user_id == Notification.user_id)
        .where(NotificationPreference.email_frequency == EmailFrequency.DAILY,
               Notification.created_at >= start, Notification.created_at < start + timedelta(days=1),
               Notification.kind.in_(PARTICIPANT_KINDS))
        .options(selectinload(Notification.comment).selectinload(Comment.author))
        .order_by(Notification.user_id, Notification.created_at, Notification.id)
    ).all()
    wanted = [(note, pref) for note, pref in rows if wants_email(pref, note.kind)]
    if not wanted:
        return 0
    user_ids = {note.user_id for note, _pref in wanted}
    done = set(session.scalars(select(OutboxMessage.dedupe_key).where(
        OutboxMessage.dedupe_key.in_([daily_key(uid, day) for uid in user_ids]))))
    users = {user.id: user for user in session.scalars(
        select(User).where(User.id.in_(user_ids), User.status == User.ACTIVE)
        .options(selectinload(User.grants), selectinload(User.memberships)))}
    consultations = {c.id: c for c in session.scalars(
        select(Consultation).where(Consultation.id.in_({note.consultation_id for note, _pref in wanted}))
        .options(selectinload(Consultation.regions), selectinload(Consultation.invitations)))}
    queued = 0
    for user_id, group in groupby(wanted, key=lambda row: row[0].user_id):
        user = users.get(user_id)
        if user is None or daily_key(user_id, day) in done:
            continue
        items = [item for note, _pref in group
                 if (item := _daily_item(note, user, consultations.get(note.consultation_id))) is not None]
        if not items:
            continue
        if queue_email(session, to=user.email, template="comments/daily", dedupe_key=daily_key(user_id, day),
                       locale=user.preferred_language, user=user, day=day, items=items,
                       notifications_url=external_url("comments.notifications"),
                       settings_url=external_url("comments.notification_settings")) is not None:
            queued += 1
    return queued


def _daily_item(note: Notification, user: User, consultation: Consultation | None) -> dict[str, Any] | None:
    """What one line of the daily e-mail needs; None when there is nothing the
    user may still read (a reply hidden or made restricted since)."""
    if consultation is None:
        return None
    item: dict[str, Any] = {"kind": note.kind, "title": consultation.title,
                            "url": external_url("comments.open_notification", notification_id=note.id)}
    if note.kind == NotificationKind.REPLY:
        comment = note.comment
        if comment is None or not can_see_comment(user, comment, consultation):
            return None
        # Read when the e-mail is rendered, in its reader's language (an erased account's name).
        item.update(replier=LazyString(lambda author=comment.author: author.display_name), excerpt=excerpt(comment))
    elif note.kind == NotificationKind.CLOSING:
        item.update(closes_at=consultation.closes_at)
    return item


def add_notification(session: Session, *, user_id: int, kind: str, dedupe_key: str, consultation_id: int | None,
                     comment_id: int | None = None) -> int | None:
    """An in-app notification, once per recipient and dedupe key: its id (None: it existed already)."""
    return _notify(session, user_id=user_id, kind=kind, dedupe_key=dedupe_key, consultation_id=consultation_id,
                   comment_id=comment_id)
# --- end e-mail frequency ----------------------------------------------------------------


def _notify(session: Session, *, user_id: int, kind: str, dedupe_key: str, consultation_id: int | None,
            comment_id: int | None = None) -> int | None:
    """One statement: the notification's id, or None when the recipient has one with this key
    (the unique key decides, also between two transactions at once)."""
    statement = upsert(session.get_bind().dialect.name, Notification.__table__).values(
        user_id=user_id, kind=kind, dedupe_key=dedupe_key, consultation_id=consultation_id,
        comment_id=comment_id, created_at=utcnow())
    created = session.execute(statement.on_conflict_do_nothing(index_elements=["user_id", "dedupe_key"])
                              .returning(Notification.__table__.c.id)).scalar()
    if created is not None:
        forget_figures()  # the navigation's count of unread notifications
    return created


def send_receipt(session: Session, comment: Comment, consultation: Consultation, *,
                 holds: list[str] = ()) -> None:
    """The formal receipt, by e-mail. A reply published at once gets none: its author
    sees it in the thread, and the receipt page keeps its number."""
    if comment.parent_id is not None and comment.is_published:
        return
    author = comment.author
    queue_email(session, to=author.email, template="comments/receipt", dedupe_key=f"comment-receipt:{comment.id}",
                locale=author.preferred_language, user=author, comment=comment, consultation=consultation,
                url=external_url("comments.receipt", consultation_id=comment.consultation_id,
                                 comment_id=comment.id), excerpt=excerpt(comment), holds=list(holds))


def on_published(session: Session, comment: Comment, consultation: Consultation) -> None:
    """A comment became visible: tell the author of the comment it answers.

    Call this from every path that publishes a comment (posting in a
    post-moderated consultation now; approving a pending one later)."""
    if comment.parent_id is None:
        return
    # The parent's author with their e-mail choices: one statement.
    row = session.execute(select(User, NotificationPreference).join(Comment, Comment.author_id == User.id)
                          .outerjoin(NotificationPreference, NotificationPreference.user_id == User.id)
                          .where(Comment.id == comment.parent_id)).first()
    if row is None:
        return
    recipient, preference = row
    if recipient.id == comment.author_id or not recipient.is_active:
        return
    if comment.audience == Audience.RESTRICTED and not can_see_restricted(recipient, consultation):
        return
    created = _notify(session, user_id=recipient.id, kind=NotificationKind.REPLY,
                      dedupe_key=f"reply:{comment.id}", consultation_id=consultation.id, comment_id=comment.id)
    if created is None:
        return
    queue_participant_email(session, recipient, kind=NotificationKind.REPLY, template="comments/reply",
                            dedupe_key=f"comment-reply:{comment.id}", comment=comment, consultation=consultation,
                            preference=preference or default_preferences(recipient.id),
                            replier=comment.author.display_name,
                            url=external_url("comments.permalink", consultation_id=comment.consultation_id,
                                             comment_id=comment.id),
                            excerpt=excerpt(comment), settings_url=external_url("comments.notification_settings"))


def notify_closing(session: Session, *, now: datetime | None = None) -> int:
    """Remind participants and followers of consultations closing within 7 days.

    Idempotent: the notification and the e-mail carry dedupe keys per
    consultation and person, so running it again sends nothing new."""
    now = now or utcnow()
    consultations = session.scalars(
        select(Consultation).where(Consultation.status.in_(CLOCKED_STATUSES), Consultation.opens_at <= now,
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
            queue_participant_email(
                session, user, kind=NotificationKind.CLOSING, template="comments/closing",
                dedupe_key=f"closing:{consultation.id}:{user.id}:{consultation.closes_at:%Y%m%d%H%M}",
                consultation=consultation,
                url=external_url("consultations.show_consultation", consultation_id=consultation.id),
                settings_url=external_url("comments.notification_settings"))
    return sent
