"""The hash-chained audit log: appends link up, tampering is caught."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import select, text

from app.core.audit import GENESIS, record, verify_chain
from app.core.cli import audit_verify
from app.core.models import AuditEntry
from tests.factories import make_user


def _three_entries(session):
    actor = make_user(session)
    entries = [
        record(session, actor=actor, action="role.grant", target=actor, reason="first", after={"role": "admin"}),
        record(session, actor=actor, action="user.suspend", target=actor, reason="second",
               before={"status": "active"}, after={"status": "suspended"}),
        record(session, actor=None, action="consultation.open", target_type="Consultation", target_id=7),
    ]
    return actor, entries


def test_entries_link_to_the_previous_hash(session):
    before = session.scalar(select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)) or GENESIS
    _, entries = _three_entries(session)
    assert entries[0].prev_hash == before
    assert entries[1].prev_hash == entries[0].hash
    assert entries[2].prev_hash == entries[1].hash
    assert len({e.hash for e in entries}) == 3
    assert verify_chain(session).ok


def test_a_changed_reason_is_caught_at_that_entry(session):
    _, entries = _three_entries(session)
    _disable_guard(session)
    session.execute(text("UPDATE audit_entry SET reason = 'edited later' WHERE id = :id"), {"id": entries[1].id})
    session.expire_all()
    report = verify_chain(session)
    assert not report.ok
    assert report.broken_at == entries[1].id
    assert "hash" in report.problem


def test_a_deleted_entry_breaks_the_next_link(session):
    _, entries = _three_entries(session)
    _disable_guard(session)
    session.execute(text("DELETE FROM audit_entry WHERE id = :id"), {"id": entries[1].id})
    session.expire_all()
    report = verify_chain(session)
    assert report.broken_at == entries[2].id
    assert "previous" in report.problem


def test_cli_reports_intact_and_broken_chains(app, session):
    _, entries = _three_entries(session)
    runner = CliRunner()
    with app.app_context():
        result = runner.invoke(audit_verify, obj=None)
    assert result.exit_code == 0, result.output
    assert "intact" in result.output

    _disable_guard(session)
    session.execute(text("UPDATE audit_entry SET action = 'x' WHERE id = :id"), {"id": entries[0].id})
    session.expire_all()
    with app.app_context():
        result = runner.invoke(audit_verify)
    assert result.exit_code == 1
    assert f"broken at entry {entries[0].id}" in result.output


def _disable_guard(session):
    """On PostgreSQL the application cannot change audit rows; the test plays a superuser."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_append_only"))


def test_postgres_refuses_to_update_or_delete_audit_rows(session):
    import pytest
    from sqlalchemy.exc import DBAPIError

    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("the append-only trigger is PostgreSQL's")
    _, entries = _three_entries(session)
    for statement in ("UPDATE audit_entry SET reason = 'x' WHERE id = :id", "DELETE FROM audit_entry WHERE id = :id"):
        nested = session.begin_nested()
        with pytest.raises(DBAPIError, match="append-only"):
            session.execute(text(statement), {"id": entries[0].id})
        nested.rollback()


def test_twenty_concurrent_writers_keep_one_linear_chain(scratch_url):
    """On PostgreSQL, writers in separate transactions never fork the chain."""
    import threading

    import pytest
    from alembic import command

    from app import create_app
    from app.core.cli import alembic_config
    from app.core.db import make_engine
    from config import TestingConfig

    if not scratch_url.startswith("postgresql"):
        pytest.skip("concurrency is proven on PostgreSQL; SQLite serialises writers itself")
    app = create_app(TestingConfig, DATABASE_URL=scratch_url)
    with app.app_context():
        command.upgrade(alembic_config(), "head")
    engine = make_engine(scratch_url)
    from sqlalchemy.orm import Session

    barrier = threading.Barrier(20)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            barrier.wait()
            for i in range(5):
                with Session(engine) as s, s.begin():
                    record(s, actor=None, action="test.write", target_type="Thread", target_id=f"{n}-{i}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    with Session(engine) as s:
        report = verify_chain(s)
        prev_hashes = s.scalars(select(AuditEntry.prev_hash)).all()
    engine.dispose()
    assert report.ok and report.checked == 100
    assert len(set(prev_hashes)) == 100, "two entries share a predecessor: the chain forked"
