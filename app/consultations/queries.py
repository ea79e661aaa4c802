"""Read side of consultations: lists with filters and search, the page loaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, and_, bindparam, false, func, or_, select, true
from sqlalchemy.orm import Session, joinedload, selectinload

from app.accounts.models import Membership, Role, Scope
from app.accounts.policy import author_countries, has_role, is_admin
from app.consultations import search
from app.consultations.models import (
    CLOCKED_STATUSES,
    CONSULTATION_STATUSES,
    Consultation,
    ConsultationObligation,
    ConsultationRegion,
    DraftVersion,
    Invitation,
    Section,
    SectionObligation,
    Status,
    Visibility,
)
from app.consultations.policy import verified_address
from app.core.db import utcnow
from app.core.pagination import Page

PER_PAGE = 20
CLOSING_SOON = timedelta(days=14)


@dataclass
class Filters:
    q: str = ""
    status: str = ""
    country: str = ""
    region: str = ""
    obligation: str = ""
    instrument: str = ""
    closing_soon: bool = False
    extra: dict[str, str] = field(default_factory=dict)
    updated_since: datetime | None = None  # the read API's sync filter

    @property
    def active(self) -> bool:
        return any((self.q, self.status, self.country, self.region, self.obligation, self.instrument,
                    self.closing_soon))


def status_condition(status: str, now: datetime):
    """SQL for the effective status: the clock decides, whether or not tick has run."""
    clocked = Consultation.status.in_(CLOCKED_STATUSES)
    if status == Status.SCHEDULED:
        return and_(clocked, Consultation.opens_at > now)
    if status == Status.OPEN:
        return and_(clocked, Consultation.opens_at <= now, Consultation.closes_at > now)
    if status == Status.CLOSED:
        return and_(clocked, Consultation.closes_at <= now)
    if status in CONSULTATION_STATUSES:
        return Consultation.status == status
    return true()


def visible_condition(user: Any):
    """Published consultations the user may read (drafts live in the management area)."""
    published = Consultation.status != Status.DRAFT
    if is_admin(user) or has_role(user, Role.MODERATOR, Scope.GLOBAL, ""):
        return published
    allowed = [Consultation.visibility == Visibility.PUBLIC]
    countries = author_countries(user)
    if countries:
        allowed.append(Consultation.country_code.in_(countries))
    if getattr(user, "is_authenticated", False):
        organisations = select(Membership.organisation_id).where(
            Membership.user_id == user.id, Membership.status == Membership.ACTIVE)
        invitee = [Invitation.user_id == user.id, Invitation.organisation_id.in_(organisations)]
        address = verified_address(user)
        if address is not None:
            invitee.append(Invitation.email == address)
        allowed.append(Consultation.id.in_(select(Invitation.consultation_id).where(or_(*invitee))))
        moderated = [g.scope_key for g in user.grants
                     if g.role == Role.MODERATOR and g.scope_type == Scope.CONSULTATION]
        if moderated:
            allowed.append(Consultation.id.in_([int(k) for k in moderated if k.isdigit()]))
    return and_(published, or_(*allowed))


def list_consultations(session: Session, user: Any, filters: Filters, *, page: int = 1,
                       per_page: int = PER_PAGE, now: datetime | None = None) -> Page:
    now = now or utcnow()
    conditions = filter_conditions(session, user, filters, now)
    total = session.scalar(select(func.count()).select_from(Consultation).where(*conditions)) or 0
    page = max(1, min(page, max(1, -(-total // per_page))))
    items = list(session.scalars(
        select(Consultation).where(*conditions)
        .order_by(Consultation.closes_at.desc() if filters.status == Status.CLOSED else Consultation.closes_at,
                  Consultation.id)
        .offset((page - 1) * per_page).limit(per_page)
    ))
    return Page(items, page, per_page, total)


def filter_conditions(session: Session, user: Any, filters: Filters, now: datetime) -> list[Any]:
    """The WHERE clauses of a list of consultations: what ``user`` may read, filtered."""
    conditions = [visible_condition(user)]
    if filters.status:
        conditions.append(status_condition(filters.status, now))
    if filters.closing_soon:
        conditions += [status_condition(Status.OPEN, now), Consultation.closes_at <= now + CLOSING_SOON]
    if filters.country:
        conditions.append(Consultation.country_code == filters.country)
    if filters.updated_since is not None:
        conditions.append(Consultation.updated_at >= filters.updated_since)
    if filters.instrument:
        conditions.append(Consultation.instrument_type == filters.instrument)
    if filters.region:
        conditions.append(Consultation.id.in_(select(ConsultationRegion.consultation_id).where(
            ConsultationRegion.region_code == filters.region)))
    if filters.obligation:
        code = filters.obligation
        tagged = select(ConsultationObligation.consultation_id).where(
            _code_or_child(ConsultationObligation.obligation_code, code))
        in_sections = (
            select(DraftVersion.consultation_id)
            .join(Section, Section.version_id == DraftVersion.id)
            .join(SectionObligation, SectionObligation.section_id == Section.id)
            .where(DraftVersion.status == DraftVersion.PUBLISHED,
                   _code_or_child(SectionObligation.obligation_code, code))
        )
        conditions.append(or_(Consultation.id.in_(tagged), Consultation.id.in_(in_sections)))
    if filters.q:
        matches = search.matching_ids(session, filters.q)
        conditions.append(Consultation.id.in_(select(matches.c.id)) if matches is not None else false())
    return conditions


def _code_or_child(column, code: str):
    """OP3d matches OP3d and OP3d.transit."""
    return or_(column == code, column.startswith(code + ".", autoescape=True))


def closing_soon(session: Session, user: Any, *, limit: int = 5, now: datetime | None = None) -> list[Consultation]:
    """Open consultations the user may read, closing soonest first (the home page)."""
    now = now or utcnow()
    return list(session.scalars(
        select(Consultation).where(visible_condition(user), status_condition(Status.OPEN, now))
        .order_by(Consultation.closes_at, Consultation.id).limit(limit)
    ))


def load_consultation(session: Session, consultation_id: int, *, whole: bool = True) -> Consultation | None:
    """Everything the consultation page needs except the sections, in a fixed number of
    queries; with ``whole=False`` only the consultation and its versions (the pages
    under it: sections, threads), anything else loading when first used."""
    return session.scalars(_consultation_statement(whole), {"id": consultation_id}).unique().first()


@lru_cache(maxsize=2)
def _consultation_statement(whole: bool) -> Select:
    """Built once: every page under a consultation loads it."""
    if whole:
        options = (selectinload(Consultation.versions), selectinload(Consultation.regions),
                   selectinload(Consultation.obligations), selectinload(Consultation.attachments),
                   selectinload(Consultation.invitations))
    else:  # a handful of versions: in the same query
        options = (joinedload(Consultation.versions),)
    return select(Consultation).where(Consultation.id == bindparam("id")).options(*options)


def load_sections(session: Session, version: DraftVersion | None, *, obligations: bool = True) -> list[Section]:
    """The sections of ``version`` in order, with their obligations unless a page
    shows only one section's (which then load when used)."""
    if version is None:
        return []
    return list(session.scalars(
        select(Section).where(Section.version_id == version.id)
        .options(*((selectinload(Section.obligations),) if obligations else ())).order_by(Section.position)
    ))


def section_comment_counts(session: Session, version: DraftVersion | None) -> dict[int, int] | None:
    """Hook for the comments domain: {section_id: published comment count} for one
    version, from ONE grouped query. Comments do not exist yet, so this returns
    None and the table of contents shows no counts (never invented ones)."""
    return None


def managed_consultations(session: Session, user: Any) -> list[Consultation]:
    query = select(Consultation).options(selectinload(Consultation.versions)).order_by(
        Consultation.created_at.desc(), Consultation.id.desc())
    if not is_admin(user):
        query = query.where(Consultation.country_code.in_(author_countries(user) or {""}))
    return list(session.scalars(query))


def version_by_number(consultation: Consultation, number: int | None, *, include_drafts: bool = False):
    versions = consultation.versions if include_drafts else consultation.published_versions
    if number is None:
        return versions[-1] if versions else None
    return next((v for v in versions if v.number == number), None)
