"""Backups of the database and the uploads, with a manifest; and restore.

A backup is a directory::

    agora-backup-<UTC time>/
        manifest.json      created time, dialect, Alembic revision, row counts
                           per table, the audit log's last entry, sha256 of files
        database.pgdump    PostgreSQL: pg_dump's custom format
        database.sqlite3   SQLite: a copy made with SQLite's online backup API
        uploads/           the attachments directory as it was

The database copy is one consistent snapshot taken while the app keeps
writing: on PostgreSQL the counts are read in a REPEATABLE READ transaction
whose snapshot pg_dump is given (``--snapshot``); on SQLite the copy is made in
one step and counted afterwards. Every table the database holds is carried and
counted, whatever the models say, so tables added by later migrations need no
change here. Uploads are copied after the snapshot: an attachment row in the
copy always has its file (files are written before their row commits).

Restore checks every file's sha256 first, refuses a backup whose revision is
not the code's head unless told to migrate it, replaces the database and the
uploads, checks the row counts against the manifest, migrates when asked, and
walks the audit chain. The app must be stopped while a restore runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, func, inspect, make_url, select, table, text
from sqlalchemy.engine import URL, Connection

MANIFEST = "manifest.json"
UPLOADS = "uploads"
FORMAT = 1


class BackupError(RuntimeError):
    """The backup or restore cannot go on; the message says why."""


@dataclass
class RestoreReport:
    path: Path
    revision: str
    migrated_to: str | None
    tables: int
    rows: int
    files: int
    audit_entries: int


# --- helpers -------------------------------------------------------------------------------

def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise BackupError(f"{name} is not installed on this machine (Debian: apt-get install postgresql-client)")
    return found


def _libpq(url: URL) -> tuple[str, dict[str, str]]:
    """A libpq connection URI without the password, and the environment carrying it."""
    env = {**os.environ}
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False), env


def _run(cmd: list[str], env: dict[str, str]) -> None:
    result = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{Path(cmd[0]).name} failed ({result.returncode}): {result.stderr.strip()[:2000]}")


def table_counts(conn: Connection) -> dict[str, int]:
    names = sorted(inspect(conn).get_table_names())
    return {name: conn.execute(select(func.count()).select_from(table(name))).scalar_one() for name in names}


def _revision(conn: Connection) -> str | None:
    heads = sorted(MigrationContext.configure(conn).get_current_heads())
    return ", ".join(heads) or None


def _audit_head(conn: Connection) -> dict[str, Any] | None:
    if "audit_entry" not in inspect(conn).get_table_names():
        return None
    row = conn.execute(text("SELECT id, hash FROM audit_entry ORDER BY id DESC LIMIT 1")).first()
    return {"id": row[0], "hash": row[1]} if row else None


def _copy_uploads(source: Path, target: Path) -> dict[str, str]:
    target.mkdir(parents=True)
    hashes: dict[str, str] = {}
    if not source.is_dir():
        return hashes
    for path in sorted(source.rglob("*")):
        if not path.is_file() or path.name.startswith("."):
            continue  # hidden files are uploads still being written: they have no row yet
        relative = path.relative_to(source)
        copy = target / relative
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, copy)
        hashes[f"{UPLOADS}/{relative.as_posix()}"] = sha256_of(copy)
    return hashes


# --- backup --------------------------------------------------------------------------------

def create_backup(database_url: str, upload_dir: Path, destination: Path) -> Path:
    """Write a backup directory under ``destination``; return its path."""
    created = datetime.now(UTC)
    target = destination / f"agora-backup-{created:%Y%m%dT%H%M%S%fZ}"
    target.mkdir(parents=True)
    url = make_url(database_url)
    engine = create_engine(url)
    try:
        if engine.dialect.name == "postgresql":
            dump_name, snapshot = "database.pgdump", _dump_postgresql(engine, url, target / "database.pgdump")
        elif engine.dialect.name == "sqlite":
            dump_name, snapshot = "database.sqlite3", _copy_sqlite(url, target / "database.sqlite3")
        else:
            raise BackupError(f"no backup method for {engine.dialect.name}")
    finally:
        engine.dispose()
    files = {dump_name: sha256_of(target / dump_name)}
    files.update(_copy_uploads(upload_dir, target / UPLOADS))
    manifest = {
        "format": FORMAT,
        "created_at": created.isoformat(),
        "dialect": engine.dialect.name,
        "database": dump_name,
        "alembic_revision": snapshot["revision"],
        "tables": snapshot["tables"],
        "audit_head": snapshot["audit_head"],
        "files": files,
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return target


def _dump_postgresql(engine: Any, url: URL, path: Path) -> dict[str, Any]:
    pg_dump = _tool("pg_dump")
    uri, env = _libpq(url)
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            # The first statement fixes the transaction's snapshot; pg_dump reads the same one.
            snapshot_id = conn.execute(text("SELECT pg_export_snapshot()")).scalar_one()
            facts = {"revision": _revision(conn), "tables": table_counts(conn), "audit_head": _audit_head(conn)}
            _run([pg_dump, "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot_id}",
                  f"--file={path}", f"--dbname={uri}"], env)
    return facts


def _sqlite_path(url: URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(url.database)


def _copy_sqlite(url: URL, path: Path) -> dict[str, Any]:
    source = sqlite3.connect(_sqlite_path(url), timeout=30)
    copy = sqlite3.connect(path)
    try:
        source.backup(copy)  # all pages in one step: one consistent snapshot
    finally:
        copy.close()
        source.close()
    engine = create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as conn:
            return {"revision": _revision(conn), "tables": table_counts(conn), "audit_head": _audit_head(conn)}
    finally:
        engine.dispose()


# --- restore -------------------------------------------------------------------------------

def read_manifest(path: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((path / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{path} has no readable {MANIFEST}: {exc}") from exc
    if manifest.get("format") != FORMAT:
        raise BackupError(f"unknown backup format {manifest.get('format')!r}")
    return manifest


def check_files(path: Path, manifest: dict[str, Any]) -> None:
    for name, expected in manifest["files"].items():
        file = path / name
        if not file.is_file():
            raise BackupError(f"the backup lacks {name}")
        if sha256_of(file) != expected:
            raise BackupError(f"{name} does not match its sha256 in the manifest: the backup is damaged")
    listed = set(manifest["files"])
    extra = [p for p in (path / UPLOADS).rglob("*") if p.is_file()
             and p.relative_to(path).as_posix() not in listed] if (path / UPLOADS).is_dir() else []
    if extra:
        raise BackupError(f"the backup holds files its manifest does not list: {extra[0]}")


def check_revision(manifest: dict[str, Any], scripts: ScriptDirectory, *, migrate: bool) -> str | None:
    """Return the revision to migrate to after the restore (None: none needed)."""
    heads = ", ".join(sorted(scripts.get_heads()))
    found = manifest["alembic_revision"]
    if found == heads:
        return None
    if not migrate:
        raise BackupError(f"the backup is at revision {found}, the code at {heads}: restore it with --migrate "
                          f"to upgrade it after the restore, or with the code of its revision")
    for revision in (found or "").split(", "):
        try:
            known = scripts.get_revision(revision) is not None if revision else True
        except Exception:  # noqa: BLE001 - alembic raises for revisions it does not know
            known = False
        if not known:
            raise BackupError(f"the backup's revision {revision} is unknown to this code (newer?); "
                              f"restore it with the code that wrote it")
    return heads


def restore_backup(path: Path, database_url: str, upload_dir: Path, scripts: ScriptDirectory, *,
                   migrate: bool, upgrade: Any) -> RestoreReport:
    """Replace the database and the uploads with the backup at ``path``.

    ``upgrade()`` migrates the restored database to the code's head when asked;
    the chain is verified by the caller (it needs the app)."""
    manifest = read_manifest(path)
    check_files(path, manifest)
    target_revision = check_revision(manifest, scripts, migrate=migrate)
    url = make_url(database_url)
    dialect = create_engine(url).dialect.name
    if dialect != manifest["dialect"]:
        raise BackupError(f"the backup is of a {manifest['dialect']} database, the app uses {dialect}")

    if dialect == "postgresql":
        _restore_postgresql(url, path / manifest["database"])
    else:
        _restore_sqlite(url, path / manifest["database"])
    _restore_uploads(path / UPLOADS, upload_dir)

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            counts = table_counts(conn)
            head = _audit_head(conn)
    finally:
        engine.dispose()
    if counts != manifest["tables"]:
        differing = sorted(k for k in set(counts) | set(manifest["tables"])
                           if counts.get(k) != manifest["tables"].get(k))
        raise BackupError(f"after the restore these tables differ from the manifest: {', '.join(differing)}")
    if head != manifest["audit_head"]:
        raise BackupError("after the restore the audit log does not end where the manifest says")
    if target_revision is not None:
        upgrade()
    return RestoreReport(path=path, revision=manifest["alembic_revision"], migrated_to=target_revision,
                         tables=len(counts), rows=sum(counts.values()),
                         files=sum(1 for name in manifest["files"] if name.startswith(f"{UPLOADS}/")),
                         audit_entries=counts.get("audit_entry", 0))


def _restore_postgresql(url: URL, dump: Path) -> None:
    pg_restore = _tool("pg_restore")
    engine = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()
    uri, env = _libpq(url)
    _run([pg_restore, "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
          f"--dbname={uri}", str(dump)], env)


def _restore_sqlite(url: URL, copy: Path) -> None:
    target = _sqlite_path(url)
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(copy)
    destination = sqlite3.connect(target, timeout=30)
    try:
        source.backup(destination)  # replaces every page of the target, WAL included
    finally:
        destination.close()
        source.close()


def _restore_uploads(source: Path, target: Path) -> None:
    """Swap the uploads directory for the backup's copy (a rename, not a merge)."""
    staging = target.with_name(f".{target.name}.restoring")
    shutil.rmtree(staging, ignore_errors=True)
    if source.is_dir():
        shutil.copytree(source, staging)
    else:
        staging.mkdir(parents=True)
    old = target.with_name(f".{target.name}.replaced")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    staging.rename(target)
    shutil.rmtree(old, ignore_errors=True)
