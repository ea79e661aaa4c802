"""Summaries of a consultation, the comment-resolution table and the
forwarding of summaries to regional focal points and national points of contact.

A ``Summary`` belongs to one consultation and is revised: each
``SummaryRevision`` holds the overall text, the points (overall or per
section) with the comments they cite and a snapshot of the computed
statistics. The latest revision may be a draft that moderators edit; a
published revision never changes again, so a forwarding always points at
exactly what was sent.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, Index, Select, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.comments.models import comment_scopes
from app.core.cache import track
from app.core.db import Base, utcnow

if TYPE_CHECKING:
    from app.accounts.models import User
    from app.comments.models import Comment
    from app.consultations.models import Consultation, Section


class SummaryStatus(StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


SUMMARY_STATUSES = tuple(SummaryStatus)


class Decision(StrEnum):
    ACCEPTED = "accepted"
    PARTLY_ACCEPTED = "partly_accepted"
    NOT_ACCEPTED = "not_accepted"
    NOTED = "noted"


DECISIONS = tuple(Decision)


class TargetType(StrEnum):
    REGION = "region"
    COUNTRY = "country"


TARGET_TYPES = tuple(TargetType)


class Summary(Base):
    __tablename__ = "summary"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"), unique=True)
    # draft until the first revision is published; published afterwards (a newer draft revision may exist).
    status: Mapped[str] = mapped_column(String(16), default=SummaryStatus.DRAFT)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    consultation: Mapped[Consultation] = relationship()
    revisions: Mapped[list[SummaryRevision]] = relationship(
        back_populates="summary", cascade="all, delete-orphan", order_by="SummaryRevision.number")

    @property
    def is_published(self) -> bool:
        return self.status == SummaryStatus.PUBLISHED

    @property
    def published_revisions(self) -> list[SummaryRevision]:
        return [r for r in self.revisions if r.is_published]

    @property
    def current_revision(self) -> SummaryRevision | None:
        """The latest published revision: what readers see."""
        published = self.published_revisions
        return published[-1] if published else None

    @property
    def working_revision(self) -> SummaryRevision | None:
        """The draft revision being edited, if any."""
        for revision in self.revisions:
            if not revision.is_published:
                return revision
        return None

    def __repr__(self) -> str:
        return f"<Summary {self.id} consultation={self.consultation_id} {self.status}>"


class SummaryRevision(Base):
    __tablename__ = "summary_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    summary_id: Mapped[int] = mapped_column(ForeignKey("summary.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    overall_source: Mapped[str] = mapped_column(Text, default="")
    overall_html: Mapped[str] = mapped_column(Text, default="")
    sanitizer_version: Mapped[int] = mapped_column(default=1)
    change_note: Mapped[str] = mapped_column(Text, default="")
    # Who may read this revision once published: a restricted revision may cite
    # restricted comments and its figures count them, so only people who may
    # read the consultation's restricted comments see it. Set on the draft
    # revision; frozen with the rest of the revision when it is published.
    restricted: Mapped[bool] = mapped_column(default=False, server_default="0")
    # Computed by app/summaries/statistics.py when the revision is published.
    statistics: Mapped[dict | None] = mapped_column(JSON)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    summary: Mapped[Summary] = relationship(back_populates="revisions")
    points: Mapped[list[SummaryPoint]] = relationship(
        back_populates="revision", cascade="all, delete-orphan", order_by="SummaryPoint.position")
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    __table_args__ = (UniqueConstraint("summary_id", "number"),)

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    def __repr__(self) -> str:
        return f"<SummaryRevision {self.summary_id} r{self.number}>"


class SummaryPoint(Base):
    """One point of a summary revision: on the draft as a whole (no section) or on one section."""

    __tablename__ = "summary_point"

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("summary_revision.id", ondelete="CASCADE"), index=True)
    section_id: Mapped[int | None] = mapped_column(ForeignKey("section.id", ondelete="SET NULL"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    text_source: Mapped[str] = mapped_column(Text, default="")
    text_html: Mapped[str] = mapped_column(Text, default="")

    revision: Mapped[SummaryRevision] = relationship(back_populates="points")
    section: Mapped[Section | None] = relationship()
    citations: Mapped[list[SummaryCitation]] = relationship(
        back_populates="point", cascade="all, delete-orphan", order_by="SummaryCitation.comment_id")

    @property
    def comment_ids(self) -> list[int]:
        return [c.comment_id for c in self.citations]


class SummaryCitation(Base):
    __tablename__ = "summary_citation"

    point_id: Mapped[int] = mapped_column(ForeignKey("summary_point.id", ondelete="CASCADE"), primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"), primary_key=True,
                                            index=True)

    point: Mapped[SummaryPoint] = relationship(back_populates="citations")
    comment: Mapped[Comment] = relationship()


class Disposition(Base):
    """One row of the comment-resolution table ("you said, we did"), entered by the drafting government."""

    __tablename__ = "disposition"

    id: Mapped[int] = mapped_column(primary_key=True)
    summary_id: Mapped[int] = mapped_column(ForeignKey("summary.id", ondelete="CASCADE"), index=True)
    # The summary round: the number of the summary revision the disposition answers.
    round: Mapped[int] = mapped_column(default=1)
    # The section the point was raised on (None: the draft as a whole).
    section_id: Mapped[int | None] = mapped_column(ForeignKey("section.id", ondelete="SET NULL"), index=True)
    point_raised: Mapped[str] = mapped_column(Text)
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    section: Mapped[Section | None] = relationship()
    answered: Mapped[list[DispositionComment]] = relationship(
        cascade="all, delete-orphan", order_by="DispositionComment.comment_id")

    @property
    def comment_ids(self) -> list[int]:
        return [a.comment_id for a in self.answered]


class DispositionComment(Base):
    __tablename__ = "disposition_comment"

    disposition_id: Mapped[int] = mapped_column(ForeignKey("disposition.id", ondelete="CASCADE"), primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"), primary_key=True,
                                            index=True)


class Forwarding(Base):
    """One published summary revision sent to a regional organisation or a country."""

    __tablename__ = "forwarding"

    id: Mapped[int] = mapped_column(primary_key=True)
    revision_id: Mapped[int] = mapped_column(ForeignKey("summary_revision.id", ondelete="CASCADE"), index=True)
    target_type: Mapped[str] = mapped_column(String(16))
    target_key: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, default="")
    forwarded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    revision: Mapped[SummaryRevision] = relationship()
    forwarded_by: Mapped[User | None] = relationship(foreign_keys=[forwarded_by_id])
    recipients: Mapped[list[ForwardingRecipient]] = relationship(
        back_populates="forwarding", cascade="all, delete-orphan", order_by="ForwardingRecipient.user_id")
    responses: Mapped[list[ForwardingResponse]] = relationship(
        back_populates="forwarding", cascade="all, delete-orphan", order_by="ForwardingResponse.id")

    __table_args__ = (UniqueConstraint("revision_id", "target_type", "target_key"),)

    @property
    def acknowledged_count(self) -> int:
        return sum(1 for r in self.recipients if r.acknowledged_at is not None)


class ForwardingRecipient(Base):
    """A focal point who received a forwarding, and whether they acknowledged it."""

    __tablename__ = "forwarding_recipient"

    forwarding_id: Mapped[int] = mapped_column(ForeignKey("forwarding.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True)
    acknowledged_at: Mapped[datetime | None]

    forwarding: Mapped[Forwarding] = relationship(back_populates="recipients")
    user: Mapped[User] = relationship()


class ForwardingResponse(Base):
    """A focal point's reply to a forwarded summary: to moderators and authors, optionally published."""

    __tablename__ = "forwarding_response"

    id: Mapped[int] = mapped_column(primary_key=True)
    forwarding_id: Mapped[int] = mapped_column(ForeignKey("forwarding.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    sanitizer_version: Mapped[int] = mapped_column(default=1)
    published: Mapped[bool] = mapped_column(default=False, server_default="0")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    forwarding: Mapped[Forwarding] = relationship(back_populates="responses")
    author: Mapped[User | None] = relationship()


Index("ix_forwarding_target", Forwarding.target_type, Forwarding.target_key)


# Discussions show "Answered in" links to published summary points and
# dispositions: their changes renew the token of the consultation they answer
# (app/core/cache.py).
def _summary_consultation(summary_id: int) -> Select:
    return select(Summary.consultation_id).where(Summary.id == summary_id)


track(SummaryRevision, scopes=lambda _s, revision: _summary_consultation(revision.summary_id))
track(Disposition, scopes=lambda _s, disposition: _summary_consultation(disposition.summary_id))
track(DispositionComment, scopes=lambda session, answered: comment_scopes(session, answered.comment_id))
