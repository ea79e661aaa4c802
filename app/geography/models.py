"""Countries, regional organisations and the 1540 obligations taxonomy.

Rows are loaded from the versioned data files in data/ by
``flask geography load``; names of countries come from pycountry and Babel.
"""

from __future__ import annotations

from sqlalchemy import JSON, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.db import Base


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
    full_name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    membership_term: Mapped[str | None] = mapped_column(String(64))
    role_1540: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
    confidence: Mapped[str | None] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(default=0)

    members: Mapped[list[RegionMember]] = relationship(cascade="all, delete-orphan", order_by=RegionMember.country_code)

    @property
    def member_codes(self) -> list[str]:
        return [m.country_code for m in self.members]

    def __repr__(self) -> str:
        return f"<Region {self.code}>"


class Obligation(Base):
    """A section (OP1, OP3d, ...) or an element (OP3d.transit) of the taxonomy."""

    __tablename__ = "obligation"

    code: Mapped[str] = mapped_column(String(48), primary_key=True)
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("obligation.code"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    matrix_section: Mapped[str | None] = mapped_column(String(200))
    matrix_field: Mapped[str | None] = mapped_column(String(64))
    applies_to: Mapped[list[str] | None] = mapped_column(JSON)
    confidence: Mapped[str | None] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(default=0)

    @property
    def is_section(self) -> bool:
        return self.parent_code is None

    def __repr__(self) -> str:
        return f"<Obligation {self.code}>"
