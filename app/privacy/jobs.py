"""The background side of personal-data exports, run by ``flask worker`` and
``flask build-exports``: claim waiting requests with a lease (several workers
never build the same one), build each in a transaction of its own, and drop
archives whose link has run out. Like the outbox's delivery, this is a command
boundary: it commits; the services it calls only flush."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from app.accounts.models import User
from app.accounts.personal_models import DataExport
from app.core.db import utcnow
from app.privacy.services import build_export, expire_exports

log = logging.getLogger(__name__)

EXPORT_LEASE = timedelta(minutes=10)
EXPORT_MAX_ATTEMPTS = 3


def _claim(session: Session, now: datetime, limit: int) -> list[DataExport]:
    due = (select(DataExport.id).where(DataExport.status == DataExport.PENDING)
           .where(or_(DataExport.lease_until.is_(None), DataExport.lease_until < now))
           .order_by(DataExport.id).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    ids = list(session.scalars(due))
    claimed = []
    for export_id in ids:
        taken = session.execute(
            update(DataExport).where(DataExport.id == export_id, DataExport.status == DataExport.PENDING,
                                     or_(DataExport.lease_until.is_(None), DataExport.lease_until < now))
            .values(lease_until=now + EXPORT_LEASE, attempts=DataExport.attempts + 1)
            .execution_options(synchronize_session=False))
        if taken.rowcount == 1:
            claimed.append(export_id)
    session.commit()
    return claimed


def build_due_exports(session: Session, *, now: datetime | None = None, limit: int = 5) -> int:
    """Build waiting exports, drop expired archives; commits after each. Returns the number built."""
    now = now or utcnow()
    expire_exports(session, now=now)
    session.commit()
    built = 0
    for export_id in _claim(session, now, limit):
        export = session.get(DataExport, export_id)
        user = session.get(User, export.user_id)
        try:
            build_export(session, export, user, now=now)
        except Exception as error:  # noqa: BLE001 - one bad export must not stop the others
            session.rollback()
            log.exception("data export %s failed", export_id)
            export = session.get(DataExport, export_id)
            export.last_error = f"{type(error).__name__}: {error}"[:2000]
            export.lease_until = None
            if export.attempts >= EXPORT_MAX_ATTEMPTS:
                export.status = DataExport.FAILED
        else:
            built += 1
        session.commit()
    return built
