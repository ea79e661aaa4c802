"""A person's data: a copy built in the background and sent as a 24-hour
link, and closing an account (at once, sessions end, name and address
erased, comments kept as a former participant's unless the person asks the
moderators to remove them), by the person or by an administrator; the audit
chain still verifies afterwards."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.accounts import access_tokens
from app.accounts.models import Role, User
from app.accounts.personal_models import DataExport, PersonalToken, TokenScope
from app.comments.models import Notification
from app.core.audit import verify_chain
from app.core.db import utcnow
from app.core.errors import DomainError
from app.moderation.models import Flag, FlagReason
from app.privacy import jobs, services
from tests.factories import DEFAULT_PASSWORD, grant, login, make_user
from tests.integration.test_accounts_helpers import audit_actions, link_in, outbox, path_of
from tests.integration.test_comments_fixtures import add_comment, make_consultation
from tests.integration.test_summaries_support import focal_point


def _person_with_a_comment(session, **kwargs):
    consultation = make_consultation(session)
    person = make_user(session, display_name="Petra Private", email="petra@example.org", **kwargs)
    comment = add_comment(session, consultation, person, body="Brokering needs a licence.")
    return consultation, person, comment


def test_a_person_asks_for_a_copy_and_downloads_it_from_the_e_mailed_link(app, session, client):
    consultation, person, comment = _person_with_a_comment(session)
    login(client, person)
    assert client.post("/account/data/export").status_code == 302
    assert client.post("/account/data/export").status_code == 302  # a waiting request is not doubled
    export, = session.scalars(select(DataExport).where(DataExport.user_id == person.id)).all()
    assert export.status == DataExport.PENDING
    assert "Being prepared" in client.get("/account/data").get_data(as_text=True)

    assert jobs.build_due_exports(session) == 1
    session.refresh(export)
    assert export.status == DataExport.READY and export.expires_at > utcnow() + timedelta(hours=23)
    message, = [m for m in outbox(session, to="petra@example.org") if "data" in m.subject]
    assert "token" not in message.body_text or "__sealed_token__" in message.body_text

    client.post("/logout")
    response = client.get(path_of(link_in(message, "/account/data/exports/"), app))
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = set(archive.namelist())
    assert {"account.json", "comments.json", "memberships.json", "role_grants.json", "supports.json",
            "flags.json", "notifications.json", "digests.json", "subscriptions.json",
            "forwardings_received.json", "sign_in.json", "audit_entries.json"} <= names
    account = json.loads(archive.read("account.json"))
    assert account["email"] == "petra@example.org" and "password_hash" not in account
    comments = json.loads(archive.read("comments.json"))
    assert [c["id"] for c in comments] == [comment.id] and comments[0]["body_source"] == "Brokering needs a licence."
    assert "revisions" in comments[0]
    session.refresh(export)
    assert export.downloaded_at is not None


def test_a_download_link_expires_after_a_day_and_cannot_be_forged(app, session, client):
    _c, person, _comment = _person_with_a_comment(session)
    services.request_export(session, person, actor=person)
    jobs.build_due_exports(session)
    export = session.scalar(select(DataExport).where(DataExport.user_id == person.id))
    old = services.download_token(export, now=utcnow() - timedelta(hours=25))
    assert client.get(f"/account/data/exports/{export.id}/{old}").status_code == 410
    other = make_user(session)
    services.request_export(session, other, actor=other)
    jobs.build_due_exports(session)
    theirs = session.scalar(select(DataExport).where(DataExport.user_id == other.id))
    # A valid link for one export never opens another.
    assert client.get(f"/account/data/exports/{theirs.id}/{services.download_token(export)}").status_code == 400
    assert client.get(f"/account/data/exports/{export.id}/not-a-token").status_code == 400
    assert client.get(f"/account/data/exports/{export.id}/{services.download_token(export)}").status_code == 200
    # After 24 hours the archive itself is dropped.
    services.expire_exports(session, now=utcnow() + timedelta(hours=25))
    session.refresh(export)
    assert export.status == DataExport.EXPIRED and export.archive is None
    assert client.get(f"/account/data/exports/{export.id}/{services.download_token(export)}").status_code == 410


def test_deleting_my_account_closes_it_at_once_and_keeps_my_comments_as_a_former_participants(session, client):
    consultation, person, comment = _person_with_a_comment(session)
    _t, raw = access_tokens.create_token(session, person, name="x", scope=TokenScope.READ_AS_ME,
                                         expires_in_days=30, actor=person)
    login(client, person)
    copied_cookie = client.get_cookie("agora_session").value
    response = client.post("/account/delete", data={"password": DEFAULT_PASSWORD, "confirm": "y"})
    assert response.status_code == 302

    session.expire_all()
    user = session.get(User, person.id)
    assert user.status == User.CLOSED and user.erased_at is not None
    assert user.display_name == services.FORMER_PARTICIPANT and user.email.endswith("@erased.invalid")
    assert "petra" not in user.email
    assert session.scalars(select(PersonalToken).where(PersonalToken.user_id == person.id)).all() == []

    # Sessions end: the old cookie opens nothing; the old password signs nobody in.
    client.set_cookie("agora_session", copied_cookie)
    assert client.get("/account").status_code == 302
    assert client.post("/login", data={"email": "petra@example.org", "password": DEFAULT_PASSWORD}).status_code != 302
    assert client.get("/api/v1/consultations", headers={"Authorization": f"Bearer {raw}"}).status_code == 401

    page = client.get(f"/consultations/{consultation.id}").get_data(as_text=True)
    api = client.get(f"/api/v1/consultations/{consultation.id}/comments").get_data(as_text=True)
    for body in (page, api):
        assert "Brokering needs a licence." in body and "Former participant" in body
        assert "Petra Private" not in body
    assert "user.erase" in audit_actions(session, user)
    assert verify_chain(session).ok


def test_asking_for_removal_of_comments_puts_each_to_the_moderators_with_the_reason(session, client):
    consultation, person, comment = _person_with_a_comment(session)
    second = add_comment(session, consultation, person, body="And transit too.")
    login(client, person)
    refused = client.post("/account/delete", data={"password": DEFAULT_PASSWORD, "confirm": "y",
                                                   "remove_comments": "y", "removal_reason": ""})
    assert refused.status_code == 400 and session.get(User, person.id).erased_at is None
    assert client.post("/account/delete", data={"password": DEFAULT_PASSWORD, "confirm": "y", "remove_comments": "y",
                                                "removal_reason": "My employer objects."}).status_code == 302
    flags = session.scalars(select(Flag).where(Flag.user_id == person.id)).all()
    assert sorted(f.comment_id for f in flags) == sorted([comment.id, second.id])
    assert {f.reason for f in flags} == {FlagReason.PERSONAL_DATA}
    assert {f.text for f in flags} == {"My employer objects."}
    assert "user.request_comment_removal" in audit_actions(session, session.get(User, person.id))
    assert verify_chain(session).ok


def test_a_wrong_password_or_a_missing_confirmation_changes_nothing(session, client):
    _c, person, _comment = _person_with_a_comment(session)
    login(client, person)
    assert client.post("/account/delete", data={"password": "wrong", "confirm": "y"}).status_code == 400
    assert client.post("/account/delete", data={"password": DEFAULT_PASSWORD}).status_code == 400
    session.expire_all()
    assert session.get(User, person.id).status == User.ACTIVE
    assert client.get("/account").status_code == 200


def test_erasure_removes_roles_subscriptions_and_notifications(session):
    person = focal_point(session, email="fp@example.org")
    session.add(Notification(user_id=person.id, kind="reply", dedupe_key="n1"))
    session.flush()
    services.erase_account(session, person, actor=person)
    session.expire_all()
    assert session.get(User, person.id).grants == []
    assert session.scalars(select(Notification).where(Notification.user_id == person.id)).all() == []


def test_the_last_administrator_cannot_be_erased(session):
    admin = make_user(session)
    grant(session, admin, Role.ADMIN)
    with pytest.raises(DomainError):
        services.erase_account(session, admin, actor=admin)
    assert session.get(User, admin.id).erased_at is None
    grant(session, make_user(session), Role.ADMIN)
    services.erase_account(session, admin, actor=admin)
    assert session.get(User, admin.id).status == User.CLOSED


def test_an_administrator_sends_a_copy_and_closes_an_account_on_a_persons_letter(app, session, client):
    admin = make_user(session)
    grant(session, admin, Role.ADMIN)
    consultation, person, comment = _person_with_a_comment(session)
    login(client, admin)
    page = client.get(f"/manage/admin/users/{person.id}").get_data(as_text=True)
    assert f"/manage/admin/users/{person.id}/erase" in page
    assert client.post(f"/manage/admin/users/{person.id}/data-export").status_code == 302
    export = session.scalar(select(DataExport).where(DataExport.user_id == person.id))
    assert export.requested_by_id == admin.id

    assert client.post(f"/manage/admin/users/{person.id}/erase", data={"confirm": "y"}).status_code == 400
    assert client.post(f"/manage/admin/users/{person.id}/erase",
                       data={"note": "Letter of 2026-12-01, ref. 42", "confirm": "y"}).status_code == 302
    session.expire_all()
    user = session.get(User, person.id)
    assert user.erased_at is not None and user.display_name == services.FORMER_PARTICIPANT
    assert "This account was closed" in client.get(f"/manage/admin/users/{person.id}").get_data(as_text=True)
    assert client.post(f"/manage/admin/users/{person.id}/erase",
                       data={"note": "again", "confirm": "y"}).status_code == 400
    assert verify_chain(session).ok


def test_the_worker_builds_waiting_exports(app, session):
    _c, person, _comment = _person_with_a_comment(session)
    export = services.request_export(session, person, actor=person)
    session.commit()
    result = app.test_cli_runner().invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "jobs 1" in result.output
    session.expire_all()
    assert session.get(DataExport, export.id).status == DataExport.READY


def test_an_erased_account_cannot_be_reactivated(session, client):
    admin = make_user(session)
    grant(session, admin, Role.ADMIN)
    _c, person, _comment = _person_with_a_comment(session)
    services.erase_account(session, person, actor=admin)
    login(client, admin)
    response = client.post(f"/manage/admin/users/{person.id}/reactivate", data={"reactivate-reason": "mistake"})
    assert response.status_code in (302, 409)
    session.expire_all()
    assert session.get(User, person.id).status == User.CLOSED
