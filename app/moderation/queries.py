"""Read side of moderation for moderators and authors: the review queue with its
context, an item's history, an author's history and "my moderation". What readers
of a consultation see of moderation (public figures, guidelines, the facts a
discussion shows) is in ``app/moderation/reader_queries.py``.

Over 400 lines: the queue's statements (its filters, windows and context loaders) are
tuned together for the query counts the bench measures; they stay side by side.

The queue page runs a fixed number of queries whatever the number of items:
one sum of the consultations' kept counts for the tabs (app/moderation/tally.py),
one count (none for a whole tab or one consultation: their counts are kept) and
one windowed select for the page, read as columns, and at most one query per
kind of context (consultations whose titles are not known yet, sections,
parents, flags of the items that have open ones, author decisions, author
sanctions).
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache
from types import SimpleNamespace
from typing import Any

from sqlalchemy import and_, bindparam, false, func, or_, select
from sqlalchemy.orm import Session, aliased, defer, joinedload

from app.accounts.models import Organisation, User
from app.comments.models import Comment, CommentRevision, CommentStatus
from app.consultations.models import Consultation, Section
from app.core.db import utcnow
from app.core.pagination import Page, paged, paginate
from app.moderation.models import (
    CommentModeration,
    DecisionAction,
    Flag,
    ModerationDecision,
    QueueTally,
    ReasonTemplate,
    Sanction,
    WatchWord,
)
from app.moderation.policy import moderated_consultation_ids

TABS = ("pending", "held", "flagged")
SORTS = ("oldest", "newest", "flags")
PER_PAGE = 25


@dataclass(frozen=True)
class QueueFilters:
    tab: str = "pending"
    consultation_id: int | None = None
    section_id: int | None = None
    reason: str = ""
    older_than_days: int | None = None
    author: str = ""
    min_flags: int | None = None
    sort: str = "oldest"
    page: int = 1


@dataclass
class AuthorHistory:
    decisions: dict[str, int] = field(default_factory=dict)
    recent: list[ModerationDecision] = field(default_factory=list)
    sanctions: list[Sanction] = field(default_factory=list)

    @property
    def is_empty(self) -> bool:
        return not self.decisions and not self.sanctions


@dataclass(frozen=True)
class QueueAuthor:
    display_name: str


@dataclass(frozen=True)
class QueueParent:
    """The comment a queue item answers, as the queue shows it."""

    id: int
    body_source: str
    author: QueueAuthor


@dataclass(frozen=True)
class QueueOrganisation:
    name: str


@dataclass(frozen=True)
class QueueState:
    hold_reasons: list


@dataclass(frozen=True)
class QueueComment:
    """A queue item's comment: the columns its card shows, read as columns (loading 25 comments
    with their authors and organisations as objects took three times as long)."""

    id: int
    consultation_id: int
    section_id: int | None
    parent_id: int | None
    author_id: int
    version: int
    status: str
    audience: str
    language: str
    body_html: str
    proposed_wording: str | None
    proposed_diff: Any
    receipt_number: str | None
    created_at: datetime
    author: QueueAuthor
    organisation: QueueOrganisation | None


# The columns of ``QueueComment`` read from the comment, in its order.
_COMMENT_COLUMNS = tuple(f.name for f in dataclasses.fields(QueueComment) if f.name not in ("author", "organisation"))


@dataclass
class QueueItem:
    comment: QueueComment
    state: QueueState | None
    consultation_title: str
    section: Section | None
    parent: Comment | None
    flags: dict[str, int]
    history: AuthorHistory


def _held():
    """Held by an automatic rule. A correlated EXISTS rather than a test on the
    outer-joined row: PostgreSQL then estimates it well and walks the queue's
    index in order, stopping after one page, instead of joining and sorting
    every pending comment (90 ms for the first page at 10,000 pending)."""
    held = aliased(CommentModeration)
    return select(held.comment_id).where(held.comment_id == Comment.id, held.hold_rules != "").exists()


def tab_predicate(tab: str):
    """Plain conditions per tab, so the database can use its indexes
    (comment (status, created_at) and comment_moderation (open_flags)); the queue's kept counts
    are counted afresh with them too (app/moderation/tally.py)."""
    if tab == "held":
        return and_(Comment.status == CommentStatus.PENDING, _held())
    if tab == "pending":
        return and_(Comment.status == CommentStatus.PENDING, ~_held())
    if tab == "flagged":
        return and_(Comment.status.in_((CommentStatus.PUBLISHED, CommentStatus.HIDDEN)),
                    CommentModeration.open_flags > 0)
    return false()


def _scope_params(user: Any) -> tuple[bool, dict[str, list[int]]]:
    """Whether ``user`` moderates only some consultations, and the ``ids`` parameter of the
    statements built for them (an empty scope matches no consultation)."""
    ids = moderated_consultation_ids(user)
    return (False, {}) if ids is None else (True, {"ids": sorted(ids) or [-1]})


def tab_counts(session: Session, user: Any) -> dict[str, int]:
    """Items per tab, added up from the consultations' kept counts (``QueueTally``, kept right by
    every change to a comment: app/moderation/tally.py). Counting them afresh walked every
    pending comment (6 ms at 10,000 pending on PostgreSQL), after every decision."""
    scoped, params = _scope_params(user)
    pending, held, flagged = session.connection().execute(_count_statement(scoped), params).one()
    return {"pending": pending - held, "held": held, "flagged": flagged}


@lru_cache(maxsize=2)
def _count_statement(scoped: bool) -> Any:
    """The tabs' counts, for every consultation or (``scoped``) for the list ``ids``."""
    tally = QueueTally.__table__.c
    stmt = select(*(func.coalesce(func.sum(column), 0) for column in (tally.pending, tally.held, tally.flagged)))
    return stmt.where(tally.consultation_id.in_(bindparam("ids", expanding=True))) if scoped else stmt


