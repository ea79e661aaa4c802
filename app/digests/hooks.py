"""Sections that packages beside digests add to a focal point's digest, filled at start-up.

Insight stands on the same rung as digests (docs/ARCHITECTURE.md): neither
imports the other, yet a regional focal point's digest carries the overview of
their organisation that insight computes. Digests declare here what a section
provider is and the shape of what it returns; ``create_app`` registers
insight's provider when the application starts (``_install_hooks``); digests
call the providers without knowing who answers. A section is plain data, so
the digest is still rendered from plain data only, once, and its e-mail, page
and PDF agree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


class OverviewConsultation(Protocol):
    title: str
    url: str
    country_name: str
    closes_at: datetime
    closing_soon: bool


class OverviewForwarding(Protocol):
    title: str
    url: str
    country_name: str
    forwarded_at: datetime
    acknowledgements: int


class OverviewObligation(Protocol):
    code: str
    title: str
    states: int  # member States with a published draft addressing it


class RegionalOverview(Protocol):
    """``kind == "regional_overview"``: a regional organisation's overview, as its
    focal points' overview page shows it (templates/digests/_overview.*)."""

    kind: str
    region_code: str
    region_name: str
    members: int
    url: str
    open_now: list[OverviewConsultation]  # closing soonest first
    unanswered: list[OverviewForwarding]
    ranked: list[OverviewObligation]  # most addressed first


@dataclass
class DigestHooks:
    # (session, user, *, now, language) → the sections this provider adds for ``user`` (often none)
    sections: list[Callable[..., list[Any]]] = field(default_factory=list)


HOOKS = DigestHooks()


def register_section(provider: Callable[..., list[Any]]) -> None:
    """Add a section provider once (a second application in the same process registers the same function)."""
    if provider not in HOOKS.sections:
        HOOKS.sections.append(provider)


def extra_sections(session: Any, user: Any, *, now: datetime, language: str) -> list[Any]:
    """Every registered provider's sections for ``user``, in registration order."""
    found: list[Any] = []
    for provider in HOOKS.sections:
        found.extend(provider(session, user, now=now, language=language))
    return found
