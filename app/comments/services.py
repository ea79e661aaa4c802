"""The only code that changes comments, supports, follows, visits and
notifications. Functions flush and never commit; callers commit once.

Over 400 lines: posting (validation, idempotency, the hooks of app/comments/hooks.py)
is most of it and reads best in one piece; supports, follows and visits are short."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from app.accounts.models import Organisation
from app.accounts.policy import can_speak_for
from app.accounts.sessions import forget_figures
from app.comments import hooks
from app.comments.models import (
    AUDIENCES,
    COMMENT_KINDS,
    STANCES,
    Audience,
    Comment,
    CommentDraft,
    CommentKind,
    CommentRevision,
    CommentStatus,
    ConsultationVisit,
    Follow,
    Notification,
    NotificationPreference,
    Support,
    path_segment,
)
from app.comments.policy import (
    can_edit_comment,
    can_see_comment,
    can_support_comment,
    can_withdraw_comment,
    is_comment_author,
)
from app.consultations.diff import html_to_text, word_diff
from app.consultations.models import UN_LANGUAGES, Consultation, ModerationMode, Section, Status
from app.consultations.services import ConsultationClosed
from app.core.audit import record
from app.core.cache import consultation_scope
from app.core.db import utcnow
from app.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from app.core.sanitize import SANITIZER_VERSION, render_comment_markdown

DEFAULT_MAX_LENGTH = 10_000
DEFAULT_EDIT_WINDOW = timedelta(minutes=30)
IDEMPOTENCY_KEY = re.compile(r"^[0-9a-f]{32}$")
# A new visit starts when the previous page view is older than this.
VISIT_GAP = timedelta(minutes=30)
VISIT_REFRESH = timedelta(minutes=1)  # a reader's visit is written at most this often
DRAFT_MAX_AGE = timedelta(days=2)


class TamperedForm(DomainError):
    """A hidden field was changed or a choice outside the offered ones was sent."""


@dataclass
class CommentInput:
    body: str
    kind: str = CommentKind.COMMENT
    stance: str | None = None
    audience: str = Audience.PUBLIC
    language: str = "en"
    organisation_id: int | None = None
    section_id: int | None = None
    parent_id: int | None = None
    version_id: int | None = None
    proposed_wording: str = ""
    idempotency_key: str = ""
    malformed: list[str] = field(default_factory=list)


def comment_languages(consultation: Consultation) -> list[str]:
    return list(consultation.languages or UN_LANGUAGES)


def receipt_number(comment: Comment) -> str:
    return f"A1540-{comment.created_at.year}-{comment.id:06d}"


def _tampered() -> TamperedForm:
    return TamperedForm(_l("The form was changed after it was sent to you. Reload the page and try again."))


def _check_text(body: str, *, field_name: str, max_length: int, required: bool = True) -> str:
    body = (body or "").strip()
    if required and not body:
        raise DomainError(_l("Write your comment before posting it."), field=field_name)
    if len(body) > max_length:
        raise DomainError(_l("Shorten your text to %(max)d characters or fewer (it has %(count)d).",
                             max=max_length, count=len(body)), field=field_name)
    return body


def _check_open(consultation: Consultation, now: datetime) -> None:
    status = consultation.effective_status(now)
    if status == Status.SCHEDULED or status == Status.DRAFT:
        raise ConsultationClosed(_l("This consultation is not open for comments yet."))
    if status != Status.OPEN:
        raise ConsultationClosed(_l("This consultation is closed; it accepts no new comments."))


def _amendment_diff(section: Section, wording: str) -> list:
    return [[list(pair) for pair in paragraph] for paragraph in word_diff(html_to_text(section.body_html), wording)]


def existing_comment(session: Session, author_id: int, key: str) -> Comment | None:
    return session.scalar(select(Comment).where(Comment.author_id == author_id, Comment.idempotency_key == key))


def validate_comment(session: Session, consultation: Consultation, data: CommentInput, *, actor: Any,
                     now: datetime | None = None, max_length: int = DEFAULT_MAX_LENGTH) -> dict[str, Any]:
    """Check everything a new comment needs; return the resolved parent, section, version and organisation."""
    now = now or utcnow()
    if data.malformed or not IDEMPOTENCY_KEY.match(data.idempotency_key or ""):
        raise _tampered()
    if (data.kind not in COMMENT_KINDS or data.audience not in AUDIENCES
            or (data.stance is not None and data.stance not in STANCES)):
        raise _tampered()
    _check_open(consultation, now)
    # hook (moderation): suspended or banned accounts cannot post or reply
    hooks.check_may_participate(session, actor, now=now)
    body = _check_text(data.body, field_name="body", max_length=max_length)
    if data.language not in comment_languages(consultation):
        raise DomainError(_l("Choose the language of your comment from the list."), field="language")

    parent = section = None
    if data.parent_id is not None:
        parent = session.get(Comment, data.parent_id)
        # A parent the replier may not see is answered exactly like one that does not exist.
        if (parent is None or parent.consultation_id != consultation.id
                or not can_see_comment(actor, parent, consultation)):
            raise _tampered()
        if data.section_id is not None and data.section_id != parent.section_id:
            raise _tampered()
        if parent.status != CommentStatus.PUBLISHED:
            raise Conflict(_l("You cannot reply to this comment: it has been withdrawn or is not published."))
        hooks.check_may_reply(session, parent)  # hook (moderation): a locked thread takes no replies
        if parent.audience == Audience.RESTRICTED and data.audience != Audience.RESTRICTED:
            raise DomainError(_l("A reply to a restricted comment must be restricted too."), field="audience")
        section = session.get(Section, parent.section_id) if parent.section_id else None
        version_id = parent.version_id
    else:
        current = consultation.current_version
        if current is None:
            raise ConsultationClosed(_l("The draft has not been published yet."))
        if data.version_id is not None and data.version_id != current.id:
            raise Conflict(_l("A newer version of the draft has been published. Read the current version and "
                              "comment on it; comments on earlier versions are only possible as replies."))
        if data.section_id is not None:
            section = session.get(Section, data.section_id)
            if section is None or section.version_id != current.id:
                raise _tampered()
        version_id = current.id

    wording = None
    diff = None
    if data.kind == CommentKind.AMENDMENT:
        if section is None:
            raise DomainError(_l("Proposed wording belongs to a provision: comment on a section to propose "
                                 "wording."), field="kind")
        wording = _check_text(data.proposed_wording, field_name="proposed_wording", max_length=max_length,
                              required=False)
        if not wording:
            raise DomainError(_l("Write the wording you propose for this provision."), field="proposed_wording")
        diff = _amendment_diff(section, wording)
        if all(op == "equal" for paragraph in diff for op, _text in paragraph):
            raise DomainError(_l("Your proposed wording is the same as the draft's text. Change the wording, or "
                                 "choose another type of comment."), field="proposed_wording")

    organisation = None
    if data.organisation_id is not None:
        organisation = session.get(Organisation, data.organisation_id)
        if organisation is None or not can_speak_for(actor, organisation):
            raise DomainError(_l("You can only speak for a verified organisation you are an active member of."),
                              field="organisation_id")
    return {"body": body, "parent": parent, "section": section, "version_id": version_id,
            "organisation": organisation, "wording": wording, "diff": diff}


def post_comment(session: Session, consultation: Consultation, data: CommentInput, *, actor: Any,
                 now: datetime | None = None, max_length: int = DEFAULT_MAX_LENGTH) -> tuple[Comment, bool]:
    """Post a comment or a reply. Returns (comment, created): a repeated submission of
    the same form (same idempotency key) returns the first comment, created=False."""
    now = now or utcnow()
    if IDEMPOTENCY_KEY.match(data.idempotency_key or ""):
        earlier = existing_comment(session, actor.id, data.idempotency_key)
        if earlier is not None:
            return earlier, False
    checked = validate_comment(session, consultation, data, actor=actor, now=now, max_length=max_length)
    parent: Comment | None = checked["parent"]
    section: Section | None = checked["section"]
    pre = consultation.moderation_mode == ModerationMode.PRE
    comment = Comment(
        consultation_id=consultation.id, section_id=section.id if section else None,
        version_id=checked["version_id"], parent_id=parent.id if parent else None,
        author_id=actor.id, organisation_id=checked["organisation"].id if checked["organisation"] else None,
        kind=data.kind, stance=data.stance, audience=data.audience, language=data.language,
        body_source=checked["body"], body_html=render_comment_markdown(checked["body"]),
        sanitizer_version=SANITIZER_VERSION, proposed_wording=checked["wording"], proposed_diff=checked["diff"],
        status=CommentStatus.PENDING if pre else CommentStatus.PUBLISHED,
        published_at=None if pre else now, idempotency_key=data.idempotency_key,
        depth=(parent.depth + 1) if parent else 0, created_at=now, updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(comment)
            session.flush()
    except IntegrityError:
        # A concurrent submission of the same form won the race.
        earlier = existing_comment(session, actor.id, data.idempotency_key)
        if earlier is None:
            raise
        return earlier, False
    comment.path = f"{parent.path}/{path_segment(comment.id)}" if parent else path_segment(comment.id)
    comment.root_id = parent.root_id if parent else comment.id
    comment.receipt_number = receipt_number(comment)
    session.flush()
    # hook (moderation): automatic rules may hold the comment for review (never final)
    held = hooks.hold_for_review(session, comment)
    if held and comment.is_published:
        comment.status, comment.published_at = CommentStatus.PENDING, None
        session.flush()
    if parent is not None and comment.is_published:
        _add_reply(session, parent)
    session.execute(delete(CommentDraft).where(CommentDraft.key == data.idempotency_key))

    from app.comments import notifications

    notifications.send_receipt(session, comment, consultation, holds=hooks.describe_holds_for_author(held))
    if comment.is_published:
        notifications.on_published(session, comment, consultation)
    # Last: every writer waits for the audit lock until the one holding it commits (the e-mails
    # above are written before it is taken).
    record(session, actor=actor, action="comment.posted", target=comment,
           after={"status": comment.status, "audience": comment.audience, "receipt": comment.receipt_number,
                  "parent": comment.parent_id, "section": comment.section_id})
    return comment, True


def _add_reply(session: Session, parent: Comment, delta: int = 1) -> None:
    # A plain UPDATE: counters must not bump the optimistic-locking version
    # (a reply or a support would otherwise make the author's edit conflict).
    session.execute(update(Comment).where(Comment.id == parent.id)
                    .values(reply_count=Comment.reply_count + delta)
                    .execution_options(synchronize_session=False,
                                       content_scopes=(consultation_scope(parent.consultation_id),)))
    session.expire(parent, ["reply_count"])


def _check_version(comment: Comment, expected_version: int | None) -> None:
    if expected_version is not None and expected_version != comment.version:
        raise Conflict(_l("This comment changed while you were editing it. Reload the page to see the latest "
                          "version, then try again."))


def _flush_locked(session: Session) -> None:
    try:
        session.flush()
    except StaleDataError as exc:
        raise Conflict(_l("This comment changed while you were editing it. Reload the page and try again.")) from exc


def lock_comment(session: Session, comment: Comment) -> Comment:
    """Lock the comment's row and read it afresh (step 1 of the lock order in
    app/core/transactions.py): a reply or a decision that landed since the page
    was loaded is seen, one landing now waits for this transaction."""
    session.refresh(comment, with_for_update={"key_share": True})
    return comment


def edit_comment(session: Session, comment: Comment, *, body: str, proposed_wording: str = "",
                 expected_version: int | None, actor: Any, now: datetime | None = None,
                 window: timedelta = DEFAULT_EDIT_WINDOW, max_length: int = DEFAULT_MAX_LENGTH) -> Comment:
    now = now or utcnow()
    lock_comment(session, comment)
    _check_version(comment, expected_version)
    if not can_edit_comment(actor, comment, window, now):
        message = _l("This comment can no longer be edited: the edit window has passed, someone has replied or "
                     "a moderator has decided on it.")
        if is_comment_author(actor, comment) and (comment.reply_count or comment.moderated_at is not None):
            raise Conflict(message)  # it changed while the author was typing
        raise PermissionDenied(message)
    body = _check_text(body, field_name="body", max_length=max_length)
    wording = comment.proposed_wording
    diff = comment.proposed_diff
    if comment.kind == CommentKind.AMENDMENT:
        wording = _check_text(proposed_wording, field_name="proposed_wording", max_length=max_length,
                              required=False)
        if not wording:
            raise DomainError(_l("Write the wording you propose for this provision."), field="proposed_wording")
        section = session.get(Section, comment.section_id)
        diff = _amendment_diff(section, wording) if section else None
    if body == comment.body_source and wording == comment.proposed_wording:
        return comment
    session.add(CommentRevision(comment_id=comment.id, body_source=comment.body_source,
                                body_html=comment.body_html, proposed_wording=comment.proposed_wording,
                                editor_id=actor.id, created_at=now))
    comment.body_source = body
    comment.body_html = render_comment_markdown(body)
    comment.sanitizer_version = SANITIZER_VERSION
    comment.proposed_wording, comment.proposed_diff = wording, diff
    comment.edited_at = now
    _flush_locked(session)
    record(session, actor=actor, action="comment.edited", target=comment, after={"version": comment.version})
    return comment


def withdraw_comment(session: Session, comment: Comment, *, actor: Any, expected_version: int | None = None,
                     now: datetime | None = None) -> Comment:
    """The text is taken down (kept as a revision for the record); replies stay."""
    now = now or utcnow()
    _check_version(comment, expected_version)
    if not can_withdraw_comment(actor, comment):
        raise PermissionDenied(_l("Only the author can withdraw this comment."))
    was_published = comment.is_published
    session.add(CommentRevision(comment_id=comment.id, body_source=comment.body_source,
                                body_html=comment.body_html, proposed_wording=comment.proposed_wording,
                                editor_id=actor.id, created_at=now))
    before = comment.status
    comment.status = CommentStatus.WITHDRAWN
    comment.withdrawn_at = now
    comment.body_source = comment.body_html = ""
    comment.proposed_wording = None
    comment.proposed_diff = None
    _flush_locked(session)
    if was_published and comment.parent_id is not None:
        _add_reply(session, comment.parent, -1)
    record(session, actor=actor, action="comment.withdrawn", target=comment,
           before={"status": before}, after={"status": comment.status})
    return comment


def toggle_support(session: Session, comment: Comment, *, actor: Any) -> bool:
    """Support a comment, or take the support back. Returns whether it is supported now."""
    hooks.check_may_participate(session, actor)  # hook (moderation): sanctions
    if not can_support_comment(actor, comment):
        raise PermissionDenied(_l("You cannot support your own comment or one that is not published."))
    existing = session.get(Support, (comment.id, actor.id))
    if existing is not None:
        session.delete(existing)
        delta = -1
    else:
        try:
            with session.begin_nested():
                session.add(Support(comment_id=comment.id, user_id=actor.id))
                session.flush()
        except IntegrityError:
            return True  # a double click: already supported
        delta = 1
    session.execute(update(Comment).where(Comment.id == comment.id)
                    .values(support_count=Comment.support_count + delta)
                    .execution_options(synchronize_session=False,
                                       content_scopes=(consultation_scope(comment.consultation_id),)))
    session.flush()
    session.expire(comment, ["support_count"])
    return delta > 0


# --- follows, visits, drafts ----------------------------------------------------------

def follow_consultation(session: Session, consultation: Consultation, *, actor: Any) -> None:
    if session.get(Follow, (actor.id, consultation.id)) is None:
        session.add(Follow(user_id=actor.id, consultation_id=consultation.id))
        session.flush()


def unfollow_consultation(session: Session, consultation: Consultation, *, actor: Any) -> None:
    session.execute(delete(Follow).where(Follow.user_id == actor.id, Follow.consultation_id == consultation.id))
    session.flush()


def visit_is_stale(session: Session, user_id: int, consultation_id: int, *, now: datetime | None = None) -> bool:
    """True when the reader's visit is worth writing down (none yet, or older than a minute)."""
    seen = session.scalar(select(ConsultationVisit.last_seen_at).where(
        ConsultationVisit.user_id == user_id, ConsultationVisit.consultation_id == consultation_id))
    return seen is None or (now or utcnow()) - seen > VISIT_REFRESH


