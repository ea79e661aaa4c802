"""Decisions on comments: one, many at once, and undoing the last one.
Functions flush and never commit; every decision writes one audit entry."""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from app.comments.models import AUDIENCES, Comment, CommentStatus, NotificationKind, NotificationPreference
from app.comments.notifications import default_preferences
from app.consultations.models import Consultation
from app.core.audit import record
from app.core.db import utcnow
from app.core.errors import DomainError, NotFound, PermissionDenied
from app.core.transactions import lock_rows
from app.moderation.models import (
    BULK_ACTIONS,
    CommentModeration,
    Flag,
    ModerationDecision,
    ReasonTemplate,
)
from app.moderation.models import (
    DecisionAction as A,
)
from app.moderation.notify import _notify, notify_decision
from app.moderation.policy import can_moderate_comment
from app.moderation.state import (
    FLAG_RESOLUTION,
    MAX_BODY,
    REASON_OPTIONAL,
    REDACTED,
    TRANSITIONS,
    AlreadyDecided,
    ItemChanged,
    _amendment_diff,
    _audit_reason,
    _changed,
    _check_version,
    _flush_locked,
    _moderator_note,
    _reason,
    _set_body,
    _snapshot,
    _update_reply_count,
    moderation_state,
)
from app.moderation.tally import note_held

# --- decisions -----------------------------------------------------------------------

@dataclass
class DecisionInput:
    action: str
    reason_id: int | None = None
    reason_text: str = ""
    body: str = ""
    passage: str = ""
    audience: str = ""


def _resolve_flags(session: Session, comment: Comment, state: CommentModeration | None,
                   decision: ModerationDecision, resolution: str, now: datetime) -> None:
    if state is None or not state.open_flags:
        return  # no open flag (the count is kept with every flag, resolution and undo): nothing to read
    flags = list(session.scalars(select(Flag).where(Flag.comment_id == comment.id, Flag.resolved_at.is_(None))))
    for flag in flags:
        flag.resolved_at, flag.resolution, flag.decision_id = now, resolution, decision.id
        _notify(session, user_id=flag.user_id, kind=NotificationKind.FLAG, dedupe_key=f"moderation:flag:{flag.id}",
                consultation_id=comment.consultation_id, comment_id=comment.id)
    if state is not None:
        state.open_flags = 0


def _apply(session: Session, comment: Comment, data: DecisionInput, template: ReasonTemplate | None,
           reason_text: str, state: CommentModeration | None, *, actor: Any, now: datetime) -> CommentModeration | None:
    action = data.action
    allowed, target = TRANSITIONS[action]
    has_flags = bool(state and state.open_flags)
    if comment.status not in allowed or (action == A.APPROVE and comment.is_published and not has_flags):
        raise AlreadyDecided(_l("This decision does not apply any more: the item is now “%(status)s”.",
                                status=comment.status))
    if target is not None:
        comment.status = target
        if target == CommentStatus.PUBLISHED and comment.published_at is None:
            comment.published_at = now
    if action in (A.LOCK, A.UNLOCK):
        if comment.parent_id is not None:
            raise DomainError(_l("Lock the thread on its first comment."), field="action")
        if action == A.LOCK and state is not None and state.locked:
            raise AlreadyDecided(_l("This thread is already locked."))
        if action == A.UNLOCK and not (state and state.locked):
            raise AlreadyDecided(_l("This thread is not locked."))
        state = state or moderation_state(session, comment, create=True)
        state.locked = action == A.LOCK
    elif action in (A.HIGHLIGHT, A.UNHIGHLIGHT):
        if action == A.HIGHLIGHT and state is not None and state.highlighted:
            raise AlreadyDecided(_l("This comment is already highlighted."))
        if action == A.UNHIGHLIGHT and not (state and state.highlighted):
            raise AlreadyDecided(_l("This comment is not highlighted."))
        state = state or moderation_state(session, comment, create=True)
        state.highlighted = action == A.HIGHLIGHT
    elif action == A.EDIT:
        body = (data.body or "").strip()
        if not body:
            raise DomainError(_l("Write the edited text."), field="body")
        if len(body) > MAX_BODY:
            raise DomainError(_l("Shorten the text to %(max)d characters or fewer.", max=MAX_BODY), field="body")
        if body == comment.body_source:
            raise DomainError(_l("The text is unchanged: edit it, or choose another decision."), field="body")
        _set_body(session, comment, body + _moderator_note(template, reason_text), editor=actor, now=now)
    elif action == A.REDACT:
        passage = data.passage or ""
        if not passage.strip():
            raise DomainError(_l("Paste the passage to redact, exactly as it appears in the comment."),
                              field="passage")
        in_body = passage in comment.body_source
        in_wording = bool(comment.proposed_wording) and passage in comment.proposed_wording
        if not (in_body or in_wording):
            raise DomainError(_l("This passage is not in the comment. Copy it exactly from the text shown."),
                              field="passage")
        wording = comment.proposed_wording
        if in_wording:
            wording = wording.replace(passage, REDACTED)
        _set_body(session, comment, comment.body_source.replace(passage, REDACTED), editor=actor, now=now)
        if in_wording:
            comment.proposed_wording = wording
            comment.proposed_diff = _amendment_diff(session, comment, wording)
    elif action == A.AUDIENCE:
        if data.audience not in AUDIENCES:
            raise DomainError(_l("Choose who can read the comment."), field="audience")
        if data.audience == comment.audience:
            raise AlreadyDecided(_l("The comment already has this audience."))
        comment.audience = data.audience
    return state


