"""Who may moderate what. Pure predicates of ``(user, object)``."""

from __future__ import annotations

from typing import Any

from app.accounts.models import Role, Scope
from app.accounts.policy import (  # noqa: F401 - the role questions, asked here under their usual names
    has_role,
    is_admin,
    is_global_moderator,
    is_moderator,
    is_signed_in,
    moderated_consultation_ids,
)
from app.comments.models import CommentStatus


def can_moderate_consultation(user: Any, consultation: Any) -> bool:
    return is_global_moderator(user) or has_role(user, Role.MODERATOR, Scope.CONSULTATION, str(consultation.id))


def can_moderate_comment(user: Any, comment: Any) -> bool:
    return is_global_moderator(user) or has_role(user, Role.MODERATOR, Scope.CONSULTATION,
                                                 str(comment.consultation_id))


def can_use_queue(user: Any) -> bool:
    return is_moderator(user)


def can_sanction(user: Any) -> bool:
    """Sanctions apply platform-wide, so only global moderators and admins give them."""
    return is_global_moderator(user)


def can_edit_reasons(user: Any) -> bool:
    return is_global_moderator(user)


def can_edit_watch_words(user: Any) -> bool:
    return is_admin(user)


def can_flag(user: Any, comment: Any) -> bool:
    return (is_signed_in(user) and getattr(user, "is_active", False)
            and comment.author_id != user.id and comment.status == CommentStatus.PUBLISHED)
