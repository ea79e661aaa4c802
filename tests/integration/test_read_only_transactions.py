"""How a request's transaction ends and its connection is checked, on the app's
real connection pool.

A request that only read ends its transaction with COMMIT on PostgreSQL, so
the statements psycopg prepared on the connection survive to the next page
(psycopg forgets them at every ROLLBACK, and PostgreSQL would plan each
statement again on every page). A request that wrote anything it did not
commit itself is still rolled back: nothing it left behind is kept. And a
connection the server ended while it waited in the pool is replaced before a
page uses it."""

from __future__ import annotations

import pytest
from flask import abort
from sqlalchemy import func, select, text, update

from app.accounts.models import User
from app.core.authz import public
from app.core.db import db, make_engine
from tests.conftest import migrated_app, own_database
from tests.factories import make_user


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    with own_database(tmp_path_factory.mktemp("readonly"), "readonly") as url:
        app = migrated_app(url, tmp_path_factory, PAGE_CACHE="off")

        @app.get("/_probe/read")
        @public
        def _read():
            return str(db.session.scalar(select(func.count()).select_from(User)))

        @app.get("/_probe/add")
        @public
        def _add():
            make_user(db.session, email="left-behind@example.org")  # flushed, never committed
            return "added"

        @app.get("/_probe/add-unflushed")
        @public
        def _add_unflushed():
            db.session.add(User(email="unflushed@example.org", display_name="Unflushed", password_hash="x"))
            return "added"

        @app.get("/_probe/update")
        @public
        def _update():
            db.session.execute(update(User).where(User.email == "kept@example.org").values(timezone="Asia/Tokyo"))
            return "updated"

        @app.get("/_probe/rename-then-fail")
        @public
        def _rename_then_fail():
            user = db.session.scalar(select(User).where(User.email == "kept@example.org"))
            user.display_name = "Renamed in a failed request"
            abort(400)

        with app.app_context():
            make_user(db.session, email="kept@example.org", display_name="Kept Name")
            db.session.commit()
            db.session.close()
        yield app
        db.state(app).engine.dispose()


def _names(app) -> dict[str, str]:
    """Each user's e-mail address with their stored name and time zone."""
    with app.app_context():
        rows = db.session.execute(select(User.email, User._display_name + " " + User.timezone)).all()
        db.session.close()
    return dict(rows)


@pytest.mark.parametrize(("path", "status"), [("/_probe/add", 200), ("/_probe/add-unflushed", 200),
                                            ("/_probe/update", 200), ("/_probe/rename-then-fail", 400)])
def test_what_a_request_did_not_commit_is_not_kept(live, path, status):
    client = live.test_client()
    assert client.get(path).status_code == status
    names = _names(live)
    assert "left-behind@example.org" not in names
    assert "unflushed@example.org" not in names
    assert names["kept@example.org"] == "Kept Name UTC"


def test_reading_requests_keep_their_prepared_statements(live):
    if db.state(live).engine.dialect.name != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    client = live.test_client()
    for _ in range(8):  # psycopg prepares a statement at its fifth run on a connection
        assert client.get("/_probe/read").status_code == 200
    engine = db.state(live).engine
    assert engine.pool.checkedout() == 0
    with engine.connect() as conn:  # the pool's one connection, the one the requests used
        prepared = conn.execute(text("SELECT statement FROM pg_prepared_statements")).scalars().all()
    assert any("FROM \"user\"" in statement for statement in prepared)


def test_a_connection_the_server_closed_is_replaced_before_a_page_uses_it(live):
    """No round trip checks a pooled connection (``pool_pre_ping``): its socket does. A
    connection the server ended while it waited in the pool is replaced, and the page
    after it answers as usual."""
    engine = db.state(live).engine
    if engine.dialect.name != "postgresql":
        pytest.skip("a PostgreSQL server ends the connection")
    client = live.test_client()
    assert client.get("/_probe/read").status_code == 200
    with engine.connect() as conn:  # the pool's connection, the one the page used
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
    with make_engine(str(engine.url.set(database="postgres"))).connect() as admin:
        assert admin.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid}).scalar_one()
    response = client.get("/_probe/read")
    assert response.status_code == 200
    with engine.connect() as conn:
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != pid
