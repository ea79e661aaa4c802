"""Read side of digests: a recipient's digests and the delivery figures for administrators."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from app.core.models import OutboxMessage
from app.core.pagination import Page, paginate
from app.digests.models import Digest


def digests_of(session: Session, user: Any, page: Any = 1, per_page: int = 20) -> Page:
    stmt = select(Digest).where(Digest.user_id == user.id).order_by(Digest.created_at.desc(), Digest.id.desc())
    return paginate(stmt, page, per_page, session=session)


def delivery_counts(session: Session, limit: int = 30) -> list[dict[str, Any]]:
    """Per period: digests queued, sent and failed (from their outbox messages), newest first."""
    status = OutboxMessage.status
    rows = session.execute(
        select(Digest.period_key, func.min(Digest.frequency), func.count(Digest.id),
               func.sum(case((status == OutboxMessage.PENDING, 1), else_=0)),
               func.sum(case((status == OutboxMessage.SENT, 1), else_=0)),
               func.sum(case((status == OutboxMessage.DEAD, 1), else_=0)),
               func.sum(case((Digest.read_at.is_not(None), 1), else_=0)),
               func.max(Digest.created_at))
        .outerjoin(OutboxMessage, OutboxMessage.dedupe_key == Digest.dedupe_key)
        .group_by(Digest.period_key)
        .order_by(func.max(Digest.created_at).desc())
        .limit(limit))
    return [{"period": key, "frequency": freq, "digests": n, "queued": q or 0, "sent": s or 0, "failed": f or 0,
             "read": r or 0, "created": created}
            for key, freq, n, q, s, f, r, created in rows]
