"""Writing transactions: the order in which they take locks, and one more try
for a request whose transaction the database chose to abort.

Lock order
----------
Every writing transaction takes its locks in this order, and never waits for
a lock of an earlier step while it holds one of a later step:

1. **Content rows** — the comments it changes and the rows that hang off them
   (moderation state, supports, flags), in descending id order when it
   changes several: a reply before the comment it answers, since a reply's
   id is always higher. A service that will change a row after taking a
   later lock (a decision on several items, a flag that hides the comment)
   locks those rows first with ``lock_rows``. An author's edit locks the
   comment row before checking it, so a reply or a decision that lands in
   the same instant is seen (or waits).
2. **The audit chain** — the ``audit_head`` row (an advisory lock before the
   first entry ever), taken by ``app.core.audit.record``. Every audited
   write shares it until it commits, so a service records its entry as late
   as it can (after writing its notices and rendering their e-mails), and
   ``record`` writes what the session still holds before it takes the
   lock. After it a transaction only inserts new rows (the decision,
   notifications, outbox messages), which wait for no one but a concurrent
   insert of the same unique key.
3. **Content tokens and the queue's counts** — the ``content_token`` rows of
   the scopes the transaction changed, in scope-name order, written by the
   commit hook of app/core/cache.py, and the ``moderation_tally`` rows of the
   consultations whose comments moved in or out of the review queue, in id
   order (app/moderation/tally.py), when the outermost transaction commits
   (never when a savepoint is released).

Hot rows stay out of the path: the tokens are per consultation (writers on
different consultations never meet), counters are plain ``UPDATE``s that do
not bump a comment's version, and the audit lock is the only lock every
audited write shares.

Retry
-----
A deadlock (SQLSTATE 40P01) or a serialization failure (40001) aborts one of
the transactions involved; on SQLite, a writer that waited busy_timeout for the
write lock gives up with "database is locked" before writing anything. Every effect of a request (rows, audit entries,
outbox messages) lives in its one transaction, so the request is rolled back
and dispatched again from the start, up to ``TRANSACTION_RETRIES`` times,
before an error page; flashed messages of the failed attempt are dropped. A
view with effects outside the database (a file written to disk) is marked
``@not_retried``.
"""

from __future__ import annotations

import random
import sqlite3
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import Flask, current_app, g, request, session
from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

RETRYABLE = frozenset({"40P01", "40001"})  # deadlock detected, serialization failure


def _sqlstate(exc: BaseException) -> str | None:
    orig = getattr(exc, "orig", None)
    return getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)


def retryable(exc: BaseException) -> bool:
    """The database aborted the transaction to let another one through: trying again is safe."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DBAPIError) and (_sqlstate(current) in RETRYABLE or _sqlite_busy(current)):
            return True
        current = current.__cause__ or current.__context__
    return False


def _sqlite_busy(exc: DBAPIError) -> bool:
    """SQLite's writer lock was still taken when busy_timeout ran out: another
    writer held it, nothing of this transaction was written."""
    orig = exc.orig
    return isinstance(orig, sqlite3.OperationalError) and str(orig).startswith("database is locked")


def not_retried(view: Callable) -> Callable:
    """The view has effects outside the database transaction: never dispatched twice."""
    view.agora_not_retried = True  # type: ignore[attr-defined]
    return view


def lock_rows(session: Session, model: type, ids: Iterable[int]) -> None:
    """Lock these rows now, highest id first (step 1 of the lock order), so a
    service can change them later without waiting while it holds the audit lock.
    ``FOR NO KEY UPDATE``: inserting a reply that refers to a locked row still
    goes ahead. SQLite serialises writers and needs no row locks."""
    wanted = sorted({i for i in ids if i is not None}, reverse=True)
    if not wanted or session.get_bind().dialect.name != "postgresql":
        return
    table_id = model.__table__.c.id
    session.execute(select(table_id).where(table_id.in_(wanted)).order_by(table_id.desc())
                    .with_for_update(key_share=True))


def dispatch_with_retry(app: Flask, dispatch: Callable[[], Any]) -> Any:
    """``dispatch()`` (the view), again after a rollback when the database aborted
    its transaction for a deadlock or a serialization failure."""
    view = app.view_functions.get(request.endpoint or "")
    attempts = 1 if getattr(view, "agora_not_retried", False) else 1 + int(app.config["TRANSACTION_RETRIES"])
    flashes = list(session.get("_flashes", []))
    for attempt in range(1, attempts + 1):
        try:
            return dispatch()
        except Exception as exc:
            if attempt == attempts or not retryable(exc):
                raise
            _forget_attempt(flashes)
            current_app.logger.warning("%s %s: %s (attempt %d of %d), trying again", request.method, request.path,
                                       _sqlstate_of_chain(exc) or "database is locked", attempt, attempts)
            time.sleep(random.uniform(0.005, 0.03) * attempt)  # noqa: S311 - jitter, not security
    raise AssertionError("unreachable")


def _sqlstate_of_chain(exc: BaseException) -> str | None:
    current: BaseException | None = exc
    while current is not None:
        if isinstance(current, DBAPIError):
            return _sqlstate(current)
        current = current.__cause__ or current.__context__
    return None


def _forget_attempt(flashes: list) -> None:
    from app.core.db import db

    db.session.rollback()
    if flashes:
        session["_flashes"] = list(flashes)
    else:
        session.pop("_flashes", None)
    for name in ("content_tokens", "comment_visit", "sqlite_writing"):
        g.pop(name, None)
    g.transaction_retries = g.get("transaction_retries", 0) + 1


class RetryingFlask(Flask):
    """Flask whose view dispatch is tried again after a deadlock or a serialization failure."""

    def dispatch_request(self) -> Any:
        return dispatch_with_retry(self, super().dispatch_request)
