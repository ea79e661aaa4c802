"""The hash-chained audit log.

Each entry stores the hash of the previous one; ``verify_chain`` walks the
log and reports the first broken link. On PostgreSQL appends are serialised
by a lock on the head row (below), held until the transaction ends, so
concurrent writers never fork the chain (before the first entry ever, when
there is no head row yet, by a transaction-level advisory lock); SQLite
serialises writers by itself.

A chain alone cannot show that entries were cut from its end: what is left
still links up. So every append also moves the head (``audit_head``: id and
hash of the newest entry) in the same transaction, and ``verify_chain``
checks that the chain ends where the head says. An operator who records the
printed head elsewhere can check against it later (``expected_head``), which
also catches an attacker who rewrote both the entries and the head.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, text, update
from sqlalchemy.orm import Session

from app.core.db import utcnow
from app.core.models import AuditEntry, AuditHead

GENESIS = "0" * 64
_LOCK_KEY = 1540_0001


# What an entry's hash covers: every column but its id and the hash itself.
_HASHED = ("created_at", "actor_id", "action", "target_type", "target_id", "reason", "before", "after", "prev_hash")


def _canonical(entry: AuditEntry) -> bytes:
    payload = {name: getattr(entry, name) for name in _HASHED} | {"created_at": entry.created_at.isoformat()}
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def entry_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(_canonical(entry)).hexdigest()


def _head_statement(session: Session) -> Any:
    """The head's hash; on PostgreSQL with the head row locked until the transaction ends, which
    serialises appends: a second writer waits here and then reads the head the first one moved."""
    statement = select(AuditHead.hash).where(AuditHead.id == 1)
    return statement.with_for_update() if session.get_bind().dialect.name == "postgresql" else statement


def record(
    session: Session,
    *,
    actor: Any,
    action: str,
    target: Any = None,
    target_type: str | None = None,
    target_id: Any = None,
    reason: str | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry. Call inside the transaction of the change it records, as late as
    possible: the audit lock is held until the transaction ends (step 2 of the lock order,
    app/core/transactions.py), so what is still waiting to be written is written first.

    The entry and the head are written with plain statements, not through the session's unit
    of work (two flushes, with every flush hook, cost more than the rest of the append). The
    entry returned is not in the session; it carries its id and hash."""
    session.flush()
    run = session.connection().execute
    head = run(_head_statement(session)).first()
    if head is None and session.get_bind().dialect.name == "postgresql":
        # No head to lock before the first entry ever: a lock of its own, then the head again
        # (a first entry that committed meanwhile made one).
        run(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
        head = run(_head_statement(session)).first()
    if head is None:  # the first entry ever
        last = run(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)).scalar()
    else:
        # Chaining from the head, not from the last row: an entry appended
        # after the tail was cut links to a hash that is gone, so the cut shows.
        last = head.hash
    if target is not None:
        target_type = target_type or type(target).__name__
        target_id = target_id if target_id is not None else getattr(target, "id", None)
    entry = AuditEntry(
        created_at=utcnow().replace(microsecond=0),
        actor_id=getattr(actor, "id", None),
        action=action,
        target_type=target_type or "",
        target_id=str(target_id if target_id is not None else ""),
        reason=reason,
        before=before,
        after=after,
        prev_hash=last or GENESIS,
    )
    entry.hash = entry_hash(entry)
    entry.id = run(insert(AuditEntry).values({name: getattr(entry, name) for name in (*_HASHED, "hash")})
                   .returning(AuditEntry.id)).scalar_one()
    moved = {"entry_id": entry.id, "hash": entry.hash, "updated_at": utcnow()}
    if head is None:
        run(insert(AuditHead).values(id=1, **moved))
    else:
        run(update(AuditHead).where(AuditHead.id == 1).values(**moved))
    return entry


def adopt_last_entry_as_head(session: Session) -> None:
    """For bulk loaders that insert chained entries without ``record``
    (the bench data generator): the newest entry becomes the head."""
    last = session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
    if last is None:
        return
    head = session.get(AuditHead, 1)
    if head is None:
        session.add(AuditHead(id=1, entry_id=last.id, hash=last.hash))
    else:
        head.entry_id, head.hash, head.updated_at = last.id, last.hash, utcnow()
    session.flush()


def parse_head(value: str) -> tuple[int, str]:
    """``"ID:HASH"`` as printed by ``flask audit verify``; ValueError otherwise."""
    entry_id, sep, digest = (value or "").strip().partition(":")
    digest = digest.lower()
    if not sep or not entry_id.isdigit() or len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise ValueError("expected ID:HASH, e.g. 42:3f5a... (64 hexadecimal digits)")
    return int(entry_id), digest


@dataclass
class ChainReport:
    checked: int
    broken_at: int | None = None
    problem: str | None = None
    # The newest entry of the verified chain: the value to record elsewhere.
    head_id: int | None = None
    head_hash: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_at is None

    @property
    def head(self) -> str | None:
        return f"{self.head_id}:{self.head_hash}" if self.head_id is not None else None


def verify_chain(session: Session, batch: int = 1000, *,
                 expected_head: tuple[int, str] | None = None) -> ChainReport:
    """Walk the chain; then check it ends at the stored head and, if given,
    holds ``expected_head`` (an earlier recorded head: the chain may have grown since)."""
    previous = GENESIS
    checked = 0
    last_id = 0
    seen_expected: str | None = None
    while True:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(batch)
        ).all()
        if not rows:
            break
        for entry in rows:
            if entry.prev_hash != previous:
                return ChainReport(checked, entry.id, "previous-hash link does not match")
            if entry_hash(entry) != entry.hash:
                return ChainReport(checked, entry.id, "entry content does not match its hash")
            if expected_head is not None and entry.id == expected_head[0]:
                seen_expected = entry.hash
            previous = entry.hash
            checked += 1
            last_id = entry.id
        session.expunge_all()

    tail_id, tail_hash = (last_id, previous) if checked else (None, None)
    report = ChainReport(checked, head_id=tail_id, head_hash=tail_hash)
    head = session.scalar(select(AuditHead).where(AuditHead.id == 1).execution_options(populate_existing=True))
    if head is None:
        if checked:
            report.broken_at, report.problem = last_id, "the audit head is missing"
    elif (head.entry_id, head.hash) != (tail_id, tail_hash):
        report.broken_at = head.entry_id
        report.problem = (f"the chain ends at entry {tail_id or 0} but the audit head records entry "
                          f"{head.entry_id}: entries at the end were removed or replaced")
    if report.ok and expected_head is not None:
        if seen_expected is None:
            report.broken_at = expected_head[0]
            report.problem = "the recorded head entry is not in the chain: entries at the end were removed"
        elif seen_expected != expected_head[1]:
            report.broken_at = expected_head[0]
            report.problem = "the recorded head entry has another hash now: the chain was rewritten"
    return report
