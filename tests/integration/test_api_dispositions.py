"""Dispositions (the comment-resolution table) in the read API and the open
data: shown with a published summary exactly as the resolution page shows
them to the same reader, answered comments only those the reader may read,
and a changed disposition counts as a change for ``updated_since``."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

from sqlalchemy import update

from app.core.db import utcnow
from app.summaries import services
from app.summaries.models import Decision, Disposition
from app.summaries.services import DispositionInput
from tests.factories import login
from tests.integration.test_api import CANARY
from tests.integration.test_open_data import _build, open_data_dir  # noqa: F401 - fixture
from tests.integration.test_summaries_resolution import _author
from tests.integration.test_summaries_support import moderator, open_consultation_with_comments, published_summary


def _with_disposition(session, *, restricted_summary=False, published_days_ago=0):
    consultation, comments = open_consultation_with_comments(session)
    published_summary(session, consultation, moderator(session), comment_ids=[comments["opposes"].id],
                      restricted=restricted_summary, now=utcnow() - timedelta(days=published_days_ago))
    section = consultation.current_version.sections[0]
    disposition = services.save_disposition(session, consultation, DispositionInput(
        section.id, "The transit definition is too narrow.", Decision.PARTLY_ACCEPTED,
        "Free zones are added; airports are not.", [comments["opposes"].id, comments["restricted"].id]),
        actor=_author(session))
    return consultation, comments, disposition


def test_the_summary_carries_its_dispositions_as_the_resolution_page_shows_them(session, client):
    consultation, comments, disposition = _with_disposition(session)
    summary = client.get(f"/api/v1/consultations/{consultation.id}/summary").get_json()
    row, = summary["dispositions"]
    assert row["id"] == disposition.id and row["consultation_id"] == consultation.id and row["round"] == 1
    assert (row["section_anchor"], row["decision"]) == ("article-1", "partly_accepted")
    assert row["point_raised"] == "The transit definition is too narrow."
    assert row["reason"] == "Free zones are added; airports are not."
    assert row["comment_ids"] == [comments["opposes"].id]  # the restricted comment it answers stays hidden
    assert row["point_ids"] == [summary["points"][0]["id"]] and row["updated_at"].endswith("Z")
    assert CANARY not in json.dumps(summary)
    page = client.get(f"/consultations/{consultation.id}/resolution").get_data(as_text=True)
    assert "The transit definition is too narrow." in page and "Free zones are added; airports are not." in page

    login(client, moderator(session))
    row, = client.get(f"/api/v1/consultations/{consultation.id}/summary").get_json()["dispositions"]
    assert row["comment_ids"] == sorted([comments["opposes"].id, comments["restricted"].id])


def test_the_summary_query_count_does_not_grow_with_dispositions(session, client, query_counter):
    def count(n: int) -> int:
        consultation, comments = open_consultation_with_comments(session)
        published_summary(session, consultation, moderator(session), comment_ids=[comments["opposes"].id])
        author = _author(session)
        sections = consultation.current_version.sections
        for i in range(n):
            services.save_disposition(session, consultation, DispositionInput(
                sections[i % 2].id, f"Point {i}.", Decision.ACCEPTED, "",
                [comments["opposes"].id, comments["question"].id]), actor=author)
        with query_counter() as counter:
            response = client.get(f"/api/v1/consultations/{consultation.id}/summary")
        assert len(response.get_json()["dispositions"]) == n
        return counter.count

    assert count(1) == count(6)


def test_a_summary_without_dispositions_has_an_empty_table(session, client):
    consultation, _comments = open_consultation_with_comments(session)
    published_summary(session, consultation, moderator(session))
    assert client.get(f"/api/v1/consultations/{consultation.id}/summary").get_json()["dispositions"] == []


def test_dispositions_of_a_restricted_summary_never_reach_visitors(session, client):
    consultation, _comments, _disposition = _with_disposition(session, restricted_summary=True)
    response = client.get(f"/api/v1/consultations/{consultation.id}/summary")
    assert response.status_code == 404 and "too narrow" not in response.get_data(as_text=True)


def test_a_disposition_changed_after_updated_since_makes_the_summary_new_again(session, client):
    consultation, _comments, disposition = _with_disposition(session, published_days_ago=3)
    path = f"/api/v1/consultations/{consultation.id}/summary"
    since = {"updated_since": (utcnow() - timedelta(days=1)).isoformat()}
    changed = client.get(path, query_string=since)
    assert changed.status_code == 200 and changed.get_json()["dispositions"][0]["id"] == disposition.id
    session.execute(update(Disposition).where(Disposition.id == disposition.id)
                    .values(updated_at=utcnow() - timedelta(days=2)))
    assert client.get(path, query_string=since).status_code == 304


def test_the_open_data_holds_the_public_dispositions(app, session, open_data_dir):  # noqa: F811
    consultation, comments, disposition = _with_disposition(session)
    _with_disposition(session, restricted_summary=True)
    archive = zipfile.ZipFile(io.BytesIO(_build(app, session).path.read_bytes()))
    rows = [json.loads(line) for line in archive.read("dispositions.jsonl").decode().splitlines()]
    assert [(r["id"], r["consultation_id"]) for r in rows] == [(disposition.id, consultation.id)]
    assert rows[0]["comment_ids"] == [comments["opposes"].id] and rows[0]["decision"] == "partly_accepted"
    summary, = [json.loads(line) for line in archive.read("summaries.jsonl").decode().splitlines()]
    assert summary["dispositions"] == rows
    assert json.loads(archive.read("README.json"))["files"]["dispositions.jsonl"] == 1
