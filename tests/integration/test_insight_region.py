"""Stakeholder analytics of a regional organisation's members together (known answers
on seeded data, the same suppression and exact figures rules as one consultation's
analytics, CSV equal to the tables, a flat query count), and the PNG of the
coverage picture."""

from __future__ import annotations

import csv
import io
import re

import pytest
from PIL import Image
from sqlalchemy import select

from app.accounts.models import ORGANISATION_KINDS, OrganisationKind, Role, Scope
from app.accounts.sessions import Anonymous
from app.comments.models import COMMENT_KINDS, STANCES, Audience, Comment, CommentKind, CommentStatus, Stance
from app.comments.policy import can_see_restricted
from app.consultations.models import Consultation
from app.insight.region_analytics import restricted_readable
from app.summaries.models import Decision, Disposition, DispositionComment, Summary
from tests.factories import grant, login, make_organisation, make_user
from tests.integration.test_consultations_support import make_author, make_consultation
from tests.integration.test_insight import make_draft
from tests.integration.test_insight_analytics import FEWER, add, tables, totals

REGION = "GCC"  # BH, KW, OM, QA, SA, AE


def _decide(session, consultation, decision, comments):
    summary = session.scalar(select(Summary).where(Summary.consultation_id == consultation.id))
    if summary is None:
        summary = Summary(consultation_id=consultation.id)
        session.add(summary)
        session.flush()
    disposition = Disposition(summary_id=summary.id, section_id=None, point_raised="p", decision=decision)
    session.add(disposition)
    session.flush()
    session.add_all(DispositionComment(disposition_id=disposition.id, comment_id=c.id) for c in comments)
    session.flush()


@pytest.fixture
def region_seeded(session):
    """A Qatari and an Omani consultation with public comments, a restricted and a hidden one;
    an Austrian consultation (not a member) and an invited-only Qatari one that the public never counts."""
    qatar = make_consultation(session, make_author(session, "QA"), country="QA", open_now=True,
                              title="Qatar draft law on transit")
    oman = make_consultation(session, make_author(session, "OM"), country="OM", open_now=True,
                             title="Oman draft decree on brokering")
    austria = make_consultation(session, make_author(session, "AT"), country="AT", open_now=True)
    invited = make_consultation(session, make_author(session, "QA"), country="QA", open_now=True,
                                visibility="invited", title="Qatar invited-only regulation")
    ngo_qa = make_organisation(session, kind=OrganisationKind.NGO, country_code="QA")
    ngo_om = make_organisation(session, kind=OrganisationKind.NGO, country_code="OM")
    academy = make_organisation(session, kind=OrganisationKind.ACADEMIA, country_code="FR")
    writer = make_user(session)
    accepted = add(session, qatar, writer, organisation=ngo_qa, kind=CommentKind.AMENDMENT, stance=Stance.OPPOSES)
    add(session, qatar, writer, organisation=ngo_qa, stance=Stance.OPPOSES)
    add(session, qatar, writer, organisation=academy, kind=CommentKind.AMENDMENT, stance=Stance.SUPPORTS,
        language="fr", day=1)
    add(session, qatar, writer, stance=Stance.NEUTRAL, language="ar", day=7)
    restricted = add(session, qatar, writer, organisation=ngo_qa, kind=CommentKind.AMENDMENT, stance=Stance.OPPOSES,
                     language="ru", audience=Audience.RESTRICTED, day=3)
    add(session, qatar, writer, organisation=academy, language="es", status=CommentStatus.HIDDEN, day=4)
    add(session, oman, writer, organisation=ngo_qa, stance=Stance.SUPPORTS, day=2)
    add(session, oman, writer, organisation=ngo_om, kind=CommentKind.AMENDMENT, stance=Stance.SUPPORTS, day=8)
    add(session, oman, writer, organisation=ngo_om, day=8)
    add(session, austria, writer, organisation=ngo_qa, language="de")
    add(session, austria, writer, organisation=ngo_qa, language="de")
    add(session, invited, writer, organisation=ngo_qa, language="zh")
    _decide(session, qatar, Decision.ACCEPTED, [accepted])
    _decide(session, qatar, Decision.NOT_ACCEPTED, [restricted])
    return qatar, oman


