"""Builders for the summary, forwarding and digest tests (plain functions, keyword defaults)."""

from __future__ import annotations

from datetime import timedelta

from app.accounts.models import OrganisationKind, Role, Scope
from app.consultations.models import SectionObligation, Status
from app.core.db import utcnow
from app.summaries import services
from tests.factories import grant, make_organisation, make_user
from tests.integration.test_comments_fixtures import add_comment, make_consultation


def closed_consultation(session, **overrides):
    """Closed yesterday, opened a month ago; article-1 tagged OP3d.transit, article-2 OP3c.brokering."""
    values = dict(opens_in=-timedelta(days=30), closes_in=-timedelta(days=1), status=Status.CLOSED)
    values.update(overrides)
    consultation = make_consultation(session, **values)
    sections = consultation.current_version.sections
    session.add(SectionObligation(section_id=sections[0].id, obligation_code="OP3d.transit"))
    session.add(SectionObligation(section_id=sections[1].id, obligation_code="OP3c.brokering"))
    session.flush()
    return consultation


def open_consultation_with_comments(session):
    """An open consultation with a small believable discussion; returns (consultation, comments by name).

    An NGO of AT (two members): "opposes" and "supports" on article 1 and a restricted comment on
    article 2; an academic institute of FR: a neutral question on article 2; an individual: a comment on
    the draft as a whole.
    """
    consultation = make_consultation(session)
    sections = consultation.current_version.sections
    session.add(SectionObligation(section_id=sections[0].id, obligation_code="OP3d.transit"))
    session.add(SectionObligation(section_id=sections[1].id, obligation_code="OP3c.brokering"))
    session.flush()
    alice, bob, carol, dan = (make_user(session) for _ in range(4))
    ngo = make_organisation(session, kind=OrganisationKind.NGO, country_code="AT",
                            members=(alice, dan))
    academia = make_organisation(session, kind=OrganisationKind.ACADEMIA,
                                 country_code="FR", members=(bob,))
    c = {}
    c["opposes"] = add_comment(session, consultation, alice, section=sections[0], body="Transit is too narrow.",
                               stance="opposes", organisation_id=ngo.id)
    c["supports"] = add_comment(session, consultation, dan, section=sections[0], body="Good definition overall.",
                                stance="supports", organisation_id=ngo.id)
    c["question"] = add_comment(session, consultation, bob, section=sections[1], body="Who licenses brokers?",
                                kind="question", stance="neutral", organisation_id=academia.id)
    c["individual"] = add_comment(session, consultation, carol, body="Please publish an English translation.")
    c["restricted"] = add_comment(session, consultation, alice, section=sections[1],
                                  body="SECRET-PORT-DETAILS should stay confidential.", audience="restricted",
                                  organisation_id=ngo.id)
    return consultation, c


def moderator(session):
    user = make_user(session, display_name="Mona Moderator")
    grant(session, user, Role.MODERATOR)
    return user


def focal_point(session, scope_type=Scope.REGION, key="OSCE", **kwargs):
    user = make_user(session, **kwargs)
    grant(session, user, Role.FOCAL_POINT, scope_type, key)
    return user


def published_summary(session, consultation, actor, *, overall="The discussion focused on transit.",
                      comment_ids=(), restricted=False, section=None, now=None):
    services.save_summary_text(session, consultation, overall=overall, restricted=restricted, actor=actor)
    services.add_point(session, consultation, services.PointInput(
        section_id=section.id if section else None, text="Participants asked for a wider transit definition.",
        comment_ids=list(comment_ids)), actor=actor)
    return services.publish_summary(session, consultation, actor=actor, now=now or utcnow())
