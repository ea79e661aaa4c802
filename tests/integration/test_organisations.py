"""Organisations: register, edit, list, join, decide, remove — through the pages."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.accounts.models import Membership, Organisation, OrganisationKind, Role
from app.core.mail import deliver_due
from app.core.models import AuditEntry
from tests.conftest import CORPORA
from tests.factories import grant, login, make_organisation, make_user


def unique(prefix: str = "Org") -> str:
    return f"{prefix} {uuid.uuid4().hex[:10]}"


def form(**overrides) -> dict[str, str]:
    data = {"name": unique("Centre for Export Control Studies"), "kind": OrganisationKind.THINK_TANK,
            "country_code": "AT", "website": "https://ecs.example.org", "description": "We study export controls."}
    data.update(overrides)
    return data


def organisation_named(session, name: str) -> Organisation | None:
    session.expire_all()
    return session.scalar(select(Organisation).where(Organisation.name == name))


def audit_actions(session, organisation: Organisation) -> list[str]:
    return list(session.scalars(select(AuditEntry.action).where(
        AuditEntry.target_type == "Organisation", AuditEntry.target_id == str(organisation.id))
        .order_by(AuditEntry.id)))


def text_of(response) -> str:
    return response.get_data(as_text=True)


# --- registering and editing ------------------------------------------------------------

def test_registering_an_organisation_makes_the_creator_its_representative(session, client):
    creator = make_user(session)
    login(client, creator)
    data = form()
    response = client.post("/organisations/new", data=data)
    assert response.status_code == 302
    organisation = organisation_named(session, data["name"])
    assert response.headers["Location"].endswith(f"/organisations/{organisation.id}")
    [membership] = organisation.memberships
    assert (membership.user_id, membership.role, membership.status) == (
        creator.id, Membership.REPRESENTATIVE, Membership.ACTIVE)
    assert not organisation.is_verified
    assert audit_actions(session, organisation) == ["organisation.create"]

    page = text_of(client.get(response.headers["Location"]))
    assert data["name"] in page
    assert "Think tank" in page and "think_tank" not in page  # the translated label, not the code
    assert "Austria" in page
    assert "Not yet verified" in page
    assert "You represent this organisation." in page
    assert "is registered, and you are its representative" in page  # the flash message


def test_a_name_taken_in_another_letter_case_is_an_error_on_the_name_field(session, client):
    existing = make_organisation(session, name=unique("Verification Research Centre"))
    login(client, make_user(session))
    data = form(name=existing.name.upper(), website="https://kept.example.org")
    response = client.post("/organisations/new", data=data)
    assert response.status_code == 409  # Conflict: the name is taken
    page = text_of(response)
    assert 'id="name-error"' in page and "already registered" in page
    assert 'href="#name"' in page  # the error summary links to the field
    assert 'value="https://kept.example.org"' in page  # the rest of the input is kept
    session.expire_all()
    assert session.scalar(select(func.count(Organisation.id)).where(
        func.lower(Organisation.name) == existing.name.lower())) == 1


@pytest.mark.parametrize("website", [
    "javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "ftp://files.example.org",
    "example.org", "https://", "http://localhost", "https://exa mple.org", "//example.org/path",
])
def test_a_website_that_is_not_an_http_address_is_an_error_on_its_field(session, client, website):
    login(client, make_user(session))
    data = form(website=website)
    response = client.post("/organisations/new", data=data)
    assert response.status_code == 422  # the form does not validate
    page = text_of(response)
    assert 'id="website-error"' in page and "http://" in page
    assert organisation_named(session, data["name"]) is None


def test_the_description_is_plain_text_shown_escaped_with_its_line_breaks(session, client):
    login(client, make_user(session))
    data = form(description="First line\nsecond line <script>alert(1)</script>\n\nA new paragraph")
    location = client.post("/organisations/new", data=data).headers["Location"]
    page = text_of(client.get(location))
    assert "<p>First line<br>second line &lt;script&gt;alert(1)&lt;/script&gt;</p>" in page
    assert "<p>A new paragraph</p>" in page
    assert "<script>alert(1)" not in page


def test_control_characters_are_dropped_from_what_people_type(session, client):
    login(client, make_user(session))
    name = unique("Nul\x00Byte\x1b Institute")
    data = form(name=name, description="line\x00one\r\nline two", website="https://ex\x00ample.org")
    assert client.post("/organisations/new", data=data).status_code == 302
    organisation = organisation_named(session, name.replace("\x00", "").replace("\x1b", ""))
    assert organisation.description == "lineone\nline two"
    assert organisation.website == "https://example.org"
    assert client.get("/organisations", query_string={"q": "\x00"}).status_code == 200


def test_a_hostile_name_is_shown_as_text_everywhere(session, client):
    name = unique('<img src=x onerror="alert(1)">')
    make_organisation(session, name=name)
    for path in ("/organisations", f"/organisations?q={name[:10]}"):
        page = text_of(client.get(path))
        assert "<img src=x" not in page
    organisation = organisation_named(session, name)
    assert "&lt;img src=x onerror=" in text_of(client.get(f"/organisations/{organisation.id}"))


def test_the_representative_edits_the_profile_and_the_change_is_audited(session, client):
    representative = make_user(session)
    organisation = make_organisation(session, representative=representative, kind=OrganisationKind.NGO)
    login(client, representative)
    assert client.get(f"/organisations/{organisation.id}/edit").status_code == 200
    new_name = unique("Renamed Institute")
    response = client.post(f"/organisations/{organisation.id}/edit",
                           data=form(name=new_name, kind=OrganisationKind.ACADEMIA, country_code=""))
    assert response.status_code == 302
    session.expire_all()
    assert (organisation.name, organisation.kind, organisation.country_code) == (
        new_name, OrganisationKind.ACADEMIA, None)
    entry = session.scalar(select(AuditEntry).where(
        AuditEntry.action == "organisation.update", AuditEntry.target_id == str(organisation.id)))
    assert entry.actor_id == representative.id
    assert entry.after["name"] == new_name and entry.before["kind"] == OrganisationKind.NGO


def test_someone_else_cannot_edit_the_profile(session, client):
    organisation = make_organisation(session, representative=make_user(session))
    outsider = make_user(session)
    member = make_user(session)
    session.add(Membership(user_id=member.id, organisation_id=organisation.id, status=Membership.ACTIVE))
    session.flush()
    for person in (outsider, member):
        login(client, person)
        assert client.get(f"/organisations/{organisation.id}/edit").status_code == 403
        response = client.post(f"/organisations/{organisation.id}/edit", data=form(name="Hijacked"))
        assert response.status_code == 403
    assert organisation_named(session, "Hijacked") is None


def test_an_admin_may_edit_any_profile(session, client):
    admin = make_user(session)
    grant(session, admin, Role.ADMIN)
    organisation = make_organisation(session, representative=make_user(session))
    login(client, admin)
    new_name = unique("Edited by an administrator")
    assert client.post(f"/organisations/{organisation.id}/edit", data=form(name=new_name)).status_code == 302
    assert organisation_named(session, new_name) is not None


def test_forged_organisation_ids_are_not_found(session, client):
    login(client, make_user(session))
    for path in ("/organisations/987654321", "/organisations/987654321/edit", "/organisations/987654321/members"):
        assert client.get(path).status_code == 404, path
    assert client.post("/organisations/987654321/join").status_code == 404


def test_the_demo_states_can_be_chosen_once_loaded(session, client):
    from app.geography.services import load_demo_states

    load_demo_states(session, Path(client.application.config["DATA_DIR"]) / "demo_states.yaml")
    login(client, make_user(session))
    assert '<option value="XV">Republic of Valdoria</option>' in text_of(client.get("/organisations/new"))
    data = form(country_code="XV")
    assert client.post("/organisations/new", data=data).status_code == 302
    assert organisation_named(session, data["name"]).country_code == "XV"


# --- joining ------------------------------------------------------------------------------

def _org_with_representative(session, **kwargs):
    representative = make_user(session, email=f"rep-{uuid.uuid4().hex[:8]}@example.org")
    organisation = make_organisation(session, name=unique("Nuclear Security Network"),
                                     representative=representative, **kwargs)
    return organisation, representative


def test_join_request_accepted_by_the_representative_with_e_mails_both_ways(session, client, mail):
    organisation, representative = _org_with_representative(session)
    requester = make_user(session, email=f"asker-{uuid.uuid4().hex[:8]}@example.org", display_name="Rosa Asker")

    login(client, requester)
    response = client.post(f"/organisations/{organisation.id}/join", follow_redirects=True)
    assert "Your request to join" in text_of(response)
    assert "You asked to join" in text_of(response)
    membership = session.scalar(select(Membership).where(Membership.user_id == requester.id))
    assert membership.status == Membership.PENDING

    deliver_due(session)
    [notice] = mail.to(representative.email)
    assert "Rosa Asker" in notice["Subject"]
    assert any(link.endswith(f"/organisations/{organisation.id}/members") for link in mail.links_in(notice))

    login(client, representative)
    members_page = text_of(client.get(f"/organisations/{organisation.id}/members"))
    assert "Rosa Asker" in members_page and "Accept" in members_page
    response = client.post(f"/organisations/{organisation.id}/members/{membership.id}/accept")
    assert response.status_code == 302
    session.expire_all()
    assert membership.status == Membership.ACTIVE and membership.decided_at is not None

    deliver_due(session)
    [decision] = mail.to(requester.email)
    assert "You are now a member of" in decision["Subject"]
    assert "accepted your request" in mail.text_of(decision)
    assert [a.action for a in session.scalars(select(AuditEntry).where(
        AuditEntry.target_type == "Organisation", AuditEntry.target_id == str(organisation.id)))] == [
        "membership.accept"]

    login(client, requester)
    page = text_of(client.get(f"/organisations/{organisation.id}"))
    assert "You are a member of this organisation." in page
    assert representative.display_name in page  # members see the members


def test_a_declined_request_is_removed_and_the_requester_told(session, client, mail):
    organisation, representative = _org_with_representative(session)
    requester = make_user(session, email=f"declined-{uuid.uuid4().hex[:8]}@example.org")
    login(client, requester)
    client.post(f"/organisations/{organisation.id}/join")
    membership = session.scalar(select(Membership).where(Membership.user_id == requester.id))

    login(client, representative)
    response = client.post(f"/organisations/{organisation.id}/members/{membership.id}/decline",
                           follow_redirects=True)
    assert "is declined" in text_of(response)
    session.expire_all()
    assert session.scalar(select(Membership).where(Membership.user_id == requester.id)) is None
    deliver_due(session)
    [decision] = mail.to(requester.email)
    assert "was declined" in decision["Subject"]

    login(client, requester)  # and may ask again later
    assert "Ask to join" in text_of(client.get(f"/organisations/{organisation.id}"))


def test_asking_twice_keeps_one_request(session, client):
    organisation, _ = _org_with_representative(session)
    requester = make_user(session)
    login(client, requester)
    client.post(f"/organisations/{organisation.id}/join")
    response = client.post(f"/organisations/{organisation.id}/join", follow_redirects=True)
    assert "already asked to join" in text_of(response)
    session.expire_all()
    assert session.scalar(select(func.count(Membership.id)).where(Membership.user_id == requester.id)) == 1


def test_members_cannot_decide_on_requests_or_see_the_members_page(session, client):
    organisation, _ = _org_with_representative(session)
    member, requester = make_user(session), make_user(session)
    session.add_all([
        Membership(user_id=member.id, organisation_id=organisation.id, status=Membership.ACTIVE),
        pending := Membership(user_id=requester.id, organisation_id=organisation.id, status=Membership.PENDING),
    ])
    session.flush()
    login(client, member)
    assert client.get(f"/organisations/{organisation.id}/members").status_code == 403
    assert client.post(f"/organisations/{organisation.id}/members/{pending.id}/accept").status_code == 403
    session.expire_all()
    assert pending.status == Membership.PENDING


def test_a_membership_of_another_organisation_is_not_found_here(session, client):
    mine, representative = _org_with_representative(session)
    theirs, _ = _org_with_representative(session)
    stranger = make_user(session)
    foreign = Membership(user_id=stranger.id, organisation_id=theirs.id, status=Membership.PENDING)
    session.add(foreign)
    session.flush()
    login(client, representative)
    for action in ("accept", "decline", "remove"):
        response = client.post(f"/organisations/{mine.id}/members/{foreign.id}/{action}")
        assert response.status_code == 404, action
    session.expire_all()
    assert foreign.status == Membership.PENDING


def test_the_representative_removes_a_member_but_not_the_last_representative(session, client):
    organisation, representative = _org_with_representative(session)
    member = make_user(session, display_name="Member To Remove")
    membership = Membership(user_id=member.id, organisation_id=organisation.id, status=Membership.ACTIVE)
    session.add(membership)
    session.flush()
    membership_id = membership.id
    login(client, representative)
    response = client.post(f"/organisations/{organisation.id}/members/{membership_id}/remove", follow_redirects=True)
    assert "Member To Remove is no longer a member." in text_of(response)
    session.expire_all()
    assert session.scalar(select(Membership).where(Membership.id == membership_id)) is None

    admin = make_user(session)
    grant(session, admin, Role.ADMIN)
    rep_membership = session.scalar(select(Membership).where(Membership.user_id == representative.id))
    login(client, admin)
    response = client.post(f"/organisations/{organisation.id}/members/{rep_membership.id}/remove",
                           follow_redirects=True)
    assert "only representative cannot be removed" in text_of(response)
    session.expire_all()
    assert session.get(Membership, rep_membership.id) is not None


def test_visitors_see_how_many_members_but_not_who(session, client):
    organisation, representative = _org_with_representative(session)
    member = make_user(session, display_name="Quiet Member")
    session.add(Membership(user_id=member.id, organisation_id=organisation.id, status=Membership.ACTIVE))
    session.flush()
    page = text_of(client.get(f"/organisations/{organisation.id}"))
    assert "2 members" in page and "1 representative" in page
    assert "Quiet Member" not in page and representative.display_name not in page
    assert "Sign in to ask to join" in page

    login(client, make_user(session))  # a signed-in outsider does not see them either
    page = text_of(client.get(f"/organisations/{organisation.id}"))
    assert "Quiet Member" not in page and "Ask to join" in page


# --- the list -------------------------------------------------------------------------------

def test_the_list_searches_filters_and_paginates_keeping_the_filters(session, client):
    tag = uuid.uuid4().hex[:8]
    for n in range(23):
        make_organisation(session, name=f"Biosecurity Forum {tag} {n:02d}", kind=OrganisationKind.NGO,
                          country_code="FR", verified=n % 2 == 0)
    make_organisation(session, name=f"Biosecurity Forum {tag} university", kind=OrganisationKind.ACADEMIA,
                      country_code="DE")

    page1 = text_of(client.get(f"/organisations?q=BIOSECURITY+forum+{tag}&kind=ngo"))
    assert "Showing 1–20 of 23" in page1
    assert f"Biosecurity Forum {tag} 00" in page1 and f"Biosecurity Forum {tag} 20" not in page1
    assert "university" not in page1
    assert "Verified by the platform" in page1 and "Not yet verified" in page1
    next_link = re.search(r'href="([^"]+)" rel="next"', page1).group(1).replace("&amp;", "&")
    assert "kind=ngo" in next_link and "page=2" in next_link and tag in next_link

    page2 = text_of(client.get(next_link))
    assert "Showing 21–23 of 23" in page2 and f"Biosecurity Forum {tag} 22" in page2

    by_country = text_of(client.get(f"/organisations?q={tag}&country=DE"))
    assert f"Biosecurity Forum {tag} university" in by_country and "Showing 1–1 of 1" in by_country


def test_the_list_says_what_to_do_when_nothing_matches(client):
    page = text_of(client.get(f"/organisations?q=no-such-organisation-{uuid.uuid4().hex}"))
    assert "No organisation matches this search" in page
    assert "Clear the search and filters" in page


def test_the_list_query_count_does_not_grow_with_the_organisations_shown(session, client, query_counter):
    def count_for(n: int) -> int:
        tag = uuid.uuid4().hex[:8]
        for i in range(n):
            make_organisation(session, name=f"Counted {tag} {i}", representative=make_user(session))
        with query_counter() as counter:
            assert client.get(f"/organisations?q={tag}").status_code == 200
        return counter.count

    assert count_for(2) == count_for(15)


def test_the_profile_query_count_does_not_grow_with_the_members(session, client, query_counter):
    def count_for(n: int) -> int:
        organisation = make_organisation(session, representative=make_user(session),
                                         members=tuple(make_user(session) for _ in range(n)))
        with query_counter() as counter:
            assert client.get(f"/organisations/{organisation.id}").status_code == 200
        return counter.count

    assert count_for(1) == count_for(12)


def _corpus_lines(relative: str, limit: int) -> list[str]:
    lines = (CORPORA / relative).read_text(encoding="utf-8", errors="replace").splitlines()
    chosen = [line for line in lines if line.strip() and "\x00" not in line][:limit]
    assert chosen, f"corpus {relative} is empty"
    return chosen


def test_hostile_search_and_page_input_never_breaks_the_list(client):
    for payload in _corpus_lines("payloadsallthethings/sqli/Generic_Fuzz.txt", 80):
        for query in ({"q": payload}, {"kind": payload, "country": payload}, {"q": "a", "page": payload}):
            response = client.get("/organisations", query_string=query)
            assert response.status_code == 200, query
            page = text_of(response).lower()
            assert "syntax error" not in page and "operationalerror" not in page and "traceback" not in page
    for page in ("-1", "0", "abc", "99999999999999999999", "1e3"):
        assert client.get("/organisations", query_string={"page": page}).status_code == 200
