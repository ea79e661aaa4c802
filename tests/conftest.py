"""Test set-up: one app and one migrated database per run, a rolled-back
transaction per test (SQLAlchemy 2's "join a session into an external
transaction" recipe), and a real SMTP server on loopback.

Database: TEST_DATABASE_URL (e.g. postgresql+psycopg://postgres@127.0.0.1/test)
or, by default, a SQLite file in a temporary directory.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import event, text

from app import create_app
from app.core.cache import CONTENT_CHANGED, page_cache
from app.core.db import db, make_engine
from app.moderation import tally
from config import TestingConfig

# Hostile-input corpora copied into the repository, with their provenance and
# licences in tests/data/corpora/README.txt.
CORPORA = Path(__file__).resolve().parent / "data" / "corpora"
AXE_LOG = Path(__file__).resolve().parent / "browser" / "artifacts" / "axe-checked.txt"


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # the main process, not an xdist worker
        AXE_LOG.unlink(missing_ok=True)


def pytest_terminal_summary(terminalreporter) -> None:
    """The pages axe-core checked in the browser tests (from every worker)."""
    if not AXE_LOG.exists():
        return
    pages = dict.fromkeys(line for line in AXE_LOG.read_text(encoding="utf-8").splitlines() if line)
    terminalreporter.write_line(f"axe-checked pages ({len(pages)}, zero violations at WCAG 2.2 A/AA):")
    for entry in pages:
        terminalreporter.write_line(f"  {entry}")


def _database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker and url.startswith("postgresql"):
        # Each pytest-xdist worker gets a database of its own beside the given one.
        base, _, name = url.rpartition("/")
        url = f"{base}/{name}_{worker}"
        admin = make_engine(f"{base}/postgres").execution_options(isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"),
                                  {"n": f"{name}_{worker}"}).first()
            if not exists:
                conn.execute(text(f'CREATE DATABASE "{name}_{worker}"'))
        admin.dispose()
    return url


def _reset_database(url: str) -> None:
    if url.startswith("postgresql"):
        engine = make_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _database_url(tmp_path_factory)


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory):
    _reset_database(database_url)
    app = create_app(
        TestingConfig,
        DATABASE_URL=database_url,
        MAIL_DIR=tmp_path_factory.mktemp("mail"),
        UPLOAD_DIR=tmp_path_factory.mktemp("uploads"),
        OPEN_DATA_DIR=tmp_path_factory.mktemp("opendata"),
    )
    with app.app_context():
        from alembic import command

        from app.core.cli import alembic_config
        from app.geography.services import load_geography

        command.upgrade(alembic_config(), "head")
        load_geography(db.session, Path(app.config["DATA_DIR"]))
        db.session.commit()
        db.session.close()
    yield app
    db.state(app).engine.dispose()


@pytest.fixture()
def connection(app):
    """One transaction per test, rolled back at the end."""
    state = db.state(app)
    page_cache(app).clear()  # windows kept for visitors must not outlive the test that rendered them
    conn = state.engine.connect()
    outer = conn.begin()
    state.sessionmaker.configure(bind=conn, join_transaction_mode="create_savepoint")
    try:
        yield conn
    finally:
        state.sessionmaker.configure(bind=state.engine, join_transaction_mode="conditional_savepoint")
        if outer.is_active:
            outer.rollback()
        conn.close()


@pytest.fixture()
def session(app, connection):
    """The app-context session, inside the test's transaction.

    Tests change data with a flush and no commit; in production every request
    commits, which renews the content token (app/core/cache.py). So that pages
    kept for visitors behave as in production, a flush of tracked content in
    the test's own session forgets them, and the review queue's kept counts
    (app/moderation/tally.py) take the flush's differences at once."""
    with app.app_context():
        test_session = db.session

        @event.listens_for(test_session, "after_flush")
        def _forget_kept_pages(flushed, _context):
            if flushed.info.get(CONTENT_CHANGED):
                page_cache(app).clear()

        @event.listens_for(test_session, "after_flush_postexec")
        def _count_queue_as_committed(flushed, _context):
            # The queue's kept counts take a transaction's differences when it commits.
            tally.write_changes(flushed)

        yield test_session


