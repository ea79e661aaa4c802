"""Telling "the database is not there" apart from "this statement failed".

Pages answer the first with 503 and Retry-After, the worker with a back-off;
the second stays a 500 (a bug) or a handled conflict.
"""

from __future__ import annotations

from sqlalchemy import exc as sa_exc

# Deadlocks and serialisation failures (SQLSTATE class 40) are OperationalErrors
# on PostgreSQL too, but the server answered: they are not outages.
_TRANSACTION_ROLLBACK = "40"


def is_database_unavailable(error: BaseException) -> bool:
    """True for errors that say the database cannot be reached right now."""
    if isinstance(error, sa_exc.TimeoutError):  # no connection free in the pool
        return True
    if not isinstance(error, sa_exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    if not isinstance(error, sa_exc.OperationalError | sa_exc.InterfaceError):
        return False
    sqlstate = getattr(error.orig, "sqlstate", None) or ""
    return not sqlstate.startswith(_TRANSACTION_ROLLBACK)
