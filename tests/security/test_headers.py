"""Security headers on pages, error pages and static files; no inline script
or style on account pages (the CSP forbids them); oversized requests get the
413 page."""

from __future__ import annotations

import re

import pytest

from app.accounts import tokens
from config import DevelopmentConfig, ProductionConfig
from tests.factories import login, make_user
from tests.integration import test_accounts_helpers as helpers
from tests.integration.test_accounts_helpers import fresh_client, other_app

client = helpers.client  # fixture

RESPONSES = {
    "page": ("GET", "/", 200),
    "form page": ("GET", "/login", 200),
    "404 page": ("GET", "/no/such/page", 404),
    "405 page": ("GET", "/logout", 405),
    "static file": ("GET", "/static/css/agora.css", 200),
    "vendored static file": ("GET", "/static/vendor/bootstrap/bootstrap.min.css", 200),
}


def csp_of(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    directives = {}
    for part in policy.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def fetch(client, method, path):
    return client.open(path, method=method)


@pytest.mark.parametrize("kind", RESPONSES)
def test_security_headers_everywhere(client, kind):
    method, path, status = RESPONSES[kind]
    response = fetch(client, method, path)

    assert response.status_code == status
    csp = csp_of(response)
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert "'unsafe-eval'" not in response.headers["Content-Security-Policy"]
    assert csp["script-src"] == ["'self'"]
    assert csp["object-src"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] in ("same-origin", "strict-origin-when-cross-origin", "no-referrer")
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # testing: plain http


def test_405_says_which_methods_are_allowed(client):
    response = client.get("/logout")
    assert "POST" in response.headers["Allow"]
    assert "This action is not allowed here" in response.text


class Production(ProductionConfig):
    SECRET_KEY = "production-like-test-secret"


@pytest.mark.parametrize("kind", RESPONSES)
def test_hsts_in_production(connection, kind):
    method, path, status = RESPONSES[kind]
    with other_app(connection, Production, RATELIMIT_ENABLED=False) as prod:
        response = fetch(fresh_client(prod), method, path)
    assert response.status_code == status
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert int(response.headers["Strict-Transport-Security"].split("=")[1].split(";")[0]) >= 31536000


def test_no_hsts_in_development(connection):
    with other_app(connection, DevelopmentConfig, OUTBOX_SEND_AFTER_COMMIT=False, RATELIMIT_ENABLED=False) as dev:
        response = fresh_client(dev).get("/login")
    assert response.status_code == 200
    assert "Strict-Transport-Security" not in response.headers


def test_signed_in_pages_are_not_cached(client, session):
    login(client, make_user(session))
    assert client.get("/account").headers["Cache-Control"] == "no-store"


INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)


def test_account_pages_have_no_inline_script_or_style(app, client, session):
    user = make_user(session, verified=False)
    anonymous = ["/login", "/register", "/password/forgot", "/check-email?sent=registration",
                 "/check-email?sent=reset", f"/password/reset/{tokens.password_reset_token(user)}",
                 "/password/reset/broken", "/verify-email/broken"]
    signed_in = ["/account", "/account/password", "/account/verify-email"]
    pages = [client.get(path) for path in anonymous]
    login(client, user)
    pages += [client.get(path) for path in signed_in]

    for page in pages:
        assert page.status_code in (200, 400), page.request.path
        html = page.text
        assert not INLINE_SCRIPT.search(html), page.request.path
        assert " style=" not in html, page.request.path
        assert not INLINE_HANDLER.search(html), page.request.path
        assert html.count("<h1") == 1, page.request.path


def test_oversized_request_gets_the_413_page(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 10_000)

    response = client.post("/login", data={"email": "someone@example.org", "password": "x" * 20_000})

    assert response.status_code == 413
    assert "The upload is too large" in response.text
    assert "Content-Security-Policy" in response.headers


def test_default_request_limit_is_enforced(app, client):
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert 1_000_000 <= limit <= 100 * 1024 * 1024
    response = client.post("/login", data=b"x" * (limit + 1), content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
