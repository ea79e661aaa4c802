"""Comments on a consultation (on the whole draft or one section), their
revisions and supports; follows, visits and in-app notifications.

A thread is stored as a materialised path: ``path`` is the zero-padded ids of
the ancestors and of the comment itself joined by "/", so ordering by path
gives depth-first thread order and one indexed query loads a whole thread.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Select, String, Text, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from app.accounts.models import Organisation, RoleGrant, User
from app.core.cache import consultation_scope, track
from app.core.db import Base, utcnow

PATH_DIGITS = 10


def path_segment(comment_id: int) -> str:
    return str(comment_id).zfill(PATH_DIGITS)


class CommentKind(StrEnum):
    COMMENT = "comment"
    QUESTION = "question"
    AMENDMENT = "amendment"


COMMENT_KINDS = tuple(CommentKind)


class Stance(StrEnum):
    SUPPORTS = "supports"
    OPPOSES = "opposes"
    NEUTRAL = "neutral"


STANCES = tuple(Stance)


class Audience(StrEnum):
    PUBLIC = "public"
    # Moderators, the drafting government and focal points in scope (and the author).
    RESTRICTED = "restricted"


AUDIENCES = tuple(Audience)


class CommentStatus(StrEnum):
    PENDING = "pending"
    PUBLISHED = "published"
    REJECTED = "rejected"
    HIDDEN = "hidden"
    WITHDRAWN = "withdrawn"
    SPAM = "spam"


COMMENT_STATUSES = tuple(CommentStatus)
# Shown in threads (a withdrawn comment as a placeholder, so replies keep their context).
STATUSES_IN_THREAD = (CommentStatus.PUBLISHED, CommentStatus.WITHDRAWN)


class Comment(Base):
    __tablename__ = "comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"))
    # None: a comment on the draft as a whole.
    section_id: Mapped[int | None] = mapped_column(ForeignKey("section.id", ondelete="CASCADE"))
    version_id: Mapped[int] = mapped_column(ForeignKey("draft_version.id", ondelete="CASCADE"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"), index=True)
    # Top-level comment of the thread (itself for a top-level comment); set right after insert.
    root_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(String(400), default="")
    depth: Mapped[int] = mapped_column(default=0)

    author_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisation.id", ondelete="SET NULL"),
                                                        index=True)
    kind: Mapped[str] = mapped_column(String(16), default=CommentKind.COMMENT)
    stance: Mapped[str | None] = mapped_column(String(16))
    audience: Mapped[str] = mapped_column(String(16), default=Audience.PUBLIC)
    language: Mapped[str] = mapped_column(String(8), default="en")

    body_source: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    sanitizer_version: Mapped[int] = mapped_column(default=1)
    # Amendments: proposed wording (plain text) and its word diff against the
    # section text, computed once on write: [[(op, text), ...], ...].
    proposed_wording: Mapped[str | None] = mapped_column(Text)
    proposed_diff: Mapped[list | None] = mapped_column(JSON)

    status: Mapped[str] = mapped_column(String(16), default=CommentStatus.PUBLISHED)
    receipt_number: Mapped[str | None] = mapped_column(String(32), unique=True)
    idempotency_key: Mapped[str] = mapped_column(String(64))
    support_count: Mapped[int] = mapped_column(default=0, server_default="0")
    reply_count: Mapped[int] = mapped_column(default=0, server_default="0")
    # Optimistic locking: an edit based on an older version is refused.
    version: Mapped[int] = mapped_column(default=1, server_default="1")

    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None]
    edited_at: Mapped[datetime | None]
    withdrawn_at: Mapped[datetime | None]
    # Set by moderation decisions; a moderated comment can no longer be edited by its author.
    moderated_at: Mapped[datetime | None]

    author: Mapped[User] = relationship(foreign_keys=[author_id])
    organisation: Mapped[Organisation | None] = relationship()
    parent: Mapped[Comment | None] = relationship(remote_side=[id], foreign_keys=[parent_id])
    revisions: Mapped[list[CommentRevision]] = relationship(
        back_populates="comment", cascade="all, delete-orphan", order_by="CommentRevision.id")

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (
        UniqueConstraint("author_id", "idempotency_key"),
        Index("ix_comment_section_status_path", "section_id", "status", "path"),
        Index("ix_comment_consultation_status_path", "consultation_id", "status", "path"),
        # The review queue: pending items, oldest first.
        Index("ix_comment_status_created_at", "status", "created_at", "id"),
        # The review queue of one consultation (the filter a moderator works through).
        Index("ix_comment_consultation_status_created_at", "consultation_id", "status", "created_at", "id"),
    )

    @property
    def is_restricted(self) -> bool:
        return self.audience == Audience.RESTRICTED

    @property
    def is_withdrawn(self) -> bool:
        return self.status == CommentStatus.WITHDRAWN

    @property
    def is_pending(self) -> bool:
        return self.status == CommentStatus.PENDING

    @property
    def is_published(self) -> bool:
        return self.status == CommentStatus.PUBLISHED

    def __repr__(self) -> str:
        return f"<Comment {self.id} {self.status} path={self.path}>"


class CommentRevision(Base):
    """The text of a comment before an edit (or before withdrawal)."""

    __tablename__ = "comment_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"), index=True)
    body_source: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    proposed_wording: Mapped[str | None] = mapped_column(Text)
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    comment: Mapped[Comment] = relationship(back_populates="revisions")


class Support(Base):
    """One user supports one comment (at most once)."""

    __tablename__ = "comment_support"

    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Follow(Base):
    """A user follows a consultation (closing reminders)."""

    __tablename__ = "consultation_follow"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"),
                                                 primary_key=True, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ConsultationVisit(Base):
    """When a user last read a consultation's discussion ("new since my last visit")."""

    __tablename__ = "consultation_visit"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"),
                                                 primary_key=True, index=True)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The visit before the current one: what "new since my last visit" compares with.
    previous_seen_at: Mapped[datetime | None]