def _queue_statement(user: Any, filters: QueueFilters, now: datetime) -> Any:
    """The queue's statement for ``filters`` (any page), ``paged``; built once per filters and
    scope unless it depends on the time ("older than"): building it costs more than running it."""
    scope = moderated_consultation_ids(user)
    if filters.older_than_days:
        return paged(_build_queue_statement(scope, filters, now))
    return _kept_queue_statement(frozenset(scope) if scope is not None else None,
                                 dataclasses.replace(filters, page=1))


@lru_cache(maxsize=128)
def _kept_queue_statement(scope: frozenset[int] | None, filters: QueueFilters) -> Any:
    return paged(_build_queue_statement(scope, filters, None))


def _build_queue_statement(scope: Any, filters: QueueFilters, now: datetime | None):
    stmt = (select(*(getattr(Comment, name) for name in _COMMENT_COLUMNS), User.display_name.label("author_name"),
                   Organisation.name.label("organisation_name"), CommentModeration.hold_reasons,
                   CommentModeration.open_flags, CommentModeration.comment_id.label("state_id"))
            .select_from(Comment)
            .outerjoin(CommentModeration, CommentModeration.comment_id == Comment.id)
            .join(User, User.id == Comment.author_id)
            .outerjoin(Organisation, Organisation.id == Comment.organisation_id)
            .where(tab_predicate(filters.tab)))
    if scope is not None:
        stmt = stmt.where(Comment.consultation_id.in_(sorted(scope) or [-1]))
    if filters.consultation_id is not None:
        stmt = stmt.where(Comment.consultation_id == filters.consultation_id)
    if filters.section_id is not None:
        stmt = stmt.where(Comment.section_id == filters.section_id)
    if filters.reason:
        flagged_for = select(Flag.id).where(Flag.comment_id == Comment.id, Flag.resolved_at.is_(None),
                                            Flag.reason == filters.reason).exists()
        stmt = stmt.where(or_(CommentModeration.hold_rules.contains(filters.reason), flagged_for))
    if filters.older_than_days and now is not None:
        stmt = stmt.where(Comment.created_at <= now - timedelta(days=filters.older_than_days))
    if filters.author:
        needle = f"%{filters.author.lower()}%"
        stmt = stmt.where(or_(func.lower(User.display_name).like(needle), func.lower(User.email).like(needle)))
    if filters.min_flags:
        stmt = stmt.where(func.coalesce(CommentModeration.open_flags, 0) >= filters.min_flags)
    if filters.sort == "newest":
        stmt = stmt.order_by(Comment.created_at.desc(), Comment.id.desc())
    elif filters.sort == "flags":
        stmt = stmt.order_by(func.coalesce(CommentModeration.open_flags, 0).desc(), Comment.created_at,
                             Comment.id)
    else:
        stmt = stmt.order_by(Comment.created_at, Comment.id)
    return stmt