class IsolatedClient(FlaskClient):
    """Each request runs in a fresh application context, as in production:
    the test's own app context (and its ``g``: session, signed-in user) is
    never shared with the view."""

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        # What the view committed is what the test reads next, not its cached copy.
        if has_app_context() and "db_session" in g:
            g.db_session.expire_all()
        return response


@pytest.fixture()
def client(app, connection):
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture()
def query_counter(app):
    """Counts SQL statements: ``with query_counter() as counter: ...; counter.count``."""

    @dataclass
    class Counter:
        statements: list[str] = field(default_factory=list)

        @property
        def count(self) -> int:
            return len(self.statements)

    class _Context:
        def __enter__(self) -> Counter:
            self.counter = Counter()
            event.listen(db.state(app).engine, "before_cursor_execute", self._hook)
            return self.counter

        def _hook(self, conn, cursor, statement, *args):
            if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
                self.counter.statements.append(statement)

        def __exit__(self, *exc):
            event.remove(db.state(app).engine, "before_cursor_execute", self._hook)

    return _Context


@contextmanager
def own_database(directory: Path, prefix: str) -> Iterator[str]:
    """A database of its own, for tests whose requests really commit: a SQLite
    file in ``directory``, or a fresh PostgreSQL database beside
    TEST_DATABASE_URL, dropped afterwards."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base or not base.startswith("postgresql"):
        yield f"sqlite:///{directory / f'{prefix}.sqlite3'}"
        return
    server = base.rsplit("/", 1)[0]
    name = f"agora_{prefix}_{uuid.uuid4().hex[:10]}"
    admin = make_engine(f"{server}/postgres").execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{server}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def migrated_app(url: str, tmp_path_factory: pytest.TempPathFactory, **overrides):
    """The real app on ``url``, migrated to head with the geography loaded and committed."""
    from alembic import command

    from app.core.cli import alembic_config
    from app.geography.services import load_geography

    app = create_app(TestingConfig, DATABASE_URL=url, MAIL_DIR=tmp_path_factory.mktemp("mail"),
                     UPLOAD_DIR=tmp_path_factory.mktemp("uploads"), **overrides)
    with app.app_context():
        command.upgrade(alembic_config(), "head")
        load_geography(db.session, Path(app.config["DATA_DIR"]))
        db.session.commit()
    return app


@pytest.fixture()
def scratch_url(tmp_path):
    """A database of its own: a SQLite file, or a fresh PostgreSQL database."""
    with own_database(tmp_path, "mig") as url:
        yield url



# --- e-mail ------------------------------------------------------------------

class MailCatcher:
    """Collects messages received by the loopback SMTP server."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse: set[str] = set()
        self._lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        msg = message_from_bytes(envelope.content, policy=policy.default)
        with self._lock:
            self.messages.append(msg)
        return "250 Message accepted for delivery"

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.messages if address in m["To"]]

    @staticmethod
    def text_of(message: EmailMessage) -> str:
        return message.get_body(("plain",)).get_content()

    @classmethod
    def links_in(cls, message: EmailMessage) -> list[str]:
        return re.findall(r"https?://\S+", cls.text_of(message))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[tuple[MailCatcher, int]]:
    from aiosmtpd.controller import Controller

    catcher = MailCatcher()
    port = _free_port()
    controller = Controller(catcher, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield catcher, port
    finally:
        controller.stop()


@pytest.fixture()
def mail(app, smtp_server):
    """Point the app at the loopback SMTP server for this test."""
    catcher, port = smtp_server
    catcher.clear()
    catcher.refuse.clear()
    saved = {k: app.config[k] for k in ("MAIL_SERVER", "MAIL_PORT")}
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port)
    try:
        yield catcher
    finally:
        app.config.update(saved)
