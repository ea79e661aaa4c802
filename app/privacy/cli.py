"""Background building of data exports (``flask worker`` runs it) and its command."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from app.core.jobs import add_runner


def _build(session, now=None) -> int:
    from app.privacy.jobs import build_due_exports

    return build_due_exports(session, now=now)


@click.command("build-exports")
@with_appcontext
def build_exports_command() -> None:
    """Build the data exports people asked for (the worker does this too)."""
    from app.core.db import db

    session = db.sessionmaker()
    try:
        click.echo(f"data exports built: {_build(session)}")
    finally:
        session.close()


def register(app: Flask) -> None:
    add_runner(app, "data_exports", _build)
    app.cli.add_command(build_exports_command)
