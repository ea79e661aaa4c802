"""The hash-chained audit log: appends link up, tampering is caught."""

from __future__ import annotations

from click.testing import CliRunner
from sqlalchemy import event, select, text

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


def test_an_append_once_the_head_exists_is_three_statements(session):
    """The head is read and locked in one statement (PostgreSQL), then the entry and the head are
    written: appending costs an audited write no more than that."""
    record(session, actor=None, action="test.first", target_type="Thread", target_id=1)
    session.flush()
    statements: list[str] = []
    engine = session.get_bind()

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        entry = record(session, actor=None, action="test.second", target_type="Thread", target_id=2)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 3, statements
    assert "audit_head" in statements[0]
    if engine.dialect.name == "postgresql":
        assert "FOR UPDATE" in statements[0] and not any("advisory" in s for s in statements)
    assert entry.prev_hash != GENESIS and verify_chain(session).ok


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


# --- the head: cutting entries from the end shows ----------------------------------------


def _cut_tail(session, from_id: int) -> None:
    _disable_guard(session)
    session.execute(text("DELETE FROM audit_entry WHERE id >= :id"), {"id": from_id})
    session.expire_all()


def _head(session):
    from app.core.models import AuditHead

    session.expire_all()
    return session.get(AuditHead, 1)


def test_each_append_moves_the_head_in_the_same_transaction(session):
    _, entries = _three_entries(session)
    head = _head(session)
    assert (head.entry_id, head.hash) == (entries[-1].id, entries[-1].hash)
    report = verify_chain(session)
    assert report.ok and report.head == f"{entries[-1].id}:{entries[-1].hash}"


def test_a_truncated_tail_is_caught(session):
    _, entries = _three_entries(session)
    second, last = entries[1].id, entries[-1].id
    _cut_tail(session, second)

    report = verify_chain(session)

    assert not report.ok
    assert report.broken_at == last
    assert "removed" in report.problem


def test_an_entry_appended_after_a_cut_does_not_hide_it(session):
    actor, entries = _three_entries(session)
    _cut_tail(session, entries[1].id)
    record(session, actor=actor, action="user.rename", target=actor)
    assert not verify_chain(session).ok


def test_cli_prints_the_head_and_checks_a_recorded_one(app, session):
    actor, entries = _three_entries(session)
    actor = actor.id
    (first_id, first_hash), second_id, last_id = (entries[0].id, entries[0].hash), entries[1].id, entries[-1].id
    recorded = f"{entries[-1].id}:{entries[-1].hash}"
    runner = CliRunner()
    with app.app_context():
        first = runner.invoke(audit_verify, [])
    assert first.exit_code == 0, first.output
    assert f"audit head: {recorded}" in first.output

    later = record(session, actor=None, action="user.rename", target_type="User", target_id=actor)
    later = f"{later.id}:{later.hash}"
    with app.app_context():
        grown = runner.invoke(audit_verify, ["--expect-head", recorded])
    assert grown.exit_code == 0, grown.output
    assert f"audit head: {later}" in grown.output

    # Someone with full write access cuts the tail and rewrites the head to match:
    # the chain and the stored head agree, only the recorded head shows it.
    _cut_tail(session, second_id)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ALTER TABLE audit_head DISABLE TRIGGER audit_head_forward_only"))
    session.execute(text("UPDATE audit_head SET entry_id = :id, hash = :hash WHERE id = 1"),
                    {"id": first_id, "hash": first_hash})
    session.expire_all()
    assert verify_chain(session).ok
    with app.app_context():
        caught = runner.invoke(audit_verify, ["--expect-head", recorded])
    assert caught.exit_code == 1
    assert f"broken at entry {last_id}" in caught.output
    assert "recorded head" in caught.output


def test_cli_refuses_a_malformed_expected_head(app, session):
    with app.app_context():
        result = CliRunner().invoke(audit_verify, ["--expect-head", "12:not-a-hash"])
    assert result.exit_code == 2
    assert "ID:HASH" in result.output


def test_postgres_head_only_moves_forward(session):
    import pytest
    from sqlalchemy.exc import DBAPIError

    if session.get_bind().dialect.name != "postgresql":
        pytest.skip("the forward-only trigger is PostgreSQL's")
    _, entries = _three_entries(session)
    for statement in ("UPDATE audit_head SET entry_id = entry_id - 1 WHERE id = 1", "DELETE FROM audit_head"):
        nested = session.begin_nested()
        with pytest.raises(DBAPIError, match="only moves forward"):
            session.execute(text(statement))
        nested.rollback()
