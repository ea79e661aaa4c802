"""Stakeholder analytics of a consultation: known answers on seeded data, public
figures that never count a restricted or hidden comment, small counts withheld
from the public, exact figures for those who may read everything, CSV equal to
the tables, charts that are well-formed SVG, and a flat query count."""

from __future__ import annotations

import csv
import io
import re
import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import lxml.html
import pytest

from app.accounts.models import ORGANISATION_KINDS, OrganisationKind, Role, Scope
from app.comments.models import COMMENT_KINDS, STANCES, Audience, Comment, CommentKind, CommentStatus, Stance
from app.summaries.models import Decision, Disposition, DispositionComment, Summary
from tests.factories import grant, login, make_organisation, make_user
from tests.integration.test_consultations_support import make_author, make_consultation

MONDAY = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
FEWER = "fewer than 3"


def add(session, consultation, author, *, section=None, organisation=None, kind=CommentKind.COMMENT, stance=None,
        language="en", day=0, audience=Audience.PUBLIC, status=CommentStatus.PUBLISHED) -> Comment:
    comment = Comment(consultation_id=consultation.id, section_id=section.id if section else None,
                      version_id=consultation.current_version.id, author_id=author.id,
                      organisation_id=organisation.id if organisation else None, kind=kind, stance=stance,
                      language=language, audience=audience, status=status, body_source="x", body_html="<p>x</p>",
                      idempotency_key=uuid.uuid4().hex, created_at=MONDAY + timedelta(days=day))
    session.add(comment)
    session.flush()
    comment.root_id, comment.path = comment.id, str(comment.id).zfill(10)
    return comment


@pytest.fixture
def seeded(session):
    author = make_author(session, "AT")
    consultation = make_consultation(session, author, sections=3, open_now=True)
    s1, s2, s3 = consultation.current_version.sections
    ngo_a = make_organisation(session, kind=OrganisationKind.NGO, country_code="AT")
    ngo_b = make_organisation(session, kind=OrganisationKind.NGO, country_code="FR")
    academy = make_organisation(session, kind=OrganisationKind.ACADEMIA, country_code="DE")
    writer, canary_author = make_user(session), make_user(session)
    amend_a = add(session, consultation, writer, section=s1, organisation=ngo_a, kind=CommentKind.AMENDMENT,
                  stance=Stance.OPPOSES)
    add(session, consultation, writer, section=s1, organisation=ngo_a, stance=Stance.OPPOSES)
    add(session, consultation, writer, section=s1, organisation=ngo_b, stance=Stance.OPPOSES, language="fr", day=1)
    amend_academy = add(session, consultation, writer, section=s1, organisation=academy,
                        kind=CommentKind.AMENDMENT, stance=Stance.SUPPORTS, day=1)
    add(session, consultation, writer, section=s2, stance=Stance.NEUTRAL, day=7)
    add(session, consultation, writer, section=s2, organisation=ngo_b, kind=CommentKind.AMENDMENT,
        stance=Stance.SUPPORTS, language="fr", day=7)
    add(session, consultation, writer, organisation=academy, day=8)
    # Canaries: a restricted comment, a hidden one, a pending one and a withdrawn one, all on Article 3.
    restricted = add(session, consultation, canary_author, section=s3, organisation=ngo_a, stance=Stance.OPPOSES,
                     kind=CommentKind.AMENDMENT, language="ru", audience=Audience.RESTRICTED, day=3)
    hidden = add(session, consultation, canary_author, section=s3, organisation=academy, language="ar",
                 status=CommentStatus.HIDDEN, day=4)
    add(session, consultation, canary_author, section=s3, language="es", status=CommentStatus.PENDING, day=5)
    add(session, consultation, canary_author, section=s3, language="zh", status=CommentStatus.WITHDRAWN, day=5)
    summary = Summary(consultation_id=consultation.id)
    session.add(summary)
    session.flush()
    for decision, comments in ((Decision.ACCEPTED, [amend_a]), (Decision.PARTLY_ACCEPTED, [amend_academy]),
                               (Decision.NOT_ACCEPTED, [restricted, hidden])):
        disposition = Disposition(summary_id=summary.id, section_id=s1.id, point_raised="p", decision=decision)
        session.add(disposition)
        session.flush()
        session.add_all(DispositionComment(disposition_id=disposition.id, comment_id=c.id) for c in comments)
    session.flush()
    return consultation, canary_author


