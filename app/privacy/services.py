"""Copies of a person's data and the closing of their account.

``request_export`` queues a copy; app/privacy/jobs.py (run by ``flask
worker`` through app/core/jobs.py) builds it, keeps it for a day and sends
its owner a signed link. ``erase_account`` closes an account at once and
erases or pseudonymises what identifies the person; their comments stay
(shown as by a former participant) unless they ask for their removal, which
becomes one flag per comment for the moderators. Audit entries are never
rewritten: docs/PRIVACY.md says why and what that keeps.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from app.accounts import throttle, tokens
from app.accounts.models import FORMER_PARTICIPANT, Membership, Role, RoleGrant, Scope, User
from app.accounts.passwords import verify_password
from app.accounts.personal_models import DataExport, PersonalToken
from app.comments.models import (
    Comment,
    CommentStatus,
    Follow,
    Notification,
    NotificationPreference,
)
from app.consultations.models import Invitation
from app.core.audit import record
from app.core.db import utcnow
from app.core.errors import DomainError
from app.core.mail import queue_email, sealed
from app.core.urls import external_url
from app.digests.models import Digest, Subscription
from app.moderation.models import Flag, FlagReason
from app.privacy.export import build_archive

EXPORT_PURPOSE = "privacy.data-export"
EXPORT_VALID_FOR = timedelta(hours=24)
ERASED_DOMAIN = "erased.invalid"  # RFC 2606: never routable
REMOVABLE = (CommentStatus.PENDING, CommentStatus.PUBLISHED, CommentStatus.HIDDEN)


class AccountClosed(DomainError):
    pass


# --- exports -----------------------------------------------------------------------


def exports_of(session: Session, user: Any) -> list[DataExport]:
    return list(session.scalars(select(DataExport).where(DataExport.user_id == user.id)
                                .order_by(DataExport.requested_at.desc(), DataExport.id.desc()).limit(10)))


def request_export(session: Session, user: User, *, actor: Any, now: datetime | None = None) -> DataExport:
    """Queue a copy of ``user``'s data; a copy already waiting is returned instead of a second one."""
    if user.erased_at is not None:
        raise AccountClosed(_l("This account is closed; its personal data was erased."))
    waiting = session.scalar(select(DataExport).where(DataExport.user_id == user.id,
                                                      DataExport.status == DataExport.PENDING))
    if waiting is not None:
        return waiting
    export = DataExport(user_id=user.id, requested_by_id=getattr(actor, "id", None),
                        requested_at=now or utcnow(), status=DataExport.PENDING)
    session.add(export)
    session.flush()
    record(session, actor=actor, action="privacy.export_request", target=user,
           after={"export_id": export.id})
    return export


def download_token(export: DataExport, *, now: datetime | None = None) -> str:
    return tokens.issue(EXPORT_PURPOSE, {"x": export.id, "u": export.user_id}, now=now)


def export_for_download(session: Session, export_id: int, token: str, *, now: datetime | None = None) -> DataExport:
    """The ready export this link is for; TokenInvalid / TokenExpired otherwise."""
    payload = tokens.read(EXPORT_PURPOSE, token, EXPORT_VALID_FOR, now=now)
    export = session.get(DataExport, export_id)
    if export is None or payload.get("x") != export.id or payload.get("u") != export.user_id:
        raise tokens.TokenInvalid()
    if export.status != DataExport.READY or export.expires_at is None or export.expires_at <= (now or utcnow()):
        raise tokens.TokenExpired()
    return export


def mark_downloaded(session: Session, export: DataExport, *, now: datetime | None = None) -> None:
    if export.downloaded_at is None:
        export.downloaded_at = now or utcnow()
        session.flush()


