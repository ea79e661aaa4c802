"""Database: declarative base with a naming convention, engine and a session
scoped to the application context."""

from __future__ import annotations

import re
import select
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import partial
from typing import Any

from flask import Flask, current_app, g
from sqlalchemy import DateTime, MetaData, create_engine, event, func
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError, SQLAlchemyError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC)


def upsert(dialect: str, table: Any) -> Any:
    """``INSERT`` into ``table`` in ``dialect`` ("postgresql" or "sqlite"), which can say
    ``ON CONFLICT DO UPDATE``: both databases the project runs on speak it."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(table)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite stores naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}

    def __repr__(self) -> str:
        ident = getattr(self, "id", None)
        return f"<{type(self).__name__} {ident}>"


class TimestampMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not the driver, decide when transactions begin, so that
    # SAVEPOINTs nest properly (the pysqlite recipe in SQLAlchemy's docs).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _reading_request() -> bool:
    """A page view (GET, HEAD, OPTIONS) outside ``db.writing()``."""
    from flask import has_request_context, request

    return (has_request_context() and request.method in ("GET", "HEAD", "OPTIONS")
            and not g.get("sqlite_writing"))


def _sqlite_begin(conn: Any) -> None:
    """Writers take SQLite's write lock up front (BEGIN IMMEDIATE), so two
    concurrent writers queue behind busy_timeout instead of one failing when a
    read transaction tries to become a write one. Page views (GET, HEAD) stay
    deferred so readers never wait for each other."""
    conn.exec_driver_sql("BEGIN" if _reading_request() else "BEGIN IMMEDIATE")


# Whether the transaction on a PostgreSQL connection has sent anything but SELECT.
WROTE = "agora_wrote"
# Keys of ``session.info`` under which a module notes work its commit hooks would
# still write (app.core.cache: tokens to renew).
COMMIT_WORK: list[str] = []
_CONNECTION = "agora_connection"  # session.info: the connection of its current transaction


def _note_begin(conn: Any) -> None:
    conn.info[WROTE] = False


# The execution option of a page view's connection that reads without a transaction (``reading_engine``).
READING = "agora_reading"
# A SELECT that takes a lock: it belongs in a transaction, which holds the lock until it ends.
_LOCKING = re.compile(r"\bFOR\s+(?:NO\s+KEY\s+UPDATE|UPDATE|SHARE|KEY\s+SHARE)\b|\bpg_advisory", re.IGNORECASE)


def _note_statement(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    plain_read = statement.lstrip()[:6].upper() == "SELECT" and not _LOCKING.search(statement)
    if not plain_read:
        conn.info[WROTE] = True
        if conn.get_execution_options().get(READING):  # a page view that writes: from here on, in one transaction
            dbapi_connection = conn.connection.dbapi_connection
            if dbapi_connection.autocommit:
                dbapi_connection.autocommit = False


@event.listens_for(Session, "after_begin")
def _note_connection(session: Session, _transaction: Any, connection: Any) -> None:
    session.info[_CONNECTION] = connection


def _only_read(session: Session) -> bool:
    """The session's transaction is open on PostgreSQL, sent nothing but SELECT,
    holds no change waiting to be flushed and no work for its commit hooks."""
    if not session.in_transaction() or session.new or session.dirty or session.deleted:
        return False
    if any(session.info.get(key) for key in COMMIT_WORK):
        return False
    connection = session.info.get(_CONNECTION)  # None: the transaction never reached the database
    return connection is not None and not connection.closed and connection.info.get(WROTE) is False


def _check_pooled_connection(dialect: Any, dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """A connection taken from the pool is pinged only when its socket has something
    to read: a server that shut down or restarted, or a proxy that dropped it, has
    sent a farewell or closed the socket, and an idle connection is otherwise
    silent. So a page pays no round trip for the check (``pool_pre_ping`` would),
    and a broken connection is still replaced before a request uses it."""
    try:
        readable = bool(select.select([dbapi_connection.pgconn.socket], [], [], 0)[0])
    except Exception:  # noqa: BLE001 - the connection is closed: its socket is gone
        readable = True
    if not readable:
        return
    try:
        dialect.do_ping(dbapi_connection)
    except Exception as err:  # the pool discards it and connects again
        raise DisconnectionError("the pooled connection is broken") from err


def make_engine(url: str, echo: bool = False) -> Engine:
    kwargs: dict[str, Any] = {"echo": echo}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False}
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    elif engine.dialect.name == "postgresql":
        event.listen(engine, "checkout", partial(_check_pooled_connection, engine.dialect))
        event.listen(engine, "begin", _note_begin)
        event.listen(engine, "before_cursor_execute", _note_statement)
    return engine


class _State:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sessionmaker: sessionmaker[Session] = sessionmaker(bind=engine, expire_on_commit=False)
        self._reading: tuple[Engine, Engine] | None = None

    def reading_engine(self) -> Engine | None:
        """On PostgreSQL, the engine for page views: the same pool, each statement on its own
        (autocommit) until one writes or locks (``_note_statement``). PostgreSQL reads each
        statement at its own moment within a transaction too (READ COMMITTED), so a page that
        only reads loses nothing, and saves the BEGIN and the COMMIT, two round trips of the
        four or five a kept page makes."""
        if self.engine.dialect.name != "postgresql":
            return None
        if self._reading is None or self._reading[0] is not self.engine:
            reading = self.engine.execution_options(isolation_level="AUTOCOMMIT", **{READING: True})
            self._reading = (self.engine, reading)
        return self._reading[1]


class Database:
    """Engine and session factory per application; one session per app context.

    ``db.engine``, ``db.sessionmaker`` and ``db.session`` refer to the current
    application's, so several apps (tests) can live in one process.
    """

    def init_app(self, app: Flask) -> None:
        engine = make_engine(app.config["DATABASE_URL"], app.config["DATABASE_ECHO"])
        app.extensions["agora_db"] = _State(engine)
        app.teardown_appcontext(self._close_session)

    @staticmethod
    def state(app: Flask | None = None) -> _State:
        return (app or current_app).extensions["agora_db"]

    @property
    def engine(self) -> Engine:
        return self.state().engine

    @engine.setter
    def engine(self, value: Engine) -> None:
        self.state().engine = value

    @property
    def sessionmaker(self) -> sessionmaker[Session]:
        return self.state().sessionmaker

    @property
    def session(self) -> Session:
        if "db_session" not in g:
            g.db_session = self._new_session()
        return g.db_session

    def _new_session(self) -> Session:
        """A page view's session reads without a transaction on PostgreSQL (``reading_engine``),
        unless the session factory is bound to something else than the engine (a test's
        connection)."""
        state = self.state()
        maker = state.sessionmaker
        if _reading_request() and maker.kw.get("bind") is state.engine:
            reading = state.reading_engine()
            if reading is not None:
                return maker(bind=reading)
        return maker()

    def _close_session(self, exc: BaseException | None) -> None:
        """A request's transaction that only read ends with COMMIT on PostgreSQL:
        psycopg forgets the statements it prepared on the connection at every
        ROLLBACK, and a prepared statement is not planned again on each page.
        Anything else is rolled back, as before."""
        session = g.pop("db_session", None)
        if session is None:
            return
        if exc is None and _only_read(session):
            try:
                session.commit()
            except SQLAlchemyError:  # the connection broke: closing below rolls back and discards it
                pass
        session.close()

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Inside a page view (a reading request), the transactions begun here write:
        on SQLite they take the write lock up front (``BEGIN IMMEDIATE``) and so
        wait their turn instead of failing when another writer holds it."""
        g.sqlite_writing = True
        try:
            yield
        finally:
            g.pop("sqlite_writing", None)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name


db = Database()


