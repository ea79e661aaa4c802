"""Flags: once per user, N distinct flaggers hide a comment pending review,
flaggers see that their flag was handled."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.comments.models import CommentStatus, Notification
from app.consultations.models import ModerationMode
from app.core.errors import Conflict, DomainError, PermissionDenied
from app.moderation import services
from app.moderation.models import DecisionAction as A
from app.moderation.models import Flag, FlagResolution
from app.moderation.queries import QueueFilters, review_queue, tab_counts
from app.moderation.services import DecisionInput
from tests.factories import login, make_user
from tests.integration.test_moderation_support import make_moderator, open_consultation, post


@pytest.fixture()
def published(session):
    consultation = open_consultation(session, mode=ModerationMode.POST)
    comment = post(session, consultation, make_user(session))
    assert comment.is_published
    return consultation, comment


def test_a_user_flags_a_comment_once(session, published):
    _consultation, comment = published
    flagger = make_user(session)
    services.flag_comment(session, comment, reason="off_topic", actor=flagger)
    with pytest.raises(Conflict):
        services.flag_comment(session, comment, reason="spam", actor=flagger)
    assert services.moderation_state(session, comment).open_flags == 1


def test_other_needs_a_text_and_unknown_reasons_are_refused(session, published):
    _consultation, comment = published
    with pytest.raises(DomainError) as info:
        services.flag_comment(session, comment, reason="other", text=" ", actor=make_user(session))
    assert info.value.field == "text"
    with pytest.raises(DomainError) as info:
        services.flag_comment(session, comment, reason="because", actor=make_user(session))
    assert info.value.field == "reason"


def test_the_author_cannot_flag_their_own_comment(session, published):
    _consultation, comment = published
    with pytest.raises(PermissionDenied):
        services.flag_comment(session, comment, reason="spam", actor=comment.author)


def test_threshold_of_distinct_flaggers_hides_the_comment_pending_review(app, session, published):
    _consultation, comment = published
    threshold = app.config["FLAG_HIDE_THRESHOLD"]
    for _n in range(threshold - 1):
        services.flag_comment(session, comment, reason="abusive", actor=make_user(session))
    assert comment.status == CommentStatus.PUBLISHED
    services.flag_comment(session, comment, reason="personal_data", actor=make_user(session))
    assert comment.status == CommentStatus.HIDDEN
    moderator = make_moderator(session)
    assert tab_counts(session, moderator)["flagged"] >= 1
    page = review_queue(session, moderator, QueueFilters(tab="flagged", min_flags=threshold))
    assert [item.comment.id for item in page.items] == [comment.id]
    assert page.items[0].flags == {"abusive": threshold - 1, "personal_data": 1}


def test_flaggers_see_that_their_flag_was_handled(session, published):
    _consultation, comment = published
    flaggers = [make_user(session) for _ in range(2)]
    for flagger in flaggers:
        services.flag_comment(session, comment, reason="abusive", actor=flagger)
    moderator = make_moderator(session)
    services.decide(session, comment, DecisionInput(action=A.HIDE, reason_text="Abusive towards a participant"),
                    expected_version=comment.version, actor=moderator)
    flags = list(session.scalars(select(Flag).where(Flag.comment_id == comment.id)))
    assert {f.resolution for f in flags} == {FlagResolution.UPHELD}
    for flagger in flaggers:
        assert session.scalar(select(Notification).where(Notification.user_id == flagger.id,
                                                         Notification.kind == "flag")) is not None
    assert services.moderation_state(session, comment).open_flags == 0


def test_approving_a_flagged_comment_dismisses_the_flags(session, published):
    _consultation, comment = published
    services.flag_comment(session, comment, reason="off_topic", actor=make_user(session))
    services.decide(session, comment, DecisionInput(action=A.APPROVE), expected_version=comment.version,
                    actor=make_moderator(session))
    assert comment.is_published
    assert session.scalar(select(Flag.resolution).where(Flag.comment_id == comment.id)) == FlagResolution.DISMISSED


def test_flag_page_and_my_moderation_page(session, client, published):
    consultation, comment = published
    flagger = make_user(session)
    login(client, flagger)
    url = f"/consultations/{consultation.id}/comments/{comment.id}/flag"
    assert client.get(url).status_code == 200
    response = client.post(url, data={"reason": "other", "text": ""})
    assert response.status_code == 400 and b"Say what is wrong" in response.data
    response = client.post(url, data={"reason": "security_detail", "text": "Names a depot and its route"})
    assert response.status_code == 302
    response = client.post(url, data={"reason": "spam"})
    assert response.status_code == 409 and b"already flagged" in response.data
    page = client.get("/account/moderation")
    assert b"awaiting a moderator" in page.data


def test_forged_comment_id_on_the_flag_page_is_404(session, client, published):
    consultation, _comment = published
    login(client, make_user(session))
    assert client.post(f"/consultations/{consultation.id}/comments/987654321/flag",
                       data={"reason": "spam"}).status_code == 404
