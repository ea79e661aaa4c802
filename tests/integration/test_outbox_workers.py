"""Outbox delivery with real worker processes, a real SMTP server and PostgreSQL:
a worker killed with SIGKILL mid-batch loses nothing, and two workers side by
side never send the same message twice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from app import create_app
from app.core.cli import alembic_config
from app.core.db import make_engine, utcnow
from app.core.models import OutboxMessage
from config import TestingConfig

ROOT = Path(__file__).resolve().parents[2]
MESSAGES = 120


@pytest.fixture()
def outbox_db(scratch_url):
    if not scratch_url.startswith("postgresql"):
        pytest.skip("multi-process delivery is proven on PostgreSQL")
    app = create_app(TestingConfig, DATABASE_URL=scratch_url)
    with app.app_context():
        command.upgrade(alembic_config(), "head")
    engine = make_engine(scratch_url)
    with engine.begin() as conn:
        conn.execute(insert(OutboxMessage), [
            {"dedupe_key": f"bulk-{i}", "to_address": f"reader{i}@example.org", "subject": f"Message {i}",
             "body_text": f"Body {i}", "status": "pending", "attempts": 0, "next_attempt_at": utcnow(),
             "created_at": utcnow()}
            for i in range(MESSAGES)
        ])
    yield scratch_url, engine
    engine.dispose()


def _worker(url: str, smtp_port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "AGORA_ENV": "production",
        "SECRET_KEY": "worker-test",
        "DATABASE_URL": url,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp_port),
        "OUTBOX_LEASE_SECONDS": "2",
        "OPEN_DATA_INTERVAL_MINUTES": "0",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "wsgi", "worker", "--interval", "0.2"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )


def sent(engine) -> int:
    with Session(engine) as s:
        return s.scalar(select(func.count()).where(OutboxMessage.status == OutboxMessage.SENT))


def wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def test_sigkill_mid_batch_then_two_workers_deliver_everything_once(outbox_db, smtp_server):
    url, engine = outbox_db
    catcher, port = smtp_server
    catcher.clear()

    first = _worker(url, port)
    try:
        assert wait_for(lambda: len(catcher.messages) >= 20, 60), "the first worker sent nothing"
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            first.kill()
    received_before_restart = len(catcher.messages)
    assert received_before_restart < MESSAGES, "the batch finished before the kill; nothing was proven"

    workers = [_worker(url, port), _worker(url, port)]
    try:
        assert wait_for(lambda: sent(engine) == MESSAGES, 90), f"only {sent(engine)} of {MESSAGES} sent"
    finally:
        for w in workers:
            w.terminate()
        for w in workers:
            w.wait(10)

    subjects = [m["Subject"] for m in catcher.messages]
    ids_by_subject: dict[str, set[str]] = {}
    for m in catcher.messages:
        ids_by_subject.setdefault(m["Subject"], set()).add(m["Message-ID"])
    assert set(subjects) == {f"Message {i}" for i in range(MESSAGES)}, "a message was lost"
    duplicates = {s for s in subjects if subjects.count(s) > 1}
    # Only a message whose send completed but whose commit was killed may come twice,
    # and then with the same Message-ID.
    assert len(duplicates) <= 1, f"sent twice: {sorted(duplicates)}"
    assert all(len(ids) == 1 for ids in ids_by_subject.values())
    with Session(engine) as s:
        assert s.scalar(select(func.count()).where(OutboxMessage.message_id.is_(None))) == 0
