"""What moderators and administrators configure: reason templates, the watch list, guidelines."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.consultations.models import Consultation
from app.core.audit import record
from app.core.errors import DomainError, PermissionDenied
from app.core.sanitize import SANITIZER_VERSION, render_markdown
from app.moderation.models import (
    ModerationGuidelines,
    ReasonTemplate,
    WatchWord,
)
from app.moderation.policy import can_edit_reasons, can_edit_watch_words

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
