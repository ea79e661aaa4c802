"""The platform's policy pages (privacy notice, terms of participation,
accessibility statement) and the consent to the terms.

Each page is kept per language as numbered versions: the Markdown source, the
HTML produced from it once by the one sanitiser, its author and date. Nothing
is ever overwritten, so the text a person accepted can always be shown again.

The platform ships a default text for each page in English and French
(``data/policies/<slug>.<language>.md``); it counts as version 1 of that page
in that language until an administrator saves a version of their own, which
gets the next number. A language without any version falls back to English.

Consent: the terms version that matters is the English one (the original,
which prevails). Each account records the version it accepted and when; when
an administrator saves a new English version, every participant is asked to
accept again at their next sign-in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text, func, select
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from app.core.audit import record
from app.core.db import Base, utcnow
from app.core.errors import DomainError
from app.core.sanitize import SANITIZER_VERSION, render_markdown

PRIVACY, TERMS, ACCESSIBILITY = "privacy", "terms", "accessibility"
SLUGS: tuple[str, ...] = (PRIVACY, TERMS, ACCESSIBILITY)
ORIGINAL_LANGUAGE = "en"  # the version that prevails, and the fallback
MAX_SOURCE = 100_000


class PolicyPageVersion(Base):
    __tablename__ = "policy_page_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8))
    number: Mapped[int]
    body_source: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    sanitizer_version: Mapped[int] = mapped_column(default=SANITIZER_VERSION, server_default="1")
    change_note: Mapped[str] = mapped_column(String(500), default="", server_default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, server_default=func.now())

    author = relationship("User", foreign_keys=[author_id])

    __table_args__ = (
        Index("uq_policy_page_version_slug_language_number", "slug", "language", "number", unique=True),
    )

    def __repr__(self) -> str:
        return f"<PolicyPageVersion {self.slug} {self.language} v{self.number}>"


@dataclass(frozen=True)
class PageText:
    """What a reader is shown: one version of one page in one language."""

    slug: str
    language: str
    number: int
    html: str
    source: str
    created_at: datetime | None
    author_name: str | None
    change_note: str = ""
    is_default: bool = False  # the text shipped with the platform
    fallback: bool = False  # shown in English because the language has no version yet


class PolicyPageError(DomainError):
    """The page text cannot be saved."""


# --- default texts ------------------------------------------------------------------------

_DEFAULTS: dict[tuple[str, str], PageText | None] = {}


def _defaults_dir() -> Path:
    return Path(current_app.config["DATA_DIR"]) / "policies"


def default_text(slug: str, language: str) -> PageText | None:
    """The default text shipped for ``slug`` in ``language`` (version 1), or None."""
    key = (slug, language)
    if key not in _DEFAULTS:
        path = _defaults_dir() / f"{slug}.{language}.md"
        if slug in SLUGS and path.is_file():
            source = path.read_text(encoding="utf-8")
            _DEFAULTS[key] = PageText(slug, language, 1, render_markdown(source), source, None, None,
                                      is_default=True)
        else:
            _DEFAULTS[key] = None
    return _DEFAULTS[key]


# --- reading ------------------------------------------------------------------------------

def _latest_row(session: Session, slug: str, language: str) -> PolicyPageVersion | None:
    return session.scalar(select(PolicyPageVersion).where(
        PolicyPageVersion.slug == slug, PolicyPageVersion.language == language,
    ).order_by(PolicyPageVersion.number.desc()).limit(1))


def _as_text(row: PolicyPageVersion) -> PageText:
    return PageText(row.slug, row.language, row.number, row.body_html, row.body_source, row.created_at,
                    row.author.display_name if row.author is not None else None, row.change_note)


def current_text(session: Session, slug: str, language: str) -> PageText | None:
    """The newest version in ``language``; else the newest English one marked as a fallback."""
    row = _latest_row(session, slug, language)
    if row is not None:
        return _as_text(row)
    default = default_text(slug, language)
    if default is not None:
        return default
    if language == ORIGINAL_LANGUAGE:
        return None
    original = current_text(session, slug, ORIGINAL_LANGUAGE)
    if original is None:
        return None
    return PageText(**{**original.__dict__, "fallback": True})


def version_text(session: Session, slug: str, language: str, number: int) -> PageText | None:
    row = session.scalar(select(PolicyPageVersion).where(
        PolicyPageVersion.slug == slug, PolicyPageVersion.language == language,
        PolicyPageVersion.number == number))
    if row is not None:
        return _as_text(row)
    default = default_text(slug, language)
    return default if default is not None and number == 1 else None


def history(session: Session, slug: str) -> list[PageText]:
    """Every version of ``slug`` in every language, newest first within each language."""
    rows = session.scalars(select(PolicyPageVersion).where(PolicyPageVersion.slug == slug).order_by(
        PolicyPageVersion.language, PolicyPageVersion.number.desc()))
    texts = [_as_text(row) for row in rows]
    for language in current_app.config["LANGUAGES"]:
        default = default_text(slug, language)
        if default is not None:
            texts.append(default)
    return sorted(texts, key=lambda t: (t.language != ORIGINAL_LANGUAGE, t.language, -t.number))


def latest_numbers(session: Session) -> dict[tuple[str, str], int]:
    """(slug, language) → the current version number, defaults included (one query)."""
    numbers = {(slug, language): number for slug, language, number in session.execute(
        select(PolicyPageVersion.slug, PolicyPageVersion.language, func.max(PolicyPageVersion.number))
        .group_by(PolicyPageVersion.slug, PolicyPageVersion.language))}
    for slug in SLUGS:
        for language in current_app.config["LANGUAGES"]:
            if (slug, language) not in numbers and default_text(slug, language) is not None:
                numbers[(slug, language)] = 1
    return numbers


def current_terms_version(session: Session) -> int:
    """The number of the terms a participant must have accepted (the English original's)."""
    text = current_text(session, TERMS, ORIGINAL_LANGUAGE)
    return text.number if text is not None else 0


def needs_consent(session: Session, user: Any) -> bool:
    """Whether ``user`` has yet to accept the current terms of participation."""
    if not getattr(user, "is_authenticated", False):
        return False
    required = current_terms_version(session)
    return required > 0 and (user.terms_version or 0) < required


# --- writing ------------------------------------------------------------------------------

def save_page_version(session: Session, slug: str, language: str, body_source: str, *,
                      change_note: str = "", actor: Any) -> PolicyPageVersion:
    """Add the next version of ``slug`` in ``language``; the older ones stay as they were."""
    if slug not in SLUGS:
        raise PolicyPageError(_l("There is no such page."))
    if language not in current_app.config["LANGUAGES"]:
        raise PolicyPageError(_l("This language is not offered by the platform."))
    body_source = (body_source or "").replace("\r\n", "\n").strip()
    if not body_source:
        raise PolicyPageError(_l("Write the text of the page."), field="body")
    if len(body_source) > MAX_SOURCE:
        raise PolicyPageError(_l("The text is too long."), field="body")
    current = current_text(session, slug, language)
    if current is not None and not current.fallback and current.source.strip() == body_source:
        raise PolicyPageError(_l("The text is the same as the current version."), field="body")
    previous = session.scalar(select(func.max(PolicyPageVersion.number)).where(
        PolicyPageVersion.slug == slug, PolicyPageVersion.language == language))
    if previous is None:
        previous = 1 if default_text(slug, language) is not None else 0
    version = PolicyPageVersion(
        slug=slug, language=language, number=previous + 1, body_source=body_source,
        body_html=render_markdown(body_source), sanitizer_version=SANITIZER_VERSION,
        change_note=(change_note or "").strip()[:500], author_id=getattr(actor, "id", None), created_at=utcnow())
    session.add(version)
    session.flush()
    record(session, actor=actor, action="policy_page.save", target=version,
           after={"slug": slug, "language": language, "number": version.number})
    return version


def accept_terms(session: Session, user: Any, *, version: int | None = None, now: datetime | None = None,
                 actor: Any = None) -> int:
    """Record that ``user`` accepted the terms (the current version unless given); returns it."""
    version = current_terms_version(session) if version is None else version
    user.terms_version = version
    user.terms_accepted_at = now or utcnow()
    session.flush()
    record(session, actor=actor or user, action="user.accept_terms", target=user, after={"terms_version": version})
    return version
