"""``flask moderation ...``: maintenance commands for moderation."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext
from sqlalchemy import select

from app.core.db import db
from app.moderation.models import ReasonTemplate
from app.moderation.reasons import DEFAULT_REASONS


@click.group("moderation")
def moderation_group() -> None:
    """Moderation: reason templates and the watch list."""


@moderation_group.command("seed-reasons")
@with_appcontext
def seed_reasons() -> None:
    """Add the default reason templates that are missing (existing ones are kept as edited)."""
    session = db.session
    existing = set(session.scalars(select(ReasonTemplate.code)))
    added = 0
    for position, (code, label, message) in enumerate(DEFAULT_REASONS, start=1):
        if code not in existing:
            session.add(ReasonTemplate(code=code, label=label, message=message, position=position, active=True))
            added += 1
    session.commit()
    click.echo(f"{added} reason template(s) added.")


@moderation_group.command("recount")
@with_appcontext
def recount_queue() -> None:
    """Count the review queue afresh per consultation (after rows were written past the application)."""
    from app.moderation.tally import recount

    rows, wrong = recount(db.session)
    db.session.commit()
    click.echo(f"Review queue counted afresh for {rows} consultation(s); {wrong} had counts that were not right.")


def register(app: Flask) -> None:
    app.cli.add_command(moderation_group)
