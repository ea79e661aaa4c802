"""The queue's kept counts stay right when two people change comments of one consultation at once
(app/moderation/tally.py): two sessions on two connections, the second one's change waiting for
the first one's commit, on PostgreSQL in a database of its own (SQLite lets one writer at a time)."""

from __future__ import annotations

import os
import threading
import uuid

import pytest

from app.accounts.models import User
from app.comments.models import Comment
from app.moderation import services, tally
from app.moderation.services import DecisionInput
from tests.factories import make_user
from tests.integration.test_moderation_support import make_moderator, migrated, open_consultation, post

pytestmark = pytest.mark.skipif(not (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgresql"),
                                reason="two writers at once run on PostgreSQL")


@pytest.fixture()
def scratch(scratch_url):
    """A migrated database with four pending comments and one published one, committed."""
    with migrated(scratch_url) as (app, maker):
        with maker() as setup:
            consultation = open_consultation(setup)
            authors = [make_user(setup, email=f"p{n}-{uuid.uuid4().hex[:8]}@example.org") for n in range(4)]
            pending = [post(setup, consultation, author) for author in authors]
            moderator = make_moderator(setup)
            setup.flush()
            services.decide(setup, pending[0], DecisionInput(action="approve"), expected_version=pending[0].version,
                            actor=moderator)
            setup.commit()
            ids = {"pending": [c.id for c in pending[1:]], "published": pending[0].id, "moderator": moderator.id,
                   "flaggers": [a.id for a in authors[1:]], "consultation": consultation.id}
        yield app, maker, ids


def _at_once(app, maker, first, second) -> None:
    """``first`` changes and holds its transaction open while ``second`` runs in another thread
    (waiting on the first's locks), then the first commits and the second finishes and commits."""
    errors: list[BaseException] = []
    one, two = maker(), maker()

    def run_second() -> None:
        try:
            with app.app_context():
                second(two)
                two.commit()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    try:
        first(one)
        thread = threading.Thread(target=run_second)
        thread.start()
        thread.join(0.5)  # the second is now waiting on the first's row locks (or done, when none)
        one.commit()
        thread.join(30)
        assert not thread.is_alive() and not errors, errors
    finally:
        one.close()
        two.close()


def _decide(session, comment_id, action, moderator_id) -> None:
    comment = session.get(Comment, comment_id)
    services.decide(session, comment, DecisionInput(action=action, reason_text="Decided at once."),
                    expected_version=comment.version, actor=session.get(User, moderator_id))


def test_two_moderators_deciding_items_of_one_consultation_at_once(scratch):
    app, maker, ids = scratch
    first, second = ids["pending"][:2]
    with app.app_context():
        _at_once(app, maker, lambda s: _decide(s, first, "approve", ids["moderator"]),
                 lambda s: _decide(s, second, "reject", ids["moderator"]))
        with maker() as check:
            assert tally.kept(check) == tally.counted_afresh(check) == {ids["consultation"]: (1, 0, 0)}


def test_two_participants_flagging_one_comment_at_once_count_it_once(scratch):
    app, maker, ids = scratch
    one, two = ids["flaggers"][:2]

    def flag(user_id):
        def run(session):
            services.flag_comment(session, session.get(Comment, ids["published"]), reason="off_topic",
                                  actor=session.get(User, user_id), threshold=10)
        return run

    with app.app_context():
        _at_once(app, maker, flag(one), flag(two))
        with maker() as check:
            assert check.get(Comment, ids["published"]).status == "published"
            assert tally.kept(check) == tally.counted_afresh(check) == {ids["consultation"]: (3, 0, 1)}


def test_a_flag_raised_while_a_moderator_hides_the_comment_leaves_no_flagged_count(scratch):
    """The moderator's bulk form reads the comment unflagged; the flag commits before the decision
    takes the row's lock: the decision settles the flag, and the counts know it was flagged."""
    app, maker, ids = scratch

    def flag(session):
        services.flag_comment(session, session.get(Comment, ids["published"]), reason="off_topic",
                              actor=session.get(User, ids["flaggers"][0]), threshold=10)

    def hide(session):
        version = session.get(Comment, ids["published"]).version
        services.decide_many(session, [(ids["published"], version)],
                             DecisionInput(action="hide", reason_text="Off topic."),
                             actor=session.get(User, ids["moderator"]))

    with app.app_context():
        _at_once(app, maker, flag, hide)
        with maker() as check:
            assert check.get(Comment, ids["published"]).status == "hidden"
            assert tally.kept(check) == tally.counted_afresh(check) == {ids["consultation"]: (3, 0, 0)}
