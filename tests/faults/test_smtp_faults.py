"""SMTP down, then answering 4xx, then 5xx for some recipients: every
e-mail ends delivered exactly once or dead-lettered with the server's reason,
and nothing stays pending; the audit chain still verifies."""

from __future__ import annotations

import socket
import threading
from datetime import timedelta
from email import message_from_bytes, policy

import pytest
from sqlalchemy import select, update

from app.core.audit import verify_chain
from app.core.db import db, utcnow
from app.core.mail import deliver_due
from app.core.models import OutboxMessage

REFUSED_AT_RCPT = "refused@example.org"
REFUSED_AT_DATA = "rejected@example.org"


class MoodySmtp:
    """An aiosmtpd handler that answers what the test tells it to."""

    def __init__(self) -> None:
        self.mode = "ok"  # "ok", "4xx"
        self.received: list = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if self.mode == "4xx":
            return "451 4.3.0 try again later"
        if address == REFUSED_AT_RCPT:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if REFUSED_AT_DATA in envelope.rcpt_tos:
            return "554 5.7.1 message refused by policy"
        with self.lock:
            self.received.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 accepted"


@pytest.fixture(scope="module")
def moody_smtp():
    from aiosmtpd.controller import Controller

    handler = MoodySmtp()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


def deliver() -> dict[str, int]:
    worker_session = db.sessionmaker()
    try:
        return deliver_due(worker_session)
    finally:
        worker_session.close()


def time_passes(session) -> None:
    session.execute(update(OutboxMessage).where(OutboxMessage.status == OutboxMessage.PENDING)
                    .values(next_attempt_at=utcnow() - timedelta(seconds=1)))
    session.commit()


def test_smtp_down_then_4xx_then_5xx_ends_delivered_once_or_dead_with_a_reason(app, session, moody_smtp,
                                                                              monkeypatch):
    handler, port = moody_smtp
    handler.received.clear()
    addresses = [f"reader{i}@example.org" for i in range(8)] + [REFUSED_AT_RCPT, REFUSED_AT_DATA]
    for i, address in enumerate(addresses):
        session.add(OutboxMessage(dedupe_key=f"smtp-fault-{i}", to_address=address, subject=f"Fault {i}",
                                  body_text=f"Body {i}"))
    session.commit()
    monkeypatch.setitem(app.config, "MAIL_SERVER", "127.0.0.1")

    # 1. Nothing listens.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    monkeypatch.setitem(app.config, "MAIL_PORT", closed)
    assert deliver() == {"sent": 0, "retry": 10, "dead": 0}

    # 2. The server is back but answers 451.
    monkeypatch.setitem(app.config, "MAIL_PORT", port)
    handler.mode = "4xx"
    time_passes(session)
    assert deliver() == {"sent": 0, "retry": 10, "dead": 0}
    session.expire_all()
    assert all("451" in row.last_error for row in session.scalars(select(OutboxMessage)))

    # 3. It accepts again, but refuses two recipients for good.
    handler.mode = "ok"
    time_passes(session)
    assert deliver() == {"sent": 8, "retry": 0, "dead": 2}
    time_passes(session)
    assert deliver() == {"sent": 0, "retry": 0, "dead": 0}

    session.expire_all()
    rows = {row.to_address: row for row in session.scalars(select(OutboxMessage))}
    assert not [r for r in rows.values() if r.status == OutboxMessage.PENDING]
    received = [m["To"] for m in handler.received]
    for address, row in rows.items():
        if row.status == OutboxMessage.SENT:
            assert received.count(address) == 1 and row.attempts == 3
        else:
            assert row.status == OutboxMessage.DEAD and received.count(address) == 0
    assert "550" in rows[REFUSED_AT_RCPT].last_error
    assert "554" in rows[REFUSED_AT_DATA].last_error
    assert verify_chain(session).ok
