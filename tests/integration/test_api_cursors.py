"""Cursor pagination of the read API: ``next`` carries a signed cursor; rows
added between two pages never make a client skip or see twice a row it has
not reached; a cursor of another list, altered, forged or not a cursor at
all is a 400 error object naming ``cursor``."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from itsdangerous import URLSafeSerializer

from app.api.cursors import SALT, make_cursor, query_identity
from tests.factories import login, make_user
from tests.integration.test_api import _digest
from tests.integration.test_comments_fixtures import add_comment, make_consultation
from tests.integration.test_summaries_support import focal_point


def _walk(client, url: str, between=None) -> list[list[int]]:
    """Every page's ids, following ``next``; ``between(n)`` runs after page n is read."""
    pages = []
    while url:
        body = client.get(url).get_json()
        pages.append([item["id"] for item in body["items"]])
        if between is not None:
            between(len(pages))
        url = body["next"]
    return pages


def _cursor(url: str) -> str:
    return parse_qs(urlsplit(url).query)["cursor"][0]


def test_comments_added_while_paging_never_make_a_client_skip_or_repeat_one(session, client):
    consultation = make_consultation(session)
    people = [make_user(session) for _ in range(3)]
    roots = [add_comment(session, consultation, people[i % 3], body=f"Root {i}.") for i in range(4)]
    replies = [add_comment(session, consultation, people[(i + 1) % 3], parent=roots[i], body=f"Reply {i}.")
               for i in range(3)]
    before = [c.id for c in (roots[0], replies[0], roots[1], replies[1], roots[2], replies[2], roots[3])]
    late_replies, late_roots = [], []

    def post_more(page: int) -> None:
        if page > 2:
            return
        # A reply that sorts before the cursor (in the first thread) and a thread that sorts after it.
        late_replies.append(add_comment(session, consultation, people[0], parent=roots[0],
                                        body=f"Late reply {page}.").id)
        late_roots.append(add_comment(session, consultation, people[1], body=f"Late root {page}.").id)

    pages = _walk(client, f"/api/v1/consultations/{consultation.id}/comments?per_page=2", post_more)
    seen = [i for page in pages for i in page]
    assert len(seen) == len(set(seen)), "a comment was repeated"
    assert [i for i in seen if i in before] == before  # every earlier comment once, in thread order
    assert seen[-2:] == late_roots  # new threads sort after the cursor: the same pass reaches them
    # A late reply the cursor had passed is left for the next sync (updated_since); none comes twice.
    assert late_replies[0] in seen and late_replies[1] not in seen


def test_comments_with_numbered_pages_would_repeat_one_a_cursor_does_not(session, client):
    consultation = make_consultation(session)
    author = make_user(session)
    first = add_comment(session, consultation, author, body="First.")
    for n in range(3):
        add_comment(session, consultation, author, body=f"Later {n}.")
    url = f"/api/v1/consultations/{consultation.id}/comments?per_page=2"
    by_number = client.get(url + "&page=1").get_json()
    by_cursor = client.get(url).get_json()
    add_comment(session, consultation, author, parent=first, body="A reply that sorts first.")
    numbered = by_number["items"] + client.get(by_number["next"]).get_json()["items"]
    cursored = by_cursor["items"] + client.get(by_cursor["next"]).get_json()["items"]
    numbered_ids, cursored_ids = [c["id"] for c in numbered], [c["id"] for c in cursored]
    assert len(numbered_ids) != len(set(numbered_ids))  # the old way shows the second comment twice
    assert len(cursored_ids) == len(set(cursored_ids)) == 4


def test_consultations_published_while_paging_come_at_the_end(session, client):
    before = [make_consultation(session, country="IS").id for _ in range(5)]
    added = []
    pages = _walk(client, "/api/v1/consultations?country=IS&per_page=2",
                  lambda _n: added.append(make_consultation(session, country="IS").id) if len(added) < 2 else None)
    seen = [i for page in pages for i in page]
    assert seen == sorted(before + added)  # oldest first: nothing skipped, nothing twice, new ones reached


