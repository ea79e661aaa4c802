"""``flask seed-demo``: the demo world, idempotent, never mixed into real data.

The command commits, so each test runs it against a database of its own.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import func, select

from app.accounts.models import Membership, Organisation, RoleGrant, User
from app.core.audit import verify_chain
from app.core.db import db, utcnow
from app.core.models import AuditEntry, OutboxMessage
from app.geography.models import Country, RegionMember
from app.site import demo


@pytest.fixture()
def scratch_app(scratch_url) -> Iterator[Flask]:
    """A migrated, empty database of its own and an app on it."""
    from alembic import command

    from app import create_app
    from app.core.cli import alembic_config
    from config import TestingConfig

    scratch = create_app(TestingConfig, DATABASE_URL=scratch_url)
    with scratch.app_context():
        command.upgrade(alembic_config(), "head")
    yield scratch
    db.state(scratch).engine.dispose()


def counts(app: Flask) -> dict[str, int]:
    with app.app_context():
        session = db.session
        return {name: session.scalar(select(func.count()).select_from(model)) for name, model in (
            ("users", User), ("grants", RoleGrant), ("organisations", Organisation),
            ("memberships", Membership), ("audit", AuditEntry), ("outbox", OutboxMessage))}


def test_seed_demo_builds_the_world_prints_the_sign_ins_and_is_idempotent(scratch_app):
    runner = scratch_app.test_cli_runner()
    result = runner.invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert demo.DEMO_PASSWORD in result.output
    for spec in demo.DEMO_USERS:
        assert spec.email in result.output and spec.display_name in result.output

    with scratch_app.app_context():
        session = db.session
        users = {u.email: u for u in session.scalars(select(User))}
        assert set(users) == {spec.email for spec in demo.DEMO_USERS}
        assert all(u.is_demo and u.is_verified and u.is_active for u in users.values())
        grants = {(g.user.email.split("@")[0], g.role, g.scope_type, g.scope_key)
                  for g in session.scalars(select(RoleGrant))}
        assert {
            ("admin", "admin", "global", ""),
            ("moderator", "moderator", "global", ""),
            ("author.valdoria", "author", "country", "XV"),
            ("focal.osce", "focal_point", "region", "OSCE"),
            ("focal.au", "focal_point", "region", "AU"),
            ("poc.valdoria", "focal_point", "country", "XV"),
        } <= grants
        # The fictional States exist, with their fictional regional memberships.
        assert {"XV", "XM", "XO"} <= set(session.scalars(select(Country.code)))
        assert session.get(RegionMember, ("OSCE", "XV")) is not None
        organisations = list(session.scalars(select(Organisation)))
        assert {o.kind for o in organisations} >= {"ngo", "academia", "think_tank", "industry"}
        assert any(o.is_verified for o in organisations) and any(not o.is_verified for o in organisations)
        statuses = {(m.user.email.split("@")[0], m.status) for m in session.scalars(select(Membership))}
        assert ("tomas", "pending") in statuses and ("nadia", "active") in statuses
        # Whatever the demo steps queue goes to demo addresses only, and none of it is about organisations.
        for message in session.scalars(select(OutboxMessage)):
            assert message.to_address.endswith("@" + demo.DEMO_EMAIL_DOMAIN), message.to_address
            assert "join" not in message.subject and "member of" not in message.subject, message.subject
        assert verify_chain(db.session).ok
        # The review queue's kept counts agree with the demo's comments, and there is work in it.
        from app.moderation import tally

        assert tally.kept(session) == tally.counted_afresh(session) != {}

    before = counts(scratch_app)
    again = runner.invoke(args=["seed-demo", "--if-empty"])
    assert again.exit_code == 0, again.output
    assert demo.DEMO_PASSWORD in again.output  # `make run` shows the sign-ins every time
    assert counts(scratch_app) == before


def test_a_demo_account_signs_in_with_the_printed_password(scratch_app):
    assert scratch_app.test_cli_runner().invoke(args=["seed-demo"]).exit_code == 0
    client = scratch_app.test_client()
    response = client.post("/login", data={"email": "author.valdoria@" + demo.DEMO_EMAIL_DOMAIN,
                                           "password": demo.DEMO_PASSWORD})
    assert response.status_code == 302
    assert "Elena Varga" in client.get("/account").get_data(as_text=True)


def test_seed_demo_refuses_a_database_with_real_accounts(scratch_app):
    from app.accounts.passwords import hash_password

    with scratch_app.app_context():
        db.session.add(User(email="real.person@example.org", display_name="Real Person",
                            password_hash=hash_password("a real password 123"), email_verified_at=utcnow()))
        db.session.commit()
    before = counts(scratch_app)
    runner = scratch_app.test_cli_runner()

    refused = runner.invoke(args=["seed-demo"])
    assert refused.exit_code != 0
    assert "real (non-demo) accounts" in refused.output
    assert demo.DEMO_PASSWORD not in refused.output

    quiet = runner.invoke(args=["seed-demo", "--if-empty"])
    assert quiet.exit_code == 0 and "Nothing done" in quiet.output
    assert counts(scratch_app) == before


def test_later_seeding_steps_receive_the_demo_users_by_key(scratch_app, monkeypatch):
    seen: dict[str, str] = {}

    def seed_consultations(session, users):
        seen.update({key: user.email for key, user in users.items()})

    monkeypatch.setattr(demo, "SEED_STEPS", [*demo.SEED_STEPS, seed_consultations])
    with scratch_app.app_context():
        users = demo.seed_demo(db.session, data_dir=scratch_app.config["DATA_DIR"])
        db.session.commit()
    for key in ("admin", "moderator", "author", "author_meridia", "focal_osce", "focal_au", "poc_valdoria",
                "participant", "participant2"):
        assert seen[key] == users[key].email


def test_the_demo_world_shows_every_part_of_the_platform_alive(scratch_app):
    """Counts per kind: enough of everything for each page of the first ten minutes to have content."""
    from app.comments.models import Audience, Comment, CommentKind, CommentStatus, Support
    from app.consultations.demo import FLAGSHIP
    from app.consultations.models import Consultation, DraftVersion
    from app.digests.models import Digest
    from app.moderation.models import CommentModeration, Flag, Sanction
    from app.summaries.models import Forwarding, ForwardingRecipient, ForwardingResponse, Summary

    result = scratch_app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    with scratch_app.app_context():
        session = db.session
        consultations = list(session.scalars(select(Consultation)))
        assert len(consultations) >= 12
        assert len({c.country_code for c in consultations}) >= 6  # several States …
        regions = set(session.scalars(select(RegionMember.region_code).where(
            RegionMember.country_code.in_({c.country_code for c in consultations}))))
        assert {"OSCE", "AU", "PIF", "OAS", "ASEAN"} <= regions  # … in several regions
        assert any(c.visibility == "invited" for c in consultations)
        now = utcnow()
        assert {"open", "closed", "scheduled"} <= {c.effective_status(now) for c in consultations}

        flagship = session.scalar(select(Consultation).where(Consultation.title == FLAGSHIP))
        versions = list(session.scalars(select(DraftVersion).where(DraftVersion.consultation_id == flagship.id,
                                                                   DraftVersion.published_at.is_not(None))))
        assert len(versions) == 2 and flagship.current_version.number == 2
        comments = list(session.scalars(select(Comment).where(Comment.consultation_id == flagship.id)))
        published = [c for c in comments if c.status == CommentStatus.PUBLISHED]
        earlier = versions[0] if versions[0].number == 1 else versions[1]
        assert len([c for c in published if c.version_id == earlier.id and c.section_id is not None]) >= 3
        # No article of the current version without a published comment ("(0 comments)").
        on_sections = {c.section_id for c in published}
        assert all(s.id in on_sections for s in flagship.current_version.sections)
        assert max(c.depth for c in published) >= 4  # a thread five deep
        amendments = [c for c in published if c.kind == CommentKind.AMENDMENT]
        assert len(amendments) >= 2 and all(c.proposed_diff for c in amendments)
        assert session.scalar(select(func.count()).select_from(Support)) >= 5
        assert len([c for c in published if c.audience == Audience.RESTRICTED]) >= 1
        assert session.scalar(select(func.count(Comment.id)).where(
            Comment.audience == Audience.RESTRICTED, Comment.consultation_id != flagship.id)) >= 1

        # The review queue: pending items, held ones among them, open flags; a sanction.
        pending = [c for c in comments if c.status == CommentStatus.PENDING]
        held = set(session.scalars(select(CommentModeration.comment_id).where(CommentModeration.hold_rules != "")))
        assert len(pending) >= 2 and any(c.id in held for c in pending) and any(c.id not in held for c in pending)
        assert session.scalar(select(func.count(Flag.id)).where(Flag.resolved_at.is_(None))) >= 2
        assert session.scalar(select(func.count(Sanction.id))) >= 1

        # The summary's text states the figures it publishes.
        summary = session.scalar(select(Summary).where(Summary.consultation_id == flagship.id))
        revision = summary.current_revision
        assert revision.published_at is not None
        figures = revision.statistics
        assert f"{figures['comments']} public comments" in revision.overall_source
        assert f"drew {figures['sections']['article-5']['comments']}" in revision.overall_source
        # Forwarded, acknowledged and answered; a digest carries it.
        forwarding = session.scalar(select(Forwarding).where(Forwarding.target_key == "OSCE"))
        assert session.scalar(select(func.count()).select_from(ForwardingRecipient).where(
            ForwardingRecipient.forwarding_id == forwarding.id, ForwardingRecipient.acknowledged_at.is_not(None)))
        assert session.scalar(select(func.count(ForwardingResponse.id)).where(
            ForwardingResponse.forwarding_id == forwarding.id))
        assert session.scalar(select(func.count(Digest.id))) >= 1

    page = scratch_app.test_client().get(f"/consultations/{flagship.id}").get_data(as_text=True)
    assert "(0 comments)" not in page and "Article 8" in page
