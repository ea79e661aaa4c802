"""A server process's threads share two of glibc's arenas (app/core/memory.py)."""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
from pathlib import Path

import pytest

from app.core.memory import ARENAS, limit_malloc_arenas

ROOT = Path(__file__).resolve().parents[2]
glibc = pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="the arena limit is glibc's")

# Eight threads allocate at once and keep what they allocated; glibc then reports its arenas.
THREADS = """
import ctypes, sys, threading
from app.core.memory import limit_malloc_arenas
if sys.argv[1] == "limited":
    assert limit_malloc_arenas()
elif sys.argv[1] == "server":
    import wsgi  # the server's entry point
ready, kept = threading.Barrier(9), []
def work():
    kept.append([bytearray(20_000) for _ in range(50)])
    ready.wait()
    ready.wait()
threads = [threading.Thread(target=work) for _ in range(8)]
for thread in threads:
    thread.start()
ready.wait()
ctypes.CDLL(None).malloc_stats()
ready.wait()
"""


def arenas(mode: str, **env: str) -> int:
    environment = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"} | env
    done = subprocess.run([sys.executable, "-c", THREADS, mode], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=60, check=True)
    return len(re.findall(r"^Arena \d+:", done.stderr, re.MULTILINE))


@glibc
def test_threads_allocating_at_once_share_two_arenas():
    assert arenas("default") > ARENAS  # what the limit changes: one arena per thread
    assert arenas("limited") <= ARENAS


@glibc
def test_the_server_entry_point_sets_the_limit(tmp_path):
    """wsgi.py sets it before the server starts its threads."""
    assert arenas("server", **_testing(tmp_path)) <= ARENAS


@glibc
def test_the_operators_choice_stands(monkeypatch, tmp_path):
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert limit_malloc_arenas() is False
    assert ARENAS < arenas("server", MALLOC_ARENA_MAX="4", **_testing(tmp_path)) <= 4


def _testing(tmp_path: Path) -> dict[str, str]:
    return {"AGORA_ENV": "testing", "DATABASE_URL": f"sqlite:///{tmp_path / 'memory.sqlite3'}"}


def test_a_server_process_imports_the_spreadsheet_and_xml_libraries_only_when_asked(tmp_path):
    """openpyxl (22.7 MB) and lxml come with the first export or upload, not with every worker."""
    script = "import sys, wsgi; print(sorted(m for m in ('openpyxl', 'lxml', 'PIL') if m in sys.modules))"
    environment = os.environ | _testing(tmp_path)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True,
                          timeout=60, check=True)
    assert done.stdout.strip() == "[]"
