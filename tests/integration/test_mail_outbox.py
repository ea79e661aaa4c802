"""The e-mail outbox against a real SMTP server on loopback: delivered once,
retried with back-off while SMTP is down, dead-lettered when refused,
deduplicated, and immune to header injection."""

from __future__ import annotations

import socket
from datetime import timedelta
from email.utils import formataddr
from urllib.parse import unquote

import pytest
from sqlalchemy import select

from app.core.db import db, utcnow
from app.core.mail import backoff, deliver_due, queue_email
from app.core.models import OutboxMessage
from tests.conftest import CORPORA
from tests.factories import make_user

CRLF_CORPUS = (CORPORA / "payloadsallthethings"
               / "crlf" / "crlfinjection.txt")


def deliver() -> dict[str, int]:
    """One pass of ``flask worker``: a session of its own."""
    worker_session = db.sessionmaker()
    try:
        return deliver_due(worker_session)
    finally:
        worker_session.close()


def queue_reset_notice(session, user, key: str) -> OutboxMessage | None:
    return queue_email(session, to=user.email, template="accounts/password_changed", dedupe_key=key,
                       user=user, reset_link="https://agora.example/password/forgot")


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]  # nothing listens once the socket is closed


def rows(session, key: str) -> list[OutboxMessage]:
    session.expire_all()
    return list(session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key == key)))


def test_a_message_is_delivered_once_with_a_message_id(session, mail):
    user = make_user(session)
    queue_reset_notice(session, user, "test:once")

    deliver()
    deliver()

    [message] = mail.to(user.email)
    [row] = rows(session, "test:once")
    assert message["Message-ID"] and message["Message-ID"] == row.message_id
    assert message["Subject"] == "Your Agora 1540 password was changed"
    assert message.get_body(("html",)) is not None and message.get_body(("plain",)) is not None
    assert row.status == OutboxMessage.SENT and row.sent_at is not None and row.attempts == 1


def test_smtp_down_schedules_a_retry_and_loses_nothing(app, session, mail, monkeypatch):
    user = make_user(session)
    queue_reset_notice(session, user, "test:down")
    port = app.config["MAIL_PORT"]

    monkeypatch.setitem(app.config, "MAIL_PORT", closed_port())
    before = utcnow()
    counts = deliver()

    [row] = rows(session, "test:down")
    assert counts["retry"] >= 1
    assert row.status == OutboxMessage.PENDING and row.attempts == 1
    assert "refused" in (row.last_error or "").lower()
    assert row.next_attempt_at >= before + backoff(1) - timedelta(seconds=1)
    assert mail.to(user.email) == []

    deliver()  # not due yet: nothing tried
    assert rows(session, "test:down")[0].attempts == 1

    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    row.next_attempt_at = utcnow() - timedelta(seconds=1)  # time passes
    session.commit()
    deliver()
    deliver()

    assert len(mail.to(user.email)) == 1
    [row] = rows(session, "test:down")
    assert row.status == OutboxMessage.SENT and row.attempts == 2 and row.last_error is None


def test_backoff_grows_and_is_capped():
    delays = [backoff(n) for n in range(1, 20)]
    assert delays == sorted(delays)
    assert delays[0] >= timedelta(seconds=30)
    assert delays[-1] <= timedelta(hours=6)


def test_a_refused_recipient_becomes_a_dead_letter_with_the_reason(session, mail):
    user = make_user(session)
    mail.refuse.add(user.email)
    queue_reset_notice(session, user, "test:refused")

    counts = deliver()

    [row] = rows(session, "test:refused")
    assert counts["dead"] >= 1
    assert row.status == OutboxMessage.DEAD
    assert "550" in row.last_error
    assert mail.to(user.email) == []
    deliver()
    assert rows(session, "test:refused")[0].attempts == 1  # not retried


def test_the_dedupe_key_prevents_a_second_message(session, mail):
    user = make_user(session)
    assert queue_reset_notice(session, user, "test:dedupe") is not None
    assert queue_reset_notice(session, user, "test:dedupe") is None

    deliver()

    assert len(rows(session, "test:dedupe")) == 1
    assert len(mail.to(user.email)) == 1


def _crlf_payloads() -> list[str]:
    lines = [line for line in CRLF_CORPUS.read_text(encoding="utf-8").splitlines() if line.strip()]
    decoded = [unquote(unquote(line)).replace("%u000a", "\n") for line in lines]
    return decoded + ["\r\nBcc: stowaway@example.org", "x\nX-Injected: yes", "x\r\n\r\nbody takeover"]


@pytest.mark.parametrize("payload", _crlf_payloads())
def test_crafted_crlf_in_subjects_does_not_inject_headers(session, mail, payload):
    user = make_user(session)
    row = OutboxMessage(dedupe_key=f"test:crlf:{user.id}", to_address=user.email,
                        subject=f"Hello{payload}", body_text="body", body_html=None)
    session.add(row)
    session.commit()

    deliver()

    [message] = mail.to(user.email)  # one message...
    assert [address.addr_spec for address in message["To"].addresses] == [user.email]  # ...to one recipient
    for name in ("Set-Cookie", "Bcc", "X-Injected"):
        assert message[name] is None, name
    assert "\n" not in message["Subject"] and "\r" not in message["Subject"]
    assert message.get_content().strip() == "body"


@pytest.mark.parametrize("payload", _crlf_payloads()[-3:])
def test_recipients_are_bare_addresses_so_names_cannot_inject(session, mail, payload):
    """A display name in "to" is refused at queue time; a row that got one anyway is a dead letter."""
    user = make_user(session)
    crafted = formataddr((f"Evil{payload}", user.email))
    with pytest.raises(ValueError, match="bare"):
        queue_email(session, to=crafted, template="accounts/password_changed", dedupe_key="x", user=user)
    row = OutboxMessage(dedupe_key=f"test:crlf-to:{user.id}", to_address=crafted,
                        subject="Hello", body_text="body", body_html=None)
    session.add(row)
    session.commit()

    deliver()

    assert mail.messages == []
    session.refresh(row)
    assert row.status == OutboxMessage.DEAD
    assert "bare" in row.last_error


def test_account_emails_carry_the_display_name_only_in_the_body(client, session, mail):
    user = make_user(session, display_name="Name\u00a0With Ünïcode")
    client.post("/password/forgot", data={"email": user.email})

    deliver()

    [message] = mail.to(user.email)
    assert message["To"] == user.email
    assert "Name\u00a0With Ünïcode" in message.get_body(("plain",)).get_content()
