"""``flask create-admin``."""

from __future__ import annotations

from sqlalchemy import select

from app.accounts.models import Role, RoleGrant, Scope
from app.accounts.passwords import verify_password
from app.accounts.policy import is_admin
from tests.factories import DEFAULT_PASSWORD, make_user
from tests.integration import test_accounts_helpers as helpers
from tests.integration.test_accounts_helpers import audit_actions, user_by_email

email = helpers.email  # fixture

ADMIN_PASSWORD = "the quiet administrator passphrase"


def run(app, *args, input=None):
    return app.test_cli_runner().invoke(args=["create-admin", *args], input=input)


def test_create_admin_from_stdin_makes_a_verified_global_admin(app, session, email):
    result = run(app, "--email", email, "--name", "Site Admin", "--password-stdin", input=ADMIN_PASSWORD + "\n")

    assert result.exit_code == 0, result.output
    assert "is now an administrator" in result.output
    user = user_by_email(session, email)
    assert user.is_verified and user.display_name == "Site Admin"
    assert verify_password(user.password_hash, ADMIN_PASSWORD)
    assert is_admin(user)
    assert audit_actions(session, user) == ["user.create", "role.grant"]


def test_create_admin_prompts_twice_for_the_password(app, session, email):
    result = run(app, "--email", email, "--name", "Prompted", input=f"{ADMIN_PASSWORD}\n{ADMIN_PASSWORD}\n")

    assert result.exit_code == 0, result.output
    assert result.output.count("Password") >= 1 and "Repeat for confirmation" in result.output
    assert ADMIN_PASSWORD not in result.output
    assert is_admin(user_by_email(session, email))


def test_create_admin_refuses_a_weak_password_and_creates_nothing(app, session, email):
    result = run(app, "--email", email, "--name", "Weak", "--password-stdin", input="password1234\n")

    assert result.exit_code != 0
    assert "too common" in result.output
    assert user_by_email(session, email) is None


def test_create_admin_promotes_an_existing_account_without_touching_its_password(app, session, email):
    make_user(session, email=email)

    first = run(app, "--email", email.upper(), "--name", "Ignored")
    second = run(app, "--email", email, "--name", "Ignored")

    assert first.exit_code == 0 and "is now an administrator" in first.output
    assert second.exit_code == 0 and "already an administrator" in second.output
    user = user_by_email(session, email)
    assert verify_password(user.password_hash, DEFAULT_PASSWORD)
    grants = session.scalars(select(RoleGrant).where(RoleGrant.user_id == user.id)).all()
    assert [(g.role, g.scope_type, g.scope_key) for g in grants] == [(Role.ADMIN, Scope.GLOBAL, "")]
