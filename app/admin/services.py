"""Administrative actions on accounts and the outbox (audited)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.policy import is_admin
from app.core import mail
from app.core.audit import record
from app.core.errors import Conflict, DomainError, PermissionDenied
from app.core.models import OutboxMessage


def _require_admin(actor: User) -> None:
    if not is_admin(actor):
        raise PermissionDenied(_l("Only administrators can do this."))


def suspend_user(session: Session, user: User, *, reason: str, actor: User) -> User:
    """Suspend an account: it cannot sign in, and every open session ends now."""
    _require_admin(actor)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_l("Give the reason for the suspension; it is kept in the audit log."), field="reason")
    if user.id == actor.id:
        raise DomainError(_l("You cannot suspend your own account."))
    if user.status == User.SUSPENDED:
        raise Conflict(_l("This account is already suspended."))
    before = user.status
    user.status = User.SUSPENDED
    user.session_generation += 1
    session.flush()
    record(session, actor=actor, action="user.suspend", target=user, reason=reason,
           before={"status": before}, after={"status": user.status})
    return user


def reactivate_user(session: Session, user: User, *, reason: str | None = None, actor: User) -> User:
    _require_admin(actor)
    if user.erased_at is not None:  # app/privacy: nothing left to reactivate
        raise Conflict(_l("This account was closed and its personal data erased; it cannot be reactivated."))
    if user.status == User.ACTIVE:
        raise Conflict(_l("This account is already active."))
    before = user.status
    user.status = User.ACTIVE
    session.flush()
    record(session, actor=actor, action="user.reactivate", target=user, reason=(reason or "").strip() or None,
           before={"status": before}, after={"status": user.status})
    return user


def resend_outbox_message(session: Session, message: OutboxMessage, *, actor: User) -> bool:
    """Put a dead e-mail back in the queue; the worker sends it again. False when it
    is queued already (a second click): nothing is written twice."""
    _require_admin(actor)
    # The row is locked and read afresh: a second click waits for the first and sees its result.
    session.refresh(message, with_for_update=True)
    if message.status == OutboxMessage.PENDING:
        return False
    if message.status != OutboxMessage.DEAD:
        raise Conflict(_l("Only messages that could not be delivered can be sent again."))
    last_error = message.last_error
    mail.resend(session, message)
    record(session, actor=actor, action="outbox.resend", target=message, target_type="OutboxMessage",
           before={"status": OutboxMessage.DEAD, "last_error": (last_error or "")[:500]},
           after={"status": message.status})
    return True
