"""Read side of the regional coverage view: which 1540 obligations the drafts
of a region's member States address, and where the gaps are.

Everything is computed from a fixed number of grouped queries, whatever the
number of States, consultations or tags: the region's members, the taxonomy,
the consultations the viewer may read, their consultation-level tags and the
tags of the sections of their current (latest published) version. The rest is
done in Python.

Vocabulary (../shared/domain/primer.md, sections 4-5): a draft *addresses* a
matrix data field, or it is *not addressed in this draft*; never a score.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, selectinload

from app.consultations.models import (
    Consultation,
    ConsultationObligation,
    DraftVersion,
    Section,
    SectionObligation,
    Visibility,
)
from app.consultations.queries import visible_condition
from app.geography.models import Obligation, Region, RegionMember
from app.geography.queries import country_name


def section_of(code: str) -> str:
    """OP3d.transit -> OP3d; OP3d -> OP3d."""
    return code.split(".", 1)[0]


# --- the pieces ------------------------------------------------------------------------


@dataclass(frozen=True)
class Provision:
    """A section of a draft's current version that carries a tag."""

    anchor: str
    title: str


@dataclass
class Taxonomy:
    sections: list[Obligation]
    elements: dict[str, list[Obligation]]  # section code -> its elements, in order
    by_code: dict[str, Obligation]


def load_taxonomy(session: Session) -> Taxonomy:
    rows = list(session.scalars(select(Obligation).order_by(Obligation.position, Obligation.code)))
    sections = [o for o in rows if o.parent_code is None]
    elements: dict[str, list[Obligation]] = {s.code: [] for s in sections}
    for row in rows:
        if row.parent_code is not None:
            elements.setdefault(row.parent_code, []).append(row)
    return Taxonomy(sections, elements, {o.code: o for o in rows})


def _current_versions():
    """consultation_id -> number of its latest published version."""
    return (
        select(DraftVersion.consultation_id, func.max(DraftVersion.number).label("number"))
        .where(DraftVersion.status == DraftVersion.PUBLISHED)
        .group_by(DraftVersion.consultation_id)
        .subquery()
    )


def load_tags(session: Session, consultation_ids: list[int]) -> dict[int, dict[str, list[Provision]]]:
    """{consultation id: {code: provisions of the current version tagged with it}}.

    A code tagged on the consultation but on no provision maps to an empty list.
    Two queries, whatever the number of consultations. Unpublished versions never count.
    """
    tags: dict[int, dict[str, list[Provision]]] = defaultdict(dict)
    if not consultation_ids:
        return tags
    for cid, code in session.execute(
        select(ConsultationObligation.consultation_id, ConsultationObligation.obligation_code)
        .where(ConsultationObligation.consultation_id.in_(consultation_ids))
    ):
        tags[cid].setdefault(code, [])
    current = _current_versions()
    rows = session.execute(
        select(DraftVersion.consultation_id, SectionObligation.obligation_code, Section.anchor, Section.number,
               Section.heading)
        .join(current, and_(current.c.consultation_id == DraftVersion.consultation_id,
                            current.c.number == DraftVersion.number))
        .join(Section, Section.version_id == DraftVersion.id)
        .join(SectionObligation, SectionObligation.section_id == Section.id)
        .where(DraftVersion.consultation_id.in_(consultation_ids))
        .order_by(DraftVersion.consultation_id, Section.position)
    )
    for cid, code, anchor, number, heading in rows:
        title = " — ".join(part for part in (number, heading) if part) or anchor
        tags[cid].setdefault(code, []).append(Provision(anchor, title))
    return tags


# --- one draft: addressed / not addressed in this draft ----------------------------------


@dataclass
class SectionBreakdown:
    section: Obligation
    addressed: list[tuple[Obligation, list[Provision]]]
    not_addressed: list[Obligation]
    weapon_categories: list[str]  # the draft's categories this section applies to
    whole_section: list[Provision] | None = None  # tagged with the section code itself


@dataclass
class DraftBreakdown:
    consultation: Consultation
    touched: list[SectionBreakdown]
    untouched: list[Obligation]  # sections the draft addresses nothing in

    @property
    def codes(self) -> set[str]:
        return {o.code for s in self.touched for o, _ in s.addressed} | {
            s.section.code for s in self.touched if s.whole_section is not None}


def breakdown(consultation: Consultation, tags: dict[str, list[Provision]], taxonomy: Taxonomy) -> DraftBreakdown:
    touched, untouched = [], []
    categories = list(consultation.weapon_categories or [])
    for section in taxonomy.sections:
        elements = taxonomy.elements.get(section.code, [])
        addressed = [(o, tags[o.code]) for o in elements if o.code in tags]
        whole = tags.get(section.code)
        if not addressed and whole is None:
            untouched.append(section)
            continue
        applies = section.applies_to or []
        touched.append(SectionBreakdown(
            section=section, addressed=addressed,
            not_addressed=[o for o in elements if o.code not in tags],
            weapon_categories=[c for c in categories if c in applies] if applies else [],
            whole_section=whole,
        ))
    return DraftBreakdown(consultation, touched, untouched)


