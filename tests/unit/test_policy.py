"""The named predicates of app/accounts/policy.py, on plain objects (no database)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from app.accounts import policy
from app.accounts.models import Membership, Role, Scope
from app.accounts.sessions import Anonymous


def grant(role: str, scope_type: str = Scope.GLOBAL, scope_key: str = "") -> SimpleNamespace:
    return SimpleNamespace(role=role, scope_type=scope_type, scope_key=scope_key)


def user(*grants, memberships=(), status="active", ident=1) -> SimpleNamespace:
    return SimpleNamespace(id=ident, is_authenticated=True, is_active=status == "active", status=status,
                           grants=list(grants), memberships=list(memberships))


def organisation(ident=10, verified=True) -> SimpleNamespace:
    return SimpleNamespace(id=ident, is_verified=verified)


def membership(org, role=Membership.MEMBER, status=Membership.ACTIVE) -> Membership:
    return Membership(organisation_id=org.id, role=role, status=status)


ANONYMOUS = Anonymous()
ORG = organisation()


def test_an_anonymous_visitor_fails_every_predicate_that_needs_an_account():
    assert not policy.is_signed_in(ANONYMOUS)
    for predicate in (policy.is_admin, policy.is_moderator, policy.is_author, policy.is_focal_point,
                      policy.can_manage_roles):
        assert not predicate(ANONYMOUS), predicate.__name__
    for predicate in (policy.is_member, policy.is_representative, policy.can_edit_organisation,
                      policy.can_manage_members, policy.can_ask_to_join, policy.can_verify_organisation,
                      policy.can_speak_for):
        assert not predicate(ANONYMOUS, ORG), predicate.__name__


def test_an_anonymous_visitor_with_forged_grants_still_has_no_role():
    """Grants count only on a signed-in account."""
    forged = SimpleNamespace(is_authenticated=False, grants=[grant(Role.ADMIN)], memberships=[])
    assert not policy.is_admin(forged)
    assert not policy.has_role(forged, Role.ADMIN)


def test_only_a_global_admin_grant_makes_an_administrator():
    assert policy.is_admin(user(grant(Role.ADMIN)))
    assert policy.can_manage_roles(user(grant(Role.ADMIN)))
    assert not policy.is_admin(user(grant(Role.MODERATOR)))
    assert not policy.is_admin(user(grant(Role.AUTHOR, Scope.COUNTRY, "AT")))
    assert not policy.can_manage_roles(user(grant(Role.FOCAL_POINT, Scope.REGION, "OSCE")))


def test_has_role_matches_the_scope_exactly_unless_the_grant_is_global():
    author_at = user(grant(Role.AUTHOR, Scope.COUNTRY, "AT"))
    assert policy.has_role(author_at, Role.AUTHOR)
    assert policy.has_role(author_at, Role.AUTHOR, Scope.COUNTRY, "AT")
    assert not policy.has_role(author_at, Role.AUTHOR, Scope.COUNTRY, "DE")
    assert not policy.has_role(author_at, Role.AUTHOR, Scope.REGION, "AT")
    assert not policy.has_role(author_at, Role.MODERATOR)

    global_moderator = user(grant(Role.MODERATOR))
    assert policy.has_role(global_moderator, Role.MODERATOR, Scope.CONSULTATION, "42")

    one_consultation = user(grant(Role.MODERATOR, Scope.CONSULTATION, "42"))
    assert policy.has_role(one_consultation, Role.MODERATOR, Scope.CONSULTATION, 42)
    assert not policy.has_role(one_consultation, Role.MODERATOR, Scope.CONSULTATION, "7")


def test_moderators_include_admins_and_consultation_moderators():
    assert policy.is_moderator(user(grant(Role.ADMIN)))
    assert policy.is_moderator(user(grant(Role.MODERATOR, Scope.CONSULTATION, "3")))
    assert not policy.is_moderator(user(grant(Role.AUTHOR, Scope.COUNTRY, "AT")))


def test_author_countries_and_focal_point_scopes_list_the_grants():
    person = user(grant(Role.AUTHOR, Scope.COUNTRY, "AT"), grant(Role.AUTHOR, Scope.COUNTRY, "XV"),
                  grant(Role.FOCAL_POINT, Scope.REGION, "OSCE"), grant(Role.FOCAL_POINT, Scope.COUNTRY, "XV"))
    assert policy.author_countries(person) == {"AT", "XV"}
    assert policy.focal_point_scopes(person) == {("region", "OSCE"), ("country", "XV")}
    assert policy.is_author(person) and policy.is_focal_point(person)
    assert policy.author_countries(user()) == set()


@pytest.mark.parametrize(("role", "status", "member", "representative"), [
    (Membership.MEMBER, Membership.ACTIVE, True, False),
    (Membership.REPRESENTATIVE, Membership.ACTIVE, True, True),
    (Membership.MEMBER, Membership.PENDING, False, False),
    (Membership.REPRESENTATIVE, Membership.PENDING, False, False),
])
def test_only_active_memberships_count(role, status, member, representative):
    person = user(memberships=[membership(ORG, role, status)])
    assert policy.is_member(person, ORG) is member
    assert policy.is_representative(person, ORG) is representative
    assert policy.can_edit_organisation(person, ORG) is representative
    assert policy.can_manage_members(person, ORG) is representative


def test_a_membership_of_another_organisation_gives_nothing_here():
    other = organisation(ident=11)
    person = user(memberships=[membership(other, Membership.REPRESENTATIVE)])
    assert not policy.is_member(person, ORG)
    assert not policy.can_edit_organisation(person, ORG)
    assert policy.can_edit_organisation(person, other)


def test_admins_edit_and_manage_any_organisation_and_alone_verify():
    admin = user(grant(Role.ADMIN))
    representative = user(memberships=[membership(ORG, Membership.REPRESENTATIVE)])
    assert policy.can_edit_organisation(admin, ORG)
    assert policy.can_manage_members(admin, ORG)
    assert policy.can_verify_organisation(admin, ORG)
    assert not policy.can_verify_organisation(representative, ORG)


def test_asking_to_join_needs_an_active_account_and_no_membership_yet():
    assert policy.can_ask_to_join(user(), ORG)
    assert not policy.can_ask_to_join(user(status="suspended"), ORG)
    assert not policy.can_ask_to_join(user(memberships=[membership(ORG, status=Membership.PENDING)]), ORG)
    assert not policy.can_ask_to_join(user(memberships=[membership(ORG)]), ORG)


def test_speaking_for_an_organisation_needs_an_active_membership_of_a_verified_one():
    unverified = organisation(ident=12, verified=False)
    assert policy.can_speak_for(user(memberships=[membership(ORG)]), ORG)
    assert not policy.can_speak_for(user(memberships=[membership(unverified)]), unverified)
    assert not policy.can_speak_for(user(memberships=[membership(ORG, status=Membership.PENDING)]), ORG)
