"""A regional focal point's overview: open consultations of the members (closing
soonest first), forwarded summaries without an answer, obligations ranked."""

from __future__ import annotations

from datetime import timedelta

import lxml.html

from app.accounts.models import Role, Scope
from app.core.db import utcnow
from app.summaries.models import Forwarding, ForwardingResponse, Summary, SummaryRevision, TargetType
from tests.factories import grant, login, make_user
from tests.integration.test_insight import REGION, make_draft


def forward(session, consultation, *, answered: bool = False) -> Forwarding:
    summary = Summary(consultation_id=consultation.id, status="published")
    session.add(summary)
    session.flush()
    revision = SummaryRevision(summary_id=summary.id, number=1, overall_source="s", overall_html="<p>s</p>",
                               published_at=utcnow())
    session.add(revision)
    session.flush()
    forwarding = Forwarding(revision_id=revision.id, target_type=TargetType.REGION, target_key=REGION)
    session.add(forwarding)
    session.flush()
    if answered:
        session.add(ForwardingResponse(forwarding_id=forwarding.id, body_source="ok", body_html="<p>ok</p>"))
        session.flush()
    return forwarding


def open_draft(session, country, tags, *, closes_in: int, title: str):
    draft = make_draft(session, country, tags, title=title)
    draft.opens_at = utcnow() - timedelta(days=2)
    draft.closes_at = utcnow() + timedelta(days=closes_in)
    draft.status = "open"
    return draft


def test_overview_for_a_focal_point_of_the_region(client, session, query_counter):
    later = open_draft(session, "QA", {"article-1": ["OP3d.transit"]}, closes_in=40, title="Qatar draft")
    sooner = open_draft(session, "OM", {"article-1": ["OP3d.transit", "OP2.use"]}, closes_in=5, title="Oman draft")
    waiting = forward(session, later)
    done = forward(session, sooner, answered=True)
    focal = make_user(session)
    grant(session, focal, Role.FOCAL_POINT, Scope.REGION, REGION)
    login(client, focal)
    url = f"/regions/{REGION}/overview"
    response = client.get(url)
    assert response.status_code == 200
    doc = lxml.html.fromstring(response.get_data(as_text=True))
    assert [li.get("data-consultation") for li in doc.xpath("//ul[@id='open-now']/li")] == [str(sooner.id),
                                                                                              str(later.id)]
    assert "Closing soon:" in doc.xpath("//ul[@id='open-now']/li")[0].text_content()
    assert "Closing soon:" not in doc.xpath("//ul[@id='open-now']/li")[1].text_content()
    assert [li.get("data-forwarding") for li in doc.xpath("//ul[@id='unanswered']/li")] == [str(waiting.id)]
    assert done.id != waiting.id
    ranked = [[" ".join(c.text_content().split()) for c in tr]
              for tr in doc.xpath("//table[@id='table-ranked']/tbody/tr")]
    assert ranked[0][0].startswith("OP3d") and ranked[0][1] == "2 of 6"
    assert ranked[1][0].startswith("OP2") and ranked[1][1] == "1 of 6"
    assert ranked[-1][1] == "0 of 6"

    client.get(url)
    with query_counter() as counter:
        client.get(url)
    few = counter.count
    for country in ("KW", "BH", "SA", "AE"):
        forward(session, open_draft(session, country, {"article-2": ["OP3a.licensing"]}, closes_in=3, title="x"))
    client.get(url)
    with query_counter() as counter:
        client.get(url)
    assert counter.count == few


def test_overview_is_for_the_region_s_focal_points(client, session):
    other = make_user(session)
    grant(session, other, Role.FOCAL_POINT, Scope.REGION, "OSCE")
    login(client, other)
    assert client.get(f"/regions/{REGION}/overview").status_code == 403
    assert client.get("/regions/OSCE/overview").status_code == 200
    assert client.get("/regions/NOPE/overview").status_code == 404