def tables(page: str) -> dict[str, list[list[str]]]:
    doc = lxml.html.fromstring(page)
    return {t.get("id"): [[" ".join(c.text_content().split()) for c in tr.xpath("./th|./td")]
                          for tr in t.xpath("./tbody/tr")]
            for t in doc.xpath("//table[contains(@class, 'insight-table')]")}


def totals(page: str) -> dict[str, str]:
    doc = lxml.html.fromstring(page)
    return {dd.get("data-figure"): dd.text_content().strip() for dd in doc.xpath("//dd[@data-figure]")}


def page_of(client, consultation, query: str = "") -> str:
    response = client.get(f"/consultations/{consultation.id}/analytics{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_public_figures_count_only_public_published_comments(client, session, seeded):
    consultation, _ = seeded
    page = page_of(client, consultation)
    assert totals(page) == {"comments": "7", "organisations": "3", "amendments": "3"}
    t = tables(page)
    assert t["table-kind"] == [["Non-governmental organisation", "4", FEWER, FEWER],
                               ["No organisation (individuals)", FEWER, "0", "0"],
                               ["University or research institute", FEWER, FEWER, FEWER]]
    assert t["table-stance"] == [["Supports the provision", FEWER, FEWER, FEWER],
                                 ["Opposes the provision", "3", FEWER, FEWER],
                                 ["Neutral", FEWER, "0", "0"], ["No position given", FEWER, FEWER, "0"]]
    languages = [row[0] for row in t["table-language"]]
    assert languages == ["English", "French"]  # no Russian, Arabic, Spanish or Chinese canary
    assert t["table-decisions"] == [["Amendments proposed", "3"], ["Accepted", FEWER], ["Partly accepted", FEWER],
                                    ["Not accepted", "0"], ["Noted", "0"], ["No decision yet", FEWER]]
    assert t["table-debate"] == [["Article 1 — Heading 1", "4", "3", "75 %", FEWER],
                                 ["Article 2 — Heading 2", FEWER, "0", "–", FEWER],
                                 ["The draft as a whole", FEWER, "0", "–", "0"]]
    assert "Article 3" not in str(t["table-debate"])
    assert "count published public comments only" in page
    weeks = t["table-time"]
    assert weeks == [["2026-11-02", "4"], ["2026-11-09", "3"]]
    days = tables(page_of(client, consultation, "?by=day"))["table-time"]
    assert len(days) == 9 and days[0] == ["2026-11-02", FEWER] and days[2] == ["2026-11-04", "0"]


def test_the_author_of_a_restricted_comment_still_sees_public_figures(client, session, seeded):
    consultation, canary_author = seeded
    login(client, canary_author)
    page = page_of(client, consultation)
    assert totals(page)["comments"] == "7" and "Russian" not in page


@pytest.mark.parametrize("role", ["moderator", "focal_point", "author"])
def test_staff_in_scope_see_exact_figures(client, session, seeded, role):
    consultation, _ = seeded
    user = make_user(session)
    if role == "moderator":
        grant(session, user, Role.MODERATOR)
    elif role == "focal_point":
        grant(session, user, Role.FOCAL_POINT, Scope.COUNTRY, "AT")
    else:
        grant(session, user, Role.AUTHOR, Scope.COUNTRY, "AT")
    login(client, user)
    page = page_of(client, consultation)
    # The restricted canary counts (it is published); the hidden, pending and withdrawn ones never do.
    assert totals(page) == {"comments": "8", "organisations": "3", "amendments": "4"}
    t = tables(page)
    assert t["table-kind"][0] == ["Non-governmental organisation", "5", "2", "3"]
    assert [row[0] for row in t["table-language"]] == ["English", "French", "Russian"]
    assert ["Not accepted", "1"] in t["table-decisions"]
    assert FEWER not in page.split("<h2", 1)[1]
    assert "Exact figures, including restricted comments" in page


def test_focal_point_out_of_scope_sees_public_figures(client, session, seeded):
    consultation, _ = seeded
    user = make_user(session)
    grant(session, user, Role.FOCAL_POINT, Scope.COUNTRY, "FR")
    login(client, user)
    assert totals(page_of(client, consultation))["comments"] == "7"


def test_section_figures(client, session, seeded):
    consultation, _ = seeded
    page = page_of(client, consultation, "?section=article-1")
    assert totals(page) == {"comments": "4", "organisations": "3", "amendments": FEWER}
    assert "table-debate" not in tables(page)
    assert totals(page_of(client, consultation, "?section=article-3"))["comments"] == "0"
    assert client.get(f"/consultations/{consultation.id}/analytics?section=nope").status_code == 404


def test_csv_equals_the_tables(client, session, seeded):
    consultation, _ = seeded
    t = tables(page_of(client, consultation, "?by=day"))
    response = client.get(f"/consultations/{consultation.id}/analytics.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[1] == ["Total", "", "7", "3", "3", "", ""]
    kind = [r[1:5] for r in rows if r[0] == "By kind of organisation"]
    assert kind == t["table-kind"]
    assert [r[1:5] for r in rows if r[0] == "By language"] == t["table-language"]
    assert [[r[1], r[4]] for r in rows if r[0] == "Amendments and the decisions on them"] == t["table-decisions"]
    assert [r[1:3] for r in rows if r[0] == "Comments per day (UTC)"] == t["table-time"]
    assert [[r[1], r[2], r[5], r[6], r[4]] for r in rows if r[0] == "Where the debate is"] == t["table-debate"]


def test_charts_are_well_formed_svg_with_title_and_description(client, session, seeded):
    consultation, _ = seeded
    page = page_of(client, consultation)
    charts = re.findall(r"<svg .*?</svg>", page, flags=re.S)
    assert len(charts) == 6  # kind, stance, country, language, decisions, time
    for chart in charts:
        root = ET.fromstring(chart)  # noqa: S314 (our own output)
        ns = "{http://www.w3.org/2000/svg}"
        assert root.find(f"{ns}title").text and root.find(f"{ns}desc").text
        # A withheld count is drawn hatched, with the words, never at its length.
        for row in root.iter(f"{ns}g"):
            if FEWER in row.find(f"{ns}title").text:
                assert row.find(f"{ns}rect").get("width") == "14"


def test_invited_consultation_is_hidden(client, session):
    author = make_author(session, "AT")
    invited = make_consultation(session, author, visibility="invited")
    assert client.get(f"/consultations/{invited.id}/analytics").status_code == 404
    assert client.get(f"/consultations/{invited.id}/analytics.csv").status_code == 404


def test_query_count_is_flat_in_the_number_of_comments(client, session, seeded, query_counter):
    consultation, _ = seeded
    moderator = make_user(session)
    grant(session, moderator, Role.MODERATOR)

    def count(url: str) -> int:
        client.get(url)
        with query_counter() as counter:
            assert client.get(url).status_code == 200
        return counter.count

    urls = [f"/consultations/{consultation.id}/analytics", f"/consultations/{consultation.id}/analytics.csv",
            f"/consultations/{consultation.id}/analytics?section=article-2"]
    few = [count(u) for u in urls]
    writer = make_user(session)
    sections = consultation.current_version.sections
    for i in range(60):
        organisation = make_organisation(session, kind=ORGANISATION_KINDS[i % 8],
                                         country_code=("AT", "FR", "KE")[i % 3])
        add(session, consultation, writer, section=sections[i % 3], organisation=organisation,
            kind=COMMENT_KINDS[i % 3], stance=(*STANCES, None)[i % 4], language=("en", "fr", "es")[i % 3],
            day=i % 20)
    assert [count(u) for u in urls] == few
    login(client, moderator)
    assert count(urls[0]) <= max(few) + 6  # a signed-in reader adds the session's own lookups
