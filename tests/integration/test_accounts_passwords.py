"""Forgotten password (reset by e-mail) and password change."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.accounts import tokens
from app.accounts.passwords import verify_password
from app.core.db import utcnow
from tests.factories import DEFAULT_PASSWORD, login, make_user
from tests.integration import test_accounts_helpers as helpers
from tests.integration.test_accounts_helpers import audit_actions, fresh_client, link_in, outbox, path_of, user_by_email

client = helpers.client  # fixture
email = helpers.email  # fixture

NEW_PASSWORD = "a brand new quiet passphrase"


def reset_link_for(session, user) -> str:
    [message] = [m for m in outbox(session, to=user.email) if "/password/reset/" in m.body_text]
    return link_in(message, "/password/reset/")


# --- forgotten password ----------------------------------------------------------------


def test_forgot_password_answers_the_same_whether_or_not_the_address_exists(client, session, email):
    user = make_user(session, email=email)

    known = client.post("/password/forgot", data={"email": email.upper()})
    unknown = client.post("/password/forgot", data={"email": "nobody-" + email})

    assert known.status_code == unknown.status_code == 302
    assert known.location == unknown.location == "/check-email?sent=reset"
    assert "If an account uses this address" in client.get(known.location).text
    [message] = outbox(session, to=user.email)
    assert message.subject == "Choose a new password for Agora 1540"
    assert outbox(session, to="nobody-" + email) == []


def test_forgot_password_form_errors_keep_the_input(client):
    response = client.post("/password/forgot", data={"email": "not an address"})
    assert response.status_code == 400
    assert 'id="email-error"' in response.text and 'value="not an address"' in response.text


def test_reset_links_use_base_url_not_the_request_host(app, client, session, email):
    user = make_user(session, email=email)

    client.post("/password/forgot", data={"email": email}, base_url="http://attacker.example")

    link = reset_link_for(session, user)
    assert link.startswith(app.config["BASE_URL"] + "/password/reset/")
    assert "attacker.example" not in outbox(session, to=email)[0].body_html


def test_asking_twice_within_minutes_sends_one_email(client, session, email):
    make_user(session, email=email)
    client.post("/password/forgot", data={"email": email})
    client.post("/password/forgot", data={"email": email})
    assert len(outbox(session, to=email)) == 1


def test_suspended_accounts_get_no_reset_link(client, session, email):
    from app.accounts.models import User

    make_user(session, email=email, status=User.SUSPENDED)
    assert client.post("/password/forgot", data={"email": email}).location == "/check-email?sent=reset"
    assert outbox(session, to=email) == []


def test_reset_email_is_written_in_the_recipients_language(client, session, email):
    make_user(session, email=email, language="fr")
    client.post("/password/forgot", data={"email": email})
    [message] = outbox(session, to=email)
    assert '<html lang="fr"' in message.body_html


def test_reset_link_sets_a_new_password_once_and_ends_every_session(app, client, session, email):
    user = make_user(session, email=email)
    elsewhere = fresh_client(app)
    login(elsewhere, user)
    client.post("/password/forgot", data={"email": email})
    path = path_of(reset_link_for(session, user), app)

    form = client.get(path)
    assert form.status_code == 200
    assert "Choose a new password" in form.text and 'autocomplete="new-password"' in form.text

    done = client.post(path, data={"new_password": NEW_PASSWORD})

    assert done.status_code == 302 and done.location == "/login"
    fresh = user_by_email(session, email)
    assert verify_password(fresh.password_hash, NEW_PASSWORD)
    assert elsewhere.get("/account").status_code == 302  # the other session ended
    assert login(client, fresh, NEW_PASSWORD).status_code == 302
    assert login(fresh_client(app), fresh, DEFAULT_PASSWORD).status_code == 400
    assert "user.reset_password" in audit_actions(session, fresh)
    assert any(m.subject == "Your Agora 1540 password was changed" for m in outbox(session, to=email))

    again = client.post(path, data={"new_password": "yet another quiet passphrase"})
    assert again.status_code == 400
    assert "used already" in again.text
    assert verify_password(user_by_email(session, email).password_hash, NEW_PASSWORD)


def test_an_older_reset_link_stops_working_after_a_reset(app, client, session, email):
    user = make_user(session, email=email)
    first = tokens.password_reset_token(user, now=utcnow() - timedelta(minutes=20))
    second = tokens.password_reset_token(user)

    assert client.post(f"/password/reset/{second}", data={"new_password": NEW_PASSWORD}).status_code == 302
    assert client.get(f"/password/reset/{first}").status_code == 400


def test_expired_reset_link_explains_and_offers_a_new_one(app, client, session):
    user = make_user(session)
    issued = utcnow() - app.config["PASSWORD_RESET_MAX_AGE"] - timedelta(seconds=5)
    token = tokens.password_reset_token(user, now=issued)

    for response in (client.get(f"/password/reset/{token}"),
                     client.post(f"/password/reset/{token}", data={"new_password": NEW_PASSWORD})):
        assert response.status_code == 400
        assert "This link has expired." in response.text
        assert 'href="/password/forgot"' in response.text
    assert verify_password(user_by_email(session, user.email).password_hash, DEFAULT_PASSWORD)


@pytest.mark.parametrize("token", ["garbage", "a.b.c", "eyJ1IjoxfQ.AAAAAA.BBBBBB", "x" * 1500])
def test_malformed_reset_links_give_a_clear_page(client, token):
    response = client.get(f"/password/reset/{token}")
    assert response.status_code == 400
    assert "This reset link does not work" in response.text


def test_a_verification_token_cannot_reset_a_password(client, session):
    user = make_user(session)
    response = client.post(f"/password/reset/{tokens.email_verification_token(user)}",
                           data={"new_password": NEW_PASSWORD})
    assert response.status_code == 400
    assert verify_password(user_by_email(session, user.email).password_hash, DEFAULT_PASSWORD)


def test_weak_password_on_reset_shows_the_rule_and_keeps_the_link_usable(app, client, session):
    user = make_user(session)
    path = f"/password/reset/{tokens.password_reset_token(user)}"

    response = client.post(path, data={"new_password": "too short"})

    assert response.status_code == 400
    assert 'id="new_password-error"' in response.text and "Use at least 12 characters." in response.text
    assert client.post(path, data={"new_password": NEW_PASSWORD}).status_code == 302


def test_resetting_confirms_an_unverified_address(client, session):
    user = make_user(session, verified=False)
    client.post(f"/password/reset/{tokens.password_reset_token(user)}", data={"new_password": NEW_PASSWORD})
    assert user_by_email(session, user.email).is_verified


# --- change password -------------------------------------------------------------------


def test_change_password_page_asks_for_the_current_password(client, session):
    login(client, make_user(session))
    page = client.get("/account/password").text
    assert page.count("<h1") == 1
    assert 'autocomplete="current-password"' in page and 'autocomplete="new-password"' in page
    assert "At least 12 characters. Long passphrases are welcome." in page


def test_change_password_needs_the_right_current_password(client, session):
    user = make_user(session)
    login(client, user)

    response = client.post("/account/password", data={"current_password": "not my password",
                                                      "new_password": NEW_PASSWORD})

    assert response.status_code == 400
    assert 'id="current_password-error"' in response.text
    assert "Your current password is not correct." in response.text
    assert NEW_PASSWORD not in response.text
    assert verify_password(user_by_email(session, user.email).password_hash, DEFAULT_PASSWORD)


@pytest.mark.parametrize("new_password, message", [
    ("short", "Use at least 12 characters."),
    ("qwertyuiop123", "too common"),
    (DEFAULT_PASSWORD, "different from your current one"),
])
def test_change_password_applies_the_rules(client, session, new_password, message):
    user = make_user(session)
    login(client, user)
    response = client.post("/account/password", data={"current_password": DEFAULT_PASSWORD,
                                                      "new_password": new_password})
    assert response.status_code == 400
    assert 'id="new_password-error"' in response.text and message in response.text


def test_change_password_keeps_this_session_and_ends_the_others(app, client, session, email):
    user = make_user(session, email=email)
    login(client, user)
    elsewhere = fresh_client(app)
    login(elsewhere, user)

    response = client.post("/account/password", data={"current_password": DEFAULT_PASSWORD,
                                                      "new_password": NEW_PASSWORD})

    assert response.status_code == 302 and response.location == "/account"
    assert "Your password has been changed." in client.get("/account").text
    assert elsewhere.get("/account").status_code == 302
    fresh = user_by_email(session, email)
    assert verify_password(fresh.password_hash, NEW_PASSWORD)
    assert "user.change_password" in audit_actions(session, fresh)
    [notice] = outbox(session, to=email)
    assert notice.subject == "Your Agora 1540 password was changed"
    assert "/password/forgot" in notice.body_text