def page_of(client, query: str = "") -> str:
    response = client.get(f"/regions/{REGION}/analytics{query}")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_public_figures_of_the_members_together(client, session, region_seeded):
    qatar, oman = region_seeded
    page = page_of(client)
    assert totals(page) == {"consultations": "2", "comments": "7", "organisations": "3", "amendments": "3"}
    t = tables(page)
    assert t["table-kind"] == [["Non-governmental organisation", "5", FEWER, FEWER],
                               ["No organisation (individuals)", FEWER, "0", "0"],
                               ["University or research institute", FEWER, FEWER, FEWER]]
    assert [row[0] for row in t["table-language"]] == ["English", "Arabic", "French"]  # no de, ru, es, zh
    assert [row[0] for row in t["table-country"]][:1] == ["Qatar"]
    assert t["table-decisions"] == [["Amendments proposed", "3"], ["Accepted", FEWER], ["Partly accepted", "0"],
                                    ["Not accepted", "0"], ["Noted", "0"], ["No decision yet", FEWER]]
    assert t["table-time"] == [["2026-11-02", "4"], ["2026-11-09", "3"]]
    assert t["table-consultations"] == [[qatar.title, "Qatar", "4", FEWER, FEWER, "–", FEWER],
                                        [oman.title, "Oman", "3", FEWER, "0", "0 %", FEWER]]
    assert "invited-only" not in page and "Austria" not in page
    days = tables(page_of(client, "?by=day"))["table-time"]
    assert len(days) == 9 and days[0] == ["2026-11-02", FEWER]


def test_focal_points_of_the_organisation_see_exact_figures_with_restricted_comments(client, session,
                                                                                      region_seeded):
    focal = make_user(session)
    grant(session, focal, Role.FOCAL_POINT, Scope.REGION, REGION)
    login(client, focal)
    page = page_of(client)
    assert totals(page) == {"consultations": "2", "comments": "8", "organisations": "3", "amendments": "4"}
    t = tables(page)
    assert ["Not accepted", "1"] in t["table-decisions"] and "Russian" in page
    assert FEWER not in page.split("<h2", 1)[1]
    assert "Exact figures, including restricted comments" in page


def test_others_see_public_figures_and_admins_everything_they_may_read(client, session, region_seeded):
    other = make_user(session)
    grant(session, other, Role.FOCAL_POINT, Scope.REGION, "OSCE")
    grant(session, other, Role.AUTHOR, Scope.COUNTRY, "QA")  # exact on Qatar's own page, not region-wide
    login(client, other)
    assert totals(page_of(client))["comments"] == "7"
    client.post("/logout")
    admin = make_user(session)
    grant(session, admin, Role.ADMIN)
    login(client, admin)
    assert totals(page_of(client)) == {"consultations": "3", "comments": "9", "organisations": "3",
                                       "amendments": "4"}


