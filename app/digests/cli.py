"""``flask digests send-due``: build and queue the digests whose period has ended."""

from __future__ import annotations

from datetime import datetime

import click
from flask import Flask
from flask.cli import with_appcontext


@click.group("digests", help="Digests for focal points.")
def digests_group() -> None:
    pass


@digests_group.command("send-due")
@click.option("--now", "now_text", default=None,
              help="Pretend it is this UTC time (ISO 8601), e.g. to re-run a period.")
@with_appcontext
def send_due_command(now_text: str | None) -> None:
    """Create and queue every digest whose period has ended. Safe to run twice, or at once on several machines."""
    from datetime import UTC

    from app.core.db import db
    from app.digests.services import queue_due_digests

    now = None
    if now_text:
        try:
            now = datetime.fromisoformat(now_text)
        except ValueError as exc:
            raise click.BadParameter("use ISO 8601, e.g. 2026-11-30T06:00", param_hint="--now") from exc
        now = now.replace(tzinfo=UTC) if now.tzinfo is None else now
    session = db.session

    def progress(ids):
        with click.progressbar(ids, label="digests", show_pos=True, file=click.get_text_stream("stderr")) as bar:
            yield from bar

    report = queue_due_digests(session, now=now, progress=progress)
    click.echo(f"digests: {report.created} queued, {report.existing} already done, {report.empty} empty periods")


def register(app: Flask) -> None:
    app.cli.add_command(digests_group)
