"""Translations of a consultation: the authors' services, and what a reader is shown.

Writing (flush, never commit; each change is audited and re-indexes the
consultation for search): ``set_original_language``,
``save_consultation_translation`` (title, summary, questions),
``save_section_translation`` (one provision, by anchor) and
``delete_translation`` (everything in one language).

Reading: ``translated(session, consultation, language)`` says what a reader
of ``language`` gets: the translation where one exists, the original
otherwise, and for each section whether its translation is out of date (the
original changed since, e.g. in a new version). An out-of-date translation
is still shown, marked as such next to a link to the original, which
prevails. ``titles_in`` gives many consultations' titles in one language at
once (lists, digests).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from app.consultations import search
from app.consultations.models import UN_LANGUAGES, Consultation, DraftVersion, Section
from app.consultations.translation_models import (
    ConsultationTranslation,
    SectionTranslation,
    consultation_digest,
    section_digest,
)
from app.core.audit import record
from app.core.db import utcnow
from app.core.errors import Conflict, DomainError
from app.core.sanitize import SANITIZER_VERSION, render_markdown

TITLE_MAX = 300
TEXT_MAX = 100_000
BODY_MAX = 200_000


@dataclass
class ConsultationTranslationInput:
    title: str
    summary: str = ""
    questions: str = ""


@dataclass
class SectionTranslationInput:
    heading: str = ""
    body: str = ""


def clean_text(value: str | None, *, field_name: str, max_length: int) -> str:
    """A translated text: NUL dropped, trimmed, refused when longer than ``max_length``."""
    value = (value or "").replace("\x00", "").strip()
    if len(value) > max_length:
        raise DomainError(_l("Shorten the text to %(max)d characters or fewer.", max=max_length), field=field_name)
    return value


def _check_language(consultation: Consultation, language: str) -> None:
    if language not in UN_LANGUAGES:
        raise DomainError(_l("Choose one of the languages in the list."), field="language")
    if language == consultation.original_language:
        raise DomainError(_l("This is the language of the original; edit the consultation itself instead."),
                          field="language")


def translatable_version(consultation: Consultation) -> DraftVersion | None:
    """The version whose sections authors translate: the one readers see, or the
    first draft before anything is published."""
    return consultation.current_version or consultation.working_version


def _main(session: Session, consultation: Consultation, language: str) -> ConsultationTranslation | None:
    return session.scalar(select(ConsultationTranslation).where(
        ConsultationTranslation.consultation_id == consultation.id, ConsultationTranslation.language == language))


def set_original_language(session: Session, consultation: Consultation, language: str, *,
                          actor: Any) -> Consultation:
    if language not in UN_LANGUAGES:
        raise DomainError(_l("Choose one of the languages in the list."), field="language")
    if language == consultation.original_language:
        return consultation
    if _main(session, consultation, language) is not None:
        raise Conflict(_l("There is a translation into this language. Delete it before making it the language "
                          "of the original."), field="language")
    before = consultation.original_language
    consultation.original_language = language
    session.flush()
    record(session, actor=actor, action="consultation.original_language_changed", target=consultation,
           before={"language": before}, after={"language": language})
    return consultation


def save_consultation_translation(session: Session, consultation: Consultation, language: str,
                                  data: ConsultationTranslationInput, *, actor: Any,
                                  now: datetime | None = None) -> ConsultationTranslation:
    """The title, summary and questions in ``language``, marked as provided by ``actor`` now."""
    _check_language(consultation, language)
    title = " ".join(clean_text(data.title, field_name="title", max_length=TITLE_MAX).split())
    if not title:
        raise DomainError(_l("Enter the translated title."), field="title")
    summary = clean_text(data.summary, field_name="summary", max_length=TEXT_MAX)
    questions = clean_text(data.questions, field_name="questions", max_length=TEXT_MAX)
    row = _main(session, consultation, language)
    created = row is None
    if row is None:
        row = ConsultationTranslation(consultation_id=consultation.id, language=language, created_at=now or utcnow())
        session.add(row)
    row.title = title
    row.summary_source, row.summary_html = summary, render_markdown(summary)
    row.questions_source, row.questions_html = questions, render_markdown(questions)
    row.sanitizer_version = SANITIZER_VERSION
    row.source_digest = consultation_digest(consultation)
    row.translator_id = getattr(actor, "id", None)
    row.updated_at = now or utcnow()
    session.flush()
    search.index_consultation(session, consultation)
    record(session, actor=actor, action="consultation.translation_saved", target=consultation,
           after={"language": language, "part": "consultation", "new": created})
    return row


def save_section_translation(session: Session, consultation: Consultation, section: Section, language: str,
                             data: SectionTranslationInput, *, actor: Any,
                             now: datetime | None = None) -> SectionTranslation:
    """One provision in ``language``, made from its text in ``section``'s version."""
    _check_language(consultation, language)
    if section.version.consultation_id != consultation.id:
        raise DomainError(_l("Choose a section of this consultation."))
    if _main(session, consultation, language) is None:
        raise Conflict(_l("Translate the title of the consultation into this language first."))
    heading = " ".join(clean_text(data.heading, field_name="heading", max_length=TITLE_MAX).split())
    body = clean_text(data.body, field_name="body", max_length=BODY_MAX)
    if section.heading.strip() and not heading:
        raise DomainError(_l("Translate the heading."), field="heading")
    if section.body_source.strip() and not body:
        raise DomainError(_l("Translate the text of the provision."), field="body")
    row = session.scalar(select(SectionTranslation).where(
        SectionTranslation.consultation_id == consultation.id, SectionTranslation.anchor == section.anchor,
        SectionTranslation.language == language))
    created = row is None
    if row is None:
        row = SectionTranslation(consultation_id=consultation.id, anchor=section.anchor, language=language,
                                 created_at=now or utcnow())
        session.add(row)
    row.heading = heading
    row.body_source, row.body_html = body, render_markdown(body)
    row.sanitizer_version = SANITIZER_VERSION
    row.source_digest = section_digest(section)
    row.version_number = section.version.number
    row.translator_id = getattr(actor, "id", None)
    row.updated_at = now or utcnow()
    session.flush()
    search.index_consultation(session, consultation)
    record(session, actor=actor, action="consultation.translation_saved", target=consultation,
           after={"language": language, "part": section.anchor, "version": section.version.number,
                  "new": created})
    return row


