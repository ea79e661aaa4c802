"""Stakeholder analytics of one consultation (or one of its sections): who took
part (organisation kind, stance, organisation country, language), amendments
and what the drafting government decided about them, participation over time,
and where the debate is.

Public figures count only what the public may see: published comments with a
public audience, whoever is looking (``counted_condition`` of an anonymous
viewer, the SQL form of ``can_see_comment`` for counts). Those who may read the
restricted comments (``can_see_restricted``: admins, the consultation's
moderators, the drafting government, focal points in scope) get exact figures
over everything they may read. In public figures a count of 1 or 2 is shown as
"fewer than 3", so a breakdown never points at one or two people.

Five grouped queries, whatever the number of comments. ``participation``,
``amendment_decisions`` and ``over_time`` take any comment condition: the
analytics of a regional organisation's members (region_analytics.py) use them
over many consultations at once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import Organisation
from app.accounts.org_forms import KIND_LABELS
from app.accounts.sessions import Anonymous
from app.comments.forms import STANCE_LABELS
from app.comments.models import Comment, CommentKind, Stance
from app.comments.policy import can_see_restricted
from app.comments.queries import counted_condition
from app.consultations.models import Consultation, Section
from app.geography.queries import country_name
from app.summaries.models import DECISIONS, Decision, Disposition, DispositionComment

SMALL = 3  # public counts below this (and above zero) are not shown exactly

DECISION_LABELS = {
    Decision.ACCEPTED: _l("Accepted"),
    Decision.PARTLY_ACCEPTED: _l("Partly accepted"),
    Decision.NOT_ACCEPTED: _l("Not accepted"),
    Decision.NOTED: _l("Noted"),
}
NO_DECISION = "none"


@dataclass(frozen=True)
class Figure:
    """A count as a reader is shown it."""

    value: int
    suppressed: bool = False

    def __str__(self) -> str:
        return str(_l("fewer than 3")) if self.suppressed else str(self.value)

    @property
    def bar(self) -> int:
        """The length a chart may draw: none for a suppressed count (it is drawn hatched instead)."""
        return 0 if self.suppressed else self.value


def share(part: Figure, whole: Figure) -> str:
    """``part`` as a percentage of ``whole``; withheld ("–") when either count is withheld or
    there is nothing to divide."""
    if whole.suppressed or part.suppressed or not whole.value:
        return "–"
    return f"{round(100 * part.value / whole.value)} %"


def figure(value: int, exact: bool) -> Figure:
    return Figure(value, suppressed=not exact and 0 < value < SMALL)


def rank_key(f: Figure) -> int:
    """What an ordering may use: a suppressed count sorts as if it were 1, so the
    order of rows never tells a 2 from a 1."""
    return 1 if f.suppressed else f.value


@dataclass
class Row:
    key: str | None
    label: str
    comments: Figure
    organisations: Figure
    amendments: Figure


@dataclass
class Breakdown:
    name: str  # kind, stance, country, language
    title: Any
    rows: list[Row]

    @property
    def chart(self) -> list[tuple[str, Figure]]:
        return [(r.label, r.comments) for r in self.rows]


@dataclass
class Ranked:
    section_id: int | None
    label: str
    anchor: str | None
    comments: Figure
    opposing: Figure
    amendments: Figure

    @property
    def opposition_share(self) -> str:
        """Opposing comments as a share of the section's comments; withheld with a small count."""
        return share(self.opposing, self.comments)


@dataclass
class Analytics:
    consultation: Consultation | None  # None: a regional organisation's (region_analytics.py)
    section: Section | None
    exact: bool
    comments: Figure
    organisations: Figure
    amendments: Figure
    breakdowns: list[Breakdown]
    decisions: list[tuple[str, Any, Figure]]
    days: list[tuple[date, Figure]]
    weeks: list[tuple[date, Figure]]
    debate: list[Ranked] = field(default_factory=list)
    region: Any = None
    consultations: list = field(default_factory=list)  # a region's consultations, most comments first

    @property
    def decision_chart(self) -> list[tuple[str, Figure]]:
        return [(str(label), value) for _, label, value in self.decisions]

    def time_chart(self, by: str) -> list[tuple[str, Figure]]:
        return [(day.isoformat(), value) for day, value in (self.days if by == "day" else self.weeks)]


