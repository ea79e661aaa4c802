"""What a digest says, built from plain data — no database, no Flask.

``build_digest`` takes the events of one period (summaries forwarded,
consultations that opened, consultations entering their last 7 days, new
draft versions) and the 1540 taxonomy, and returns the digest's content:
grouped by country, newest first, each consultation once with all its
events, and for each consultation the obligations "addressed / not
addressed in this draft" against the taxonomy section of each tagged code.
It never computes a compliance score: the 1540 Committee says the matrix
does not measure compliance, and neither do we.

``period_for`` says which period a digest of a given frequency covers.

Sections that other packages add (``app/digests/hooks.py``) come as plain data
too, in the shapes that module describes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from app.digests.models import Frequency

FORWARDED = "forwarded"
OPENED = "opened"
CLOSING = "closing"
NEW_VERSION = "new_version"
EVENT_ORDER = (FORWARDED, NEW_VERSION, OPENED, CLOSING)
CLOSING_WINDOW = timedelta(days=7)


# --- input -------------------------------------------------------------------------------

@dataclass(frozen=True)
class ObligationInfo:
    code: str
    title: str
    parent_code: str | None = None
    position: int = 0


@dataclass(frozen=True)
class ConsultationInfo:
    id: int
    title: str
    country_code: str
    country_name: str
    url: str
    opens_at: datetime
    closes_at: datetime
    instrument: str = ""
    obligation_codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Event:
    """Something that happened in the period. For CLOSING, ``at`` is the moment the
    consultation entered its last 7 days (closes_at - 7 days)."""

    kind: str
    at: datetime
    consultation: ConsultationInfo
    url: str = ""
    # forwarded: the summary revision and its headline figures; new_version: the version.
    number: int | None = None
    change_note: str = ""
    comments: int | None = None
    organisations: int | None = None
    # forwarded: the summary itself — its overall text and its points as (provision, text_html)
    # pairs, HTML sanitised when the summary was written.
    overall_html: str = ""
    points_html: tuple[tuple[str, str], ...] = ()


# --- output ------------------------------------------------------------------------------

@dataclass
class Coverage:
    """One taxonomy section (an operative paragraph) touched by the draft's tags."""

    code: str
    title: str
    addressed: list[ObligationInfo] = field(default_factory=list)
    not_addressed: list[ObligationInfo] = field(default_factory=list)
    whole_section: bool = False


@dataclass
class DigestItem:
    consultation: ConsultationInfo
    events: list[Event]
    coverage: list[Coverage]

    @property
    def latest(self) -> datetime:
        return max(e.at for e in self.events)

    @property
    def forwarded(self) -> Event | None:
        return next((e for e in self.events if e.kind == FORWARDED), None)

    def has(self, kind: str) -> bool:
        return any(e.kind == kind for e in self.events)


@dataclass
class CountryGroup:
    country_code: str
    country_name: str
    items: list[DigestItem]

    @property
    def latest(self) -> datetime:
        return max(i.latest for i in self.items)


@dataclass
class DigestContent:
    period_start: datetime
    period_end: datetime
    groups: list[CountryGroup]
    # Sections added by other packages (hooks); they never make an empty period worth sending.
    sections: list = field(default_factory=list)

    @property
    def item_count(self) -> int:
        return sum(len(g.items) for g in self.groups)

    @property
    def is_empty(self) -> bool:
        return not self.groups

    @property
    def titles(self) -> list[str]:
        return [i.consultation.title for g in self.groups for i in g.items]


# --- functions ---------------------------------------------------------------------------------

def coverage(codes: Iterable[str], taxonomy: dict[str, ObligationInfo]) -> list[Coverage]:
    """Addressed / not addressed in this draft, per taxonomy section of each tagged code.

    An element tagged → addressed; the other elements of the same section →
    not addressed in this draft. A section tagged only as a whole lists no
    gaps (the tag does not say which elements it covers).
    """
    tagged = {c for c in codes if c in taxonomy}
    sections: dict[str, Coverage] = {}
    for code in sorted(tagged):
        info = taxonomy[code]
        section_code = info.parent_code or info.code
        section = taxonomy.get(section_code, info)
        entry = sections.setdefault(section_code, Coverage(section.code, section.title))
        if info.parent_code is None:
            entry.whole_section = True
    for section_code, entry in sections.items():
        elements = sorted((o for o in taxonomy.values() if o.parent_code == section_code),
                          key=lambda o: (o.position, o.code))
        entry.addressed = [o for o in elements if o.code in tagged]
        if entry.addressed:
            entry.not_addressed = [o for o in elements if o.code not in tagged]
    order = {code: (info.position, code) for code, info in taxonomy.items()}
    return sorted(sections.values(), key=lambda c: order.get(c.code, (10**6, c.code)))


def _dedupe(events: Iterable[Event]) -> list[Event]:
    """One event per (consultation, kind, number): the newest wins."""
    best: dict[tuple[int, str, int | None], Event] = {}
    for event in events:
        key = (event.consultation.id, event.kind, event.number if event.kind == NEW_VERSION else None)
        if key not in best or event.at > best[key].at:
            best[key] = event
    return list(best.values())


def build_digest(events: Iterable[Event], taxonomy: dict[str, ObligationInfo], *, period_start: datetime,
                 period_end: datetime, sections: Iterable = ()) -> DigestContent:
    by_consultation: dict[int, list[Event]] = {}
    infos: dict[int, ConsultationInfo] = {}
    for event in _dedupe(events):
        if not (period_start <= event.at < period_end):
            continue  # outside the period: it belongs to another digest
        by_consultation.setdefault(event.consultation.id, []).append(event)
        infos[event.consultation.id] = event.consultation
    groups: dict[str, CountryGroup] = {}
    for consultation_id, evts in by_consultation.items():
        info = infos[consultation_id]
        evts.sort(key=lambda e: (EVENT_ORDER.index(e.kind) if e.kind in EVENT_ORDER else 99, -e.at.timestamp()))
        item = DigestItem(info, evts, coverage(info.obligation_codes, taxonomy))
        groups.setdefault(info.country_code, CountryGroup(info.country_code, info.country_name, [])).items.append(
            item)
    for group in groups.values():
        group.items.sort(key=lambda i: (i.latest, i.consultation.id), reverse=True)
    ordered = sorted(groups.values(), key=lambda g: (g.latest, g.country_code), reverse=True)
    return DigestContent(period_start, period_end, ordered, list(sections))


def period_for(frequency: str, now: datetime) -> tuple[str, datetime, datetime]:
    """(key, start, end) of the last complete period before ``now``, in UTC.

    immediate → the last full hour; daily → yesterday; weekly → last ISO week
    (Monday to Monday). Keys carry the frequency, so they never collide.
    """
    now = now.astimezone(UTC)
    if frequency == Frequency.IMMEDIATE:
        end = now.replace(minute=0, second=0, microsecond=0)
        start = end - timedelta(hours=1)
        return f"H{start:%Y-%m-%dT%H}", start, end
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if frequency == Frequency.DAILY:
        start = midnight - timedelta(days=1)
        return f"D{start:%Y-%m-%d}", start, midnight
    end = midnight - timedelta(days=midnight.weekday())
    start = end - timedelta(days=7)
    year, week, _day = start.isocalendar()
    return f"W{year}-{week:02d}", start, end
