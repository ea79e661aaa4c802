"""What every moderation service shares: the limits, the transitions a decision may make,
the comment's moderation state, reasons, version checks and before/after snapshots."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.comments.models import COMMENT_STATUSES, Comment, CommentRevision, CommentStatus
from app.consultations.diff import html_to_text, word_diff
from app.consultations.models import Section
from app.core.cache import consultation_scope
from app.core.errors import Conflict, DomainError
from app.core.sanitize import SANITIZER_VERSION, render_comment_markdown
from app.moderation.models import (
    CommentModeration,
    FlagResolution,
    ReasonTemplate,
)
from app.moderation.models import (
    DecisionAction as A,
)

REDACTED = "[redacted by a moderator]"
MAX_REASON = 2000
MAX_BODY = 10_000

# Which statuses each status-changing decision accepts, and where it leads.
TRANSITIONS: dict[str, tuple[tuple[str, ...], str | None]] = {
    A.APPROVE: ((CommentStatus.PENDING, CommentStatus.HIDDEN, CommentStatus.PUBLISHED), CommentStatus.PUBLISHED),
    A.REJECT: ((CommentStatus.PENDING, CommentStatus.PUBLISHED, CommentStatus.HIDDEN), CommentStatus.REJECTED),
    A.HIDE: ((CommentStatus.PUBLISHED,), CommentStatus.HIDDEN),
    A.RESTORE: ((CommentStatus.HIDDEN,), CommentStatus.PUBLISHED),
    A.SPAM: ((CommentStatus.PENDING, CommentStatus.PUBLISHED, CommentStatus.HIDDEN), CommentStatus.SPAM),
    A.LOCK: ((CommentStatus.PUBLISHED,), None),
    A.UNLOCK: (COMMENT_STATUSES, None),
    A.EDIT: ((CommentStatus.PENDING, CommentStatus.PUBLISHED, CommentStatus.HIDDEN), None),
    A.REDACT: ((CommentStatus.PENDING, CommentStatus.PUBLISHED, CommentStatus.HIDDEN, CommentStatus.REJECTED),
               None),
    A.HIGHLIGHT: ((CommentStatus.PUBLISHED,), None),
    A.UNHIGHLIGHT: (COMMENT_STATUSES, None),
    A.AUDIENCE: ((CommentStatus.PENDING, CommentStatus.PUBLISHED, CommentStatus.HIDDEN), None),
}
# A reason is required for everything except these.
REASON_OPTIONAL = (A.APPROVE, A.RESTORE, A.HIGHLIGHT, A.UNHIGHLIGHT, A.UNLOCK, A.UNDO)
# Decisions that settle open flags, and how.
FLAG_RESOLUTION = {
    A.APPROVE: FlagResolution.DISMISSED, A.RESTORE: FlagResolution.DISMISSED,
    A.REJECT: FlagResolution.UPHELD, A.HIDE: FlagResolution.UPHELD, A.SPAM: FlagResolution.UPHELD,
    A.EDIT: FlagResolution.UPHELD, A.REDACT: FlagResolution.UPHELD, A.AUDIENCE: FlagResolution.UPHELD,
}


class ItemChanged(Conflict):
    """The item changed since the form was rendered (optimistic locking)."""


class AlreadyDecided(Conflict):
    """The decision does not apply to the item's current state."""




# --- helpers -------------------------------------------------------------------------

def moderation_state(session: Session, comment: Comment, *, create: bool = False) -> CommentModeration | None:
    state = session.get(CommentModeration, comment.id) if comment.id is not None else None
    if state is None and create:
        state = CommentModeration(comment=comment, hold_reasons=[], hold_rules="", locked=False, highlighted=False,
                                  open_flags=0)
        session.add(state)
    return state


def _reason(session: Session, reason_id: int | None, text: str, *, required: bool) -> tuple[ReasonTemplate | None,
                                                                                            str]:
    text = (text or "").strip()
    if len(text) > MAX_REASON:
        raise DomainError(_l("Shorten the reason to %(max)d characters or fewer.", max=MAX_REASON),
                          field="reason_text")
    template = None
    if reason_id is not None:
        template = session.get(ReasonTemplate, reason_id)
        if template is None or not template.active:
            raise DomainError(_l("Choose a reason from the list."), field="reason_id")
    if required and template is None and not text:
        raise DomainError(_l("Give a reason: choose one from the list or write it. The author is told why."),
                          field="reason_text")
    return template, text


def _check_version(comment: Comment, expected_version: int | None) -> None:
    if expected_version is None or expected_version != comment.version:
        raise ItemChanged(_l("This item changed after you opened it. Review what changed, then decide again."))


def _flush_locked(session: Session) -> None:
    try:
        session.flush()
    except StaleDataError as exc:
        raise ItemChanged(_l("This item changed after you opened it. Review what changed, then decide again.")) \
            from exc


def _snapshot(comment: Comment, state: CommentModeration | None) -> dict[str, Any]:
    return {
        "status": comment.status, "audience": comment.audience,
        "body_source": comment.body_source, "body_html": comment.body_html,
        "proposed_wording": comment.proposed_wording, "proposed_diff": comment.proposed_diff,
        "locked": bool(state and state.locked), "highlighted": bool(state and state.highlighted),
    }


def _changed(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    keys = [k for k in before if before[k] != after.get(k)]
    return {k: before[k] for k in keys}, {k: after[k] for k in keys}


def _update_reply_count(session: Session, comment: Comment, was_published: bool) -> None:
    """Keep the parent's reply counter right (a plain UPDATE: no version bump on the parent)."""
    if comment.parent_id is None or was_published == comment.is_published:
        return
    delta = 1 if comment.is_published else -1
    session.execute(update(Comment).where(Comment.id == comment.parent_id)
                    .values(reply_count=Comment.reply_count + delta)
                    .execution_options(synchronize_session=False,
                                       content_scopes=(consultation_scope(comment.consultation_id),)))


def _amendment_diff(session: Session, comment: Comment, wording: str | None) -> list | None:
    if not wording or comment.section_id is None:
        return None
    section = session.get(Section, comment.section_id)
    if section is None:
        return None
    return [[list(pair) for pair in paragraph] for paragraph in word_diff(html_to_text(section.body_html), wording)]


def _set_body(session: Session, comment: Comment, body: str, *, editor: Any, now: datetime) -> None:
    """Keep the original as a revision (shown to moderators) and store the new text."""
    session.add(CommentRevision(comment_id=comment.id, body_source=comment.body_source,
                                body_html=comment.body_html, proposed_wording=comment.proposed_wording,
                                editor_id=getattr(editor, "id", None), created_at=now))
    comment.body_source = body
    comment.body_html = render_comment_markdown(body)
    comment.sanitizer_version = SANITIZER_VERSION
    comment.edited_at = now


def _moderator_note(template: ReasonTemplate | None, text: str) -> str:
    # The public note names the template (never the moderator's private words
    # if a template was chosen).
    what = template.shown_label if template is not None else text
    return "\n\n*" + str(_l("Edited by a moderator: %(reason)s", reason=what.replace("*", ""))) + "*"

def _audit_reason(template: ReasonTemplate | None, text: str) -> str | None:
    parts = [template.code] if template is not None else []
    if text:
        parts.append(text)
    return " — ".join(parts) or None