def sees_exact_figures(user: Any, consultation: Consultation) -> bool:
    return can_see_restricted(user, consultation)


def _day(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


@dataclass
class Participation:
    """What the grouped "who" query tells: totals, the four breakdowns and, when asked,
    the same per consultation (comments, organisations, opposing, amendments)."""

    comments: int
    organisations: int
    amendments: int
    breakdowns: list[Breakdown]
    per_consultation: dict[int, tuple[int, set, int, int]]


def participation(session: Session, condition, fig, *, language_name=lambda code: code,
                  per_consultation: bool = False) -> Participation:
    """One grouped query: organisation kind and country, language, stance, kind of
    comment and organisation (and consultation, when ``per_consultation``)."""
    columns = [Organisation.kind, Organisation.country_code, Comment.language, Comment.stance, Comment.kind,
               Comment.organisation_id]
    if per_consultation:
        columns.append(Comment.consultation_id)
    who = session.execute(
        select(*columns, func.count())
        .select_from(Comment).outerjoin(Organisation, Organisation.id == Comment.organisation_id)
        .where(condition)
        .group_by(*columns)).all()
    dims = {"kind": 0, "country": 1, "language": 2, "stance": 3}
    tallies: dict[str, dict[Any, list]] = {name: defaultdict(lambda: [0, set(), 0]) for name in dims}
    per: dict[int, list] = defaultdict(lambda: [0, set(), 0, 0])
    total_comments, total_amendments, all_orgs = 0, 0, set()
    for row in who:
        kind, count, org = row[4], row[-1], row[5]
        amendments = count if kind == CommentKind.AMENDMENT else 0
        total_comments += count
        total_amendments += amendments
        if org is not None:
            all_orgs.add(org)
        for name, index in dims.items():
            tally = tallies[name][row[index]]
            tally[0] += count
            tally[2] += amendments
            if org is not None:
                tally[1].add(org)
        if per_consultation:
            tally = per[row[6]]
            tally[0] += count
            tally[2] += amendments
            tally[3] += count if row[3] == Stance.OPPOSES else 0
            if org is not None:
                tally[1].add(org)
    labels = {
        "kind": lambda k: str(KIND_LABELS.get(k, k)) if k else str(_l("No organisation (individuals)")),
        "country": lambda c: country_name(c) if c else str(_l("No organisation (individuals)")),
        "language": lambda code: language_name(code) if code else str(_l("Not given")),
        "stance": lambda s: str(STANCE_LABELS.get(s, s)) if s else str(_l("No position given")),
    }
    titles = {"kind": _l("By kind of organisation"), "stance": _l("By stance"),
              "country": _l("By country of the organisation"), "language": _l("By language")}
    order = {"stance": [Stance.SUPPORTS, Stance.OPPOSES, Stance.NEUTRAL, None]}
    breakdowns = []
    for name in ("kind", "stance", "country", "language"):
        items = tallies[name]
        if name in order:
            keys = [k for k in order[name] if k in items]
        else:
            keys = sorted(items, key=lambda k: (-rank_key(fig(items[k][0])), labels[name](k).casefold()))
        breakdowns.append(Breakdown(name, titles[name], [
            Row(k, labels[name](k), fig(items[k][0]), fig(len(items[k][1])), fig(items[k][2])) for k in keys]))
    return Participation(total_comments, len(all_orgs), total_amendments, breakdowns,
                         {k: tuple(v) for k, v in per.items()})


def amendment_decisions(session: Session, condition, fig, total_amendments: int) -> list[tuple[str, Any, Figure]]:
    """Amendments proposed and the decisions on them (a disposition answers comments); one query."""
    decided: dict[int, set[str]] = defaultdict(set)
    for comment_id, decision in session.execute(
            select(DispositionComment.comment_id, Disposition.decision)
            .join(Disposition, Disposition.id == DispositionComment.disposition_id)
            .join(Comment, Comment.id == DispositionComment.comment_id)
            .where(condition, Comment.kind == CommentKind.AMENDMENT)):
        decided[comment_id].add(decision)
    per_decision = {d: sum(1 for ds in decided.values() if d in ds) for d in DECISIONS}
    decisions = [("proposed", _l("Amendments proposed"), fig(total_amendments))]
    decisions += [(d, DECISION_LABELS[d], fig(per_decision[d])) for d in DECISIONS]
    decisions.append((NO_DECISION, _l("No decision yet"), fig(max(total_amendments - len(decided), 0))))
    return decisions


def over_time(session: Session, condition, fig) -> tuple[list[tuple[date, Figure]], list[tuple[date, Figure]]]:
    """Comments per day and per week (weeks start on Monday), UTC; one grouped query."""
    per_day: dict[date, int] = defaultdict(int)
    for day, count in session.execute(
            select(func.date(Comment.created_at), func.count()).where(condition)
            .group_by(func.date(Comment.created_at))):
        per_day[_day(day)] += count
    days, weeks = [], []
    if per_day:
        first, last = min(per_day), max(per_day)
        span = (last - first).days
        days = [(first + timedelta(days=i), fig(per_day.get(first + timedelta(days=i), 0))) for i in range(span + 1)]
        per_week: dict[date, int] = defaultdict(int)
        for day, count in per_day.items():
            per_week[day - timedelta(days=day.weekday())] += count
        monday = first - timedelta(days=first.weekday())
        while monday <= last:
            weeks.append((monday, fig(per_week.get(monday, 0))))
            monday += timedelta(days=7)
    return days, weeks


def consultation_analytics(session: Session, consultation: Consultation, user: Any,
                           section: Section | None = None, *, language_name=lambda code: code) -> Analytics:
    exact = sees_exact_figures(user, consultation)
    condition = counted_condition(user if exact else Anonymous(), consultation)
    if section is not None:
        condition = condition & (Comment.section_id == section.id)

    def fig(value: int) -> Figure:
        return figure(value, exact)

    who = participation(session, condition, fig, language_name=language_name)
    decisions = amendment_decisions(session, condition, fig, who.amendments)
    days, weeks = over_time(session, condition, fig)

    # 4. where the debate is: sections by comments, opposition and amendments.
    debate: list[Ranked] = []
    if section is None:
        per_section: dict[int | None, list[int]] = defaultdict(lambda: [0, 0, 0])
        for section_id, stance, kind, count in session.execute(
                select(Comment.section_id, Comment.stance, Comment.kind, func.count()).where(condition)
                .group_by(Comment.section_id, Comment.stance, Comment.kind)):
            tally = per_section[section_id]
            tally[0] += count
            tally[1] += count if stance == Stance.OPPOSES else 0
            tally[2] += count if kind == CommentKind.AMENDMENT else 0
        ids = [i for i in per_section if i is not None]
        sections = {s.id: s for s in session.scalars(select(Section).where(Section.id.in_(ids)))} if ids else {}
        for section_id, (comments, opposing, amendments) in per_section.items():
            found = sections.get(section_id)
            if found is not None:
                label = " — ".join(p for p in (found.number, found.heading) if p) or found.anchor
            else:
                label = str(_l("The draft as a whole"))
            debate.append(Ranked(section_id, label, found.anchor if found else None,
                                 fig(comments), fig(opposing), fig(amendments)))
        debate.sort(key=lambda r: (-rank_key(r.comments), -rank_key(r.opposing), -rank_key(r.amendments), r.label))

    return Analytics(consultation, section, exact, fig(who.comments), fig(who.organisations), fig(who.amendments),
                     who.breakdowns, decisions, days, weeks, debate)
