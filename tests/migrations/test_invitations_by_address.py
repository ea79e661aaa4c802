"""Invitations by e-mail address: the column arrives beside the invitations that
exist, the one-invitee rule covers it, and going down keeps what the old
schema can hold (an address a verified account has becomes that account's
invitation) and removes the rest."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from app import create_app
from app.core.cli import alembic_config
from app.core.db import make_engine
from config import TestingConfig

BEFORE, AFTER = "0011_scoped_content_tokens", "0012_invitations_by_address"


def _user(conn, email: str, *, verified: bool) -> int:
    conn.execute(text(
        'INSERT INTO "user" (email, display_name, password_hash, timezone, status, session_generation, is_demo, '
        "email_verified_at, created_at) VALUES (:e, 'P', 'x', 'UTC', 'active', 1, false, "
        + ("CURRENT_TIMESTAMP" if verified else "NULL") + ", CURRENT_TIMESTAMP)"), {"e": email})
    return conn.execute(text('SELECT id FROM "user" WHERE email = :e'), {"e": email}).scalar_one()


def _consultation(conn, title: str) -> int:
    conn.execute(text(
        "INSERT INTO consultation (country_code, title, instrument_type, drafting_authority, summary_source, "
        "summary_html, questions_source, questions_html, sanitizer_version, languages, weapon_categories, "
        "visibility, moderation_mode, opens_at, closes_at, status, updated_at, created_at) VALUES ('AT', :t, "
        "'law', 'Ministry', '', '', '', '', 1, '[]', '[]', 'invited', 'pre', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, "
        "'open', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"), {"t": title})
    return conn.execute(text("SELECT id FROM consultation WHERE title = :t"), {"t": title}).scalar_one()


def _invite(conn, consultation: int, *, user: int | None = None, organisation: int | None = None,
            email: str | None = None) -> None:
    columns = {"consultation_id": consultation, "user_id": user, "organisation_id": organisation}
    if email is not None:
        columns["email"] = email
    names = ", ".join(columns)
    conn.execute(text(f"INSERT INTO invitation ({names}, created_at) VALUES "
                      f"({', '.join(':' + n for n in columns)}, CURRENT_TIMESTAMP)"), columns)


def _rows(conn) -> set[tuple]:
    return set(conn.execute(text("SELECT consultation_id, user_id, organisation_id FROM invitation")).all())


def test_address_invitations_go_up_and_down_with_the_invitations_around_them(scratch_url):
    app = create_app(TestingConfig, DATABASE_URL=scratch_url)
    with app.app_context():
        cfg = alembic_config()
        command.upgrade(cfg, BEFORE)
        engine = make_engine(scratch_url)
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO country (code, alpha3) VALUES ('AT', 'AUT')"))
            conn.execute(text("INSERT INTO organisation (name, kind, created_at) "
                              "VALUES ('Institute', 'ngo', CURRENT_TIMESTAMP)"))
            organisation = conn.execute(text("SELECT id FROM organisation")).scalar_one()
            old_guest = _user(conn, "old.guest@example.org", verified=True)
            verified = _user(conn, "Verified.Person@example.org", verified=True)
            unverified = _user(conn, "unverified@example.org", verified=False)
            already = _user(conn, "already@example.org", verified=True)
            first, second = _consultation(conn, "First"), _consultation(conn, "Second")
            _invite(conn, first, user=old_guest)
            _invite(conn, first, organisation=organisation)

        command.upgrade(cfg, AFTER)
        with engine.begin() as conn:
            assert _rows(conn) == {(first, old_guest, None), (first, None, organisation)}
            _invite(conn, first, email="verified.person@example.org")
            _invite(conn, second, email="verified.person@example.org")
            _invite(conn, first, email="unverified@example.org")
            _invite(conn, first, email="nobody@example.org")
            _invite(conn, first, user=already)
            _invite(conn, first, email="already@example.org")
        for broken in ({"email": "nobody@example.org"}, {"user": verified, "email": "x@example.org"}, {}):
            with pytest.raises(IntegrityError), engine.begin() as conn:
                _invite(conn, first, **broken)  # the same address twice; two invitees; none

        command.downgrade(cfg, BEFORE)
        with engine.begin() as conn:
            assert _rows(conn) == {(first, old_guest, None), (first, None, organisation), (first, already, None),
                                   (first, verified, None), (second, verified, None)}
            assert unverified not in {row[1] for row in _rows(conn)}
        command.upgrade(cfg, "head")
        engine.dispose()
