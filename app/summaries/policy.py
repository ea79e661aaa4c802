"""Who may write, read and forward summaries, enter dispositions and answer
forwarded summaries. Pure predicates of ``(user, object)``."""

from __future__ import annotations

from typing import Any

from app.accounts.models import Role
from app.accounts.policy import focal_point_scopes, has_role, is_admin, is_focal_point, is_signed_in
from app.comments.policy import can_see_restricted
from app.consultations.models import Status
from app.consultations.policy import can_edit_consultation, can_view_consultation, moderates


def can_write_summary(user: Any, consultation: Any) -> bool:
    """Moderators of the consultation (and admins) write, publish and forward the
    summary of a consultation that has been published (a draft consultation is
    its authors' alone: summarising it would carry its title to focal points)."""
    return (is_signed_in(user) and (is_admin(user) or moderates(user, consultation))
            and consultation.status != Status.DRAFT and can_view_consultation(user, consultation))


def can_forward_summary(user: Any, consultation: Any) -> bool:
    return can_write_summary(user, consultation)


def can_translate_summary(user: Any, consultation: Any) -> bool:
    """Translations of the summary's text and points: whoever may write the summary."""
    return can_write_summary(user, consultation)


def can_manage_summaries(user: Any) -> bool:
    """Reach the summary area at all (the object check follows)."""
    return is_admin(user) or has_role(user, Role.MODERATOR)


def can_view_summary_revision(user: Any, revision: Any, consultation: Any) -> bool:
    """THE rule for summary revisions, on every page, feed, API answer, forwarding,
    digest and e-mail (its SQL form: ``summaries.queries.revision_visible_condition``).

    Writers read every revision, drafts included; everybody else only published
    revisions of a consultation they may read, and restricted ones only if they
    may read the consultation's restricted comments. The flag is the revision's
    own, frozen at publication, so no later draft changes who reads it."""
    if not can_view_consultation(user, consultation):
        return False
    if can_write_summary(user, consultation):
        return True
    if revision is None or not revision.is_published:
        return False
    return not revision.restricted or can_see_restricted(user, consultation)


def visible_revisions(user: Any, summary: Any, consultation: Any) -> list[Any]:
    """The published revisions ``user`` may read, oldest first."""
    if summary is None:
        return []
    return [r for r in summary.published_revisions if can_view_summary_revision(user, r, consultation)]


def shown_revision(user: Any, summary: Any, consultation: Any) -> Any:
    """The revision a reader is shown: the latest published one they may read."""
    revisions = visible_revisions(user, summary, consultation)
    return revisions[-1] if revisions else None


def can_view_summary(user: Any, summary: Any, consultation: Any) -> bool:
    """The summary page: writers always; others when a published revision is theirs to read."""
    return can_write_summary(user, consultation) or shown_revision(user, summary, consultation) is not None


def can_enter_dispositions(user: Any, consultation: Any) -> bool:
    """The drafting government (authors of the consultation's country) answers the points raised."""
    return can_edit_consultation(user, consultation)


def can_use_forwarded_inbox(user: Any) -> bool:
    return is_focal_point(user)


def is_forwarding_recipient(user: Any, forwarding: Any) -> bool:
    return is_signed_in(user) and any(r.user_id == user.id for r in forwarding.recipients)


def in_forwarding_scope(user: Any, forwarding: Any) -> bool:
    return (forwarding.target_type, forwarding.target_key) in focal_point_scopes(user)


def can_view_forwarding(user: Any, forwarding: Any, consultation: Any) -> bool:
    """Recipients and focal points of the target, moderators and the drafting government,
    as long as they may read the revision that was forwarded."""
    return ((is_forwarding_recipient(user, forwarding) or in_forwarding_scope(user, forwarding)
             or can_write_summary(user, consultation) or can_edit_consultation(user, consultation))
            and can_view_summary_revision(user, forwarding.revision, consultation))


def can_respond_to_forwarding(user: Any, forwarding: Any) -> bool:
    """Acknowledge and reply: the focal points the summary was sent to."""
    return getattr(user, "is_active", False) and (
        is_forwarding_recipient(user, forwarding) or in_forwarding_scope(user, forwarding))
