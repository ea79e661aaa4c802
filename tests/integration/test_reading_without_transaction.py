"""Page views on PostgreSQL read without a transaction (app/core/db.py, ``reading_engine``): no
BEGIN and no COMMIT around what they read, while anything they write or lock still happens in one
transaction that holds its locks until it ends and leaves nothing when it is not committed. Run on
a database of its own, whose sessions commit for real (the rest of the suite reads inside each
test's own transaction)."""

from __future__ import annotations

import os
import uuid
from contextlib import contextmanager

import pytest
from psycopg.pq import TransactionStatus
from sqlalchemy import create_engine, select, text

from app.accounts.models import Role
from app.core.audit import verify_chain
from app.core.db import db
from app.core.models import AuditEntry, ContentToken
from tests.factories import grant, login, make_user
from tests.integration.test_moderation_support import migrated

pytestmark = pytest.mark.skipif(not (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgresql"),
                                reason="PostgreSQL's transactions")


@pytest.fixture()
def scratch(scratch_url):
    with migrated(scratch_url) as (app, maker):
        other = create_engine(scratch_url, isolation_level="AUTOCOMMIT")  # another client of the database
        try:
            yield app, maker, other
        finally:
            other.dispose()


@contextmanager
def _page(app, method: str):
    """A request of its own (its own application context, as in production)."""
    with app.app_context(), app.test_request_context("/", method=method):
        yield


def _status():
    """Where the request's database connection stands: idle (no transaction) or in one."""
    return db.session.connection().connection.dbapi_connection.info.transaction_status


def _others_take(other, key: int) -> bool:
    with other.connect() as conn:
        taken = conn.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": key})
        if taken:
            conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
        return taken


def _token(other, scope: str) -> str | None:
    with other.connect() as conn:
        return conn.scalar(text("SELECT token FROM content_token WHERE scope = :s"), {"s": scope})


def test_a_page_view_that_locks_rows_waits_for_and_holds_them_in_a_transaction(scratch):
    app, maker, other = scratch
    scope = f"test:{uuid.uuid4().hex[:8]}"
    with maker() as setup:
        setup.add(ContentToken(scope=scope, token="t0"))
        setup.commit()
    with _page(app, "GET"):
        db.session.execute(text("SELECT scope FROM content_token WHERE scope = :s FOR NO KEY UPDATE"), {"s": scope})
        assert _status() == TransactionStatus.INTRANS
        with other.connect() as conn:  # another writer cannot take the row meanwhile
            conn.execute(text("SET lock_timeout = '200ms'"))
            with pytest.raises(Exception, match="lock timeout"):
                conn.execute(text("UPDATE content_token SET token = 'x' WHERE scope = :s"), {"s": scope})
        db.session.rollback()
    assert _token(other, scope) == "t0"


def test_a_page_view_reads_outside_a_transaction_and_a_form_post_inside_one(scratch):
    app, _maker, _other = scratch
    for _ in range(2):  # the second time on the connection the first one gave back to the pool
        with _page(app, "GET"):
            db.session.execute(select(1))
            assert _status() == TransactionStatus.IDLE
        with _page(app, "POST"):
            db.session.execute(select(1))
            assert _status() == TransactionStatus.INTRANS


def test_a_page_view_that_locks_holds_the_lock_in_a_transaction_until_it_ends(scratch):
    app, _maker, other = scratch
    key = 4242
    with _page(app, "GET"):
        db.session.execute(select(1))
        db.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": key})
        assert _status() == TransactionStatus.INTRANS
        assert not _others_take(other, key)
        db.session.commit()
        assert _others_take(other, key)
        db.session.execute(select(1))  # the next transaction of the page view reads outside one again
        assert _status() == TransactionStatus.IDLE


@pytest.mark.parametrize("committed", [False, True], ids=["left", "committed"])
def test_a_page_view_that_writes_keeps_what_it_commits_only(scratch, committed):
    app, _maker, other = scratch
    scope = f"test:{uuid.uuid4().hex[:8]}"
    with _page(app, "GET"):
        db.session.execute(select(1))
        db.session.add(ContentToken(scope=scope, token="t1"))
        db.session.flush()
        db.session.add(ContentToken(scope=scope + ":2", token="t2"))
        db.session.flush()
        assert _status() == TransactionStatus.INTRANS
        assert _token(other, scope) is None  # not seen before the commit: one transaction
        if committed:
            db.session.commit()
    assert _token(other, scope) == ("t1" if committed else None)
    assert _token(other, scope + ":2") == ("t2" if committed else None)


def test_a_download_audited_from_a_page_view_chains_its_entry(scratch):
    """The comments export is a GET that writes its audit entry under the audit lock."""
    app, maker, _other = scratch
    with maker() as setup:
        admin = make_user(setup, email=f"admin-{uuid.uuid4().hex[:8]}@example.org")
        grant(setup, admin, Role.ADMIN)
        setup.commit()
        client = app.test_client()
        assert login(client, admin).status_code == 302
    response = client.get("/manage/moderation/comments.csv")
    assert response.status_code == 200
    response.get_data()
    with maker() as check:
        entries = check.scalars(select(AuditEntry).where(AuditEntry.action.like("%export%"))).all()
        assert len(entries) == 1
        assert verify_chain(check).ok
