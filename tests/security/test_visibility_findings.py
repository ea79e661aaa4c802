"""Visibility holes found from outside, each pinned by the behaviour a reader
would notice: a restricted summary made public by a later draft, replies to
comments the replier cannot see, summaries of consultations their recipients
cannot read, and the small traces (names, counts, reasons, countries)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.accounts.models import Role, Scope
from app.comments.forms import new_idempotency_key
from app.comments.models import Comment, CommentStatus
from app.consultations.models import Status
from app.core.errors import DomainError
from app.digests.models import Digest
from app.digests.services import queue_due_digests, save_subscription
from app.moderation.models import ModerationDecision, Sanction
from app.summaries import services
from tests.factories import grant, login, make_user
from tests.integration.test_comments_fixtures import add_comment, make_consultation
from tests.integration.test_summaries_support import (
    focal_point,
    moderator,
    open_consultation_with_comments,
    published_summary,
)

CANARY = "CANARY-vis-5e1d"


# --- 1. a restricted summary stays restricted whatever a later draft says ---------------------------

def _restricted_then_unticked(session, client):
    consultation, c = open_consultation_with_comments(session)
    mod = moderator(session)
    published_summary(session, consultation, mod, overall=f"Confidential overview {CANARY}.", restricted=True)
    login(client, mod)
    response = client.post(f"/manage/consultations/{consultation.id}/summary",
                           data={"overall": "A public draft, not yet published.", "restricted": ""})
    assert response.status_code == 302
    client.post("/logout")
    return consultation, c, mod


def test_unticking_restricted_on_a_draft_does_not_publish_the_restricted_revision(session, client):
    consultation, _c, _mod = _restricted_then_unticked(session, client)
    page = client.get(f"/consultations/{consultation.id}/summary")
    assert CANARY not in page.get_data(as_text=True)
    assert page.status_code == 404
    assert client.get(f"/api/v1/consultations/{consultation.id}/summary").status_code == 404
    assert CANARY not in client.get("/regions/OSCE/summaries.atom").get_data(as_text=True)


def test_a_public_revision_after_a_restricted_one_counts_only_public_comments(session, client):
    consultation, c, mod = _restricted_then_unticked(session, client)
    services.publish_summary(session, consultation, change_note="Made public.", actor=mod)
    data = client.get(f"/api/v1/consultations/{consultation.id}/summary").get_json()
    assert data["restricted"] is False and data["revision"] == 2
    public = sum(1 for comment in c.values() if comment.audience == "public")
    assert data["statistics"]["comments"] == public == 4
    page = client.get(f"/consultations/{consultation.id}/summary").get_data(as_text=True)
    assert CANARY not in page and "A public draft, not yet published." in page


def test_a_restricted_revision_cannot_be_forwarded_outside_the_consultations_scope(session, client):
    consultation, _c, mod = _restricted_then_unticked(session, client)
    focal_point(session, Scope.REGION, "AU")
    with pytest.raises(DomainError):
        services.forward_summary(session, consultation, regions=["AU"], countries=[], actor=mod)


# --- 2. replies to a parent the replier may not see ------------------------------------------------

_TOKEN = re.compile(r'name="csrf_token"[^>]*value="[^"]*"|value="[^"]*"[^>]*name="csrf_token"')


def _reply(client, consultation, parent_id, key, action="post"):
    response = client.post(f"/consultations/{consultation.id}/comments/new", data={
        "csrf_token": _csrf(client, consultation), "idempotency_key": key, "parent_id": str(parent_id),
        "section_id": "", "version_id": "", "body": "Probing reply.", "kind": "comment", "audience": "public",
        "language": "en", "organisation_id": "", "action": action})
    # The form echoes the id that was sent; everything else must be the same.
    body = _TOKEN.sub("", response.get_data(as_text=True)).replace(f'value="{parent_id}"', 'value="PARENT"')
    return response.status_code, body


def _csrf(client, consultation) -> str:
    page = client.get(f"/consultations/{consultation.id}/comments/new").get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def test_a_parent_the_replier_cannot_see_is_answered_like_one_that_does_not_exist(session, client):
    consultation = make_consultation(session)
    writer, replier, mod = make_user(session), make_user(session), moderator(session)
    restricted = add_comment(session, consultation, writer, audience="restricted", body="Restricted root.")
    hidden = add_comment(session, consultation, writer, body="Hidden root.")
    hidden.status = CommentStatus.HIDDEN
    session.flush()
    missing = 10**8
    login(client, replier)
    for action in ("preview", "post"):
        key = new_idempotency_key()
        expected = _reply(client, consultation, missing, key, action)
        assert expected[0] == 400
        for parent in (restricted, hidden):
            assert _reply(client, consultation, parent.id, key, action) == expected, (action, parent.status)
    for parent_id in (restricted.id, hidden.id, missing):
        assert client.get(f"/consultations/{consultation.id}/comments/new?parent={parent_id}").status_code == 404
    assert session.scalar(select(func.count()).select_from(Comment).where(Comment.author_id == replier.id)) == 0
    assert mod  # the moderator exists, so the restricted comment has readers


# --- 3. summaries reach only people who may read the consultation ------------------------------------

def test_a_global_moderator_cannot_summarise_or_forward_an_unpublished_consultation(session, client):
    consultation = make_consultation(session, status=Status.DRAFT, opens_in=-timedelta(days=30),
                                     closes_in=-timedelta(days=1))
    consultation.title = f"Unpublished draft {CANARY}"
    mod = moderator(session)
    focal_point(session)
    login(client, mod)
    assert client.get(f"/manage/consultations/{consultation.id}/summary").status_code == 404
    assert client.post(f"/manage/consultations/{consultation.id}/summary/forward",
                       data={"regions": ["OSCE"]}).status_code == 404
    with pytest.raises(DomainError):
        services.save_summary_text(session, consultation, overall="Text.", restricted=False, actor=mod)
    with pytest.raises(DomainError):
        services.forward_summary(session, consultation, regions=["OSCE"], countries=[], actor=mod)


def test_an_invited_only_summary_is_not_forwarded_to_focal_points_who_cannot_read_it(session):
    consultation = make_consultation(session, visibility="invited")
    mod = moderator(session)
    focal_point(session)
    published_summary(session, consultation, mod)
    with pytest.raises(DomainError) as refused:
        services.forward_summary(session, consultation, regions=["OSCE"], countries=[], actor=mod)
    assert refused.value.field == "regions"


def test_digests_leave_out_forwardings_of_consultations_the_reader_can_no_longer_read(session):
    period = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
    consultation, c = open_consultation_with_comments(session)
    consultation.title = f"Later withdrawn {CANARY}"
    mod = moderator(session)
    fp = focal_point(session)
    published_summary(session, consultation, mod, now=period)
    services.forward_summary(session, consultation, regions=["OSCE"], countries=[], actor=mod, now=period)
    consultation.visibility = "invited"  # made invited-only after the forwarding
    session.flush()
    save_subscription(session, fp, regions=["OSCE"], countries=[], obligations=[], frequency="weekly",
                      language="en", actor=fp)
    queue_due_digests(session, now=datetime(2026, 12, 2, 6, 0, tzinfo=UTC))
    bodies = session.scalars(select(Digest.body_text).where(Digest.user_id == fp.id)).all()
    assert all(CANARY not in body for body in bodies)


# --- 4. small traces ----------------------------------------------------------------------------------

def test_the_thread_page_does_not_name_the_author_of_a_root_the_reader_cannot_see(session, client):
    consultation = make_consultation(session)
    starter = make_user(session, display_name=f"Starter {CANARY}")
    root = add_comment(session, consultation, starter, body="Root.")
    reply = add_comment(session, consultation, make_user(session), parent=root, body="A public reply.")
    root.status = CommentStatus.HIDDEN
    session.flush()
    page = client.get(f"/consultations/{consultation.id}/comments/{reply.id}/thread")
    assert page.status_code == 200 and CANARY not in page.get_data(as_text=True)


def test_the_api_counts_and_lists_only_replies_the_pages_show(session, client):
    consultation = make_consultation(session)
    author = make_user(session)
    root = add_comment(session, consultation, author, body="Public root.")
    add_comment(session, consultation, author, parent=root, audience="restricted", body="Restricted reply.")
    hidden_root = add_comment(session, consultation, author, body="Root to hide.")
    orphan = add_comment(session, consultation, make_user(session), parent=hidden_root, body="Public reply.")
    hidden_root.status = CommentStatus.HIDDEN
    session.flush()
    items = client.get(f"/api/v1/consultations/{consultation.id}/comments").get_json()["items"]
    by_id = {item["id"]: item for item in items}
    assert by_id[root.id]["reply_count"] == 0
    assert orphan.id not in by_id
    page = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    assert f'id="comment-{orphan.id}"' not in page


def test_a_consultation_moderator_reads_only_their_consultations_in_a_users_history(session, client):
    mine, elsewhere = make_consultation(session), make_consultation(session)
    author = make_user(session)
    here = add_comment(session, mine, author, body="Here.")
    there = add_comment(session, elsewhere, author, body="There.")
    for comment, text in ((here, "Reason here."), (there, f"Reason elsewhere {CANARY}.")):
        session.add(ModerationDecision(comment_id=comment.id, consultation_id=comment.consultation_id,
                                       subject_id=author.id, action="hide", reason_text=text,
                                       before_status="published", after_status="hidden"))
    session.add(Sanction(user_id=author.id, kind="warning", reason_text=f"Sanction {CANARY}", comment_id=there.id))
    session.flush()
    scoped = make_user(session)
    grant(session, scoped, Role.MODERATOR, Scope.CONSULTATION, str(mine.id))
    login(client, scoped)
    page = client.get(f"/manage/moderation/users/{author.id}").get_data(as_text=True)
    assert "Reason here." in page and CANARY not in page


def test_the_country_filter_lists_only_countries_with_consultations_the_reader_sees(session, client):
    make_consultation(session, country="IS", visibility="invited")
    page = client.get("/consultations").get_data(as_text=True)
    assert 'value="IS"' not in page
    make_consultation(session, country="IS")
    assert 'value="IS"' in client.get("/consultations").get_data(as_text=True)


def test_the_edit_reason_field_says_it_is_published(session, client):
    consultation = make_consultation(session)
    comment = add_comment(session, consultation, make_user(session), body="A comment.")
    mod = moderator(session)
    login(client, mod)
    page = client.get(f"/manage/moderation/comments/{comment.id}").get_data(as_text=True)
    assert "published with the comment for every reader" in page
