"""The consultation's row and its versions, kept for the pages under it
(app/consultations/loading.py): served without a query while nothing changes,
and never older than the row, above all for who may see it."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from app.consultations.loading import detached_row, row_values
from app.consultations.models import Consultation, DraftVersion, Visibility
from app.core.cache import PageCache, page_cache
from app.core.cache_stores import RedisStore
from app.core.db import utcnow
from tests.factories import login, make_user
from tests.integration.test_comments_fixtures import make_consultation, publish_new_version


def _url(consultation, anchor: str = "article-1") -> str:
    return f"/consultations/{consultation.id}/sections/{anchor}"


def _rows(app) -> tuple[int, int]:
    cache = page_cache(app)
    return cache.row_renders, cache.row_hits


def test_a_signed_in_reader_gets_the_kept_row_without_a_query(app, client, session, query_counter):
    consultation = make_consultation(session)
    login(client, make_user(session))
    session.commit()
    renders, hits = _rows(app)
    with query_counter() as first:
        assert client.get(_url(consultation)).status_code == 200
    with query_counter() as second:
        assert client.get(_url(consultation)).status_code == 200
    assert _rows(app) == (renders + 1, hits + 1)
    loads = [s for s in first.statements if "FROM consultation LEFT OUTER JOIN draft_version" in s]
    assert len(loads) == 1
    assert not [s for s in second.statements if "FROM consultation LEFT OUTER JOIN draft_version" in s]


def test_invited_only_takes_effect_on_the_next_page(app, client, session):
    consultation = make_consultation(session)
    login(client, make_user(session))
    session.commit()
    assert client.get(_url(consultation)).status_code == 200
    assert client.get(_url(consultation)).status_code == 200
    consultation.visibility = Visibility.INVITED
    session.commit()
    assert client.get(_url(consultation)).status_code == 404
    assert client.get(f"/consultations/{consultation.id}/comments").status_code == 404


def test_closing_and_a_new_version_show_on_the_next_page(app, client, session):
    consultation = make_consultation(session)
    login(client, make_user(session))
    session.commit()
    closed = "This consultation is closed; it accepts no new comments."
    assert closed not in client.get(_url(consultation)).get_data(as_text=True)
    consultation.closes_at = utcnow() - timedelta(minutes=1)
    session.commit()
    assert closed in client.get(_url(consultation)).get_data(as_text=True)
    publish_new_version(session, consultation)
    session.commit()
    page = client.get(_url(consultation)).get_data(as_text=True)
    assert "version 2" in page and "Amended." in page


def test_the_kept_values_make_the_same_rows_after_json(session):
    consultation = make_consultation(session)
    kept = json.loads(json.dumps(row_values(consultation)))  # as the Redis store keeps them
    again = detached_row(Consultation, kept)
    for column in Consultation.__mapper__.column_attrs:
        assert getattr(again, column.key) == getattr(consultation, column.key), column.key
    version = consultation.versions[0]
    assert detached_row(DraftVersion, json.loads(json.dumps(row_values(version)))).published_at == version.published_at


def test_kept_rows_and_layout_come_back_whole_from_redis(app, client, session):
    """Redis keeps JSON: the times of the kept rows come back as times, and the layout's slots
    are filled in a page served by another process's copy."""
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/13"  # a database of its own: clearing it leaves other tests alone
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    consultation = make_consultation(session)
    login(client, make_user(session, display_name="Redis Reader"))
    session.commit()
    kept = app.extensions["agora_page_cache"]
    one, two = (PageCache(RedisStore(url, 60), kept.build) for _ in range(2))
    one.clear()
    try:
        app.extensions["agora_page_cache"] = one
        first = client.get(_url(consultation))
        app.extensions["agora_page_cache"] = two  # another process, the same Redis
        second = client.get(_url(consultation))
        assert first.status_code == second.status_code == 200
        assert two.row_hits == 1 and two.chrome_hits == 2 and two.chrome_renders == 0
        page = second.get_data(as_text=True)
        assert "Redis Reader" in page and "closes" in page.lower()
        assert "\\x00" not in page and "\x00" not in page  # every slot filled
    finally:
        app.extensions["agora_page_cache"] = kept
        one.clear()
