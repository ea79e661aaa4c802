"""Read side of the administration pages: counts, user search, audit log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Select, false, func, or_, select
from sqlalchemy.orm import Session, selectinload

from app.accounts.models import Membership, Organisation, RoleGrant, User
from app.core.models import AuditEntry, OutboxMessage
from app.core.urls import parse_id


def _like(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


@dataclass
class AdminCounts:
    users: int
    suspended_users: int
    organisations: int
    awaiting_verification: int
    outbox: dict[str, int]
    audit_entries: int


def outbox_counts(session: Session) -> dict[str, int]:
    counts = {OutboxMessage.PENDING: 0, OutboxMessage.SENT: 0, OutboxMessage.DEAD: 0}
    for status, number in session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    ):
        counts[status] = number
    return counts


def admin_counts(session: Session) -> AdminCounts:
    users, suspended = session.execute(select(
        func.count(User.id), func.count(User.id).filter(User.status != User.ACTIVE))).one()
    organisations, unverified = session.execute(select(
        func.count(Organisation.id), func.count(Organisation.id).filter(Organisation.verified_at.is_(None)))).one()
    return AdminCounts(
        users=users, suspended_users=suspended, organisations=organisations, awaiting_verification=unverified,
        outbox=outbox_counts(session), audit_entries=session.scalar(select(func.count(AuditEntry.id))) or 0,
    )


def users_query(search: str | None = None, status: str | None = None) -> Select:
    stmt = select(User).options(selectinload(User.grants)).order_by(User.display_name, User.id)
    if search:
        pattern = _like(search.lower())
        stmt = stmt.where(or_(func.lower(User.email).like(pattern, escape="\\"),
                              func.lower(User.display_name).like(pattern, escape="\\")))
    if status in (User.ACTIVE, User.SUSPENDED, User.BANNED):
        stmt = stmt.where(User.status == status)
    return stmt


def user_with_details(session: Session, user_id: int) -> User | None:
    return session.scalar(select(User).where(User.id == user_id).options(
        selectinload(User.grants), selectinload(User.memberships).selectinload(Membership.organisation)))


def grants_of(session: Session, user: User) -> list[RoleGrant]:
    return sorted(user.grants, key=lambda g: (g.role, g.scope_type, g.scope_key))


def organisations_to_verify_query(show: str = "awaiting") -> Select:
    stmt = select(Organisation)
    if show == "awaiting":
        stmt = stmt.where(Organisation.verified_at.is_(None))
    elif show == "verified":
        stmt = stmt.where(Organisation.verified_at.is_not(None))
    return stmt.order_by(Organisation.created_at.desc(), Organisation.id.desc())


def dead_letters_query() -> Select:
    return (select(OutboxMessage).where(OutboxMessage.status == OutboxMessage.DEAD)
            .order_by(OutboxMessage.created_at.desc(), OutboxMessage.id.desc()))


# --- audit log -------------------------------------------------------------------

@dataclass
class AuditFilter:
    action: str | None = None
    actor: str | None = None
    target_type: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    timezone: str = "UTC"

    def _zone(self) -> ZoneInfo:
        try:
            return ZoneInfo(self.timezone or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")

    def start(self) -> datetime | None:
        """Midnight at the start of ``date_from`` in the viewer's zone."""
        if self.date_from is None:
            return None
        return datetime.combine(self.date_from, time.min, tzinfo=self._zone())

    def end(self) -> datetime | None:
        """Midnight after ``date_to`` (exclusive): the whole last day counts."""
        if self.date_to is None:
            return None
        return datetime.combine(self.date_to + timedelta(days=1), time.min, tzinfo=self._zone())


def resolve_actor(session: Session, value: str | None) -> tuple[bool, int | None]:
    """(filter requested, user id) for an e-mail address or account number; id None when nobody matches."""
    value = (value or "").strip()
    if not value:
        return False, None
    if value.isascii() and value.isdigit():
        number = parse_id(value)
        return True, session.scalar(select(User.id).where(User.id == number)) if number is not None else None
    return True, session.scalar(select(User.id).where(func.lower(User.email) == value.lower()))


def audit_query(session: Session, filters: AuditFilter) -> Select:
    stmt = select(AuditEntry).order_by(AuditEntry.id.desc())
    if filters.action:
        stmt = stmt.where(AuditEntry.action == filters.action)
    if filters.target_type:
        stmt = stmt.where(AuditEntry.target_type == filters.target_type)
    wanted, actor_id = resolve_actor(session, filters.actor)
    if wanted:
        stmt = stmt.where(AuditEntry.actor_id == actor_id) if actor_id is not None else stmt.where(false())
    if filters.start() is not None:
        stmt = stmt.where(AuditEntry.created_at >= filters.start())
    if filters.end() is not None:
        stmt = stmt.where(AuditEntry.created_at < filters.end())
    return stmt


def audit_actions(session: Session) -> list[str]:
    return list(session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action)))


def audit_target_types(session: Session) -> list[str]:
    return [t for t in session.scalars(
        select(AuditEntry.target_type).distinct().order_by(AuditEntry.target_type)) if t]


def actors_by_id(session: Session, entries: list[AuditEntry]) -> dict[int, User]:
    ids = {e.actor_id for e in entries if e.actor_id is not None}
    if not ids:
        return {}
    return {u.id: u for u in session.scalars(select(User).where(User.id.in_(ids)))}


def audit_rows_for_export(session: Session, filters: AuditFilter, batch: int = 500) -> Any:
    """Entries with their actor's e-mail, oldest first, fetched in batches."""
    stmt = audit_query(session, filters).order_by(None).order_by(AuditEntry.id)
    stmt = stmt.add_columns(User.email).outerjoin(User, User.id == AuditEntry.actor_id)
    yield from session.execute(stmt.execution_options(yield_per=batch))
