"""Responses whose rows are read from the database while they are sent.

The request's session is closed by the app context's teardown as soon as the
view returns, before the first byte of a streamed body is written. A stream
that kept reading through it would check out a connection that nobody gives
back: the pool runs dry after a few downloads, and the connection is only
returned when the garbage collector finalises it, from whichever thread
happens to run the collection, while another thread may already be using it.

So a streamed body owns a session of its own: opened when the first chunk is
asked for, closed when the last one is sent, when the client goes away (the
server closes the iterator) or when reading fails.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker

T = TypeVar("T")


def rows_from_own_session(maker: sessionmaker[Session], produce: Callable[[Session], Iterable[T]]) -> Iterator[T]:
    """``produce(session)``'s items, read through a session that lives exactly as
    long as the iteration. ``maker`` is taken in the view (``db.sessionmaker``),
    so no application context is needed to open it."""
    session = maker()
    try:
        yield from produce(session)
    finally:
        session.close()
