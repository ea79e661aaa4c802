"""The shapes of the codes the data files use (OSCE, UNODA-1540-AFR; AT; OP3d.transit).

A code from outside (an address, a query, a form) is checked against its shape before it reaches
a query: one of another shape names nothing, whatever it holds (a NUL character, which PostgreSQL
cannot compare with text, or ten thousand characters)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Session

from app.geography.models import Country, Obligation, Region

REGION_CODE = re.compile(r"[A-Za-z0-9-]{1,16}\Z")
COUNTRY_CODE = re.compile(r"[A-Za-z]{2}\Z")
OBLIGATION_CODE = re.compile(r"[A-Za-z0-9._-]{1,48}\Z")


def shaped(pattern: re.Pattern, value: Any) -> bool:
    return isinstance(value, str) and pattern.match(value) is not None


def find_region(session: Session, code: Any) -> Region | None:
    """The regional organisation with this code as written, or None."""
    return session.get(Region, code) if shaped(REGION_CODE, code) else None


def find_country(session: Session, code: Any) -> Country | None:
    """The country with this two-letter code as written, or None."""
    return session.get(Country, code) if shaped(COUNTRY_CODE, code) else None


def find_obligation(session: Session, code: Any) -> Obligation | None:
    """The 1540 obligation with this code as written, or None."""
    return session.get(Obligation, code) if shaped(OBLIGATION_CODE, code) else None
