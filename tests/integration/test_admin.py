"""The administration pages: users and roles, verification, outbox, audit log."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import delete, select, text

from app.accounts import roles
from app.accounts.models import Organisation, Role, RoleGrant, Scope, User
from app.admin.export import csv_safe
from app.admin.queries import admin_counts
from app.core.audit import record
from app.core.db import utcnow
from app.core.errors import DomainError
from app.core.mail import deliver_due, queue_email
from app.core.models import AuditEntry, OutboxMessage
from tests.conftest import CORPORA
from tests.factories import grant, login, make_organisation, make_user

FORMULA_PAYLOADS = CORPORA / "payloadsallthethings" / "csv_injection" / "csv_formula_payloads.txt"


def tag() -> str:
    return uuid.uuid4().hex[:10]


@pytest.fixture()
def admin(session, client):
    person = make_user(session, display_name="Admin Person")
    grant(session, person, Role.ADMIN)
    assert login(client, person).status_code == 302
    return person


def text_of(response) -> str:
    return response.get_data(as_text=True)


def audit_of(session, action: str, target) -> list[AuditEntry]:
    session.expire_all()
    return list(session.scalars(select(AuditEntry).where(
        AuditEntry.action == action, AuditEntry.target_id == str(target.id)).order_by(AuditEntry.id)))


# --- overview and users -----------------------------------------------------------------

def test_the_overview_counts_what_needs_attention(session, client, admin):
    before = admin_counts(session)
    make_user(session, status=User.SUSPENDED)
    make_organisation(session, verified=False)
    page = text_of(client.get("/manage/admin/"))
    assert f"{before.users + 1} accounts" in page
    assert f"{before.suspended_users + 1} suspended or banned" in page
    assert f"{before.awaiting_verification + 1} awaiting verification" in page


def test_users_are_found_by_part_of_their_name_or_address_and_paginated(session, client, admin):
    marker = tag()
    for n in range(27):
        make_user(session, email=f"person{n:02d}.{marker}@example.org", display_name=f"Person {n:02d} {marker}")
    make_user(session, email=f"suspended.{marker}@example.org", display_name=f"Zed {marker}", status=User.SUSPENDED)

    page1 = text_of(client.get("/manage/admin/users", query_string={"q": marker.upper()}))
    assert "Showing 1–25 of 28" in page1 and f"Person 00 {marker}" in page1
    next_link = re.search(r'href="([^"]+)" rel="next"', page1).group(1).replace("&amp;", "&")
    page2 = text_of(client.get(next_link))
    assert "Showing 26–28 of 28" in page2 and f"Zed {marker}" in page2

    suspended = text_of(client.get("/manage/admin/users", query_string={"q": marker, "status": "suspended"}))
    assert f"Zed {marker}" in suspended and f"Person 00 {marker}" not in suspended

    nothing = text_of(client.get("/manage/admin/users", query_string={"q": f"nobody-{marker}"}))
    assert "No account matches this search" in nothing


def test_suspension_needs_a_reason_and_ends_the_persons_sessions_at_once(app, session, client, admin):
    target = make_user(session, display_name="Suspended Soon")
    their_client = app.test_client()
    assert login(their_client, target).status_code == 302
    assert their_client.get("/account").status_code == 200

    login(client, admin)
    response = client.post(f"/manage/admin/users/{target.id}/suspend", data={"suspend-reason": ""})
    assert response.status_code == 422  # the form does not validate
    assert 'id="suspend-reason-error"' in text_of(response)
    session.expire_all()
    assert target.status == User.ACTIVE

    generation = target.session_generation
    response = client.post(f"/manage/admin/users/{target.id}/suspend", data={"suspend-reason": "Spam campaign"})
    assert response.status_code == 302
    session.expire_all()
    assert target.status == User.SUSPENDED and target.session_generation == generation + 1
    [entry] = audit_of(session, "user.suspend", target)
    assert entry.reason == "Spam campaign" and entry.actor_id == admin.id

    response = their_client.get("/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert login(their_client, target).status_code != 302  # cannot sign in while suspended

    login(client, admin)
    assert client.post(f"/manage/admin/users/{target.id}/reactivate",
                       data={"reactivate-reason": "Appeal granted"}).status_code == 302
    session.expire_all()
    assert target.status == User.ACTIVE
    assert audit_of(session, "user.reactivate", target)[0].reason == "Appeal granted"
    assert login(their_client, target).status_code == 302


def test_an_admin_cannot_suspend_their_own_account(session, client, admin):
    response = client.post(f"/manage/admin/users/{admin.id}/suspend", data={"suspend-reason": "oops"})
    assert response.status_code == 400
    assert "cannot suspend your own account" in text_of(response)
    session.expire_all()
    assert admin.status == User.ACTIVE


def test_forged_ids_on_admin_pages_are_not_found(session, client, admin):
    other = make_user(session)
    their_grant = grant(session, other, Role.MODERATOR)
    target = make_user(session)
    assert client.get("/manage/admin/users/987654321").status_code == 404
    assert client.post("/manage/admin/users/987654321/suspend", data={"suspend-reason": "x"}).status_code == 404
    assert client.post("/manage/admin/organisations/987654321/verify").status_code == 404
    assert client.post("/manage/admin/outbox/987654321/resend").status_code == 404
    # a grant id of someone else under this user's URL
    assert client.post(f"/manage/admin/users/{target.id}/grants/{their_grant.id}/revoke").status_code == 404
    session.expire_all()
    assert session.get(RoleGrant, their_grant.id) is not None


# --- role grants --------------------------------------------------------------------------

def grant_form(role: str, scope_type: str, scope_key: str = "", reason: str = "") -> dict[str, str]:
    return {"grant-role": role, "grant-scope_type": scope_type, "grant-scope_key": scope_key,
            "grant-reason": reason}


@pytest.mark.parametrize(("role", "scope_type", "scope_key", "scope"), [
    (Role.AUTHOR, Scope.COUNTRY, "at", ("country", "AT")),
    (Role.FOCAL_POINT, Scope.REGION, "osce", ("region", "OSCE")),
    (Role.FOCAL_POINT, Scope.COUNTRY, "FR", ("country", "FR")),
    (Role.MODERATOR, Scope.GLOBAL, "", ("global", "")),
    (Role.MODERATOR, Scope.CONSULTATION, "42", ("consultation", "42")),
    (Role.ADMIN, Scope.GLOBAL, "ignored", ("global", "")),
])
def test_granting_a_role_with_its_scope_is_audited(session, client, admin, role, scope_type, scope_key, scope):
    target = make_user(session, display_name="Grantee")
    response = client.post(f"/manage/admin/users/{target.id}/grants",
                           data=grant_form(role, scope_type, scope_key, "New focal point"))
    assert response.status_code == 302
    session.expire_all()
    [role_grant] = target.grants
    assert (role_grant.role, role_grant.scope_type, role_grant.scope_key) == (role, *scope)
    assert role_grant.granted_by_id == admin.id
    [entry] = audit_of(session, "role.grant", target)
    assert entry.after == {"role": role, "scope_type": scope[0], "scope_key": scope[1]}
    assert entry.reason == "New focal point"


@pytest.mark.parametrize(("role", "scope_type", "scope_key", "field"), [
    (Role.AUTHOR, Scope.GLOBAL, "", "grant-scope_type"),
    (Role.ADMIN, Scope.COUNTRY, "AT", "grant-scope_type"),
    (Role.FOCAL_POINT, Scope.CONSULTATION, "3", "grant-scope_type"),
    (Role.AUTHOR, Scope.COUNTRY, "ZZ", "grant-scope_key"),
    (Role.AUTHOR, Scope.COUNTRY, "AUT", "grant-scope_key"),
    (Role.AUTHOR, Scope.COUNTRY, "", "grant-scope_key"),
    (Role.FOCAL_POINT, Scope.REGION, "NOPE", "grant-scope_key"),
    (Role.MODERATOR, Scope.CONSULTATION, "abc", "grant-scope_key"),
    (Role.MODERATOR, Scope.CONSULTATION, "-4", "grant-scope_key"),
    (Role.MODERATOR, Scope.CONSULTATION, "٣", "grant-scope_key"),  # a non-ASCII digit
    ("superuser", Scope.GLOBAL, "", "grant-role"),
])
def test_a_scope_that_does_not_fit_the_role_is_an_error_on_its_field(session, client, admin, role, scope_type,
                                                                       scope_key, field):
    target = make_user(session)
    response = client.post(f"/manage/admin/users/{target.id}/grants", data=grant_form(role, scope_type, scope_key))
    assert response.status_code in (400, 422)  # refused by the form (422) or the service (400)
    assert f'id="{field}-error"' in text_of(response)
    assert f'value="{scope_key}"' in text_of(response)  # the input is kept
    session.expire_all()
    assert target.grants == []


def test_the_same_grant_twice_is_refused(session, client, admin):
    target = make_user(session)
    client.post(f"/manage/admin/users/{target.id}/grants", data=grant_form(Role.AUTHOR, Scope.COUNTRY, "AT"))
    response = client.post(f"/manage/admin/users/{target.id}/grants", data=grant_form(Role.AUTHOR, Scope.COUNTRY, "at"))
    assert response.status_code == 409 and "already has this role" in text_of(response)
    session.expire_all()
    assert len(target.grants) == 1


def test_revoking_a_role_removes_it_and_is_audited(session, client, admin):
    target = make_user(session)
    role_grant = grant(session, target, Role.FOCAL_POINT, Scope.REGION, "AU")
    page = text_of(client.get(f"/manage/admin/users/{target.id}"))
    assert "Focal point" in page and "AU" in page
    response = client.post(f"/manage/admin/users/{target.id}/grants/{role_grant.id}/revoke", follow_redirects=True)
    assert "The role is revoked." in text_of(response)
    session.expire_all()
    assert target.grants == []
    [entry] = audit_of(session, "role.revoke", target)
    assert entry.before == {"role": "focal_point", "scope_type": "region", "scope_key": "AU"}


def test_the_last_active_administrator_cannot_be_revoked(session):
    only_admin = make_user(session)
    own = grant(session, only_admin, Role.ADMIN)
    session.execute(delete(RoleGrant).where(RoleGrant.role == Role.ADMIN, RoleGrant.id != own.id))
    with pytest.raises(DomainError, match="last active administrator"):
        roles.revoke_role(session, own, actor=only_admin)
    second = make_user(session)
    grant(session, second, Role.ADMIN)
    session.refresh(only_admin)
    roles.revoke_role(session, own, actor=only_admin)
    assert session.get(RoleGrant, own.id) is None


def test_only_administrators_may_grant_through_the_service(session):
    moderator = make_user(session)
    grant(session, moderator, Role.MODERATOR)
    with pytest.raises(DomainError):
        roles.grant_role(session, moderator, role=Role.ADMIN, scope_type=Scope.GLOBAL, actor=moderator)


# --- organisations to verify ------------------------------------------------------------

def test_an_admin_verifies_and_unverifies_an_organisation(session, client, admin):
    name = f"Awaiting {tag()}"
    organisation = make_organisation(session, name=name, verified=False, representative=make_user(session))
    assert f"<bdi>{name}</bdi></a>" in text_of(client.get("/manage/admin/organisations"))

    response = client.post(f"/manage/admin/organisations/{organisation.id}/verify",
                           data={"next": "/manage/admin/organisations?show=awaiting"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/manage/admin/organisations?show=awaiting")
    session.expire_all()
    assert organisation.is_verified
    assert f"<bdi>{name}</bdi></a>" not in text_of(client.get("/manage/admin/organisations"))
    assert "Verified by the platform" in text_of(client.get(f"/organisations/{organisation.id}"))

    response = client.post(f"/manage/admin/organisations/{organisation.id}/unverify",
                           data={"next": "https://evil.example/"})
    assert response.headers["Location"].endswith(f"/organisations/{organisation.id}")  # never off-site
    session.expire_all()
    assert not organisation.is_verified
    actions = [e.action for e in session.scalars(select(AuditEntry).where(
        AuditEntry.target_type == "Organisation", AuditEntry.target_id == str(organisation.id)))]
    assert actions == ["organisation.verify", "organisation.unverify"]


# --- outbox -------------------------------------------------------------------------------

def test_a_dead_letter_shows_its_error_and_can_be_sent_again(session, client, admin, mail):
    address = f"refused-{tag()}@example.org"
    mail.refuse.add(address)
    message = queue_email(session, to=address, template="organisations/membership_decision",
                          dedupe_key=f"dead-letter-{tag()}", recipient=admin,
                          organisation=make_organisation(session), accepted=True,
                          organisation_url="https://agora.example.org/organisations/1")
    deliver_due(session)
    session.expire_all()
    assert message.status == OutboxMessage.DEAD

    page = text_of(client.get("/manage/admin/outbox"))
    assert address in page and "550" in page and "Send again" in page

    mail.refuse.clear()
    response = client.post(f"/manage/admin/outbox/{message.id}/resend", follow_redirects=True)
    assert "is queued again" in text_of(response)
    session.expire_all()
    assert message.status == OutboxMessage.PENDING and message.attempts == 0
    assert audit_of(session, "outbox.resend", message)[0].actor_id == admin.id

    session.expire_all()  # deliver_due trusts the lease token it finds in the session
    deliver_due(session)
    assert len(mail.to(address)) == 1
    response = client.post(f"/manage/admin/outbox/{message.id}/resend", follow_redirects=True)
    assert "Only messages that could not be delivered" in text_of(response)


# --- audit log -----------------------------------------------------------------------------

def _entries(session, actor, n: int, action: str = "role.grant", target_type: str = "User"):
    return [record(session, actor=actor, action=action, target_type=target_type, target_id=i,
                   reason=f"entry {i}") for i in range(n)]


def test_the_audit_log_filters_by_actor_action_and_target(session, client, admin):
    first = make_user(session, email=f"first-{tag()}@example.org", display_name="First Actor")
    second = make_user(session, email=f"second-{tag()}@example.org", display_name="Second Actor")
    _entries(session, first, 2, "role.grant")
    _entries(session, second, 1, "user.suspend")
    _entries(session, second, 1, "organisation.verify", target_type="Organisation")

    page = text_of(client.get("/manage/admin/audit", query_string={"actor": first.email.upper()}))
    assert "Showing 1–2 of 2" in page and "First Actor" in page and "Second Actor" not in page

    page = text_of(client.get("/manage/admin/audit", query_string={"actor": str(second.id),
                                                                   "action": "user.suspend"}))
    assert "Showing 1–1 of 1" in page
    page = text_of(client.get("/manage/admin/audit", query_string={"actor": second.email,
                                                                   "target_type": "Organisation"}))
    assert "Showing 1–1 of 1" in page and "organisation.verify" in page

    page = text_of(client.get("/manage/admin/audit", query_string={"actor": f"nobody-{tag()}@example.org"}))
    assert "No entry matches these filters" in page


def test_the_audit_log_filters_by_date_range_in_the_viewers_zone(session, client, admin):
    actor = make_user(session, email=f"dated-{tag()}@example.org")
    _entries(session, actor, 3)
    today = utcnow().date()
    day = timedelta(days=1)

    def shown(**dates) -> str:
        return text_of(client.get("/manage/admin/audit", query_string={"actor": actor.email, **dates}))

    assert "Showing 1–3 of 3" in shown(date_from=today.isoformat(), date_to=today.isoformat())
    assert "No entry matches" in shown(date_from=(today + day).isoformat())
    assert "No entry matches" in shown(date_to=(today - day).isoformat())

    response = client.get("/manage/admin/audit", query_string={"date_from": today.isoformat(),
                                                               "date_to": (today - day).isoformat()})
    assert response.status_code == 400
    assert "The end date is before the start date." in text_of(response)


def test_the_audit_log_is_paginated_newest_first(session, client, admin):
    actor = make_user(session, email=f"busy-{tag()}@example.org")
    _entries(session, actor, 30)
    page1 = text_of(client.get("/manage/admin/audit", query_string={"actor": actor.email}))
    assert "Showing 1–25 of 30" in page1 and "entry 29" in page1 and "entry 4<" not in page1
    page2 = text_of(client.get("/manage/admin/audit", query_string={"actor": actor.email, "page": 2}))
    assert "entry 0<" in page2 and "entry 29" not in page2


def _read_csv(response) -> list[list[str]]:
    body = response.get_data(as_text=True)
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:], newline="")))


def test_the_csv_export_cannot_carry_spreadsheet_formulas(session, client, admin):
    # PostgreSQL cannot store NUL (the forms drop it); csv_safe's own test covers it.
    payloads = FORMULA_PAYLOADS.read_text(encoding="utf-8").split("\n")
    payloads = [p.replace("\x00", "") for p in payloads if p.strip("\r\x00")]
    actor = make_user(session, email=f"csv-{tag()}@example.org", display_name="=HYPERLINK(\"http://evil\")")
    for payload in payloads:
        record(session, actor=actor, action="user.suspend", target_type="User", target_id=actor.id, reason=payload)
    record(session, actor=actor, action="user.suspend", target_type="User", target_id=actor.id,
           reason="plain reason", after={"note": "@SUM(1+1)"})

    response = client.get("/manage/admin/audit/export.csv", query_string={"actor": actor.email})
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    header, *rows = _read_csv(response)
    assert header[:5] == ["id", "created_at_utc", "actor_id", "actor_email", "action"]
    assert len(rows) == len(payloads) + 1

    dangerous = tuple("=+-@\t\r\n\u2013\uff1d\uff0b\uff0d\uff20")
    reasons = [row[header.index("reason")] for row in rows]
    for payload, cell in zip(payloads, reasons[:-1], strict=True):
        assert cell in (payload, "'" + payload), repr(payload)
        assert not cell.lstrip(" ").startswith(dangerous), repr(cell)
    for row in rows:
        for cell in row:
            assert not cell.startswith(dangerous), repr(cell)
    assert reasons[-1] == "plain reason"


@pytest.mark.parametrize(("value", "expected"), [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"), ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"), ("  =1", "'  =1"), ("\x00=1", "'=1"), ("\uff1d1+1", "'\uff1d1+1"),
    ("plain", "plain"), ("a=b", "a=b"), ("", ""), (None, ""), (42, "42"),
    ({"k": "=x"}, '{"k": "=x"}'),
])
def test_csv_cells_are_neutralised_only_when_a_spreadsheet_would_compute_them(value, expected):
    assert csv_safe(value) == expected


def test_the_chain_check_reports_intact_and_broken_chains(session, client, admin):
    actor = make_user(session)
    entries = _entries(session, actor, 3)
    page = text_of(client.get("/manage/admin/audit/verify"))
    assert "The chain is intact" in page

    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ALTER TABLE audit_entry DISABLE TRIGGER audit_entry_append_only"))
    session.execute(text("UPDATE audit_entry SET reason = 'rewritten' WHERE id = :id"), {"id": entries[1].id})
    page = text_of(client.get("/manage/admin/audit/verify"))
    assert f"The chain is broken at entry {entries[1].id}" in page
    assert "does not match its hash" in page


def test_admin_pages_are_refused_to_other_roles(session, client):
    moderator = make_user(session)
    grant(session, moderator, Role.MODERATOR)
    login(client, moderator)
    for path in ("/manage/admin/", "/manage/admin/users", "/manage/admin/audit/export.csv"):
        assert client.get(path).status_code == 403, path
    organisation = make_organisation(session, verified=False)
    assert client.post(f"/manage/admin/organisations/{organisation.id}/verify").status_code == 403
    session.expire_all()
    assert not session.get(Organisation, organisation.id).is_verified
