"""Tables of a person's own machine access and data requests: personal
access tokens for the read API, and exports of everything held about them.

Kept apart from the core account tables: ``load_all_models`` imports this
module, and nothing on ``User`` points here, so an account page that never
touches tokens never loads them.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from app.core.db import Base, utcnow


class TokenScope(StrEnum):
    READ_PUBLIC = "read_public"  # the API answers as it answers a visitor
    READ_AS_ME = "read_as_me"  # the API answers as it answers the owner signed in


TOKEN_SCOPES = tuple(TokenScope)


class PersonalToken(Base):
    """A bearer token for /api/v1. Only a SHA-256 digest of the secret is kept;
    ``prefix`` (the first characters of the token) lets its owner recognise it."""

    __tablename__ = "personal_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    scope: Mapped[str] = mapped_column(String(16))
    prefix: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    def is_usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    def __repr__(self) -> str:
        return f"<PersonalToken {self.id} {self.prefix} user={self.user_id}>"


class DataExport(Base):
    """One request for a copy of a person's data: built by ``flask worker``,
    downloadable through a signed link for a day, then its archive is dropped."""

    __tablename__ = "data_export"

    PENDING = "pending"
    READY = "ready"
    FAILED = "failed"
    EXPIRED = "expired"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default=PENDING, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    ready_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    downloaded_at: Mapped[datetime | None]
    archive: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))

    def __repr__(self) -> str:
        return f"<DataExport {self.id} user={self.user_id} {self.status}>"
