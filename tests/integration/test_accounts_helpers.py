"""Helpers and fixtures shared by the account and security tests (no tests here).

Import the fixtures you need: ``from tests.integration.test_accounts_helpers import client``.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import func, select

from app import create_app
from app.accounts.models import User
from app.core.db import db
from app.core.mail import build_message
from app.core.models import AuditEntry, OutboxMessage
from app.extensions import limiter
from config import TestingConfig


class FreshRequestClient(FlaskClient):
    """A test client whose requests start with an empty ``g``, as in production.

    While the ``session`` fixture holds an app context, Flask reuses it for the
    client's requests, and everything cached in ``g`` (the signed-in user,
    the locale, the CSRF token) would leak from one request -- or one client --
    to the next. The database session is kept: that is the test's transaction.
    """

    def open(self, *args: Any, **kwargs: Any):
        if has_app_context():
            for key in [k for k in vars(g) if k != "db_session"]:
                g.pop(key, None)
        return super().open(*args, **kwargs)


def fresh_client(app) -> FreshRequestClient:
    return FreshRequestClient(app, app.response_class, use_cookies=True)


@pytest.fixture()
def client(app, connection) -> FreshRequestClient:
    return fresh_client(app)


@pytest.fixture()
def email() -> str:
    """An address no other test uses (SQLite runs may keep rows of earlier tests)."""
    return f"person-{uuid.uuid4().hex[:12]}@example.org"


@contextmanager
def other_app(connection, config: type = TestingConfig, **overrides: Any) -> Iterator[Any]:
    """Another app instance (CSRF on, rate limits on, production headers...)
    whose sessions join the current test's transaction on ``connection``.

    The limiter is a module singleton that a second ``create_app``
    reconfigures; its state is put back afterwards so the suite's app is
    unaffected.
    """
    saved_limiter = {key: getattr(limiter, key, None)
                     for key in ("enabled", "initialized", "_storage", "_limiter", "_storage_dead")}
    overrides.setdefault("DATABASE_URL", connection.engine.url.render_as_string(hide_password=False))
    new_app = create_app(config, **overrides)
    state = db.state(new_app)
    state.engine.dispose()
    state.sessionmaker.configure(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield new_app
    finally:
        for key, value in saved_limiter.items():
            setattr(limiter, key, value)


def outbox(session, to: str | None = None) -> list[OutboxMessage]:
    session.expire_all()
    query = select(OutboxMessage).order_by(OutboxMessage.id)
    if to is not None:
        query = query.where(OutboxMessage.to_address == to)
    return list(session.scalars(query))


def audit_actions(session, user: User) -> list[str]:
    return list(session.scalars(
        select(AuditEntry.action).where(AuditEntry.target_type == "User", AuditEntry.target_id == str(user.id))
        .order_by(AuditEntry.id)
    ))


def user_by_email(session, email: str) -> User | None:
    session.expire_all()
    return session.scalar(select(User).where(func.lower(User.email) == email.lower()))


def link_in(message: OutboxMessage, contains: str = "") -> str:
    """A link as the recipient gets it (the row itself holds sealed placeholders)."""
    text = build_message(message, "Agora 1540 <no-reply@agora1540.invalid>").get_body(("plain",)).get_content()
    return [link for link in re.findall(r"https?://\S+", text) if contains in link][0]


def path_of(link: str, app) -> str:
    base = app.config["BASE_URL"].rstrip("/")
    assert link.startswith(base + "/"), link
    return link[len(base):]


def cookie_value(client, name: str = "agora_session") -> str | None:
    cookie = client.get_cookie(name)
    return cookie.value if cookie is not None else None
