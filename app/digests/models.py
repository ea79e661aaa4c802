"""Focal points' subscriptions and the digests sent to them.

A ``Digest`` is built once per recipient and period (unique user + period
key): its HTML, plain text and PDF are rendered when it is created and never
again, so the e-mail, the in-app page and the PDF always agree.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, deferred, mapped_column

from app.core.db import Base, utcnow


class Frequency(StrEnum):
    IMMEDIATE = "immediate"  # hourly: what happened in the last full hour
    DAILY = "daily"
    WEEKLY = "weekly"


FREQUENCIES = tuple(Frequency)


class Subscription(Base):
    __tablename__ = "digest_subscription"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    regions: Mapped[list[str]] = mapped_column(JSON, default=list)
    countries: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Empty: every obligation.
    obligations: Mapped[list[str]] = mapped_column(JSON, default=list)
    frequency: Mapped[str] = mapped_column(String(16), default=Frequency.WEEKLY)
    language: Mapped[str] = mapped_column(String(8), default="en")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class Digest(Base):
    __tablename__ = "digest"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    period_key: Mapped[str] = mapped_column(String(32))
    frequency: Mapped[str] = mapped_column(String(16))
    period_start: Mapped[datetime]
    period_end: Mapped[datetime]
    language: Mapped[str] = mapped_column(String(8), default="en")
    subject: Mapped[str] = mapped_column(String(300))
    item_count: Mapped[int] = mapped_column(default=0)
    body_html: Mapped[str] = deferred(mapped_column(Text, nullable=False))
    body_text: Mapped[str] = deferred(mapped_column(Text, nullable=False))
    pdf: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    # The outbox message that carries the e-mail (its dedupe key).
    dedupe_key: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    read_at: Mapped[datetime | None]

    __table_args__ = (
        UniqueConstraint("user_id", "period_key"),
        Index("ix_digest_user_id_created_at", "user_id", "created_at"),
    )

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