_UNREAD = object()  # the comment's moderation state not read yet


def decide(session: Session, comment: Comment, data: DecisionInput, *, expected_version: int | None, actor: Any,
           now: datetime | None = None, _spam_batch: bool = True, _state: Any = _UNREAD,
           _locked: bool = False, _preference: NotificationPreference | None = None) -> ModerationDecision:
    """Take one decision on one comment, with its reason; notify the author; audit it."""
    now = now or utcnow()
    if data.action not in TRANSITIONS:
        raise DomainError(_l("Choose a decision from the list."), field="action")
    if not can_moderate_comment(actor, comment):
        raise PermissionDenied(_l("You do not moderate this consultation."))
    _check_version(comment, expected_version)
    template, reason_text = _reason(session, data.reason_id, data.reason_text,
                                    required=data.action not in REASON_OPTIONAL)
    others = _spam_candidates(session, comment, actor) if data.action == A.SPAM and _spam_batch else []
    # Every row this decision changes, before the audit lock (app/core/transactions.py); ``decide_many``
    # locked them all (the spam decision's other items too) before its first decision.
    if not _locked:
        _lock_items(session, [comment, *others])
    # ``decide_many`` may pass the state (or its absence) it read with the comment.
    state = moderation_state(session, comment) if _state is _UNREAD else _state
    before = _snapshot(comment, state)
    was_published = comment.is_published
    state = _apply(session, comment, data, template, reason_text, state, actor=actor, now=now)
    comment.moderated_at = now  # also bumps the version: a concurrent decision conflicts
    _flush_locked(session)
    _update_reply_count(session, comment, was_published)
    changed_before, changed_after = _changed(before, _snapshot(comment, state))
    decision = ModerationDecision(
        comment_id=comment.id, consultation_id=comment.consultation_id, subject_id=comment.author_id,
        action=data.action, reason_id=template.id if template else None, reason_text=reason_text,
        actor_id=getattr(actor, "id", None), before_status=before["status"], after_status=comment.status,
        before=changed_before, after=changed_after, version_after=comment.version, created_at=now)
    decision.reason = template
    session.add(decision)
    session.flush()
    if data.action in FLAG_RESOLUTION:
        _resolve_flags(session, comment, state, decision, FLAG_RESOLUTION[data.action], now)
    if state is not None and state.hold_rules and comment.status != CommentStatus.PENDING:
        state.release()
    notify_decision(session, decision, comment, _preference)
    if data.action == A.APPROVE and not was_published and comment.parent_id is not None:
        from app.comments.notifications import on_published

        on_published(session, comment, session.get(Consultation, comment.consultation_id))
    # After the notices: the audit lock is held until the commit (app/core/audit.py).
    record(session, actor=actor, action=f"moderation.{data.action}", target=comment,
           reason=_audit_reason(template, reason_text),
           before={k: v for k, v in changed_before.items() if k in ("status", "audience", "locked", "highlighted")},
           after={k: v for k, v in changed_after.items() if k in ("status", "audience", "locked", "highlighted")}
           | {"decision": decision.id, "version": comment.version})
    for other in others:
        decide(session, other, data, expected_version=other.version, actor=actor, now=now, _spam_batch=False,
               _locked=True)
    return decision



