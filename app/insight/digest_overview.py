"""The regional overview as a section of a focal point's digest.

``overview_sections`` is the provider ``create_app`` registers with the digest
hooks (``app/digests/hooks.py``, which describes the shape returned): for each
regional organisation the focal point serves, the overview of its overview page
(``overview.region_overview``, the same function, so the figures agree) as plain
data with absolute links and names in the digest's language.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.accounts.models import Scope
from app.accounts.policy import focal_point_scopes
from app.core.urls import external_url
from app.geography.models import Region
from app.geography.queries import country_name
from app.insight.overview import region_overview
from app.insight.policy import can_view_region_overview


@dataclass(frozen=True)
class OverviewConsultation:
    title: str
    url: str
    country_name: str
    closes_at: datetime
    closing_soon: bool


@dataclass(frozen=True)
class OverviewForwarding:
    title: str
    url: str
    country_name: str
    forwarded_at: datetime
    acknowledgements: int


@dataclass(frozen=True)
class OverviewObligation:
    code: str
    title: str
    states: int


@dataclass
class RegionalOverview:
    region_code: str
    region_name: str
    members: int
    url: str
    open_now: list[OverviewConsultation]
    unanswered: list[OverviewForwarding]
    ranked: list[OverviewObligation]
    kind: str = "regional_overview"


def served_regions(session: Session, user: Any) -> list[Region]:
    """The regional organisations ``user`` is a focal point of (not a global grant: admins get no digest overview)."""
    codes = sorted(key for scope, key in focal_point_scopes(user) if scope == Scope.REGION)
    if not codes:
        return []
    regions = session.scalars(select(Region).where(Region.code.in_(codes)).order_by(Region.code))
    return [r for r in regions if can_view_region_overview(user, r)]


def overview_sections(session: Session, user: Any, *, now: datetime, language: str) -> list[RegionalOverview]:
    sections = []
    for region in served_regions(session, user):
        o = region_overview(session, region, user, now)
        sections.append(RegionalOverview(
            region_code=region.code, region_name=region.full_name, members=len(o.picture.rows),
            url=external_url("insight.region_overview", code=region.code),
            open_now=[OverviewConsultation(
                c.title, external_url("consultations.show_consultation", consultation_id=c.id),
                country_name(c.country_code, language), c.closes_at, c.id in o.closing_soon) for c in o.open_now],
            unanswered=[OverviewForwarding(
                c.title, external_url("summaries.show_forwarding", forwarding_id=f.id),
                country_name(c.country_code, language), f.created_at, f.acknowledged_count)
                for f, c in o.unanswered],
            ranked=[OverviewObligation(ob.code, ob.title, count) for ob, count in o.ranked]))
    return sections

