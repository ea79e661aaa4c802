"""``flask geography load``."""

from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from app.core.db import db


@click.group("geography", help="Countries, regional organisations, 1540 obligations.")
def geography_group() -> None:
    pass


@geography_group.command("load")
@with_appcontext
def load() -> None:
    """Load or refresh the data files in data/."""
    from app.geography.services import load_geography

    report = load_geography(db.session, Path(current_app.config["DATA_DIR"]))
    db.session.commit()
    click.echo(
        f"geography: {report.countries} countries, {report.regions} regional organisations "
        f"({report.memberships} memberships), {report.obligations} obligation codes"
    )


def register(app: Flask) -> None:
    app.cli.add_command(geography_group)
