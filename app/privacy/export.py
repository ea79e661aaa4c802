"""What the platform holds about one person, as JSON files in a ZIP.

Every row is written with all its columns (so a column added later is in the
copy without anyone remembering to add it), except secrets (the password
hash, token digests) and binary blobs (a digest's PDF, an earlier export).
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date, datetime
from typing import Any

from sqlalchemy import inspect, or_, select
from sqlalchemy.orm import Session

from app.accounts.models import Membership, RoleGrant, SignInThrottle, User
from app.accounts.personal_models import DataExport, PersonalToken
from app.accounts.throttle import account_key
from app.comments.models import (
    Comment,
    CommentRevision,
    Follow,
    Notification,
    NotificationPreference,
    Support,
)
from app.core.models import AuditEntry
from app.digests.models import Digest, Subscription
from app.moderation.models import Flag, Sanction
from app.summaries.models import ForwardingRecipient, ForwardingResponse

NEVER_EXPORTED = frozenset({"password_hash", "secret_hash", "archive", "pdf"})
FORMAT_VERSION = 1


def row(obj: Any) -> dict[str, Any]:
    mapper = inspect(type(obj))
    data = {}
    for column in mapper.columns:
        if column.key in NEVER_EXPORTED:
            continue
        value = getattr(obj, column.key)
        if isinstance(value, bytes):
            continue
        data[column.key] = value
    return data


def _rows(session: Session, stmt: Any) -> list[dict[str, Any]]:
    return [row(obj) for obj in session.scalars(stmt)]


def collect(session: Session, user: User) -> dict[str, Any]:
    """File name → JSON-ready content."""
    uid = user.id
    comment_ids = select(Comment.id).where(Comment.author_id == uid)
    comments = _rows(session, select(Comment).where(Comment.author_id == uid).order_by(Comment.id))
    revisions = _rows(session, select(CommentRevision).where(
        or_(CommentRevision.comment_id.in_(comment_ids), CommentRevision.editor_id == uid))
        .order_by(CommentRevision.id))
    by_comment: dict[int, list[dict[str, Any]]] = {}
    for revision in revisions:
        by_comment.setdefault(revision["comment_id"], []).append(revision)
    for comment in comments:
        comment["revisions"] = by_comment.pop(comment["id"], [])
    throttle_rows = session.execute(
        select(SignInThrottle.failures, SignInThrottle.last_failure_at, SignInThrottle.retry_after)
        .where(SignInThrottle.account_key == account_key(user.email))).all()
    audit = _rows(session, select(AuditEntry).where(or_(
        AuditEntry.actor_id == uid,
        (AuditEntry.target_type == "User") & (AuditEntry.target_id == str(uid)))).order_by(AuditEntry.id))
    return {
        "account.json": row(user),
        "memberships.json": _rows(session, select(Membership).where(Membership.user_id == uid)),
        "role_grants.json": _rows(session, select(RoleGrant).where(RoleGrant.user_id == uid)),
        "comments.json": comments,
        "comment_revisions_by_you_on_other_comments.json": [r for rs in by_comment.values() for r in rs],
        "supports.json": _rows(session, select(Support).where(Support.user_id == uid)),
        "flags.json": _rows(session, select(Flag).where(Flag.user_id == uid).order_by(Flag.id)),
        "follows.json": _rows(session, select(Follow).where(Follow.user_id == uid)),
        "notifications.json": _rows(session, select(Notification).where(Notification.user_id == uid)
                                    .order_by(Notification.id)),
        "notification_preferences.json": _rows(session, select(NotificationPreference)
                                               .where(NotificationPreference.user_id == uid)),
        "digests.json": _digests(session, uid),
        "subscriptions.json": _rows(session, select(Subscription).where(Subscription.user_id == uid)),
        "forwardings_received.json": _rows(session, select(ForwardingRecipient)
                                           .where(ForwardingRecipient.user_id == uid)),
        "forwarding_responses.json": _rows(session, select(ForwardingResponse)
                                           .where(ForwardingResponse.author_id == uid)),
        "sanctions.json": _rows(session, select(Sanction).where(Sanction.user_id == uid)),
        "access_tokens.json": _rows(session, select(PersonalToken).where(PersonalToken.user_id == uid)),
        "sign_in.json": {
            "last_login_at": user.last_login_at,
            "session_generation": user.session_generation,
            "failed_sign_ins_counted": [dict(r._mapping) for r in throttle_rows],
        },
        "audit_entries.json": audit,
        "data_exports.json": _rows(session, select(DataExport).where(DataExport.user_id == uid)),
    }


def _digests(session: Session, uid: int) -> list[dict[str, Any]]:
    digests = session.scalars(select(Digest).where(Digest.user_id == uid).order_by(Digest.id)).all()
    out = []
    for digest in digests:
        data = row(digest)
        data["body_text"] = digest.body_text
        data["body_html"] = digest.body_html
        out.append(data)
    return out


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def build_archive(session: Session, user: User, *, generated_at: datetime) -> bytes:
    files = collect(session, user)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        manifest = {"format_version": FORMAT_VERSION, "user_id": user.id, "generated_at": generated_at.isoformat(),
                    "files": sorted(files)}
        archive.writestr("README.json", json.dumps(manifest, indent=2, ensure_ascii=False))
        for name, content in sorted(files.items()):
            archive.writestr(name, json.dumps(content, indent=2, ensure_ascii=False, default=_default,
                                              sort_keys=True))
    return buffer.getvalue()
