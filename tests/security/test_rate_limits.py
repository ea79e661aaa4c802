"""Rate limits on registration and password reset: per client address and, for
registration, per account (the submitted e-mail, lower-cased). A breach shows
the generic 429 page with "Try again in N minutes" and a Retry-After header.
Sign-in has its own throttle, which counts failures only
(tests/security/test_sign_in_throttle.py)."""

from __future__ import annotations

import random
import uuid

import pytest

from tests.factories import make_user
from tests.integration import test_accounts_helpers as helpers
from tests.integration.test_accounts_helpers import fresh_client, other_app

REDIS_URL = "redis://127.0.0.1:6379/15"
LIMITS = {"RATELIMIT_REGISTER": "2 per hour", "RATELIMIT_RESET": "2 per hour"}

client = helpers.client  # fixture


@pytest.fixture()
def limited(app, connection):
    with other_app(connection, RATELIMIT_ENABLED=True, **LIMITS) as limited_app:
        yield limited_app


def new_address() -> str:
    return f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}"


def new_email() -> str:
    return f"limit-{uuid.uuid4().hex[:12]}@example.org"


def client_from(app, address: str | None = None):
    client = fresh_client(app)
    client.environ_base["REMOTE_ADDR"] = address or new_address()
    return client


def assert_paused(response, minutes: int) -> None:
    assert response.status_code == 429
    assert "Too many attempts" in response.text
    assert f"Try again in {minutes} minutes." in response.text
    assert 0 < int(response.headers["Retry-After"]) <= minutes * 60
    assert "Content-Security-Policy" in response.headers


def test_registration_is_limited(limited):
    client = client_from(limited)
    for _ in range(2):
        response = client.post("/register", data={"email": new_email(), "display_name": "Someone",
                                                  "password": "a long and quiet passphrase", "accept_terms": "y"})
        assert response.status_code == 302
    third = client.post("/register", data={"email": new_email(), "display_name": "Someone",
                                           "password": "a long and quiet passphrase", "accept_terms": "y"})
    assert_paused(third, 60)


def test_registration_of_one_address_is_limited_across_client_addresses(limited):
    email = new_email()
    data = {"email": email, "display_name": "Someone", "password": "short"}
    for _ in range(2):
        assert client_from(limited).post("/register", data=data).status_code == 400
    assert_paused(client_from(limited).post("/register", data=data), 60)


def test_password_reset_requests_are_limited_per_address_but_never_per_account(limited, session):
    client = client_from(limited)
    for _ in range(2):
        assert client.post("/password/forgot", data={"email": new_email()}).status_code == 302
    assert_paused(client.post("/password/forgot", data={"email": new_email()}), 60)

    # Requests for one account from many places cannot use up its owner's resets;
    # the owner's mailbox still gets at most one link per ten minutes (dedupe key).
    owner = make_user(session)
    for _ in range(4):
        assert client_from(limited).post("/password/forgot", data={"email": owner.email}).status_code == 302
    assert len([m for m in helpers.outbox(session, to=owner.email) if "/password/reset/" in m.body_text]) == 1


def test_trying_reset_links_is_limited(limited):
    client = client_from(limited)
    for _ in range(2):
        assert client.post("/password/reset/guess", data={"new_password": "a quiet passphrase"}).status_code == 400
    assert client.post("/password/reset/guess", data={"new_password": "a quiet passphrase"}).status_code == 429


def test_limits_are_off_where_the_config_says_so(limited, client):
    """The suite's app has RATELIMIT_ENABLED off, even while another app has limits on."""
    for _ in range(5):
        assert client.post("/password/forgot", data={"email": new_email()}).status_code == 302


def _redis_or_skip():
    redis = pytest.importorskip("redis")
    connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=0.5, socket_timeout=2)
    try:
        connection.ping()
    except Exception as exc:  # noqa: BLE001 - any failure means "not available here"
        pytest.skip(f"Redis not reachable at {REDIS_URL}: {exc}")
    return connection


def test_limits_are_counted_in_redis_when_configured(connection):
    redis = _redis_or_skip()
    email = new_email()
    try:
        with other_app(connection, RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI=REDIS_URL, **LIMITS) as limited_app:
            data = {"email": email, "display_name": "Someone", "password": "short"}
            for _ in range(2):
                assert client_from(limited_app).post("/register", data=data).status_code == 400
            assert_paused(client_from(limited_app).post("/register", data=data), 60)
        keys = list(redis.scan_iter(match=f"*{email}*"))
        assert keys, "the per-account counter should live in Redis"
    finally:
        for key in redis.scan_iter(match=f"*{email}*"):
            redis.delete(key)
