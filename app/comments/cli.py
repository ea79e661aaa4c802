"""``flask comments resanitize`` and ``flask comments notify-closing``."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import with_appcontext

from app.core.db import db


@click.group("comments", help="Comments and their notifications.")
def comments_group() -> None:
    pass


@comments_group.command("resanitize")
@click.option("--batch", default=500, show_default=True, help="Comments per batch (one commit each).")
@with_appcontext
def resanitize(batch: int) -> None:
    """Rebuild every comment's HTML from its Markdown source with the current sanitiser."""
    from app.comments.services import resanitize_comments

    def progress(done: int) -> None:
        db.session.commit()
        click.echo(f"{done} comment(s) re-sanitised")

    total = resanitize_comments(db.session, batch=max(1, batch), progress=progress)
    db.session.commit()
    click.echo(f"comments resanitize: {total} comment(s) done")


@comments_group.command("notify-closing")
@with_appcontext
def notify_closing() -> None:
    """Remind followers and commenters 7 days before a consultation closes (idempotent)."""
    from app.comments.notifications import notify_closing as run

    count = run(db.session)
    db.session.commit()
    click.echo(f"comments notify-closing: {count} reminder(s) queued")


def register(app: Flask) -> None:
    app.cli.add_command(comments_group)
