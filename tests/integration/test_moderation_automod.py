"""Automatic holds through the real comment service: the comment stays
pending and the queue shows the triggering rule."""

from __future__ import annotations

import pytest

from app.comments.models import CommentStatus
from app.consultations.models import ModerationMode
from app.moderation import services
from app.moderation.models import DecisionAction as A
from app.moderation.models import WatchWord
from app.moderation.queries import QueueFilters, review_queue, tab_counts
from app.moderation.services import DecisionInput
from tests.factories import login, make_user
from tests.integration.test_moderation_support import make_moderator, open_consultation, post


@pytest.fixture()
def new_account_rule(app):
    saved = app.config["NEW_ACCOUNT_PREMODERATED_COMMENTS"]
    app.config["NEW_ACCOUNT_PREMODERATED_COMMENTS"] = 1
    yield
    app.config["NEW_ACCOUNT_PREMODERATED_COMMENTS"] = saved


def test_a_new_accounts_first_comment_is_held_in_a_post_moderated_consultation(session, new_account_rule):
    consultation = open_consultation(session, mode=ModerationMode.POST)
    author = make_user(session)
    first = post(session, consultation, author)
    assert first.status == CommentStatus.PENDING
    moderator = make_moderator(session)
    assert tab_counts(session, moderator)["held"] == 1
    services.decide(session, first, DecisionInput(action=A.APPROVE), expected_version=first.version,
                    actor=moderator)
    assert services.moderation_state(session, first).hold_rules == ""
    second = post(session, consultation, author, "A second, different comment on Article 3.")
    assert second.status == CommentStatus.PUBLISHED


def test_many_links_and_watch_words_are_held_and_explained(session, client):
    consultation = open_consultation(session, mode=ModerationMode.POST)
    session.add(WatchWord(word="nerve agent"))
    session.flush()
    links = " ".join(f"https://example.org/{n}" for n in range(5))
    linked = post(session, consultation, make_user(session), f"See {links}")
    worded = post(session, consultation, make_user(session), "How to stabilise a Nerve Agent for transport.")
    plain = post(session, consultation, make_user(session), "Article 5 penalties are too low.")
    assert linked.status == worded.status == CommentStatus.PENDING
    assert plain.status == CommentStatus.PUBLISHED
    moderator = make_moderator(session)
    page = review_queue(session, moderator, QueueFilters(tab="held", reason="watch_word"))
    assert [item.comment.id for item in page.items] == [worded.id]
    login(client, moderator)
    html = client.get("/manage/moderation/?tab=held").get_data(as_text=True)
    assert "5 links; more than 3 are held for review." in html
    assert "Contains “nerve agent” from the watch list." in html


def test_the_same_text_in_another_consultation_is_held(session):
    first, second = (open_consultation(session, mode=ModerationMode.POST) for _ in range(2))
    author = make_user(session)
    text = "This draft fails to criminalise financing of proliferation by non-State actors entirely."
    assert post(session, first, author, text).status == CommentStatus.PUBLISHED
    assert post(session, second, author, text.upper()).status == CommentStatus.PENDING