def test_csv_equals_the_tables(client, session, region_seeded):
    t = tables(page_of(client, "?by=day"))
    response = client.get(f"/regions/{REGION}/analytics.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert f"agora1540-{REGION}-participation-" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    assert rows[1] == ["Total", "", "7", "3", "3", "", ""]
    assert [r[1:5] for r in rows if r[0] == "By kind of organisation"] == t["table-kind"]
    assert [[r[1], r[4]] for r in rows if r[0] == "Amendments and the decisions on them"] == t["table-decisions"]
    assert [r[1:3] for r in rows if r[0] == "Comments per day (UTC)"] == t["table-time"]
    assert [[r[1], r[2], r[3], r[5], r[6], r[4]] for r in rows if r[0] == "Consultations by participation"] == [
        [row[0], *row[2:]] for row in t["table-consultations"]]


def test_the_coverage_page_links_the_region_s_analytics(client, session, region_seeded):
    make_draft(session, "QA", {"article-1": ["OP3d.transit"]})
    page = client.get(f"/regions/{REGION}/coverage").get_data(as_text=True)
    assert f'href="/regions/{REGION}/analytics" id="region-analytics-link"' in page
    assert client.get("/regions/NOPE/analytics").status_code == 404


def test_query_count_does_not_grow_with_consultations_or_comments(client, session, region_seeded, query_counter):
    focal = make_user(session)
    grant(session, focal, Role.FOCAL_POINT, Scope.REGION, REGION)

    def count(url: str) -> int:
        client.get(url)
        with query_counter() as counter:
            assert client.get(url).status_code == 200
        return counter.count

    urls = [f"/regions/{REGION}/analytics", f"/regions/{REGION}/analytics.csv", f"/regions/{REGION}/analytics?by=day"]
    few = [count(u) for u in urls]
    writer = make_user(session)
    for i, country in enumerate(["BH", "KW", "SA", "AE", "QA", "OM"] * 3):
        consultation = make_consultation(session, make_author(session, country), country=country, open_now=True,
                                         title=f"Draft {i}", sections=1)
        organisation = make_organisation(session, kind=ORGANISATION_KINDS[i % 8], country_code=country)
        for j in range(6):
            add(session, consultation, writer, organisation=organisation if j % 2 else None,
                kind=COMMENT_KINDS[j % 3], stance=(*STANCES, None)[j % 4], language=("en", "ar", "fr")[j % 3],
                day=i + j)
    assert [count(u) for u in urls] == few
    login(client, focal)
    assert count(urls[0]) <= max(few) + 6  # a signed-in reader adds the session's own lookups


def test_restricted_readable_is_the_sql_form_of_can_see_restricted(session, region_seeded):
    qatar, oman = region_seeded
    consultations = list(session.scalars(select(Consultation)))
    users = [Anonymous(), make_user(session)]
    for role, scope, key in [(Role.ADMIN, Scope.GLOBAL, ""), (Role.MODERATOR, Scope.GLOBAL, ""),
                             (Role.MODERATOR, Scope.CONSULTATION, str(oman.id)), (Role.AUTHOR, Scope.COUNTRY, "QA"),
                             (Role.FOCAL_POINT, Scope.COUNTRY, "OM"), (Role.FOCAL_POINT, Scope.REGION, "GCC"),
                             (Role.FOCAL_POINT, Scope.REGION, "OSCE"), (Role.FOCAL_POINT, Scope.GLOBAL, "")]:
        user = make_user(session)
        grant(session, user, role, scope, key)
        users.append(user)
    for user in users:
        in_sql = set(session.scalars(select(Comment.consultation_id).where(restricted_readable(user)).distinct()))
        assert in_sql == {c.id for c in consultations if can_see_restricted(user, c)}, user


# --- the PNG of the coverage picture -------------------------------------------------------

CONSULTATION_BLUE = (31, 95, 168)  # the stripes of an "in consultation" cell (insight/_heatmap.svg)


def _png(client, query: str = "") -> Image.Image:
    response = client.get(f"/regions/{REGION}/coverage.png{query}")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert re.search(rf'filename="agora1540-coverage-{REGION}-[\d-]+\.png"', response.headers["Content-Disposition"])
    return Image.open(io.BytesIO(response.data)).convert("RGB")


def test_png_draws_the_same_picture_at_twice_its_size(client, session):
    empty = _png(client)
    svg = client.get(f"/regions/{REGION}/coverage.svg").get_data(as_text=True)
    width, height = (float(v) for v in re.search(r'<svg[^>]*?width="([\d.]+)"[^>]*?height="([\d.]+)"', svg).groups())
    assert empty.width == round((width + 32) * 2)
    assert height * 2 < empty.height < (height + 480) * 2  # the heading above, cropped below the legend
    make_draft(session, "QA", {"article-1": ["OP3d.transit"]}).status = "open"
    drawn = _png(client)
    colours = {c for _n, c in drawn.getcolors(maxcolors=1 << 20)}
    # An open Qatari draft turns a cell into the "in consultation" stripes; the legend shows them too.
    count = dict((c, n) for n, c in drawn.getcolors(maxcolors=1 << 20))[CONSULTATION_BLUE]
    legend_only = dict((c, n) for n, c in empty.getcolors(maxcolors=1 << 20)).get(CONSULTATION_BLUE, 0)
    assert CONSULTATION_BLUE in colours and count > legend_only
    assert client.get(f"/regions/{REGION}/coverage.png?weapon=XX").status_code == 400
