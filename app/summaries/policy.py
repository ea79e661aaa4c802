"""Who may write, read and forward summaries, enter dispositions and answer
forwarded summaries. Pure predicates of ``(user, object)``."""

from __future__ import annotations

from typing import Any

from app.accounts.models import Role
from app.accounts.policy import focal_point_scopes, has_role, is_admin, is_focal_point, is_signed_in
from app.comments.policy import can_see_restricted
from app.consultations.policy import can_edit_consultation, can_view_consultation, moderates


def can_write_summary(user: Any, consultation: Any) -> bool:
    """Moderators of the consultation (and admins) write, publish and forward summaries."""
    return is_signed_in(user) and (is_admin(user) or moderates(user, consultation))


def can_forward_summary(user: Any, consultation: Any) -> bool:
    return can_write_summary(user, consultation)


def can_manage_summaries(user: Any) -> bool:
    """Reach the summary area at all (the object check follows)."""
    return is_admin(user) or has_role(user, Role.MODERATOR)


def can_view_summary(user: Any, summary: Any, consultation: Any) -> bool:
    """A published summary: public unless restricted; restricted ones only for
    those who may read the consultation's restricted comments."""
    if can_write_summary(user, consultation):
        return True
    if summary is None or not summary.is_published or not can_view_consultation(user, consultation):
        return False
    return not summary.restricted or can_see_restricted(user, consultation)


def can_enter_dispositions(user: Any, consultation: Any) -> bool:
    """The drafting government (authors of the consultation's country) answers the points raised."""
    return can_edit_consultation(user, consultation)


def can_use_forwarded_inbox(user: Any) -> bool:
    return is_focal_point(user)


def is_forwarding_recipient(user: Any, forwarding: Any) -> bool:
    return is_signed_in(user) and any(r.user_id == user.id for r in forwarding.recipients)


def in_forwarding_scope(user: Any, forwarding: Any) -> bool:
    return (forwarding.target_type, forwarding.target_key) in focal_point_scopes(user)


def can_view_forwarding(user: Any, forwarding: Any, consultation: Any) -> bool:
    """Recipients and focal points of the target, moderators and the drafting government."""
    return (is_forwarding_recipient(user, forwarding) or in_forwarding_scope(user, forwarding)
            or can_write_summary(user, consultation) or can_edit_consultation(user, consultation))


def can_respond_to_forwarding(user: Any, forwarding: Any) -> bool:
    """Acknowledge and reply: the focal points the summary was sent to."""
    return getattr(user, "is_active", False) and (
        is_forwarding_recipient(user, forwarding) or in_forwarding_scope(user, forwarding))
