"""The ``flask worker`` loop: deliver the outbox, and outlive the database.

A database that goes away (restart, fail-over, a network cut, a killed
connection) must not stop the worker: it backs off with a growing, capped
delay, throws the engine's pooled connections away (they are dead) and tries
again. The log gets one line when the outage starts and one when it ends,
not a traceback per poll. Rows leased when the database went away are taken
again once their lease runs out (``OUTBOX_LEASE_SECONDS``), so nothing is lost.

SIGTERM and SIGINT stop the loop between two messages, so a supervisor's
stop never cuts a send in half.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from app.core.outage import is_database_unavailable

log = logging.getLogger("app.worker")

@dataclass
class Backoff:
    """Delays that double from ``first`` up to ``cap`` seconds, reset on success."""

    first: float = 1.0
    cap: float = 60.0
    current: float = field(default=0.0, init=False)

    def next(self) -> float:
        self.current = self.first if not self.current else min(self.current * 2, self.cap)
        return self.current

    def reset(self) -> None:
        self.current = 0.0


class Worker:
    """Runs ``step`` every ``interval`` seconds until stopped; survives outages.

    ``step`` returns the counts of one delivery round. ``engine`` is disposed
    of when the database goes away, so the next round opens fresh connections.
    """

    def __init__(self, step: Callable[[], dict[str, int]], *, engine: Any, interval: float,
                 backoff: Backoff | None = None, echo: Callable[[str], None] = log.info) -> None:
        self.step, self.engine, self.interval = step, engine, interval
        self.backoff = backoff or Backoff()
        self.echo = echo
        self.stopping = threading.Event()
        self.outage_since: float | None = None
        self.outage_reason = ""
        self.failing_since: float | None = None

    def stop(self, *_args: Any) -> None:
        self.stopping.set()

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)

    def run_once(self) -> dict[str, int] | None:
        """One round. Returns its counts, or None when it failed and was backed off."""
        try:
            counts = self.step()
        except Exception as error:  # noqa: BLE001 - the worker must outlive any one round
            self._failed(error)
            return None
        self._recovered()
        return counts

    def run(self) -> None:
        while not self.stopping.is_set():
            counts = self.run_once()
            if counts is not None:
                if any(counts.values()):
                    self.echo(f"worker: sent {counts['sent']}, retry {counts['retry']}, dead {counts['dead']}")
                self.stopping.wait(self.interval)

    # --- outage state ------------------------------------------------------------------

    def _failed(self, error: Exception) -> None:
        delay = self.backoff.next()
        if is_database_unavailable(error):
            # Every pooled connection is dead or suspect; start from nothing next time.
            self.engine.dispose()
            reason = _one_line(error)
            if self.outage_since is None:
                self.outage_since, self.outage_reason = time.monotonic(), reason
                self.echo(f"worker: database unavailable ({reason}); retrying with back-off up to "
                          f"{self.backoff.cap:g}s")
        elif self.failing_since is None:
            # Not an outage: a bug or a bad row. Say it once, with the traceback.
            self.failing_since = time.monotonic()
            log.error("worker: delivery round failed; retrying with back-off", exc_info=error)
            self.echo(f"worker: delivery round failed ({_one_line(error)}); retrying with back-off")
        self.stopping.wait(delay)

    def _recovered(self) -> None:
        self.backoff.reset()
        now = time.monotonic()
        if self.outage_since is not None:
            self.echo(f"worker: database reachable again after {now - self.outage_since:.1f}s")
            self.outage_since = None
        if self.failing_since is not None:
            self.echo(f"worker: delivery rounds succeed again after {now - self.failing_since:.1f}s")
            self.failing_since = None


def _one_line(error: BaseException) -> str:
    original = getattr(error, "orig", None) or error
    text = " ".join(str(original).split())
    return f"{type(original).__name__}: {text[:200]}"
