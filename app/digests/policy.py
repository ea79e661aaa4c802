"""Who may read what of the digests. Pure predicates of ``(user, object)``."""

from __future__ import annotations

from typing import Any


def is_digest_recipient(user: Any, digest: Any) -> bool:
    """A digest is its recipient's alone (pages, PDF and API)."""
    return getattr(user, "is_authenticated", False) and digest.user_id == user.id