def test_my_digests_page_by_cursor_newest_first(session, client):
    katrin = focal_point(session)
    digests = [_digest(session, katrin, f"W2026-{40 + n}").id for n in range(5)]
    login(client, katrin)
    pages = _walk(client, "/api/v1/me/digests?per_page=2")
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [i for page in pages for i in page] == sorted(digests, reverse=True)


def _refused(response) -> None:
    assert response.status_code == 400 and response.is_json
    body = response.get_json()
    assert body["status"] == 400 and body["parameter"] == "cursor" and body["detail"] and body["error"]


def test_a_cursor_of_another_list_is_refused(session, client):
    one, other = make_consultation(session, country="IS"), make_consultation(session, country="IS")
    make_consultation(session, country="IS")
    for consultation in (one, other):
        for n in range(3):
            add_comment(session, consultation, make_user(session), body=f"Comment {n}.")
    listing = client.get("/api/v1/consultations?country=IS&per_page=1").get_json()
    cursor = listing["next_cursor"]
    assert client.get("/api/v1/consultations", query_string={"country": "IS", "per_page": 1,
                                                             "cursor": cursor}).status_code == 200
    # Same endpoint, other filters; another endpoint; another consultation's comments.
    for path, args in (("/api/v1/consultations", {"country": "LU"}),
                       ("/api/v1/consultations", {"country": "IS", "status": "open"}),
                       ("/api/v1/consultations", {"country": "IS", "updated_since": "2026-01-01T00:00:00Z"}),
                       (f"/api/v1/consultations/{one.id}/comments", {})):
        _refused(client.get(path, query_string={**args, "cursor": cursor}))
    comments = client.get(f"/api/v1/consultations/{one.id}/comments?per_page=1").get_json()["next_cursor"]
    _refused(client.get(f"/api/v1/consultations/{other.id}/comments", query_string={"cursor": comments}))
    assert client.get(f"/api/v1/consultations/{one.id}/comments",
                      query_string={"cursor": comments}).status_code == 200


@pytest.mark.parametrize("make_bad", [
    lambda good: "",
    lambda good: "not-a-cursor",
    lambda good: good[:-2] + ("AA" if good[-2:] != "AA" else "BB"),  # signature altered
    lambda good: "x" + good,
    lambda good: good * 20,  # far too long
    lambda good: "é" + good,
    lambda good: "%00",
    lambda good: URLSafeSerializer("someone-else's-key", salt=SALT).dumps({"q": "x", "k": [1]}),
], ids=["empty", "garbage", "altered", "prefixed", "long", "non-ascii", "nul", "forged"])
def test_malformed_altered_or_forged_cursors_are_refused(session, client, make_bad):
    for _ in range(3):
        make_consultation(session, country="IS")
    good = client.get("/api/v1/consultations?country=IS&per_page=1").get_json()["next_cursor"]
    _refused(client.get("/api/v1/consultations", query_string={"country": "IS", "cursor": make_bad(good)}))


def test_a_signed_cursor_with_a_key_of_the_wrong_shape_is_refused(app, session, client):
    consultation = make_consultation(session)
    identity = query_identity("comments", consultation=consultation.id, updated_since=None)
    with app.app_context():
        wrong = [make_cursor(identity, ["only-a-path"]), make_cursor(identity, [1, "path"]),
                 make_cursor(identity, ["path", True]), make_cursor(identity, {"path": 1})]
    for cursor in wrong:
        _refused(client.get(f"/api/v1/consultations/{consultation.id}/comments", query_string={"cursor": cursor}))


def test_the_cursor_wins_over_a_page_number(session, client):
    ids = [make_consultation(session, country="IS").id for _ in range(3)]
    first = client.get("/api/v1/consultations?country=IS&per_page=2").get_json()
    second = client.get("/api/v1/consultations", query_string={"country": "IS", "per_page": 2, "page": 1,
                                                               "cursor": _cursor(first["next"])}).get_json()
    assert [i["id"] for i in second["items"]] == [max(ids)] and "pages" not in second