def delete_translation(session: Session, consultation: Consultation, language: str, *, actor: Any) -> int:
    """Remove the translation into ``language`` (title, summary, questions and every
    section); returns how many parts were removed."""
    _check_language(consultation, language)
    removed = 0
    for model in (SectionTranslation, ConsultationTranslation):
        for row in session.scalars(select(model).where(model.consultation_id == consultation.id,
                                                       model.language == language)):
            session.delete(row)
            removed += 1
    if not removed:
        raise DomainError(_l("There is no translation into this language."), field="language")
    session.flush()
    search.index_consultation(session, consultation)
    record(session, actor=actor, action="consultation.translation_deleted", target=consultation,
           before={"language": language, "parts": removed})
    return removed


# --- reading -----------------------------------------------------------------------------------

def _joined(*parts: str) -> str:
    return " — ".join(part for part in parts if part)


@dataclass
class SectionText:
    """A section as a reader of one language gets it."""

    section: Section
    language: str  # the language of the heading and text shown
    heading: str
    body_html: str
    translation: SectionTranslation | None = None  # the translation shown, if any
    outdated: bool = False  # the original changed since the translation was made
    missing: bool = False  # the reader's language has no translation of this section: the original is shown

    @property
    def title(self) -> str:
        return _joined(self.section.number, self.heading)


