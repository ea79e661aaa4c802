"""Registration, e-mail verification, sign-in and out, profile."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.accounts import tokens
from app.accounts.models import User
from app.accounts.passwords import verify_password
from app.core.db import utcnow
from app.core.mail import deliver_due
from tests.factories import DEFAULT_PASSWORD, login, make_user
from tests.integration import test_accounts_helpers as helpers
from tests.integration.test_accounts_helpers import audit_actions, outbox, path_of, user_by_email

client = helpers.client  # fixture
email = helpers.email  # fixture

GOOD_PASSWORD = "a long and quiet passphrase"


def register(client, email, display_name="New Person", password=GOOD_PASSWORD, **kw):
    return client.post("/register", data={"email": email, "display_name": display_name, "password": password,
                                          "accept_terms": "y"}, **kw)


# --- registration ----------------------------------------------------------------------


def test_registration_page_has_labelled_fields_hints_and_links(client):
    page = client.get("/register").text
    assert page.count("<h1") == 1
    assert 'autocomplete="email"' in page and 'autocomplete="new-password"' in page and 'autocomplete="name"' in page
    assert "At least 12 characters. Long passphrases are welcome." in page
    assert 'href="/login"' in page
    assert '<label class="form-label" for="password">' in page


def test_registration_creates_an_unverified_account_and_queues_the_verification_email(client, session, email):
    response = register(client, email)

    assert response.status_code == 302
    assert response.location == "/check-email?sent=registration"
    user = user_by_email(session, email)
    assert user is not None and not user.is_verified
    assert user.display_name == "New Person"
    assert verify_password(user.password_hash, GOOD_PASSWORD)
    [message] = outbox(session, to=email)
    assert message.subject == "Confirm your e-mail address for Agora 1540"
    assert "/verify-email/" in message.body_text and "/verify-email/" in message.body_html
    assert audit_actions(session, user) == ["user.register"]
    assert "Check your e-mail" in client.get(response.location).text


def test_registering_a_taken_address_looks_the_same_and_tells_the_owner(client, session, email):
    owner = make_user(session, email=email, display_name="Owner")
    fresh = register(client, "fresh-" + email)
    taken = register(client, email.upper(), password="another quiet passphrase")

    assert taken.status_code == fresh.status_code == 302
    assert taken.location == fresh.location
    assert client.get(taken.location).text == client.get(fresh.location).text
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(User).where(func.lower(User.email) == email)) == 1
    assert verify_password(owner.password_hash, DEFAULT_PASSWORD)  # untouched
    [notice] = outbox(session, to=email)
    assert notice.subject == "Someone tried to create an account with your address"
    assert "/password/forgot" in notice.body_text


def test_registration_errors_are_shown_per_field_and_keep_what_was_typed(client, session):
    before = len(outbox(session))
    response = register(client, "not-an-address", display_name="Keep Me Please", password="short")

    assert response.status_code == 400
    page = response.text
    assert 'id="error-summary"' in page
    assert 'id="email-error"' in page and "Enter an e-mail address like name@example.org." in page
    assert 'id="password-error"' in page and "Use at least 12 characters." in page
    assert 'value="not-an-address"' in page and 'value="Keep Me Please"' in page
    assert "short" not in re.findall(r'<input[^>]*name="password"[^>]*>', page)[0]
    assert user_by_email(session, "not-an-address") is None
    assert len(outbox(session)) == before


@pytest.mark.parametrize("password, message", [
    ("password1234", "too common"),
    ("x" * 257, "Use at most 256 characters."),
    ("{email}", "e-mail address or your name"),
    ("quiet person name", "e-mail address or your name"),
])
def test_registration_refuses_weak_passwords(client, session, email, password, message):
    response = register(client, email, display_name="Quiet Person Name", password=password.format(email=email))

    assert response.status_code == 400
    assert message in response.text
    assert user_by_email(session, email) is None


@pytest.mark.parametrize("name", ["Evil\x00Name", "Admin\u202eelbisiv", "   "])
def test_registration_refuses_display_names_with_control_characters(client, session, email, name):
    response = register(client, email, display_name=name)

    assert response.status_code == 400
    assert 'id="display_name-error"' in response.text
    assert user_by_email(session, email) is None


def test_line_breaks_in_a_display_name_become_spaces_and_never_reach_a_header(client, session, email):
    """A single-line field keeps no line break, so nothing typed there can start
    a new e-mail header line."""
    response = register(client, email, display_name="Evil\r\nBcc: victim@example.org")

    assert response.status_code == 302
    name = user_by_email(session, email).display_name
    assert "\r" not in name and "\n" not in name and name.startswith("Evil") and name.endswith("victim@example.org")


def test_signed_in_people_are_sent_from_registration_to_their_account(client, session):
    login(client, make_user(session))
    assert client.get("/register").location == "/account"


# --- e-mail verification ---------------------------------------------------------------


def test_registration_to_verification_end_to_end_through_real_smtp(app, client, session, mail, email):
    register(client, email, display_name="End To End")

    deliver_due(session)

    [message] = mail.to(email)
    assert message["Message-ID"]
    [link] = [x for x in mail.links_in(message) if "/verify-email/" in x]
    assert link.startswith(app.config["BASE_URL"])
    page = client.get(path_of(link, app))
    assert page.status_code == 200
    assert "E-mail address confirmed" in page.text
    user = user_by_email(session, email)
    assert user.is_verified
    assert "user.verify_email" in audit_actions(session, user)


def test_opening_a_verification_link_twice_still_confirms(app, client, session):
    user = make_user(session, verified=False)
    path = f"/verify-email/{tokens.email_verification_token(user)}"

    assert client.get(path).status_code == 200
    second = client.get(path)

    assert second.status_code == 200 and "E-mail address confirmed" in second.text
    assert audit_actions(session, user).count("user.verify_email") == 1


def test_expired_verification_link_explains_and_changes_nothing(app, client, session):
    user = make_user(session, verified=False)
    issued = utcnow() - app.config["EMAIL_VERIFY_MAX_AGE"] - timedelta(minutes=1)
    token = tokens.email_verification_token(user, now=issued)

    response = client.get(f"/verify-email/{token}")

    assert response.status_code == 400
    assert "This link has expired." in response.text
    assert not user_by_email(session, user.email).is_verified


@pytest.mark.parametrize("mangle", [
    lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # signature tampered
    lambda t: "x" + t,                                             # payload tampered
    lambda t: t.split(".")[0],                                     # signature missing
    lambda t: "not-a-token",
    lambda t: "%00%ff" * 10,
    lambda t: "A" * 2000,
])
def test_malformed_or_tampered_verification_links_give_a_clear_page(client, session, mangle):
    user = make_user(session, verified=False)
    response = client.get(f"/verify-email/{mangle(tokens.email_verification_token(user))}")

    assert response.status_code == 400
    assert "This confirmation link does not work" in response.text
    assert not user_by_email(session, user.email).is_verified


def test_a_reset_token_is_not_a_verification_token(client, session):
    user = make_user(session, verified=False)
    response = client.get(f"/verify-email/{tokens.password_reset_token(user)}")
    assert response.status_code == 400
    assert not user_by_email(session, user.email).is_verified


def test_verification_link_for_a_changed_address_no_longer_works(client, session, email):
    user = make_user(session, email="old-" + email, verified=False)
    token = tokens.email_verification_token(user)
    user.email = email
    session.flush()

    assert client.get(f"/verify-email/{token}").status_code == 400


# --- sign in and out -------------------------------------------------------------------


def test_login_page_links_to_reset_and_registration(client):
    page = client.get("/login").text
    assert "Forgot your password?" in page and 'href="/password/forgot"' in page
    assert "Create an account" in page and 'autocomplete="current-password"' in page


def test_sign_in_and_out(client, session, email):
    user = make_user(session, email=email.capitalize())

    response = client.post("/login", data={"email": email.upper(), "password": DEFAULT_PASSWORD})

    assert response.status_code == 302 and response.location == "/"
    assert "You are signed in." in client.get("/").text
    assert client.get("/account").status_code == 200
    assert user_by_email(session, user.email).last_login_at is not None

    out = client.post("/logout")
    assert out.status_code == 302
    assert client.get("/account").status_code == 302


def test_logout_only_answers_post(client, session):
    login(client, make_user(session))
    assert client.get("/logout").status_code == 405
    assert client.get("/account").status_code == 200  # still signed in


def test_failed_sign_in_reads_the_same_for_unknown_address_and_wrong_password(client, session, email):
    make_user(session, email=email)
    unknown_email = "nobody-" + email

    wrong_password = client.post("/login", data={"email": email, "password": "wrong password here"})
    unknown = client.post("/login", data={"email": unknown_email, "password": "wrong password here"})

    assert wrong_password.status_code == unknown.status_code == 400
    assert "The e-mail address or password is not correct." in unknown.text
    assert wrong_password.text.replace(email, "X") == unknown.text.replace(unknown_email, "X")


def test_failed_sign_in_keeps_the_address_but_not_the_password(client, session, email):
    make_user(session, email=email)
    page = client.post("/login", data={"email": email, "password": "wrong password here"}).text
    assert f'value="{email}"' in page
    assert "wrong password here" not in page


def test_next_survives_the_login_form(client, session):
    user = make_user(session)
    page = client.get("/login?next=/account").text
    assert 'name="next" type="hidden" value="/account"' in page

    response = client.post("/login", data={"email": user.email, "password": DEFAULT_PASSWORD, "next": "/account"})
    assert response.location == "/account"


def test_suspended_account_cannot_sign_in(client, session):
    user = make_user(session, status=User.SUSPENDED)
    response = login(client, user)
    assert response.status_code == 400
    assert "This account is suspended." in response.text
    assert client.get("/account").status_code == 302


def test_login_rehashes_a_password_hashed_with_old_parameters(app, client, session):
    from argon2 import PasswordHasher

    user = make_user(session)
    user.password_hash = PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1).hash(DEFAULT_PASSWORD)
    session.flush()
    old_hash = user.password_hash

    assert login(client, user).status_code == 302

    fresh = user_by_email(session, user.email)
    assert fresh.password_hash != old_hash
    assert f"m={app.config['ARGON2_MEMORY_COST']},t={app.config['ARGON2_TIME_COST']}" in fresh.password_hash
    assert verify_password(fresh.password_hash, DEFAULT_PASSWORD)


def test_unverified_people_can_sign_in_and_are_asked_to_confirm(client, session):
    user = make_user(session, verified=False)

    response = login(client, user)

    assert response.location.startswith("/account/verify-email")
    page = client.get(response.location).text
    assert "Confirm your e-mail address" in page and "Send me a new link" in page
    assert client.get("/account").status_code == 200


def test_resending_the_verification_link_is_deduplicated_for_a_few_minutes(client, session):
    user = make_user(session, verified=False)
    login(client, user)

    first = client.post("/account/verify-email/resend", data={"next": "/account"}, follow_redirects=True)
    second = client.post("/account/verify-email/resend", data={"next": "/account"}, follow_redirects=True)

    assert "We sent a new link to" in first.text
    assert "We sent you a link a few minutes ago." in second.text
    assert len(outbox(session, to=user.email)) == 1


def test_verified_people_cannot_ask_for_another_link(client, session):
    user = make_user(session)
    login(client, user)
    page = client.post("/account/verify-email/resend", follow_redirects=True).text
    assert "already verified" in page
    assert outbox(session, to=user.email) == []


# --- profile ---------------------------------------------------------------------------


def test_profile_needs_sign_in(client):
    response = client.get("/account")
    assert response.status_code == 302
    assert response.location == "/login?next=/account"


def test_profile_shows_and_saves_name_language_and_time_zone(client, session):
    user = make_user(session, display_name="Before")
    login(client, user)
    page = client.get("/account").text
    assert 'value="Before"' in page and user.email in page
    assert '<option value="Europe/Vienna">Austria — Vienna</option>' in page  # in the reader's language

    response = client.post("/account", data={"display_name": "After", "preferred_language": "fr",
                                             "timezone": "America/Argentina/Buenos_Aires"})

    assert response.status_code == 302
    fresh = user_by_email(session, user.email)
    assert (fresh.display_name, fresh.preferred_language, fresh.timezone) == (
        "After", "fr", "America/Argentina/Buenos_Aires")
    assert '<html lang="fr"' in client.get("/account").text
    assert "user.rename" in audit_actions(session, user)


@pytest.mark.parametrize("field, data", [
    ("timezone", {"timezone": "Mars/Olympus_Mons"}),
    ("preferred_language", {"preferred_language": "xx"}),
    ("display_name", {"display_name": ""}),
])
def test_profile_errors_keep_input_and_save_nothing(client, session, field, data):
    user = make_user(session, display_name="Unchanged")
    login(client, user)
    form = {"display_name": "Typed Name", "preferred_language": "es", "timezone": "Asia/Tokyo", **data}

    response = client.post("/account", data=form)

    assert response.status_code == 400
    assert f'id="{field}-error"' in response.text
    if field != "display_name":
        assert 'value="Typed Name"' in response.text
    fresh = user_by_email(session, user.email)
    assert (fresh.display_name, fresh.timezone) == ("Unchanged", "UTC")


def test_unverified_profile_offers_a_new_link(client, session):
    login(client, make_user(session, verified=False))
    page = client.get("/account").text
    assert "Not confirmed yet" in page and "/account/verify-email/resend" in page
