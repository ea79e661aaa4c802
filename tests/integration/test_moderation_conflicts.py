"""Two moderators, or a moderator and the author, acting on the same item at
once never silently overwrite each other: the comment's version column makes
the second writer fail with a conflict.

The race is proven on PostgreSQL with two sessions on two connections that
commit in turn, in a database of its own (the ``scratch_url`` fixture).
"""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import func, select

from app.comments.models import Comment, CommentStatus
from app.comments.services import edit_comment
from app.moderation import services
from app.moderation.models import DecisionAction as A
from app.moderation.models import ModerationDecision
from app.moderation.services import DecisionInput, ItemChanged
from tests.factories import make_user
from tests.integration.test_moderation_support import make_moderator, migrated, open_consultation, post

pytestmark = pytest.mark.skipif(not (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgresql"),
                                reason="the two-connection race runs on PostgreSQL")


@pytest.fixture()
def scratch(scratch_url):
    """A migrated scratch database with one pending comment, committed; two moderators."""
    with migrated(scratch_url) as (app, maker):
        with maker() as setup:
            consultation = open_consultation(setup)
            author = make_user(setup, email=f"author-{uuid.uuid4().hex[:8]}@example.org")
            comment = post(setup, consultation, author)
            first, second = make_moderator(setup), make_moderator(setup)
            setup.commit()
            ids = {"comment": comment.id, "author": author.id, "first": first.id, "second": second.id}
        yield app, maker, ids


def _user(session, user_id):
    from app.accounts.models import User

    user = session.get(User, user_id)
    _ = user.grants  # load the grants while the session is open
    return user


def test_two_moderators_deciding_at_once_the_second_gets_a_conflict(scratch):
    app, maker, ids = scratch
    with app.app_context():
        one, two = maker(), maker()
        try:
            mine = one.get(Comment, ids["comment"])
            theirs = two.get(Comment, ids["comment"])
            assert mine.version == theirs.version
            services.decide(one, mine, DecisionInput(action=A.APPROVE), expected_version=mine.version,
                            actor=_user(one, ids["first"]))
            one.commit()
            # The second moderator's form (and loaded row) carry the old version.
            with pytest.raises(ItemChanged):
                services.decide(two, theirs, DecisionInput(action=A.REJECT, reason_text="Off-topic"),
                                expected_version=theirs.version, actor=_user(two, ids["second"]))
            two.rollback()
        finally:
            one.close()
            two.close()
        with maker() as check:
            comment = check.get(Comment, ids["comment"])
            assert comment.status == CommentStatus.PUBLISHED
            assert check.scalar(select(func.count(ModerationDecision.id)).where(
                ModerationDecision.comment_id == comment.id)) == 1


def test_author_edit_and_moderator_redaction_at_once_never_overwrite(scratch):
    app, maker, ids = scratch
    with app.app_context():
        author_session, moderator_session = maker(), maker()
        try:
            own = author_session.get(Comment, ids["comment"])
            seen = moderator_session.get(Comment, ids["comment"])
            edit_comment(author_session, own, body="The definition of brokering in Article 2 is too narrow; "
                                                    "add intangible transfers.", expected_version=own.version,
                         actor=_user(author_session, ids["author"]))
            author_session.commit()
            with pytest.raises(ItemChanged):
                services.decide(moderator_session, seen,
                                DecisionInput(action=A.REDACT, reason_text="Personal data", passage="brokering"),
                                expected_version=seen.version, actor=_user(moderator_session, ids["first"]))
            moderator_session.rollback()
        finally:
            author_session.close()
            moderator_session.close()
        with maker() as check:
            comment = check.get(Comment, ids["comment"])
            assert "intangible transfers" in comment.body_source
            assert "[redacted" not in comment.body_source


def test_the_moderator_first_then_the_author_gets_the_conflict(scratch):
    app, maker, ids = scratch
    from app.core.errors import Conflict

    with app.app_context():
        author_session, moderator_session = maker(), maker()
        try:
            own = author_session.get(Comment, ids["comment"])
            seen = moderator_session.get(Comment, ids["comment"])
            services.decide(moderator_session, seen, DecisionInput(action=A.REDACT, reason_text="Personal data",
                                                                   passage="brokering"),
                            expected_version=seen.version, actor=_user(moderator_session, ids["first"]))
            moderator_session.commit()
            with pytest.raises(Conflict):
                edit_comment(author_session, own, body="My new text", expected_version=own.version,
                             actor=_user(author_session, ids["author"]))
            author_session.rollback()
        finally:
            author_session.close()
            moderator_session.close()
        with maker() as check:
            assert "[redacted by a moderator]" in check.get(Comment, ids["comment"]).body_source