def _spam_candidates(session: Session, comment: Comment, actor: Any) -> list[Comment]:
    """Marking spam takes every other pending item of the author (in the actor's scope) with it."""
    others = session.scalars(select(Comment).where(
        Comment.author_id == comment.author_id, Comment.status == CommentStatus.PENDING,
        Comment.id != comment.id).order_by(Comment.id))
    return [other for other in others if can_moderate_comment(actor, other)]


def _lock_items(session: Session, comments: list[Comment]) -> None:
    """The comments a decision changes and the parents whose reply counts follow."""
    lock_rows(session, Comment, [i for c in comments for i in (c.id, c.parent_id)])


def _lock_and_read(session: Session, comments: list[Comment]) -> list[tuple]:
    """``_lock_items`` on PostgreSQL, then what each comment stands at now that no one else can
    change it: (id, consultation id, status, moderation state or None). Two statements: a locking
    read that waited for another transaction would show its rows of other tables as they were
    when it began."""
    _lock_items(session, comments)
    return session.execute(select(Comment.id, Comment.consultation_id, Comment.status, CommentModeration)
                           .outerjoin(CommentModeration, CommentModeration.comment_id == Comment.id)
                           .where(Comment.id.in_([c.id for c in comments]))
                           .execution_options(populate_existing=True)).tuples().all()


def decide_many(session: Session, items: list[tuple[int, int]], data: DecisionInput, *, actor: Any,
                now: datetime | None = None) -> list[ModerationDecision]:
    """The same decision on several items (id, version), all or nothing."""
    if data.action not in BULK_ACTIONS:
        raise DomainError(_l("This decision cannot be taken on several items at once."), field="action")
    if not items:
        raise DomainError(_l("Select at least one item."), field="items")
    # Each comment with its moderation state, its author with their e-mail choices and its
    # consultation (what the decision's notice names): one statement, where each would be read on its own.
    rows = session.execute(select(Comment, CommentModeration, Consultation, NotificationPreference)
                           .join(Consultation, Consultation.id == Comment.consultation_id)
                           .outerjoin(CommentModeration, CommentModeration.comment_id == Comment.id)
                           .outerjoin(NotificationPreference, NotificationPreference.user_id == Comment.author_id)
                           .options(joinedload(Comment.author))
                           .where(Comment.id.in_([i for i, _ in items]))).all()
    comments = {c.id: c for c, _state, _consultation, _preference in rows}
    states = {c.id: state for c, state, _consultation, _preference in rows}
    choices = {c.id: preference or default_preferences(c.author_id) for c, _s, _c, preference in rows}
    # Check every item before changing any.
    for comment_id, version in items:
        comment = comments.get(comment_id)
        if comment is None or not can_moderate_comment(actor, comment):
            raise NotFound(_l("One of the selected items does not exist or is outside your consultations."))
        _check_version(comment, version)
    chosen = [comments[i] for i, _version in items]
    if data.action == A.SPAM:
        chosen += [other for c in chosen for other in _spam_candidates(session, c, actor)]
    # All of them locked before the first audit entry, their states read afresh under the locks on
    # PostgreSQL (SQLite's write transaction began before the read above).
    if session.get_bind().dialect.name == "postgresql":
        standing = _lock_and_read(session, chosen)
        states = {comment_id: state for comment_id, _cid, _status, state in standing}
    else:
        standing = [(c.id, c.consultation_id, c.status, states[c.id]) for c in chosen if c.id in states]
    note_held(session, standing)  # the queue's counts need not read them again (app/moderation/tally.py)
    # The states serve unless a spam decision takes another item of the same author (and its state) along.
    reuse_states = data.action != A.SPAM
    decisions = []
    # Several items: a refusal half-way leaves nothing changed. One item: as ``decide``, a refusal
    # leaves the transaction for the caller to roll back (saves two statements).
    with session.begin_nested() if len(chosen) > 1 else nullcontext():
        for comment_id, _version in items:
            comment = comments[comment_id]
            if comment.status == CommentStatus.SPAM and data.action == A.SPAM:
                continue  # taken along by an earlier item of the same author
            state = states[comment_id] if reuse_states else _UNREAD
            decisions.append(decide(session, comment, data, expected_version=comment.version, actor=actor,
                                    now=now, _state=state, _locked=True, _preference=choices[comment_id]))
    return decisions


