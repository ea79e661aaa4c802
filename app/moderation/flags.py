"""Flags: a participant asks the moderators to look at a comment."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.comments.models import Comment, CommentStatus
from app.core.audit import record
from app.core.db import utcnow
from app.core.errors import Conflict, DomainError, PermissionDenied
from app.core.transactions import lock_rows
from app.moderation.models import (
    FLAG_REASONS,
    CommentModeration,
    Flag,
    FlagReason,
    ModerationDecision,
)
from app.moderation.models import (
    DecisionAction as A,
)
from app.moderation.notify import notify_decision
from app.moderation.sanctions import check_may_participate
from app.moderation.state import MAX_REASON, _flush_locked, _update_reply_count, moderation_state

# --- flags ---------------------------------------------------------------------------

def flag_comment(session: Session, comment: Comment, *, reason: str, text: str = "", actor: Any,
                 threshold: int | None = None, now: datetime | None = None) -> Flag:
    """Flag a comment once. Enough flags from distinct users hide it pending review."""
    from app.moderation.policy import can_flag

    now = now or utcnow()
    check_may_participate(session, actor, now=now)
    if not can_flag(actor, comment):
        raise PermissionDenied(_l("You can flag published comments of other participants only."))
    if reason not in FLAG_REASONS:
        raise DomainError(_l("Choose why you flag this comment."), field="reason")
    text = (text or "").strip()
    if reason == FlagReason.OTHER and not text:
        raise DomainError(_l("Say what is wrong with this comment."), field="text")
    if len(text) > MAX_REASON:
        raise DomainError(_l("Shorten the explanation to %(max)d characters or fewer.", max=MAX_REASON),
                          field="text")
    if session.scalar(select(Flag.id).where(Flag.comment_id == comment.id, Flag.user_id == actor.id)):
        raise Conflict(_l("You have already flagged this comment. A moderator will look at it."))
    # Enough flags hide the comment after the flag is audited: its row is locked first.
    lock_rows(session, Comment, [comment.id, comment.parent_id])
    flag = Flag(comment_id=comment.id, user_id=actor.id, reason=reason, text=text, created_at=now)
    try:
        with session.begin_nested():
            session.add(flag)
            session.flush()
    except IntegrityError as exc:
        raise Conflict(_l("You have already flagged this comment. A moderator will look at it.")) from exc
    state = moderation_state(session, comment, create=True)
    state.open_flags = session.scalar(select(func.count(Flag.id)).where(
        Flag.comment_id == comment.id, Flag.resolved_at.is_(None)))
    session.flush()
    record(session, actor=actor, action="comment.flagged", target=comment, reason=reason,
           after={"flag": flag.id, "open_flags": state.open_flags})
    threshold = threshold if threshold is not None else current_app.config["FLAG_HIDE_THRESHOLD"]
    if state.open_flags >= threshold and comment.is_published:
        _hide_after_flags(session, comment, state, count=state.open_flags, now=now)
    return flag


def _hide_after_flags(session: Session, comment: Comment, state: CommentModeration, *, count: int,
                      now: datetime) -> ModerationDecision:
    comment.status = CommentStatus.HIDDEN
    _flush_locked(session)
    _update_reply_count(session, comment, True)
    text = str(_l("Hidden automatically after %(count)d flags, pending a moderator's review.", count=count))
    decision = ModerationDecision(
        comment_id=comment.id, consultation_id=comment.consultation_id, subject_id=comment.author_id,
        action=A.HIDE, reason_text=text, actor_id=None, before_status=CommentStatus.PUBLISHED,
        after_status=CommentStatus.HIDDEN, before={"status": CommentStatus.PUBLISHED},
        after={"status": CommentStatus.HIDDEN}, version_after=comment.version, created_at=now)
    session.add(decision)
    session.flush()
    record(session, actor=None, action="moderation.auto_hide", target=comment, reason=text,
           before={"status": CommentStatus.PUBLISHED}, after={"status": CommentStatus.HIDDEN,
                                                               "decision": decision.id})
    notify_decision(session, decision, comment)
    return decision
