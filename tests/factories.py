"""Factories: plain functions with keyword defaults."""

from __future__ import annotations

import itertools

from sqlalchemy.orm import Session

from app.accounts.models import Membership, Organisation, OrganisationKind, RoleGrant, Scope, User
from app.accounts.passwords import hash_password
from app.core.db import utcnow

DEFAULT_PASSWORD = "correct horse battery staple"
_seq = itertools.count(1)


def make_user(
    session: Session,
    *,
    email: str | None = None,
    display_name: str | None = None,
    password: str = DEFAULT_PASSWORD,
    verified: bool = True,
    status: str = User.ACTIVE,
    language: str | None = None,
    timezone: str = "UTC",
    accepted_terms: int | None = 1,
) -> User:
    """A user; ``accepted_terms`` is the terms version accepted (1: the default text; None: never)."""
    n = next(_seq)
    user = User(
        email=email or f"user{n}@example.org",
        display_name=display_name or f"User {n}",
        password_hash=hash_password(password),
        email_verified_at=utcnow() if verified else None,
        status=status,
        preferred_language=language,
        timezone=timezone,
        terms_version=accepted_terms,
        terms_accepted_at=utcnow() if accepted_terms else None,
    )
    session.add(user)
    session.flush()
    return user


def grant(session: Session, user: User, role: str, scope_type: str = Scope.GLOBAL, scope_key: str = "") -> RoleGrant:
    role_grant = RoleGrant(user_id=user.id, role=role, scope_type=scope_type, scope_key=str(scope_key))
    session.add(role_grant)
    session.flush()
    session.refresh(user)
    return role_grant


def make_organisation(
    session: Session,
    *,
    name: str | None = None,
    kind: str = OrganisationKind.NGO,
    country_code: str | None = "AT",
    verified: bool = True,
    representative: User | None = None,
    members: tuple[User, ...] = (),
) -> Organisation:
    n = next(_seq)
    organisation = Organisation(
        name=name or f"Organisation {n}",
        kind=kind,
        country_code=country_code,
        verified_at=utcnow() if verified else None,
    )
    session.add(organisation)
    session.flush()
    if representative is not None:
        session.add(Membership(user_id=representative.id, organisation_id=organisation.id,
                               role=Membership.REPRESENTATIVE, status=Membership.ACTIVE, decided_at=utcnow()))
    for member in members:
        session.add(Membership(user_id=member.id, organisation_id=organisation.id,
                               role=Membership.MEMBER, status=Membership.ACTIVE, decided_at=utcnow()))
    session.flush()
    for user in (representative, *members):
        if user is not None:
            session.refresh(user)
    return organisation


def login(client, user: User, password: str = DEFAULT_PASSWORD):
    """Sign in through the real login form."""
    return client.post("/login", data={"email": user.email, "password": password}, follow_redirects=False)
