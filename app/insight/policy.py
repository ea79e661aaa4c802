"""Who may see what in the insight pages. Pure predicates."""

from __future__ import annotations

from typing import Any

from app.accounts.models import Role, Scope
from app.accounts.policy import has_role, is_admin, is_signed_in


def can_view_region_overview(user: Any, region: Any) -> bool:
    """A regional organisation's overview: its focal points, and admins."""
    return is_signed_in(user) and (is_admin(user) or has_role(user, Role.FOCAL_POINT, Scope.REGION, region.code))
