"""A regional focal point's digest carries the overview of their organisation
(open now, closing soon, forwarded and unanswered, obligations most and least
addressed) in the e-mail, the page and the PDF, with the figures of the
overview page."""

from __future__ import annotations

import io
from datetime import timedelta

import lxml.html
from pypdf import PdfReader
from sqlalchemy import select

from app.accounts.models import Scope
from app.consultations.models import SectionObligation
from app.core.db import utcnow
from app.core.mail import deliver_due
from app.digests.composition import period_for
from app.digests.models import Digest
from app.digests.services import queue_due_digests
from app.summaries import services
from tests.conftest import MailCatcher
from tests.factories import login
from tests.integration.test_comments_fixtures import make_consultation
from tests.integration.test_summaries_support import (
    focal_point,
    moderator,
    open_consultation_with_comments,
    published_summary,
)


def _text(element) -> str:
    return " ".join(element.text_content().split())


def _world(session, fp_scope=(Scope.REGION, "OSCE")):
    """Last week an Austrian law (OSCE) opened and its summary was forwarded to the focal
    point's scope (the OSCE unless said otherwise); a French decree closes in five days."""
    now = utcnow()
    _key, start, _end = period_for("weekly", now)
    in_period = start + timedelta(days=2)
    law, comments = open_consultation_with_comments(session)
    law.opens_at = in_period - timedelta(days=1)
    law.title = "Draft Law on Strategic Goods and Transit"
    decree = make_consultation(session, country="FR", closes_in=timedelta(days=5))
    decree.title = "Décret sur le courtage"
    session.add(SectionObligation(section_id=decree.current_version.sections[0].id, obligation_code="OP3a.licensing"))
    mod = moderator(session)
    fp = focal_point(session, *fp_scope, email="katrin@osce.example")
    published_summary(session, law, mod, comment_ids=[comments["opposes"].id], now=in_period)
    scope_type, key = fp_scope
    forwarding, = services.forward_summary(session, law, regions=[key] if scope_type == Scope.REGION else [],
                                           countries=[key] if scope_type == Scope.COUNTRY else [], actor=mod,
                                           now=in_period)
    session.flush()
    return fp, law, decree, forwarding, now


def _overview_of_page(client, fp) -> dict:
    login(client, fp)
    response = client.get("/regions/OSCE/overview")
    assert response.status_code == 200
    doc = lxml.html.fromstring(response.get_data(as_text=True))
    return {
        "open": [(_text(li.xpath("./a")[0]), "Closing soon:" in _text(li))
                 for li in doc.xpath("//ul[@id='open-now']/li")],
        "unanswered": [_text(li.xpath("./a")[0]) for li in doc.xpath("//ul[@id='unanswered']/li")],
        "ranked": [(_text(tr[0]).split()[0], _text(tr[1])) for tr in doc.xpath("//table[@id='table-ranked']/tbody/tr")],
    }


def _overview_of_digest(body_html: str) -> dict:
    doc = lxml.html.fromstring(f"<div>{body_html}</div>")
    heading, = [h for h in doc.xpath("//h3") if _text(h) == "Regional overview: OSCE"]
    part = heading.xpath("following-sibling::*")
    lists = {_text(h): h.xpath("following-sibling::*[1]")[0] for h in part if h.tag == "h4"}
    return {
        "open": [(_text(li.xpath("./a")[0]), "Closing soon:" in _text(li))
                 for li in lists["Consultations open now"].xpath("./li")],
        "unanswered": [_text(li.xpath("./a")[0])
                       for li in lists["Summaries forwarded and not yet answered"].xpath("./li")],
        "ranked": [(_text(tr[0]).split()[0], _text(tr[1]))
                   for tr in heading.xpath("following-sibling::table[1]/tbody/tr")],
    }


def test_the_digest_carries_the_overview_with_the_figures_of_the_page(session, client, mail):
    fp, law, decree, forwarding, now = _world(session)
    assert queue_due_digests(session, now=now).created == 1
    digest = session.scalar(select(Digest).where(Digest.user_id == fp.id))

    page = _overview_of_page(client, fp)
    in_digest = _overview_of_digest(digest.body_html)
    assert in_digest == page
    # Known answers: the decree closes soonest and soon, the law later; the law's summary waits for an answer;
    # OP3d and OP3c (the law) and OP3a (the decree) are addressed by one OSCE participating State each, of 57.
    assert page["open"][:2] == [(decree.title, True), (law.title, False)]
    assert page["unanswered"] == [law.title]
    ranked = dict(page["ranked"])
    assert ranked["OP3d"] == ranked["OP3c"] == ranked["OP3a"] == "1 of 57" and ranked["OP1"] == "0 of 57"
    assert f"/forwarded/{forwarding.id}" in digest.body_html and "/regions/OSCE/overview" in digest.body_html

    # The same in the plain text, the PDF and the e-mail.
    assert "== Regional overview: OSCE ==" in digest.body_text
    assert "Closing soon: closes" in digest.body_text and "OP3d — " in digest.body_text
    assert "1 of 57" in digest.body_text
    pdf_text = " ".join("".join(p.extract_text() for p in PdfReader(io.BytesIO(digest.pdf)).pages).split())
    assert "Regional overview: OSCE" in pdf_text and decree.title in pdf_text and "1 of 57" in pdf_text
    deliver_due(session)
    message, = [m for m in mail.to("katrin@osce.example") if "digest" in m["Subject"]]
    body = MailCatcher.text_of(message)
    assert "Regional overview: OSCE" in body and "Summaries forwarded and not yet answered" in body


def test_an_answered_summary_leaves_the_overview_of_the_next_digest(session, client):
    fp, law, decree, forwarding, now = _world(session)
    services.respond_to_forwarding(session, forwarding, body="Thank you, we will circulate it.", publish=False,
                                   actor=fp)
    assert queue_due_digests(session, now=now).created == 1
    digest = session.scalar(select(Digest).where(Digest.user_id == fp.id))
    in_digest = _overview_of_digest(digest.body_html)
    assert in_digest["unanswered"] == [] == _overview_of_page(client, fp)["unanswered"]
    assert "Every summary forwarded to OSCE has an answer." in digest.body_text


def test_a_country_focal_point_s_digest_has_no_regional_overview(session):
    fp, *_rest, now = _world(session, fp_scope=(Scope.COUNTRY, "AT"))
    assert queue_due_digests(session, now=now).created == 1
    digest = session.scalar(select(Digest).where(Digest.user_id == fp.id))
    assert "Regional overview" not in digest.body_html and "Regional overview" not in digest.body_text
