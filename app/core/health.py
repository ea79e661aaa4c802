"""Liveness and readiness probes.

``/readyz`` is ready when the database answers and its schema is the one the
code expects (the database's Alembic revision is the code's head): a process
started on a database that was not migrated, or was restored from an older
backup, must not take traffic.
"""

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Blueprint, current_app, jsonify
from sqlalchemy import text

from app.core.authz import public
from app.core.db import db

bp = Blueprint("health", __name__)


def code_heads() -> tuple[str, ...]:
    """The migrations' head revision(s), read once per process."""
    heads = current_app.extensions.get("agora_schema_heads")
    if heads is None:
        from app.core.cli import alembic_config

        heads = tuple(sorted(ScriptDirectory.from_config(alembic_config()).get_heads()))
        current_app.extensions["agora_schema_heads"] = heads
    return heads


def database_heads(connection) -> tuple[str, ...]:
    return tuple(sorted(MigrationContext.configure(connection).get_current_heads()))


@bp.get("/healthz")
@public
def healthz():
    return jsonify(status="ok")


@bp.get("/readyz")
@public
def readyz():
    try:
        db.session.execute(text("SELECT 1"))
        found = database_heads(db.session.connection())
    except Exception as exc:  # noqa: BLE001 - any database failure means not ready
        return jsonify(status="unavailable", database=type(exc).__name__), 503
    expected = code_heads()
    if found != expected:
        from app.core.cli import alembic_config

        known = ScriptDirectory.from_config(alembic_config())
        behind = all(_is_known(known, rev) for rev in found)
        return jsonify(status="unavailable", database="ok", schema="behind" if behind else "unknown",
                       database_revision=", ".join(found) or None, code_revision=", ".join(expected)), 503
    return jsonify(status="ok", database="ok", schema="ok", revision=", ".join(expected))


def _is_known(scripts: ScriptDirectory, revision: str) -> bool:
    try:
        return scripts.get_revision(revision) is not None
    except Exception:  # noqa: BLE001 - alembic raises for revisions it does not know
        return False
