"""Sessions are checked on the server: new on login, dead after logout,
password change, reset and suspension, and bounded by idle and absolute
time-outs. A copied cookie stops working when the session it belonged to ends."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.accounts import tokens
from app.accounts.models import User
from app.accounts.services import end_all_sessions
from app.accounts.sessions import LOGIN_AT, SEEN_AT
from app.core.db import utcnow
from config import ProductionConfig
from tests.factories import DEFAULT_PASSWORD, login, make_user
from tests.integration import test_accounts_helpers as helpers
from tests.integration.test_accounts_helpers import cookie_value, fresh_client, other_app

client = helpers.client  # fixture

NEW_PASSWORD = "a brand new quiet passphrase"


def signed_in(client) -> bool:
    return client.get("/account").status_code == 200


def replay(app, cookie: str):
    thief = fresh_client(app)
    thief.set_cookie("agora_session", cookie)
    return thief


def test_login_starts_a_new_session(client, session):
    user = make_user(session)
    with client.session_transaction() as sess:
        sess["planted"] = "by someone else"
    before = cookie_value(client)

    login(client, user)

    assert cookie_value(client) != before
    with client.session_transaction() as sess:
        assert "planted" not in sess
        assert sess["_user_id"] == f"{user.id}:{user.session_generation}"


def test_a_copied_cookie_works_until_logout_and_never_after(app, client, session):
    user = make_user(session)
    login(client, user)
    stolen = cookie_value(client)
    assert signed_in(replay(app, stolen))  # the copy is as good as the original...

    client.post("/logout")

    thief = replay(app, stolen)
    response = thief.get("/account")
    assert response.status_code == 302 and response.location.startswith("/login")  # ...until logout
    assert not signed_in(client)


def test_logout_signs_out_every_device(app, client, session):
    user = make_user(session)
    phone = fresh_client(app)
    login(client, user)
    login(phone, user)

    client.post("/logout")

    assert not signed_in(phone)


def test_password_change_keeps_this_session_and_kills_copies(app, client, session):
    user = make_user(session)
    login(client, user)
    stolen = cookie_value(client)

    client.post("/account/password", data={"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD})

    assert signed_in(client)
    assert not signed_in(replay(app, stolen))


def test_password_reset_kills_every_session(app, client, session):
    user = make_user(session)
    login(client, user)
    stolen = cookie_value(client)
    anonymous = fresh_client(app)

    anonymous.post(f"/password/reset/{tokens.password_reset_token(user)}", data={"new_password": NEW_PASSWORD})

    assert not signed_in(client)
    assert not signed_in(replay(app, stolen))


def test_suspension_refuses_existing_sessions(client, session):
    user = make_user(session)
    login(client, user)
    assert signed_in(client)

    user.status = User.SUSPENDED
    session.flush()

    assert not signed_in(client)


def test_ending_all_sessions_outlasts_a_lifted_suspension(app, client, session):
    admin = make_user(session)
    user = make_user(session)
    login(client, user)
    stolen = cookie_value(client)

    user.status = User.SUSPENDED
    end_all_sessions(session, user, actor=admin, reason="spam")
    user.status = User.ACTIVE
    session.flush()

    assert not signed_in(replay(app, stolen))


def test_a_tampered_cookie_is_ignored(app, client, session):
    login(client, make_user(session))
    value = cookie_value(client)
    tampered = value[:-3] + ("aaa" if not value.endswith("aaa") else "bbb")
    assert not signed_in(replay(app, tampered))


def test_idle_sessions_end(app, client, session):
    login(client, make_user(session))
    with client.session_transaction() as sess:
        sess[SEEN_AT] = (utcnow() - app.config["SESSION_IDLE_TIMEOUT"] - timedelta(minutes=1)).timestamp()

    response = client.get("/account")

    assert response.status_code == 302 and response.location == "/login?next=/account"
    assert "Your session ended. Please sign in again." in client.get(response.location).text
    assert not signed_in(client)


def test_activity_keeps_a_session_alive(app, client, session):
    login(client, make_user(session))
    almost = (utcnow() - app.config["SESSION_IDLE_TIMEOUT"] + timedelta(minutes=5)).timestamp()
    with client.session_transaction() as sess:
        sess[SEEN_AT] = almost

    assert signed_in(client)
    with client.session_transaction() as sess:
        assert sess[SEEN_AT] > almost


def test_sessions_end_after_the_absolute_time_out_even_when_active(app, client, session):
    login(client, make_user(session))
    with client.session_transaction() as sess:
        sess[LOGIN_AT] = (utcnow() - app.config["SESSION_ABSOLUTE_TIMEOUT"] - timedelta(minutes=1)).timestamp()
        sess[SEEN_AT] = utcnow().timestamp()

    assert not signed_in(client)


def test_password_change_does_not_extend_the_absolute_time_out(app, client, session):
    login(client, make_user(session))
    started = (utcnow() - timedelta(hours=1)).timestamp()
    with client.session_transaction() as sess:
        sess[LOGIN_AT] = started

    client.post("/account/password", data={"current_password": DEFAULT_PASSWORD, "new_password": NEW_PASSWORD})

    with client.session_transaction() as sess:
        assert sess[LOGIN_AT] == started


def test_session_cookie_flags_in_production(app, connection, client, session):
    class Production(ProductionConfig):
        SECRET_KEY = "production-like-test-secret"

    user = make_user(session)
    with other_app(connection, Production, WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False) as prod:
        response = login(fresh_client(prod), user)

    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("agora_session=")
    for flag in ("Secure", "HttpOnly", "SameSite=Lax"):
        assert flag in cookie
    assert "remember_token" not in str(response.headers)


@pytest.mark.parametrize("path", ["/login", "/"])
def test_anonymous_pages_do_not_set_a_login_cookie(client, path):
    client.get(path)
    with client.session_transaction() as sess:
        assert "_user_id" not in sess