def last_decision(session: Session, comment: Comment) -> ModerationDecision | None:
    return session.scalar(select(ModerationDecision).where(ModerationDecision.comment_id == comment.id)
                          .order_by(ModerationDecision.id.desc()).limit(1))


def undo_last_decision(session: Session, comment: Comment, *, expected_version: int | None, reason_text: str = "",
                       actor: Any, now: datetime | None = None) -> ModerationDecision:
    """Put the item back as it was before its last decision."""
    now = now or utcnow()
    if not can_moderate_comment(actor, comment):
        raise PermissionDenied(_l("You do not moderate this consultation."))
    _check_version(comment, expected_version)
    last = last_decision(session, comment)
    if last is None or last.action == A.UNDO or last.undone_at is not None:
        raise AlreadyDecided(_l("There is no decision to undo on this item."))
    if last.version_after != comment.version:
        raise ItemChanged(_l("The item changed after the last decision; undo is no longer safe. Decide again."))
    _, reason_text = _reason(session, None, reason_text, required=False)
    state = moderation_state(session, comment)
    before = _snapshot(comment, state)
    was_published = comment.is_published
    for key, value in last.before.items():
        if key in ("locked", "highlighted"):
            state = state or moderation_state(session, comment, create=True)
            setattr(state, key, value)
        elif key in ("status", "audience", "body_source", "body_html", "proposed_wording", "proposed_diff"):
            setattr(comment, key, value)
    comment.moderated_at = now
    _flush_locked(session)
    _update_reply_count(session, comment, was_published)
    changed_before, changed_after = _changed(before, _snapshot(comment, state))
    undo = ModerationDecision(
        comment_id=comment.id, consultation_id=comment.consultation_id, subject_id=comment.author_id,
        action=A.UNDO, reason_text=reason_text, actor_id=getattr(actor, "id", None),
        before_status=before["status"], after_status=comment.status, before=changed_before, after=changed_after,
        version_after=comment.version, created_at=now)
    session.add(undo)
    session.flush()
    last.undone_at, last.undone_by_id = now, undo.id
    # Flags the undone decision settled are open again.
    reopened = list(session.scalars(select(Flag).where(Flag.decision_id == last.id)))
    for flag in reopened:
        flag.resolved_at = flag.resolution = flag.decision_id = None
    if reopened:  # added to the flags raised since the decision, still open
        state = state or moderation_state(session, comment, create=True)
        state.open_flags = (state.open_flags or 0) + len(reopened)
    session.flush()
    record(session, actor=actor, action="moderation.undo", target=comment, reason=reason_text or None,
           before={"status": before["status"], "decision": last.id, "action": last.action},
           after={"status": comment.status, "decision": undo.id, "version": comment.version})
    notify_decision(session, undo, comment)
    return undo
