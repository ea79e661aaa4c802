"""Helpers shared by the consultation tests (no tests here)."""

from __future__ import annotations

from datetime import timedelta

from app.accounts.models import Role, Scope
from app.consultations import services
from app.consultations.importers import parse_markdown
from app.core.db import utcnow
from tests.factories import grant, make_user


def make_author(session, country: str = "AT", **kwargs):
    user = make_user(session, **kwargs)
    grant(session, user, Role.AUTHOR, Scope.COUNTRY, country)
    return user


def details(country: str = "AT", **overrides) -> services.ConsultationDetails:
    now = utcnow()
    values = dict(
        country_code=country, title="Draft Law on Strategic Goods and Brokering", instrument_type="law",
        drafting_authority="Ministry of Trade", opens_at=now + timedelta(days=1), closes_at=now + timedelta(days=31),
        summary="Closes the **brokering** gap.", questions="1. Is the catch-all clause clear?",
        languages=["en", "fr"], weapon_categories=["NW", "CW"], obligations=["OP3d.transit", "OP3c.brokering"],
    )
    values.update(overrides)
    return services.ConsultationDetails(**values)


def markdown_draft(n: int = 3, word: str = "licence") -> str:
    return "\n\n".join(f"## Article {i} — Heading {i}\n\nThe {word} rules of article {i} apply to transit." for i in
                       range(1, n + 1))


def make_consultation(session, author, *, sections: int = 3, publish: bool = True, open_now: bool = False,
                      **overrides):
    """A consultation with ``sections`` articles; published (scheduled) by default, or open."""
    if open_now:
        overrides.setdefault("opens_at", utcnow() - timedelta(days=1))
    now = utcnow() - timedelta(days=2) if open_now else None
    consultation = services.create_consultation(session, details(**overrides), actor=author, now=now)
    if sections:
        services.replace_sections(session, consultation, parse_markdown(markdown_draft(sections)), actor=author)
    if publish:
        services.publish_version(session, consultation, actor=author)
    return consultation
