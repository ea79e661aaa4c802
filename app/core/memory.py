"""How a server process holds on to memory.

glibc's allocator gives threads that allocate at the same time arenas of their own, up to
eight per core, and an arena keeps what it once held: a threaded worker (gunicorn ``gthread``)
that rendered one large page on four threads keeps four arenas' worth of it. A worker's threads
mostly run in turn under the GIL, so two arenas serve them and keep far less: in
``bench/RESULTS.md`` (finding 12) the queue pages measured after the 1,000-comment thread
peaked at 199 MB per gthread worker with the default and at 162 MB with two. Threads that let
go of the GIL (in SQLite, in libpq) may wait for a shared arena; ``MALLOC_ARENA_MAX`` chooses.
"""

from __future__ import annotations

import ctypes
import os

M_ARENA_MAX = -8  # glibc's <malloc.h>
ARENAS = 2


def limit_malloc_arenas(count: int = ARENAS) -> bool:
    """Let glibc's allocator use at most ``count`` arenas from now on, unless the operator
    chose with ``MALLOC_ARENA_MAX``; False when that or the C library (not glibc) says no."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the process's own C library
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return mallopt(M_ARENA_MAX, count) == 1