def consultation_breakdown(session: Session, consultation: Consultation) -> DraftBreakdown:
    taxonomy = load_taxonomy(session)
    return breakdown(consultation, load_tags(session, [consultation.id]).get(consultation.id, {}), taxonomy)


# --- a region: the matrix ---------------------------------------------------------------


@dataclass
class Cell:
    drafts: list[Consultation] = field(default_factory=list)
    fields: set[str] = field(default_factory=set)  # element codes addressed, across the State's drafts


@dataclass
class StateRow:
    country_code: str
    name: str
    drafts: list[Consultation]
    cells: dict[str, Cell]

    def cell(self, section_code: str) -> Cell | None:
        return self.cells.get(section_code)


@dataclass
class RegionCoverage:
    region: Region
    sections: list[Obligation]
    rows: list[StateRow]

    @property
    def drafts(self) -> list[Consultation]:
        return [d for row in self.rows for d in row.drafts]

    @property
    def restricted(self) -> list[Consultation]:
        return [d for d in self.drafts if d.visibility != Visibility.PUBLIC]

    def states_addressing(self, section_code: str) -> int:
        return sum(1 for row in self.rows if section_code in row.cells)

    @property
    def gaps(self) -> list[Obligation]:
        """Sections no draft of any member State addresses."""
        return [s for s in self.sections if not self.states_addressing(s.code)]


def member_codes(session: Session, region_code: str) -> list[str]:
    return list(session.scalars(
        select(RegionMember.country_code).where(RegionMember.region_code == region_code)))


def visible_drafts(session: Session, user: Any, *conditions) -> list[Consultation]:
    """Published consultations the viewer may read (drafts never count), oldest first."""
    return list(session.scalars(
        select(Consultation).where(visible_condition(user), *conditions)
        .order_by(Consultation.country_code, Consultation.opens_at, Consultation.id)))


def region_coverage(session: Session, region: Region, user: Any) -> RegionCoverage:
    members = member_codes(session, region.code)
    taxonomy = load_taxonomy(session)
    drafts = visible_drafts(session, user, Consultation.country_code.in_(
        select(RegionMember.country_code).where(RegionMember.region_code == region.code)))
    tags = load_tags(session, [d.id for d in drafts])
    by_country: dict[str, list[Consultation]] = defaultdict(list)
    for draft in drafts:
        by_country[draft.country_code].append(draft)
    columns = {s.code for s in taxonomy.sections}
    rows = []
    for code in members:
        cells: dict[str, Cell] = {}
        for draft in by_country.get(code, []):
            for section_code in sorted({section_of(c) for c in tags.get(draft.id, {})} & columns):
                cell = cells.setdefault(section_code, Cell())
                cell.drafts.append(draft)
            for tag in tags.get(draft.id, {}):
                if "." in tag and section_of(tag) in cells:
                    cells[section_of(tag)].fields.add(tag)
        rows.append(StateRow(code, country_name(code), by_country.get(code, []), cells))
    rows.sort(key=lambda row: row.name.casefold())
    return RegionCoverage(region, taxonomy.sections, rows)


def state_breakdowns(session: Session, region: Region, country_code: str, user: Any) -> list[DraftBreakdown]:
    """Addressed / not addressed for every draft of one member State the viewer may read."""
    taxonomy = load_taxonomy(session)
    drafts = visible_drafts(session, user, Consultation.country_code == country_code)
    tags = load_tags(session, [d.id for d in drafts])
    return [breakdown(d, tags.get(d.id, {}), taxonomy) for d in drafts]


# --- side-by-side provisions -------------------------------------------------------------


def tagged_provisions(session: Session, consultations: list[Consultation], code: str) -> dict[int, list[Section]]:
    """{consultation id: sections of its current version tagged with ``code`` (or, for a
    section code, with any of its elements)}, in one query."""
    ids = [c.id for c in consultations]
    result: dict[int, list[Section]] = {cid: [] for cid in ids}
    if not ids:
        return result
    current = _current_versions()
    matches = SectionObligation.obligation_code == code
    if "." not in code:
        matches = matches | SectionObligation.obligation_code.startswith(code + ".", autoescape=True)
    tagged = select(SectionObligation.section_id).where(matches)
    rows = session.execute(
        select(DraftVersion.consultation_id, Section)
        .join(current, and_(current.c.consultation_id == DraftVersion.consultation_id,
                            current.c.number == DraftVersion.number))
        .join(Section, Section.version_id == DraftVersion.id)
        .where(DraftVersion.consultation_id.in_(ids), Section.id.in_(tagged))
        .options(selectinload(Section.obligations))
        .order_by(DraftVersion.consultation_id, Section.position)
    )
    for cid, section in rows:
        result[cid].append(section)
    return result


def load_with_versions(session: Session, consultation_ids: list[int]) -> dict[int, Consultation]:
    if not consultation_ids:
        return {}
    return {c.id: c for c in session.scalars(
        select(Consultation).where(Consultation.id.in_(consultation_ids))
        .options(selectinload(Consultation.versions), selectinload(Consultation.invitations)))}