def author_histories(session: Session, author_ids: set[int], *, recent: int = 0) -> dict[int, AuthorHistory]:
    """Earlier decisions (counted by action, plus the latest ``recent`` ones) and sanctions, per author."""
    histories: dict[int, AuthorHistory] = defaultdict(AuthorHistory)
    if not author_ids:
        return histories
    ids = sorted(author_ids)
    statements = _context_statements()
    for subject_id, action, count in session.connection().execute(statements.decisions, {"ids": ids}):
        histories[subject_id].decisions[action] = count
    if recent:
        _latest_decisions(session, ids, recent, histories)
    for sanction in session.scalars(statements.sanctions, {"ids": ids}):
        histories[sanction.user_id].sanctions.append(sanction)
    return histories


@lru_cache(maxsize=1)
def _context_statements() -> Any:
    """The statements loading a queue page's context, built once (for every page of the queue,
    building them cost more than running them); ``ids`` is the list each one is for."""
    ids = bindparam("ids", expanding=True)
    return SimpleNamespace(
        decisions=select(ModerationDecision.subject_id, ModerationDecision.action, func.count(ModerationDecision.id))
        .where(ModerationDecision.subject_id.in_(ids), ModerationDecision.undone_at.is_(None),
               ModerationDecision.action != DecisionAction.UNDO)
        .group_by(ModerationDecision.subject_id, ModerationDecision.action),
        sanctions=select(Sanction).where(Sanction.user_id.in_(ids)).options(joinedload(Sanction.reason))
        .order_by(Sanction.id.desc()),
        consultations=select(Consultation.id, Consultation.title).where(Consultation.id.in_(ids)),
        # Sections and parents: the columns the queue shows, not whole rows.
        sections=select(Section.id, Section.number, Section.heading, Section.body_source).where(Section.id.in_(ids)),
        parents=select(Comment.id, Comment.body_source, User.display_name).join(User, User.id == Comment.author_id)
        .where(Comment.id.in_(ids)),
        flags=select(Flag.comment_id, Flag.reason, func.count(Flag.id))
        .where(Flag.comment_id.in_(ids), Flag.resolved_at.is_(None)).group_by(Flag.comment_id, Flag.reason),
    )


def _latest_decisions(session: Session, ids: list[int], recent: int,
                      histories: dict[int, AuthorHistory]) -> None:
    """The latest ``recent`` decisions per author: a window function keeps it to one query."""
    ranked = (select(ModerationDecision.id,
                     func.row_number().over(partition_by=ModerationDecision.subject_id,
                                            order_by=ModerationDecision.id.desc()).label("n"))
              .where(ModerationDecision.subject_id.in_(ids), ModerationDecision.undone_at.is_(None),
                     ModerationDecision.action != DecisionAction.UNDO).subquery())
    for decision in session.scalars(
            select(ModerationDecision).join(ranked, ranked.c.id == ModerationDecision.id)
            .where(ranked.c.n <= recent)
            .options(joinedload(ModerationDecision.reason), defer(ModerationDecision.before),
                     defer(ModerationDecision.after))
            .order_by(ModerationDecision.id.desc())):
        histories[decision.subject_id].recent.append(decision)


