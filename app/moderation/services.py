"""The only code that changes moderation state. Functions flush and never
commit; every decision, sanction and lift writes one audit entry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.accounts.models import User
from app.comments.models import Audience, Comment, CommentRevision, CommentStatus, Notification
from app.consultations.diff import html_to_text, word_diff
from app.consultations.models import Consultation, Section
from app.core.audit import record
from app.core.db import utcnow
from app.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from app.core.mail import queue_email
from app.core.sanitize import SANITIZER_VERSION, render_comment_markdown, render_markdown
from app.moderation.labels import ACTION_DONE, SANCTION_LABELS
from app.moderation.models import (
    CommentModeration,
    Flag,
    FlagReason,
    FlagResolution,
    ModerationDecision,
    ModerationGuidelines,
    ReasonTemplate,
    Sanction,
    SanctionKind,
    WatchWord,
)
from app.moderation.models import (
    DecisionAction as A,
)
from app.moderation.policy import can_edit_reasons, can_edit_watch_words, can_moderate_comment, can_sanction

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
    A.UNLOCK: (tuple(CommentStatus.ALL), None),
    A.EDIT: ((CommentStatus.PENDING, CommentStatus.PUBLISHED, CommentStatus.HIDDEN), None),
    A.REDACT: ((CommentStatus.PENDING, CommentStatus.PUBLISHED, CommentStatus.HIDDEN, CommentStatus.REJECTED),
               None),
    A.HIGHLIGHT: ((CommentStatus.PUBLISHED,), None),
    A.UNHIGHLIGHT: (tuple(CommentStatus.ALL), None),
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


class ParticipationBlocked(PermissionDenied):
    """A suspended or banned user tried to post, reply, support or flag."""


class ThreadLocked(Conflict):
    pass


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
                    .values(reply_count=Comment.reply_count + delta).execution_options(synchronize_session=False))


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
    what = template.label if template is not None else text
    return "\n\n*" + str(_l("Edited by a moderator: %(reason)s", reason=what.replace("*", ""))) + "*"


# --- notifications -------------------------------------------------------------------

def _notify(session: Session, *, user_id: int, kind: str, dedupe_key: str, consultation_id: int | None = None,
            comment_id: int | None = None) -> None:
    exists = session.scalar(select(Notification.id).where(Notification.user_id == user_id,
                                                          Notification.dedupe_key == dedupe_key))
    if exists is None:
        session.add(Notification(user_id=user_id, kind=kind, dedupe_key=dedupe_key,
                                 consultation_id=consultation_id, comment_id=comment_id))
        session.flush()


def _link(endpoint: str, **values: Any) -> str:
    from app.accounts.services import external_url

    return external_url(endpoint, **values)


def notify_decision(session: Session, decision: ModerationDecision, comment: Comment) -> None:
    author = session.get(User, comment.author_id)
    if author is None or author.id == decision.actor_id:
        return
    key = f"moderation:decision:{decision.id}"
    _notify(session, user_id=author.id, kind="moderation", dedupe_key=key,
            consultation_id=comment.consultation_id, comment_id=comment.id)
    consultation = session.get(Consultation, comment.consultation_id)
    from app.comments.notifications import MODERATION, excerpt, queue_participant_email

    # The author's e-mail frequency applies (daily: it comes in the day's e-mail).
    queue_participant_email(session, author, kind=MODERATION, template="moderation/decision", dedupe_key=key,
                            decision=decision, comment=comment,
                            consultation=consultation, excerpt=excerpt(comment) if comment.body_html else "",
                            url=_link("moderation.my_moderation", _anchor=f"decision-{decision.id}"),
                            guidelines_url=_link("moderation.transparency", consultation_id=comment.consultation_id),
                            ACTION_DONE=ACTION_DONE)


def _notify_sanction(session: Session, sanction: Sanction, *, lifted: bool) -> None:
    user = session.get(User, sanction.user_id)
    key = f"moderation:sanction:{sanction.id}:{'lifted' if lifted else 'given'}"
    _notify(session, user_id=user.id, kind="sanction", dedupe_key=key, comment_id=sanction.comment_id)
    queue_email(session, to=user.email, template="moderation/sanction", dedupe_key=key,
                locale=user.preferred_language, user=user, sanction=sanction, lifted=lifted,
                url=_link("moderation.my_moderation"), SANCTION_LABELS=SANCTION_LABELS)


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
    flags = list(session.scalars(select(Flag).where(Flag.comment_id == comment.id, Flag.resolved_at.is_(None))))
    for flag in flags:
        flag.resolved_at, flag.resolution, flag.decision_id = now, resolution, decision.id
        _notify(session, user_id=flag.user_id, kind="flag", dedupe_key=f"moderation:flag:{flag.id}",
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
        if data.audience not in Audience.ALL:
            raise DomainError(_l("Choose who can read the comment."), field="audience")
        if data.audience == comment.audience:
            raise AlreadyDecided(_l("The comment already has this audience."))
        comment.audience = data.audience
    return state


def decide(session: Session, comment: Comment, data: DecisionInput, *, expected_version: int | None, actor: Any,
           now: datetime | None = None, _spam_batch: bool = True) -> ModerationDecision:
    """Take one decision on one comment, with its reason; notify the author; audit it."""
    now = now or utcnow()
    if data.action not in TRANSITIONS:
        raise DomainError(_l("Choose a decision from the list."), field="action")
    if not can_moderate_comment(actor, comment):
        raise PermissionDenied(_l("You do not moderate this consultation."))
    _check_version(comment, expected_version)
    template, reason_text = _reason(session, data.reason_id, data.reason_text,
                                    required=data.action not in REASON_OPTIONAL)
    state = moderation_state(session, comment)
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
    record(session, actor=actor, action=f"moderation.{data.action}", target=comment,
           reason=_audit_reason(template, reason_text),
           before={k: v for k, v in changed_before.items() if k in ("status", "audience", "locked", "highlighted")},
           after={k: v for k, v in changed_after.items() if k in ("status", "audience", "locked", "highlighted")}
           | {"decision": decision.id, "version": comment.version})
    notify_decision(session, decision, comment)
    if data.action == A.APPROVE and not was_published and comment.parent_id is not None:
        from app.comments.notifications import on_published

        on_published(session, comment, session.get(Consultation, comment.consultation_id))
    if data.action == A.SPAM and _spam_batch:
        _spam_pending_of_author(session, comment, data, actor=actor, now=now)
    return decision


def _audit_reason(template: ReasonTemplate | None, text: str) -> str | None:
    parts = [template.code] if template is not None else []
    if text:
        parts.append(text)
    return " — ".join(parts) or None


def _spam_pending_of_author(session: Session, comment: Comment, data: DecisionInput, *, actor: Any,
                            now: datetime) -> list[ModerationDecision]:
    """Marking spam takes every other pending item of the author (in the actor's scope) with it."""
    others = session.scalars(select(Comment).where(
        Comment.author_id == comment.author_id, Comment.status == CommentStatus.PENDING,
        Comment.id != comment.id).order_by(Comment.id))
    return [decide(session, other, data, expected_version=other.version, actor=actor, now=now, _spam_batch=False)
            for other in others if can_moderate_comment(actor, other)]


def decide_many(session: Session, items: list[tuple[int, int]], data: DecisionInput, *, actor: Any,
                now: datetime | None = None) -> list[ModerationDecision]:
    """The same decision on several items (id, version), all or nothing."""
    if data.action not in A.BULK:
        raise DomainError(_l("This decision cannot be taken on several items at once."), field="action")
    if not items:
        raise DomainError(_l("Select at least one item."), field="items")
    comments = {c.id: c for c in session.scalars(select(Comment).where(Comment.id.in_([i for i, _ in items])))}
    # Check every item before changing any.
    for comment_id, version in items:
        comment = comments.get(comment_id)
        if comment is None or not can_moderate_comment(actor, comment):
            raise NotFound(_l("One of the selected items does not exist or is outside your consultations."))
        _check_version(comment, version)
    decisions = []
    with session.begin_nested():  # a refusal half-way leaves nothing changed
        for comment_id, _version in items:
            comment = comments[comment_id]
            if comment.status == CommentStatus.SPAM and data.action == A.SPAM:
                continue  # taken along by an earlier item of the same author
            decisions.append(decide(session, comment, data, expected_version=comment.version, actor=actor,
                                    now=now))
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
    if reopened:
        state = state or moderation_state(session, comment, create=True)
        state.open_flags = len(reopened)
    session.flush()
    record(session, actor=actor, action="moderation.undo", target=comment, reason=reason_text or None,
           before={"status": before["status"], "decision": last.id, "action": last.action},
           after={"status": comment.status, "decision": undo.id, "version": comment.version})
    notify_decision(session, undo, comment)
    return undo


# --- flags ---------------------------------------------------------------------------

def flag_comment(session: Session, comment: Comment, *, reason: str, text: str = "", actor: Any,
                 threshold: int | None = None, now: datetime | None = None) -> Flag:
    """Flag a comment once. Enough flags from distinct users hide it pending review."""
    from app.moderation.policy import can_flag

    now = now or utcnow()
    check_may_participate(session, actor, now=now)
    if not can_flag(actor, comment):
        raise PermissionDenied(_l("You can flag published comments of other participants only."))
    if reason not in FlagReason.ALL:
        raise DomainError(_l("Choose why you flag this comment."), field="reason")
    text = (text or "").strip()
    if reason == FlagReason.OTHER and not text:
        raise DomainError(_l("Say what is wrong with this comment."), field="text")
    if len(text) > MAX_REASON:
        raise DomainError(_l("Shorten the explanation to %(max)d characters or fewer.", max=MAX_REASON),
                          field="text")
    if session.scalar(select(Flag.id).where(Flag.comment_id == comment.id, Flag.user_id == actor.id)):
        raise Conflict(_l("You have already flagged this comment. A moderator will look at it."))
    flag = Flag(comment_id=comment.id, user_id=actor.id, reason=reason, text=text, created_at=now)
    try:
        with session.begin_nested():
            session.add(flag)
            session.flush()
    except IntegrityError as exc:
        raise Conflict(_l("You have already flagged this comment. A moderator will look at it.")) from exc
    state = moderation_state(session, comment, create=True)
    state.open_flags = session.scalar(select(func.count(Flag.id)).where(
        Flag.comment_id == comment.id, Flag.resolved_at.is_(None)))
    session.flush()
    record(session, actor=actor, action="comment.flagged", target=comment, reason=reason,
           after={"flag": flag.id, "open_flags": state.open_flags})
    threshold = threshold if threshold is not None else current_app.config.get("FLAG_HIDE_THRESHOLD", 3)
    if state.open_flags >= threshold and comment.is_published:
        _hide_after_flags(session, comment, state, count=state.open_flags, now=now)
    return flag


def _hide_after_flags(session: Session, comment: Comment, state: CommentModeration, *, count: int,
                      now: datetime) -> ModerationDecision:
    comment.status = CommentStatus.HIDDEN
    _flush_locked(session)
    _update_reply_count(session, comment, True)
    text = str(_l("Hidden automatically after %(count)d flags, pending a moderator's review.", count=count))
    decision = ModerationDecision(
        comment_id=comment.id, consultation_id=comment.consultation_id, subject_id=comment.author_id,
        action=A.HIDE, reason_text=text, actor_id=None, before_status=CommentStatus.PUBLISHED,
        after_status=CommentStatus.HIDDEN, before={"status": CommentStatus.PUBLISHED},
        after={"status": CommentStatus.HIDDEN}, version_after=comment.version, created_at=now)
    session.add(decision)
    session.flush()
    record(session, actor=None, action="moderation.auto_hide", target=comment, reason=text,
           before={"status": CommentStatus.PUBLISHED}, after={"status": CommentStatus.HIDDEN,
                                                               "decision": decision.id})
    notify_decision(session, decision, comment)
    return decision


# --- sanctions -----------------------------------------------------------------------

def active_block(session: Session, user_id: int, *, now: datetime | None = None) -> Sanction | None:
    """The suspension or ban that stops ``user_id`` from taking part now, if any."""
    now = now or utcnow()
    return session.scalar(select(Sanction).where(
        Sanction.user_id == user_id, Sanction.kind.in_(SanctionKind.BLOCKING), Sanction.lifted_at.is_(None),
        (Sanction.ends_at.is_(None)) | (Sanction.ends_at > now)).order_by(Sanction.id.desc()).limit(1))


def check_may_participate(session: Session, user: Any, *, now: datetime | None = None) -> None:
    """Raise ParticipationBlocked for a suspended or banned user (post, reply, support, flag)."""
    if getattr(user, "id", None) is None:
        return
    block = active_block(session, user.id, now=now)
    if block is None:
        return
    if block.kind == SanctionKind.BAN:
        raise ParticipationBlocked(_l("Your account is banned: you can no longer post, reply, support or flag."))
    from flask_babel import format_datetime

    raise ParticipationBlocked(_l("Your account is suspended until %(date)s: until then you can read "
                                  "consultations but not post, reply, support or flag.",
                                  date=format_datetime(block.ends_at, "medium")))


def check_may_reply(session: Session, parent: Comment) -> None:
    """Raise ThreadLocked when the thread of ``parent`` is locked."""
    root_id = parent.root_id or parent.id
    if session.scalar(select(CommentModeration.locked).where(CommentModeration.comment_id == root_id)):
        raise ThreadLocked(_l("A moderator has locked this thread: it accepts no more replies."))


def sanction_user(session: Session, user: User, *, kind: str, reason_id: int | None = None, reason_text: str = "",
                  ends_at: datetime | None = None, comment: Comment | None = None, actor: Any,
                  now: datetime | None = None) -> Sanction:
    now = now or utcnow()
    if not can_sanction(actor):
        raise PermissionDenied(_l("Only global moderators and administrators can sanction accounts."))
    if kind not in SanctionKind.ALL:
        raise DomainError(_l("Choose a warning, a suspension or a ban."), field="kind")
    if user.id == getattr(actor, "id", None):
        raise DomainError(_l("You cannot sanction your own account."))
    template, reason_text = _reason(session, reason_id, reason_text, required=True)
    if kind == SanctionKind.SUSPENSION:
        if ends_at is None:
            raise DomainError(_l("Give the date the suspension ends."), field="ends_at")
        if ends_at <= now:
            raise DomainError(_l("The end of the suspension must be in the future."), field="ends_at")
    else:
        ends_at = None
    if kind == SanctionKind.BAN and user.status == User.BANNED:
        raise Conflict(_l("This account is already banned."))
    sanction = Sanction(user_id=user.id, kind=kind, reason_id=template.id if template else None,
                        reason_text=reason_text, comment_id=comment.id if comment else None,
                        created_by_id=getattr(actor, "id", None), created_at=now, ends_at=ends_at)
    sanction.reason = template
    session.add(sanction)
    before = {"status": user.status}
    if kind == SanctionKind.BAN:
        user.status = User.BANNED
        user.session_generation = (user.session_generation or 0) + 1  # every open session ends now
    session.flush()
    record(session, actor=actor, action=f"moderation.sanction.{kind}", target=user,
           reason=_audit_reason(template, reason_text), before=before,
           after={"status": user.status, "sanction": sanction.id,
                  "ends_at": ends_at.isoformat() if ends_at else None})
    _notify_sanction(session, sanction, lifted=False)
    return sanction


def lift_sanction(session: Session, sanction: Sanction, *, reason_text: str, actor: Any,
                  now: datetime | None = None) -> Sanction:
    now = now or utcnow()
    if not can_sanction(actor):
        raise PermissionDenied(_l("Only global moderators and administrators can lift sanctions."))
    _, reason_text = _reason(session, None, reason_text, required=True)
    if sanction.lifted_at is not None:
        raise Conflict(_l("This sanction was already lifted."))
    if not sanction.is_active(now) and sanction.kind != SanctionKind.WARNING:
        raise Conflict(_l("This sanction has already ended."))
    sanction.lifted_at, sanction.lifted_by_id, sanction.lift_reason = now, getattr(actor, "id", None), reason_text
    user = session.get(User, sanction.user_id)
    before = {"status": user.status}
    session.flush()
    if sanction.kind == SanctionKind.BAN and user.status == User.BANNED and active_block(
            session, user.id, now=now) is None:
        user.status = User.ACTIVE
    session.flush()
    record(session, actor=actor, action="moderation.sanction.lift", target=user, reason=reason_text,
           before=before, after={"status": user.status, "sanction": sanction.id})
    _notify_sanction(session, sanction, lifted=True)
    return sanction


# --- reasons, watch words, guidelines -------------------------------------------------

def save_reason(session: Session, template: ReasonTemplate | None, *, code: str, label: str, message: str,
                active: bool, actor: Any) -> ReasonTemplate:
    if not can_edit_reasons(actor):
        raise PermissionDenied(_l("Only global moderators and administrators can edit reasons."))
    code, label, message = (code or "").strip().lower(), (label or "").strip(), (message or "").strip()
    if not code or not code.replace("_", "").replace("-", "").isalnum() or len(code) > 40:
        raise DomainError(_l("Use a short code of letters, digits, “-” or “_”."), field="code")
    if not label or len(label) > 200:
        raise DomainError(_l("Give a label of up to 200 characters."), field="label")
    clash = session.scalar(select(ReasonTemplate).where(ReasonTemplate.code == code))
    if clash is not None and clash is not template:
        raise DomainError(_l("Another reason already uses this code."), field="code")
    before = None
    if template is None:
        template = ReasonTemplate(position=(session.scalar(select(func.max(ReasonTemplate.position))) or 0) + 1)
        session.add(template)
    else:
        before = {"code": template.code, "label": template.label, "active": template.active}
    template.code, template.label, template.message, template.active = code, label, message, bool(active)
    session.flush()
    record(session, actor=actor, action="moderation.reason_saved", target=template, before=before,
           after={"code": code, "label": label, "active": bool(active)})
    return template


def add_watch_word(session: Session, word: str, *, actor: Any) -> WatchWord:
    if not can_edit_watch_words(actor):
        raise PermissionDenied(_l("Only administrators can edit the watch list."))
    word = " ".join((word or "").split()).lower()
    if len(word) < 2 or len(word) > 100:
        raise DomainError(_l("Enter a word or phrase of 2 to 100 characters."), field="word")
    if session.scalar(select(WatchWord.id).where(WatchWord.word == word)):
        raise DomainError(_l("This word is already on the watch list."), field="word")
    entry = WatchWord(word=word, created_by_id=actor.id)
    session.add(entry)
    session.flush()
    record(session, actor=actor, action="moderation.watch_word_added", target=entry, after={"word": word})
    return entry


def remove_watch_word(session: Session, entry: WatchWord, *, actor: Any) -> None:
    if not can_edit_watch_words(actor):
        raise PermissionDenied(_l("Only administrators can edit the watch list."))
    record(session, actor=actor, action="moderation.watch_word_removed", target=entry,
           before={"word": entry.word})
    session.delete(entry)
    session.flush()


def save_guidelines(session: Session, consultation: Consultation, *, source: str, actor: Any) -> ModerationGuidelines:
    from app.moderation.policy import can_moderate_consultation

    if not can_moderate_consultation(actor, consultation):
        raise PermissionDenied(_l("You do not moderate this consultation."))
    source = (source or "").strip()
    if not source:
        raise DomainError(_l("Write the guidelines (Markdown)."), field="source")
    if len(source) > 20_000:
        raise DomainError(_l("Shorten the guidelines to 20,000 characters or fewer."), field="source")
    guidelines = session.get(ModerationGuidelines, consultation.id)
    if guidelines is None:
        guidelines = ModerationGuidelines(consultation_id=consultation.id)
        session.add(guidelines)
    guidelines.source, guidelines.html = source, render_markdown(source)
    guidelines.sanitizer_version, guidelines.updated_by_id = SANITIZER_VERSION, actor.id
    session.flush()
    record(session, actor=actor, action="moderation.guidelines_saved", target=consultation)
    return guidelines
