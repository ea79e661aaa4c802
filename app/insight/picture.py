"""The coverage picture: member States × obligation groups (or the elements of one
group), each cell in one of four states that describe the platform, never the
State: a draft addressing it is *in consultation*, its consultation is *closed*,
it has been *summarised*, or there is *nothing on the platform*.

The same ``Picture`` feeds the SVG heat map, the table beside it, the CSV and the
PDF, so the four agree cell by cell. Built from a fixed number of queries
(members, taxonomy, visible drafts, their tags), whatever the size of the region.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.consultations.models import Consultation, Status, Visibility
from app.core.db import utcnow
from app.geography.models import Obligation, Region, RegionMember
from app.geography.queries import country_name
from app.insight.queries import Taxonomy, load_tags, load_taxonomy, member_codes, section_of, visible_drafts

# The obligation groups of the 1540 matrix that bind every State (resolution 1540,
# operative paragraphs 1, 2 and 3(a)-(d)); the later paragraphs and follow-up
# items are listed draft by draft on each State's page.
PICTURE_GROUPS = ("OP1", "OP2", "OP3a", "OP3b", "OP3c", "OP3d")


class CellState(StrEnum):
    CONSULTATION = "consultation"
    SUMMARISED = "summarised"
    CLOSED = "closed"
    NOTHING = "nothing"


# Precedence when several drafts of a State address the same column: what is
# happening now first, then what has been written up, then what is over.
CELL_STATE_ORDER = tuple(CellState)


STATE_LABELS = {
    CellState.CONSULTATION: _l("in consultation"),
    CellState.SUMMARISED: _l("summarised"),
    CellState.CLOSED: _l("closed"),
    CellState.NOTHING: _l("nothing on the platform"),
}
# The word written inside a heat-map cell (the full label is in the legend and the cell's title).
STATE_SHORT = {
    # The word written in a heat-map cell: "open" here is a consultation's state,
    # not an open flag of the review queue.
    CellState.CONSULTATION: lazy_pgettext("coverage cell", "open"),
    CellState.SUMMARISED: lazy_pgettext("coverage cell", "summarised"),
    CellState.CLOSED: lazy_pgettext("coverage cell", "closed"),
    CellState.NOTHING: "–",
}
STATE_HINTS = {
    CellState.CONSULTATION: _l("a draft addressing it is open for comments or scheduled to open"),
    CellState.SUMMARISED: _l("a draft addressing it has a summary of the consultation"),
    CellState.CLOSED: _l("a draft addressing it was consulted on; the consultation is closed"),
    CellState.NOTHING: _l("no draft addressing it that you can read is on the platform"),
}


def draft_state(consultation: Consultation, now: datetime) -> str:
    status = consultation.effective_status(now)
    if status in (Status.OPEN, Status.SCHEDULED):
        return CellState.CONSULTATION
    if status in (Status.SUMMARISED, Status.FORWARDED):
        return CellState.SUMMARISED
    return CellState.CLOSED


@dataclass
class Filters:
    weapon: str | None = None
    instrument: str | None = None
    start: date | None = None  # period: consultations running at some time in [start, end]
    end: date | None = None
    group: str | None = None  # drill down to the elements of one operative paragraph

    def conditions(self) -> list[Any]:
        conditions = []
        if self.instrument:
            conditions.append(Consultation.instrument_type == self.instrument)
        if self.start:
            conditions.append(Consultation.closes_at >= datetime.combine(self.start, time.min, tzinfo=UTC))
        if self.end:
            day_after = datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=UTC)
            conditions.append(Consultation.opens_at < day_after)
        return conditions

    def keeps(self, consultation: Consultation) -> bool:
        return not self.weapon or self.weapon in (consultation.weapon_categories or [])

    def query_args(self) -> dict[str, str]:
        """The filters as URL parameters, for the download links."""
        args = {"weapon": self.weapon, "instrument": self.instrument, "group": self.group,
                "start": self.start.isoformat() if self.start else None,
                "end": self.end.isoformat() if self.end else None}
        return {k: v for k, v in args.items() if v}

    def args_with_group(self, group: str | None) -> dict[str, str]:
        args = self.query_args()
        args.pop("group", None)
        return {**args, "group": group} if group else args


@dataclass
class PictureCell:
    state: str = CellState.NOTHING
    drafts: list[Consultation] = field(default_factory=list)
    fields: set[str] = field(default_factory=set)  # element codes addressed (group columns only)

    @property
    def label(self):
        return STATE_LABELS[self.state]


@dataclass
class PictureRow:
    country_code: str
    name: str
    drafts: list[Consultation]
    cells: dict[str, PictureCell]


@dataclass
class Picture:
    region: Region
    columns: list[Obligation]
    group: Obligation | None
    rows: list[PictureRow]
    filters: Filters
    now: datetime

    @property
    def drafts(self) -> list[Consultation]:
        return [d for row in self.rows for d in row.drafts]

    @property
    def restricted(self) -> list[Consultation]:
        return [d for d in self.drafts if d.visibility != Visibility.PUBLIC]

    def cell(self, row: PictureRow, code: str) -> PictureCell:
        return row.cells.get(code) or PictureCell()

    def states_addressing(self, code: str) -> int:
        return sum(1 for row in self.rows if self.cell(row, code).state != CellState.NOTHING)

    def column_counts(self, code: str) -> dict[str, int]:
        counts = dict.fromkeys(CELL_STATE_ORDER, 0)
        for row in self.rows:
            counts[self.cell(row, code).state] += 1
        return counts

    @property
    def gaps(self) -> list[Obligation]:
        return [c for c in self.columns if not self.states_addressing(c.code)]

    def ranked_columns(self) -> list[tuple[Obligation, int]]:
        """Columns by the number of member States with a draft addressing them, most first."""
        return sorted(((c, self.states_addressing(c.code)) for c in self.columns), key=lambda item: -item[1])


def coverage_picture(session: Session, region: Region, user: Any, filters: Filters | None = None,
                     now: datetime | None = None, taxonomy: Taxonomy | None = None) -> Picture:
    filters = filters or Filters()
    now = now or utcnow()
    members = member_codes(session, region.code)
    taxonomy = taxonomy or load_taxonomy(session)
    group = taxonomy.by_code.get(filters.group) if filters.group else None
    if group is not None and group.code in PICTURE_GROUPS:
        columns = taxonomy.elements.get(group.code, [])
    else:
        group, columns = None, [s for s in taxonomy.sections if s.code in PICTURE_GROUPS]
    column_codes = {c.code for c in columns}
    drafts = [d for d in visible_drafts(session, user, Consultation.country_code.in_(
        select(RegionMember.country_code).where(RegionMember.region_code == region.code)), *filters.conditions())
        if filters.keeps(d)]
    tags = load_tags(session, [d.id for d in drafts])
    by_country: dict[str, list[Consultation]] = defaultdict(list)
    for draft in drafts:
        by_country[draft.country_code].append(draft)
    rows = []
    for code in members:
        cells: dict[str, PictureCell] = {}
        for draft in by_country.get(code, []):
            codes = tags.get(draft.id, {})
            if group is None:
                hit = {section_of(c) for c in codes} & column_codes
            else:
                hit = set(codes) & column_codes
            state = draft_state(draft, now)
            for column in hit:
                cell = cells.setdefault(column, PictureCell())
                cell.drafts.append(draft)
                if CELL_STATE_ORDER.index(state) < CELL_STATE_ORDER.index(cell.state):
                    cell.state = state
                if group is None:
                    cell.fields.update(c for c in codes if "." in c and section_of(c) == column)
        rows.append(PictureRow(code, country_name(code), by_country.get(code, []), cells))
    rows.sort(key=lambda row: row.name.casefold())
    return Picture(region, columns, group, rows, filters, now)