@dataclass
class ContentText:
    """What a reader gets of a consultation: the translation into their language
    where one exists, else the original. ``languages`` are those it can be read
    in, the original's first (the content's language switcher)."""

    consultation: Consultation
    original: str
    wanted: str  # the reader's language
    language: str  # the language of the title, summary and questions shown
    languages: list[str]
    translation: ConsultationTranslation | None = None
    sections: dict[str, SectionTranslation] = field(default_factory=dict)

    @property
    def is_translation(self) -> bool:
        return self.translation is not None

    @property
    def title(self) -> str:
        return self.translation.title if self.translation else self.consultation.title

    @property
    def outdated(self) -> bool:
        """The title, summary or questions changed since they were translated."""
        return self.translation is not None and not self.translation.is_current_for(self.consultation)

    @property
    def summary_html(self) -> str:
        return (self.translation.summary_html if self.translation and self.translation.summary_html
                else self.consultation.summary_html)

    @property
    def summary_language(self) -> str:
        return self.language if self.translation and self.translation.summary_html else self.original

    @property
    def questions_html(self) -> str:
        return (self.translation.questions_html if self.translation and self.translation.questions_html
                else self.consultation.questions_html)

    @property
    def questions_language(self) -> str:
        return self.language if self.translation and self.translation.questions_html else self.original

    def section(self, section: Section) -> SectionText:
        if self.translation is None:
            return SectionText(section, self.original, section.heading, section.body_html)
        row = self.sections.get(section.anchor)
        if row is None:
            return SectionText(section, self.original, section.heading, section.body_html, missing=True)
        return SectionText(section, self.language, row.heading or section.heading, row.body_html, row,
                           outdated=not row.is_current_for(section))


def translated(session: Session, consultation: Consultation, language: str | None) -> ContentText:
    """The consultation as a reader of ``language`` gets it (two queries, one when it has no translation)."""
    rows = list(session.scalars(
        select(ConsultationTranslation).options(joinedload(ConsultationTranslation.translator))
        .where(ConsultationTranslation.consultation_id == consultation.id)))
    original = consultation.original_language or "en"
    by_language = {row.language: row for row in rows if row.language != original}
    languages = [original] + [code for code in UN_LANGUAGES if code in by_language]
    chosen = by_language.get(language or "")
    text = ContentText(consultation, original, language or original, chosen.language if chosen else original,
                       languages, chosen)
    if chosen is not None:
        text.sections = {row.anchor: row for row in session.scalars(select(SectionTranslation).where(
            SectionTranslation.consultation_id == consultation.id, SectionTranslation.language == chosen.language))}
    return text


def titles_in(session: Session, consultation_ids: list[int] | set[int], language: str | None) -> dict[int, str]:
    """{consultation id: title in ``language``} for those translated into it (one query)."""
    if not consultation_ids or not language:
        return {}
    return dict(session.execute(
        select(ConsultationTranslation.consultation_id, ConsultationTranslation.title)
        .join(Consultation, Consultation.id == ConsultationTranslation.consultation_id)
        .where(ConsultationTranslation.consultation_id.in_(sorted(consultation_ids)),
               ConsultationTranslation.language == language,
               Consultation.original_language != language)).all())


@dataclass
class LanguageProgress:
    """How far the translation into one language has come (the authors' overview)."""

    language: str
    translation: ConsultationTranslation | None
    outdated: bool = False
    translated: int = 0
    outdated_sections: int = 0
    missing: int = 0


def progress(session: Session, consultation: Consultation) -> list[LanguageProgress]:
    """For every language but the original's: what is translated of the version readers see."""
    version = translatable_version(consultation)
    sections = list(version.sections) if version is not None else []
    mains = {row.language: row for row in session.scalars(select(ConsultationTranslation).options(
        joinedload(ConsultationTranslation.translator)).where(
        ConsultationTranslation.consultation_id == consultation.id))}
    by_language: dict[str, dict[str, SectionTranslation]] = {}
    for row in session.scalars(select(SectionTranslation).where(
            SectionTranslation.consultation_id == consultation.id)):
        by_language.setdefault(row.language, {})[row.anchor] = row
    out = []
    for language in UN_LANGUAGES:
        if language == consultation.original_language:
            continue
        main = mains.get(language)
        entry = LanguageProgress(language, main, outdated=main is not None and not main.is_current_for(consultation))
        rows = by_language.get(language, {})
        for section in sections:
            row = rows.get(section.anchor)
            if row is None:
                entry.missing += 1
            elif row.is_current_for(section):
                entry.translated += 1
            else:
                entry.outdated_sections += 1
        out.append(entry)
    return out


def section_translation(session: Session, consultation: Consultation, anchor: str,
                        language: str) -> SectionTranslation | None:
    return session.scalar(select(SectionTranslation).where(
        SectionTranslation.consultation_id == consultation.id, SectionTranslation.anchor == anchor,
        SectionTranslation.language == language))


def main_translation(session: Session, consultation: Consultation, language: str) -> ConsultationTranslation | None:
    return _main(session, consultation, language)
