"""``flask consultations tick`` (and, later, the worker) moves statuses by the clock."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from app.core.db import db


@click.group("consultations", help="Consultations on draft national measures.")
def consultations_group() -> None:
    pass


@consultations_group.command("tick")
@with_appcontext
def tick() -> None:
    """Open and close consultations whose dates have come (one audit entry each)."""
    from app.consultations.services import tick_consultations

    changes = tick_consultations(db.session)
    db.session.commit()
    for consultation, old, new in changes:
        click.echo(f"consultation {consultation.id}: {old} → {new}")
    click.echo(f"consultations tick: {len(changes)} status change(s)")


@consultations_group.command("reindex")
@with_appcontext
def reindex() -> None:
    """Rebuild the full-text search index."""
    from sqlalchemy import select

    from app.consultations.models import Consultation
    from app.consultations.search import index_consultation

    count = 0
    for consultation in db.session.scalars(select(Consultation)):
        index_consultation(db.session, consultation)
        count += 1
    db.session.commit()
    click.echo(f"search index: {count} consultation(s) indexed")


def register(app: Flask) -> None:
    app.cli.add_command(consultations_group)
