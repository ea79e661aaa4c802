"""The review queue's counts per consultation (``QueueTally``), kept right as comments change.

Every flush that adds or removes a comment, or changes a comment's status, consultation, hold
or open flags, reads those comments' standing just before it writes (locking their rows on
PostgreSQL, so no other transaction moves them meanwhile), unless the transaction read it while
holding them already (``note_held``), and again just after; comments the
transaction created itself are followed from memory, since no one else can see them. The commit
adds the differences to each consultation's row, in the same transaction and last, with the
content tokens (step 3 of the lock order, app/core/transactions.py). A savepoint rolled back
takes its differences with it. A consultation without a row is counted afresh the first time
it changes.

Writes that bypass the session's unit of work (bulk inserts of the bench's generator, a
restore) are followed by ``recount``; ``flask moderation recount`` does it by hand.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, case, delete, event, func, insert, literal, select, update
from sqlalchemy.orm import Session, attributes

from app.comments.models import Comment, CommentStatus
from app.core.db import upsert
from app.moderation.models import CommentModeration, QueueTally
from app.moderation.queries import tab_predicate

BEFORE = "moderation_tally_before"
CHANGES = "moderation_tally_changes"
CREATED = "moderation_tally_created"  # this transaction's comments: id -> what the counts know of them
KNOWN = "moderation_tally_known"  # comment id -> its standing row, read while this transaction holds its row
FLAGGABLE = (CommentStatus.PUBLISHED, CommentStatus.HIDDEN)
# What moves a comment between the queue's counts, per model.
_WATCHED = {Comment: ("status", "consultation_id"), CommentModeration: ("hold_rules", "open_flags")}


def standing(status: str | None, hold_rules: str | None, open_flags: int | None) -> tuple[int, int, int]:
    """What one comment adds to its consultation's (pending, held, flagged)."""
    pending = status == CommentStatus.PENDING
    return int(pending), int(pending and bool(hold_rules)), int(status in FLAGGABLE and (open_flags or 0) > 0)


def _comment_id(obj: Any) -> int | None:
    if isinstance(obj, Comment):
        return obj.id
    return obj.comment_id if obj.comment_id is not None else getattr(obj.comment, "id", None)


def _moved(obj: Any) -> bool:
    state = attributes.instance_state(obj)
    return any(state.attrs[name].history.has_changes() for name in _WATCHED[type(obj)])


@lru_cache(maxsize=2)
def _standings_statement(lock: bool) -> Any:
    comment, moderation = Comment.__table__, CommentModeration.__table__
    stmt = (select(comment.c.id, comment.c.consultation_id, comment.c.status, moderation.c.hold_rules,
                   moderation.c.open_flags)
            .select_from(comment.outerjoin(moderation, moderation.c.comment_id == comment.c.id))
            .where(comment.c.id.in_(bindparam("ids", expanding=True))).order_by(comment.c.id))
    return stmt.with_for_update(of=comment, key_share=True) if lock else stmt


def _standings(session: Session, ids: set[int], *, lock: bool) -> list[Any]:
    if not ids:
        return []
    return session.connection().execute(_standings_statement(lock), {"ids": sorted(ids)}).all()


@dataclass
class _Flush:
    """What one flush changes that the counts follow: comments read from the database (``read``,
    with their rows ``before`` it), and this transaction's own comments, known from memory."""

    read: set[int] = field(default_factory=set)
    before: list[Any] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    states: list[CommentModeration] = field(default_factory=list)
    dropped_states: set[int] = field(default_factory=set)


