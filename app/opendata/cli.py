"""``flask opendata build``: regenerate the public bulk download (run it from cron or a timer)."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import AppGroup

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


def register(app: Flask) -> None:
    app.cli.add_command(opendata_group)
