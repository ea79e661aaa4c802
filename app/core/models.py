"""Cross-cutting tables: the e-mail outbox, the audit log and the content tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.core.db import Base, utcnow


class OutboxMessage(Base):
    """One e-mail to send. Written in the transaction that caused it."""

    __tablename__ = "outbox_message"

    PENDING = "pending"
    SENT = "sent"
    DEAD = "dead"

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(255), unique=True)
    to_address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    attachments: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default=PENDING, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    lease_until: Mapped[datetime | None]
    lease_token: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(255))
    # Secrets the message needs (sign-in links), encrypted under a key derived
    # from SECRET_KEY; the bodies above hold placeholders (app/core/mail.py).
    sealed: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_outbox_message_due", "status", "next_attempt_at"),)


class AuditEntry(Base):
    """Append-only, hash-chained record of a consequential action."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str] = mapped_column(String(64))
    target_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(Text)
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)

    __table_args__ = (Index("ix_audit_entry_target", "target_type", "target_id"),)


class AuditHead(Base):
    """The newest audit entry (id and hash), moved forward in the transaction
    that appends it. Deleting entries from the end of the chain leaves the
    chain valid but no longer ending where the head says."""

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(primary_key=True)  # always 1: one head
    entry_id: Mapped[int]
    hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ContentToken(Base):
    """One token per scope of shown content (a consultation, the whole site),
    replaced by every transaction that changes what that scope shows
    (app/core/cache.py); rendered pages are kept under the tokens they show.
    A scope that never changed has no row."""

    __tablename__ = "content_token"

    scope: Mapped[str] = mapped_column(String(80), primary_key=True)
    token: Mapped[str] = mapped_column(String(32))
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
