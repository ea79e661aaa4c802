"""Moderation state: decisions (with their reasons, kept for undo and the
author's history), flags, sanctions, reason templates, the watch list, per-
comment moderation state (held reasons, thread lock, highlight) and the
per-consultation moderation guidelines."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.comments.models import comment_scopes
from app.core.cache import consultation_scope, track
from app.core.db import Base, utcnow
from app.moderation.reasons import shown

if TYPE_CHECKING:
    from app.accounts.models import User
    from app.comments.models import Comment


class DecisionAction(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    HIDE = "hide"
    RESTORE = "restore"
    SPAM = "spam"
    LOCK = "lock"
    UNLOCK = "unlock"
    EDIT = "edit"
    REDACT = "redact"
    HIGHLIGHT = "highlight"
    UNHIGHLIGHT = "unhighlight"
    AUDIENCE = "audience"
    UNDO = "undo"


DECISION_ACTIONS = tuple(DecisionAction)
# Decisions that can be taken on many items at once from the queue.
BULK_ACTIONS = (DecisionAction.APPROVE, DecisionAction.REJECT, DecisionAction.HIDE, DecisionAction.RESTORE,
                DecisionAction.SPAM)


class FlagReason(StrEnum):
    SPAM = "spam"
    ABUSIVE = "abusive"
    OFF_TOPIC = "off_topic"
    PERSONAL_DATA = "personal_data"
    SECURITY = "security_detail"
    OTHER = "other"


FLAG_REASONS = tuple(FlagReason)


class FlagResolution(StrEnum):
    UPHELD = "upheld"
    DISMISSED = "dismissed"


class SanctionKind(StrEnum):
    WARNING = "warning"
    SUSPENSION = "suspension"
    BAN = "ban"


SANCTION_KINDS = tuple(SanctionKind)
# Kinds that stop a user from taking part.
BLOCKING_SANCTIONS = (SanctionKind.SUSPENSION, SanctionKind.BAN)


class HoldReason(StrEnum):
    NEW_ACCOUNT = "new_account"
    LINKS = "links"
    DUPLICATE = "duplicate"
    WATCH_WORD = "watch_word"
    FLAGS = "flags"


HOLD_REASONS = tuple(HoldReason)


class ReasonTemplate(Base):
    """A reason moderators pick from (editable); its message is sent to the author."""

    __tablename__ = "moderation_reason"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    label: Mapped[str] = mapped_column(String(200))
    message: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(default=True, server_default="1")
    position: Mapped[int] = mapped_column(default=0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<ReasonTemplate {self.code}>"

    @property
    def shown_label(self) -> str:
        """The label in the reader's language when it is a default one (app/moderation/reasons.py)."""
        return shown(self.label)

    @property
    def shown_message(self) -> str:
        return shown(self.message)


