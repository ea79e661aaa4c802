"""``flask seed-demo``: a small believable world for newcomers.

The world is built by ``seed_demo``: the fictional demo States, the demo
accounts (``seed_users`` returns them by stable key: ``users["author"]``),
then every step of ``SEED_STEPS`` in order, each called as
``step(session, users)``. To add demo content (consultations, comments...),
write ``seed_something(session, users)`` and append it to ``SEED_STEPS``.
Every step must be idempotent: running the command twice changes nothing.

The command refuses to touch a database that holds real (non-demo)
accounts. ``--if-empty`` (used by ``make run``) turns that refusal into a
quiet no-op, so ``make run`` works on a real database too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.accounts.models import Membership, Organisation, OrganisationKind, Role, RoleGrant, Scope, User
from app.accounts.organisations import create_organisation, verify_organisation
from app.accounts.passwords import hash_password
from app.accounts.roles import grant_role
from app.consultations.demo import seed_consultations
from app.core.db import utcnow

DEMO_PASSWORD = "valdoria-demo-2026"  # noqa: S105 - published on purpose: demo accounts only
DEMO_EMAIL_DOMAIN = "demo.agora1540.example"
DEMO_STATES_FILE = "demo_states.yaml"


@dataclass(frozen=True)
class DemoUser:
    key: str
    local_part: str
    display_name: str
    description: str
    grants: tuple[tuple[str, str, str], ...] = ()
    timezone: str = "UTC"

    @property
    def email(self) -> str:
        return f"{self.local_part}@{DEMO_EMAIL_DOMAIN}"


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("admin", "admin", "Ada Lindqvist", "administrator",
             ((Role.ADMIN, Scope.GLOBAL, ""),), "Europe/Stockholm"),
    DemoUser("moderator", "moderator", "Marco Ferreira", "moderator of every consultation",
             ((Role.MODERATOR, Scope.GLOBAL, ""),), "Europe/Lisbon"),
    DemoUser("author", "author.valdoria", "Elena Varga", "government author, Republic of Valdoria (XV)",
             ((Role.AUTHOR, Scope.COUNTRY, "XV"),), "Europe/Vienna"),
    DemoUser("author_meridia", "author.meridia", "Sione Taufa",
             "government author, Federated Isles of Meridia (XM)",
             ((Role.AUTHOR, Scope.COUNTRY, "XM"),), "Pacific/Fiji"),
    DemoUser("focal_osce", "focal.osce", "Katrin Moser", "regional focal point, OSCE",
             ((Role.FOCAL_POINT, Scope.REGION, "OSCE"),), "Europe/Vienna"),
    DemoUser("focal_au", "focal.au", "Amina Diallo", "regional focal point, African Union",
             ((Role.FOCAL_POINT, Scope.REGION, "AU"),), "Africa/Addis_Ababa"),
    DemoUser("poc_valdoria", "poc.valdoria", "Pavel Novak", "national point of contact, Valdoria (XV)",
             ((Role.FOCAL_POINT, Scope.COUNTRY, "XV"),), "Europe/Vienna"),
    DemoUser("participant", "nadia", "Nadia Haddad",
             "participant; represents the Centre for Strategic Trade Law (NGO)", (), "Europe/Paris"),
    DemoUser("participant2", "tomas", "Tomás Ribeiro",
             "participant; represents an institute and an industry association", (), "America/Sao_Paulo"),
)


@dataclass(frozen=True)
class DemoOrganisation:
    name: str
    kind: str
    country_code: str
    representative: str  # key in DEMO_USERS
    verified: bool
    website: str
    description: str
    members: tuple[str, ...] = ()
    pending: tuple[str, ...] = ()


DEMO_ORGANISATIONS: tuple[DemoOrganisation, ...] = (
    DemoOrganisation(
        "Centre for Strategic Trade Law", OrganisationKind.NGO, "XV", "participant", True,
        "https://strategic-trade-law.example",
        "An independent centre that studies export, transit and brokering controls.\n\n"
        "It comments on draft laws implementing resolution 1540 and trains customs and licensing officials.",
        members=("participant2",),
    ),
    DemoOrganisation(
        "Institute for Non-Proliferation Studies, University of Ostrana", OrganisationKind.ACADEMIA, "XO",
        "participant2", True, "https://inps.ostrana-university.example",
        "University research on nuclear security, radioactive source security and biosecurity.",
    ),
    DemoOrganisation(
        "Meridian Security Policy Forum", OrganisationKind.THINK_TANK, "XM", "participant", False,
        "https://meridian-forum.example",
        "A think tank on Pacific security policy, including chemical and biological weapons prohibitions.",
        pending=("participant2",),
    ),
    DemoOrganisation(
        "Valdorian Association of Dual-Use Exporters", OrganisationKind.INDUSTRY, "XV", "participant2", True,
        "https://dual-use-exporters.example",
        "Represents manufacturers and freight forwarders of dual-use items in Valdoria.",
    ),
)


@dataclass
class SeedReport:
    users: dict[str, User] = field(default_factory=dict)
    created: list[str] = field(default_factory=list)


class RealAccountsPresent(Exception):  # noqa: N818 - a condition, not a failure
    """The database holds non-demo accounts; seeding would mix demo data into it."""


def real_account_count(session: Session) -> int:
    return session.scalar(select(func.count(User.id)).where(User.is_demo.is_(False))) or 0


# --- steps ---------------------------------------------------------------------------

def seed_geography(session: Session, data_dir: Path) -> None:
    """The fictional demo States (XV, XM, XO) and their regional memberships."""
    from app.geography.models import Region
    from app.geography.services import load_demo_states, load_geography

    if session.scalar(select(Region.code).limit(1)) is None:
        load_geography(session, data_dir)
    load_demo_states(session, data_dir / DEMO_STATES_FILE)


def seed_users(session: Session, password: str = DEMO_PASSWORD) -> dict[str, User]:
    """The demo accounts by stable key; existing ones are left as they are."""
    from app.accounts.policy_pages import current_terms_version

    users: dict[str, User] = {}
    password_hash: str | None = None
    terms = current_terms_version(session)  # demo accounts have accepted the terms in force
    for spec in DEMO_USERS:
        user = session.scalar(select(User).where(func.lower(User.email) == spec.email.lower()))
        if user is None:
            password_hash = password_hash or hash_password(password)
            user = User(email=spec.email, display_name=spec.display_name, password_hash=password_hash,
                        email_verified_at=utcnow(), timezone=spec.timezone, is_demo=True,
                        terms_version=terms or None, terms_accepted_at=utcnow() if terms else None)
            session.add(user)
            session.flush()
        users[spec.key] = user
        for role, scope_type, scope_key in spec.grants:
            exists = session.scalar(select(RoleGrant.id).where(
                RoleGrant.user_id == user.id, RoleGrant.role == role,
                RoleGrant.scope_type == scope_type, RoleGrant.scope_key == scope_key))
            if exists is None:
                grant_role(session, user, role=role, scope_type=scope_type, scope_key=scope_key, actor=None,
                           reason="demo data")
    return users


def seed_organisations(session: Session, users: dict[str, User]) -> None:
    """Organisations of several kinds, verified or not, with members and a pending request."""
    for spec in DEMO_ORGANISATIONS:
        organisation = session.scalar(select(Organisation).where(
            func.lower(Organisation.name) == spec.name.lower()))
        if organisation is None:
            organisation = create_organisation(
                session, name=spec.name, kind=spec.kind, country_code=spec.country_code, website=spec.website,
                description=spec.description, actor=users[spec.representative])
            if spec.verified:
                verify_organisation(session, organisation, actor=users["admin"], reason="demo data")
        # Memberships are written directly: the services would e-mail the representatives.
        for keys, status in ((spec.members, Membership.ACTIVE), (spec.pending, Membership.PENDING)):
            for key in keys:
                user = users[key]
                exists = session.scalar(select(Membership.id).where(
                    Membership.user_id == user.id, Membership.organisation_id == organisation.id))
                if exists is None:
                    session.add(Membership(
                        user_id=user.id, organisation_id=organisation.id, role=Membership.MEMBER, status=status,
                        decided_at=utcnow() if status == Membership.ACTIVE else None))
        session.flush()


SeedStep = Callable[[Session, dict[str, User]], None]

# Run in order after the accounts exist. Append new steps (e.g. seed_consultations).
SEED_STEPS: list[SeedStep] = [seed_organisations, seed_consultations]


def _seed_comments(session: Session, users: dict[str, User]) -> None:
    """The demo discussion (app/comments/demo.py), after the consultations exist."""
    from app.comments.demo import seed_comments

    seed_comments(session, users, None)


SEED_STEPS.append(_seed_comments)


def _seed_moderation(session: Session, users: dict[str, User]) -> None:
    from app.moderation.demo import seed_moderation

    seed_moderation(session, users)


SEED_STEPS.append(_seed_moderation)


def _seed_flagship_discussion(session: Session, users: dict[str, User]) -> None:
    """Versions 1 and 2 of the flagship law with their discussion (app/site/demo_world.py)."""
    from app.site.demo_world import seed_flagship_discussion

    seed_flagship_discussion(session, users)


SEED_STEPS.append(_seed_flagship_discussion)


def _seed_summaries(session: Session, users: dict[str, User]) -> None:
    """A forwarded summary with an acknowledgement (app/summaries/demo.py), and the
    focal point's digest that carries it."""
    from app.summaries.demo import seed_summaries

    seed_summaries(session, users)
    if users.get("focal_osce") is not None:
        _seed_digest(session, users["focal_osce"])


