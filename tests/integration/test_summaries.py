"""Summaries: computed figures, citations and the restricted rule, revisions,
the editor and the public page."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.accounts.models import Role, Scope
from app.comments.models import CommentStatus
from app.consultations.models import Status
from app.core.errors import Conflict, DomainError
from app.core.models import AuditEntry
from app.summaries import services
from app.summaries.models import SummaryStatus
from app.summaries.statistics import compute_statistics
from tests.factories import grant, login, make_user
from tests.integration.test_comments_fixtures import add_comment
from tests.integration.test_summaries_support import (
    closed_consultation,
    moderator,
    open_consultation_with_comments,
    published_summary,
)


def test_statistics_count_comments_and_distinct_organisations_on_seeded_data(session):
    consultation, c = open_consultation_with_comments(session)
    c["individual"].status = CommentStatus.PENDING  # withheld comments never count
    session.flush()
    stats = compute_statistics(session, consultation.id, include_restricted=False)
    assert (stats["comments"], stats["organisations"]) == (3, 2)
    assert stats["by_stance"]["opposes"] == {"comments": 1, "organisations": 1}
    assert stats["by_stance"]["neutral"] == {"comments": 1, "organisations": 1}
    assert stats["by_kind"]["comment"] == {"comments": 2, "organisations": 1}
    assert stats["by_organisation_kind"] == {"ngo": {"comments": 2, "organisations": 1},
                                             "academia": {"comments": 1, "organisations": 1}}
    assert stats["by_country"]["AT"] == {"comments": 2, "organisations": 1}
    assert stats["by_region"]["OSCE"] == {"comments": 3, "organisations": 2}  # AT and FR are both OSCE
    assert stats["sections"]["article-1"]["comments"] == 2 and stats["sections"]["article-1"]["organisations"] == 1
    assert stats["obligations"][0] == {"code": "OP3d.transit", "comments": 2}
    restricted = compute_statistics(session, consultation.id, include_restricted=True)
    assert restricted["comments"] == 4 and restricted["sections"]["article-2"]["comments"] == 2


def test_statistics_take_the_same_few_queries_whatever_the_number_of_comments(session, query_counter):
    consultation, _c = open_consultation_with_comments(session)
    with query_counter() as small:
        compute_statistics(session, consultation.id, include_restricted=True)
    author = make_user(session)
    for i in range(15):
        add_comment(session, consultation, author, section=consultation.current_version.sections[i % 3],
                    body=f"Comment {i}", stance="supports")
    with query_counter() as large:
        stats = compute_statistics(session, consultation.id, include_restricted=True)
    assert stats["comments"] == 20
    assert large.count == small.count <= 3


def test_a_public_summary_cannot_cite_a_restricted_comment_but_a_restricted_one_can(session):
    consultation, c = open_consultation_with_comments(session)
    mod = moderator(session)
    services.save_summary_text(session, consultation, overall="Overall.", restricted=False, actor=mod)
    with pytest.raises(DomainError) as refused:
        services.add_point(session, consultation, services.PointInput(None, "A point.", [c["restricted"].id]),
                           actor=mod)
    assert refused.value.field == "comment_ids"
    services.save_summary_text(session, consultation, overall="Overall.", restricted=True, actor=mod)
    point = services.add_point(session, consultation, services.PointInput(
        None, "Ports.", [c["restricted"].id, c["opposes"].id]), actor=mod)
    assert point.comment_ids == sorted([c["restricted"].id, c["opposes"].id])
    with pytest.raises(DomainError) as stays:
        services.save_summary_text(session, consultation, overall="Overall.", restricted=False, actor=mod)
    assert stays.value.field == "restricted"


def test_only_published_comments_of_the_same_consultation_can_be_cited(session):
    consultation, c = open_consultation_with_comments(session)
    other, other_comments = open_consultation_with_comments(session)
    mod = moderator(session)
    with pytest.raises(DomainError, match="this consultation"):
        services.add_point(session, consultation, services.PointInput(None, "x", [other_comments["opposes"].id]),
                           actor=mod)
    c["supports"].status = CommentStatus.HIDDEN
    session.flush()
    with pytest.raises(DomainError, match="published"):
        services.add_point(session, consultation, services.PointInput(None, "x", [c["supports"].id]), actor=mod)
    with pytest.raises(DomainError) as empty:
        services.add_point(session, consultation, services.PointInput(None, "   ", []), actor=mod)
    assert empty.value.field == "text"


def test_publishing_freezes_a_revision_with_figures_and_marks_a_closed_consultation_summarised(session):
    consultation = closed_consultation(session)
    mod = moderator(session)
    revision = published_summary(session, consultation, mod)
    summary = services.get_summary(session, consultation.id)
    assert summary.status == SummaryStatus.PUBLISHED and revision.number == 1 and revision.is_published
    assert revision.statistics["comments"] == 0 and "by_stance" in revision.statistics
    assert consultation.status == Status.SUMMARISED
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "summary.published")) is not None
    # Editing again starts revision 2 as a copy; revision 1 stays as it was.
    services.save_summary_text(session, consultation, overall="Revised overall.", restricted=False, actor=mod)
    assert summary.working_revision.number == 2 and len(summary.working_revision.points) == 1
    assert summary.current_revision.overall_source == "The discussion focused on transit."
    with pytest.raises(Conflict):
        services.update_point(session, consultation, revision.points[0],
                              services.PointInput(None, "Changed", []), actor=mod)
    with pytest.raises(DomainError) as note:
        services.publish_summary(session, consultation, actor=mod)
    assert note.value.field == "change_note"
    second = services.publish_summary(session, consultation, change_note="Added the ministry's reply.", actor=mod)
    assert second.number == 2 and summary.current_revision is second


def test_public_page_shows_the_summary_with_citation_figures_and_hides_unpublished_drafts(session, client):
    consultation, c = open_consultation_with_comments(session)
    mod = moderator(session)
    services.save_summary_text(session, consultation, overall="Draft only, *not yet public*.", restricted=False,
                               actor=mod)
    page = client.get(f"/consultations/{consultation.id}/summary")
    assert page.status_code == 200 and b"Draft only" not in page.data
    assert b"No summary has been published yet" in page.data
    services.add_point(session, consultation, services.PointInput(
        consultation.current_version.sections[0].id, "Widen the transit definition.",
        [c["opposes"].id, c["supports"].id, c["question"].id]), actor=mod)
    services.publish_summary(session, consultation, actor=mod)
    page = client.get(f"/consultations/{consultation.id}/summary")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "<em>not yet public</em>" in text and "Widen the transit definition." in text
    assert "Based on 3 comments, 2 organisations." in text
    assert f'/consultations/{consultation.id}/comments/{c["opposes"].id}' in text
    assert "SECRET-PORT-DETAILS" not in text
    consultation_page = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    assert f'href="/consultations/{consultation.id}/summary"' in consultation_page


def test_a_restricted_summary_is_hidden_from_visitors_and_shown_to_focal_points_in_scope(session, client):
    consultation, c = open_consultation_with_comments(session)
    mod = moderator(session)
    published_summary(session, consultation, mod, restricted=True, comment_ids=[c["restricted"].id])
    assert client.get(f"/consultations/{consultation.id}/summary").status_code == 404
    participant = make_user(session)
    login(client, participant)
    assert client.get(f"/consultations/{consultation.id}/summary").status_code == 404
    client.post("/logout")
    osce = make_user(session)
    grant(session, osce, Role.FOCAL_POINT, Scope.REGION, "OSCE")
    login(client, osce)
    page = client.get(f"/consultations/{consultation.id}/summary")
    assert page.status_code == 200 and b"Restricted summary" in page.data


def test_moderator_writes_cites_and_publishes_through_the_editor(session, client):
    consultation, c = open_consultation_with_comments(session)
    mod = moderator(session)
    login(client, mod)
    base = f"/manage/consultations/{consultation.id}/summary"
    assert client.post(base, data={"overall": "Two themes emerged."}).status_code == 302
    section = consultation.current_version.sections[0]
    picker = client.post(base + "/points/new", data={"section_id": str(section.id), "refresh": "1"})
    assert picker.status_code == 200 and b"Transit is too narrow." in picker.data
    refused = client.post(base + "/points/new", data={"section_id": "", "text": "Confidential ports.",
                                                      "comment_ids": [str(c["restricted"].id)]})
    assert refused.status_code == 400
    assert b"Restricted comments can be cited only in a restricted summary" in refused.data
    assert b"Confidential ports." in refused.data  # input kept
    added = client.post(base + "/points/new", data={"section_id": str(section.id), "text": "Widen transit.",
                                                    "comment_ids": [str(c["opposes"].id)]})
    assert added.status_code == 302
    assert client.post(base + "/publish", data={"change_note": ""}).status_code == 302
    public = client.get(f"/consultations/{consultation.id}/summary")
    assert b"Two themes emerged." in public.data and b"Widen transit." in public.data


def test_participants_cannot_reach_the_editor(session, client):
    consultation, _c = open_consultation_with_comments(session)
    login(client, make_user(session))
    assert client.get(f"/manage/consultations/{consultation.id}/summary").status_code == 403
    assert client.post(f"/manage/consultations/{consultation.id}/summary/publish").status_code == 403
