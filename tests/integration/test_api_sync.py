"""Syncing from the read API: ETags and 304 on every GET, updated_since on
consultations, comments and summaries (bad or future dates: 400 with an
error object), thread structure on comments, JSON errors for every 4xx."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from app.comments.models import Comment
from app.consultations.models import Consultation
from app.core.db import utcnow
from tests.factories import make_user
from tests.integration.test_comments_fixtures import add_comment, make_consultation
from tests.integration.test_summaries_support import moderator, published_summary


def _paths(consultation) -> list[str]:
    return ["/api/v1/openapi.json", "/api/v1/consultations", f"/api/v1/consultations/{consultation.id}",
            f"/api/v1/consultations/{consultation.id}/comments", "/api/v1/regions/OSCE/coverage"]


def test_every_get_answers_if_none_match_with_304(session, client):
    consultation = make_consultation(session)
    add_comment(session, consultation, make_user(session), body="First.")
    for path in _paths(consultation):
        first = client.get(path)
        assert first.status_code == 200 and first.headers.get("ETag"), path
        assert "Authorization" in first.headers.get("Vary", "")
        again = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304 and again.data == b"", path
        assert client.get(path, headers={"If-None-Match": '"something-else"'}).status_code == 200


def test_the_etag_changes_when_the_content_does(session, client):
    consultation = make_consultation(session)
    path = f"/api/v1/consultations/{consultation.id}/comments"
    before = client.get(path).headers["ETag"]
    add_comment(session, consultation, make_user(session), body="New point.")
    after = client.get(path, headers={"If-None-Match": before})
    assert after.status_code == 200 and after.headers["ETag"] != before


def test_updated_since_returns_only_comments_changed_since(session, client):
    consultation = make_consultation(session)
    old = add_comment(session, consultation, make_user(session), body="Old.")
    new = add_comment(session, consultation, make_user(session), body="New.")
    session.execute(update(Comment).where(Comment.id == old.id).values(updated_at=utcnow() - timedelta(days=3)))
    since = (utcnow() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    items = client.get(f"/api/v1/consultations/{consultation.id}/comments?updated_since={since}").get_json()["items"]
    assert [c["id"] for c in items] == [new.id]
    everything = client.get(f"/api/v1/consultations/{consultation.id}/comments").get_json()["items"]
    assert {c["id"] for c in everything} == {old.id, new.id}


def test_updated_since_on_consultations(session, client):
    fresh, stale = make_consultation(session), make_consultation(session)
    session.execute(update(Consultation).where(Consultation.id == stale.id)
                    .values(updated_at=utcnow() - timedelta(days=10)))
    since = (utcnow() - timedelta(days=1)).isoformat()
    ids = [c["id"] for c in client.get("/api/v1/consultations", query_string={"updated_since": since,
                                                                               "per_page": 100}).get_json()["items"]]
    assert fresh.id in ids and stale.id not in ids


def test_a_summary_published_before_updated_since_is_not_modified(session, client):
    consultation = make_consultation(session)
    published_summary(session, consultation, moderator(session), now=utcnow() - timedelta(days=2))
    path = f"/api/v1/consultations/{consultation.id}/summary"
    assert client.get(path, query_string={"updated_since": (utcnow() - timedelta(days=1)).isoformat()}
                      ).status_code == 304
    assert client.get(path, query_string={"updated_since": (utcnow() - timedelta(days=3)).isoformat()}
                      ).status_code == 200


@pytest.mark.parametrize("value", ["yesterday", "", "2026-13-45", "2026-12-01T25:00:00Z", "9999-12-31T23:59:59Z",
                                   "1" * 100, "2026-12-01T00:00:00+99:00", "\u0661\u0662"])
@pytest.mark.parametrize("path", ["/api/v1/consultations", "/api/v1/consultations/{id}/comments",
                                  "/api/v1/consultations/{id}/summary"])
def test_bad_or_future_updated_since_is_a_400_with_an_error_object(session, client, value, path):
    consultation = make_consultation(session)
    response = client.get(path.format(id=consultation.id), query_string={"updated_since": value})
    assert response.status_code == 400 and response.is_json
    body = response.get_json()
    assert body["status"] == 400 and body["parameter"] == "updated_since" and body["detail"]


def test_a_date_in_the_near_future_within_clock_skew_is_accepted(session, client):
    soon = (utcnow() + timedelta(minutes=1)).isoformat()
    assert client.get("/api/v1/consultations", query_string={"updated_since": soon}).status_code == 200


def test_published_comments_carry_their_thread_structure(session, client):
    consultation = make_consultation(session)
    section = consultation.current_version.sections[0]
    top = add_comment(session, consultation, make_user(session), section=section, body="Top.")
    reply = add_comment(session, consultation, make_user(session), section=section, parent=top, body="Reply.")
    items = {c["id"]: c for c in client.get(f"/api/v1/consultations/{consultation.id}/comments").get_json()["items"]}
    assert items[reply.id]["parent_id"] == top.id and items[reply.id]["depth"] == 1
    assert items[top.id]["parent_id"] is None and items[top.id]["depth"] == 0
    assert items[reply.id]["section_anchor"] == section.anchor
    assert items[reply.id]["version"] >= 1 and items[reply.id]["updated_at"].endswith("Z")


@pytest.mark.parametrize("method, path, status", [
    ("get", "/api/v1/consultations?per_page=abc", 400),
    ("get", "/api/v1/consultations?status=nonsense", 400),
    ("get", "/api/v1/consultations/987654321", 404),
    ("get", "/api/v1/me/digests", 401),
    ("post", "/api/v1/consultations", 405),
    ("delete", "/api/v1/consultations", 405),
    ("get", "/api/v1/no-such-thing", 404),
])
def test_every_4xx_under_the_api_is_a_json_error_object(client, method, path, status):
    response = getattr(client, method)(path)
    assert response.status_code == status and response.is_json
    assert response.get_json()["status"] == status and response.get_json()["error"]


@pytest.mark.parametrize("parameter, value", [("country", "\x00"), ("country", "LUX"), ("region", "OS\x00CE"),
                                              ("region", "x" * 40), ("obligation", "OP3d\x00"),
                                              ("obligation", "<script>")])
def test_filters_that_cannot_be_codes_are_a_400_naming_them(client, parameter, value):
    response = client.get("/api/v1/consultations", query_string={parameter: value})
    assert response.status_code == 400 and response.get_json()["parameter"] == parameter


def test_a_region_code_with_a_nul_byte_is_not_found(client):
    response = client.get("/api/v1/regions/OS%00CE/coverage")
    assert response.status_code == 404 and response.is_json
