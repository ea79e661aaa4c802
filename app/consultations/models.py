"""Consultations on draft national measures: the consultation, its numbered
draft versions and their sections, attachments and invitations."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.cache import SITE, consultation_scope, draft_scope, track
from app.core.db import Base, TimestampMixin, utcnow

if TYPE_CHECKING:
    from app.accounts.models import Organisation, User


class Status(StrEnum):
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    OPEN = "open"
    CLOSED = "closed"
    SUMMARISED = "summarised"
    FORWARDED = "forwarded"


CONSULTATION_STATUSES = tuple(Status)
# Statuses that follow opens_at / closes_at.
CLOCKED_STATUSES = (Status.SCHEDULED, Status.OPEN, Status.CLOSED)


class InstrumentType(StrEnum):
    LAW = "law"
    DECREE = "decree"
    REGULATION = "regulation"
    CONTROL_LIST = "control_list"
    OTHER = "other"


INSTRUMENT_TYPES = tuple(InstrumentType)


class Visibility(StrEnum):
    PUBLIC = "public"
    INVITED = "invited"


VISIBILITIES = tuple(Visibility)


class ModerationMode(StrEnum):
    PRE = "pre"
    POST = "post"


MODERATION_MODES = tuple(ModerationMode)


class SectionLevel(StrEnum):
    PART = "part"
    CHAPTER = "chapter"
    ARTICLE = "article"
    PARAGRAPH = "paragraph"


SECTION_LEVELS = tuple(SectionLevel)


# Weapon categories of the 1540 matrix (data/obligations_1540.yaml, weapon_categories).
WEAPON_CATEGORIES = ("NW", "CW", "BW", "MoD", "RM")
UN_LANGUAGES = ("en", "fr", "es", "ru", "ar", "zh")


def clock_status(opens_at: datetime, closes_at: datetime, now: datetime) -> str:
    if now < opens_at:
        return Status.SCHEDULED
    if now < closes_at:
        return Status.OPEN
    return Status.CLOSED


class Consultation(TimestampMixin, Base):
    __tablename__ = "consultation"

    id: Mapped[int] = mapped_column(primary_key=True)
    country_code: Mapped[str] = mapped_column(ForeignKey("country.code"), index=True)
    title: Mapped[str] = mapped_column(String(300))
    instrument_type: Mapped[str] = mapped_column(String(32), index=True)
    drafting_authority: Mapped[str] = mapped_column(String(300))
    summary_source: Mapped[str] = mapped_column(Text, default="")
    summary_html: Mapped[str] = mapped_column(Text, default="")
    questions_source: Mapped[str] = mapped_column(Text, default="")
    questions_html: Mapped[str] = mapped_column(Text, default="")
    sanitizer_version: Mapped[int] = mapped_column(default=1)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The language the authors wrote in; it prevails over the translations (translation_models.py).
    original_language: Mapped[str] = mapped_column(String(8), default="en", server_default="en")
    weapon_categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    visibility: Mapped[str] = mapped_column(String(16), default=Visibility.PUBLIC, index=True)
    moderation_mode: Mapped[str] = mapped_column(String(8), default=ModerationMode.PRE)
    opens_at: Mapped[datetime] = mapped_column(index=True)
    closes_at: Mapped[datetime] = mapped_column(index=True)
    # Stored status; for the clocked statuses the dates decide (see effective_status).
    status: Mapped[str] = mapped_column(String(16), default=Status.DRAFT, index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    regions: Mapped[list[ConsultationRegion]] = relationship(
        cascade="all, delete-orphan", order_by="ConsultationRegion.region_code")
    obligations: Mapped[list[ConsultationObligation]] = relationship(
        cascade="all, delete-orphan", order_by="ConsultationObligation.obligation_code")
    versions: Mapped[list[DraftVersion]] = relationship(
        back_populates="consultation", cascade="all, delete-orphan", order_by="DraftVersion.number")
    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="consultation", cascade="all, delete-orphan", order_by="Attachment.id")
    invitations: Mapped[list[Invitation]] = relationship(
        back_populates="consultation", cascade="all, delete-orphan", order_by="Invitation.id")

    def effective_status(self, now: datetime | None = None) -> str:
        """The status the clock says, correct even if ``flask consultations tick`` never ran."""
        if self.status not in CLOCKED_STATUSES:
            return self.status
        return clock_status(self.opens_at, self.closes_at, now or utcnow())

    @property
    def is_open(self) -> bool:
        return self.effective_status() == Status.OPEN

    @property
    def region_codes(self) -> list[str]:
        return [r.region_code for r in self.regions]

    @property
    def obligation_codes(self) -> list[str]:
        return [o.obligation_code for o in self.obligations]

    @property
    def published_versions(self) -> list[DraftVersion]:
        return [v for v in self.versions if v.is_published]

    @property
    def current_version(self) -> DraftVersion | None:
        """The latest published version: what readers see."""
        published = self.published_versions
        return published[-1] if published else None

    @property
    def working_version(self) -> DraftVersion | None:
        """The version being edited, if any (only one at a time)."""
        for version in self.versions:
            if not version.is_published:
                return version
        return None

    def __repr__(self) -> str:
        return f"<Consultation {self.id} {self.country_code} {self.status}>"


class ConsultationRegion(Base):
    __tablename__ = "consultation_region"

    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultation.id", ondelete="CASCADE"), primary_key=True)
    region_code: Mapped[str] = mapped_column(
        ForeignKey("region.code", ondelete="CASCADE"), primary_key=True, index=True)


class ConsultationObligation(Base):
    __tablename__ = "consultation_obligation"

    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultation.id", ondelete="CASCADE"), primary_key=True)
    obligation_code: Mapped[str] = mapped_column(ForeignKey("obligation.code"), primary_key=True, index=True)


class DraftVersion(Base):
    """Version N of the draft text; immutable once published."""

    __tablename__ = "draft_version"

    DRAFT = "draft"
    PUBLISHED = "published"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default=DRAFT)
    change_note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    consultation: Mapped[Consultation] = relationship(back_populates="versions")
    sections: Mapped[list[Section]] = relationship(
        back_populates="version", cascade="all, delete-orphan", order_by="Section.position")

    __table_args__ = (UniqueConstraint("consultation_id", "number"),)

    @property
    def is_published(self) -> bool:
        return self.status == self.PUBLISHED

    def __repr__(self) -> str:
        return f"<DraftVersion {self.consultation_id} v{self.number} {self.status}>"


class Section(Base):
    """A part, chapter, article or paragraph of a draft version."""

    __tablename__ = "section"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("draft_version.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    level: Mapped[str] = mapped_column(String(16), default=SectionLevel.ARTICLE)
    number: Mapped[str] = mapped_column(String(64), default="")
    heading: Mapped[str] = mapped_column(String(300), default="")
    # Stable across versions: sections are matched by anchor when comparing.
    anchor: Mapped[str] = mapped_column(String(80))
    body_source: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    sanitizer_version: Mapped[int] = mapped_column(default=1)

    version: Mapped[DraftVersion] = relationship(back_populates="sections")
    obligations: Mapped[list[SectionObligation]] = relationship(
        cascade="all, delete-orphan", order_by="SectionObligation.obligation_code")

    __table_args__ = (UniqueConstraint("version_id", "anchor"),)

    @property
    def title(self) -> str:
        return " — ".join(part for part in (self.number, self.heading) if part)

    @property
    def obligation_codes(self) -> list[str]:
        return [o.obligation_code for o in self.obligations]

    def __repr__(self) -> str:
        return f"<Section {self.id} {self.anchor}>"


class SectionObligation(Base):
    __tablename__ = "section_obligation"

    section_id: Mapped[int] = mapped_column(ForeignKey("section.id", ondelete="CASCADE"), primary_key=True)
    obligation_code: Mapped[str] = mapped_column(ForeignKey("obligation.code"), primary_key=True, index=True)


class Attachment(Base):
    """A file (memorandum, annex, control list) stored outside static/ under a generated name."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    original_filename: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(128))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    consultation: Mapped[Consultation] = relationship(back_populates="attachments")

    @property
    def label(self) -> str:
        return self.title or self.original_filename


