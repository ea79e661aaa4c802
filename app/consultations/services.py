"""The only code that changes consultations, versions and sections.

Every function flushes and never commits; callers (views, CLI, worker,
tests) commit once. Lifecycle changes write an audit entry.

Over 400 lines: versions and sections share the rule that a published version never
changes; keeping them with the consultation keeps that rule in one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from app.consultations import search
from app.consultations.importers import ParsedSection, slugify
from app.consultations.models import (
    INSTRUMENT_TYPES,
    MODERATION_MODES,
    SECTION_LEVELS,
    UN_LANGUAGES,
    VISIBILITIES,
    WEAPON_CATEGORIES,
    Consultation,
    ConsultationObligation,
    ConsultationRegion,
    DraftVersion,
    ModerationMode,
    Section,
    SectionObligation,
    Status,
    Visibility,
    clock_status,
    text_scopes,
)
from app.core.audit import record
from app.core.db import utcnow
from app.core.errors import Conflict, DomainError
from app.core.sanitize import SANITIZER_VERSION, render_markdown
from app.geography.models import Country, Obligation, Region
from app.geography.queries import regions_of_country

# Forms are filled in over a few minutes: an opening time "now" must not be refused.
PAST_GRACE = timedelta(minutes=10)
ANCHOR_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")


class ConsultationClosed(Conflict):
    pass


class VersionFrozen(Conflict):
    """Published versions are immutable; a new version is the way to revise."""


@dataclass
class ConsultationDetails:
    country_code: str
    title: str
    instrument_type: str
    drafting_authority: str
    opens_at: datetime
    closes_at: datetime
    summary: str = ""
    questions: str = ""
    languages: list[str] = field(default_factory=lambda: ["en"])
    weapon_categories: list[str] = field(default_factory=list)
    visibility: str = Visibility.PUBLIC
    moderation_mode: str = ModerationMode.PRE
    regions: list[str] | None = None  # None: derive from the country's memberships
    obligations: list[str] = field(default_factory=list)


def _check_choices(values: list[str], allowed: tuple[str, ...] | set[str], field_name: str, message) -> None:
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise DomainError(message % {"codes": ", ".join(unknown)}, field=field_name)


def _validate(session: Session, details: ConsultationDetails, consultation: Consultation | None,
              now: datetime) -> None:
    if not details.title.strip():
        raise DomainError(_l("Enter a title."), field="title")
    if session.get(Country, details.country_code) is None:
        raise DomainError(_l("Choose a State from the list."), field="country_code")
    _check_choices([details.instrument_type], INSTRUMENT_TYPES, "instrument_type",
                   _l("Unknown instrument type: %(codes)s"))
    _check_choices([details.visibility], VISIBILITIES, "visibility", _l("Unknown visibility: %(codes)s"))
    _check_choices([details.moderation_mode], MODERATION_MODES, "moderation_mode",
                   _l("Unknown moderation mode: %(codes)s"))
    if not details.languages:
        raise DomainError(_l("Choose at least one language."), field="languages")
    _check_choices(details.languages, UN_LANGUAGES, "languages", _l("Not a UN language: %(codes)s"))
    _check_choices(details.weapon_categories, WEAPON_CATEGORIES, "weapon_categories",
                   _l("Unknown weapon category: %(codes)s"))
    known = set(session.scalars(select(Obligation.code).where(Obligation.code.in_(details.obligations))))
    _check_choices(details.obligations, known, "obligations", _l("Unknown obligation codes: %(codes)s"))
    if details.regions:
        known = set(session.scalars(select(Region.code).where(Region.code.in_(details.regions))))
        _check_choices(details.regions, known, "regions", _l("Unknown regional organisations: %(codes)s"))
    if details.opens_at.tzinfo is None or details.closes_at.tzinfo is None:
        raise ValueError("consultation dates must be timezone-aware")
    if details.closes_at <= details.opens_at:
        raise DomainError(_l("The consultation must close after it opens."), field="closes_at")
    opens_changed = consultation is None or consultation.opens_at != details.opens_at
    closes_changed = consultation is None or consultation.closes_at != details.closes_at
    if consultation is not None and (opens_changed or closes_changed):
        effective = consultation.effective_status(now)
        if effective not in (Status.DRAFT, Status.SCHEDULED, Status.OPEN):
            raise ConsultationClosed(_l("The consultation has closed; its dates can no longer change."),
                                     field="closes_at")
        if opens_changed and effective == Status.OPEN:
            raise DomainError(_l("The consultation is already open; its opening date can no longer change."),
                              field="opens_at")
    if opens_changed and details.opens_at < now - PAST_GRACE:
        raise DomainError(_l("The opening date is in the past."), field="opens_at")
    if closes_changed and details.closes_at <= now:
        raise DomainError(_l("The closing date is in the past."), field="closes_at")


def _apply(session: Session, consultation: Consultation, details: ConsultationDetails) -> None:
    consultation.country_code = details.country_code
    consultation.title = details.title.strip()
    consultation.instrument_type = details.instrument_type
    consultation.drafting_authority = details.drafting_authority.strip()
    consultation.summary_source = details.summary
    consultation.summary_html = render_markdown(details.summary)
    consultation.questions_source = details.questions
    consultation.questions_html = render_markdown(details.questions)
    consultation.sanitizer_version = SANITIZER_VERSION
    consultation.languages = list(dict.fromkeys(details.languages))
    consultation.weapon_categories = [c for c in WEAPON_CATEGORIES if c in details.weapon_categories]
    consultation.visibility = details.visibility
    consultation.moderation_mode = details.moderation_mode
    consultation.opens_at = details.opens_at
    consultation.closes_at = details.closes_at
    regions = details.regions
    if regions is None:
        regions = [r.code for r in regions_of_country(session, details.country_code)]
    consultation.regions = [ConsultationRegion(region_code=code) for code in dict.fromkeys(regions)]
    consultation.obligations = [ConsultationObligation(obligation_code=code)
                                for code in dict.fromkeys(details.obligations)]


def create_consultation(session: Session, details: ConsultationDetails, *, actor: Any,
                        now: datetime | None = None) -> Consultation:
    """A new consultation in status draft, with an empty working version 1."""
    _validate(session, details, None, now or utcnow())
    consultation = Consultation(status=Status.DRAFT, created_by_id=getattr(actor, "id", None))
    _apply(session, consultation, details)
    consultation.versions = [DraftVersion(number=1)]
    session.add(consultation)
    session.flush()
    search.index_consultation(session, consultation)
    record(session, actor=actor, action="consultation.created", target=consultation,
           after={"title": consultation.title, "country": consultation.country_code})
    return consultation


def update_consultation(session: Session, consultation: Consultation, details: ConsultationDetails, *,
                        actor: Any, now: datetime | None = None) -> Consultation:
    _validate(session, details, consultation, now or utcnow())
    if details.country_code != consultation.country_code and consultation.status != Status.DRAFT:
        raise DomainError(_l("The State of a published consultation cannot change."), field="country_code")
    before = {"opens_at": consultation.opens_at.isoformat(), "closes_at": consultation.closes_at.isoformat()}
    # Replace association rows in two flushes so the primary keys never collide.
    consultation.regions = []
    consultation.obligations = []
    session.flush()
    _apply(session, consultation, details)
    session.flush()
    search.index_consultation(session, consultation)
    after = {"opens_at": consultation.opens_at.isoformat(), "closes_at": consultation.closes_at.isoformat()}
    if after != before:
        record(session, actor=actor, action="consultation.dates_changed", target=consultation,
               before=before, after=after)
    return consultation


# --- lifecycle ----------------------------------------------------------------

def _set_status(session: Session, consultation: Consultation, new: str, *, actor: Any, action: str,
                reason: str | None = None) -> None:
    old = consultation.status
    consultation.status = new
    session.flush()
    record(session, actor=actor, action=action, target=consultation, reason=reason,
           before={"status": old}, after={"status": new})


def publish_version(session: Session, consultation: Consultation, *, change_note: str = "", actor: Any,
                    now: datetime | None = None) -> DraftVersion:
    """Freeze the working version. The first publication schedules the consultation."""
    now = now or utcnow()
    version = consultation.working_version
    if version is None:
        raise Conflict(_l("There is no draft version to publish. Start a new version first."))
    if not version.sections:
        raise DomainError(_l("The draft has no sections yet. Import or add the text before publishing."),
                          field="change_note")
    if version.number > 1 and not change_note.strip():
        raise DomainError(_l("Explain what changed in this version."), field="change_note")
    effective = consultation.effective_status(now)
    if effective not in (Status.DRAFT, Status.SCHEDULED, Status.OPEN):
        raise ConsultationClosed(_l("The consultation has closed; no new version can be published."))
    if consultation.status == Status.DRAFT and consultation.closes_at <= now:
        raise DomainError(_l("The closing date is in the past. Change the dates before publishing."),
                          field="change_note")
    version.status = DraftVersion.PUBLISHED
    version.change_note = change_note.strip()
    version.published_at = now
    version.published_by_id = getattr(actor, "id", None)
    session.flush()
    record(session, actor=actor, action="consultation.version_published", target=consultation,
           after={"version": version.number})
    if consultation.status == Status.DRAFT:
        _set_status(session, consultation, clock_status(consultation.opens_at, consultation.closes_at, now),
                    actor=actor, action="consultation.scheduled")
    search.index_consultation(session, consultation)
    return version


def start_revision(session: Session, consultation: Consultation, *, actor: Any) -> DraftVersion:
    """Version N+1 as a copy of the latest published one (same anchors), ready to edit."""
    if consultation.working_version is not None:
        raise Conflict(_l("A new version is already being prepared."))
    if consultation.effective_status() not in (Status.SCHEDULED, Status.OPEN):
        raise ConsultationClosed(_l("Only a scheduled or open consultation can get a new version."))
    current = consultation.current_version
    version = DraftVersion(number=(current.number + 1) if current else 1)
    consultation.versions.append(version)
    for section in current.sections if current else []:
        version.sections.append(Section(
            position=section.position, level=section.level, number=section.number, heading=section.heading,
            anchor=section.anchor, body_source=section.body_source, body_html=section.body_html,
            sanitizer_version=section.sanitizer_version,
            obligations=[SectionObligation(obligation_code=c) for c in section.obligation_codes],
        ))
    session.flush()
    record(session, actor=actor, action="consultation.revision_started", target=consultation,
           after={"version": version.number})
    return version


def open_early(session: Session, consultation: Consultation, *, reason: str, actor: Any,
               now: datetime | None = None) -> None:
    now = now or utcnow()
    if not reason.strip():
        raise DomainError(_l("Give a reason for opening early."), field="reason")
    if consultation.effective_status(now) != Status.SCHEDULED:
        raise Conflict(_l("Only a scheduled consultation can be opened early."))
    consultation.opens_at = now
    _set_status(session, consultation, Status.OPEN, actor=actor, action="consultation.opened_early",
                reason=reason.strip())


def close_early(session: Session, consultation: Consultation, *, reason: str, actor: Any,
                now: datetime | None = None) -> None:
    now = now or utcnow()
    if not reason.strip():
        raise DomainError(_l("Give a reason for closing early."), field="reason")
    if consultation.effective_status(now) != Status.OPEN:
        raise Conflict(_l("Only an open consultation can be closed early."))
    consultation.closes_at = now
    _set_status(session, consultation, Status.CLOSED, actor=actor, action="consultation.closed_early",
                reason=reason.strip())


def tick_consultations(session: Session, *, now: datetime | None = None) -> list[tuple[Consultation, str, str]]:
    """Move stored statuses to what the clock says (the pages never wait for this)."""
    now = now or utcnow()
    due = session.scalars(select(Consultation).where(
        ((Consultation.status == Status.SCHEDULED) & (Consultation.opens_at <= now))
        | ((Consultation.status.in_((Status.SCHEDULED, Status.OPEN))) & (Consultation.closes_at <= now))
    ).order_by(Consultation.id).with_for_update(skip_locked=True))
    changes = []
    for consultation in due:
        old, new = consultation.status, consultation.effective_status(now)
        if new != old:
            _set_status(session, consultation, new, actor=None, action=f"consultation.{new}")
            changes.append((consultation, old, new))
    return changes


# --- sections -----------------------------------------------------------------

def _editable(consultation: Consultation) -> DraftVersion:
    version = consultation.working_version
    if version is None:
        raise VersionFrozen(_l("Published versions cannot be changed. Start a new version to revise the draft."))
    return version


def _check_obligations(session: Session, codes: list[str]) -> None:
    known = set(session.scalars(select(Obligation.code).where(Obligation.code.in_(codes))))
    _check_choices(codes, known, "obligations", _l("Unknown obligation codes: %(codes)s"))


def replace_sections(session: Session, consultation: Consultation, parsed: list[ParsedSection], *,
                     actor: Any) -> DraftVersion:
    """Import: the working version's sections become ``parsed``; all or nothing."""
    version = _editable(consultation)
    if not parsed:
        raise DomainError(_l("The draft is empty."), field="source")
    anchors = [p.anchor for p in parsed]
    if len(set(anchors)) != len(anchors):
        raise DomainError(_l("Two sections share the same anchor."), field="source")
    session.execute(delete(Section).where(Section.version_id == version.id)
                    .execution_options(content_scopes=text_scopes(consultation.id)))
    session.expire(version, ["sections"])
    for position, item in enumerate(parsed, start=1):
        session.add(Section(
            version_id=version.id, position=position, level=item.level, number=item.number[:64],
            heading=item.heading[:300], anchor=item.anchor, body_source=item.body_source,
            body_html=render_markdown(item.body_source), sanitizer_version=SANITIZER_VERSION,
        ))
    session.flush()
    session.expire(version, ["sections"])
    record(session, actor=actor, action="consultation.draft_imported", target=consultation,
           after={"version": version.number, "sections": len(parsed)})
    return version


