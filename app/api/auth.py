"""Bearer tokens on the read API.

``Authorization: Bearer <token>`` on /api/ replaces the session cookie for
that request: a ``read_as_me`` token makes the request its owner's, a
``read_public`` one a visitor's, and the rest of the app (authz, policies,
queries) runs unchanged on ``current_user``. A header that is present but
not a live token is answered 401 with a JSON error at once, never served as
a visitor: a client must learn that its token stopped working.

Runs before the access check (app/core/authz.py) and after the rate limiter,
whose key for these requests is the token's digest, so each token has its
own budget and one client's tokens cannot spend another's.
"""

from __future__ import annotations

import hashlib

from flask import Flask, g, jsonify, request
from flask_babel import gettext as _
from flask_limiter.util import get_remote_address

from app.accounts import access_tokens
from app.accounts.personal_models import TokenScope
from app.accounts.sessions import Anonymous
from app.core.db import db

API_PREFIX = "/api/"


def _bearer_value() -> str | None:
    """The credential after "Bearer", "" when the header is malformed, None when absent."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _sep, value = header.strip().partition(" ")
    if scheme.lower() != "bearer":
        return ""
    return value.strip()


def rate_key() -> str:
    """Rate-limit key for /api/: the token (by digest) when one is sent, else the client address."""
    if request.path.startswith(API_PREFIX):
        value = _bearer_value()
        if value:
            return "token:" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return get_remote_address()


def _refuse():
    response = jsonify(error=_("The access token is not valid: it may be malformed, revoked or expired."),
                       status=401)
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer realm="api", error="invalid_token"'
    response.headers["Cache-Control"] = "no-store"
    return response


def load_bearer_user():
    if not request.path.startswith(API_PREFIX):
        return None
    value = _bearer_value()
    if value is None:
        return None
    found = access_tokens.authenticate(db.session, value)
    if found is None:
        return _refuse()
    token, user = found
    if access_tokens.touch(db.session, token):
        db.session.commit()
    g.api_token_id = token.id
    # Flask-Login reads the request's user from g; the cookie is never consulted.
    g._login_user = user if token.scope == TokenScope.READ_AS_ME else Anonymous()
    return None


def init_app(app: Flask) -> None:
    app.before_request(load_bearer_user)
