"""Granting and revoking scoped roles (admin action, audited).

Which scopes a role may carry is ``ROLE_SCOPES``; scope keys are checked
against the data: country and region codes must exist, a consultation key
must be a positive whole number (the consultation itself is checked by the
consultations domain once it exists).
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import ROLE_SCOPES, ROLES, Role, RoleGrant, Scope, User
from app.accounts.policy import can_manage_roles
from app.core.audit import record
from app.core.errors import Conflict, DomainError, PermissionDenied
from app.geography.codes import find_country, find_region


class LastAdministrator(DomainError):  # noqa: N818 - named like core.errors.NotFound
    pass


def _check_actor(actor: Any) -> None:
    # actor=None is the command line (``flask create-admin``, ``flask seed-demo``).
    if actor is not None and not can_manage_roles(actor):
        raise PermissionDenied(_l("Only administrators can grant or revoke roles."))


def clean_scope(session: Session, role: str, scope_type: str, scope_key: Any) -> str:
    """Validate ``role`` with its scope; return the normalised scope key."""
    if role not in ROLES:
        raise DomainError(_l("Choose a role from the list."), field="role")
    if scope_type not in ROLE_SCOPES[role]:
        raise DomainError(_l("This role cannot have that scope."), field="scope_type")
    key = str(scope_key or "").strip()
    if scope_type == Scope.GLOBAL:
        return ""
    if not key:
        raise DomainError(_l("Enter the scope: a country code, a regional organisation or a consultation number."),
                          field="scope_key")
    if scope_type == Scope.COUNTRY:
        key = key.upper()
        if find_country(session, key) is None:
            raise DomainError(_l("Enter a known two-letter country code, such as AT."), field="scope_key")
        return key
    if scope_type == Scope.REGION:
        key = key.upper()
        if find_region(session, key) is None:
            raise DomainError(_l("Enter the code of a known regional organisation, such as OSCE."),
                              field="scope_key")
        return key
    # Scope.CONSULTATION
    if not key.isascii() or not key.isdigit() or int(key) < 1 or len(key) > 12:
        raise DomainError(_l("Enter the consultation's number."), field="scope_key")
    return str(int(key))


def grant_role(
    session: Session,
    user: User,
    *,
    role: str,
    scope_type: str = Scope.GLOBAL,
    scope_key: Any = "",
    actor: User | None,
    reason: str | None = None,
) -> RoleGrant:
    _check_actor(actor)
    key = clean_scope(session, role, scope_type, scope_key)
    existing = session.scalar(select(RoleGrant).where(
        RoleGrant.user_id == user.id, RoleGrant.role == role,
        RoleGrant.scope_type == scope_type, RoleGrant.scope_key == key))
    if existing is not None:
        raise Conflict(_l("This person already has this role with this scope."), field="role")
    role_grant = RoleGrant(user_id=user.id, role=role, scope_type=scope_type, scope_key=key,
                           granted_by_id=getattr(actor, "id", None))
    session.add(role_grant)
    session.flush()
    session.refresh(user, ["grants"])
    record(session, actor=actor, action="role.grant", target=user, reason=reason,
           after={"role": role, "scope_type": scope_type, "scope_key": key})
    return role_grant


def revoke_role(session: Session, role_grant: RoleGrant, *, actor: User | None, reason: str | None = None) -> None:
    _check_actor(actor)
    if role_grant.role == Role.ADMIN:
        others = session.scalar(select(RoleGrant.id).where(
            RoleGrant.role == Role.ADMIN, RoleGrant.id != role_grant.id,
            RoleGrant.user_id.in_(select(User.id).where(User.status == User.ACTIVE))).limit(1))
        if others is None:
            raise LastAdministrator(_l("This is the last active administrator; grant the role to someone else first."))
    user = role_grant.user
    record(session, actor=actor, action="role.revoke", target=user, reason=reason,
           before={"role": role_grant.role, "scope_type": role_grant.scope_type, "scope_key": role_grant.scope_key})
    session.delete(role_grant)
    session.flush()
    session.expire(user, ["grants"])
