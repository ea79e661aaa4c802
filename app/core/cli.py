"""Core commands: ``flask db ...`` (Alembic), ``flask worker``, ``flask audit verify``."""

from __future__ import annotations

import time
from pathlib import Path

import click
from alembic import command
from alembic.config import Config as AlembicConfig
from flask import Flask, current_app
from flask.cli import with_appcontext

ROOT = Path(__file__).resolve().parents[2]


def alembic_config() -> AlembicConfig:
    cfg = AlembicConfig(str(ROOT / "migrations" / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", current_app.config["DATABASE_URL"].replace("%", "%%"))
    return cfg


@click.group("db", help="Database migrations (Alembic).")
def db_group() -> None:
    pass


@db_group.command("upgrade")
@click.argument("revision", default="head")
@with_appcontext
def db_upgrade(revision: str) -> None:
    """Upgrade the database to REVISION (default: head)."""
    command.upgrade(alembic_config(), revision)


@db_group.command("downgrade")
@click.argument("revision", default="-1")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Downgrade the database to REVISION (default: one step)."""
    command.downgrade(alembic_config(), revision)


@db_group.command("revision")
@click.option("-m", "--message", required=True)
@click.option("--autogenerate/--empty", default=True)
@click.option("--rev-id", default=None, help="Revision id (default: random).")
@with_appcontext
def db_revision(message: str, autogenerate: bool, rev_id: str | None) -> None:
    """Write a new, date-prefixed revision file."""
    command.revision(alembic_config(), message=message, autogenerate=autogenerate, rev_id=rev_id)


@db_group.command("check")
@with_appcontext
def db_check() -> None:
    """Fail if the models differ from the migrations' head."""
    command.check(alembic_config())


@db_group.command("current")
@with_appcontext
def db_current() -> None:
    command.current(alembic_config(), verbose=False)


@db_group.command("history")
@with_appcontext
def db_history() -> None:
    command.history(alembic_config())


@click.command("worker")
@click.option("--once", is_flag=True, help="Deliver what is due, then exit.")
@click.option("--interval", default=2.0, show_default=True, help="Seconds between polls.")
@with_appcontext
def worker(once: bool, interval: float) -> None:
    """Send outbox e-mails (and, later, run scheduled jobs)."""
    from app.core.db import db
    from app.core.mail import deliver_due

    click.echo("worker: delivering outbox messages" + (" once" if once else f" every {interval}s"))
    while True:
        session = db.sessionmaker()
        try:
            counts = deliver_due(session)
        finally:
            session.close()
        if any(counts.values()):
            click.echo(f"worker: sent {counts['sent']}, retry {counts['retry']}, dead {counts['dead']}")
        if once:
            return
        time.sleep(interval)


@click.group("audit", help="The hash-chained audit log.")
def audit_group() -> None:
    pass


@audit_group.command("verify")
@with_appcontext
def audit_verify() -> None:
    """Walk the chain and report the first broken link."""
    from app.core.audit import verify_chain
    from app.core.db import db

    report = verify_chain(db.session)
    if report.ok:
        click.echo(f"audit chain intact: {report.checked} entries checked")
        return
    click.echo(f"audit chain broken at entry {report.broken_at}: {report.problem} "
               f"({report.checked} entries before it are intact)", err=True)
    raise SystemExit(1)


def register(app: Flask) -> None:
    app.cli.add_command(db_group)
    app.cli.add_command(worker)
    app.cli.add_command(audit_group)
