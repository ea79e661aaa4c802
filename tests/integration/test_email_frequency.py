"""Participant e-mails follow each user's frequency: immediately, or once a
day in one e-mail listing the day's notifications (``flask notifications
send-daily``)."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from app.comments.models import EmailFrequency, Notification, NotificationPreference
from app.comments.notifications import notify_closing, send_daily
from app.core.db import utcnow
from app.core.mail import deliver_due
from app.core.models import OutboxMessage
from app.moderation import services as moderation
from app.moderation.models import DecisionAction
from app.moderation.services import DecisionInput
from tests.factories import login, make_user
from tests.integration.test_comments_fixtures import add_comment, make_consultation
from tests.integration.test_moderation_support import make_moderator, open_consultation, post


def _daily(session, user, **choices) -> None:
    session.add(NotificationPreference(user_id=user.id, email_frequency=EmailFrequency.DAILY, **choices))
    session.flush()


def _outbox(session, *where) -> list[OutboxMessage]:
    return list(session.scalars(select(OutboxMessage).where(*where).order_by(OutboxMessage.id)))


def _notes(session, user) -> int:
    return session.scalar(select(func.count(Notification.id)).where(Notification.user_id == user.id))


def _checked(page: str) -> str:
    [value] = re.findall(r'<input checked[^>]*name="email_frequency"[^>]*value="(\w+)"', page)
    return value


def _today():
    return utcnow().date()


def _send_daily_cli(app, day) -> str:
    result = app.test_cli_runner().invoke(args=["notifications", "send-daily", "--date", day.isoformat()])
    assert result.exit_code == 0, result.output
    return result.output


def test_users_on_immediate_get_the_reply_e_mail_at_once_and_no_daily_e_mail(session):
    consultation = make_consultation(session)
    alice, bob = make_user(session), make_user(session)
    root = add_comment(session, consultation, alice)
    reply = add_comment(session, consultation, bob, parent=root, body="Article 2 needs a transit clause.")
    [mail] = _outbox(session, OutboxMessage.dedupe_key == f"comment-reply:{reply.id}")
    assert mail.to_address == alice.email and "transit clause" in mail.body_text
    assert send_daily(session, day=_today()) == 0
    assert _outbox(session, OutboxMessage.dedupe_key.like("daily:%")) == []


def test_users_on_daily_get_no_immediate_e_mail_then_one_e_mail_listing_the_day(session):
    consultation = make_consultation(session, closes_in=timedelta(days=5))
    alice, bob = make_user(session, display_name="Alice Expert"), make_user(session, display_name="Bob Reviewer")
    _daily(session, alice)
    root = add_comment(session, consultation, alice)
    add_comment(session, consultation, bob, parent=root, body="Article 2 needs a transit clause.")
    assert notify_closing(session) == 2  # alice and bob both commented
    assert _notes(session, alice) == 2  # in-app notifications are kept
    assert _outbox(session, OutboxMessage.to_address == alice.email,
                   OutboxMessage.dedupe_key.like("comment-reply:%") | OutboxMessage.dedupe_key.like("closing:%")) == []
    assert len(_outbox(session, OutboxMessage.to_address == bob.email, OutboxMessage.dedupe_key.like("closing:%"))) == 1

    assert send_daily(session, day=_today()) == 1
    [digest] = _outbox(session, OutboxMessage.dedupe_key.like("daily:%"))
    assert digest.dedupe_key == f"daily:{alice.id}:{_today().isoformat()}"
    assert digest.to_address == alice.email and "2 new items" in digest.subject
    assert "Bob Reviewer replied to your comment" in digest.body_text
    assert "transit clause" in digest.body_text
    assert f"“{consultation.title}” closes for comments" in digest.body_text
    note_ids = session.scalars(select(Notification.id).where(Notification.user_id == alice.id)).all()
    for note_id in note_ids:  # each item links to what it is about
        assert f"/notifications/{note_id}\n" in digest.body_text


def test_moderation_decisions_wait_for_the_daily_e_mail_and_sanction_notices_do_not(session):
    consultation = open_consultation(session)
    author, moderator = make_user(session), make_moderator(session)
    _daily(session, author)
    comment = post(session, consultation, author)
    decision = moderation.decide(session, comment, DecisionInput(action=DecisionAction.APPROVE),
                                 expected_version=comment.version, actor=moderator)
    assert _outbox(session, OutboxMessage.dedupe_key == f"moderation:decision:{decision.id}") == []
    assert _notes(session, author) == 1
    moderation.sanction_user(session, author, kind="warning", reason_text="Stay on topic.", actor=moderator)
    assert len(_outbox(session, OutboxMessage.dedupe_key.like("moderation:sanction:%"))) == 1

    assert send_daily(session, day=_today()) == 1
    [digest] = _outbox(session, OutboxMessage.dedupe_key.like("daily:%"))
    assert f"A moderator took a decision on your comment on “{consultation.title}”" in digest.body_text
    assert "1 new item" in digest.subject


def test_send_daily_twice_queues_one_e_mail(app, session):
    consultation = make_consultation(session)
    alice, bob = make_user(session), make_user(session)
    _daily(session, alice)
    add_comment(session, consultation, bob, parent=add_comment(session, consultation, alice))
    assert "1 e-mail(s) queued" in _send_daily_cli(app, _today())
    assert "0 e-mail(s) queued" in _send_daily_cli(app, _today())
    assert len(_outbox(session, OutboxMessage.dedupe_key.like("daily:%"))) == 1


def test_a_day_without_notifications_sends_nothing_and_days_are_utc_days(app, session):
    consultation = make_consultation(session)
    alice, bob = make_user(session), make_user(session)
    _daily(session, alice)
    add_comment(session, consultation, bob, parent=add_comment(session, consultation, alice))
    yesterday = _today() - timedelta(days=1)
    assert "0 e-mail(s) queued" in _send_daily_cli(app, yesterday)
    note = session.scalar(select(Notification).where(Notification.user_id == alice.id))
    note.created_at = note.created_at - timedelta(days=1)
    session.flush()
    assert send_daily(session, day=_today()) == 0
    assert send_daily(session, day=yesterday) == 1
    [digest] = _outbox(session, OutboxMessage.dedupe_key.like("daily:%"))
    assert digest.dedupe_key == f"daily:{alice.id}:{yesterday.isoformat()}"


def test_the_daily_e_mail_leaves_out_opted_out_kinds_and_replies_no_longer_visible(session):
    consultation = open_consultation(session)
    alice, bob, carol = make_user(session), make_user(session), make_user(session)
    moderator = make_moderator(session)
    _daily(session, alice, email_replies=False)
    _daily(session, carol)
    root = post(session, consultation, alice)
    moderation.decide(session, root, DecisionInput(action=DecisionAction.APPROVE),
                      expected_version=root.version, actor=moderator)
    carols = post(session, consultation, carol)
    moderation.decide(session, carols, DecisionInput(action=DecisionAction.APPROVE),
                      expected_version=carols.version, actor=moderator)
    reply = post(session, consultation, bob, "This reply will be hidden.", parent=carols)
    moderation.decide(session, reply, DecisionInput(action=DecisionAction.APPROVE),
                      expected_version=reply.version, actor=moderator)
    post(session, consultation, bob, "A reply alice opted out of.", parent=root)
    moderation.decide(session, reply, DecisionInput(action=DecisionAction.HIDE, reason_text="Off topic."),
                      expected_version=reply.version, actor=moderator)

    assert send_daily(session, day=_today()) == 2
    mails = {m.to_address: m for m in _outbox(session, OutboxMessage.dedupe_key.like("daily:%"))}
    assert "opted out" not in mails[alice.email].body_text  # only her decision is listed
    assert "A moderator took a decision" in mails[alice.email].body_text
    assert "will be hidden" not in mails[carol.email].body_text
    assert "replied to your comment" not in mails[carol.email].body_text


def test_the_daily_e_mail_reaches_the_smtp_server_in_the_users_language(session, mail):
    consultation = make_consultation(session)
    amelie, bob = make_user(session, language="fr", display_name="Amélie"), make_user(session)
    _daily(session, amelie)
    add_comment(session, consultation, bob, parent=add_comment(session, consultation, amelie),
                body="La définition du courtage est trop étroite.")
    deliver_due(session)  # the receipts
    mail.clear()
    assert send_daily(session, day=_today()) == 1
    deliver_due(session)
    [message] = mail.to(amelie.email)
    subject = " ".join(str(message["Subject"]).split())  # undo the header's folding
    assert subject.startswith("Vos notifications Agora 1540 du ") and subject.endswith(" : 1 nouvel élément")
    body = mail.text_of(message)
    assert "Bonjour Amélie," in body and "courtage est trop étroite" in body
    assert any("/notifications/" in link for link in mail.links_in(message))


def test_the_preferences_page_saves_the_frequency(client, session):
    user = make_user(session)
    login(client, user)
    page = client.get("/notifications/settings").get_data(as_text=True)
    assert _checked(page) == "immediate"
    assert "sanction" in page
    response = client.post("/notifications/settings",
                           data={"email_replies": "y", "email_frequency": "daily"})
    assert response.status_code == 302
    saved = session.get(NotificationPreference, user.id)
    assert saved.email_frequency == EmailFrequency.DAILY and saved.email_replies and not saved.email_closing
    assert _checked(client.get("/notifications/settings").get_data(as_text=True)) == "daily"
    bad = client.post("/notifications/settings", data={"email_frequency": "hourly"})
    assert bad.status_code == 422  # a choice outside the list: the form does not validate
    session.refresh(saved)
    assert saved.email_frequency == EmailFrequency.DAILY