def review_queue(session: Session, user: Any, filters: QueueFilters, *, now: datetime | None = None,
                 per_page: int = PER_PAGE, count: Callable[[Any], int] | None = None,
                 titles: dict[int, str] | None = None) -> Page:
    """One page of the queue; each item carries its context. ``count`` may answer
    the number of items (see ``paginate``); ``titles`` the consultations' titles already read."""
    now = now or utcnow()
    page = paginate(_queue_statement(user, filters, now), filters.page, per_page, session=session, scalars=False,
                    count=count)
    rows = list(page.items)
    comments = [QueueComment(*(getattr(row, name) for name in _COMMENT_COLUMNS), author=QueueAuthor(row.author_name),
                             organisation=QueueOrganisation(row.organisation_name)
                             if row.organisation_name is not None else None) for row in rows]
    states = [QueueState(row.hold_reasons or []) if row.state_id is not None else None for row in rows]
    statements = _context_statements()
    run = session.connection().execute  # columns only: no object to load

    def rows_for(name: str, wanted: set[int]) -> Any:
        return run(getattr(statements, name), {"ids": sorted(wanted)}).all() if wanted else []

    consultations = dict(titles or {})
    consultations.update(rows_for("consultations", {c.consultation_id for c in comments} - consultations.keys()))
    sections = {s.id: s for s in rows_for("sections", {c.section_id for c in comments if c.section_id})}
    parents = {p.id: QueueParent(p.id, p.body_source, QueueAuthor(p.display_name))
               for p in rows_for("parents", {c.parent_id for c in comments if c.parent_id})}
    flags: dict[int, dict[str, int]] = defaultdict(dict)
    # Flags are read for the items that have open ones (their number is kept with every flag).
    for comment_id, reason, count in rows_for("flags", {row.id for row in rows if row.open_flags}):
        flags[comment_id][reason] = count
    histories = author_histories(session, {c.author_id for c in comments})
    page.items = [QueueItem(comment=comment, state=state,
                            consultation_title=consultations.get(comment.consultation_id, ""),
                            section=sections.get(comment.section_id), parent=parents.get(comment.parent_id),
                            flags=flags.get(comment.id, {}), history=histories[comment.author_id])
                  for comment, state in zip(comments, states, strict=True)]
    return page


def queue_consultations(session: Session, user: Any) -> list[tuple[int, str, dict[str, int]]]:
    """Consultations for the filter: those in the user's scope with something to decide, from
    their kept counts, each with its items per tab (what the queue filtered to it counts)."""
    scoped, params = _scope_params(user)
    return [(cid, title, {"pending": pending - held, "held": held, "flagged": flagged})
            for cid, title, pending, held, flagged in session.connection().execute(
                _consultations_statement(scoped), params)]


@lru_cache(maxsize=2)
def _consultations_statement(scoped: bool) -> Any:
    tally = QueueTally.__table__.c
    stmt = (select(Consultation.id, Consultation.title, tally.pending, tally.held, tally.flagged)
            .join(QueueTally, tally.consultation_id == Consultation.id)
            .where(or_(tally.pending > 0, tally.flagged > 0)).order_by(Consultation.title))
    if scoped:
        stmt = stmt.where(Consultation.id.in_(bindparam("ids", expanding=True)))
    return stmt


def active_reason_rows(session: Session) -> list[tuple[int, str]]:
    """The active reasons' ids and labels, in their order: what the forms offer. Columns only,
    asked of the session's connection (in its transaction): no object to load."""
    return [tuple(row) for row in session.connection().execute(_active_reasons_statement())]


@lru_cache(maxsize=1)
def _active_reasons_statement() -> Any:
    reason = ReasonTemplate.__table__.c
    return select(reason.id, reason.label).where(reason.active.is_(True)).order_by(reason.position, reason.id)


def all_reasons(session: Session) -> list[ReasonTemplate]:
    return list(session.scalars(select(ReasonTemplate).order_by(ReasonTemplate.position, ReasonTemplate.id)))


def watch_words(session: Session) -> list[WatchWord]:
    return list(session.scalars(select(WatchWord).order_by(WatchWord.word)))


# --- one item --------------------------------------------------------------------------

@dataclass
class ItemContext:
    comment: Comment
    consultation: Consultation
    state: CommentModeration | None
    section: Section | None
    parent: Comment | None
    flags: list[Flag]
    decisions: list[ModerationDecision]
    revisions: list[CommentRevision]
    history: AuthorHistory


def item_context(session: Session, comment: Comment) -> ItemContext:
    return ItemContext(
        comment=comment,
        consultation=session.get(Consultation, comment.consultation_id),
        state=session.get(CommentModeration, comment.id),
        section=session.get(Section, comment.section_id) if comment.section_id else None,
        parent=session.get(Comment, comment.parent_id) if comment.parent_id else None,
        flags=list(session.scalars(select(Flag).where(Flag.comment_id == comment.id).order_by(Flag.id))),
        decisions=list(session.scalars(select(ModerationDecision).where(ModerationDecision.comment_id == comment.id)
                                       .options(joinedload(ModerationDecision.reason),
                                                joinedload(ModerationDecision.actor))
                                       .order_by(ModerationDecision.id))),
        revisions=list(session.scalars(select(CommentRevision).where(CommentRevision.comment_id == comment.id)
                                       .order_by(CommentRevision.id))),
        history=author_histories(session, {comment.author_id}, recent=10)[comment.author_id],
    )


