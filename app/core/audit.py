"""The hash-chained audit log.

Each entry stores the hash of the previous one; ``verify_chain`` walks the
log and reports the first broken link. On PostgreSQL appends are serialised
with a transaction-level advisory lock so concurrent writers never fork the
chain; SQLite serialises writers by itself.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.core.db import utcnow
from app.core.models import AuditEntry

GENESIS = "0" * 64
_LOCK_KEY = 1540_0001


def _canonical(entry: AuditEntry) -> bytes:
    payload = {
        "created_at": entry.created_at.isoformat(),
        "actor_id": entry.actor_id,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "reason": entry.reason,
        "before": entry.before,
        "after": entry.after,
        "prev_hash": entry.prev_hash,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode()


def entry_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(_canonical(entry)).hexdigest()


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
    """Append one entry. Call inside the transaction of the change it records."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
    last = session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1))
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
    session.add(entry)
    session.flush()
    return entry


@dataclass
class ChainReport:
    checked: int
    broken_at: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        return self.broken_at is None


def verify_chain(session: Session, batch: int = 1000) -> ChainReport:
    previous = GENESIS
    checked = 0
    last_id = 0
    while True:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.id > last_id).order_by(AuditEntry.id).limit(batch)
        ).all()
        if not rows:
            return ChainReport(checked)
        for entry in rows:
            if entry.prev_hash != previous:
                return ChainReport(checked, entry.id, "previous-hash link does not match")
            if entry_hash(entry) != entry.hash:
                return ChainReport(checked, entry.id, "entry content does not match its hash")
            previous = entry.hash
            checked += 1
            last_id = entry.id
        session.expunge_all()
