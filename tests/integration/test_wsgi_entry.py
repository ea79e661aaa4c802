"""The WSGI entry point gunicorn loads (wsgi.py): it serves, and what start-up built is left out
of the garbage collector's full collections (``gc.freeze``), in a process of its own as a worker
is."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import gc, json
import wsgi
frozen = gc.get_freeze_count()
response = wsgi.app.test_client().get("/healthz")
print(json.dumps({"frozen": frozen, "status": response.status_code}))
"""


def test_the_entry_point_serves_with_its_start_up_left_out_of_full_collections():
    env = {**os.environ, "AGORA_ENV": "testing", "TEST_DATABASE_URL": "sqlite://"}
    done = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, check=True)
    probe = json.loads(done.stdout.strip().splitlines()[-1])
    assert probe["status"] == 200
    assert probe["frozen"] > 10_000  # the application's modules and objects, not a handful
