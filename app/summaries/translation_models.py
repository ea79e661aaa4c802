"""Translations of a consultation's summary, one row per language, written by
the moderators who write the summary.

A translation belongs to the summary, not to one revision: each translated
part keeps the digest of the original text it was made from, so a revision
that keeps a point unchanged keeps its translation, and a point whose text
changed shows its old translation marked out of date (or none, for a new
point). ``points`` holds one entry per translated point:
``{"digest", "position", "source", "html"}``, ``html`` sanitised on write
like every other rich text.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.consultations.translation_models import text_digest
from app.core.cache import track
from app.core.db import Base, utcnow
from app.summaries.models import _summary_consultation

if TYPE_CHECKING:
    from app.accounts.models import User


def point_digest(point) -> str:
    return text_digest(point.text_source)


def overall_digest(revision) -> str:
    return text_digest(revision.overall_source)


class SummaryTranslation(Base):
    __tablename__ = "summary_translation"

    id: Mapped[int] = mapped_column(primary_key=True)
    summary_id: Mapped[int] = mapped_column(ForeignKey("summary.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(8))
    overall_source: Mapped[str] = mapped_column(Text, default="")
    overall_html: Mapped[str] = mapped_column(Text, default="")
    overall_digest: Mapped[str] = mapped_column(String(64), default="")
    points: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    sanitizer_version: Mapped[int] = mapped_column(default=1)
    # The revision whose text was translated last.
    revision_number: Mapped[int] = mapped_column(default=1)
    translator_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    translator: Mapped[User | None] = relationship()

    __table_args__ = (UniqueConstraint("summary_id", "language"),)


track(SummaryTranslation, scopes=lambda _s, row: _summary_consultation(row.summary_id))
