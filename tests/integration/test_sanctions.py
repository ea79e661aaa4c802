"""Sanctions: warning, suspension, ban; enforced in the comment services;
a ban ends every session; lifting restores."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts.models import User
from app.comments.services import toggle_support
from app.consultations.models import ModerationMode
from app.core.audit import verify_chain
from app.core.db import utcnow
from app.core.errors import Conflict, DomainError, PermissionDenied
from app.core.mail import deliver_due
from app.core.models import AuditEntry
from app.moderation import services
from app.moderation.models import SanctionKind
from app.moderation.services import ParticipationBlocked
from tests.factories import login, make_user
from tests.integration.test_moderation_support import make_moderator, open_consultation, post, reason, switch_client


@pytest.fixture()
def scene(session):
    consultation = open_consultation(session, mode=ModerationMode.POST)
    offender = make_user(session, display_name="Oscar Offender")
    moderator = make_moderator(session)
    return consultation, offender, moderator


def test_a_suspended_user_cannot_post_reply_support_or_flag(session, scene):
    consultation, offender, moderator = scene
    other = post(session, consultation, make_user(session))
    services.sanction_user(session, offender, kind=SanctionKind.SUSPENSION, reason_text="Repeated abuse",
                           ends_at=utcnow() + timedelta(days=7), actor=moderator)
    with pytest.raises(ParticipationBlocked, match="suspended until"):
        post(session, consultation, offender)
    with pytest.raises(ParticipationBlocked):
        post(session, consultation, offender, parent=other)
    with pytest.raises(ParticipationBlocked):
        toggle_support(session, other, actor=offender)
    with pytest.raises(ParticipationBlocked):
        services.flag_comment(session, other, reason="spam", actor=offender)
    # A suspension does not sign the person out: they can still read.
    assert offender.status == User.ACTIVE


def test_a_finished_suspension_no_longer_blocks(session, scene):
    consultation, offender, moderator = scene
    sanction = services.sanction_user(session, offender, kind=SanctionKind.SUSPENSION, reason_text="Cooling off",
                                      ends_at=utcnow() + timedelta(hours=1), actor=moderator)
    assert services.active_block(session, offender.id, now=utcnow() + timedelta(hours=2)) is None
    services.lift_sanction(session, sanction, reason_text="Apologised", actor=moderator)
    assert post(session, consultation, offender).is_published


def test_a_warning_does_not_block(session, scene):
    consultation, offender, moderator = scene
    services.sanction_user(session, offender, kind=SanctionKind.WARNING, reason_id=reason(session, "off_topic").id,
                           actor=moderator)
    assert post(session, consultation, offender).is_published


def test_sanctions_need_a_reason_a_future_end_and_a_global_moderator(session, scene):
    consultation, offender, moderator = scene
    with pytest.raises(DomainError) as info:
        services.sanction_user(session, offender, kind=SanctionKind.WARNING, actor=moderator)
    assert info.value.field == "reason_text"
    with pytest.raises(DomainError) as info:
        services.sanction_user(session, offender, kind=SanctionKind.SUSPENSION, reason_text="x",
                               ends_at=utcnow() - timedelta(days=1), actor=moderator)
    assert info.value.field == "ends_at"
    with pytest.raises(PermissionDenied):
        services.sanction_user(session, offender, kind=SanctionKind.BAN, reason_text="x",
                               actor=make_moderator(session, consultation))
    with pytest.raises(DomainError):
        services.sanction_user(session, moderator, kind=SanctionKind.WARNING, reason_text="x", actor=moderator)


def test_ban_and_lift_are_audited_and_notified_by_mail(app, session, scene, mail):
    _consultation, offender, moderator = scene
    sanction = services.sanction_user(session, offender, kind=SanctionKind.BAN, reason_text="Spam campaign",
                                      actor=moderator)
    assert offender.status == User.BANNED
    with pytest.raises(Conflict):
        services.sanction_user(session, offender, kind=SanctionKind.BAN, reason_text="again", actor=moderator)
    services.lift_sanction(session, sanction, reason_text="Appeal accepted", actor=moderator)
    assert offender.status == User.ACTIVE
    actions = list(session.scalars(select(AuditEntry.action).where(AuditEntry.target_type == "User",
                                                                   AuditEntry.target_id == str(offender.id))))
    assert actions[-2:] == ["moderation.sanction.ban", "moderation.sanction.lift"]
    assert verify_chain(session).ok
    deliver_due(session)
    received = mail.to(offender.email)
    assert len(received) == 2
    assert "Spam campaign" in mail.text_of(received[0]) and "banned" in mail.text_of(received[0])
    assert "Appeal accepted" in mail.text_of(received[1])


def test_a_ban_ends_sessions_and_a_copied_cookie_is_rejected(app, session, scene):
    _consultation, offender, moderator = scene
    victim_client = app.test_client()
    assert login(victim_client, offender).status_code == 302
    assert victim_client.get("/account/moderation").status_code == 200
    copied = victim_client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value

    switch_client()
    moderator_client = app.test_client()
    login(moderator_client, moderator)
    response = moderator_client.post(f"/manage/moderation/users/{offender.id}/sanctions",
                                     data={"kind": "ban", "reason_text": "Threats against participants"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(User, offender.id).status == User.BANNED

    switch_client()
    thief = app.test_client()
    thief.set_cookie(app.config["SESSION_COOKIE_NAME"], copied)
    response = thief.get("/account/moderation")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    switch_client()
    assert victim_client.get("/account/moderation").status_code == 302


def test_sanction_view_keeps_input_on_error(session, client, scene):
    _consultation, offender, moderator = scene
    login(client, moderator)
    response = client.post(f"/manage/moderation/users/{offender.id}/sanctions",
                           data={"kind": "suspension", "reason_text": "Repeated off-topic posting"})
    assert response.status_code == 400
    assert b"Give the date the suspension ends" in response.data
    assert b"Repeated off-topic posting" in response.data
    assert services.active_block(session, offender.id) is None


def test_history_page_shows_sanctions(session, client, scene):
    _consultation, offender, moderator = scene
    services.sanction_user(session, offender, kind=SanctionKind.WARNING, reason_text="Mind the tone", actor=moderator)
    login(client, moderator)
    page = client.get(f"/manage/moderation/users/{offender.id}")
    assert page.status_code == 200 and b"Mind the tone" in page.data