@dataclass
class SectionInput:
    level: str
    number: str
    heading: str
    anchor: str
    body: str
    obligations: list[str] = field(default_factory=list)


def _validate_section(session: Session, version: DraftVersion, data: SectionInput, section: Section | None) -> str:
    _check_choices([data.level], SECTION_LEVELS, "level", _l("Unknown level: %(codes)s"))
    if not (data.number.strip() or data.heading.strip()):
        raise DomainError(_l("Enter a number or a heading."), field="heading")
    anchor = data.anchor.strip().lower() or slugify(data.number) or slugify(data.heading)
    if not ANCHOR_PATTERN.match(anchor):
        raise DomainError(_l("Use lower-case letters, digits and hyphens only, e.g. “article-5”."), field="anchor")
    clash = session.scalar(select(Section.id).where(
        Section.version_id == version.id, Section.anchor == anchor,
        Section.id != (section.id if section is not None else -1)))
    if clash is not None:
        raise DomainError(_l("Another section of this version already uses the anchor “%(anchor)s”.", anchor=anchor),
                          field="anchor")
    _check_obligations(session, data.obligations)
    return anchor


def _fill(section: Section, data: SectionInput, anchor: str) -> None:
    section.level = data.level
    section.number = data.number.strip()
    section.heading = data.heading.strip()
    section.anchor = anchor
    section.body_source = data.body
    section.body_html = render_markdown(data.body)
    section.sanitizer_version = SANITIZER_VERSION


