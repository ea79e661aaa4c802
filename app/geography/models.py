"""Countries, regional organisations and the 1540 obligations taxonomy.

Rows are loaded from the versioned data files in data/ by
``flask geography load``; names of countries come from pycountry and Babel.
The rows hold the English texts (``*_en``); ``title``, ``full_name`` and the
other names are those texts in the reader's language (app/geography/names.py).
"""

from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import Base
from app.geography.names import localised, region_short_name


class Country(Base):
    __tablename__ = "country"

    code: Mapped[str] = mapped_column(String(2), primary_key=True)  # ISO 3166-1 alpha-2
    alpha3: Mapped[str] = mapped_column(String(3))

    def __repr__(self) -> str:
        return f"<Country {self.code}>"


class RegionMember(Base):
    __tablename__ = "region_member"

    region_code: Mapped[str] = mapped_column(ForeignKey("region.code", ondelete="CASCADE"), primary_key=True)
    country_code: Mapped[str] = mapped_column(ForeignKey("country.code"), primary_key=True, index=True)


class Region(Base):
    """A regional or sub-regional organisation and its member States."""

    __tablename__ = "region"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    full_name_en: Mapped[str] = mapped_column("full_name", String(200))
    kind: Mapped[str] = mapped_column(String(32))
    membership_term: Mapped[str | None] = mapped_column(String(64))
    role_1540_en: Mapped[str | None] = mapped_column("role_1540", Text)
    notes: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[str | None] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(default=0)

    members: Mapped[list[RegionMember]] = relationship(cascade="all, delete-orphan", order_by=RegionMember.country_code)

    @property
    def member_codes(self) -> list[str]:
        return [m.country_code for m in self.members]

    @property
    def full_name(self) -> str:
        """"Organization for Security and Co-operation in Europe" in the reader's language."""
        return localised("regions", self.code, "full_name", self.full_name_en) or self.code

    @property
    def short_name(self) -> str:
        """The abbreviation readers of that language know ("OSCE", "ОБСЕ", "欧安组织"); else the code."""
        return region_short_name(self.code)

    @property
    def role_1540(self) -> str | None:
        return localised("regions", self.code, "role_1540", self.role_1540_en)

    def __repr__(self) -> str:
        return f"<Region {self.code}>"


class Obligation(Base):
    """A section (OP1, OP3d, ...) or an element (OP3d.transit) of the taxonomy."""

    __tablename__ = "obligation"

    code: Mapped[str] = mapped_column(String(48), primary_key=True)
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("obligation.code"), index=True)
    title_en: Mapped[str] = mapped_column("title", String(200))
    description_en: Mapped[str | None] = mapped_column("description", Text)
    matrix_section: Mapped[str | None] = mapped_column(String(200))
    matrix_field: Mapped[str | None] = mapped_column(String(64))
    applies_to: Mapped[list[str] | None] = mapped_column(JSON)
    confidence: Mapped[str | None] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(default=0)

    @property
    def is_section(self) -> bool:
        return self.parent_code is None

    @property
    def title(self) -> str:
        """The title in the reader's language (``title_in`` for another one)."""
        return self.title_in()

    @property
    def description(self) -> str | None:
        return localised("obligations", self.code, "description", self.description_en)

    def title_in(self, language: str | None = None) -> str:
        return localised("obligations", self.code, "title", self.title_en, language) or self.code

    def __repr__(self) -> str:
        return f"<Obligation {self.code}>"