def decisions_since(session: Session, comment: Comment, version: int) -> list[ModerationDecision]:
    """What happened to an item after the version a moderator saw (for the conflict page)."""
    return list(session.scalars(select(ModerationDecision).where(
        ModerationDecision.comment_id == comment.id, ModerationDecision.version_after > version)
        .options(joinedload(ModerationDecision.reason), joinedload(ModerationDecision.actor))
        .order_by(ModerationDecision.id)))


def revisions_since(session: Session, comment: Comment, since: datetime | None) -> list[CommentRevision]:
    stmt = select(CommentRevision).where(CommentRevision.comment_id == comment.id)
    if since is not None:
        stmt = stmt.where(CommentRevision.created_at >= since)
    return list(session.scalars(stmt.order_by(CommentRevision.id)))


def user_sanctions(session: Session, user_id: int, *, consultation_ids: set[int] | None = None) -> list[Sanction]:
    """``consultation_ids``: the consultations the reader moderates (None: all). A
    moderator of some consultations reads only the sanctions given over comments
    there; sanctions with no comment are the global moderators' business."""
    stmt = select(Sanction).where(Sanction.user_id == user_id)
    if consultation_ids is not None:
        stmt = stmt.where(Sanction.comment_id.in_(select(Comment.id).where(
            Comment.consultation_id.in_(sorted(consultation_ids)))))
    return list(session.scalars(stmt.options(joinedload(Sanction.reason)).order_by(Sanction.id.desc())))


def user_decisions(session: Session, user_id: int, *, limit: int = 100,
                   consultation_ids: set[int] | None = None) -> list[ModerationDecision]:
    """Decisions on the user's comments, in the consultations the reader moderates (None: all)."""
    stmt = select(ModerationDecision).where(ModerationDecision.subject_id == user_id)
    if consultation_ids is not None:
        stmt = stmt.where(ModerationDecision.consultation_id.in_(sorted(consultation_ids)))
    return list(session.scalars(stmt.options(joinedload(ModerationDecision.reason))
                                .order_by(ModerationDecision.id.desc()).limit(limit)))


def user_flags(session: Session, user_id: int, *, limit: int = 100) -> list[Flag]:
    return list(session.scalars(select(Flag).where(Flag.user_id == user_id)
                                .order_by(Flag.id.desc()).limit(limit)))


# --- what the author of a comment is told ------------------------------------------------

@dataclass
class DecidedComment:
    comment: Comment
    consultation_title: str


def decided_comments(session: Session, decisions: list[ModerationDecision]) -> dict[int, DecidedComment]:
    """The comments (with their consultation's title) of a list of decisions: one query."""
    ids = sorted({d.comment_id for d in decisions if d.comment_id})
    if not ids:
        return {}
    rows = session.execute(select(Comment, Consultation.title)
                           .join(Consultation, Consultation.id == Comment.consultation_id)
                           .where(Comment.id.in_(ids)))
    return {comment.id: DecidedComment(comment, title) for comment, title in rows}


@dataclass
class AuthorView:
    """Moderation of one comment as its author sees it: the rules holding it and the decisions."""

    holds: list[str] = field(default_factory=list)
    decisions: list[tuple[ModerationDecision, str]] = field(default_factory=list)  # (decision, what was done)


def author_view(session: Session, comment: Comment) -> AuthorView:
    from app.moderation.automod import describe_for_author

    state = session.get(CommentModeration, comment.id)
    holds = [describe_for_author(h) for h in (state.hold_reasons or [])] \
        if state is not None and comment.status == CommentStatus.PENDING else []
    decisions = list(session.scalars(
        select(ModerationDecision).where(ModerationDecision.comment_id == comment.id,
                                         ModerationDecision.action != DecisionAction.UNDO)
        .options(joinedload(ModerationDecision.reason)).order_by(ModerationDecision.id.desc())))
    from app.moderation.labels import ACTION_DONE

    return AuthorView(holds=holds, decisions=[(d, str(ACTION_DONE.get(d.action, d.action))) for d in decisions])
