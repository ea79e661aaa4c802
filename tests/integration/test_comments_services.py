"""Comment services: posting, replies, receipts, idempotency, bad input,
the author's lifecycle, supports and notifications."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role, Scope
from app.comments import services
from app.comments.models import (
    Comment,
    CommentRevision,
    CommentStatus,
    Follow,
    Notification,
    NotificationPreference,
)
from app.comments.notifications import notify_closing
from app.consultations.services import ConsultationClosed
from app.core.db import utcnow
from app.core.errors import Conflict, DomainError, PermissionDenied
from app.core.models import AuditEntry, OutboxMessage
from tests.factories import grant, make_organisation, make_user
from tests.integration.test_comments_fixtures import (
    add_comment,
    comment_input,
    make_consultation,
    publish_new_version,
)


def _count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


def test_a_comment_on_a_section_gets_a_receipt_a_path_and_an_audit_entry(session):
    consultation = make_consultation(session)
    section = consultation.current_version.sections[0]
    author = make_user(session)
    comment = add_comment(session, consultation, author, section=section, body="Add *brokering* controls.")
    assert re.fullmatch(r"A1540-\d{4}-\d{6}", comment.receipt_number)
    assert comment.status == CommentStatus.PUBLISHED and comment.published_at is not None
    assert comment.path == str(comment.id).zfill(10) and comment.root_id == comment.id and comment.depth == 0
    assert comment.body_html.strip() == "<p>Add <em>brokering</em> controls.</p>"
    assert comment.version_id == consultation.current_version.id
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "comment.posted",
                                                   AuditEntry.target_id == str(comment.id))) is not None
    receipt = session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == f"comment-receipt:{comment.id}"))
    assert receipt.to_address == author.email and comment.receipt_number in receipt.subject


def test_pre_moderated_consultations_keep_new_comments_pending(session):
    consultation = make_consultation(session, moderation="pre")
    comment = add_comment(session, consultation, make_user(session))
    assert comment.status == CommentStatus.PENDING and comment.published_at is None


def test_replies_nest_count_and_notify_the_parent_author(session):
    consultation = make_consultation(session)
    section = consultation.current_version.sections[1]
    alice, bob = make_user(session), make_user(session)
    root = add_comment(session, consultation, alice, section=section)
    reply = add_comment(session, consultation, bob, parent=root, body="I disagree.")
    deeper = add_comment(session, consultation, alice, parent=reply)
    assert reply.path == f"{root.path}/{str(reply.id).zfill(10)}" and reply.depth == 1
    assert deeper.root_id == root.id and deeper.depth == 2 and deeper.section_id == section.id
    session.refresh(root)
    assert root.reply_count == 1
    note = session.scalar(select(Notification).where(Notification.user_id == alice.id))
    assert note.comment_id == reply.id
    mail = session.scalar(select(OutboxMessage).where(OutboxMessage.dedupe_key == f"comment-reply:{reply.id}"))
    assert mail.to_address == alice.email and "I disagree." in mail.body_text


def test_reply_e_mail_respects_the_opt_out(session):
    consultation = make_consultation(session)
    alice, bob = make_user(session), make_user(session)
    session.add(NotificationPreference(user_id=alice.id, email_replies=False, email_closing=True))
    root = add_comment(session, consultation, alice)
    reply = add_comment(session, consultation, bob, parent=root)
    assert _count(session, Notification, Notification.user_id == alice.id) == 1  # in-app still
    assert _count(session, OutboxMessage, OutboxMessage.dedupe_key == f"comment-reply:{reply.id}") == 0


def test_a_restricted_reply_does_not_notify_a_parent_author_who_may_not_read_it(session):
    consultation = make_consultation(session, country="AT")
    participant = make_user(session)
    government = make_user(session)
    grant(session, government, Role.AUTHOR, Scope.COUNTRY, "AT")
    root = add_comment(session, consultation, participant, body="Public question.")
    reply = add_comment(session, consultation, government, parent=root, audience="restricted")
    assert _count(session, Notification, Notification.comment_id == reply.id) == 0
    assert _count(session, OutboxMessage, OutboxMessage.dedupe_key == f"comment-reply:{reply.id}") == 0


def test_the_same_form_submitted_twice_makes_one_comment(session):
    consultation = make_consultation(session)
    author = make_user(session)
    data = comment_input(consultation, body="Only once.")
    first, created = services.post_comment(session, consultation, data, actor=author)
    second, created_again = services.post_comment(session, consultation, data, actor=author)
    assert created and not created_again and first.id == second.id
    assert _count(session, Comment, Comment.author_id == author.id) == 1


@pytest.mark.parametrize("body", ["", "   \n\t  "])
def test_an_empty_body_is_refused(session, body):
    consultation = make_consultation(session)
    with pytest.raises(DomainError) as err:
        add_comment(session, consultation, make_user(session), body=body)
    assert err.value.field == "body"


def test_a_body_over_the_limit_is_refused_and_the_limit_itself_is_accepted(session):
    consultation = make_consultation(session)
    author = make_user(session)
    with pytest.raises(DomainError) as err:
        add_comment(session, consultation, author, body="x" * 10_001)
    assert err.value.field == "body" and "10000" in str(err.value.message)
    assert add_comment(session, consultation, author, body="x" * 10_000).id


def test_bad_parents_are_refused(session):
    consultation = make_consultation(session)
    other = make_consultation(session)
    author = make_user(session)
    foreign = add_comment(session, other, author)
    with pytest.raises(services.TamperedForm):
        add_comment(session, consultation, author, parent=foreign)
    sections = consultation.current_version.sections
    root = add_comment(session, consultation, author, section=sections[0])
    with pytest.raises(services.TamperedForm):  # parent on Article 1, form claims Article 2
        add_comment(session, consultation, author, parent=root, section_id=sections[1].id)
    services.withdraw_comment(session, root, actor=author)
    with pytest.raises(Conflict):
        add_comment(session, consultation, author, parent=root)


def test_no_reply_to_a_pending_comment(session):
    consultation = make_consultation(session, moderation="pre")
    author = make_user(session)
    pending = add_comment(session, consultation, author)
    with pytest.raises(Conflict):  # its author sees it, awaiting moderation
        add_comment(session, consultation, author, parent=pending)
    with pytest.raises(services.TamperedForm):  # anyone else is answered as if it did not exist
        add_comment(session, consultation, make_user(session), parent=pending)


@pytest.mark.parametrize("opens_in, closes_in, words", [
    (timedelta(days=-30), timedelta(days=-1), "closed"),
    (timedelta(days=2), timedelta(days=30), "not open"),
])
def test_closed_and_not_yet_open_consultations_accept_no_comments(session, opens_in, closes_in, words):
    consultation = make_consultation(session, opens_in=opens_in, closes_in=closes_in)
    with pytest.raises(ConsultationClosed) as err:
        add_comment(session, consultation, make_user(session))
    assert words in str(err.value.message)
    assert _count(session, Comment, Comment.consultation_id == consultation.id) == 0


def test_an_earlier_version_takes_replies_but_no_new_comments(session):
    consultation = make_consultation(session)
    author = make_user(session)
    old_section = consultation.current_version.sections[0]
    old_version_id = consultation.current_version.id
    root = add_comment(session, consultation, author, section=old_section)
    publish_new_version(session, consultation)
    with pytest.raises(Conflict):
        services.post_comment(session, consultation, comment_input(
            consultation, section=old_section, version_id=old_version_id), actor=author)
    reply = add_comment(session, consultation, make_user(session), parent=root)
    assert reply.version_id == old_version_id and reply.section_id == old_section.id


def test_speaking_for_an_organisation_needs_an_active_membership_of_a_verified_one(session):
    consultation = make_consultation(session)
    member, outsider = make_user(session), make_user(session)
    verified = make_organisation(session, members=(member,))
    unverified = make_organisation(session, verified=False, members=(member,))
    assert add_comment(session, consultation, member, organisation_id=verified.id).organisation_id == verified.id
    for user, organisation in ((outsider, verified), (member, unverified)):
        with pytest.raises(DomainError) as err:
            add_comment(session, consultation, user, organisation_id=organisation.id)
        assert err.value.field == "organisation_id"


@pytest.mark.parametrize("override", [
    {"idempotency_key": "not-a-key"}, {"kind": "essay"}, {"audience": "everyone"}, {"stance": "maybe"},
    {"malformed": ["parent_id"]},
])
def test_tampered_fields_are_refused(session, override):
    consultation = make_consultation(session)
    with pytest.raises(services.TamperedForm):
        services.post_comment(session, consultation, comment_input(consultation, **override),
                              actor=make_user(session))


def test_a_section_of_another_version_is_refused(session):
    consultation = make_consultation(session)
    other = make_consultation(session)
    with pytest.raises(services.TamperedForm):
        services.post_comment(session, consultation, comment_input(
            consultation, section_id=other.current_version.sections[0].id), actor=make_user(session))


def test_the_language_must_be_one_of_the_consultation(session):
    consultation = make_consultation(session, languages=("en", "fr"))
    with pytest.raises(DomainError) as err:
        add_comment(session, consultation, make_user(session), language="ru")
    assert err.value.field == "language"


def test_an_amendment_stores_its_word_diff_against_the_section(session):
    consultation = make_consultation(session)
    section = consultation.current_version.sections[0]
    author = make_user(session)
    with pytest.raises(DomainError) as err:
        add_comment(session, consultation, author, section=section, kind="amendment")
    assert err.value.field == "proposed_wording"
    with pytest.raises(DomainError):  # the draft as a whole has no wording to amend
        add_comment(session, consultation, author, kind="amendment", proposed_wording="New text.")
    comment = add_comment(session, consultation, author, section=section, kind="amendment",
                          proposed_wording="The competent authority shall license and register the export of "
                                           "item 1 listed in Annex 1.")
    inserted = [text for para in comment.proposed_diff for op, text in para if op == "insert"]
    assert any("register" in text for text in inserted)


def test_edit_keeps_a_revision_and_marks_the_comment_edited(session):
    consultation = make_consultation(session)
    author = make_user(session)
    comment = add_comment(session, consultation, author, body="First text.")
    services.edit_comment(session, comment, body="Second **text**.", expected_version=comment.version, actor=author)
    assert comment.body_html.strip() == "<p>Second <strong>text</strong>.</p>" and comment.edited_at is not None
    revision = session.scalar(select(CommentRevision).where(CommentRevision.comment_id == comment.id))
    assert revision.body_source == "First text."


def test_edit_is_refused_after_the_window_after_a_reply_and_on_a_stale_version(session):
    consultation = make_consultation(session)
    author = make_user(session)
    comment = add_comment(session, consultation, author)
    with pytest.raises(Conflict):
        services.edit_comment(session, comment, body="x", expected_version=comment.version - 1, actor=author)
    with pytest.raises(PermissionDenied):
        services.edit_comment(session, comment, body="x", expected_version=comment.version, actor=author,
                              now=utcnow() + timedelta(minutes=31))
    with pytest.raises(PermissionDenied):  # somebody else
        services.edit_comment(session, comment, body="x", expected_version=comment.version,
                              actor=make_user(session))
    add_comment(session, consultation, make_user(session), parent=comment)
    with pytest.raises(Conflict):  # a reply landed while the author was typing: the conflict page, not a refusal
        services.edit_comment(session, comment, body="x", expected_version=comment.version, actor=author)


def test_withdrawal_replaces_the_text_and_keeps_the_replies(session):
    consultation = make_consultation(session)
    author = make_user(session)
    root = add_comment(session, consultation, author, body="Regret this.")
    reply = add_comment(session, consultation, make_user(session), parent=root)
    services.withdraw_comment(session, root, actor=author)
    assert root.status == CommentStatus.WITHDRAWN and root.body_html == "" and root.body_source == ""
    assert session.get(Comment, reply.id).status == CommentStatus.PUBLISHED
    assert session.scalar(select(CommentRevision.body_source).where(CommentRevision.comment_id == root.id)) \
        == "Regret this."
    with pytest.raises(PermissionDenied):
        services.withdraw_comment(session, reply, actor=author)


def test_support_toggles_once_per_user_never_on_ones_own_and_leaves_the_edit_lock_alone(session):
    consultation = make_consultation(session)
    author, fan = make_user(session), make_user(session)
    comment = add_comment(session, consultation, author)
    version = comment.version
    assert services.toggle_support(session, comment, actor=fan) is True
    assert comment.support_count == 1
    assert services.toggle_support(session, comment, actor=fan) is False
    assert comment.support_count == 0
    with pytest.raises(PermissionDenied):
        services.toggle_support(session, comment, actor=author)
    assert comment.version == version  # an author's open edit form is not invalidated


def test_notify_closing_reminds_commenters_and_followers_once(session):
    consultation = make_consultation(session, closes_in=timedelta(days=5))
    far = make_consultation(session, closes_in=timedelta(days=20))
    commenter, follower, bystander = make_user(session), make_user(session), make_user(session)
    add_comment(session, consultation, commenter)
    add_comment(session, far, bystander)
    session.add(Follow(user_id=follower.id, consultation_id=consultation.id))
    session.add(NotificationPreference(user_id=follower.id, email_replies=True, email_closing=False))
    session.flush()
    assert notify_closing(session) == 2
    assert notify_closing(session) == 0
    notified = set(session.scalars(select(Notification.user_id).where(Notification.kind == "closing")))
    assert notified == {commenter.id, follower.id}
    mails = session.scalars(select(OutboxMessage.to_address).where(OutboxMessage.dedupe_key.like("closing:%"))).all()
    assert mails == [commenter.email]


def test_resanitize_rebuilds_html_from_the_source(session):
    consultation = make_consultation(session)
    comment = add_comment(session, consultation, make_user(session), body="**bold**")
    session.execute(Comment.__table__.update().where(Comment.__table__.c.id == comment.id).values(
        body_html="<script>stale</script>", sanitizer_version=0))
    progress = []
    done = services.resanitize_comments(session, batch=1, progress=progress.append)
    session.refresh(comment)
    assert done >= 1 and progress and comment.body_html.strip() == "<p><strong>bold</strong></p>"
