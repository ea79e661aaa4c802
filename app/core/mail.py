"""Outgoing e-mail through the outbox.

``queue_email`` adds a row in the caller's transaction (nothing leaves the
system until that transaction commits). ``deliver_due`` claims due rows and
sends them: over SMTP when MAIL_SERVER is set, else as .eml files under
instance/mail/ with their links in the log (development).

Secrets a message carries (the token of a reset or verification link) are
never stored in its bodies: the caller puts ``sealed(name)`` where the secret
goes and passes the value in ``sealed_values``; the row keeps the values
encrypted under a key derived from SECRET_KEY, and ``build_message`` puts them
back when it sends. A copy of the outbox table alone opens no account.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
import smtplib
import ssl
import uuid
from datetime import timedelta
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app, render_template
from flask_babel import force_locale
from markupsafe import escape
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from app.core.db import utcnow
from app.core.models import OutboxMessage

log = logging.getLogger(__name__)

TEMPORARY_SMTP_CODES = range(400, 500)


class PermanentSendError(Exception):
    pass


_BARE_ADDRESS = re.compile(r"[^\s<>()\[\],;:\"@]+@[^\s<>()\[\],;:\"@]+")


def _clean_header(value: str) -> str:
    return " ".join(str(value).replace("\r", " ").replace("\n", " ").split())


def sealed(name: str) -> str:
    """The stand-in for a secret in a queued message; safe in URLs and HTML."""
    if not name.isidentifier():
        raise ValueError(f"not a name: {name!r}")
    return f"__sealed_{name}__"


def _sealer() -> Fernet:
    secret = str(current_app.config["SECRET_KEY"]).encode()
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=b"agora1540 outbox sealed values").derive(secret)
    return Fernet(base64.urlsafe_b64encode(key))


def _seal(values: dict[str, str]) -> str:
    return _sealer().encrypt(json.dumps(values, sort_keys=True).encode()).decode()


def _unseal(row: OutboxMessage) -> dict[str, str]:
    try:
        return json.loads(_sealer().decrypt(row.sealed.encode()))
    except (InvalidToken, ValueError) as exc:
        raise PermanentSendError("sealed values cannot be opened: SECRET_KEY changed since the message was queued"
                                 ) from exc


def render_email(template: str, locale: str | None = None, **context: Any) -> tuple[str, str, str]:
    """Render ``email/<template>.{txt,html}`` and its subject in ``locale``.

    The subject is the first line of the text template, "Subject: ...".
    """
    with force_locale(locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
        text = render_template(f"email/{template}.txt", **context)
        html = render_template(f"email/{template}.html", **context)
    first, _, rest = text.partition("\n")
    if not first.startswith("Subject:"):
        raise ValueError(f"email/{template}.txt must start with a Subject: line")
    return _clean_header(first[len("Subject:"):]), rest.lstrip("\n"), html


def queue_email(
    session: Session,
    *,
    to: str,
    template: str,
    dedupe_key: str,
    locale: str | None = None,
    sealed_values: dict[str, str] | None = None,
    flush: bool = True,
    fresh: bool = False,
    **context: Any,
) -> OutboxMessage | None:
    """Queue one e-mail unless a message with this dedupe key exists already.

    ``to`` is a bare address (display names are not accepted: they are a
    header-injection surface and the platform does not need them).
    ``sealed_values`` are secrets stored encrypted; the context carries
    ``sealed(name)`` where each one goes. ``flush=False`` leaves the row to the session's next
    flush (a caller that flushes or commits next anyway saves one). ``fresh``: the key names
    something this transaction created (a new decision), so no message can carry it yet: the
    look-up is skipped (the key's unique index would still refuse a second one).
    """
    if not _BARE_ADDRESS.fullmatch(to or ""):
        raise ValueError(f"not a bare e-mail address: {to!r}")
    if not fresh and session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == dedupe_key)):
        return None
    subject, text, html = render_email(template, locale, **context)
    for name, value in (sealed_values or {}).items():
        if sealed(name) not in text or value in text or value in html or value in subject:
            raise ValueError(f"sealed value {name!r} must appear in the message only as sealed({name!r})")
    message = OutboxMessage(
        dedupe_key=dedupe_key, to_address=to, subject=subject, body_text=text, body_html=html,
        sealed=_seal(sealed_values) if sealed_values else None,
    )
    session.add(message)
    if flush:
        session.flush()
    return message


def message_id_for(row: OutboxMessage, sender: str) -> str:
    """Deterministic, so a resend after a lost commit carries the same Message-ID."""
    domain = parseaddr(sender)[1].rpartition("@")[2] or "agora1540.invalid"
    digest = hashlib.sha256(row.dedupe_key.encode()).hexdigest()[:16]
    return f"<outbox-{row.id}-{digest}@{domain}>"


def build_message(row: OutboxMessage, sender: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    if not _BARE_ADDRESS.fullmatch(row.to_address):
        raise PermanentSendError(f"not a bare e-mail address: {row.to_address!r}")
    msg["To"] = row.to_address
    msg["Subject"] = _clean_header(row.subject)
    msg["Message-ID"] = row.message_id or message_id_for(row, sender)
    text, html = row.body_text, row.body_html
    if row.sealed:
        for name, value in _unseal(row).items():
            text = text.replace(sealed(name), value)
            html = html.replace(sealed(name), str(escape(value))) if html else html
    msg.set_content(text)
    if html:
        msg.add_alternative(html, subtype="html")
    return msg


def _send_smtp(msg: EmailMessage, config: dict[str, Any]) -> None:
    host, port, timeout = config["MAIL_SERVER"], config["MAIL_PORT"], config["MAIL_TIMEOUT"]
    context = ssl.create_default_context()
    smtp_cls = smtplib.SMTP_SSL if config["MAIL_USE_SSL"] else smtplib.SMTP
    kwargs: dict[str, Any] = {"timeout": timeout}
    if config["MAIL_USE_SSL"]:
        kwargs["context"] = context
    with smtp_cls(host, port, **kwargs) as smtp:
        if config["MAIL_USE_TLS"]:
            smtp.starttls(context=context)
        if config["MAIL_USERNAME"]:
            smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
        try:
            smtp.send_message(msg)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = [code for code, _ in exc.recipients.values()]
            if all(code >= 500 for code in codes):
                raise PermanentSendError(f"recipient refused: {exc.recipients}") from exc
            raise
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code >= 500:
                raise PermanentSendError(f"{exc.smtp_code} {exc.smtp_error!r}") from exc
            raise


def _write_eml(msg: EmailMessage, directory: Path, row_id: int) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{utcnow():%Y%m%dT%H%M%S}-{row_id}.eml"
    path.write_bytes(bytes(msg))
    # One line: who, what, where. The body (links, tokens, restricted text) stays in the file.
    log.info("e-mail to %s, %r: %s", msg["To"], str(msg["Subject"]), path)
    return path


def backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(30 * 2 ** max(attempts - 1, 0), 6 * 3600))


def claim_due(session: Session, limit: int = 50) -> list[OutboxMessage]:
    """Lease due rows so no other worker takes them; commit the lease."""
    now = utcnow()
    due = (
        select(OutboxMessage.id)
        .where(OutboxMessage.status == OutboxMessage.PENDING)
        .where(OutboxMessage.next_attempt_at <= now)
        .where(or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < now))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        due = due.with_for_update(skip_locked=True)
    ids = list(session.scalars(due))
    if not ids:
        session.commit()
        return []
    # On SQLite the conditional UPDATE is the claim: a row whose lease another
    # worker took in between is not matched again.
    token = uuid.uuid4().hex
    lease = timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"])
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(ids))
        .where(or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < now))
        .values(lease_until=now + lease, lease_token=token)
        .execution_options(synchronize_session=False)
    )
    rows = list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.id.in_(ids))
            .where(OutboxMessage.lease_token == token)
            .order_by(OutboxMessage.id)
            .execution_options(populate_existing=True)
        )
    )
    sender = current_app.config["MAIL_DEFAULT_SENDER"]
    for row in rows:
        if row.message_id is None:
            row.message_id = message_id_for(row, sender)
    session.commit()
    return rows


def _still_ours(session: Session, row: OutboxMessage) -> bool:
    """Renew this row's lease just before sending; False if another worker took it."""
    lease = timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"])
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == row.id)
        .where(OutboxMessage.lease_token == row.lease_token)
        .where(OutboxMessage.status == OutboxMessage.PENDING)
        .values(lease_until=utcnow() + lease)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    return result.rowcount == 1


