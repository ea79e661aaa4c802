"""Figures of a consultation's discussion, computed — never typed.

Three grouped queries whatever the number of comments: comments grouped by
(section anchor, kind, stance, organisation), the regions of the
organisations' countries, and comments per obligation tag. Distinct
organisations are counted in Python from the grouped rows, so every
breakdown (per kind, stance, organisation kind, country, region, section)
counts each organisation once.

Only published comments count. Restricted comments count only in
restricted summaries, so public figures never reveal them.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import Organisation
from app.comments.models import Audience, Comment, CommentStatus
from app.consultations.models import Section, SectionObligation
from app.core.db import utcnow
from app.geography.models import RegionMember

INDIVIDUAL = "individual"  # organisation kind of comments made in a personal capacity
UNKNOWN = "unknown"
NO_STANCE = "none"
OVERALL = ""  # section key of comments on the draft as a whole
TOP_OBLIGATIONS = 5


@dataclass
class _Row:
    anchor: str
    kind: str
    stance: str
    organisation_id: int | None
    organisation_kind: str
    country: str
    comments: int


class _Tally:
    """Comments and distinct organisations, per key."""

    def __init__(self) -> None:
        self.comments: dict[str, int] = defaultdict(int)
        self.organisations: dict[str, set[int]] = defaultdict(set)

    def add(self, key: str, row: _Row) -> None:
        self.comments[key] += row.comments
        if row.organisation_id is not None:
            self.organisations[key].add(row.organisation_id)

    def as_dict(self) -> dict[str, dict[str, int]]:
        return {key: {"comments": self.comments[key], "organisations": len(self.organisations[key])}
                for key in sorted(self.comments, key=lambda k: (-self.comments[k], k))}


def _rows(session: Session, consultation_id: int, include_restricted: bool) -> list[_Row]:
    conditions = [Comment.consultation_id == consultation_id, Comment.status == CommentStatus.PUBLISHED]
    if not include_restricted:
        conditions.append(Comment.audience == Audience.PUBLIC)
    stmt = (
        select(Section.anchor, Comment.kind, Comment.stance, Comment.organisation_id, Organisation.kind,
               Organisation.country_code, func.count(Comment.id))
        .select_from(Comment)
        .outerjoin(Section, Section.id == Comment.section_id)
        .outerjoin(Organisation, Organisation.id == Comment.organisation_id)
        .where(*conditions)
        .group_by(Section.anchor, Comment.kind, Comment.stance, Comment.organisation_id, Organisation.kind,
                  Organisation.country_code)
    )
    return [
        _Row(anchor or OVERALL, kind, stance or NO_STANCE, organisation_id,
             organisation_kind or INDIVIDUAL, country or UNKNOWN, count)
        for anchor, kind, stance, organisation_id, organisation_kind, country, count in session.execute(stmt)
    ]


def _regions_of(session: Session, countries: set[str]) -> dict[str, list[str]]:
    regions: dict[str, list[str]] = defaultdict(list)
    if countries:
        for region, country in session.execute(
                select(RegionMember.region_code, RegionMember.country_code)
                .where(RegionMember.country_code.in_(sorted(countries)))
                .order_by(RegionMember.region_code)):
            regions[country].append(region)
    return regions


def _obligations(session: Session, consultation_id: int, include_restricted: bool) -> list[dict[str, Any]]:
    conditions = [Comment.consultation_id == consultation_id, Comment.status == CommentStatus.PUBLISHED]
    if not include_restricted:
        conditions.append(Comment.audience == Audience.PUBLIC)
    count = func.count(Comment.id)
    stmt = (
        select(SectionObligation.obligation_code, count)
        .select_from(Comment)
        .join(SectionObligation, SectionObligation.section_id == Comment.section_id)
        .where(*conditions)
        .group_by(SectionObligation.obligation_code)
        .order_by(count.desc(), SectionObligation.obligation_code)
        .limit(TOP_OBLIGATIONS)
    )
    return [{"code": code, "comments": n} for code, n in session.execute(stmt)]


def compute_statistics(session: Session, consultation_id: int, *, include_restricted: bool) -> dict[str, Any]:
    """The figures of one consultation as plain JSON-ready data."""
    rows = _rows(session, consultation_id, include_restricted)
    regions = _regions_of(session, {r.country for r in rows if r.country != UNKNOWN})
    overall = _Tally()
    tallies = {name: _Tally() for name in ("kind", "stance", "organisation_kind", "country", "region")}
    sections: dict[str, _Tally] = defaultdict(_Tally)
    section_stances: dict[str, _Tally] = defaultdict(_Tally)
    for row in rows:
        overall.add("all", row)
        tallies["kind"].add(row.kind, row)
        tallies["stance"].add(row.stance, row)
        tallies["organisation_kind"].add(row.organisation_kind, row)
        tallies["country"].add(row.country, row)
        for region in regions.get(row.country, ()):
            tallies["region"].add(region, row)
        sections[row.anchor].add("all", row)
        section_stances[row.anchor].add(row.stance, row)
    totals = overall.as_dict().get("all", {"comments": 0, "organisations": 0})
    return {
        "computed_at": utcnow().isoformat(timespec="seconds"),
        "include_restricted": include_restricted,
        "comments": totals["comments"],
        "organisations": totals["organisations"],
        **{f"by_{name}": tally.as_dict() for name, tally in tallies.items()},
        "sections": {
            anchor: {**tally.as_dict()["all"], "by_stance": section_stances[anchor].as_dict()}
            for anchor, tally in sorted(sections.items())
        },
        "obligations": _obligations(session, consultation_id, include_restricted),
    }


def citation_figures(comments: list[Any]) -> dict[str, int]:
    """"3 comments, 2 organisations" for a list of cited comments."""
    return {"comments": len(comments),
            "organisations": len({c.organisation_id for c in comments if c.organisation_id is not None})}
