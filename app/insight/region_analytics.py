"""Stakeholder analytics of a regional organisation: the consultations of its
members together (who took part, amendments and the decisions on them,
participation over time) and each consultation's share.

Which comments count follows the per-consultation analytics (analytics.py):
the public, and anyone without exact figures, get published public comments
of public consultations, with counts of 1 or 2 shown as "fewer than 3".
Admins, global moderators and the organisation's focal points
(``can_see_exact_region_figures``) get exact figures over the consultations
they may read, restricted comments included where ``can_see_restricted``
lets them read those (``restricted_readable``, its SQL form).

Five queries, whatever the number of consultations or comments: the
consultations, then the grouped "who", decisions and per-day queries of
analytics.py over all of them at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, false, or_, select, true
from sqlalchemy.orm import Session

from app.accounts.models import Role, Scope
from app.accounts.sessions import Anonymous
from app.comments.models import Audience, Comment, CommentStatus
from app.consultations.models import Consultation, ConsultationRegion
from app.consultations.queries import visible_condition
from app.geography.models import Region, RegionMember
from app.insight.analytics import (
    Analytics,
    Figure,
    amendment_decisions,
    figure,
    over_time,
    participation,
    rank_key,
    share,
)
from app.insight.policy import can_see_exact_region_figures


@dataclass
class RankedConsultation:
    consultation: Consultation
    comments: Figure
    organisations: Figure
    opposing: Figure
    amendments: Figure

    @property
    def opposition_share(self) -> str:
        """Opposing comments as a share of the consultation's comments; withheld with a small count."""
        return share(self.opposing, self.comments)


def restricted_readable(user: Any):
    """The consultations whose restricted comments ``user`` may read, as a condition on
    ``Comment.consultation_id``: the SQL form of ``can_see_restricted`` (admins, moderators
    of the consultation, authors of its country, focal points of its country or of one of
    its regional organisations; a grant without scope counts everywhere)."""
    grants = [g for g in getattr(user, "grants", None) or []
              if g.role in (Role.ADMIN, Role.MODERATOR, Role.AUTHOR, Role.FOCAL_POINT)]
    if not getattr(user, "is_authenticated", False) or not grants:
        return false()
    if any(g.role == Role.ADMIN or g.scope_type == Scope.GLOBAL for g in grants):
        return true()

    def keys(role: str, scope: str) -> list[str]:
        return sorted({g.scope_key for g in grants if g.role == role and g.scope_type == scope})

    moderated = [int(k) for k in keys(Role.MODERATOR, Scope.CONSULTATION) if k.isdigit()]
    countries = sorted(set(keys(Role.AUTHOR, Scope.COUNTRY)) | set(keys(Role.FOCAL_POINT, Scope.COUNTRY)))
    regions = keys(Role.FOCAL_POINT, Scope.REGION)
    parts = []
    if moderated:
        parts.append(Comment.consultation_id.in_(moderated))
    if countries:
        parts.append(Comment.consultation_id.in_(
            select(Consultation.id).where(Consultation.country_code.in_(countries))))
    if regions:
        parts.append(Comment.consultation_id.in_(
            select(ConsultationRegion.consultation_id).where(ConsultationRegion.region_code.in_(regions))))
    return or_(*parts) if parts else false()


def member_consultations(session: Session, region: Region, viewer: Any) -> list[Consultation]:
    """Published consultations of the organisation's members that ``viewer`` may read."""
    members = select(RegionMember.country_code).where(RegionMember.region_code == region.code)
    return list(session.scalars(
        select(Consultation).where(visible_condition(viewer), Consultation.country_code.in_(members))
        .order_by(Consultation.id)))


def region_analytics(session: Session, region: Region, user: Any, *,
                     language_name=lambda code: code) -> Analytics:
    exact = can_see_exact_region_figures(user, region)
    viewer = user if exact else Anonymous()
    consultations = member_consultations(session, region, viewer)
    members = select(RegionMember.country_code).where(RegionMember.region_code == region.code)
    in_scope = select(Consultation.id).where(visible_condition(viewer), Consultation.country_code.in_(members))
    audience = Comment.audience == Audience.PUBLIC
    if exact:
        audience = or_(audience, restricted_readable(user))
    condition = and_(Comment.consultation_id.in_(in_scope), Comment.status == CommentStatus.PUBLISHED, audience)

    def fig(value: int) -> Figure:
        return figure(value, exact)

    who = participation(session, condition, fig, language_name=language_name, per_consultation=True)
    decisions = amendment_decisions(session, condition, fig, who.amendments)
    days, weeks = over_time(session, condition, fig)
    ranked = []
    for consultation in consultations:
        comments, organisations, amendments, opposing = who.per_consultation.get(consultation.id, (0, set(), 0, 0))
        if comments:
            ranked.append(RankedConsultation(consultation, fig(comments), fig(len(organisations)), fig(opposing),
                                             fig(amendments)))
    ranked.sort(key=lambda r: (-rank_key(r.comments), -rank_key(r.opposing), -rank_key(r.amendments),
                               r.consultation.title.casefold(), r.consultation.id))
    return Analytics(None, None, exact, fig(who.comments), fig(who.organisations), fig(who.amendments),
                     who.breakdowns, decisions, days, weeks, region=region, consultations=ranked)
