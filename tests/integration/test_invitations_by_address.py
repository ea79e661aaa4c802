"""Inviting by e-mail address: the author learns nothing about who is registered,
every address gets its invitation, and the address's owner takes part once
the address is verified, whether the account existed before or not."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.consultations import sharing
from app.consultations.models import Invitation
from app.core.mail import deliver_due
from app.core.models import AuditEntry
from tests.factories import DEFAULT_PASSWORD, login, make_user
from tests.integration.test_accounts_helpers import fresh_client, path_of, user_by_email
from tests.integration.test_comments_fixtures import form_data
from tests.integration.test_consultations_support import make_author, make_consultation
from tests.security.test_permissions import suite_engine  # noqa: F401 - autouse: the suite's database


def _invited_only(session, author, **overrides):
    return make_consultation(session, author, visibility="invited", open_now=True, **overrides)


def _same_page(page: str, address: str, invitation: Invitation) -> str:
    """The page with what legitimately differs between two invitations made the
    same way: the address typed, the invitation's id and the signed CSRF token."""
    page = page.replace(address, "ADDRESS")
    page = page.replace(f"/invitations/{invitation.id}/", "/invitations/ID/")
    return re.sub(r'(name="csrf_token"[^>]*value=)"[^"]+"', r'\1"TOKEN"', page)


def _invite_and_look(client, session, consultation, typed: str) -> tuple[int, str, str, str]:
    response = client.post(f"/manage/consultations/{consultation.id}/invitations", data={"email": typed})
    page = client.get(response.location).get_data(as_text=True) if response.status_code == 302 else ""
    invitation = session.scalars(select(Invitation).where(Invitation.consultation_id == consultation.id)
                                 .order_by(Invitation.id.desc())).first()
    address = typed.strip().lower()
    return (response.status_code, response.location or "", _same_page(response.get_data(as_text=True), address,
                                                                        invitation),
            _same_page(page, address, invitation))


def test_the_author_sees_the_same_answer_for_a_registered_and_an_unknown_address(app, session):
    author = make_author(session)
    consultation = _invited_only(session, author)
    make_user(session, email="Registered.Person@example.org", display_name="Revealing Display Name")
    client = fresh_client(app)
    login(client, author)
    client.get(f"/manage/consultations/{consultation.id}")  # shows "You are signed in." once

    registered = _invite_and_look(client, session, consultation, "registered.person@EXAMPLE.org")
    remove = session.scalar(select(Invitation).where(Invitation.consultation_id == consultation.id))
    client.post(f"/manage/consultations/{consultation.id}/invitations/{remove.id}/delete", follow_redirects=True)
    unknown = _invite_and_look(client, session, consultation, "nobody.here@EXAMPLE.org")

    assert registered[0] == unknown[0] == 302
    assert registered == unknown  # status, redirect, body and the page it leads to, byte for byte
    page = registered[3]
    assert "Invitation sent to ADDRESS." in page and '<li class="mb-2">ADDRESS' in page
    assert "Revealing Display Name" not in page and "Registered.Person" not in page

    again = client.post(f"/manage/consultations/{consultation.id}/invitations",
                                   data={"email": "NOBODY.here@example.org"})
    assert again.status_code == 409 and "nobody.here@example.org is already invited." in (
        again.get_data(as_text=True))


def test_both_addresses_get_an_invitation_through_real_smtp(app, session, mail):
    author = make_author(session)
    consultation = _invited_only(session, author, title="Invited bill 51c2")
    owner = make_user(session, email="Owner.Of.Account@example.org", display_name="Owner")
    client = fresh_client(app)
    login(client, author)
    for typed in ("owner.of.account@example.org", "Stranger@Example.org"):
        assert client.post(f"/manage/consultations/{consultation.id}/invitations",
                           data={"email": typed}).status_code == 302

    deliver_due(session)

    [to_owner] = mail.to(owner.email)
    [to_stranger] = mail.to("Stranger@example.org")
    assert to_owner["Subject"] == to_stranger["Subject"] == "You are invited to comment on “Invited bill 51c2”"
    assert [path_of(x, app) for x in mail.links_in(to_owner)] == [f"/consultations/{consultation.id}"]
    assert [path_of(x, app) for x in mail.links_in(to_stranger)] == ["/register"]
    assert "create an account with this e-mail address (stranger@example.org)" in mail.text_of(to_stranger)


