"""The overview a regional focal point opens first: the consultations of the
organisation's members open now (closing soonest first), the summaries
forwarded to the organisation that nobody has answered yet, and the obligations
most and least addressed across its members. A fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.consultations.models import Consultation, Status
from app.geography.models import Obligation, Region
from app.insight.picture import Picture, coverage_picture
from app.summaries.models import Forwarding, Summary, SummaryRevision, TargetType
from app.summaries.policy import can_view_forwarding

CLOSING_SOON = timedelta(days=14)


@dataclass
class Overview:
    region: Region
    picture: Picture
    open_now: list[Consultation]
    closing_soon: set[int]
    unanswered: list[tuple[Forwarding, Consultation]]

    @property
    def ranked(self) -> list[tuple[Obligation, int]]:
        return self.picture.ranked_columns()


def region_overview(session: Session, region: Region, user: Any, now: datetime) -> Overview:
    picture = coverage_picture(session, region, user, now=now)
    open_now = sorted((d for d in picture.drafts if d.effective_status(now) == Status.OPEN),
                      key=lambda d: (d.closes_at, d.id))
    closing_soon = {d.id for d in open_now if d.closes_at - now <= CLOSING_SOON}
    rows = session.execute(
        select(Forwarding, Consultation)
        .join(SummaryRevision, SummaryRevision.id == Forwarding.revision_id)
        .join(Summary, Summary.id == SummaryRevision.summary_id)
        .join(Consultation, Consultation.id == Summary.consultation_id)
        .where(Forwarding.target_type == TargetType.REGION, Forwarding.target_key == region.code,
               ~Forwarding.responses.any())
        .options(selectinload(Forwarding.recipients), selectinload(Forwarding.revision),
                 selectinload(Consultation.regions))
        .order_by(Forwarding.created_at, Forwarding.id)).all()
    unanswered = [(f, c) for f, c in rows if can_view_forwarding(user, f, c)]
    return Overview(region, picture, open_now, closing_soon, unanswered)
