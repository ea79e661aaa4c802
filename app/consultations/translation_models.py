"""Translations of a consultation's content: its title, summary and questions
(``ConsultationTranslation``) and its sections (``SectionTranslation``), one
row per language, written by the consultation's authors.

A section translation belongs to the section's anchor, which stays the same
across versions, not to one version's row: a provision that a new version
leaves unchanged keeps its translation. Each translation keeps the digest of
the original text it was made from (``source_digest``); when the original no
longer has that digest, the translation is out of date.

The original is in the consultation's ``original_language``; it prevails over
every translation.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint, or_, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.consultations.models import text_scopes
from app.core.cache import draft_scope, track
from app.core.db import Base, utcnow


def text_digest(*parts: str | None) -> str:
    """The SHA-256 of the parts of an original text, to tell later whether it changed."""
    joined = "\x1f".join(part or "" for part in parts)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()


def consultation_digest(consultation) -> str:
    return text_digest(consultation.title, consultation.summary_source, consultation.questions_source)


def section_digest(section) -> str:
    return text_digest(section.heading, section.body_source)


class ConsultationTranslation(Base):
    __tablename__ = "consultation_translation"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(8))
    title: Mapped[str] = mapped_column(String(300))
    summary_source: Mapped[str] = mapped_column(Text, default="")
    summary_html: Mapped[str] = mapped_column(Text, default="")
    questions_source: Mapped[str] = mapped_column(Text, default="")
    questions_html: Mapped[str] = mapped_column(Text, default="")
    sanitizer_version: Mapped[int] = mapped_column(default=1)
    source_digest: Mapped[str] = mapped_column(String(64))
    translator_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    translator: Mapped[User | None] = relationship()

    __table_args__ = (UniqueConstraint("consultation_id", "language"),)

    def is_current_for(self, consultation) -> bool:
        return self.source_digest == consultation_digest(consultation)


class SectionTranslation(Base):
    __tablename__ = "section_translation"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"), index=True)
    anchor: Mapped[str] = mapped_column(String(80))
    language: Mapped[str] = mapped_column(String(8))
    heading: Mapped[str] = mapped_column(String(300), default="")
    body_source: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    sanitizer_version: Mapped[int] = mapped_column(default=1)
    source_digest: Mapped[str] = mapped_column(String(64))
    # The version whose text of the provision was translated.
    version_number: Mapped[int] = mapped_column(default=1)
    translator_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    translator: Mapped[User | None] = relationship()

    __table_args__ = (UniqueConstraint("consultation_id", "anchor", "language"),)

    def is_current_for(self, section) -> bool:
        return self.source_digest == section_digest(section)


# Pages kept for visitors and the section pages' draft part are filed under the consultation's
# content and draft tokens: a saved translation renews them (app/core/cache.py).
track(ConsultationTranslation, scopes=lambda _s, row: text_scopes(row.consultation_id))
track(SectionTranslation, scopes=lambda _s, row: text_scopes(row.consultation_id))


def _translated_by(session: Any, user: User) -> list[str]:
    """The draft tokens of every consultation a person translated part of: where their name
    is shown as the translator."""
    return [draft_scope(cid) for cid in session.scalars(
        select(ConsultationTranslation.consultation_id).where(or_(
            ConsultationTranslation.translator_id == user.id,
            ConsultationTranslation.consultation_id.in_(
                select(SectionTranslation.consultation_id).where(SectionTranslation.translator_id == user.id)))))]


track(User, "_display_name", "erased_at", scopes=_translated_by)
