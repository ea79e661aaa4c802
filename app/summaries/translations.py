"""Translations of a summary: the moderators' services, and what a reader is shown.

The original of a summary is in the consultation's ``original_language``. A
translation (one per language, app/summaries/translation_models.py) holds the
overall text and the points, each with the digest of the original it was made
from. Saving translates the revision the moderators are working on; the
translations of points that revision no longer has are kept, so a forwarded
earlier revision still reads in the recipient's language.

``summary_text(session, revision, consultation, language)`` says what a reader
of ``language`` gets: each part translated where a translation of exactly
that text exists, an out-of-date translation (marked) where only the
translation of an earlier text exists, the original otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from app.consultations.models import UN_LANGUAGES, Consultation
from app.consultations.translations import ContentText, clean_text, translated
from app.core.audit import record
from app.core.db import utcnow
from app.core.errors import DomainError
from app.core.sanitize import SANITIZER_VERSION, render_markdown
from app.summaries.models import Summary, SummaryPoint, SummaryRevision
from app.summaries.translation_models import SummaryTranslation, overall_digest, point_digest

TEXT_MAX = 20_000
POINT_MAX = 5_000


@dataclass
class SummaryTranslationInput:
    overall: str = ""
    points: dict[int, str] = field(default_factory=dict)  # point id → translated text


def _check_language(consultation: Consultation, language: str) -> None:
    if language not in UN_LANGUAGES:
        raise DomainError(_l("Choose one of the languages in the list."), field="language")
    if language == consultation.original_language:
        raise DomainError(_l("This is the language of the original summary."), field="language")


def translation_in(session: Session, summary: Summary, language: str) -> SummaryTranslation | None:
    return session.scalar(select(SummaryTranslation).where(SummaryTranslation.summary_id == summary.id,
                                                           SummaryTranslation.language == language))


def translations_of(session: Session, summary: Summary | None) -> dict[str, SummaryTranslation]:
    if summary is None:
        return {}
    return {row.language: row for row in session.scalars(
        select(SummaryTranslation).options(joinedload(SummaryTranslation.translator))
        .where(SummaryTranslation.summary_id == summary.id))}


def save_summary_translation(session: Session, consultation: Consultation, revision: SummaryRevision,
                             language: str, data: SummaryTranslationInput, *, actor: Any,
                             now: datetime | None = None) -> SummaryTranslation:
    """The overall text and the points of ``revision`` in ``language``, marked as provided by ``actor`` now.
    A point left empty stays untranslated (readers get its original)."""
    _check_language(consultation, language)
    summary = revision.summary
    if summary.consultation_id != consultation.id:
        raise DomainError(_l("This revision belongs to another summary."))
    overall = clean_text(data.overall, field_name="overall", max_length=TEXT_MAX)
    if revision.overall_source.strip() and not overall:
        raise DomainError(_l("Translate the overall summary."), field="overall")
    entries = []
    for point in revision.points:
        text = clean_text(data.points.get(point.id), field_name=f"point_{point.id}", max_length=POINT_MAX)
        if text:
            entries.append({"digest": point_digest(point), "position": point.position, "source": text,
                            "html": render_markdown(text)})
    if not overall and not entries:
        raise DomainError(_l("Translate the overall summary or at least one point."), field="overall")
    row = translation_in(session, summary, language)
    created = row is None
    if row is None:
        row = SummaryTranslation(summary_id=summary.id, language=language, created_at=now or utcnow())
        session.add(row)
    current = {point_digest(p) for p in revision.points}
    kept = [e for e in (row.points or []) if e.get("digest") not in current]  # other revisions' points
    row.overall_source, row.overall_html = overall, render_markdown(overall)
    row.overall_digest = overall_digest(revision)
    row.points = entries + kept
    row.sanitizer_version = SANITIZER_VERSION
    row.revision_number = revision.number
    row.translator_id = getattr(actor, "id", None)
    row.updated_at = now or utcnow()
    session.flush()
    record(session, actor=actor, action="summary.translation_saved", target=summary,
           after={"language": language, "revision": revision.number, "points": len(entries), "new": created})
    return row


def delete_summary_translation(session: Session, consultation: Consultation, summary: Summary, language: str, *,
                               actor: Any) -> None:
    _check_language(consultation, language)
    row = translation_in(session, summary, language)
    if row is None:
        raise DomainError(_l("There is no translation into this language."), field="language")
    session.delete(row)
    session.flush()
    record(session, actor=actor, action="summary.translation_deleted", target=summary,
           before={"language": language, "revision": row.revision_number})


# --- reading -----------------------------------------------------------------------------------

@dataclass
class PointText:
    html: str
    language: str
    translated: bool = False
    outdated: bool = False
    source: str = ""  # the translation's Markdown (for the moderators' form)


@dataclass
class SummaryText:
    """A summary revision as a reader of one language gets it; ``languages`` are
    those it can be read in, the original's first."""

    revision: SummaryRevision
    original: str
    wanted: str
    language: str
    languages: list[str]
    translation: SummaryTranslation | None = None
    content: ContentText | None = None  # the consultation in the same language: the provisions' titles
    _by_digest: dict[str, dict] = field(default_factory=dict)
    _spare: dict[int, dict] = field(default_factory=dict)  # by position: translations of earlier texts

    @property
    def is_translation(self) -> bool:
        return self.translation is not None

    @property
    def overall_translated(self) -> bool:
        return bool(self.translation and self.translation.overall_html)

    @property
    def overall_html(self) -> str:
        return self.translation.overall_html if self.overall_translated else self.revision.overall_html

    @property
    def overall_language(self) -> str:
        return self.language if self.overall_translated else self.original

    @property
    def overall_outdated(self) -> bool:
        return self.overall_translated and self.translation.overall_digest != overall_digest(self.revision)

    @property
    def outdated(self) -> bool:
        return self.overall_outdated or any(self.point(p).outdated for p in self.revision.points)

    def point(self, point: SummaryPoint) -> PointText:
        if self.translation is not None:
            entry = self._by_digest.get(point_digest(point))
            if entry is not None:
                return PointText(entry["html"], self.language, translated=True, source=entry["source"])
            entry = self._spare.get(point.position)
            if entry is not None:
                return PointText(entry["html"], self.language, translated=True, outdated=True,
                                 source=entry["source"])
        return PointText(point.text_html, self.original)

    def section_title(self, section: Any) -> str:
        if self.content is not None and self.content.is_translation:
            return self.content.section(section).title
        return section.title


def summary_text(session: Session, revision: SummaryRevision | None, consultation: Consultation,
                 language: str | None) -> SummaryText | None:
    """``revision`` as a reader of ``language`` gets it (None without a revision)."""
    if revision is None:
        return None
    original = consultation.original_language or "en"
    rows = {code: row for code, row in translations_of(session, revision.summary).items() if code != original}
    chosen = rows.get(language or "")
    text = SummaryText(revision, original, language or original, chosen.language if chosen else original,
                       [original] + [code for code in UN_LANGUAGES if code in rows], chosen)
    if chosen is not None:
        digests = {point_digest(p) for p in revision.points}
        for entry in chosen.points or []:
            if entry.get("digest") in digests:
                text._by_digest[entry["digest"]] = entry
            else:
                text._spare.setdefault(entry.get("position"), entry)
        if any(p.section_id for p in revision.points):
            text.content = translated(session, consultation, chosen.language)
    return text