def add_section(session: Session, consultation: Consultation, data: SectionInput, *, actor: Any) -> Section:
    version = _editable(consultation)
    anchor = _validate_section(session, version, data, None)
    last = session.scalar(select(func.max(Section.position)).where(Section.version_id == version.id)) or 0
    section = Section(version_id=version.id, position=last + 1)
    _fill(section, data, anchor)
    section.obligations = [SectionObligation(obligation_code=c) for c in dict.fromkeys(data.obligations)]
    session.add(section)
    session.flush()
    session.expire(version, ["sections"])
    return section


def update_section(session: Session, section: Section, data: SectionInput, *, actor: Any) -> Section:
    if section.version.is_published:
        raise VersionFrozen(_l("Published versions cannot be changed. Start a new version to revise the draft."))
    anchor = _validate_section(session, section.version, data, section)
    _fill(section, data, anchor)
    section.obligations = []
    session.flush()
    section.obligations = [SectionObligation(obligation_code=c) for c in dict.fromkeys(data.obligations)]
    session.flush()
    return section


def delete_section(session: Session, section: Section, *, actor: Any) -> None:
    version = section.version
    if version.is_published:
        raise VersionFrozen(_l("Published versions cannot be changed. Start a new version to revise the draft."))
    session.delete(section)
    session.flush()
    session.expire(version, ["sections"])
    for position, remaining in enumerate(version.sections, start=1):
        remaining.position = position
    session.flush()


def move_section(session: Session, section: Section, *, offset: int, actor: Any) -> None:
    """Swap with the neighbour above (offset -1) or below (+1)."""
    version = section.version
    if version.is_published:
        raise VersionFrozen(_l("Published versions cannot be changed. Start a new version to revise the draft."))
    sections = list(version.sections)
    index = sections.index(section)
    target = index + (1 if offset > 0 else -1)
    if 0 <= target < len(sections):
        sections[index], sections[target] = sections[target], sections[index]
        for position, item in enumerate(sections, start=1):
            item.position = position
        session.flush()
        session.expire(version, ["sections"])
