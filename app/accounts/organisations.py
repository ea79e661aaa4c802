"""Organisations and their members: the only code that changes them.

Services flush, never commit; the view, command or test that calls them
commits once. Consequential changes write an audit entry; decisions on a
join request are mailed to the requester through the outbox.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import ORGANISATION_KINDS, Membership, Organisation, User
from app.accounts.policy import can_edit_organisation, can_manage_members, can_verify_organisation, is_signed_in
from app.core.audit import record
from app.core.db import utcnow
from app.core.errors import Conflict, DomainError, PermissionDenied
from app.core.mail import queue_email
from app.core.urls import external_url
from app.geography.models import Country

NAME_MAX = 200
WEBSITE_MAX = 500
DESCRIPTION_MAX = 5000


class OrganisationNameTaken(Conflict):
    pass


class MembershipExists(Conflict):
    pass


class LastRepresentative(DomainError):  # noqa: N818 - named like core.errors.NotFound
    pass


# --- validation -----------------------------------------------------------------

_CONTROLS = {c: None for c in range(32) if chr(c) not in "\n\t"} | {0x7F: None}


def strip_controls(value):
    """Drop control characters (NUL, escape, ...) from user text; keep line breaks and tabs.

    PostgreSQL refuses NUL in text, and the others have no business in names,
    descriptions or reasons. Usable as a WTForms filter.
    """
    if not isinstance(value, str):
        return value
    return value.replace("\r\n", "\n").translate(_CONTROLS)


URL_REFUSED = frozenset('"\'<>`{}|\\^')


def clean_website(value: str | None) -> str | None:
    """An absolute http(s) URL with a host, or None; anything else is refused."""
    value = strip_controls(value or "").strip()
    if not value:
        return None
    if len(value) > WEBSITE_MAX:
        raise DomainError(_l("The address is too long."), field="website")
    if any(ch.isspace() or ord(ch) < 32 for ch in value):
        raise DomainError(_l("Enter a web address without spaces."), field="website")
    if any(ch in URL_REFUSED for ch in value):
        # Legal in no part of a URL without percent-encoding; in an attribute they only break out of it.
        raise DomainError(_l("Enter a web address without quotes, angle brackets, braces or backslashes."),
                          field="website")
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:
        parts, host = None, None
    if parts is None or parts.scheme.lower() not in ("http", "https") or not host or "." not in host.strip("."):
        raise DomainError(_l("Enter a web address starting with http:// or https://, such as https://example.org."),
                          field="website")
    return value


def _clean_name(value: str | None) -> str:
    name = " ".join(strip_controls(value or "").split())
    if not name:
        raise DomainError(_l("Enter the organisation's name."), field="name")
    if len(name) > NAME_MAX:
        raise DomainError(_l("The name is too long."), field="name")
    return name


def _clean_kind(value: str | None) -> str:
    if value not in ORGANISATION_KINDS:
        raise DomainError(_l("Choose what kind of organisation this is."), field="kind")
    return value


def _clean_country(session: Session, value: str | None) -> str | None:
    code = (value or "").strip().upper()
    if not code:
        return None
    if session.get(Country, code) is None:
        raise DomainError(_l("Choose a country from the list."), field="country_code")
    return code


def _clean_description(value: str | None) -> str | None:
    text = strip_controls(value or "").strip()
    if len(text) > DESCRIPTION_MAX:
        raise DomainError(_l("The description is too long."), field="description")
    return text or None


def name_taken(session: Session, name: str, *, except_id: int | None = None) -> bool:
    # lower() in SQL matches the unique index uq_organisation_name_lower.
    stmt = select(Organisation.id).where(func.lower(Organisation.name) == func.lower(name))
    if except_id is not None:
        stmt = stmt.where(Organisation.id != except_id)
    return session.scalar(stmt.limit(1)) is not None


def _snapshot(organisation: Organisation) -> dict[str, Any]:
    return {
        "name": organisation.name,
        "kind": organisation.kind,
        "country_code": organisation.country_code,
        "website": organisation.website,
        "description": organisation.description,
    }


def _require_active(actor: Any) -> None:
    if not is_signed_in(actor) or not getattr(actor, "is_active", False):
        raise PermissionDenied(_l("Sign in with an active account to do this."))


# --- organisations ----------------------------------------------------------------

def create_organisation(
    session: Session,
    *,
    name: str,
    kind: str,
    country_code: str | None = None,
    website: str | None = None,
    description: str | None = None,
    actor: User,
) -> Organisation:
    """Register an organisation; its creator becomes its active representative."""
    _require_active(actor)
    values = {
        "name": _clean_name(name),
        "kind": _clean_kind(kind),
        "country_code": _clean_country(session, country_code),
        "website": clean_website(website),
        "description": _clean_description(description),
    }
    if name_taken(session, values["name"]):
        raise OrganisationNameTaken(_l("An organisation with this name is already registered."), field="name")
    organisation = Organisation(**values, created_by_id=actor.id)
    session.add(organisation)
    # Two people registering the same name in the same instant: the unique index
    # refuses the second (an error page); the check above covers everyone else.
    session.flush()
    session.add(Membership(user_id=actor.id, organisation_id=organisation.id, role=Membership.REPRESENTATIVE,
                           status=Membership.ACTIVE, decided_at=utcnow()))
    session.flush()
    session.refresh(actor, ["memberships"])
    record(session, actor=actor, action="organisation.create", target=organisation, after=_snapshot(organisation))
    return organisation


def update_organisation(
    session: Session,
    organisation: Organisation,
    *,
    name: str,
    kind: str,
    country_code: str | None = None,
    website: str | None = None,
    description: str | None = None,
    actor: User,
) -> Organisation:
    if not can_edit_organisation(actor, organisation):
        raise PermissionDenied(_l("Only the organisation's representatives can change its profile."))
    values = {
        "name": _clean_name(name),
        "kind": _clean_kind(kind),
        "country_code": _clean_country(session, country_code),
        "website": clean_website(website),
        "description": _clean_description(description),
    }
    if name_taken(session, values["name"], except_id=organisation.id):
        raise OrganisationNameTaken(_l("An organisation with this name is already registered."), field="name")
    before = _snapshot(organisation)
    for key, value in values.items():
        setattr(organisation, key, value)
    session.flush()
    after = _snapshot(organisation)
    changed = {k for k in after if after[k] != before[k]}
    if changed:
        record(session, actor=actor, action="organisation.update", target=organisation,
               before={k: before[k] for k in sorted(changed)}, after={k: after[k] for k in sorted(changed)})
    return organisation


def verify_organisation(session: Session, organisation: Organisation, *, actor: User,
                        reason: str | None = None) -> Organisation:
    if not can_verify_organisation(actor, organisation):
        raise PermissionDenied(_l("Only administrators can verify organisations."))
    if organisation.is_verified:
        return organisation
    organisation.verified_at = utcnow()
    session.flush()
    record(session, actor=actor, action="organisation.verify", target=organisation, reason=reason,
           before={"verified": False}, after={"verified": True})
    return organisation


def unverify_organisation(session: Session, organisation: Organisation, *, actor: User,
                          reason: str | None = None) -> Organisation:
    if not can_verify_organisation(actor, organisation):
        raise PermissionDenied(_l("Only administrators can verify organisations."))
    if not organisation.is_verified:
        return organisation
    organisation.verified_at = None
    session.flush()
    record(session, actor=actor, action="organisation.unverify", target=organisation, reason=reason,
           before={"verified": True}, after={"verified": False})
    return organisation


# --- memberships ------------------------------------------------------------------

def _representatives(organisation: Organisation) -> list[User]:
    return [m.user for m in organisation.memberships
            if m.is_active and m.role == Membership.REPRESENTATIVE and m.user.is_active]


def _delete_membership(session: Session, membership: Membership) -> None:
    user, organisation = membership.user, membership.organisation
    session.delete(membership)
    session.flush()
    # Loaded collections do not drop a deleted row by themselves.
    session.expire(user, ["memberships"])
    session.expire(organisation, ["memberships"])


def request_membership(session: Session, organisation: Organisation, *, actor: User) -> Membership:
    """Ask to join; the representatives are told by e-mail and decide."""
    _require_active(actor)
    existing = session.scalar(select(Membership).where(
        Membership.user_id == actor.id, Membership.organisation_id == organisation.id))
    if existing is not None:
        if existing.is_active:
            raise MembershipExists(_l("You are already a member of this organisation."))
        raise MembershipExists(_l("You have already asked to join; the representative has not decided yet."))
    membership = Membership(user_id=actor.id, organisation_id=organisation.id,
                            role=Membership.MEMBER, status=Membership.PENDING)
    session.add(membership)
    session.flush()
    session.refresh(actor, ["memberships"])
    session.refresh(organisation, ["memberships"])
    for representative in _representatives(organisation):
        queue_email(
            session, to=representative.email, template="organisations/join_request",
            dedupe_key=f"membership-request:{membership.id}:{representative.id}:{membership.created_at:%Y%m%d%H%M%S%f}",
            locale=representative.preferred_language,
            recipient=representative, requester=actor, organisation=organisation,
            members_url=external_url("organisations.members", organisation_id=organisation.id),
        )
    return membership


def _decide(session: Session, membership: Membership, actor: User) -> None:
    if not can_manage_members(actor, membership.organisation):
        raise PermissionDenied(_l("Only the organisation's representatives can decide on join requests."))
    if membership.status != Membership.PENDING:
        raise Conflict(_l("This request has already been decided."))


def _notify_decision(session: Session, membership: Membership, accepted: bool) -> None:
    requester = membership.user
    stamp = utcnow()
    queue_email(
        session, to=requester.email, template="organisations/membership_decision",
        dedupe_key=f"membership-decision:{membership.organisation_id}:{requester.id}:{stamp:%Y%m%d%H%M%S%f}",
        locale=requester.preferred_language,
        recipient=requester, organisation=membership.organisation, accepted=accepted,
        organisation_url=external_url("organisations.profile", organisation_id=membership.organisation_id),
    )


def accept_membership(session: Session, membership: Membership, *, actor: User) -> Membership:
    _decide(session, membership, actor)
    membership.status = Membership.ACTIVE
    membership.decided_at = utcnow()
    session.flush()
    record(session, actor=actor, action="membership.accept", target=membership.organisation,
           after={"user_id": membership.user_id, "status": Membership.ACTIVE})
    _notify_decision(session, membership, accepted=True)
    return membership


def decline_membership(session: Session, membership: Membership, *, actor: User) -> None:
    """Decline a join request. The row goes; the audit log keeps the decision."""
    _decide(session, membership, actor)
    organisation = membership.organisation
    _notify_decision(session, membership, accepted=False)
    record(session, actor=actor, action="membership.decline", target=organisation,
           before={"user_id": membership.user_id, "status": Membership.PENDING})
    _delete_membership(session, membership)


def remove_member(session: Session, membership: Membership, *, actor: User) -> None:
    """A representative (or an admin) removes an active member.

    The last representative cannot be removed: someone must be able to
    manage the organisation.
    """
    organisation = membership.organisation
    if not can_manage_members(actor, organisation):
        raise PermissionDenied(_l("Only the organisation's representatives can remove members."))
    if not membership.is_active:
        raise Conflict(_l("This person is not a member; decide on their request instead."))
    if membership.role == Membership.REPRESENTATIVE:
        others = [m for m in organisation.memberships if m.id != membership.id
                  and m.is_active and m.role == Membership.REPRESENTATIVE]
        if not others:
            raise LastRepresentative(_l("The organisation's only representative cannot be removed."))
    record(session, actor=actor, action="membership.remove", target=organisation,
           before={"user_id": membership.user_id, "role": membership.role, "status": membership.status})
    _delete_membership(session, membership)


# --- read side --------------------------------------------------------------------

def organisations_query(search: str | None = None, kind: str | None = None, country: str | None = None):
    """The public list: filtered, ordered by name (stable for pagination)."""
    stmt = select(Organisation).order_by(func.lower(Organisation.name), Organisation.id)
    if search:
        escaped = search.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        stmt = stmt.where(func.lower(Organisation.name).like(f"%{escaped}%", escape="\\"))
    if kind:
        stmt = stmt.where(Organisation.kind == kind)
    if country:
        stmt = stmt.where(Organisation.country_code == country)
    return stmt


def member_counts(session: Session, organisation_ids: list[int]) -> dict[int, int]:
    """Active members per organisation, in one grouped query."""
    if not organisation_ids:
        return {}
    rows = session.execute(
        select(Membership.organisation_id, func.count(Membership.id))
        .where(Membership.organisation_id.in_(organisation_ids), Membership.status == Membership.ACTIVE)
        .group_by(Membership.organisation_id))
    return {organisation_id: count for organisation_id, count in rows}


def load_organisation(session: Session, organisation_id: int) -> Organisation | None:
    """One organisation with its memberships and their people (two more queries, not one per member)."""
    from sqlalchemy.orm import selectinload

    return session.scalar(select(Organisation).where(Organisation.id == organisation_id).options(
        selectinload(Organisation.memberships).selectinload(Membership.user)))


def sorted_memberships(organisation: Organisation, status: str) -> list[Membership]:
    rows = [m for m in organisation.memberships if m.status == status]
    return sorted(rows, key=lambda m: (m.role != Membership.REPRESENTATIVE, m.user.display_name.casefold(), m.id))
