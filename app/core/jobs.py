"""Background jobs besides the outbox, run by ``flask worker``.

Core knows no domain: a domain registers a runner at start-up
(``add_runner(app, name, run)``); each worker round calls every runner with
a fresh session and the round's clock after the outbox is delivered. A runner claims its own rows
(a lease, so two workers never build the same thing), commits its work and
returns how many items it finished. A runner that fails is logged and does
not stop the others or the outbox.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from flask import Flask, current_app
from sqlalchemy.orm import Session

log = logging.getLogger("app.jobs")

Runner = Callable[[Session, datetime], int]
EXTENSION = "agora_jobs"


def add_runner(app: Flask, name: str, run: Runner) -> None:
    app.extensions.setdefault(EXTENSION, {})[name] = run


def run_jobs(maker: Callable[[], Session], *, now: datetime | None = None) -> int:
    """One round of every registered runner at ``now``; the number of items done."""
    from app.core.db import utcnow

    now = now or utcnow()
    done = 0
    for name, run in current_app.extensions.get(EXTENSION, {}).items():
        session = maker()
        try:
            done += run(session, now)
        except Exception as error:
            session.rollback()
            if _is_outage(error):
                raise  # the worker backs off and reconnects
            log.exception("job runner %s failed", name)
        finally:
            session.close()
    return done


def _is_outage(error: Exception) -> bool:
    from app.core.outage import is_database_unavailable

    return is_database_unavailable(error)
