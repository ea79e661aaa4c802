"""Sign-in availability: failed attempts slow down the one who fails, never the
owner elsewhere nor colleagues behind the same address.

Failures count per (account, client address) pair and, looser, per client
address; past the free failures each one doubles the wait (capped); successful
sign-ins never count; a password reset is never paused and clears the waits of
the account."""

from __future__ import annotations

import random
import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts import services, throttle
from app.accounts.models import SignInThrottle
from app.core.db import utcnow
from tests.factories import DEFAULT_PASSWORD, make_user
from tests.integration.test_accounts_helpers import fresh_client, link_in, other_app, outbox, path_of

NEW_PASSWORD = "a brand new quiet passphrase"


@pytest.fixture()
def production_limits(app, connection):
    """An app with every limit on at its production defaults, in this test's transaction."""
    with other_app(connection, RATELIMIT_ENABLED=True) as limited_app:
        yield limited_app


def new_address() -> str:
    return f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


def client_from(app, address: str | None = None):
    client = fresh_client(app)
    client.environ_base["REMOTE_ADDR"] = address or new_address()
    return client


def sign_in(client, email: str, password: str = DEFAULT_PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


def wrong(client, email: str):
    return sign_in(client, email, "not the password at all")


def test_guessing_from_elsewhere_never_keeps_the_owner_out(production_limits, session):
    owner = make_user(session)
    attacker = client_from(production_limits)
    for _ in range(6):  # from one place
        wrong(attacker, owner.email)
    for _ in range(12):  # and from many
        wrong(client_from(production_limits), owner.email)

    response = sign_in(client_from(production_limits), owner.email)

    assert response.status_code == 302, response.text


def test_colleagues_behind_one_shared_address_all_sign_in(production_limits, session):
    office = new_address()
    colleagues = [make_user(session) for _ in range(25)]
    for colleague in colleagues:
        assert sign_in(client_from(production_limits, office), colleague.email).status_code == 302


def test_failures_from_one_place_pause_that_pair_and_say_when_to_try_again(client, session):
    owner = make_user(session)
    place = new_address()
    for _ in range(5):
        assert wrong(client_from(client.application, place), owner.email).status_code == 400

    paused = sign_in(client_from(client.application, place), owner.email)  # even with the right password

    assert paused.status_code == 429
    assert "Try again in 1 minute" in paused.text
    assert "never paused" in paused.text
    assert 0 < int(paused.headers["Retry-After"]) <= 30
    assert sign_in(client_from(client.application), owner.email).status_code == 302  # from elsewhere


def test_the_wait_doubles_per_failure_up_to_a_cap(app, session):
    email, address, now = f"x-{uuid.uuid4().hex[:8]}@example.org", new_address(), utcnow()
    waits = []
    for _ in range(12):
        until = throttle.wait_until(session, email=email, address=address, now=now)
        now = until or now  # the next attempt comes as soon as it is allowed
        throttle.record_failure(session, email=email, address=address, now=now)
        until = throttle.wait_until(session, email=email, address=address, now=now)
        waits.append(int((until - now).total_seconds()) if until else 0)

    assert waits == [0, 0, 0, 0, 30, 60, 120, 240, 480, 900, 900, 900]


def test_quiet_time_forgets_failures(app, session):
    email, address, now = f"x-{uuid.uuid4().hex[:8]}@example.org", new_address(), utcnow()
    for _ in range(5):
        throttle.record_failure(session, email=email, address=address, now=now)
    later = now + timedelta(hours=1)  # four failures forgotten
    assert throttle.wait_until(session, email=email, address=address, now=later) is None
    throttle.record_failure(session, email=email, address=address, now=later)
    assert throttle.wait_until(session, email=email, address=address, now=later) is None


def test_one_address_trying_many_accounts_meets_a_looser_ceiling(app, connection, session):
    with other_app(connection, SIGN_IN_ADDRESS_FREE_FAILURES=8) as strict:
        address = new_address()
        for n in range(8):
            sprayed = f"spray-{n}-{uuid.uuid4().hex[:6]}@example.org"
            assert wrong(client_from(strict, address), sprayed).status_code == 400
        someone = make_user(session)

        paused = sign_in(client_from(strict, address), someone.email)
        elsewhere = sign_in(client_from(strict), someone.email)

    assert paused.status_code == 429 and "Try again in" in paused.text
    assert elsewhere.status_code == 302


def test_the_wait_does_not_tell_whether_an_account_exists(client, session):
    owner = make_user(session)
    nobody = f"nobody-{uuid.uuid4().hex[:8]}@example.org"
    answers = []
    for email in (owner.email, nobody):
        place = new_address()
        statuses = [wrong(client_from(client.application, place), email).status_code for _ in range(6)]
        last = wrong(client_from(client.application, place), email)
        page = re.sub(r'nonce="[^"]*"|name="csrf_token"[^>]*', "", last.text.replace(email, "EMAIL"))
        answers.append((statuses, last.status_code, page, last.headers.get("Retry-After")))
    assert answers[0] == answers[1]


def test_reset_is_never_paused_and_clears_the_accounts_waits(production_limits, session, connection):
    owner = make_user(session)
    home = new_address()
    for _ in range(8):
        wrong(client_from(production_limits, home), owner.email)
    for _ in range(6):  # someone asks for resets of the owner's account from many places
        client_from(production_limits).post("/password/forgot", data={"email": owner.email})
    assert sign_in(client_from(production_limits, home), owner.email).status_code == 429

    asked = client_from(production_limits, home).post("/password/forgot", data={"email": owner.email})
    assert asked.status_code == 302
    [message] = [m for m in outbox(session, to=owner.email) if "/password/reset/" in m.body_text]
    path = path_of(link_in(message, "/password/reset/"), production_limits)
    reset = client_from(production_limits, home).post(path, data={"new_password": NEW_PASSWORD})
    assert reset.status_code == 302

    assert sign_in(client_from(production_limits, home), owner.email, NEW_PASSWORD).status_code == 302


def test_a_success_clears_its_pair(app, session):
    owner = make_user(session)
    address = new_address()
    for _ in range(4):
        with pytest.raises(services.InvalidCredentials):
            services.authenticate(session, email=owner.email, password="wrong guess", address=address)
    services.authenticate(session, email=owner.email, password=DEFAULT_PASSWORD, address=address)
    for _ in range(4):  # four more typos are free again
        with pytest.raises(services.InvalidCredentials):
            services.authenticate(session, email=owner.email, password="wrong guess", address=address)
    assert throttle.wait_until(session, email=owner.email, address=address) is None


def test_the_throttle_table_holds_neither_addresses_nor_e_mails(client, session):
    owner = make_user(session)
    address = new_address()
    wrong(client_from(client.application, address), owner.email)
    rows = session.execute(select(SignInThrottle.key, SignInThrottle.account_key)).all()
    assert rows
    stored = " ".join(str(value) for row in rows for value in row)
    assert owner.email.lower() not in stored and address not in stored
