"""Decisions as services: each one changes the item, keeps a decision with its
reason, writes one audit entry and tells the author."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.comments.models import Audience, CommentRevision, CommentStatus, Notification
from app.consultations.models import ModerationMode
from app.core.audit import verify_chain
from app.core.errors import DomainError, NotFound, PermissionDenied
from app.core.models import AuditEntry, OutboxMessage
from app.moderation import services
from app.moderation.models import DecisionAction as A
from app.moderation.models import ModerationDecision
from app.moderation.services import AlreadyDecided, DecisionInput, ItemChanged, ThreadLocked
from tests.factories import make_user
from tests.integration.test_moderation_support import make_moderator, open_consultation, post, reason


def _audit_count(session, action: str) -> int:
    return session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == action))


def _decide(session, comment, action, moderator, **kwargs):
    kwargs.setdefault("reason_text", "")
    return services.decide(session, comment, DecisionInput(action=action, **kwargs),
                           expected_version=comment.version, actor=moderator)


@pytest.fixture()
def world(session):
    consultation = open_consultation(session)
    author = make_user(session, display_name="Nadia Author")
    moderator = make_moderator(session)
    comment = post(session, consultation, author)
    return consultation, author, moderator, comment


def test_approve_publishes_records_the_decision_audits_once_and_tells_the_author(session, world):
    _consultation, author, moderator, comment = world
    assert comment.status == CommentStatus.PENDING
    before = _audit_count(session, "moderation.approve")
    decision = _decide(session, comment, A.APPROVE, moderator, reason_id=reason(session, "on_topic").id)
    assert comment.status == CommentStatus.PUBLISHED and comment.published_at is not None
    assert (decision.before_status, decision.after_status) == ("pending", "published")
    assert decision.actor_id == moderator.id and decision.subject_id == author.id
    assert _audit_count(session, "moderation.approve") == before + 1
    assert session.scalar(select(Notification).where(Notification.user_id == author.id,
                                                     Notification.kind == "moderation")) is not None
    mail = session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == f"moderation:decision:{decision.id}"))
    assert mail.to_address == author.email and "approved" in mail.body_text
    assert verify_chain(session).ok


def test_reject_keeps_the_text_and_tells_the_author_why(session, world):
    _consultation, author, moderator, comment = world
    text = comment.body_source
    decision = _decide(session, comment, A.REJECT, moderator, reason_id=reason(session, "off_topic").id,
                       reason_text="Please comment on the licensing articles.")
    assert comment.status == CommentStatus.REJECTED and comment.body_source == text
    mail = session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == f"moderation:decision:{decision.id}"))
    assert "not about the draft measure" in mail.body_text
    assert "Please comment on the licensing articles." in mail.body_text


@pytest.mark.parametrize("action", [A.REJECT, A.HIDE, A.SPAM, A.LOCK, A.EDIT, A.REDACT, A.AUDIENCE])
def test_a_decision_that_needs_a_reason_refuses_an_empty_one_and_changes_nothing(session, world, action):
    _consultation, _author, moderator, comment = world
    _decide(session, comment, A.APPROVE, moderator)
    status, version = comment.status, comment.version
    with pytest.raises(DomainError) as info:
        _decide(session, comment, action, moderator, reason_text="   ", body="New text", passage="brokering",
                audience=Audience.RESTRICTED)
    assert info.value.field == "reason_text"
    assert (comment.status, comment.version) == (status, version)


def test_a_forged_reason_id_is_refused(session, world):
    _consultation, _author, moderator, comment = world
    with pytest.raises(DomainError) as info:
        _decide(session, comment, A.REJECT, moderator, reason_id=987654)
    assert info.value.field == "reason_id"
    assert comment.status == CommentStatus.PENDING


def test_hide_and_restore(session, world):
    _consultation, _author, moderator, comment = world
    _decide(session, comment, A.APPROVE, moderator)
    _decide(session, comment, A.HIDE, moderator, reason_id=reason(session, "abusive").id)
    assert comment.status == CommentStatus.HIDDEN
    _decide(session, comment, A.RESTORE, moderator)
    assert comment.status == CommentStatus.PUBLISHED


def test_an_already_decided_item_gives_a_conflict(session, world):
    _consultation, _author, moderator, comment = world
    _decide(session, comment, A.REJECT, moderator, reason_text="Off-topic")
    with pytest.raises(AlreadyDecided):
        _decide(session, comment, A.APPROVE, moderator)
    assert comment.status == CommentStatus.REJECTED


def test_a_stale_version_gives_a_conflict_and_changes_nothing(session, world):
    _consultation, _author, moderator, comment = world
    stale = comment.version
    _decide(session, comment, A.APPROVE, moderator)
    with pytest.raises(ItemChanged):
        services.decide(session, comment, DecisionInput(action=A.HIDE, reason_text="x"), expected_version=stale,
                        actor=moderator)
    assert comment.status == CommentStatus.PUBLISHED


def test_spam_takes_every_pending_item_of_the_author_with_it(session, world):
    consultation, author, moderator, comment = world
    other = post(session, consultation, author, "Buy cheap centrifuges at example dot com today!")
    bystander = post(session, consultation, make_user(session), "A genuine question about Article 3.")
    _decide(session, comment, A.SPAM, moderator, reason_id=reason(session, "spam").id)
    assert comment.status == other.status == CommentStatus.SPAM
    assert bystander.status == CommentStatus.PENDING
    assert session.scalar(select(func.count(ModerationDecision.id)).where(
        ModerationDecision.subject_id == author.id, ModerationDecision.action == A.SPAM)) == 2


def test_lock_refuses_replies_and_unlock_allows_them_again(session):
    consultation = open_consultation(session, mode=ModerationMode.POST)
    moderator = make_moderator(session)
    root = post(session, consultation, make_user(session))
    _decide(session, root, A.LOCK, moderator, reason_text="The discussion went off-topic.")
    with pytest.raises(ThreadLocked):
        post(session, consultation, make_user(session), "A late reply", parent=root)
    _decide(session, root, A.UNLOCK, moderator)
    reply = post(session, consultation, make_user(session), "A late reply", parent=root)
    assert reply.parent_id == root.id


def test_edit_keeps_the_original_for_moderators_and_adds_a_visible_note(session, world):
    _consultation, _author, moderator, comment = world
    original = comment.body_source
    _decide(session, comment, A.EDIT, moderator, reason_id=reason(session, "personal_data").id,
            body="The definition of brokering in Article 2 is too narrow, says [name removed].")
    assert "Edited by a moderator: Personal data removed" in comment.body_html
    revision = session.scalar(select(CommentRevision).where(CommentRevision.comment_id == comment.id))
    assert revision.body_source == original and revision.editor_id == moderator.id


def test_redact_replaces_the_passage(session, world):
    consultation, author, moderator, _comment = world
    comment = post(session, consultation, author, "Trucks leave the depot at 04:00 via Route 7. The penalties are "
                                                  "too low.")
    _decide(session, comment, A.REDACT, moderator, reason_id=reason(session, "security_detail").id,
            passage="Trucks leave the depot at 04:00 via Route 7.")
    assert "Route 7" not in comment.body_source and "Route 7" not in comment.body_html
    assert "[redacted by a moderator] The penalties are too low." in comment.body_source


def test_redact_refuses_a_passage_not_in_the_text(session, world):
    _consultation, _author, moderator, comment = world
    with pytest.raises(DomainError) as info:
        _decide(session, comment, A.REDACT, moderator, reason_text="x", passage="not there")
    assert info.value.field == "passage"


def test_highlight_and_audience_change(session, world):
    _consultation, _author, moderator, comment = world
    _decide(session, comment, A.APPROVE, moderator)
    _decide(session, comment, A.HIGHLIGHT, moderator)
    assert services.moderation_state(session, comment).highlighted
    _decide(session, comment, A.AUDIENCE, moderator, audience=Audience.RESTRICTED,
            reason_text="Mentions a specific facility.")
    assert comment.audience == Audience.RESTRICTED
    with pytest.raises(AlreadyDecided):
        _decide(session, comment, A.HIGHLIGHT, moderator)


def test_undo_puts_the_item_back_and_tells_the_author(session, world):
    _consultation, author, moderator, comment = world
    original = comment.body_source
    _decide(session, comment, A.REDACT, moderator, reason_text="Personal data", passage="brokering")
    undo = services.undo_last_decision(session, comment, expected_version=comment.version, actor=moderator)
    assert comment.body_source == original
    assert undo.action == A.UNDO
    with pytest.raises(AlreadyDecided):
        services.undo_last_decision(session, comment, expected_version=comment.version, actor=moderator)
    assert session.scalar(select(func.count(Notification.id)).where(Notification.user_id == author.id,
                                                                   Notification.kind == "moderation")) == 2


def test_undo_of_a_status_decision(session, world):
    _consultation, _author, moderator, comment = world
    _decide(session, comment, A.REJECT, moderator, reason_text="Off-topic")
    services.undo_last_decision(session, comment, expected_version=comment.version, actor=moderator)
    assert comment.status == CommentStatus.PENDING
    assert _audit_count(session, "moderation.undo") >= 1


def test_a_moderator_of_another_consultation_cannot_decide(session, world):
    consultation, _author, _moderator, comment = world
    other = open_consultation(session)
    outsider = make_moderator(session, other)
    with pytest.raises(PermissionDenied):
        _decide(session, comment, A.APPROVE, outsider)
    assert comment.status == CommentStatus.PENDING
    scoped = make_moderator(session, consultation)
    _decide(session, comment, A.APPROVE, scoped)
    assert comment.status == CommentStatus.PUBLISHED


def test_bulk_decisions_are_all_or_nothing(session, world):
    consultation, _author, moderator, comment = world
    second = post(session, consultation, make_user(session))
    third = post(session, consultation, make_user(session))
    stale = third.version
    _decide(session, third, A.REJECT, moderator, reason_text="Off-topic")
    with pytest.raises(ItemChanged):
        services.decide_many(session, [(comment.id, comment.version), (third.id, stale)],
                             DecisionInput(action=A.APPROVE), actor=moderator)
    with pytest.raises(NotFound):
        services.decide_many(session, [(987654321, 1)], DecisionInput(action=A.APPROVE), actor=moderator)
    decisions = services.decide_many(session, [(comment.id, comment.version), (second.id, second.version)],
                                     DecisionInput(action=A.APPROVE), actor=moderator)
    assert len(decisions) == 2 and comment.is_published and second.is_published


def test_every_decision_goes_through_the_audit_log(session, world):
    consultation, _author, moderator, comment = world
    start = session.scalar(select(func.max(AuditEntry.id)))
    _decide(session, comment, A.APPROVE, moderator)
    _decide(session, comment, A.HIGHLIGHT, moderator)
    _decide(session, comment, A.HIDE, moderator, reason_text="Abusive")
    services.undo_last_decision(session, comment, expected_version=comment.version, actor=moderator)
    actions = list(session.scalars(select(AuditEntry.action).where(AuditEntry.id > start,
                                                                   AuditEntry.action.like("moderation.%"))))
    assert actions == ["moderation.approve", "moderation.highlight", "moderation.hide", "moderation.undo"]
