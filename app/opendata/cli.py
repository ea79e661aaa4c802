"""``flask opendata build``: regenerate the public bulk download. ``flask worker`` rebuilds it
too, when it is older than ``OPEN_DATA_INTERVAL`` (a day unless configured)."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from app.core.jobs import add_runner

opendata_group = AppGroup("opendata", help="The public bulk download (/open-data).")


@opendata_group.command("build")
def build_command() -> None:
    """Write the ZIP and its .sha256 under OPEN_DATA_DIR (instance/opendata by default)."""
    from app.core.db import db
    from app.opendata.build import publish

    # Serialisers build absolute links: a request context on BASE_URL, as in e-mails.
    with current_app.test_request_context(base_url=current_app.config["BASE_URL"]):
        published = publish(db.session)
        db.session.rollback()
    click.echo(f"{published.path} ({published.size} bytes, {published.licence})\nsha256 {published.sha256}")


def _rebuild_when_due(session, now) -> int:
    from app.opendata.build import rebuild_when_due

    return int(rebuild_when_due(session, now))


def register(app: Flask) -> None:
    add_runner(app, "open_data", _rebuild_when_due)
    app.cli.add_command(opendata_group)
