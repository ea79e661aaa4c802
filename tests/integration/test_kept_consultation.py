"""The consultation's row and its versions, kept for the pages under it
(app/consultations/loading.py): served without a query while nothing changes,
and never older than the row, above all for who may see it."""

from __future__ import annotations

import json
from datetime import timedelta

from app.consultations.loading import _detached, _values
from app.consultations.models import Consultation, DraftVersion, Visibility
from app.core.cache import page_cache
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
    kept = json.loads(json.dumps(_values(consultation)))  # as the Redis store keeps them
    again = _detached(Consultation, kept)
    for column in Consultation.__mapper__.column_attrs:
        assert getattr(again, column.key) == getattr(consultation, column.key), column.key
    version = consultation.versions[0]
    assert _detached(DraftVersion, json.loads(json.dumps(_values(version)))).published_at == version.published_at
