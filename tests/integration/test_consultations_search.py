"""Full-text search (FTS5 on SQLite, tsvector on PostgreSQL) behind one function."""

from __future__ import annotations

import pytest

from app.consultations import queries, services
from app.consultations.importers import parse_markdown
from app.consultations.search import fts5_query
from tests.conftest import CORPORA
from tests.integration.test_consultations_support import make_author, make_consultation
from tests.security.test_permissions import suite_engine  # noqa: F401 - autouse: the suite's database

SQLI = sorted((CORPORA / "payloadsallthethings" / "sqli").glob("*.txt"))


def _anonymous():
    from app.accounts.sessions import Anonymous

    return Anonymous()


def _search(session, q, **filters):
    return [c.id for c in queries.list_consultations(session, _anonymous(), queries.Filters(q=q, **filters)).items]


def test_search_finds_titles_summaries_and_section_text(session):
    author = make_author(session)
    a = make_consultation(session, author, title="Strategic goods zebrafinch act", summary="About quokkaworks.")
    body = "## Article 1 — Intermediaries\n\nEvery intermediary must register before arranging shipments."
    services.start_revision(session, a, actor=author)
    services.replace_sections(session, a, parse_markdown(body), actor=author)
    services.publish_version(session, a, change_note="Brokers.", actor=author)
    make_consultation(session, author, title="Unrelated decree")
    assert _search(session, "zebrafinch") == [a.id]
    assert _search(session, "QUOKKAWORKS") == [a.id]
    assert _search(session, "intermediaries") == [a.id]  # stemmed: intermediary / intermediaries
    assert _search(session, "zebrafinch unrelated") == []  # all words must match


def test_unpublished_text_is_not_searchable(session):
    author = make_author(session)
    consultation = make_consultation(session, author)
    services.start_revision(session, consultation, actor=author)
    services.replace_sections(session, consultation, parse_markdown("# Article 1\n\nSecret wombatlike clause."),
                              actor=author)
    assert _search(session, "wombatlike") == []
    draft_only = make_consultation(session, author, publish=False, title="Hidden platypusian draft")
    assert draft_only.id not in _search(session, "platypusian")


def test_search_combines_with_filters_and_paginates(session):
    author = make_author(session)
    ids = [make_consultation(session, author, sections=1, title=f"Numbat licensing {i}").id for i in range(25)]
    page1 = queries.list_consultations(session, _anonymous(), queries.Filters(q="numbat"), page=1)
    page2 = queries.list_consultations(session, _anonymous(), queries.Filters(q="numbat"), page=2)
    assert page1.total == 25 and page2.total == 25 and page1.pages == 2
    assert len(page1.items) == 20 and len(page2.items) == 5
    assert {c.id for c in page1.items + page2.items} == set(ids)
    assert _search(session, "numbat", status="closed") == []


@pytest.mark.parametrize("raw", ['"', "'", "AND", "OR NOT", "a*", "NEAR(", "col:value", "^", "-", ")", "\x00",
                                 "'; DROP TABLE consultation; --", "\\", "%", "_"])
def test_fts5_query_quotes_everything(raw):
    query = fts5_query(raw)
    assert query == "" or all(part.startswith('"') and part.endswith('"') for part in query.split(" "))


def test_hostile_search_strings_never_fail(session):
    author = make_author(session)
    make_consultation(session, author, title="Union select licensing")
    for path in SQLI:
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            _search(session, line)  # raises on a database error
    assert session.execute(__import__("sqlalchemy").text("SELECT 1")).scalar() == 1


@pytest.mark.parametrize("path", SQLI, ids=lambda p: p.name)
def test_hostile_search_strings_through_the_page_are_never_a_500(client, session, path):
    make_consultation(session, make_author(session))
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines()[:60]:
        for param in ("q", "country", "region", "obligation", "status", "page"):
            response = client.get("/consultations", query_string={param: line})
            assert response.status_code == 200, (param, line)
            assert "syntax error" not in response.get_data(as_text=True).lower()
