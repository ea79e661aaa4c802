"""``flask comments resanitize``, ``flask comments notify-closing`` and
``flask notifications send-daily``."""

from __future__ import annotations

from datetime import date, timedelta

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


# --- e-mail frequency (issue "Summaries forwarded…", item 6) ---
@click.group("notifications", help="Participant notifications and their e-mails.")
def notifications_group() -> None:
    pass


@notifications_group.command("send-daily")
@click.option("--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="UTC day to send (YYYY-MM-DD); default: yesterday, the last complete UTC day.")
@with_appcontext
def send_daily(day) -> None:
    """Queue one e-mail per user on the daily frequency with that day's notifications (idempotent)."""
    from app.comments.notifications import send_daily as run
    from app.core.db import utcnow

    target: date = day.date() if day else (utcnow() - timedelta(days=1)).date()
    count = run(db.session, day=target)
    db.session.commit()
    click.echo(f"notifications send-daily {target.isoformat()}: {count} e-mail(s) queued")
# --- end e-mail frequency ---


def register(app: Flask) -> None:
    app.cli.add_command(comments_group)
    app.cli.add_command(notifications_group)