class ModerationDecision(Base):
    """One decision on one comment. ``before``/``after`` hold what the decision
    changed (status, audience, text, lock, highlight) so it can be undone."""

    __tablename__ = "moderation_decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"))
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"), index=True)
    # The comment's author at the time (author history without joining comments).
    subject_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(16))
    reason_id: Mapped[int | None] = mapped_column(ForeignKey("moderation_reason.id", ondelete="SET NULL"))
    reason_text: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    before_status: Mapped[str] = mapped_column(String(16))
    after_status: Mapped[str] = mapped_column(String(16))
    before: Mapped[dict] = mapped_column(JSON, default=dict)
    after: Mapped[dict] = mapped_column(JSON, default=dict)
    # The comment's optimistic-locking version right after this decision.
    version_after: Mapped[int] = mapped_column(default=0)
    undone_at: Mapped[datetime | None]
    undone_by_id: Mapped[int | None] = mapped_column(ForeignKey("moderation_decision.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    reason: Mapped[ReasonTemplate | None] = relationship()
    actor: Mapped[User | None] = relationship(foreign_keys=[actor_id])
    comment: Mapped[Comment] = relationship()

    __table_args__ = (
        Index("ix_moderation_decision_comment_id_id", "comment_id", "id"),
        Index("ix_moderation_decision_subject_id_created_at", "subject_id", "created_at"),
    )

    @property
    def reason_label(self) -> str:
        return self.reason.shown_label if self.reason is not None else ""

    @property
    def full_reason(self) -> str:
        """What the author is told: the template's message and the moderator's words."""
        parts = [self.reason.shown_message or self.reason.shown_label] if self.reason is not None else []
        if self.reason_text:
            parts.append(self.reason_text)
        return "\n\n".join(p for p in parts if p)


class CommentModeration(Base):
    """Moderation state of one comment that the comment row itself does not carry."""

    __tablename__ = "comment_moderation"

    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"), primary_key=True)
    # Automatic hold: rule codes with their detail, e.g. [{"rule": "links", "detail": "5"}].
    hold_reasons: Mapped[list] = mapped_column(JSON, default=list)
    # Space-separated rule codes of the hold, for filtering the queue; "" when not held.
    hold_rules: Mapped[str] = mapped_column(String(120), default="", server_default="")
    # Replies refused (set on the thread's top-level comment).
    locked: Mapped[bool] = mapped_column(default=False, server_default="0")
    highlighted: Mapped[bool] = mapped_column(default=False, server_default="0", index=True)
    open_flags: Mapped[int] = mapped_column(default=0, server_default="0", index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    comment: Mapped[Comment] = relationship()

    __table_args__ = (Index("ix_comment_moderation_hold_rules", "hold_rules"),)

    def hold(self, holds: list[dict[str, str]]) -> None:
        self.hold_reasons = holds
        self.hold_rules = " ".join(sorted({h["rule"] for h in holds}))[:120]

    def release(self) -> None:
        self.hold_reasons, self.hold_rules = [], ""


class Flag(Base):
    __tablename__ = "comment_flag"

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comment.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolution: Mapped[str | None] = mapped_column(String(16))
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("moderation_decision.id", ondelete="SET NULL"))

    comment: Mapped[Comment] = relationship()

    __table_args__ = (UniqueConstraint("comment_id", "user_id"),)

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class Sanction(Base):
    __tablename__ = "sanction"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    reason_id: Mapped[int | None] = mapped_column(ForeignKey("moderation_reason.id", ondelete="SET NULL"))
    reason_text: Mapped[str] = mapped_column(Text, default="")
    # The comment that led to it, if any.
    comment_id: Mapped[int | None] = mapped_column(ForeignKey("comment.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Suspensions end on their own; bans and warnings have no end.
    ends_at: Mapped[datetime | None]
    lifted_at: Mapped[datetime | None]
    lifted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    lift_reason: Mapped[str | None] = mapped_column(Text)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    reason: Mapped[ReasonTemplate | None] = relationship()

    __table_args__ = (Index("ix_sanction_user_id_lifted_at", "user_id", "lifted_at"),)

    def is_active(self, now: datetime) -> bool:
        if self.lifted_at is not None:
            return False
        return self.ends_at is None or self.ends_at > now

    @property
    def full_reason(self) -> str:
        parts = [self.reason.shown_message or self.reason.shown_label] if self.reason is not None else []
        if self.reason_text:
            parts.append(self.reason_text)
        return "\n\n".join(p for p in parts if p)


class WatchWord(Base):
    """A word or phrase that holds a comment for review (admin-editable)."""

    __tablename__ = "watch_word"

    id: Mapped[int] = mapped_column(primary_key=True)
    word: Mapped[str] = mapped_column(String(100), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ModerationGuidelines(Base):
    __tablename__ = "moderation_guidelines"

    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"),
                                                 primary_key=True)
    source: Mapped[str] = mapped_column(Text, default="")
    html: Mapped[str] = mapped_column(Text, default="")
    sanitizer_version: Mapped[int] = mapped_column(default=1)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


# Locks, highlights and moderator edits are shown in discussions, flags counted in the
# review queue; both are kept until these change (app/core/cache.py).
track(CommentModeration,
      scopes=lambda session, state: comment_scopes(session, state.comment_id, state.__dict__.get("comment")))
track(ModerationDecision, scopes=lambda _s, decision: [consultation_scope(decision.consultation_id)])
track(Flag, scopes=lambda session, flag: comment_scopes(session, flag.comment_id))
track(ReasonTemplate, "label")  # reason labels appear in every consultation's public moderation figures
# What the kept review queue shows besides comments and consultations: the reasons it
# offers and the sanctions in authors' histories (app/moderation/views.py).
QUEUE_SCOPE = "moderation:queue"
track(ReasonTemplate, scopes=lambda _s, _reason: [QUEUE_SCOPE])
track(Sanction, scopes=lambda _s, _sanction: [QUEUE_SCOPE])


class QueueTally(Base):
    """The review queue's counts for one consultation, kept right by every flush that changes a
    comment's status, hold or open flags (app/moderation/tally.py): the queue's tabs and its
    list of consultations read these rows instead of counting thousands of items."""

    __tablename__ = "moderation_tally"

    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"),
                                                 primary_key=True)
    # Every pending comment, held or not; the held ones; published or hidden ones with open flags.
    pending: Mapped[int] = mapped_column(default=0, server_default="0")
    held: Mapped[int] = mapped_column(default=0, server_default="0")
    flagged: Mapped[int] = mapped_column(default=0, server_default="0")
