"""Services: creation, lifecycle by the clock and early, versions, sections."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.consultations import services
from app.consultations.importers import parse_markdown
from app.consultations.models import Consultation, DraftVersion, Status
from app.core.audit import verify_chain
from app.core.db import utcnow
from app.core.errors import Conflict, DomainError
from app.core.models import AuditEntry
from tests.integration.test_consultations_support import details, make_author, make_consultation, markdown_draft
from tests.security.test_permissions import suite_engine  # noqa: F401 - autouse: the suite's database


def _actions(session, consultation):
    return list(session.scalars(
        select(AuditEntry.action)
        .where(AuditEntry.target_type == "Consultation", AuditEntry.target_id == str(consultation.id))
        .order_by(AuditEntry.id)))


def test_create_derives_regions_from_the_states_memberships(session):
    author = make_author(session, "AT")
    consultation = services.create_consultation(session, details("AT"), actor=author)
    assert consultation.status == Status.DRAFT
    assert "OSCE" in consultation.region_codes and "EU" in consultation.region_codes
    assert sorted(consultation.obligation_codes) == ["OP3c.brokering", "OP3d.transit"]
    assert consultation.summary_html.strip() == "<p>Closes the <strong>brokering</strong> gap.</p>"
    assert [v.number for v in consultation.versions] == [1]


def test_regions_can_be_chosen_instead_of_derived(session):
    author = make_author(session, "AT")
    consultation = services.create_consultation(session, details("AT", regions=["OSCE"]), actor=author)
    assert consultation.region_codes == ["OSCE"]


@pytest.mark.parametrize(("overrides", "field"), [
    ({"obligations": ["OP3d.transit", "OP99.nonsense"]}, "obligations"),
    ({"closes_at": utcnow() + timedelta(hours=1), "opens_at": utcnow() + timedelta(days=2)}, "closes_at"),
    ({"opens_at": utcnow() - timedelta(days=3)}, "opens_at"),
    ({"opens_at": utcnow() - timedelta(days=30), "closes_at": utcnow() - timedelta(days=1)}, "opens_at"),
    ({"languages": ["de"]}, "languages"),
    ({"languages": []}, "languages"),
    ({"weapon_categories": ["XX"]}, "weapon_categories"),
    ({"regions": ["NOPE"]}, "regions"),
    ({"country_code": "QQ"}, "country_code"),
    ({"title": "   "}, "title"),
])
def test_bad_details_are_refused_on_the_right_field_and_nothing_is_saved(session, overrides, field):
    author = make_author(session, "AT")
    before = session.scalar(select(Consultation.id).order_by(Consultation.id.desc()).limit(1))
    with pytest.raises(DomainError) as info:
        services.create_consultation(session, details(**overrides), actor=author)
    assert info.value.field == field
    assert session.scalar(select(Consultation.id).order_by(Consultation.id.desc()).limit(1)) == before


def test_publishing_freezes_the_version_and_schedules_the_consultation(session):
    author = make_author(session)
    consultation = make_consultation(session, author, publish=False)
    version = services.publish_version(session, consultation, actor=author)
    assert version.is_published and version.published_at is not None
    assert consultation.status == Status.SCHEDULED
    assert consultation.working_version is None
    section = version.sections[0]
    data = services.SectionInput(level="article", number="Article 1", heading="Changed", anchor="", body="New")
    with pytest.raises(services.VersionFrozen):
        services.update_section(session, section, data, actor=author)
    with pytest.raises(services.VersionFrozen):
        services.delete_section(session, section, actor=author)
    with pytest.raises(services.VersionFrozen):
        services.replace_sections(session, consultation, parse_markdown("# Article 9"), actor=author)
    assert "consultation.version_published" in _actions(session, consultation)
    assert "consultation.scheduled" in _actions(session, consultation)


def test_an_empty_draft_cannot_be_published(session):
    author = make_author(session)
    consultation = make_consultation(session, author, sections=0, publish=False)
    with pytest.raises(DomainError, match="no sections"):
        services.publish_version(session, consultation, actor=author)
    assert consultation.status == Status.DRAFT


def test_revision_copies_sections_keeps_anchors_and_needs_a_change_note(session):
    author = make_author(session)
    consultation = make_consultation(session, author, sections=3)
    v2 = services.start_revision(session, consultation, actor=author)
    assert v2.number == 2 and [s.anchor for s in v2.sections] == ["article-1", "article-2", "article-3"]
    with pytest.raises(Conflict):
        services.start_revision(session, consultation, actor=author)
    services.update_section(session, v2.sections[0], services.SectionInput(
        level="article", number="Article 1", heading="Heading 1", anchor="article-1",
        body="The licence rules of article 1 apply to transit and trans-shipment."), actor=author)
    with pytest.raises(DomainError) as info:
        services.publish_version(session, consultation, actor=author)
    assert info.value.field == "change_note"
    services.publish_version(session, consultation, change_note="Adds trans-shipment.", actor=author)
    v1 = consultation.versions[0]
    assert "trans-shipment" not in v1.sections[0].body_html  # version 1 is untouched
    assert consultation.current_version.number == 2


def test_effective_status_follows_the_clock_even_without_tick(session):
    author = make_author(session)
    consultation = make_consultation(session, author)
    assert consultation.effective_status() == Status.SCHEDULED
    assert consultation.effective_status(consultation.opens_at + timedelta(seconds=1)) == Status.OPEN
    assert consultation.effective_status(consultation.closes_at) == Status.CLOSED
    assert consultation.status == Status.SCHEDULED  # stored value unchanged until tick


def test_tick_moves_stored_statuses_and_audits_each_change(session):
    author = make_author(session)
    consultation = make_consultation(session, author)
    changes = services.tick_consultations(session, now=consultation.opens_at + timedelta(minutes=1))
    assert [(c.id, old, new) for c, old, new in changes if c.id == consultation.id] == [
        (consultation.id, Status.SCHEDULED, Status.OPEN)]
    services.tick_consultations(session, now=consultation.closes_at + timedelta(minutes=1))
    assert consultation.status == Status.CLOSED
    assert _actions(session, consultation)[-2:] == ["consultation.open", "consultation.closed"]
    later = services.tick_consultations(session, now=consultation.closes_at + timedelta(days=1))
    assert consultation.id not in [c.id for c, *_ in later]


def test_open_and_close_early_need_a_reason_and_are_audited(session):
    author = make_author(session)
    consultation = make_consultation(session, author)
    with pytest.raises(DomainError) as info:
        services.open_early(session, consultation, reason=" ", actor=author)
    assert info.value.field == "reason"
    with pytest.raises(Conflict):
        services.close_early(session, consultation, reason="Too soon", actor=author)
    services.open_early(session, consultation, reason="Ministerial decision", actor=author)
    assert consultation.effective_status() == Status.OPEN
    services.close_early(session, consultation, reason="Bill withdrawn", actor=author)
    assert consultation.effective_status() == Status.CLOSED
    entries = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.action.in_(["consultation.opened_early", "consultation.closed_early"]),
               AuditEntry.target_id == str(consultation.id))
        .order_by(AuditEntry.id)).all()
    assert [(e.action, e.reason, e.actor_id) for e in entries] == [
        ("consultation.opened_early", "Ministerial decision", author.id),
        ("consultation.closed_early", "Bill withdrawn", author.id)]
    assert verify_chain(session).ok
    with pytest.raises(services.ConsultationClosed):
        services.start_revision(session, consultation, actor=author)


def test_dates_of_a_closed_consultation_cannot_change(session):
    author = make_author(session)
    consultation = make_consultation(session, author, open_now=True)
    services.close_early(session, consultation, reason="Done", actor=author)
    with pytest.raises(services.ConsultationClosed):
        services.update_consultation(session, consultation, details(
            opens_at=consultation.opens_at, closes_at=utcnow() + timedelta(days=5)), actor=author)


def test_section_editor_adds_reorders_and_deletes_before_publication(session):
    author = make_author(session)
    consultation = make_consultation(session, author, sections=2, publish=False)
    added = services.add_section(session, consultation, services.SectionInput(
        level="article", number="Article 3", heading="Penalties", anchor="", body="Fines up to **1 000 000**.",
        obligations=["OP3d.penalties"]), actor=author)
    assert added.anchor == "article-3" and added.obligation_codes == ["OP3d.penalties"]
    assert "<strong>1 000 000</strong>" in added.body_html
    services.move_section(session, added, offset=-1, actor=author)
    version = consultation.working_version
    assert [s.anchor for s in version.sections] == ["article-1", "article-3", "article-2"]
    services.delete_section(session, version.sections[0], actor=author)
    assert [(s.anchor, s.position) for s in version.sections] == [("article-3", 1), ("article-2", 2)]


@pytest.mark.parametrize(("anchor", "obligations", "field"), [
    ("article-1", [], "anchor"),          # duplicate
    ("Not An Anchor!", [], "anchor"),
    ("", ["OP3d.nope"], "obligations"),
])
def test_section_errors_are_field_errors(session, anchor, obligations, field):
    author = make_author(session)
    consultation = make_consultation(session, author, sections=2, publish=False)
    with pytest.raises(DomainError) as info:
        services.add_section(session, consultation, services.SectionInput(
            level="article", number="Article 9", heading="X", anchor=anchor, body="", obligations=obligations),
            actor=author)
    assert info.value.field == field
    assert len(consultation.working_version.sections) == 2


def test_import_replaces_all_sections_of_the_working_version(session):
    author = make_author(session)
    consultation = make_consultation(session, author, sections=5, publish=False)
    services.replace_sections(session, consultation, parse_markdown(markdown_draft(2)), actor=author)
    assert [s.anchor for s in consultation.working_version.sections] == ["article-1", "article-2"]
    assert session.scalar(select(DraftVersion.id).where(DraftVersion.consultation_id == consultation.id)) is not None


def test_demo_consultations_seed_once_with_a_second_version(session):
    from app.consultations.demo import revise_flagship, seed_consultations
    from tests.factories import make_user

    users = {"author": make_user(session), "admin": make_user(session)}
    seeded = seed_consultations(session, users)
    assert [c.country_code for c in seeded[:3]] == ["XV", "XM", "XO"]
    assert len(seeded) >= 12 and len({c.country_code for c in seeded}) >= 6  # filters have something to show
    valdoria, meridia, ostrana = seeded[:3]
    assert [v.number for v in valdoria.published_versions] == [1]  # version 2 follows the first comments
    revise_flagship(session, valdoria, users["author"])
    assert [v.number for v in valdoria.published_versions] == [1, 2]
    assert valdoria.effective_status() == Status.OPEN and meridia.effective_status() == Status.OPEN
    assert ostrana.effective_status() == Status.SCHEDULED
    assert all(len(c.current_version.sections) == 8 for c in seeded[:3])
    transit = next(s for s in valdoria.current_version.sections if s.anchor == "article-5")
    assert "OP3d.transit" in transit.obligation_codes
    assert "OSCE" in valdoria.region_codes
    assert seed_consultations(session, users) == []
