"""The read API (/api/v1): its OpenAPI document matches the URL map, it shows
exactly what the pages show (invited-only consultations, restricted comments
and summaries, other people's digests stay hidden), lists are paginated,
errors are JSON, and it is rate limited."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from app.consultations.models import Visibility
from app.digests.models import Digest
from tests.factories import login, make_user
from tests.integration.test_accounts_helpers import fresh_client, other_app
from tests.integration.test_comments_fixtures import add_comment, make_consultation
from tests.integration.test_summaries_support import (
    focal_point,
    moderator,
    open_consultation_with_comments,
    published_summary,
)

CANARY = "SECRET-PORT-DETAILS"  # the body of the restricted comment in open_consultation_with_comments


def _flask_to_openapi(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule)


def test_openapi_document_describes_every_api_route_and_nothing_else(app, client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.is_json
    document = response.get_json()
    assert document["openapi"].startswith("3.1")
    routed = {_flask_to_openapi(rule.rule) for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1")}
    described = set(document["paths"])
    assert routed == described, f"only routed: {routed - described}; only described: {described - routed}"
    schemas = document["components"]["schemas"]
    refs = set(re.findall(r'"#/components/schemas/([^"]+)"', response.get_data(as_text=True)))
    assert refs <= set(schemas), f"dangling $refs: {refs - set(schemas)}"


def test_visitor_reads_public_consultations_but_invited_only_ones_do_not_exist(session, client):
    public = make_consultation(session, country="LU")
    invited = make_consultation(session, country="LU", visibility=Visibility.INVITED)

    listing = client.get("/api/v1/consultations?country=LU").get_json()
    assert [item["id"] for item in listing["items"]] == [public.id]
    assert listing["total"] == 1 and listing["items"][0]["status"] == "open"

    detail = client.get(f"/api/v1/consultations/{public.id}").get_json()
    first = detail["current_version"]["sections"][0]
    assert (first["number"], first["heading"], first["anchor"]) == ("Article 1", "Licensing 1", "article-1")
    assert "license the export of item 1" in first["body_html"]
    assert detail["closes_at"].endswith("Z")

    for path in ("", "/comments", "/summary"):
        hidden = client.get(f"/api/v1/consultations/{invited.id}{path}")
        assert hidden.status_code == 404 and hidden.is_json and hidden.get_json()["status"] == 404

    login(client, moderator(session))  # global moderators read invited-only consultations
    assert client.get(f"/api/v1/consultations/{invited.id}").status_code == 200
    assert invited.id in [c["id"] for c in client.get("/api/v1/consultations?country=LU").get_json()["items"]]


def _every_response(client, consultation) -> str:
    paths = ["/api/v1/openapi.json", "/api/v1/consultations?per_page=100", f"/api/v1/consultations/{consultation.id}",
             f"/api/v1/consultations/{consultation.id}/comments?per_page=100",
             f"/api/v1/consultations/{consultation.id}/summary", "/api/v1/regions/OSCE/coverage",
             "/api/v1/me/digests"]
    return "\n".join(client.get(path).get_data(as_text=True) for path in paths)


def test_restricted_comment_never_reaches_visitors_or_participants_but_moderators_read_it(session, client):
    consultation, comments = open_consultation_with_comments(session)
    mod = moderator(session)
    restricted = comments["restricted"]
    published_summary(session, consultation, mod, comment_ids=[comments["opposes"].id])

    visitor = _every_response(client, consultation)
    assert CANARY not in visitor
    assert "Transit is too narrow." in visitor  # public comments are there
    point, = client.get(f"/api/v1/consultations/{consultation.id}/summary").get_json()["points"]
    assert point["comment_ids"] == [comments["opposes"].id]

    login(client, make_user(session))
    assert CANARY not in _every_response(client, consultation)
    client.post("/logout")

    login(client, mod)
    listed = client.get(f"/api/v1/consultations/{consultation.id}/comments?per_page=100").get_json()["items"]
    shown = {c["id"]: c for c in listed}
    assert CANARY in shown[restricted.id]["body_html"] and shown[restricted.id]["audience"] == "restricted"


def test_comments_never_carry_email_addresses(session, client):
    consultation = make_consultation(session)
    author = make_user(session, email="private-person@example.org", display_name="Pat Public")
    add_comment(session, consultation, author, body="Define brokering.")
    body = client.get(f"/api/v1/consultations/{consultation.id}/comments").get_data(as_text=True)
    assert "Pat Public" in body and "Define brokering." in body
    assert "private-person" not in body and "@example.org" not in body


def test_restricted_summary_is_404_for_visitors_and_readable_by_focal_points_in_scope(session, client):
    consultation, comments = open_consultation_with_comments(session)
    published_summary(session, consultation, moderator(session), overall="Confidential overview.", restricted=True,
                      comment_ids=[comments["restricted"].id])
    assert client.get(f"/api/v1/consultations/{consultation.id}/summary").status_code == 404
    login(client, focal_point(session))  # OSCE; the consultation is AT, in the OSCE
    summary = client.get(f"/api/v1/consultations/{consultation.id}/summary").get_json()
    assert summary["restricted"] is True and "Confidential overview." in summary["overall_html"]
    assert summary["points"][0]["comment_ids"] == [comments["restricted"].id]
    client.post("/logout")
    login(client, focal_point(session, key="AU"))  # out of scope: as if there were no summary
    assert client.get(f"/api/v1/consultations/{consultation.id}/summary").status_code == 404


def _digest(session, user, period: str) -> Digest:
    start = datetime(2026, 11, 23, tzinfo=UTC)
    digest = Digest(user_id=user.id, period_key=period, frequency="weekly", period_start=start,
                    period_end=start + timedelta(days=7), subject=f"Agora 1540 digest {period}",
                    body_html=f"<p>Body of {period}</p>", body_text=f"Body of {period}",
                    dedupe_key=f"digest:test:{user.id}:{period}")
    session.add(digest)
    session.flush()
    return digest


def test_focal_points_read_their_own_digests_and_get_404_for_others(session, client):
    katrin, other = focal_point(session), focal_point(session)
    mine = _digest(session, katrin, "W2026-48")
    theirs = _digest(session, other, "W2026-48")

    login(client, katrin)
    listing = client.get("/api/v1/me/digests").get_json()
    assert [d["id"] for d in listing["items"]] == [mine.id]
    detail = client.get(f"/api/v1/me/digests/{mine.id}").get_json()
    assert detail["body_text"] == "Body of W2026-48" and detail["period_start"] == "2026-11-23T00:00:00Z"
    forbidden = client.get(f"/api/v1/me/digests/{theirs.id}")
    assert forbidden.status_code == 404 and forbidden.is_json
    assert "Body of" not in forbidden.get_data(as_text=True)


def test_anonymous_callers_of_my_digests_get_401_json(client):
    for path in ("/api/v1/me/digests", "/api/v1/me/digests/1"):
        response = client.get(path)
        assert response.status_code == 401 and response.is_json
        assert response.get_json()["status"] == 401
        assert "Location" not in response.headers


def test_lists_are_paginated_with_next_links_and_a_capped_page_size(session, client):
    ids = [make_consultation(session, country="IS").id for _ in range(3)]
    first = client.get("/api/v1/consultations?country=IS&per_page=2").get_json()
    assert (first["total"], first["per_page"], len(first["items"])) == (3, 2, 2)
    carried = parse_qs(urlsplit(first["next"]).query)
    assert carried["country"] == ["IS"] and carried["cursor"] == [first["next_cursor"]] and "page" not in carried
    second = client.get(first["next"]).get_json()
    assert second["next"] is None and second["next_cursor"] is None
    assert [i["id"] for i in first["items"] + second["items"]] == sorted(ids)

    assert client.get("/api/v1/consultations?country=IS&per_page=5000").get_json()["per_page"] == 100
    for bad, parameter in (("per_page=lots", "per_page"), ("per_page=0", "per_page"), ("status=nonsense", "status")):
        response = client.get(f"/api/v1/consultations?{bad}")
        assert response.status_code == 400 and response.is_json and response.get_json()["parameter"] == parameter


def test_numbered_pages_still_work_for_older_clients(session, client):
    ids = [make_consultation(session, country="IS").id for _ in range(3)]
    first = client.get("/api/v1/consultations?country=IS&per_page=2&page=1").get_json()
    assert (first["total"], first["pages"], first["page"], first["prev"]) == (3, 2, 1, None)
    assert len(first["items"]) == 2 and "country=IS" in first["next"] and "page=2" in first["next"]
    second = client.get(first["next"]).get_json()
    assert second["next"] is None and second["prev"] is not None
    assert sorted(i["id"] for i in first["items"] + second["items"]) == sorted(ids)


def test_comment_list_pages_through_a_thread_in_thread_order(session, client):
    consultation = make_consultation(session)
    people = [make_user(session) for _ in range(3)]
    root = add_comment(session, consultation, people[0], body="Root.")
    reply = add_comment(session, consultation, people[1], parent=root, body="Reply.")
    later = add_comment(session, consultation, people[2], body="Later.")
    url = f"/api/v1/consultations/{consultation.id}/comments?per_page=2"
    first = client.get(url).get_json()
    second = client.get(first["next"]).get_json()
    assert [c["id"] for c in first["items"] + second["items"]] == [root.id, reply.id, later.id]
    assert first["items"][1]["parent_id"] == root.id and first["total"] == 3


def test_comment_list_query_count_does_not_grow_with_comments(session, client, query_counter):
    def count(n: int) -> int:
        consultation = make_consultation(session)
        for i in range(n):
            add_comment(session, consultation, make_user(session), body=f"Comment {i}.",
                        section=consultation.current_version.sections[i % 2])
        with query_counter() as counter:
            assert client.get(f"/api/v1/consultations/{consultation.id}/comments?per_page=100").status_code == 200
        return counter.count

    assert count(2) == count(12)


def test_region_coverage_counts_only_readable_drafts(session, client):
    make_consultation(session, country="AT", visibility=Visibility.INVITED)
    data = client.get("/api/v1/regions/osce/coverage").get_json()
    assert data["region"]["code"] == "OSCE"
    austria, = [s for s in data["states"] if s["country"] == "AT"]
    assert austria["consultation_ids"] == []
    assert client.get("/api/v1/regions/NOPE/coverage").status_code == 404


@pytest.fixture()
def limited(app, connection):
    with other_app(connection, RATELIMIT_ENABLED=True, API_RATELIMIT="2 per minute") as limited_app:
        yield limited_app


def test_the_api_is_rate_limited_per_client_address(limited):
    client = fresh_client(limited)
    client.environ_base["REMOTE_ADDR"] = "10.15.40.1"
    assert [client.get("/api/v1/consultations").status_code for _ in range(2)] == [200, 200]
    paused = client.get("/api/v1/consultations")
    assert paused.status_code == 429 and paused.is_json and int(paused.headers["Retry-After"]) > 0
    other = fresh_client(limited)
    other.environ_base["REMOTE_ADDR"] = "10.15.40.2"
    assert other.get("/api/v1/consultations").status_code == 200


def test_unknown_api_paths_answer_in_json(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404 and response.is_json
