"""The review queue's counts are kept per consultation as comments change (app/moderation/tally.py):
after every kind of change a moderator or participant can make, the kept counts equal the counts
taken afresh from the comments, and the queue's tabs and list of consultations show them."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select

from app.comments.models import CommentStatus
from app.comments.services import edit_comment, withdraw_comment
from app.consultations.models import ModerationMode
from app.core.errors import DomainError
from app.moderation import services, tally
from app.moderation.models import CommentModeration, QueueTally
from app.moderation.queries import QueueFilters, queue_consultations, review_queue, tab_counts
from app.moderation.services import DecisionInput
from tests.factories import make_user
from tests.integration.test_moderation_support import make_moderator, migrated, open_consultation, post


def _decide(session, comment, action, moderator, **kwargs):
    kwargs.setdefault("reason_text", "Decided in a test.")
    return services.decide(session, comment, DecisionInput(action=action, **kwargs),
                           expected_version=comment.version, actor=moderator)


def _agrees(session) -> dict[int, tuple[int, int, int]]:
    session.flush()
    kept = tally.kept(session)
    assert kept == tally.counted_afresh(session)
    return kept


def _queue_total(session, moderator, tab: str) -> int:
    return review_queue(session, moderator, QueueFilters(tab=tab), per_page=1, count=None).total


@pytest.fixture()
def world(session):
    pre = open_consultation(session, title="Export controls (pre-moderated)")
    post_moderated = open_consultation(session, mode=ModerationMode.POST, title="Border controls")
    moderator = make_moderator(session)
    authors = [make_user(session, display_name=f"Participant {n}") for n in range(4)]
    return pre, post_moderated, moderator, authors


def test_every_change_to_a_comment_keeps_the_counts_right(session, world):
    pre, post_moderated, moderator, authors = world
    waiting = [post(session, pre, author) for author in authors]
    assert _agrees(session)[pre.id] == (4, 0, 0)
    published = post(session, post_moderated, authors[0], "Article 5 should name the licensing authority.")
    reply = post(session, post_moderated, authors[1], "And the appeal procedure.", parent=published)
    assert post_moderated.id not in _agrees(session)  # nothing to decide there

    _decide(session, waiting[0], "approve", moderator)
    _decide(session, waiting[1], "reject", moderator)
    assert _agrees(session)[pre.id] == (2, 0, 0)
    _decide(session, waiting[2], "spam", moderator)
    services.undo_last_decision(session, waiting[2], expected_version=waiting[2].version, actor=moderator,
                                reason_text="Not spam after all.")
    assert _agrees(session)[pre.id] == (2, 0, 0)

    # Flags: open flags count on published comments; enough of them hide the comment, still flagged.
    for flagger in authors[2:]:
        services.flag_comment(session, published, reason="off_topic", actor=flagger, threshold=2)
    assert published.status == CommentStatus.HIDDEN
    assert _agrees(session)[post_moderated.id] == (0, 0, 1)
    _decide(session, published, "restore", moderator)  # the moderator's decision resolves the flags
    assert post_moderated.id not in _agrees(session)

    withdraw_comment(session, waiting[3], actor=authors[3], expected_version=waiting[3].version)
    edit_comment(session, reply, body="And the appeal procedure, with its deadlines.",
                 expected_version=reply.version, actor=authors[1])
    _agrees(session)
    counts = tab_counts(session, moderator)
    assert counts == {"pending": _queue_total(session, moderator, "pending"),
                      "held": _queue_total(session, moderator, "held"),
                      "flagged": _queue_total(session, moderator, "flagged")}
    assert counts["pending"] == 1  # waiting[2], back after the undo


def test_a_held_comment_counts_in_the_held_tab_until_released(session, world):
    pre, _post_moderated, moderator, authors = world
    links = " ".join(f"https://example.org/{n}" for n in range(6))
    held = post(session, pre, authors[0], f"Sources: {links}")
    assert _agrees(session)[pre.id] == (1, 1, 0)
    assert tab_counts(session, moderator) == {"pending": 0, "held": 1, "flagged": 0}
    _decide(session, held, "approve", moderator)
    assert pre.id not in _agrees(session)
    assert tab_counts(session, moderator) == {"pending": 0, "held": 0, "flagged": 0}


def test_a_change_rolled_back_in_a_savepoint_leaves_the_counts(session, world):
    pre, _post_moderated, moderator, authors = world
    comment = post(session, pre, authors[0])
    before = _agrees(session)
    with pytest.raises(DomainError):
        with session.begin_nested():
            comment.status = CommentStatus.PUBLISHED
            session.flush()
            assert pre.id not in tally.kept(session)  # nothing left to decide there
            raise DomainError("changed our mind")
    assert comment.status == CommentStatus.PENDING
    assert _agrees(session) == before


def test_a_consultation_counted_afresh_when_its_row_is_missing(session, world):
    pre, _post_moderated, moderator, authors = world
    for author in authors:
        post(session, pre, author)
    session.execute(delete(QueueTally).where(QueueTally.consultation_id == pre.id))
    _decide(session, post(session, pre, make_user(session)), "reject", moderator)  # the first change recounts
    assert _agrees(session)[pre.id] == (4, 0, 0)


def test_the_queue_lists_consultations_with_work_only_and_in_scope(session, world):
    pre, post_moderated, moderator, authors = world
    scoped = make_moderator(session, post_moderated)
    comment = post(session, pre, authors[0])
    assert queue_consultations(session, moderator) == [(pre.id, pre.title, {"pending": 1, "held": 0, "flagged": 0})]
    assert queue_consultations(session, scoped) == []
    assert tab_counts(session, scoped) == {"pending": 0, "held": 0, "flagged": 0}
    _decide(session, comment, "approve", moderator)
    assert queue_consultations(session, moderator) == []


def test_recount_rebuilds_the_counts_and_says_how_many_were_wrong(app, session, world):
    pre, _post_moderated, _moderator, authors = world
    for author in authors[:3]:
        post(session, pre, author)
    session.execute(QueueTally.__table__.update().values(pending=99))
    assert tally.kept(session) != tally.counted_afresh(session)
    rows, wrong = tally.recount(session)
    assert (rows, wrong) == (session.scalar(select(func.count()).select_from(QueueTally)), 1)
    assert _agrees(session)[pre.id] == (3, 0, 0)
    assert tally.recount(session)[1] == 0


def test_the_recount_command_reports_what_it_mended(app, session, world):
    pre, _post_moderated, _moderator, authors = world
    post(session, pre, authors[0])
    session.execute(QueueTally.__table__.update().values(held=5))
    result = app.test_cli_runner().invoke(args=["moderation", "recount"])
    assert result.exit_code == 0, result.output
    assert "1 had counts that were not right" in result.output
    assert _agrees(session)[pre.id] == (1, 0, 0)


def test_committed_sessions_keep_what_their_savepoints_kept(scratch_url):
    """Outside the tests' own session the differences wait for the commit: a savepoint rolled back
    drops its own, one released hands them on (app/moderation/tally.py)."""
    with migrated(scratch_url) as (_app, maker), maker() as own:
        consultation = open_consultation(own)
        moderator = make_moderator(own)
        comments = [post(own, consultation, make_user(own)) for _ in range(3)]  # each in a savepoint
        with pytest.raises(DomainError), own.begin_nested():
            _decide(own, comments[0], "approve", moderator)
            raise DomainError("changed our mind")
        with own.begin_nested():
            _decide(own, comments[1], "reject", moderator)
        assert tally.kept(own) == {}  # nothing written before the commit
        own.commit()
        assert tally.kept(own) == tally.counted_afresh(own) == {consultation.id: (2, 0, 0)}
        # A transaction given up leaves nothing behind for the next one of the same session.
        _decide(own, comments[0], "approve", moderator)
        own.flush()
        own.rollback()
        post(own, consultation, make_user(own))
        own.commit()
        assert tally.kept(own) == tally.counted_afresh(own) == {consultation.id: (3, 0, 0)}


def test_undoing_a_decision_reopens_its_flags_beside_those_raised_since(session, world):
    _pre, post_moderated, moderator, authors = world
    comment = post(session, post_moderated, authors[0], "Article 7 leaves transit out.")
    for flagger in authors[1:3]:
        services.flag_comment(session, comment, reason="off_topic", actor=flagger, threshold=10)
    _decide(session, comment, "edit", moderator, body="Article 7 leaves transit and brokering out.")
    services.flag_comment(session, comment, reason="off_topic", actor=authors[3], threshold=10)
    services.undo_last_decision(session, comment, expected_version=comment.version, actor=moderator,
                                reason_text="The edit went too far.")
    open_flags = session.get(CommentModeration, comment.id).open_flags
    assert open_flags == 3  # the two the edit had settled and the one raised after it
    assert _agrees(session)[post_moderated.id] == (0, 0, 1)
    assert review_queue(session, moderator, QueueFilters(tab="flagged")).items[0].flags == {"off_topic": 3}


def test_posting_and_deciding_through_the_pages_keep_the_counts(client, session):
    """Each request is a transaction of its own that commits: its comments are counted at the commit."""
    from tests.factories import login
    from tests.integration.test_comments_fixtures import form_data, make_consultation

    consultation = make_consultation(session, moderation=ModerationMode.PRE)
    section = consultation.current_version.sections[0]
    moderator = make_moderator(session)
    writer = make_user(session)
    login(client, writer)
    links = " ".join(f"https://example.org/{n}" for n in range(6))
    for body in ("Please add transit.", f"Sources: {links}"):
        response = client.post(f"/consultations/{consultation.id}/comments/new",
                               data=form_data(consultation, section=section, body=body))
        assert response.status_code == 302
    assert _agrees(session)[consultation.id] == (2, 1, 0)
    login(client, moderator)
    page = client.get("/manage/moderation/").get_data(as_text=True)
    assert 'data-count="pending">1<' in page and 'data-count="held">1<' in page
    assert tab_counts(session, moderator) == {"pending": 1, "held": 1, "flagged": 0}
