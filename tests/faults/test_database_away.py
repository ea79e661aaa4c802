"""While the database is away every page answers 503 with Retry-After and
the app's own error page, for visitors and signed-in users alike, without a
query; when it comes back the same process serves again and the signed-in
user is still signed in."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import event, make_url

from app import create_app
from app.accounts.sessions import LOGIN_AT, SEEN_AT
from app.core.cli import alembic_config
from app.core.db import db
from config import TestingConfig
from tests.factories import login, make_user
from tests.faults.proxy import TcpProxy


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once the socket is closed


def unreachable_urls(tmp_path) -> dict[str, str]:
    return {
        "postgresql": f"postgresql+psycopg://nobody@127.0.0.1:{_closed_port()}/gone",
        "sqlite": f"sqlite:///{tmp_path / 'no-such-directory' / 'agora.sqlite3'}",
    }


def assert_unavailable_page(response) -> None:
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0
    page = response.get_data(as_text=True)
    assert "The service is briefly unavailable" in page
    assert "Agora 1540" in page  # the app's own layout, not a server's bare message


@pytest.mark.parametrize("backend", ["postgresql", "sqlite"])
@pytest.mark.parametrize("path", ["/", "/consultations", "/account"])
def test_unreachable_database_answers_503_to_visitors_and_signed_in_users(tmp_path, backend, path):
    app = create_app(TestingConfig, DATABASE_URL=unreachable_urls(tmp_path)[backend])
    attempts: list[int] = []
    event.listen(db.state(app).engine, "do_connect", lambda *args: attempts.append(1))

    visitor = app.test_client()
    response = visitor.get(path)
    if path == "/account":  # a page for signed-in users sends visitors to sign in first
        assert response.status_code == 302
    else:
        assert_unavailable_page(response)

    member = app.test_client()
    now = datetime.now(UTC).timestamp()
    with member.session_transaction() as cookie:  # a signed-in user's cookie, as a browser keeps it
        cookie["_user_id"] = "1:0"
        cookie[LOGIN_AT] = now
        cookie[SEEN_AT] = now
    attempts.clear()
    response = member.get(path)
    assert_unavailable_page(response)
    assert "Sign in" in response.get_data(as_text=True)  # rendered for nobody in particular
    assert len(attempts) == 1  # the request's own attempt; the error page tries nothing


def test_api_answers_503_json_with_retry_after(tmp_path):
    app = create_app(TestingConfig, DATABASE_URL=unreachable_urls(tmp_path)["postgresql"])
    response = app.test_client().get("/api/v1/consultations")
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert response.json["status"] == 503


@pytest.fixture()
def proxied_app(scratch_url):
    if not scratch_url.startswith("postgresql"):
        pytest.skip("a database server that goes away and comes back needs PostgreSQL")
    target = make_url(scratch_url)
    proxy = TcpProxy(target.host or "127.0.0.1", target.port or 5432).up()
    url = target.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    app = create_app(TestingConfig, DATABASE_URL=url)
    with app.app_context():
        command.upgrade(alembic_config(), "head")
        user = make_user(db.session, display_name="Amina Diallo")
        email = user.email
        db.session.commit()
    try:
        yield app, proxy, email
    finally:
        proxy.down()
        db.state(app).engine.dispose()


def test_database_going_away_and_back_needs_no_restart(proxied_app):
    app, proxy, email = proxied_app
    member, visitor = app.test_client(), app.test_client()

    class _User:  # what tests.factories.login needs
        pass

    user = _User()
    user.email = email
    assert login(member, user).status_code == 302
    assert "Amina Diallo" in member.get("/account").get_data(as_text=True)

    proxy.down()
    for client, path in ((member, "/account"), (member, "/"), (visitor, "/"), (visitor, "/consultations")):
        assert_unavailable_page(client.get(path))

    proxy.up()
    response = member.get("/account")
    assert response.status_code == 200
    assert "Amina Diallo" in response.get_data(as_text=True)  # still signed in
    assert visitor.get("/").status_code == 200
