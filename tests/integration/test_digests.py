"""Digests: composed from a period's events, rendered once (e-mail, page,
PDF), sent once per recipient and period; subscriptions; the Atom feed."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree as ET

from pypdf import PdfReader
from sqlalchemy import func, select

from app.accounts.models import Role, Scope, User
from app.core.mail import deliver_due
from app.core.models import OutboxMessage
from app.digests.models import Digest, Subscription
from app.digests.services import queue_due_digests, save_subscription
from app.summaries import services
from tests.conftest import MailCatcher
from tests.factories import grant, login, make_user
from tests.integration.test_comments_fixtures import make_consultation
from tests.integration.test_summaries_support import (
    focal_point,
    moderator,
    open_consultation_with_comments,
    published_summary,
)

SEND_AT = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)  # Wednesday: the weekly period is 23–30 November
IN_PERIOD = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
ATOM = "{http://www.w3.org/2005/Atom}"


def _world(session, **focal):
    """An AT consultation (member of OSCE) that opened in the period, its summary forwarded to OSCE."""
    consultation, c = open_consultation_with_comments(session)
    consultation.opens_at = IN_PERIOD - timedelta(days=1)
    consultation.title = "Draft Law on Strategic Goods and Transit"
    mod = moderator(session)
    fp = focal_point(session, **focal)
    published_summary(session, consultation, mod, comment_ids=[c["opposes"].id], now=IN_PERIOD)
    forwarding, = services.forward_summary(session, consultation, regions=["OSCE"], countries=[], actor=mod,
                                           now=IN_PERIOD)
    return consultation, fp, forwarding


def _digests(session) -> int:
    return session.scalar(select(func.count()).select_from(Digest))


def test_send_due_builds_one_digest_with_email_page_and_text_extractable_pdf(session, mail):
    consultation, fp, forwarding = _world(session, email="katrin@osce.example")
    report = queue_due_digests(session, now=SEND_AT)
    assert report.created == 1
    digest = session.scalar(select(Digest).where(Digest.user_id == fp.id))
    assert digest.period_key == "W2026-48" and digest.item_count == 1 and not digest.is_read
    assert "1 consultation" in digest.subject
    assert consultation.title in digest.body_html and "OP3d.transit" in digest.body_text
    assert "Not addressed in this draft" in digest.body_text  # other OP3d elements
    assert "score" not in digest.body_text.lower()
    pdf_text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(digest.pdf)).pages)
    assert "Draft Law on Strategic Goods and Transit" in " ".join(pdf_text.split())
    deliver_due(session)
    message, = [m for m in mail.to("katrin@osce.example") if "digest" in m["Subject"]]
    body = MailCatcher.text_of(message)
    assert consultation.title in body and f"/forwarded/{forwarding.id}" in body
    assert any(link.endswith(f"/digests/{digest.id}.pdf") for link in MailCatcher.links_in(message))


def test_running_send_due_twice_queues_one_digest_per_recipient_and_period(session):
    _world(session)
    first = queue_due_digests(session, now=SEND_AT)
    again = queue_due_digests(session, now=SEND_AT + timedelta(hours=5))  # same week
    assert (first.created, again.created, again.existing) == (1, 0, 1)
    assert _digests(session) == 1
    assert session.scalar(select(func.count()).select_from(OutboxMessage)
                          .where(OutboxMessage.dedupe_key.like("digest:%"))) == 1


def test_an_empty_period_sends_nothing(session):
    _world(session)
    report = queue_due_digests(session, now=SEND_AT + timedelta(days=14))  # a later week with no news
    assert report.created == 0 and report.empty >= 1 and _digests(session) == 0


def test_a_focal_point_outside_the_scope_gets_no_digest_about_it(session):
    _world(session)
    focal_point(session, Scope.REGION, "AU")
    report = queue_due_digests(session, now=SEND_AT)
    assert report.created == 1 and report.empty == 1


def test_digest_pages_track_read_state_and_stay_private(session, client):
    _world(session)
    queue_due_digests(session, now=SEND_AT)
    digest = session.scalar(select(Digest))
    fp = session.get(User, digest.user_id)
    login(client, fp)
    listing = client.get("/digests")
    assert b"Unread" in listing.data
    page = client.get(f"/digests/{digest.id}")
    assert page.status_code == 200 and b"Draft Law on Strategic Goods and Transit" in page.data
    assert b"Unread" not in client.get("/digests").data
    pdf = client.get(f"/digests/{digest.id}.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    client.post("/logout")
    login(client, focal_point(session, Scope.REGION, "OSCE"))
    assert client.get(f"/digests/{digest.id}").status_code == 404
    assert client.get(f"/digests/{digest.id}.pdf").status_code == 404


def test_subscription_validates_codes_and_sets_the_frequency(session, client):
    fp = focal_point(session)
    login(client, fp)
    page = client.get("/digests/subscription")
    assert page.status_code == 200 and b"weekly digest" in page.data
    bad = client.post("/digests/subscription", data={"regions": ["OSCE"], "countries": ["AT", "ZZ"],
                                                     "obligations": "", "frequency": "daily", "language": "en"})
    assert bad.status_code == 400 and b"Unknown country code: ZZ" in bad.data
    assert b'value="AT" checked' in bad.data  # input kept
    bad = client.post("/digests/subscription", data={"regions": ["OSCE"], "countries": "", "obligations": "OP99",
                                                     "frequency": "daily", "language": "en"})
    assert bad.status_code == 400 and b"Unknown obligation code: OP99" in bad.data
    # A NUL in a code: refused on its field (PostgreSQL would fail to look it up), nothing saved.
    for field in ("regions", "countries", "obligations"):
        data = {"regions": ["OSCE"], "countries": "AT", "obligations": "OP3d", "frequency": "daily", "language": "en"}
        bad = client.post("/digests/subscription", data={**data, field: "OP3d\x00"})
        assert bad.status_code == 422 and b"cannot contain a NUL character" in bad.data, field
        assert session.get(Subscription, fp.id) is None
    ok = client.post("/digests/subscription", data={"regions": ["OSCE"], "countries": "at", "obligations": "OP3d",
                                                    "frequency": "daily", "language": "fr"})
    assert ok.status_code == 302
    saved = session.get(Subscription, fp.id)
    assert (saved.countries, saved.obligations, saved.frequency, saved.language) == (["AT"], ["OP3d"], "daily", "fr")


def test_daily_subscribers_get_the_day_of_the_forwarding(session):
    _consultation, fp, _forwarding = _world(session)
    save_subscription(session, fp, regions=["OSCE"], countries=[], obligations=[], frequency="daily",
                      language="en", actor=fp)
    assert queue_due_digests(session, now=IN_PERIOD + timedelta(days=1)).created == 1
    assert session.scalar(select(Digest.period_key)) == "D2026-11-25"


def test_atom_feed_is_valid_and_lists_only_public_summaries(session, client):
    public, c = open_consultation_with_comments(session)
    public.title = "Public draft \x0b with a control character"
    mod = moderator(session)
    published_summary(session, public, mod, overall="Transit was the main theme.")
    secret, c2 = open_consultation_with_comments(session)
    secret.title = "Restricted summary consultation"
    published_summary(session, secret, mod, overall="CONFIDENTIAL OVERALL", restricted=True,
                      comment_ids=[c2["restricted"].id])
    invited = make_consultation(session, visibility="invited")
    published_summary(session, invited, mod, overall="INVITED ONLY")
    response = client.get("/regions/OSCE/summaries.atom")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    feed = ET.fromstring(response.data)  # noqa: S314 - our own response
    titles = [e.findtext(f"{ATOM}title") for e in feed.findall(f"{ATOM}entry")]
    assert "Public draft  with a control character" in titles
    assert "Restricted summary consultation" not in titles
    assert b"CONFIDENTIAL" not in response.data and b"INVITED ONLY" not in response.data
    assert b"SECRET-PORT-DETAILS" not in response.data
    assert feed.findtext(f"{ATOM}id").endswith("/regions/OSCE/summaries.atom")
    assert client.get("/regions/NOPE/summaries.atom").status_code == 404


def test_admin_page_counts_queued_sent_and_failed(session, client, mail):
    _world(session, email="counted@osce.example")
    queue_due_digests(session, now=SEND_AT)
    admin = make_user(session)
    grant(session, admin, Role.ADMIN)
    login(client, admin)
    page = client.get("/manage/digests").get_data(as_text=True)
    assert "W2026-48" in page
    deliver_due(session)
    page = client.get("/manage/digests").get_data(as_text=True)
    row = page[page.index("W2026-48"):].split("</tr>")[0]
    assert [cell.split(">")[-1] for cell in row.split("</td>")[:-1]] == ["1", "0", "1", "0", "0"]