def _seed_digest(session: Session, user: User) -> None:
    from datetime import timedelta

    from app.core.db import utcnow
    from app.digests.composition import period_for
    from app.digests.models import Digest, Frequency
    from app.digests.services import compose_for, create_digest, subscription_for

    if session.scalar(select(Digest.id).where(Digest.user_id == user.id)) is not None:
        return
    now = utcnow()
    key = period_for(Frequency.WEEKLY, now + timedelta(days=7))[0]  # this week's key: send-due will not repeat it
    subscription = subscription_for(session, user)
    content = compose_for(session, user, subscription, now - timedelta(days=7), now + timedelta(seconds=1))
    if not content.is_empty:
        create_digest(session, user, subscription, content, period_key=key)


SEED_STEPS.append(_seed_summaries)


def seed_demo(session: Session, *, data_dir: Path, password: str = DEMO_PASSWORD) -> dict[str, User]:
    """Build (or complete) the demo world; returns the demo users by key. Flushes, never commits."""
    if real_account_count(session):
        raise RealAccountsPresent
    seed_geography(session, data_dir)
    users = seed_users(session, password)
    for step in SEED_STEPS:
        step(session, users)
    session.flush()
    return users


# --- command ---------------------------------------------------------------------------

def login_table(users: dict[str, User], password: str = DEMO_PASSWORD) -> str:
    specs = {spec.key: spec for spec in DEMO_USERS}
    rows = [(users[key].email, users[key].display_name, specs[key].description) for key in specs if key in users]
    widths = [max(len(row[i]) for row in [("E-mail", "Name", "Role"), *rows]) for i in range(3)]
    line = "  ".join("-" * w for w in widths)
    out = ["Demo accounts (every one signs in with the password: " + password + ")", line,
           "  ".join(h.ljust(w) for h, w in zip(("E-mail", "Name", "Role"), widths, strict=True)).rstrip(), line]
    out += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip() for row in rows]
    out.append(line)
    return "\n".join(out)


@click.command("seed-demo")
@click.option("--if-empty", is_flag=True,
              help="Do nothing (and succeed) when the database holds real accounts, instead of failing.")
@with_appcontext
def seed_demo_command(if_empty: bool) -> None:
    """Create the demo world (idempotent) and print the demo sign-ins."""
    from app.core.db import db

    session = db.session
    try:
        users = seed_demo(session, data_dir=Path(current_app.config["DATA_DIR"]))
    except RealAccountsPresent:
        session.rollback()
        message = ("seed-demo: the database holds real (non-demo) accounts; "
                   "demo data is only added to a database without them.")
        if if_empty:
            click.echo(message + " Nothing done.")
            return
        raise click.ClickException(message) from None
    session.commit()
    click.echo(login_table(users))


def register(app: Flask) -> None:
    app.cli.add_command(seed_demo_command)