@event.listens_for(Session, "before_flush")
def _before(session: Session, _context: Any, _instances: Any) -> None:
    created = session.info.get(CREATED, {})
    flush = _Flush()

    def note(obj: Any, *, deleted: bool = False) -> None:
        comment_id = _comment_id(obj)
        if comment_id is not None and comment_id not in created:
            flush.read.add(comment_id)
        elif isinstance(obj, Comment):
            flush.comments.append(obj)
        elif deleted:
            flush.dropped_states.add(comment_id)
        else:
            flush.states.append(obj)

    for obj in session.new:
        if type(obj) in _WATCHED:
            note(obj)
    for obj in session.deleted:
        if type(obj) in _WATCHED:
            note(obj, deleted=True)
    for obj in session.dirty:
        if type(obj) in _WATCHED and _moved(obj):
            note(obj)
    if not (flush.read or flush.comments or flush.states or flush.dropped_states):
        session.info.pop(BEFORE, None)
        return
    known = session.info.get(KNOWN, {})
    flush.before = [known[i] for i in flush.read if i in known] + _standings(
        session, {i for i in flush.read if i not in known}, lock=True)
    session.info[BEFORE] = flush


@event.listens_for(Session, "after_flush")
def _after(session: Session, _context: Any) -> None:
    flush: _Flush | None = session.info.pop(BEFORE, None)
    if flush is None:
        return
    change = _changes(session).setdefault(_innermost(session), defaultdict(lambda: [0, 0, 0]))

    def count(sign: int, row: Any) -> None:
        if row is not None:
            for i, n in enumerate(standing(*row[1:])):
                change[row[0]][i] += sign * n

    after = _standings(session, flush.read, lock=False)
    for sign, rows in ((-1, flush.before), (1, after)):
        for row in rows:
            count(sign, row[1:])
    known = session.info.get(KNOWN)
    if known:  # still this transaction's to change alone
        known.update((row[0], tuple(row)) for row in after if row[0] in known)
    # This transaction's own comments: no one else sees them, so memory is the truth.
    created = session.info.setdefault(CREATED, {})
    comments = {c.id: c for c in flush.comments}
    states = {s.comment_id: s for s in flush.states}
    for comment_id in {*comments, *states, *flush.dropped_states}:
        old = created.get(comment_id)  # (consultation, status, hold rules, open flags)
        comment = comments.get(comment_id)
        if comment is not None and attributes.instance_state(comment).was_deleted:
            new = None
        else:
            where = (comment.consultation_id, comment.status) if comment is not None else old[:2]
            state = states.get(comment_id)
            held = ((state.hold_rules, state.open_flags) if state is not None
                    else (None, 0) if comment_id in flush.dropped_states or old is None else old[2:])
            new = (*where, *held)
        count(-1, old)
        count(1, new)
        created[comment_id] = new


# The differences wait for the commit (step 3 of the lock order, app/core/transactions.py): a
# consultation's row is the one every writer on it shares, so it is locked last, as the content
# tokens are. Until then they are noted per transaction: a savepoint rolled back drops its own,
# one released hands them to the transaction around it.

def _changes(session: Session) -> dict[Any, dict[int, list[int]]]:
    return session.info.setdefault(CHANGES, {})


def _innermost(session: Session) -> Any:
    return session.get_nested_transaction() or session.get_transaction()


def note_held(session: Session, rows: list[tuple[int, int, str, CommentModeration | None]]) -> None:
    """(comment id, consultation id, status, moderation state or None) this transaction read
    while holding the comments' rows (locked on PostgreSQL; SQLite's write transaction had
    begun): until it ends, no flush reads their standing again before it writes."""
    known = session.info.setdefault(KNOWN, {})
    for comment_id, consultation_id, status, state in rows:
        held = (state.hold_rules, state.open_flags) if state is not None else (None, None)
        known[comment_id] = (comment_id, consultation_id, status, *held)


@event.listens_for(Session, "after_soft_rollback")
def _dropped(session: Session, previous: Any) -> None:
    # What memory knew of this transaction's comments, or read of them, may be undone.
    session.info.pop(CREATED, None)
    session.info.pop(KNOWN, None)
    if previous.parent is None:
        session.info.pop(CHANGES, None)
    else:
        session.info.get(CHANGES, {}).pop(previous, None)


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: Any) -> None:
    if transaction.parent is None:  # committed (written already), rolled back or closed: forget it all
        for key in (BEFORE, CHANGES, CREATED, KNOWN):
            session.info.pop(key, None)
        return
    changes = session.info.get(CHANGES)
    if not changes or transaction not in changes:
        return
    around = transaction.parent
    while around.parent is not None and not around.nested:
        around = around.parent
    _merge(changes.setdefault(around, defaultdict(lambda: [0, 0, 0])), changes.pop(transaction))