def deliver_due(session: Session, limit: int = 50) -> dict[str, int]:
    """Send what is due once. Returns counts of sent, retried and dead rows."""
    config = current_app.config
    counts = {"sent": 0, "retry": 0, "dead": 0}
    for row in claim_due(session, limit):
        if not _still_ours(session, row):
            continue
        row.attempts += 1
        try:
            msg = build_message(row, config["MAIL_DEFAULT_SENDER"])
            if config["MAIL_SERVER"]:
                _send_smtp(msg, config)
            else:
                _write_eml(msg, Path(config["MAIL_DIR"]), row.id)
        except PermanentSendError as exc:
            row.status, row.last_error, row.lease_until = OutboxMessage.DEAD, str(exc)[:2000], None
            counts["dead"] += 1
        except (OSError, smtplib.SMTPException) as exc:
            row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            row.lease_until = None
            if row.attempts >= config["OUTBOX_MAX_ATTEMPTS"]:
                row.status = OutboxMessage.DEAD
                counts["dead"] += 1
            else:
                row.next_attempt_at = utcnow() + backoff(row.attempts)
                counts["retry"] += 1
        else:
            row.status, row.sent_at, row.lease_until, row.last_error = (
                OutboxMessage.SENT, utcnow(), None, None)
            counts["sent"] += 1
        session.commit()
    return counts


def resend(session: Session, row: OutboxMessage) -> None:
    """Put a dead message back in the queue (admin action)."""
    row.status, row.attempts, row.next_attempt_at, row.lease_until = (
        OutboxMessage.PENDING, 0, utcnow(), None)
    session.flush()


def _note_new_mail(session: Session, _flush_context: Any, _instances: Any) -> None:
    from flask import g, has_app_context

    if has_app_context() and any(isinstance(obj, OutboxMessage) for obj in session.new):
        g.outbox_has_new = True


def init_app(app: Any) -> None:
    """In development, send queued mail right after the request that queued it."""
    if not app.config["OUTBOX_SEND_AFTER_COMMIT"]:
        return
    from flask import g
    from sqlalchemy import event

    from app.core.db import db

    event.listen(db.state(app).sessionmaker, "before_flush", _note_new_mail)

    @app.after_request
    def _send_after_commit(response: Any) -> Any:
        if g.pop("outbox_has_new", False):
            session = db.sessionmaker()
            try:
                deliver_due(session)
            except Exception:  # noqa: BLE001 - the worker will retry
                log.exception("sending after commit failed; the worker will retry")
            finally:
                session.close()
        return response
