"""Personal access tokens: made and revoked on the account page, shown once,
stored as digests; a bearer token reads /api/v1 exactly as its owner (or,
with scope read_public, as a visitor) and stops at revocation, expiry,
suspension, ban and closure; bad tokens get a JSON 401, never a 500."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts import access_tokens
from app.accounts.models import User
from app.accounts.personal_models import PersonalToken, TokenScope
from app.core.audit import verify_chain
from app.core.db import utcnow
from tests.factories import login, make_user
from tests.integration.test_accounts_helpers import fresh_client, other_app
from tests.integration.test_api import CANARY
from tests.integration.test_summaries_support import focal_point, moderator, open_consultation_with_comments


def _bearer(raw: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {raw}"}


def _token(session, user, scope=TokenScope.READ_AS_ME, days=30):
    return access_tokens.create_token(session, user, name="sync", scope=scope, expires_in_days=days, actor=user)


def test_a_user_creates_a_token_sees_it_once_and_revokes_it(session, client):
    user = make_user(session)
    login(client, user)
    page = client.post("/account/tokens", data={"name": "Regional sync", "scope": TokenScope.READ_AS_ME,
                                                "expires_in": "30"})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    raw = re.search(r'data-testid="new-token" value="(agora_[A-Za-z0-9_-]+)"', page.get_data(as_text=True)).group(1)
    stored = session.scalars(select(PersonalToken).where(PersonalToken.user_id == user.id)).one()
    assert stored.secret_hash == access_tokens.digest(raw) and raw not in stored.secret_hash
    assert stored.prefix == raw[:12] and stored.expires_at > utcnow() + timedelta(days=29)

    listing = client.get("/account/tokens").get_data(as_text=True)
    assert "Regional sync" in listing and stored.prefix in listing and raw not in listing

    client.post("/logout")
    api = fresh_client(client.application)
    assert api.get("/api/v1/me/digests", headers=_bearer(raw)).status_code == 200

    login(client, user)
    assert client.post(f"/account/tokens/{stored.id}/revoke").status_code == 302
    refused = api.get("/api/v1/me/digests", headers=_bearer(raw))
    assert refused.status_code == 401 and refused.is_json and refused.get_json()["status"] == 401
    assert "invalid_token" in refused.headers["WWW-Authenticate"]
    assert verify_chain(session).ok


def test_nobody_revokes_another_persons_token(session, client):
    owner = make_user(session)
    token, raw = _token(session, owner)
    login(client, make_user(session))
    assert client.post(f"/account/tokens/{token.id}/revoke").status_code == 404
    assert client.get("/api/v1/me/digests", headers=_bearer(raw)).status_code == 200


def test_bad_names_scopes_and_expiries_come_back_as_form_errors(session, client):
    login(client, make_user(session))
    for data in ({"name": "", "scope": TokenScope.READ_PUBLIC, "expires_in": "30"},
                 {"name": "x", "scope": "write_everything", "expires_in": "30"},
                 {"name": "x", "scope": TokenScope.READ_PUBLIC, "expires_in": "12345"},
                 {"name": "x" * 101, "scope": TokenScope.READ_PUBLIC, "expires_in": "never"}):
        assert client.post("/account/tokens", data=data).status_code == 400
    assert session.scalars(select(PersonalToken)).all() == []


def test_read_as_me_sees_what_its_owner_sees_and_read_public_what_a_visitor_sees(session, client):
    consultation, comments = open_consultation_with_comments(session)
    mod = moderator(session)
    _t, as_me = _token(session, mod, TokenScope.READ_AS_ME)
    _t, public = _token(session, mod, TokenScope.READ_PUBLIC)
    path = f"/api/v1/consultations/{consultation.id}/comments?per_page=100"
    assert CANARY in client.get(path, headers=_bearer(as_me)).get_data(as_text=True)
    seen_publicly = client.get(path, headers=_bearer(public)).get_data(as_text=True)
    assert CANARY not in seen_publicly and "Transit is too narrow." in seen_publicly
    assert client.get("/api/v1/me/digests", headers=_bearer(public)).status_code == 401


def test_a_bearer_token_wins_over_a_session_cookie(session, client):
    consultation, _comments = open_consultation_with_comments(session)
    mod = moderator(session)
    _t, public = _token(session, mod, TokenScope.READ_PUBLIC)
    login(client, mod)
    body = client.get(f"/api/v1/consultations/{consultation.id}/comments?per_page=100",
                      headers=_bearer(public)).get_data(as_text=True)
    assert CANARY not in body


@pytest.mark.parametrize("header", [
    "Bearer", "Bearer ", "Bearer nonsense", "Bearer agora_" + "A" * 43, "Bearer agora_\u00e9\u00e9",
    "Basic dXNlcjpwYXNz", "Bearer " + "agora_" + "x" * 5000, "Token agora_abc", "bearer agora_%00",
])
def test_malformed_and_unknown_tokens_get_a_json_401(client, header):
    response = client.get("/api/v1/consultations", headers={"Authorization": header})
    assert response.status_code == 401 and response.is_json
    assert set(response.get_json()) >= {"error", "status"}


def test_expired_tokens_and_tokens_of_suspended_banned_or_closed_accounts_read_nothing(session, client):
    user = focal_point(session)
    token, raw = _token(session, user)
    assert client.get("/api/v1/me/digests", headers=_bearer(raw)).status_code == 200
    for status in (User.SUSPENDED, User.BANNED, User.CLOSED):
        user.status = status
        session.flush()
        assert client.get("/api/v1/consultations", headers=_bearer(raw)).status_code == 401
    user.status = User.ACTIVE
    token.expires_at = utcnow() - timedelta(seconds=1)
    session.flush()
    assert client.get("/api/v1/consultations", headers=_bearer(raw)).status_code == 401


def test_last_use_is_recorded_at_most_once_a_minute(session, client):
    user = make_user(session)
    token, raw = _token(session, user)
    assert token.last_used_at is None
    client.get("/api/v1/consultations", headers=_bearer(raw))
    session.refresh(token)
    first = token.last_used_at
    assert first is not None
    client.get("/api/v1/consultations", headers=_bearer(raw))
    session.refresh(token)
    assert token.last_used_at == first
    assert access_tokens.touch(session, token, now=first + timedelta(seconds=61)) is True


def test_the_openapi_document_describes_the_bearer_scheme(client):
    document = client.get("/api/v1/openapi.json").get_json()
    scheme = document["components"]["securitySchemes"]["bearer"]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer"
    digests = document["paths"]["/api/v1/me/digests"]["get"]
    assert {"bearer": []} in digests["security"] and {} not in digests["security"]
    assert "401" in document["paths"]["/api/v1/consultations"]["get"]["responses"]


@pytest.fixture()
def limited(app, connection):
    with other_app(connection, RATELIMIT_ENABLED=True, API_RATELIMIT="2 per minute") as limited_app:
        yield limited_app


def test_rate_limits_count_per_token(limited, session):
    user = make_user(session)
    _t, first = _token(session, user)
    _t, second = _token(session, user)
    client = fresh_client(limited)
    client.environ_base["REMOTE_ADDR"] = "10.15.40.9"
    assert [client.get("/api/v1/consultations", headers=_bearer(first)).status_code for _ in range(2)] == [200, 200]
    paused = client.get("/api/v1/consultations", headers=_bearer(first))
    assert paused.status_code == 429 and paused.is_json
    assert client.get("/api/v1/consultations", headers=_bearer(second)).status_code == 200