class NotificationKind(StrEnum):
    REPLY = "reply"
    CLOSING = "closing"
    MODERATION = "moderation"  # a moderator's decision on the user's comment
    FLAG = "flag"  # what became of a flag the user raised (in-app only)
    SANCTION = "sanction"  # a sanction given or lifted
    ANSWER = "answer"  # the government answered the user's comment (app.summaries)


NOTIFICATION_KINDS = tuple(NotificationKind)


class Notification(Base):
    __tablename__ = "notification"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    consultation_id: Mapped[int | None] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"),
                                                        index=True)
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"), index=True)
    # Unique per recipient: the same event never notifies twice.
    dedupe_key: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)  # the daily e-mail selects by day
    read_at: Mapped[datetime | None]

    comment: Mapped[Comment | None] = relationship()

    __table_args__ = (
        UniqueConstraint("user_id", "dedupe_key"),
        Index("ix_notification_user_id_read_at", "user_id", "read_at"),
    )


# --- e-mail frequency (issue "Summaries forwarded…", item 6) ---
class EmailFrequency(StrEnum):
    """How participant e-mails (replies, moderation decisions, closing soon) are sent."""

    IMMEDIATE = "immediate"
    DAILY = "daily"


EMAIL_FREQUENCIES = tuple(EmailFrequency)
# --- end e-mail frequency ---


class NotificationPreference(Base):
    """Per-user e-mail choices; no row means the defaults (everything on, immediately)."""

    __tablename__ = "notification_preference"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    email_replies: Mapped[bool] = mapped_column(default=True, server_default="1")
    email_closing: Mapped[bool] = mapped_column(default=True, server_default="1")
    email_frequency: Mapped[str] = mapped_column(String(16), default=EmailFrequency.IMMEDIATE,
                                                 server_default=EmailFrequency.IMMEDIATE, index=True)


class CommentDraft(Base):
    """Text of a comment posted after the session expired, kept until the
    writer signs in again (keyed by the form's idempotency key)."""

    __tablename__ = "comment_draft"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"), index=True)
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


# What discussions show: rendered windows kept for visitors are renewed when these
# change, in the consultations that show them (app/core/cache.py).

def comment_scopes(session: Session, comment_id: int | None, comment: Comment | None = None) -> list[str]:
    """The scope of the consultation a comment belongs to (for rows that hang off a comment)."""
    if comment is None and comment_id is not None:
        comment = session.get(Comment, comment_id)
    return [consultation_scope(comment.consultation_id if comment is not None else None)]


def _written_in(column: Any, value: Any) -> Select:
    """Every consultation where a comment has ``column == value``: where a name is shown."""
    return select(Comment.consultation_id).where(column == value).distinct()


track(Comment, scopes=lambda _s, comment: [consultation_scope(comment.consultation_id)])
track(Support, scopes=lambda session, support: comment_scopes(session, support.comment_id))
track(User, "_display_name", "erased_at", scopes=lambda _s, user: _written_in(Comment.author_id, user.id))
track(Organisation, "name", "kind", "country_code",
      scopes=lambda _s, organisation: _written_in(Comment.organisation_id, organisation.id))
# Role grants give the "Moderator" and "Drafting government" badges next to an author's name.
track(RoleGrant, scopes=lambda _s, role_grant: _written_in(Comment.author_id, role_grant.user_id))
