"""Helpers shared by the moderation tests (no tests here)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy.orm import sessionmaker

from app.accounts.models import Role, Scope
from app.comments.services import CommentInput, post_comment
from app.consultations.models import ModerationMode
from app.moderation.models import ReasonTemplate
from tests.factories import grant, make_user
from tests.integration.test_consultations_support import make_author, make_consultation


def open_consultation(session, *, mode: str = ModerationMode.PRE, **overrides):
    author = make_author(session, "AT")
    return make_consultation(session, author, open_now=True, moderation_mode=mode, **overrides)


def make_moderator(session, consultation=None, **kwargs):
    """A global moderator, or one of ``consultation`` only."""
    user = make_user(session, **kwargs)
    if consultation is None:
        grant(session, user, Role.MODERATOR)
    else:
        grant(session, user, Role.MODERATOR, Scope.CONSULTATION, str(consultation.id))
    return user


def post(session, consultation, author, body: str = "The definition of brokering in Article 2 is too narrow.",
         *, parent=None, section=None, audience: str = "public"):
    data = CommentInput(body=body, audience=audience, language="en", idempotency_key=uuid.uuid4().hex,
                        parent_id=parent.id if parent else None,
                        section_id=(section.id if section else (parent.section_id if parent else None)))
    comment, _created = post_comment(session, consultation, data, actor=author)
    return comment


def reason(session, code: str) -> ReasonTemplate:
    from sqlalchemy import select

    return session.scalar(select(ReasonTemplate).where(ReasonTemplate.code == code))


def switch_client() -> None:
    """The test's app context outlives requests; forget the account Flask-Login cached in it."""
    from flask import g

    g.pop("_login_user", None)


@contextmanager
def migrated(scratch_url: str) -> Iterator[tuple[Any, Any]]:
    """A database of its own (``scratch_url``), migrated, with the geography: the app and a session
    maker on an engine of its own, whose sessions commit for real (two of them are two connections)."""
    from alembic import command

    from app import create_app
    from app.core.cli import alembic_config
    from app.core.db import make_engine
    from app.geography.services import load_geography
    from config import TestingConfig

    app = create_app(TestingConfig, DATABASE_URL=scratch_url)
    with app.app_context():
        command.upgrade(alembic_config(), "head")
        engine = make_engine(scratch_url)
        maker = sessionmaker(bind=engine, expire_on_commit=False)
        with maker() as setup:
            load_geography(setup, Path(app.config["DATA_DIR"]))
            setup.commit()
        try:
            yield app, maker
        finally:
            engine.dispose()
