"""A decision through the bulk form costs the same number of statements however long the
queue and the author's history: the comment is read with its moderation state and its author."""

from __future__ import annotations

from sqlalchemy import event, select

from app.accounts.models import User
from app.comments.models import Comment, Notification
from app.core.audit import verify_chain
from app.core.models import OutboxMessage
from app.moderation import services
from app.moderation.models import DecisionAction as A
from app.moderation.services import DecisionInput
from tests.factories import make_user
from tests.integration.test_moderation_support import make_moderator, open_consultation, post


def _approve_counting(session, moderator_id: int, comment_id: int) -> tuple[list[str], list]:
    session.flush()
    session.expunge_all()  # nothing kept from the set-up: as in a request of its own
    moderator = session.get(User, moderator_id)
    version = session.scalar(select(Comment.version).where(Comment.id == comment_id))
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args):
        statements.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", count)
    try:
        decisions = services.decide_many(session, [(comment_id, version)], DecisionInput(action=A.APPROVE),
                                         actor=moderator)
        session.flush()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return statements, decisions


def test_one_bulk_approve_costs_the_same_statements_whatever_the_queue_and_history(session):
    consultation = open_consultation(session)
    author = make_user(session, display_name="Nadia Author")
    moderator = make_moderator(session)
    first = post(session, consultation, author)
    alone, decisions = _approve_counting(session, moderator.id, first.id)
    decision = decisions[0]
    # The author is told, in the app and by e-mail; the audit chain holds.
    assert session.scalar(select(Notification.id).where(
        Notification.user_id == author.id, Notification.dedupe_key == f"moderation:decision:{decision.id}"))
    assert session.scalar(select(OutboxMessage.id).where(
        OutboxMessage.dedupe_key == f"moderation:decision:{decision.id}"))

    # Ten more items by the same author, nine of them decided: a longer queue and a history.
    more = [post(session, consultation, author, body=f"Point {n}: the annex lists too few items.")
            for n in range(10)]
    for comment in more[:9]:
        _approve_counting(session, moderator.id, comment.id)
    later, decisions = _approve_counting(session, moderator.id, more[9].id)
    assert decisions[0].after_status == "published"
    assert len(later) == len(alone)
    # One item needs no savepoint of its own: a refusal rolls the request's transaction back.
    assert not [s for s in alone if s.lstrip().upper().startswith(("SAVEPOINT", "RELEASE"))]
    assert verify_chain(session).ok


def test_approving_a_reply_tells_the_parents_author_once_without_a_savepoint(session):
    consultation = open_consultation(session)
    author, replier = make_user(session, display_name="Nadia Author"), make_user(session, display_name="Omar Reply")
    moderator = make_moderator(session)
    first = post(session, consultation, author)
    top, _decisions = _approve_counting(session, moderator.id, first.id)
    reply = post(session, session.merge(consultation), session.get(User, replier.id),
                 body="Brokering should cover arranging transport too.", parent=session.get(Comment, first.id))
    statements, _decisions = _approve_counting(session, moderator.id, reply.id)
    # The parent's author is told in the app and by e-mail.
    told = session.scalars(select(Notification.id).where(Notification.user_id == author.id,
                                                      Notification.dedupe_key == f"reply:{reply.id}")).all()
    assert len(told) == 1
    assert session.scalar(select(OutboxMessage.id).where(OutboxMessage.dedupe_key == f"comment-reply:{reply.id}"))
    # The parent's reply count, its author read with their choices, the notice unless they have
    # it, and the e-mail unless it left already: five statements, no savepoint.
    assert len(statements) <= len(top) + 5
    assert not [s for s in statements if s.lstrip().upper().startswith(("SAVEPOINT", "RELEASE"))]

    # Hidden, then approved again: published a second time, the reply tells no one twice.
    services.decide(session, session.get(Comment, reply.id), DecisionInput(action=A.HIDE, reason_text="Off topic."),
                    expected_version=session.get(Comment, reply.id).version, actor=session.get(User, moderator.id))
    again, decisions = _approve_counting(session, moderator.id, reply.id)
    assert decisions[0].after_status == "published"
    assert session.scalars(select(Notification.id).where(Notification.user_id == author.id,
                                                      Notification.dedupe_key == f"reply:{reply.id}")).all() == told
