"""Forwarding a summary to focal points: who receives it, the refusals, the
e-mails (through the real SMTP catcher), "forwarded to me", acknowledgement
and replies."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.accounts.models import Scope
from app.consultations.models import Status
from app.core.errors import DomainError
from app.core.mail import deliver_due
from app.core.models import OutboxMessage
from app.summaries import services
from app.summaries.models import Forwarding
from app.summaries.services import NoFocalPoint, SummaryNotPublished
from tests.conftest import MailCatcher
from tests.factories import login, make_user
from tests.integration.test_summaries_support import (
    closed_consultation,
    focal_point,
    moderator,
    open_consultation_with_comments,
    published_summary,
)


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_an_unpublished_summary_cannot_be_forwarded(session):
    consultation = closed_consultation(session)
    mod = moderator(session)
    focal_point(session)
    services.save_summary_text(session, consultation, overall="Draft.", restricted=False, actor=mod)
    with pytest.raises(SummaryNotPublished):
        services.forward_summary(session, consultation, regions=["OSCE"], countries=[], actor=mod)
    assert _count(session, Forwarding) == 0


def test_forwarding_to_a_region_without_focal_point_warns_and_sends_nothing(session, client):
    consultation = closed_consultation(session)
    mod = moderator(session)
    focal_point(session)  # OSCE has one; OAS has none
    published_summary(session, consultation, mod)
    outbox_before = _count(session, OutboxMessage)
    with pytest.raises(NoFocalPoint, match="OAS"):
        services.forward_summary(session, consultation, regions=["OSCE", "OAS"], countries=[], actor=mod)
    assert _count(session, Forwarding) == 0 and _count(session, OutboxMessage) == outbox_before
    login(client, mod)
    page = client.post(f"/manage/consultations/{consultation.id}/summary/forward", data={"regions": ["OAS"]})
    assert page.status_code == 400 and b"No focal point is registered for OAS" in page.data
    assert _count(session, Forwarding) == 0


def test_forwarding_reaches_every_focal_point_of_the_region_by_email(session, client, mail):
    consultation, c = open_consultation_with_comments(session)
    mod = moderator(session)
    first = focal_point(session, email="katrin@osce.example", language="fr")
    second = focal_point(session, email="second@osce.example")
    focal_point(session, Scope.REGION, "AU", email="amina@au.example")
    published_summary(session, consultation, mod, comment_ids=[c["opposes"].id])
    login(client, mod)
    response = client.post(f"/manage/consultations/{consultation.id}/summary/forward",
                           data={"regions": ["OSCE"], "note": "For the Vienna meeting."})
    assert response.status_code == 302
    forwarding = session.scalar(select(Forwarding))
    assert (forwarding.target_type, forwarding.target_key) == ("region", "OSCE")
    assert {r.user_id for r in forwarding.recipients} == {first.id, second.id}
    assert forwarding.forwarded_by_id == mod.id and forwarding.revision.number == 1
    assert consultation.status == Status.OPEN  # summarised on demand: the consultation stays open
    deliver_due(session)
    assert not mail.to("amina@au.example")
    message = mail.to("second@osce.example")[0]
    body = MailCatcher.text_of(message)
    assert consultation.title in message["Subject"] and "For the Vienna meeting." in body
    assert any(link.endswith(f"/forwarded/{forwarding.id}") for link in MailCatcher.links_in(message))
    assert mail.to("katrin@osce.example")  # in her language (French catalogue permitting), same link


def test_forwarding_a_revised_summary_says_what_changed(session, mail):
    consultation = closed_consultation(session)
    mod = moderator(session)
    focal_point(session, email="fp@osce.example")
    published_summary(session, consultation, mod)
    services.forward_summary(session, consultation, regions=["OSCE"], countries=[], actor=mod)
    assert consultation.status == Status.FORWARDED
    with pytest.raises(DomainError, match="already forwarded"):
        services.forward_summary(session, consultation, regions=["OSCE"], countries=[], actor=mod)
    services.save_summary_text(session, consultation, overall="Now with the ministry's answer.",
                               restricted=False, actor=mod)
    services.publish_summary(session, consultation, change_note="Added the ministry's answer on transit.",
                             actor=mod)
    services.forward_summary(session, consultation, regions=["OSCE"], countries=[], actor=mod)
    deliver_due(session)
    first, second = sorted(mail.to("fp@osce.example"), key=lambda m: m["Message-ID"])
    assert "What changed" not in MailCatcher.text_of(first)
    assert "Revision 2: Added the ministry's answer on transit." in MailCatcher.text_of(second)


def test_a_restricted_summary_goes_only_to_the_consultations_own_scope(session):
    consultation, c = open_consultation_with_comments(session)  # AT, tagged OSCE
    mod = moderator(session)
    focal_point(session, Scope.REGION, "AU")
    published_summary(session, consultation, mod, restricted=True, comment_ids=[c["restricted"].id])
    with pytest.raises(DomainError, match="AU"):
        services.forward_summary(session, consultation, regions=["AU"], countries=[], actor=mod)


def test_focal_point_sees_forwarded_summary_acknowledges_and_replies(session, client, mail):
    consultation, c = open_consultation_with_comments(session)
    mod = moderator(session)
    mod.email = "mona@moderators.example"
    fp = focal_point(session, Scope.COUNTRY, "AT", display_name="Pavel Point")
    published_summary(session, consultation, mod, comment_ids=[c["opposes"].id])
    forwarding, = services.forward_summary(session, consultation, regions=[], countries=["AT"], actor=mod)
    login(client, fp)
    inbox = client.get("/forwarded")
    assert inbox.status_code == 200 and consultation.title.encode() in inbox.data
    assert b"New \xe2\x80\x94 not acknowledged" in inbox.data
    page = client.get(f"/forwarded/{forwarding.id}")
    assert page.status_code == 200 and b"Acknowledge receipt" in page.data
    assert client.post(f"/forwarded/{forwarding.id}/acknowledge").status_code == 302
    session.refresh(forwarding.recipients[0])
    assert forwarding.recipients[0].acknowledged_at is not None
    assert b"You acknowledged receipt" in client.get(f"/forwarded/{forwarding.id}").data
    empty = client.post(f"/forwarded/{forwarding.id}/reply", data={"body": "  "})
    assert empty.status_code == 400 and b"Write your reply." in empty.data
    reply = client.post(f"/forwarded/{forwarding.id}/reply",
                        data={"body": "We will raise **transit** at the regional meeting.", "publish": "y"})
    assert reply.status_code == 302
    public = client.get(f"/consultations/{consultation.id}/summary")
    assert b"We will raise <strong>transit</strong> at the regional meeting." in public.data
    deliver_due(session)
    assert "Pavel Point" in mail.to("mona@moderators.example")[0]["Subject"]
    # The moderator sees who acknowledged on the forwarding page.
    client.post("/logout")
    login(client, mod)
    history = client.get(f"/manage/consultations/{consultation.id}/summary/forward")
    assert b"Pavel Point" in history.data and b"acknowledged" in history.data


def test_other_users_cannot_see_or_answer_a_forwarding(session, client):
    consultation = closed_consultation(session)
    mod = moderator(session)
    focal_point(session)
    published_summary(session, consultation, mod)
    forwarding, = services.forward_summary(session, consultation, regions=["OSCE"], countries=[], actor=mod)
    au = focal_point(session, Scope.REGION, "AU")
    login(client, au)
    assert client.get(f"/forwarded/{forwarding.id}").status_code == 404
    assert client.post(f"/forwarded/{forwarding.id}/acknowledge").status_code == 404
    assert b"Nothing has been forwarded to you yet" in client.get("/forwarded").data
    client.post("/logout")
    login(client, make_user(session))
    assert client.get(f"/forwarded/{forwarding.id}").status_code == 404