def test_an_unknown_address_registers_verifies_and_then_reads_and_comments(app, session, mail):
    author = make_author(session)
    consultation = _invited_only(session, author, title="Invited bill 9e1d")
    sharing.invite(session, consultation, email="Newcomer@Example.org", actor=author)
    url = f"/consultations/{consultation.id}"
    section = consultation.current_version.sections[0]

    newcomer = fresh_client(app)
    assert newcomer.post("/register", data={"email": "newcomer@example.org", "display_name": "Newcomer",
                                            "password": DEFAULT_PASSWORD, "accept_terms": "y"}).status_code == 302
    login(newcomer, user_by_email(session, "newcomer@example.org"))
    assert newcomer.get(url).status_code == 404  # not before the address is confirmed
    assert "Invited bill 9e1d" not in newcomer.get("/consultations").get_data(as_text=True)

    deliver_due(session)
    [verify] = [x for m in mail.to("newcomer@example.org") for x in mail.links_in(m) if "/verify-email/" in x]
    assert newcomer.get(path_of(verify, app)).status_code == 200

    assert newcomer.get(url).status_code == 200
    assert "Invited bill 9e1d" in newcomer.get("/consultations").get_data(as_text=True)
    posted = newcomer.post(f"{url}/comments/new", data=form_data(consultation, section=section,
                                                                 body="Transit needs a licence too."))
    assert posted.status_code == 302 and posted.location.endswith("/receipt")

    outsider = fresh_client(app)
    login(outsider, make_user(session))  # verified, not invited
    assert outsider.get(url).status_code == 404
    assert outsider.post(f"{url}/comments/new", data=form_data(
        consultation, section=section, body="Let me in.")).status_code in (403, 404)
    assert "Invited bill 9e1d" not in outsider.get("/consultations").get_data(as_text=True)


def test_someone_who_registers_an_invited_address_but_never_confirms_it_sees_nothing(app, session):
    author = make_author(session)
    consultation = _invited_only(session, author)
    sharing.invite(session, consultation, email="victim@example.org", actor=author)
    squatter = fresh_client(app)
    login(squatter, make_user(session, email="Victim@example.org", verified=False))
    assert squatter.get(f"/consultations/{consultation.id}").status_code == 404


def test_removing_an_address_invitation_takes_the_access_back_and_the_audit_names_no_account(app, session):
    author = make_author(session)
    consultation = _invited_only(session, author)
    guest = make_user(session, email="guest.person@example.org")
    client = fresh_client(app)
    login(client, author)
    client.post(f"/manage/consultations/{consultation.id}/invitations", data={"email": "Guest.Person@example.org"})
    invitation = session.scalar(select(Invitation).where(Invitation.consultation_id == consultation.id))
    reader = fresh_client(app)
    login(reader, guest)
    assert reader.get(f"/consultations/{consultation.id}").status_code == 200

    removed = client.post(f"/manage/consultations/{consultation.id}/invitations/{invitation.id}/delete",
                          follow_redirects=True)
    assert "Invitation removed." in removed.get_data(as_text=True)
    assert reader.get(f"/consultations/{consultation.id}").status_code == 404

    entries = session.scalars(select(AuditEntry).where(
        AuditEntry.action.in_(("consultation.invited", "consultation.invitation_removed")),
        AuditEntry.target_id == str(consultation.id)).order_by(AuditEntry.id)).all()
    assert [(e.action, e.after or e.before) for e in entries] == [
        ("consultation.invited", {"email": "guest.person@example.org"}),
        ("consultation.invitation_removed", {"email": "guest.person@example.org"})]