def record_visit(session: Session, user_id: int, consultation_id: int, *, now: datetime | None = None) -> None:
    now = now or utcnow()
    visit = session.get(ConsultationVisit, (user_id, consultation_id))
    if visit is None:
        session.add(ConsultationVisit(user_id=user_id, consultation_id=consultation_id, last_seen_at=now))
    else:
        if now - visit.last_seen_at > VISIT_GAP:
            visit.previous_seen_at = visit.last_seen_at
        visit.last_seen_at = now
    session.flush()


def save_draft(session: Session, consultation: Consultation, *, key: str, data: dict,
               max_length: int = DEFAULT_MAX_LENGTH) -> CommentDraft:
    """Keep the text of a comment whose writer must sign in again."""
    if not IDEMPOTENCY_KEY.match(key or ""):
        raise _tampered()
    clean = {k: str(v)[: max_length + 100] for k, v in data.items()}
    draft = session.get(CommentDraft, key)
    if draft is None:
        draft = CommentDraft(key=key, consultation_id=consultation.id, data=clean)
        session.add(draft)
    else:
        draft.data = clean
    session.execute(delete(CommentDraft).where(CommentDraft.created_at < utcnow() - DRAFT_MAX_AGE))
    session.flush()
    return draft


# --- notifications -------------------------------------------------------------------

