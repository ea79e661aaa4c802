"""The mail worker outlives the database: cut off (nothing listens on its
port) and with its connections killed by the server (pg_terminate_backend),
it backs off, reconnects and delivers everything through the real SMTP
server, each message once, with one log line per outage state change."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import insert, make_url, text

from app import create_app
from app.core.cli import alembic_config
from app.core.db import make_engine, utcnow
from app.core.models import OutboxMessage
from config import TestingConfig
from tests.faults.proxy import TcpProxy
from tests.integration.test_outbox_workers import sent, wait_for

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture()
def outbox_db(scratch_url):
    if not scratch_url.startswith("postgresql"):
        pytest.skip("a database server that goes away needs PostgreSQL")
    app = create_app(TestingConfig, DATABASE_URL=scratch_url)
    with app.app_context():
        command.upgrade(alembic_config(), "head")
    engine = make_engine(scratch_url)
    yield scratch_url, engine
    engine.dispose()


def queue(engine, first: int, count: int) -> None:
    with engine.begin() as conn:
        conn.execute(insert(OutboxMessage), [
            {"dedupe_key": f"outage-{i}", "to_address": f"reader{i}@example.org", "subject": f"Outage {i}",
             "body_text": f"Body {i}", "status": "pending", "attempts": 0, "next_attempt_at": utcnow(),
             "created_at": utcnow()}
            for i in range(first, first + count)
        ])


def start_worker(url: str, smtp_port: int, log_path: Path) -> subprocess.Popen:
    env = {**os.environ, "AGORA_ENV": "production", "SECRET_KEY": "worker-test", "DATABASE_URL": url,
           "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp_port), "OUTBOX_LEASE_SECONDS": "2",
           "OPEN_DATA_INTERVAL_MINUTES": "0"}
    with open(log_path, "wb") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--interval", "0.2", "--max-backoff", "1"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)


def test_worker_survives_the_database_going_away_and_delivers_everything_once(outbox_db, smtp_server, tmp_path):
    url, engine = outbox_db
    catcher, port = smtp_server
    catcher.clear()
    target = make_url(url)
    proxy = TcpProxy(target.host or "127.0.0.1", target.port or 5432).up()
    through_proxy = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    log_path = tmp_path / "worker.log"
    worker = start_worker(through_proxy, port, log_path)
    try:
        queue(engine, 0, 10)
        assert wait_for(lambda: sent(engine) == 10, 60), \
            f"the worker did not deliver before the outage:\n{log_path.read_text()}"

        # 1. The database goes away for a few seconds; mail is queued meanwhile.
        proxy.down()
        time.sleep(2.5)
        queue(engine, 10, 10)
        time.sleep(2.5)
        assert worker.poll() is None, f"the worker exited during the outage:\n{log_path.read_text()}"
        proxy.up()
        assert wait_for(lambda: sent(engine) == 20, 60), \
            f"only {sent(engine)} of 20 sent after the outage:\n{log_path.read_text()}"

        # 2. The server kills the worker's connections, over and over, while it works.
        queue(engine, 20, 30)
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as admin:
            for _ in range(15):
                admin.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                   "WHERE datname = :db AND pid <> pg_backend_pid()"), {"db": target.database})
                time.sleep(0.2)
        assert worker.poll() is None, f"the worker exited when its connections were killed:\n{log_path.read_text()}"
        assert wait_for(lambda: sent(engine) == 50, 60), f"only {sent(engine)} of 50 sent:\n{log_path.read_text()}"
        # The last kill may land after the last delivery, while the worker idles:
        # it must still notice the database is back before it is stopped.
        assert wait_for(lambda: _outages_closed(log_path.read_text()), 30), \
            f"the worker did not report the database back:\n{log_path.read_text()}"
    finally:
        worker.terminate()
        worker.wait(15)
        proxy.down()

    subjects = [m["Subject"] for m in catcher.messages]
    assert sorted(set(subjects)) == sorted(f"Outage {i}" for i in range(50)), "a message was lost"
    # A message whose send completed but whose commit was cut may come again
    # (the outbox's at-least-once rule), always with the same Message-ID.
    ids: dict[str, set[str]] = {}
    for m in catcher.messages:
        ids.setdefault(m["Subject"], set()).add(m["Message-ID"])
    assert all(len(v) == 1 for v in ids.values())
    assert len(subjects) - len(set(subjects)) <= 2, f"too many repeats: {len(subjects) - len(set(subjects))}"
    log_text = log_path.read_text()
    assert log_text.count("database unavailable") >= 1
    assert _outages_closed(log_text)
    assert "Traceback" not in log_text
    assert worker.returncode == 0 and "worker: stopped" in log_text  # SIGTERM stops it cleanly


def _outages_closed(log_text: str) -> bool:
    return log_text.count("database unavailable") == log_text.count("database reachable again")
