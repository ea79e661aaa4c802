"""Named predicates about accounts, organisations and roles.

Pure functions of ``(user, object)``; an anonymous user has no grants and
fails every predicate that needs one.
"""

from __future__ import annotations

from typing import Any

from app.accounts.models import Membership, Role, Scope


def _grants(user: Any) -> list:
    if not getattr(user, "is_authenticated", False):
        return []
    return list(getattr(user, "grants", []) or [])


def has_role(user: Any, role: str, scope_type: str | None = None, scope_key: str | None = None) -> bool:
    """True when ``user`` holds ``role`` globally or for exactly this scope."""
    for grant in _grants(user):
        if grant.role != role:
            continue
        if grant.scope_type == Scope.GLOBAL:
            return True
        if scope_type is None or (grant.scope_type == scope_type and grant.scope_key == str(scope_key)):
            return True
    return False


def is_admin(user: Any) -> bool:
    return has_role(user, Role.ADMIN, Scope.GLOBAL, "")


def is_signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def is_moderator(user: Any) -> bool:
    """Moderator of anything (global or of at least one consultation)."""
    return is_admin(user) or has_role(user, Role.MODERATOR)


def is_global_moderator(user: Any) -> bool:
    """Moderates every consultation (admins do too)."""
    return is_admin(user) or has_role(user, Role.MODERATOR, Scope.GLOBAL, "")


def moderated_consultation_ids(user: Any) -> set[int] | None:
    """The consultations ``user`` moderates; None means all of them. A role
    question, asked by comments (what a reader may see) and moderation alike."""
    if is_global_moderator(user):
        return None
    return {int(g.scope_key) for g in _grants(user)
            if g.role == Role.MODERATOR and g.scope_type == Scope.CONSULTATION and g.scope_key.isdigit()}


def is_author(user: Any) -> bool:
    return has_role(user, Role.AUTHOR)


def is_focal_point(user: Any) -> bool:
    return has_role(user, Role.FOCAL_POINT)


def author_countries(user: Any) -> set[str]:
    return {g.scope_key for g in _grants(user) if g.role == Role.AUTHOR and g.scope_type == Scope.COUNTRY}


def focal_point_scopes(user: Any) -> set[tuple[str, str]]:
    return {(g.scope_type, g.scope_key) for g in _grants(user) if g.role == Role.FOCAL_POINT}


def can_manage_roles(user: Any) -> bool:
    return is_admin(user)


def _membership(user: Any, organisation: Any) -> Membership | None:
    for membership in getattr(user, "memberships", []) or []:
        if membership.organisation_id == organisation.id:
            return membership
    return None


def is_member(user: Any, organisation: Any) -> bool:
    membership = _membership(user, organisation)
    return membership is not None and membership.is_active


def is_representative(user: Any, organisation: Any) -> bool:
    membership = _membership(user, organisation)
    return membership is not None and membership.is_active and membership.role == Membership.REPRESENTATIVE


def can_edit_organisation(user: Any, organisation: Any) -> bool:
    return is_admin(user) or is_representative(user, organisation)


def can_manage_members(user: Any, organisation: Any) -> bool:
    return is_admin(user) or is_representative(user, organisation)


def can_ask_to_join(user: Any, organisation: Any) -> bool:
    return is_signed_in(user) and getattr(user, "is_active", False) and _membership(user, organisation) is None


def can_verify_organisation(user: Any, organisation: Any | None = None) -> bool:
    return is_admin(user)


def can_speak_for(user: Any, organisation: Any) -> bool:
    """Comment on behalf of an organisation: active member of a verified one."""
    return is_member(user, organisation) and organisation.is_verified
