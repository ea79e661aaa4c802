"""Migrations are code: the head matches the models, and every revision goes
up and down on a database that holds data."""

from __future__ import annotations

import os

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from app import create_app
from app.core.cli import alembic_config
from app.core.db import Base, make_engine
from app.models import load_all_models
from config import TestingConfig


def _revisions(cfg) -> list[str]:
    script = ScriptDirectory.from_config(cfg)
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def test_revision_files_are_date_prefixed():
    versions = os.path.join(os.path.dirname(__file__), "..", "..", "migrations", "versions")
    names = [n for n in os.listdir(versions) if n.endswith(".py")]
    assert names
    for name in names:
        assert name[:8].isdigit() and name[8] == "_", name


def test_head_matches_models(scratch_url):
    app = create_app(TestingConfig, DATABASE_URL=scratch_url)
    with app.app_context():
        command.upgrade(alembic_config(), "head")
        load_all_models()
        engine = make_engine(scratch_url)
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True,
                                                             "include_object": _include})
            diff = compare_metadata(context, Base.metadata)
        engine.dispose()
    assert diff == [], f"models and migrations differ: {diff}"


def _include(obj, name, type_, reflected, compare_to):
    if type_ == "table" and name and (name.endswith("_fts") or "_fts_" in name):
        return False
    return True


def test_every_revision_upgrades_and_downgrades_with_data(scratch_url):
    app = create_app(TestingConfig, DATABASE_URL=scratch_url)
    with app.app_context():
        cfg = alembic_config()
        revisions = _revisions(cfg)
        assert revisions, "no migrations found"
        engine = make_engine(scratch_url)
        for revision in revisions:
            command.upgrade(cfg, revision)
            _put_data(engine)
        tables_at_head = set(inspect(engine).get_table_names())
        for revision in reversed(revisions[:-1]):
            command.downgrade(cfg, revision)
        command.downgrade(cfg, "base")
        remaining = set(inspect(engine).get_table_names()) - {"alembic_version"}
        assert not remaining & tables_at_head, f"left behind after downgrade: {remaining}"
        command.upgrade(cfg, "head")
        engine.dispose()


def _put_data(engine) -> None:
    """A user, an organisation and an audit entry, so downgrades meet real rows."""
    with engine.begin() as conn:
        tables = set(inspect(conn).get_table_names())
        if "user" in tables and not conn.execute(text('SELECT count(*) FROM "user"')).scalar():
            conn.execute(text(
                "INSERT INTO \"user\" (email, display_name, password_hash, timezone, status, "
                "session_generation, is_demo, created_at) VALUES ('m@example.org', 'M', 'x', 'UTC', "
                "'active', 1, false, CURRENT_TIMESTAMP)"))
        if "outbox_message" in tables and not conn.execute(text("SELECT count(*) FROM outbox_message")).scalar():
            conn.execute(text(
                "INSERT INTO outbox_message (dedupe_key, to_address, subject, body_text, status, attempts, "
                "next_attempt_at, created_at) VALUES ('k', 'm@example.org', 's', 'b', 'pending', 0, "
                "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))