def mark_notifications_read(session: Session, *, actor: Any, notification_id: int | None = None,
                            now: datetime | None = None) -> int:
    query = update(Notification).where(Notification.user_id == actor.id, Notification.read_at.is_(None))
    if notification_id is not None:
        query = query.where(Notification.id == notification_id)
    result = session.execute(query.values(read_at=now or utcnow()).execution_options(synchronize_session=False))
    forget_figures()  # the unread count read with the user (a bulk update passes by the mapper's events)
    return result.rowcount or 0


def set_notification_preferences(session: Session, *, email_replies: bool, email_closing: bool,
                                 actor: Any) -> NotificationPreference:
    preference = session.get(NotificationPreference, actor.id)
    if preference is None:
        preference = NotificationPreference(user_id=actor.id)
        session.add(preference)
    preference.email_replies, preference.email_closing = bool(email_replies), bool(email_closing)
    session.flush()
    return preference


# --- maintenance ---------------------------------------------------------------------

def resanitize_comments(session: Session, *, batch: int = 500, progress=None) -> int:
    """Rebuild every comment's HTML from its source with the current sanitiser."""
    done = 0
    last_id = 0
    while True:
        rows = session.execute(
            select(Comment.id, Comment.body_source).where(Comment.id > last_id).order_by(Comment.id).limit(batch)
        ).all()
        if not rows:
            return done
        for comment_id, source in rows:
            session.execute(update(Comment).where(Comment.id == comment_id).values(
                body_html=render_comment_markdown(source), sanitizer_version=SANITIZER_VERSION)
                .execution_options(synchronize_session=False))
        done += len(rows)
        last_id = rows[-1][0]
        session.flush()
        if progress is not None:
            progress(done)


def get_comment(session: Session, consultation: Consultation, comment_id: int) -> Comment:
    comment = session.get(Comment, comment_id)
    if comment is None or comment.consultation_id != consultation.id:
        raise NotFound(_l("This comment does not exist."))
    return comment
