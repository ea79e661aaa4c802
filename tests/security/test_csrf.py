"""CSRF: with protection on (as outside tests), a POST without the form's
token is refused with a clear 400 page and changes nothing."""

from __future__ import annotations

import re

import pytest

from tests.factories import DEFAULT_PASSWORD, make_user
from tests.integration.test_accounts_helpers import fresh_client, other_app, user_by_email

TOKEN = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


@pytest.fixture()
def csrf_app(app, connection):
    with other_app(connection, WTF_CSRF_ENABLED=True) as protected:
        yield protected


def token_from(client, path: str) -> str:
    return TOKEN.search(client.get(path).text).group(1)


def signed_in_client(csrf_app, user):
    client = fresh_client(csrf_app)
    response = client.post("/login", data={"email": user.email, "password": DEFAULT_PASSWORD,
                                           "csrf_token": token_from(client, "/login")})
    assert response.status_code == 302
    return client


def test_login_without_a_token_is_refused_with_a_clear_page(csrf_app, session):
    user = make_user(session)
    client = fresh_client(csrf_app)

    response = client.post("/login", data={"email": user.email, "password": DEFAULT_PASSWORD})

    assert response.status_code == 400
    assert "The form expired or was sent from another site." in response.text
    assert client.get("/account").status_code == 302


def test_the_token_from_the_page_is_accepted(csrf_app, session):
    user = make_user(session)
    client = signed_in_client(csrf_app, user)
    assert client.get("/account").status_code == 200


def test_a_token_from_another_session_is_refused(csrf_app, session):
    user = make_user(session)
    other = fresh_client(csrf_app)
    foreign_token = token_from(other, "/login")
    client = fresh_client(csrf_app)
    client.get("/login")

    response = client.post("/login", data={"email": user.email, "password": DEFAULT_PASSWORD,
                                           "csrf_token": foreign_token})

    assert response.status_code == 400


def test_registration_without_a_token_creates_nothing(csrf_app, session):
    email = "csrf-victim@example.org"
    client = fresh_client(csrf_app)
    response = client.post("/register", data={"email": email, "display_name": "Victim",
                                              "password": "a long and quiet passphrase"})
    assert response.status_code == 400
    assert user_by_email(session, email) is None


@pytest.mark.parametrize("path, data", [
    ("/logout", {}),
    ("/account", {"display_name": "Renamed by another site", "preferred_language": "", "timezone": "UTC"}),
    ("/account/password", {"current_password": DEFAULT_PASSWORD, "new_password": "chosen by another site"}),
    ("/account/verify-email/resend", {}),
])
def test_signed_in_actions_need_the_token(csrf_app, session, path, data):
    user = make_user(session, display_name="Original Name", verified=False)
    client = signed_in_client(csrf_app, user)

    response = client.post(path, data=data)

    assert response.status_code == 400
    assert "The form expired or was sent from another site." in response.text
    assert client.get("/account").status_code == 200  # still signed in
    fresh = user_by_email(session, user.email)
    assert fresh.display_name == "Original Name"
    assert fresh.session_generation == 1


def test_every_account_form_carries_a_token(csrf_app, session):
    client = signed_in_client(csrf_app, make_user(session, verified=False))
    for path in ("/account", "/account/password", "/account/verify-email"):
        forms = re.findall(r"<form[^>]*method=\"post\"[^>]*>(.*?)</form>", client.get(path).text, re.S)
        assert forms, path
        for form in forms:
            assert TOKEN.search(form), (path, form[:200])
