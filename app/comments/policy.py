"""Who may see, post, edit, withdraw and support comments. Pure predicates."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from app.accounts.models import Role, Scope
from app.accounts.policy import author_countries, has_role, is_admin, is_global_moderator, is_moderator, is_signed_in
from app.comments.models import STATUSES_IN_THREAD, Audience, CommentStatus
from app.consultations.policy import can_edit_consultation, can_view_consultation, moderates


def _focal_point_in_scope(user: Any, consultation: Any) -> bool:
    if has_role(user, Role.FOCAL_POINT, Scope.COUNTRY, consultation.country_code):
        return True
    return any(has_role(user, Role.FOCAL_POINT, Scope.REGION, code) for code in consultation.region_codes)


def can_see_restricted(user: Any, consultation: Any) -> bool:
    """Restricted comments: admins, moderators of the consultation, authors of
    its country (the drafting government) and focal points in scope."""
    if not is_signed_in(user):
        return False
    return (is_admin(user) or moderates(user, consultation)
            or has_role(user, Role.AUTHOR, Scope.COUNTRY, consultation.country_code)
            or _focal_point_in_scope(user, consultation))


def can_see_comment(user: Any, comment: Any, consultation: Any) -> bool:
    """The comment itself (not only its consultation) is visible to ``user``."""
    if not can_view_consultation(user, consultation):
        return False
    own = is_signed_in(user) and comment.author_id == user.id
    if comment.audience != Audience.PUBLIC and not (own or can_see_restricted(user, consultation)):
        return False
    if comment.status in STATUSES_IN_THREAD:
        return True
    if comment.status == CommentStatus.PENDING:
        return own or is_admin(user) or moderates(user, consultation)
    return is_admin(user) or moderates(user, consultation)


def can_reach_comment_exports(user: Any) -> bool:
    """Reach the CSV export at all: authors, moderators, admins (the consultation check follows)."""
    return is_admin(user) or bool(author_countries(user)) or is_moderator(user)


def can_export_comments(user: Any, consultation: Any) -> bool:
    """A consultation's comments as CSV, restricted ones included: the drafting
    government, the consultation's moderators and admins."""
    return is_signed_in(user) and (can_edit_consultation(user, consultation) or moderates(user, consultation))


def can_export_unpublished(user: Any, consultation: Any) -> bool:
    """Pending, rejected, hidden and spam comments go into an export only for
    those who see them on the pages: moderators and admins."""
    return is_signed_in(user) and (is_admin(user) or moderates(user, consultation))


def can_export_all_comments(user: Any) -> bool:
    """The comments of every consultation in one file: global moderators and admins."""
    return is_global_moderator(user)


def can_comment(user: Any, consultation: Any) -> bool:
    """Post in a consultation the user can read (the open/closed rule is the service's)."""
    return is_signed_in(user) and getattr(user, "is_active", False) and can_view_consultation(user, consultation)


def is_comment_author(user: Any, comment: Any) -> bool:
    return is_signed_in(user) and comment.author_id == user.id


def can_edit_comment(user: Any, comment: Any, window: timedelta, now: datetime) -> bool:
    """Within the edit window, while nobody has replied and no moderator has decided."""
    return (is_comment_author(user, comment)
            and comment.status in (CommentStatus.PENDING, CommentStatus.PUBLISHED)
            and comment.reply_count == 0 and comment.moderated_at is None
            and now - comment.created_at <= window)


def can_withdraw_comment(user: Any, comment: Any) -> bool:
    return is_comment_author(user, comment) and comment.status in (
        CommentStatus.PENDING, CommentStatus.PUBLISHED, CommentStatus.HIDDEN)


def can_support_comment(user: Any, comment: Any) -> bool:
    return (is_signed_in(user) and comment.author_id != user.id
            and comment.status == CommentStatus.PUBLISHED)


def can_reply_to(user: Any, comment: Any) -> bool:
    return is_signed_in(user) and comment.status == CommentStatus.PUBLISHED
