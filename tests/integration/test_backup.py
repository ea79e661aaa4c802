"""``flask backup`` / ``flask restore``: a round trip taken while the app
keeps writing gives back exactly the snapshot (every table's rows, the audit
chain ending at the same entry, the same uploaded files); a backup of another
revision is refused unless it is to be migrated; a damaged one is refused."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import func, select

from app import create_app
from app.core import audit
from app.core.backup import sha256_of
from app.core.cli import alembic_config
from app.core.db import db
from app.core.models import AuditEntry, OutboxMessage
from config import TestingConfig


@pytest.fixture()
def live_app(scratch_url, tmp_path):
    uploads = tmp_path / "uploads"
    uploads.mkdir()
    app = create_app(TestingConfig, DATABASE_URL=scratch_url, UPLOAD_DIR=uploads, MAIL_DIR=tmp_path / "mail")
    with app.app_context():
        command.upgrade(alembic_config(), "head")
    yield app
    db.state(app).engine.dispose()


def write_some(app, first: int, count: int, uploads: Path | None = None) -> None:
    """What the app does all day: audit entries, queued e-mails, uploaded files."""
    with app.app_context():
        session = db.sessionmaker()
        try:
            for i in range(first, first + count):
                audit.record(session, actor=None, action="backup.test", target_type="Thing", target_id=i)
                session.add(OutboxMessage(dedupe_key=f"backup-{i}", to_address=f"reader{i}@example.org",
                                          subject=f"Message {i}", body_text=f"Body {i}"))
                session.commit()
                if uploads is not None:
                    (uploads / f"{i:032x}").write_bytes(f"file {i}".encode() * 50)
        finally:
            session.close()


def counts(app) -> tuple[int, int]:
    with app.app_context():
        session = db.sessionmaker()
        try:
            return (session.scalar(select(func.count()).select_from(AuditEntry)),
                    session.scalar(select(func.count()).select_from(OutboxMessage)))
        finally:
            session.close()


def chain_ok(app) -> bool:
    with app.app_context():
        session = db.sessionmaker()
        try:
            return audit.verify_chain(session).ok
        finally:
            session.close()


def test_round_trip_under_concurrent_writes_gives_back_the_snapshot(live_app, tmp_path):
    app = live_app
    uploads = Path(app.config["UPLOAD_DIR"])
    write_some(app, 0, 20, uploads)

    stop = threading.Event()
    written = {"n": 20}

    def writer() -> None:
        while not stop.is_set():
            write_some(app, written["n"], 1, uploads)
            written["n"] += 1

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while written["n"] < 30:  # the backup starts while writes are going on
            stop.wait(0.01)
        result = app.test_cli_runner().invoke(args=["backup", "--output-dir", str(tmp_path / "backups")])
        assert result.exit_code == 0, result.output
        mid = written["n"]
        while written["n"] < mid + 10:  # and writes go on after it
            stop.wait(0.01)
    finally:
        stop.set()
        thread.join()

    backup = next((tmp_path / "backups").iterdir())
    manifest = json.loads((backup / "manifest.json").read_text())
    entries_at_snapshot = manifest["tables"]["audit_entry"]
    assert 20 <= entries_at_snapshot < written["n"]
    assert counts(app)[0] == written["n"]
    files_at_backup = {name for name in manifest["files"] if name.startswith("uploads/")}
    assert len(files_at_backup) >= entries_at_snapshot  # every row's file is there
    (uploads / "written-after-the-backup").write_text("not in the backup")

    result = app.test_cli_runner().invoke(args=["restore", str(backup), "--yes"])
    assert result.exit_code == 0, result.output
    assert "audit chain intact" in result.output

    assert counts(app) == (entries_at_snapshot, manifest["tables"]["outbox_message"])
    with app.app_context():
        session = db.sessionmaker()
        last = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1)).one()
        session.close()
    assert {"id": last.id, "hash": last.hash} == manifest["audit_head"]
    assert chain_ok(app)
    restored = {f"uploads/{p.relative_to(uploads).as_posix()}": sha256_of(p) for p in uploads.rglob("*")
                if p.is_file()}
    assert restored == {name: manifest["files"][name] for name in files_at_backup}

    # The restored app writes on from there, and the chain still holds.
    write_some(app, 1000, 2)
    assert chain_ok(app)


def test_restore_refuses_another_revision_unless_told_to_migrate(scratch_url, tmp_path):
    app = create_app(TestingConfig, DATABASE_URL=scratch_url, UPLOAD_DIR=tmp_path / "uploads",
                     MAIL_DIR=tmp_path / "mail")
    try:
        with app.app_context():
            scripts = ScriptDirectory.from_config(alembic_config())
            previous = scripts.get_revision(scripts.get_current_head()).down_revision
            command.upgrade(alembic_config(), previous)
        write_some(app, 0, 5)
        runner = app.test_cli_runner()
        assert runner.invoke(args=["backup", "--output-dir", str(tmp_path / "backups")]).exit_code == 0
        backup = next((tmp_path / "backups").iterdir())

        refused = runner.invoke(args=["restore", str(backup), "--yes"])
        assert refused.exit_code != 0
        assert previous in refused.output and "--migrate" in refused.output

        migrated = runner.invoke(args=["restore", str(backup), "--yes", "--migrate"])
        assert migrated.exit_code == 0, migrated.output
        assert app.test_client().get("/readyz").status_code == 200
        assert counts(app)[0] == 5
        assert chain_ok(app)
    finally:
        db.state(app).engine.dispose()


def test_a_damaged_backup_is_refused_before_anything_is_replaced(live_app, tmp_path):
    app = live_app
    uploads = Path(app.config["UPLOAD_DIR"])
    write_some(app, 0, 3, uploads)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["backup", "--output-dir", str(tmp_path / "backups")]).exit_code == 0
    backup = next((tmp_path / "backups").iterdir())
    write_some(app, 3, 2, uploads)
    damaged = next((backup / "uploads").iterdir())
    damaged.write_bytes(b"changed")

    result = runner.invoke(args=["restore", str(backup), "--yes"])
    assert result.exit_code != 0
    assert "sha256" in result.output
    assert counts(app)[0] == 5  # nothing was replaced
