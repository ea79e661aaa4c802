"""Who may see what in the insight pages. Pure predicates."""

from __future__ import annotations

from typing import Any

from app.accounts.models import Role, Scope
from app.accounts.policy import has_role, is_admin, is_global_moderator, is_signed_in


def can_view_region_overview(user: Any, region: Any) -> bool:
    """A regional organisation's overview: its focal points, and admins."""
    return is_signed_in(user) and (is_admin(user) or has_role(user, Role.FOCAL_POINT, Scope.REGION, region.code))


def can_see_exact_region_figures(user: Any, region: Any) -> bool:
    """Exact (unrounded) figures across a regional organisation's members, restricted
    comments included where the viewer may read them: admins, global moderators and
    the organisation's focal points. Everyone else sees public figures."""
    return is_signed_in(user) and (is_global_moderator(user)
                                   or has_role(user, Role.FOCAL_POINT, Scope.REGION, region.code))