# Exactly one of organisation, user and address (portable: no boolean arithmetic).
ONE_INVITEE = ("(CASE WHEN organisation_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN user_id IS NULL THEN 0 ELSE 1 END)"
               " + (CASE WHEN email IS NULL THEN 0 ELSE 1 END) = 1")


class Invitation(Base):
    """An organisation (all its active members), a user, or an e-mail address
    invited to an invited-only consultation.

    An address invitation holds the address lower-cased (accounts compare
    addresses lower-cased) and applies to the account that has verified that
    address, whenever it does so: an author can invite by address without
    learning whether anyone is registered with it.
    """

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultation.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    consultation: Mapped[Consultation] = relationship(back_populates="invitations")
    organisation: Mapped[Organisation | None] = relationship()
    user: Mapped[User | None] = relationship(foreign_keys=[user_id])

    __table_args__ = (
        UniqueConstraint("consultation_id", "organisation_id"),
        UniqueConstraint("consultation_id", "user_id"),
        UniqueConstraint("consultation_id", "email"),
        CheckConstraint(ONE_INVITEE, name="one_invitee"),
    )

    @property
    def label(self) -> str:
        """What the author's list shows: the organisation's name or the address."""
        if self.organisation is not None:
            return self.organisation.name
        return self.email or (self.user.email if self.user is not None else "")


Index("ix_consultation_status_closes_at", Consultation.status, Consultation.closes_at)


# What a consultation's pages show of its text (its title, dates and languages, its versions,
# the provisions and their obligations) is kept under its draft token (the section pages'
# draft part) and its content token (its discussions name versions and sections): a change
# renews both (app/core/cache.py). A row not yet tied to a consultation renews the site's.

def text_scopes(consultation_id: int | None) -> list[str]:
    return [consultation_scope(consultation_id), draft_scope(consultation_id)]


def _version_scopes(_session: Any, version: DraftVersion) -> list[str]:
    consultation = version.__dict__.get("consultation")
    return text_scopes(version.consultation_id or (consultation.id if consultation is not None else None))


def _section_scopes(session: Any, section: Section) -> list[str]:
    version = section.__dict__.get("version")
    if version is None and section.version_id is not None:
        version = session.get(DraftVersion, section.version_id)
    return _version_scopes(session, version) if version is not None else [SITE]


def _section_obligation_scopes(session: Any, row: SectionObligation) -> list[str]:
    if row.section_id is not None:
        section = session.get(Section, row.section_id)
    else:  # added to a section's list: its section id is set at flush
        section = next((s for s in (*session.new, *session.dirty)
                        if isinstance(s, Section) and row in s.__dict__.get("obligations", ())), None)
    return _section_scopes(session, section) if section is not None else [SITE]


track(Consultation, scopes=lambda _s, consultation: text_scopes(consultation.id))
track(DraftVersion, scopes=_version_scopes)
track(Section, scopes=_section_scopes)
track(SectionObligation, scopes=_section_obligation_scopes)
