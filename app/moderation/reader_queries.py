"""What readers of a consultation see of moderation: the public figures and the
guidelines, and the facts a page of a discussion shows about its comments (locks,
highlights, moderator edits, the reader's own flags), loaded for all comments of
the page at once. The moderators' side is in ``app/moderation/queries.py``."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import bindparam, func, or_, select
from sqlalchemy.orm import Session

from app.comments.models import Audience, Comment, CommentStatus
from app.consultations.models import Consultation
from app.moderation.models import (
    CommentModeration,
    DecisionAction,
    Flag,
    ModerationDecision,
    ModerationGuidelines,
    ReasonTemplate,
)

# --- public figures and guidelines ---------------------------------------------------------

@dataclass
class Figures:
    published: int = 0
    rejected: int = 0
    hidden: int = 0
    spam: int = 0
    by_reason: list[tuple[str, str, int]] = field(default_factory=list)  # (action, label, count)

    @property
    def total_moderated(self) -> int:
        return self.rejected + self.hidden + self.spam


def public_figures(session: Session, consultation_id: int) -> Figures:
    """Counts of public comments by outcome, and of standing decisions by reason.

    Only public comments count, and only numbers and reason labels appear:
    nothing about restricted comments or any comment's text.
    """
    figures = Figures()
    for status, count in session.execute(
            select(Comment.status, func.count(Comment.id))
            .where(Comment.consultation_id == consultation_id, Comment.audience == Audience.PUBLIC,
                   Comment.status.in_((CommentStatus.PUBLISHED, CommentStatus.REJECTED, CommentStatus.HIDDEN,
                                       CommentStatus.SPAM)))
            .group_by(Comment.status)):
        setattr(figures, status, count)
    # The standing (latest, not undone) decision of each item that is now rejected/hidden/spam.
    latest = (select(func.max(ModerationDecision.id))
              .join(Comment, Comment.id == ModerationDecision.comment_id)
              .where(ModerationDecision.consultation_id == consultation_id, Comment.audience == Audience.PUBLIC,
                     ModerationDecision.undone_at.is_(None),
                     ModerationDecision.action.in_((DecisionAction.REJECT, DecisionAction.HIDE, DecisionAction.SPAM)),
                     Comment.status == ModerationDecision.after_status)
              .group_by(ModerationDecision.comment_id))
    rows = session.execute(
        select(ModerationDecision.action, ReasonTemplate.label, func.count(ModerationDecision.id))
        .outerjoin(ReasonTemplate, ReasonTemplate.id == ModerationDecision.reason_id)
        .where(ModerationDecision.id.in_(latest))
        .group_by(ModerationDecision.action, ReasonTemplate.label)
        .order_by(ModerationDecision.action, func.count(ModerationDecision.id).desc()))
    figures.by_reason = [(action, label or "", count) for action, label, count in rows]
    return figures


def guidelines_for(session: Session, consultation_id: int) -> ModerationGuidelines | None:
    return session.get(ModerationGuidelines, consultation_id)


# --- moderation facts shown in a discussion ------------------------------------------------

@dataclass
class ThreadModeration:
    """What the comments of one page of a discussion show about moderation,
    loaded for all of them at once (never one query per comment)."""

    viewer: Any = None
    # The viewer moderates the consultation: "Moderate" links and the original text of edited comments.
    moderates: bool = False
    locked_roots: set[int] = field(default_factory=set)
    highlighted: set[int] = field(default_factory=set)
    moderator_edited: set[int] = field(default_factory=set)
    # Sanitised HTML of the text before the first standing moderator edit (filled for moderators only).
    # body_html of the revision before a moderator's first edit (sanitised on write)
    originals_html: dict[int, str] = field(default_factory=dict)
    my_flags: dict[int, Flag] = field(default_factory=dict)

    def is_locked(self, comment: Comment) -> bool:
        return (comment.root_id or comment.id) in self.locked_roots

    def may_flag(self, comment: Comment, viewer: Any = None) -> bool:
        """The viewer may flag ``comment``; ``viewer``: someone else, who has flagged nothing."""
        from app.moderation.policy import can_flag

        if viewer is not None:
            return can_flag(viewer, comment)
        return comment.id not in self.my_flags and can_flag(self.viewer, comment)


def flagged_in(user_id: Any, consultation_id: Any) -> Any:
    """SQL: the user flagged a comment of the consultation (the values may be bound parameters)."""
    return select(Flag.id).where(Flag.user_id == user_id, select(Comment.consultation_id).where(
        Comment.id == Flag.comment_id).scalar_subquery() == consultation_id).exists()


@lru_cache(maxsize=1)
def _flags_in_consultation() -> Any:
    """A reader's flags in a consultation; built once, run on every kept discussion a participant reads."""
    return select(Flag).where(Flag.user_id == bindparam("u"), select(Comment.consultation_id).where(
        Comment.id == Flag.comment_id).scalar_subquery() == bindparam("c"))


def load_thread_moderation(session: Session, user: Any, consultation: Consultation,
                           comments: list[Comment], *, flags_only: bool = False,
                           flagged: bool = True) -> ThreadModeration:
    """Lock, highlight, moderator edits and the viewer's own flags for ``comments``
    (already filtered to what ``user`` may read): at most three queries. ``flags_only``:
    only the viewer's flags in the whole consultation, in one query (a kept discussion
    knows the rest), none when they flagged nothing there (``flagged``: ``flagged_in``)."""
    from app.accounts.policy import is_signed_in
    from app.moderation.policy import can_moderate_consultation

    signed_in = is_signed_in(user)
    viewer = getattr(user, "_get_current_object", lambda: user)()  # not the proxy: asked once per comment
    result = ThreadModeration(viewer=viewer, moderates=signed_in and can_moderate_consultation(user, consultation))
    if flags_only:
        if signed_in and flagged:
            result.my_flags = {flag.comment_id: flag for flag in session.scalars(
                _flags_in_consultation(), {"u": user.id, "c": consultation.id})}
        return result
    if not comments:
        return result
    ids = sorted({c.id for c in comments})
    wanted = sorted(set(ids) | {c.root_id for c in comments if c.root_id})
    for comment_id, locked, highlighted in session.execute(
            select(CommentModeration.comment_id, CommentModeration.locked, CommentModeration.highlighted)
            .where(CommentModeration.comment_id.in_(wanted),
                   or_(CommentModeration.locked.is_(True), CommentModeration.highlighted.is_(True)))):
        if locked:
            result.locked_roots.add(comment_id)
        if highlighted:
            result.highlighted.add(comment_id)
    edited = sorted(c.id for c in comments if c.edited_at is not None)
    if edited:
        columns = [ModerationDecision.comment_id]
        if result.moderates:
            columns.append(ModerationDecision.before)
        for row in session.execute(
                select(*columns).where(ModerationDecision.comment_id.in_(edited),
                                       ModerationDecision.action.in_((DecisionAction.EDIT, DecisionAction.REDACT)),
                                       ModerationDecision.undone_at.is_(None))
                .order_by(ModerationDecision.id)):
            result.moderator_edited.add(row[0])
            if result.moderates and row[0] not in result.originals_html:
                result.originals_html[row[0]] = (row[1] or {}).get("body_html", "")
    if signed_in:
        result.my_flags = {flag.comment_id: flag for flag in session.scalars(
            select(Flag).where(Flag.user_id == user.id, Flag.comment_id.in_(ids)))}
    return result
