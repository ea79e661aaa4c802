"""Who an invitation by e-mail address invites (app/consultations/policy.py, plain objects)."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from app.accounts.sessions import Anonymous
from app.consultations.policy import can_view_consultation, is_invited


def reader(email: str, *, verified: bool = True, ident: int = 7) -> SimpleNamespace:
    return SimpleNamespace(id=ident, email=email, email_verified_at=datetime.now(UTC) if verified else None,
                           is_authenticated=True, is_active=True, status="active", grants=[], memberships=[])


def invited_only(*addresses: str) -> SimpleNamespace:
    invitations = [SimpleNamespace(user_id=None, organisation_id=None, email=a) for a in addresses]
    return SimpleNamespace(id=3, country_code="AT", status="open", visibility="invited", invitations=invitations)


@pytest.mark.parametrize("email, verified, expected", [
    ("guest@example.org", True, True),
    ("Guest@Example.org", True, True),  # accounts keep the case typed; invitations hold it lower-cased
    ("guest@example.org", False, False),  # registering someone's address does not make it theirs
    ("other@example.org", True, False),
])
def test_an_address_invitation_invites_the_account_that_verified_that_address(email, verified, expected):
    consultation = invited_only("guest@example.org")
    assert is_invited(reader(email, verified=verified), consultation) is expected
    assert can_view_consultation(reader(email, verified=verified), consultation) is expected


def test_visitors_are_never_invited_by_address():
    assert is_invited(Anonymous(), invited_only("guest@example.org")) is False
