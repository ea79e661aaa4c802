"""Who may see and manage consultations. Pure predicates of ``(user, object)``."""

from __future__ import annotations

from typing import Any

from app.accounts.models import Role, Scope
from app.accounts.policy import author_countries, has_role, is_admin, is_signed_in
from app.consultations.models import Status, Visibility


def can_manage_consultations(user: Any) -> bool:
    """Reach the management area: admins and authors of at least one country."""
    return is_admin(user) or bool(author_countries(user))


def can_author_in(user: Any, country_code: str | None) -> bool:
    return is_admin(user) or (country_code is not None and has_role(user, Role.AUTHOR, Scope.COUNTRY, country_code))


def can_edit_consultation(user: Any, consultation: Any) -> bool:
    return can_author_in(user, consultation.country_code)


def moderates(user: Any, consultation: Any) -> bool:
    return has_role(user, Role.MODERATOR, Scope.GLOBAL, "") or has_role(
        user, Role.MODERATOR, Scope.CONSULTATION, str(consultation.id))


def verified_address(user: Any) -> str | None:
    """The address an invitation by e-mail must name to invite this user: only
    a verified one, so registering someone else's address gains nothing."""
    if not is_signed_in(user) or getattr(user, "email_verified_at", None) is None:
        return None
    return (user.email or "").lower() or None


def is_invited(user: Any, consultation: Any) -> bool:
    if not is_signed_in(user):
        return False
    organisations = {m.organisation_id for m in getattr(user, "memberships", []) or [] if m.is_active}
    address = verified_address(user)
    for invitation in consultation.invitations:
        if invitation.user_id == user.id or invitation.organisation_id in organisations:
            return True
        if address is not None and invitation.email == address:
            return True
    return False


def can_view_consultation(user: Any, consultation: Any) -> bool:
    """Drafts only for their authors; invited-only ones for invitees and staff.

    Views check this with ``hide=True``: whoever may not see a consultation
    gets 404 for it and everything under it, never a hint that it exists.
    """
    if can_edit_consultation(user, consultation):
        return True
    if consultation.status == Status.DRAFT:
        return False
    if consultation.visibility == Visibility.PUBLIC:
        return True
    return moderates(user, consultation) or is_invited(user, consultation)


def can_translate_consultation(user: Any, consultation: Any) -> bool:
    """Translations of the title, summary, questions and sections: the consultation's authors."""
    return can_edit_consultation(user, consultation)