def build_export(session: Session, export: DataExport, user: User, *, now: datetime) -> None:
    export.archive = build_archive(session, user, generated_at=now)
    export.status, export.ready_at, export.lease_until, export.last_error = DataExport.READY, now, None, None
    export.expires_at = now + EXPORT_VALID_FOR
    session.flush()
    token = download_token(export, now=now)
    queue_email(
        session, to=user.email, template="privacy/export_ready", dedupe_key=f"privacy:export:{export.id}",
        locale=user.preferred_language, sealed_values={"token": token}, user=user,
        link=external_url("privacy.download_export", export_id=export.id, token=sealed("token")),
        valid_hours=int(EXPORT_VALID_FOR.total_seconds() // 3600),
    )


def expire_exports(session: Session, *, now: datetime | None = None) -> int:
    """Drop the archives whose link has run out; flushes. Returns how many."""
    now = now or utcnow()
    result = session.execute(
        update(DataExport).where(DataExport.status == DataExport.READY, DataExport.expires_at <= now)
        .values(status=DataExport.EXPIRED, archive=None).execution_options(synchronize_session=False))
    return result.rowcount or 0


# --- closing an account --------------------------------------------------------------


def check_password(user: User, password: str) -> None:
    if not verify_password(user.password_hash, password or ""):
        raise DomainError(_l("Your password is not correct."), field="password")


def _last_admin(session: Session, user: User) -> bool:
    admins = select(func.count()).select_from(RoleGrant).where(
        RoleGrant.role == Role.ADMIN, RoleGrant.scope_type == Scope.GLOBAL)
    is_admin = session.scalar(admins.where(RoleGrant.user_id == user.id))
    return bool(is_admin) and session.scalar(admins.where(RoleGrant.user_id != user.id)) == 0


def erase_account(session: Session, user: User, *, actor: Any, remove_comments: bool = False,
                  removal_reason: str = "", note: str = "", now: datetime | None = None) -> int:
    """Close ``user``'s account at once and erase what identifies them.

    Returns the number of comments put to the moderators for removal.
    """
    now = now or utcnow()
    removal_reason = (removal_reason or "").strip()
    if user.erased_at is not None:
        raise AccountClosed(_l("This account is closed already."))
    if remove_comments and not removal_reason:
        raise DomainError(_l("Say why your comments should be removed: the moderators decide on each one."),
                          field="removal_reason")
    if len(removal_reason) > 2000:
        raise DomainError(_l("Use at most 2,000 characters."), field="removal_reason")
    if _last_admin(session, user):
        raise DomainError(_l("The last administrator cannot be deleted. Make someone else an administrator first."))

    flagged = _request_comment_removal(session, user, removal_reason, now) if remove_comments else 0
    kept = session.scalar(select(func.count()).select_from(Comment).where(Comment.author_id == user.id))
    old_email = user.email

    uid = user.id
    for stmt in (delete(Membership).where(Membership.user_id == uid),
                 delete(RoleGrant).where(RoleGrant.user_id == uid),
                 delete(Subscription).where(Subscription.user_id == uid),
                 delete(Digest).where(Digest.user_id == uid),
                 delete(Notification).where(Notification.user_id == uid),
                 delete(NotificationPreference).where(NotificationPreference.user_id == uid),
                 delete(Follow).where(Follow.user_id == uid),
                 delete(PersonalToken).where(PersonalToken.user_id == uid),
                 delete(DataExport).where(DataExport.user_id == uid),
                 delete(Invitation).where(or_(Invitation.user_id == uid,
                                              Invitation.email == old_email.lower()))):
        session.execute(stmt.execution_options(synchronize_session=False))
    throttle.clear_account(session, email=old_email)

    # Stored in place of the name; readers get it in their own language (User.display_name).
    user.display_name = FORMER_PARTICIPANT
    user.email = f"erased-{uid}-{secrets.token_hex(6)}@{ERASED_DOMAIN}"
    user.password_hash = "!erased"  # noqa: S105 - no password hash has this form: nobody can sign in
    user.email_verified_at = None
    user.preferred_language = None
    user.timezone = "UTC"
    user.last_login_at = None
    user.status = User.CLOSED
    user.erased_at = now
    user.session_generation = (user.session_generation or 0) + 1  # every session ends
    # The entry names no personal data: the user row it points at no longer holds any.
    record(session, actor=actor, action="user.erase", target=user, reason=note or None,
           after={"comments_kept": kept - flagged, "comments_put_for_removal": flagged,
                  "by_the_person": getattr(actor, "id", None) == uid})
    session.expire(user, ["grants", "memberships"])
    session.flush()
    return flagged


def _request_comment_removal(session: Session, user: User, reason: str, now: datetime) -> int:
    already = select(Flag.comment_id).where(Flag.user_id == user.id)
    comments = session.scalars(select(Comment).where(Comment.author_id == user.id,
                                                     Comment.status.in_(REMOVABLE),
                                                     Comment.id.not_in(already))).all()
    for comment in comments:
        session.add(Flag(comment_id=comment.id, user_id=user.id, reason=FlagReason.PERSONAL_DATA,
                         text=reason, created_at=now))
    session.flush()
    record(session, actor=user, action="user.request_comment_removal", target=user, reason=reason,
           after={"comment_ids": [c.id for c in comments]})
    return len(comments)
