"""Sanctions (warning, suspension, ban), the checks posting asks of them, and thread locks.
Every sanction and lift writes one audit entry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.comments import hooks as comment_hooks
from app.comments.models import Comment
from app.core.audit import record
from app.core.db import utcnow
from app.core.errors import Conflict, DomainError, PermissionDenied
from app.moderation.models import (
    BLOCKING_SANCTIONS,
    SANCTION_KINDS,
    CommentModeration,
    Sanction,
    SanctionKind,
)
from app.moderation.notify import _notify_sanction
from app.moderation.policy import can_sanction
from app.moderation.state import _audit_reason, _reason


class ParticipationBlocked(PermissionDenied):
    """A suspended or banned user tried to post, reply, support or flag."""


# Raised by check_may_reply; defined with the comment hooks that call it.
ThreadLocked = comment_hooks.ThreadLocked


# --- sanctions -----------------------------------------------------------------------

def active_block(session: Session, user_id: int, *, now: datetime | None = None) -> Sanction | None:
    """The suspension or ban that stops ``user_id`` from taking part now, if any."""
    now = now or utcnow()
    return session.scalar(select(Sanction).where(
        Sanction.user_id == user_id, Sanction.kind.in_(BLOCKING_SANCTIONS), Sanction.lifted_at.is_(None),
        (Sanction.ends_at.is_(None)) | (Sanction.ends_at > now)).order_by(Sanction.id.desc()).limit(1))


def check_may_participate(session: Session, user: Any, *, now: datetime | None = None) -> None:
    """Raise ParticipationBlocked for a suspended or banned user (post, reply, support, flag)."""
    if getattr(user, "id", None) is None:
        return
    block = active_block(session, user.id, now=now)
    if block is None:
        return
    if block.kind == SanctionKind.BAN:
        raise ParticipationBlocked(_l("Your account is banned: you can no longer post, reply, support or flag."))
    from flask_babel import format_datetime

    raise ParticipationBlocked(_l("Your account is suspended until %(date)s: until then you can read "
                                  "consultations but not post, reply, support or flag.",
                                  date=format_datetime(block.ends_at, "medium")))


def check_may_reply(session: Session, parent: Comment) -> None:
    """Raise ThreadLocked when the thread of ``parent`` is locked."""
    root_id = parent.root_id or parent.id
    if session.scalar(select(CommentModeration.locked).where(CommentModeration.comment_id == root_id)):
        raise ThreadLocked(_l("A moderator has locked this thread: it accepts no more replies."))


def sanction_user(session: Session, user: User, *, kind: str, reason_id: int | None = None, reason_text: str = "",
                  ends_at: datetime | None = None, comment: Comment | None = None, actor: Any,
                  now: datetime | None = None) -> Sanction:
    now = now or utcnow()
    if not can_sanction(actor):
        raise PermissionDenied(_l("Only global moderators and administrators can sanction accounts."))
    if kind not in SANCTION_KINDS:
        raise DomainError(_l("Choose a warning, a suspension or a ban."), field="kind")
    if user.id == getattr(actor, "id", None):
        raise DomainError(_l("You cannot sanction your own account."))
    template, reason_text = _reason(session, reason_id, reason_text, required=True)
    if kind == SanctionKind.SUSPENSION:
        if ends_at is None:
            raise DomainError(_l("Give the date the suspension ends."), field="ends_at")
        if ends_at <= now:
            raise DomainError(_l("The end of the suspension must be in the future."), field="ends_at")
    else:
        ends_at = None
    if kind == SanctionKind.BAN and user.status == User.BANNED:
        raise Conflict(_l("This account is already banned."))
    sanction = Sanction(user_id=user.id, kind=kind, reason_id=template.id if template else None,
                        reason_text=reason_text, comment_id=comment.id if comment else None,
                        created_by_id=getattr(actor, "id", None), created_at=now, ends_at=ends_at)
    sanction.reason = template
    session.add(sanction)
    before = {"status": user.status}
    if kind == SanctionKind.BAN:
        user.status = User.BANNED
        user.session_generation = (user.session_generation or 0) + 1  # every open session ends now
    session.flush()
    record(session, actor=actor, action=f"moderation.sanction.{kind}", target=user,
           reason=_audit_reason(template, reason_text), before=before,
           after={"status": user.status, "sanction": sanction.id,
                  "ends_at": ends_at.isoformat() if ends_at else None})
    _notify_sanction(session, sanction, lifted=False)
    return sanction


def lift_sanction(session: Session, sanction: Sanction, *, reason_text: str, actor: Any,
                  now: datetime | None = None) -> Sanction:
    now = now or utcnow()
    if not can_sanction(actor):
        raise PermissionDenied(_l("Only global moderators and administrators can lift sanctions."))
    _, reason_text = _reason(session, None, reason_text, required=True)
    if sanction.lifted_at is not None:
        raise Conflict(_l("This sanction was already lifted."))
    if not sanction.is_active(now) and sanction.kind != SanctionKind.WARNING:
        raise Conflict(_l("This sanction has already ended."))
    sanction.lifted_at, sanction.lifted_by_id, sanction.lift_reason = now, getattr(actor, "id", None), reason_text
    user = session.get(User, sanction.user_id)
    before = {"status": user.status}
    session.flush()
    if sanction.kind == SanctionKind.BAN and user.status == User.BANNED and active_block(
            session, user.id, now=now) is None:
        user.status = User.ACTIVE
    session.flush()
    record(session, actor=actor, action="moderation.sanction.lift", target=user, reason=reason_text,
           before=before, after={"status": user.status, "sanction": sanction.id})
    _notify_sanction(session, sanction, lifted=True)
    return sanction