@event.listens_for(Session, "before_commit")
def _at_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return
    session.flush()
    write_changes(session)


def write_changes(session: Session) -> None:
    """Add the differences noted so far to the consultations' rows, in id order."""
    total: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    for change in (session.info.pop(CHANGES, None) or {}).values():
        _merge(total, change)
    for consultation_id, (pending, held, flagged) in sorted(total.items()):
        if pending or held or flagged:
            _add(session, consultation_id, pending, held, flagged)


def _merge(into: dict[int, list[int]], change: dict[int, list[int]]) -> None:
    for consultation_id, values in change.items():
        into[consultation_id] = [a + b for a, b in zip(into[consultation_id], values, strict=True)]


def _add(session: Session, consultation_id: int, pending: int, held: int, flagged: int) -> None:
    run = session.connection().execute
    tally = QueueTally.__table__.c
    values = {"cid": consultation_id, "pending": pending, "held": held, "flagged": flagged}
    if run(_add_statement(), values).rowcount:
        return
    # No row yet: count the consultation afresh (this flush's changes included); if another
    # transaction inserted it meanwhile, add to theirs.
    dialect = session.get_bind().dialect.name
    statement = upsert(dialect, QueueTally).from_select(
        [tally.consultation_id, tally.pending, tally.held, tally.flagged], _counts(consultation_id))
    if not run(statement.on_conflict_do_nothing(index_elements=[tally.consultation_id])).rowcount:
        run(_add_statement(), values)


@lru_cache(maxsize=1)
def _add_statement() -> Any:
    tally = QueueTally.__table__.c
    return (update(QueueTally.__table__).where(tally.consultation_id == bindparam("cid"))
            .values(pending=tally.pending + bindparam("pending"), held=tally.held + bindparam("held"),
                    flagged=tally.flagged + bindparam("flagged")))


def _counts(consultation_id: int | None = None) -> Any:
    """(consultation id, pending, held, flagged) counted from the comments, per consultation, with
    the conditions the queue's tabs list their items by."""
    def total(condition: Any) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), literal(0))

    stmt = (select(Comment.consultation_id, total(Comment.status == CommentStatus.PENDING),
                   total(tab_predicate("held")), total(tab_predicate("flagged")))
            .select_from(Comment).outerjoin(CommentModeration, CommentModeration.comment_id == Comment.id)
            .group_by(Comment.consultation_id))
    return stmt if consultation_id is None else stmt.where(Comment.consultation_id == consultation_id)


def recount(session: Session) -> tuple[int, int]:
    """Count every consultation afresh (after writes that bypassed the session): the number of
    consultations counted, and of those whose kept counts were not right."""
    tally = QueueTally.__table__
    was = kept(session)
    session.execute(delete(tally))
    session.execute(insert(tally).from_select(
        [tally.c.consultation_id, tally.c.pending, tally.c.held, tally.c.flagged], _counts()))
    now = kept(session)
    wrong = sum(1 for cid in was.keys() | now.keys() if was.get(cid) != now.get(cid))
    return session.scalar(select(func.count()).select_from(tally)) or 0, wrong


def counted_afresh(session: Session) -> dict[int, tuple[int, int, int]]:
    """What ``recount`` would write, without writing it (consultations with nothing to count left out)."""
    return {cid: (p, h, f) for cid, p, h, f in session.execute(_counts()) if p or h or f}


def kept(session: Session) -> dict[int, tuple[int, int, int]]:
    """The kept counts, consultations with nothing to count left out."""
    tally = QueueTally.__table__.c
    return {cid: (p, h, f) for cid, p, h, f in session.execute(
        select(tally.consultation_id, tally.pending, tally.held, tally.flagged)) if p or h or f}
