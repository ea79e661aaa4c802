"""Core commands: ``flask db ...``, ``flask worker``, ``flask audit verify``, ``flask backup`` / ``restore``."""

from __future__ import annotations

import contextlib
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
    before = _database_revision()
    command.upgrade(alembic_config(), revision)
    after = _database_revision()
    if before == after:
        click.echo(f"database at {after}: up to date")
    else:
        click.echo(f"database upgraded from {before or 'empty'} to {after}")


def _database_revision() -> str | None:
    from alembic.migration import MigrationContext

    from app.core.db import db

    with db.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


# "-1" looks like an option to click; accepting unknown options as the argument
# lets Alembic's relative spelling (-1, -2, base, <rev>-1) through unchanged.
@db_group.command("downgrade", context_settings={"ignore_unknown_options": True})
@click.argument("revision", default="-1")
@with_appcontext
def db_downgrade(revision: str) -> None:
    """Downgrade the database to REVISION (default: one step; -2 for two, or a revision id)."""
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
@click.option("--max-backoff", default=60.0, show_default=True,
              help="Longest wait between attempts while the database is unavailable.")
@with_appcontext
def worker(once: bool, interval: float, max_backoff: float) -> None:
    """Send outbox e-mails (and, later, run scheduled jobs).

    The worker outlives the database going away: it backs off, reconnects and
    goes on. Run it under a supervisor all the same (README: systemd unit)."""
    from app.core.db import db
    from app.core.jobs import run_jobs
    from app.core.mail import deliver_due
    from app.core.worker import Backoff, Worker

    def deliver() -> dict[str, int]:
        session = db.sessionmaker()
        try:
            counts = deliver_due(session)
        finally:
            with contextlib.suppress(Exception):  # a dead connection; the engine is disposed of next
                session.close()
        counts["jobs"] = run_jobs(db.sessionmaker)  # app/core/jobs.py: data exports and the like
        return counts

    if once:
        counts = deliver()
        click.echo(f"worker: sent {counts['sent']}, retry {counts['retry']}, dead {counts['dead']}, "
                   f"jobs {counts['jobs']}")
        return
    click.echo(f"worker: delivering outbox messages every {interval}s")
    loop = Worker(deliver, engine=db.engine, interval=interval, backoff=Backoff(cap=max_backoff),
                  echo=lambda line: click.echo(line, err=True))
    loop.install_signal_handlers()
    loop.run()
    click.echo("worker: stopped")


@click.group("audit", help="The hash-chained audit log.")
def audit_group() -> None:
    pass


@audit_group.command("verify")
@click.option("--expect-head", "expect_head", metavar="ID:HASH", default=None,
              help="A head printed by an earlier run and kept elsewhere: the chain must still hold it.")
@with_appcontext
def audit_verify(expect_head: str | None) -> None:
    """Walk the chain, check it ends at the recorded head, and print the head."""
    from app.core.audit import parse_head, verify_chain
    from app.core.db import db

    try:
        expected = parse_head(expect_head) if expect_head is not None else None
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--expect-head") from exc
    report = verify_chain(db.session, expected_head=expected)
    if report.ok:
        click.echo(f"audit chain intact: {report.checked} entries checked")
        if expected is not None:
            click.echo(f"recorded head {expected[0]} found with the same hash")
        click.echo(f"audit head: {report.head or 'none (empty log)'}")
        click.echo("keep this head outside the database; check it later with --expect-head")
        return
    click.echo(f"audit chain broken at entry {report.broken_at}: {report.problem} "
               f"({report.checked} entries before it are intact)", err=True)
    if report.head:
        click.echo(f"audit chain as found ends at: {report.head}", err=True)
    raise SystemExit(1)


@click.command("backup")
@click.option("--output-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Where to write the backup directory (default: instance/backups).")
@with_appcontext
def backup(output_dir: Path | None) -> None:
    """Back up the database (one consistent snapshot) and the uploads, with a manifest."""
    from app.core.backup import BackupError, create_backup, read_manifest

    destination = output_dir or Path(current_app.instance_path) / "backups"
    try:
        path = create_backup(current_app.config["DATABASE_URL"], Path(current_app.config["UPLOAD_DIR"]),
                             destination)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    manifest = read_manifest(path)
    click.echo(f"backup written to {path}")
    click.echo(f"revision {manifest['alembic_revision']}, {len(manifest['tables'])} tables, "
               f"{sum(manifest['tables'].values())} rows, {len(manifest['files']) - 1} uploaded files")


@click.command("restore")
@click.argument("path", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--migrate", is_flag=True,
              help="Accept a backup at an older revision and upgrade it to the code's head after the restore.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@with_appcontext
def restore(path: Path, migrate: bool, yes: bool) -> None:
    """Replace the database and the uploads with the backup at PATH (stop the app first)."""
    from alembic.script import ScriptDirectory

    from app.core.audit import verify_chain
    from app.core.backup import BackupError, restore_backup
    from app.core.db import db

    if not yes:
        click.confirm(f"Replace the database and the uploads with {path}?", abort=True)
    db.engine.dispose()  # no pooled connection may hold the old database open
    try:
        report = restore_backup(path, current_app.config["DATABASE_URL"], Path(current_app.config["UPLOAD_DIR"]),
                                ScriptDirectory.from_config(alembic_config()), migrate=migrate,
                                upgrade=lambda: command.upgrade(alembic_config(), "head"))
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"restored {report.rows} rows in {report.tables} tables and {report.files} uploaded files "
               f"(revision {report.revision}" + (f", migrated to {report.migrated_to})" if report.migrated_to
                                                 else ")"))
    session = db.sessionmaker()
    try:
        chain = verify_chain(session)
    finally:
        session.close()
    if not chain.ok:
        raise click.ClickException(f"the restored audit chain is broken at entry {chain.broken_at}: {chain.problem}")
    click.echo(f"audit chain intact: {chain.checked} entries checked")


def register(app: Flask) -> None:
    app.cli.add_command(db_group)
    app.cli.add_command(worker)
    app.cli.add_command(audit_group)
    app.cli.add_command(backup)
    app.cli.add_command(restore)
