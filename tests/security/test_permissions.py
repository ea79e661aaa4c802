"""Deny by default, proven route by route and role by role.

1. Every endpoint declares its access rule (@public, @login_required or
   @requires); an endpoint without one is refused at run time, and fails here.
2. EXPECTED holds, for every GET route, the status each role gets. A GET
   route missing from the table fails the suite: when you add a route, add
   its row (and, if it needs an object, a sample in the ``samples`` fixture).
3. POST_EXPECTED holds every POST-only route: anonymous visitors are sent to
   the sign-in page, and the role named in the row is refused with 403.

Statuses: 200, 400, 403, 404, LOGIN (302 to the sign-in page), or
``redirect("/path")`` (302 somewhere else).
"""

from __future__ import annotations

import uuid
from urllib.parse import urlsplit

import pytest

from app.accounts.models import Membership, Role, Scope
from app.core.authz import access_of
from app.core.mail import queue_email
from app.core.models import OutboxMessage
from tests.factories import grant, login, make_organisation, make_user

ROLES = ("anonymous", "participant", "representative", "author", "moderator", "focal_point", "admin")
SIGNED_IN = ROLES[1:]
LOGIN = "login"
MISSING = 987654321  # an id no row has: forged ids must give 404


@pytest.fixture(autouse=True)
def suite_engine(app):
    """Kept for the modules that import it; the database is per app now
    (``db.state(app)``), so a second app no longer rebinds the suite's."""
    return None


def redirect(path: str) -> str:
    return f"redirect {path}"


def everyone(status=200) -> dict[str, object]:
    return dict.fromkeys(ROLES, status)


def signed_in(status=200, **overrides) -> dict[str, object]:
    """Anonymous visitors go to the sign-in page; every account gets ``status``."""
    return {"anonymous": LOGIN, **dict.fromkeys(SIGNED_IN, status), **overrides}


def only(*roles: str, status=200, others=403) -> dict[str, object]:
    """Only ``roles`` get ``status``; other accounts get ``others``; visitors sign in first."""
    table = signed_in(others)
    table.update(dict.fromkeys(roles, status))
    return table


ADMIN_ONLY = only("admin")
MANAGE_CONSULTATIONS = only("author", "admin")

# endpoint -> (URL with {sample} placeholders, {role: expected})
EXPECTED: dict[str, tuple[str, dict[str, object]]] = {
    # site, health, geography
    "site.home": ("/", everyone()),
    "site.about": ("/about", everyone()),
    "opendata.index": ("/open-data", everyone()),
    "opendata.download": ("/open-data/agora1540-open-data.zip", everyone(404)),  # not built in the suite
    "health.healthz": ("/healthz", everyone()),
    "health.readyz": ("/readyz", everyone()),
    "geography.regions": ("/regions", everyone()),
    "geography.region": ("/regions/OSCE", everyone()),
    "geography.obligations": ("/obligations", everyone()),
    # policy pages: public, with their history; the consent page sends those who accepted onwards
    "policies.show_page": ("/privacy", everyone()),
    "policies.page_history": ("/terms/history", everyone()),
    "policies.show_version": ("/terms/history/en/1", everyone()),
    "policies.accept_terms": ("/terms/accept", signed_in(redirect("/"))),
    "policies.manage_pages": ("/manage/admin/pages", ADMIN_ONLY),
    "policies.edit_page": ("/manage/admin/pages/privacy/fr", ADMIN_ONLY),
    # accounts
    "accounts.login": ("/login", {"anonymous": 200, **dict.fromkeys(SIGNED_IN, redirect("/"))}),
    "accounts.register": ("/register", {"anonymous": 200, **dict.fromkeys(SIGNED_IN, redirect("/account"))}),
    "accounts.check_email": ("/check-email", everyone()),
    "accounts.verify_email": ("/verify-email/not-a-token", everyone(400)),
    "accounts.verify_pending": ("/account/verify-email", signed_in(redirect("/"))),
    "accounts.forgot_password": ("/password/forgot", everyone()),
    "accounts.reset_password": ("/password/reset/not-a-token", everyone(400)),
    "accounts.profile": ("/account", signed_in()),
    "accounts.change_password": ("/account/password", signed_in()),
    "tokens.list_tokens": ("/account/tokens", signed_in()),
    "privacy.your_data": ("/account/data", signed_in()),
    "privacy.delete_account": ("/account/delete", signed_in()),
    "privacy.download_export": ("/account/data/exports/{missing}/not-a-token", everyone(400)),
    "privacy.admin_erase": ("/manage/admin/users/{user}/erase", ADMIN_ONLY),
    # organisations
    "organisations.index": ("/organisations", everyone()),
    "organisations.create": ("/organisations/new", signed_in()),
    "organisations.profile": ("/organisations/{organisation}", everyone()),
    "organisations.edit": ("/organisations/{organisation}/edit", only("representative", "admin")),
    "organisations.members": ("/organisations/{organisation}/members", only("representative", "admin")),
    "organisations.confirm_remove_member": ("/organisations/{organisation}/members/{member}/remove",
                                            only("representative", "admin")),
    # administration
    "admin.index": ("/manage/admin/", ADMIN_ONLY),
    "admin.users": ("/manage/admin/users", ADMIN_ONLY),
    "admin.user": ("/manage/admin/users/{user}", ADMIN_ONLY),
    "admin.organisations": ("/manage/admin/organisations", ADMIN_ONLY),
    "admin.outbox": ("/manage/admin/outbox", ADMIN_ONLY),
    "admin.audit": ("/manage/admin/audit", ADMIN_ONLY),
    "admin.audit_export": ("/manage/admin/audit/export.csv", ADMIN_ONLY),
    "admin.audit_verify": ("/manage/admin/audit/verify", ADMIN_ONLY),
    # consultations: {consultation} is public and published (author: AT), {invited} is invited-only
    "consultations.list_consultations": ("/consultations", everyone()),
    "consultations.show_consultation": ("/consultations/{consultation}", everyone()),
    "consultations.show_section": ("/consultations/{invited}/sections/article-1",
                                   {**everyone(404), "author": 200, "moderator": 200, "admin": 200}),
    "consultations.compare_versions": ("/consultations/{consultation}/compare", everyone()),
    "consultations.download_attachment": ("/consultations/{consultation}/attachments/{attachment}", everyone()),
    "consultations.manage_consultations": ("/manage/consultations", MANAGE_CONSULTATIONS),
    "consultations.create_consultation": ("/manage/consultations/new", MANAGE_CONSULTATIONS),
    "consultations.manage_consultation": ("/manage/consultations/{consultation}", MANAGE_CONSULTATIONS),
    "consultations.edit_consultation": ("/manage/consultations/{consultation}/edit", MANAGE_CONSULTATIONS),
    "consultations.import_draft": ("/manage/consultations/{consultation}/import", MANAGE_CONSULTATIONS),
    "consultations.add_section": ("/manage/consultations/{missing}/sections/new",
                                  only("author", "admin", status=404)),
    "consultations.edit_section": ("/manage/consultations/{consultation}/sections/{section}/edit",
                                   MANAGE_CONSULTATIONS),
    # translations: the consultation's authors translate it (the sample's original is English)
    "consultations.manage_translations": ("/manage/consultations/{consultation}/translations", MANAGE_CONSULTATIONS),
    "consultations.edit_translation": ("/manage/consultations/{consultation}/translations/fr", MANAGE_CONSULTATIONS),
    "consultations.edit_section_translation": (
        "/manage/consultations/{consultation}/translations/fr/sections/article-1", MANAGE_CONSULTATIONS),
    # confirmation pages before irreversible actions (the sample's version is published: nothing to delete)
    "consultations.confirm_delete_section": ("/manage/consultations/{consultation}/sections/{section}/delete",
                                             only("author", "admin", status=404)),
    "consultations.confirm_publish_version": ("/manage/consultations/{consultation}/publish",
                                              only("author", "admin", status=404)),
    # the comments as CSV: the drafting government (author of AT), moderators (global here), admins
    "comments.export_comments": ("/manage/consultations/{consultation}/comments.csv",
                                 only("author", "moderator", "admin")),
    "comments.export_comments_xlsx": ("/manage/consultations/{consultation}/comments.xlsx",
                                      only("author", "moderator", "admin")),
    # moderation (rows with {missing}: forged ids give 404 to moderators, 403 to the rest)
    "moderation.queue": ("/manage/moderation/", only("moderator", "admin")),
    "moderation.export_all_comments": ("/manage/moderation/comments.csv", only("moderator", "admin")),
    "moderation.export_all_comments_xlsx": ("/manage/moderation/comments.xlsx", only("moderator", "admin")),
    "moderation.show_item": ("/manage/moderation/comments/{missing}", only("moderator", "admin", status=404)),
    "moderation.show_user": ("/manage/moderation/users/{user}", only("moderator", "admin")),
    "moderation.reasons": ("/manage/moderation/reasons", only("moderator", "admin")),
    "moderation.edit_reason": ("/manage/moderation/reasons/{missing}", only("moderator", "admin", status=404)),
    "moderation.watch_words": ("/manage/moderation/watch-words", ADMIN_ONLY),
    "moderation.edit_guidelines": ("/manage/moderation/consultations/{missing}/guidelines",
                                   only("moderator", "admin", status=404)),
    "moderation.transparency": ("/consultations/{missing}/moderation", everyone(404)),
    "moderation.flag": ("/consultations/{missing}/comments/{missing}/flag", signed_in(404)),
    "moderation.my_moderation": ("/account/moderation", signed_in()),
    # summaries: {consultation} has no summary yet; moderator is global, focal point is OSCE's
    "summaries.show_summary": ("/consultations/{missing}/summary", everyone(404)),
    "summaries.resolution": ("/consultations/{consultation}/resolution", everyone()),
    "summaries.resolution_csv": ("/consultations/{consultation}/resolution.csv", everyone()),
    "summaries.resolution_xlsx": ("/consultations/{consultation}/resolution.xlsx", everyone()),
    "summaries.edit_summary": ("/manage/consultations/{consultation}/summary", only("moderator", "admin")),
    "summaries.add_point": ("/manage/consultations/{consultation}/summary/points/new", only("moderator", "admin")),
    "summaries.edit_point": ("/manage/consultations/{consultation}/summary/points/{missing}/edit",
                             only("moderator", "admin", status=404)),
    "summaries.forward_summary": ("/manage/consultations/{consultation}/summary/forward", only("moderator", "admin")),
    # translations of the summary: whoever writes it ({consultation} has no summary to translate yet)
    "summaries.summary_translations": ("/manage/consultations/{consultation}/summary/translations",
                                       only("moderator", "admin")),
    "summaries.edit_summary_translation": ("/manage/consultations/{consultation}/summary/translations/fr",
                                           only("moderator", "admin", status=404)),
    "summaries.forwarded_to_me": ("/forwarded", only("focal_point")),
    "summaries.show_forwarding": ("/forwarded/{missing}", signed_in(404)),
    "summaries.manage_resolution": ("/manage/consultations/{consultation}/resolution", MANAGE_CONSULTATIONS),
    "summaries.edit_disposition": ("/manage/consultations/{consultation}/resolution/{missing}/edit",
                                   only("author", "admin", status=404)),
    # digests
    "digests.list_digests": ("/digests", only("focal_point")),
    "digests.show_digest": ("/digests/{missing}", signed_in(404)),
    "digests.digest_pdf": ("/digests/{missing}.pdf", signed_in(404)),
    "digests.subscription": ("/digests/subscription", only("focal_point")),
    "digests.admin_digests": ("/manage/digests", ADMIN_ONLY),
    "digests.region_feed": ("/regions/OSCE/summaries.atom", everyone()),
    # comments ({missing} comment ids on a visible consultation give 404; the receipt is the author's only)
    "comments.new_comment": ("/consultations/{consultation}/comments/new", signed_in()),
    "comments.permalink": ("/consultations/{consultation}/comments/{missing}", everyone(404)),
    "comments.thread": ("/consultations/{consultation}/comments/{missing}/thread", everyone(404)),
    "comments.receipt": ("/consultations/{consultation}/comments/{missing}/receipt", signed_in(404)),
    "comments.edit_comment": ("/consultations/{consultation}/comments/{missing}/edit", signed_in(404)),
    "comments.withdraw_comment": ("/consultations/{consultation}/comments/{missing}/withdraw", signed_in(404)),
    "comments.notifications": ("/notifications", signed_in()),
    "comments.open_notification": ("/notifications/{missing}", signed_in(404)),
    "comments.notification_settings": ("/notifications/settings", signed_in()),
    "comments.my_activity": ("/my/activity", signed_in()),
    # insight: coverage is public; what counts depends on what the viewer may read
    "insight.region_coverage": ("/regions/OSCE/coverage", everyone()),
    "insight.coverage_svg": ("/regions/OSCE/coverage.svg", everyone()),
    "insight.coverage_csv": ("/regions/OSCE/coverage.csv", everyone()),
    "insight.coverage_pdf": ("/regions/OSCE/coverage.pdf", everyone()),
    "insight.coverage_png": ("/regions/OSCE/coverage.png", everyone()),
    "insight.region_analytics": ("/regions/OSCE/analytics", everyone()),
    "insight.region_analytics_csv": ("/regions/OSCE/analytics.csv", everyone()),
    "insight.region_overview": ("/regions/OSCE/overview", only("focal_point", "admin")),
    "insight.state_coverage": ("/regions/OSCE/coverage/AT", everyone()),
    "insight.region_compare": ("/regions/OSCE/compare", everyone()),
    "insight.compare_provisions": ("/compare", everyone()),
    "insight.consultation_obligations": ("/consultations/{invited}/obligations",
                                         {**everyone(404), "author": 200, "moderator": 200, "admin": 200}),
    "insight.consultation_analytics": ("/consultations/{invited}/analytics",
                                       {**everyone(404), "author": 200, "moderator": 200, "admin": 200}),
    "insight.consultation_analytics_csv": ("/consultations/{invited}/analytics.csv",
                                           {**everyone(404), "author": 200, "moderator": 200, "admin": 200}),
    # read API: JSON; anonymous callers of protected endpoints get 401, not the sign-in page
    "api.openapi_document": ("/api/v1/openapi.json", everyone()),
    "api.list_consultations": ("/api/v1/consultations", everyone()),
    "api.get_consultation": ("/api/v1/consultations/{invited}",
                             {**everyone(404), "author": 200, "moderator": 200, "admin": 200}),
    "api.list_comments": ("/api/v1/consultations/{consultation}/comments", everyone()),
    "api.get_summary": ("/api/v1/consultations/{consultation}/summary", everyone(404)),
    "api.get_region_coverage": ("/api/v1/regions/OSCE/coverage", everyone()),
    "api.list_my_digests": ("/api/v1/me/digests", signed_in(anonymous=401)),
    "api.get_my_digest": ("/api/v1/me/digests/{missing}", signed_in(404, anonymous=401)),
}

PUBLIC = "public"

# POST-only endpoint -> (URL, a signed-in role that must get 403; None when any account
# may post, PUBLIC when visitors may post too)
POST_EXPECTED: dict[str, tuple[str, str | None]] = {
    "site.set_language": ("/language", PUBLIC),
    "accounts.logout": ("/logout", None),
    "accounts.resend_verification": ("/account/verify-email/resend", None),
    "tokens.revoke_token": ("/account/tokens/{missing}/revoke", None),
    "privacy.request_export": ("/account/data/export", None),
    "privacy.admin_request_export": ("/manage/admin/users/{user}/data-export", "moderator"),
    "organisations.join": ("/organisations/{organisation}/join", None),
    "organisations.accept_request": ("/organisations/{organisation}/members/{pending}/accept", "participant"),
    "organisations.decline_request": ("/organisations/{organisation}/members/{pending}/decline", "author"),
    "organisations.remove_member": ("/organisations/{organisation}/members/{member}/remove", "moderator"),
    "admin.verify_organisation": ("/manage/admin/organisations/{organisation}/verify", "moderator"),
    "admin.unverify_organisation": ("/manage/admin/organisations/{organisation}/unverify", "representative"),
    "admin.grant_role": ("/manage/admin/users/{user}/grants", "moderator"),
    "admin.revoke_role": ("/manage/admin/users/{user}/grants/{grant}/revoke", "focal_point"),
    "admin.suspend_user": ("/manage/admin/users/{user}/suspend", "representative"),
    "admin.reactivate_user": ("/manage/admin/users/{user}/reactivate", "author"),
    "admin.resend_message": ("/manage/admin/outbox/{message}/resend", "moderator"),
    "consultations.upload_attachment": ("/manage/consultations/{missing}/attachments", "participant"),
    "consultations.delete_attachment": ("/manage/consultations/{missing}/attachments/{missing}/delete", "moderator"),
    "consultations.close_early": ("/manage/consultations/{missing}/close", "focal_point"),
    "consultations.open_early": ("/manage/consultations/{missing}/open", "representative"),
    "consultations.invite": ("/manage/consultations/{missing}/invitations", "participant"),
    "consultations.remove_invitation": ("/manage/consultations/{missing}/invitations/{missing}/delete", "moderator"),
    "consultations.publish_version": ("/manage/consultations/{missing}/publish", "focal_point"),
    "consultations.start_revision": ("/manage/consultations/{missing}/revise", "participant"),
    "consultations.delete_section": ("/manage/consultations/{missing}/sections/{missing}/delete", "moderator"),
    "consultations.delete_translation": ("/manage/consultations/{missing}/translations/fr/delete", "participant"),
    "consultations.move_section": ("/manage/consultations/{missing}/sections/{missing}/move", "representative"),
    "moderation.bulk_decide": ("/manage/moderation/bulk", "participant"),
    "moderation.decide": ("/manage/moderation/comments/{missing}/decide", "author"),
    "moderation.undo": ("/manage/moderation/comments/{missing}/undo", "focal_point"),
    "moderation.sanction_user": ("/manage/moderation/users/{user}/sanctions", "representative"),
    "moderation.lift_sanction": ("/manage/moderation/sanctions/{missing}/lift", "participant"),
    "moderation.delete_watch_word": ("/manage/moderation/watch-words/{missing}/delete", "moderator"),
    "summaries.delete_point": ("/manage/consultations/{missing}/summary/points/{missing}/delete", "participant"),
    "summaries.publish_summary": ("/manage/consultations/{missing}/summary/publish", "focal_point"),
    "summaries.delete_summary_translation": ("/manage/consultations/{missing}/summary/translations/fr/delete",
                                             "focal_point"),
    "summaries.acknowledge": ("/forwarded/{missing}/acknowledge", "participant"),
    "summaries.reply": ("/forwarded/{missing}/reply", "moderator"),
    "summaries.delete_disposition": ("/manage/consultations/{missing}/resolution/{missing}/delete", "moderator"),
    # comments
    "comments.support_comment": ("/consultations/{consultation}/comments/{missing}/support", None),
    "comments.follow": ("/consultations/{consultation}/follow", None),
    "comments.mark_all_read": ("/notifications/read", None),
}


def _rules(app, *, get: bool):
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        if get == ("GET" in rule.methods):
            yield rule


# --- the structural checks -------------------------------------------------------------

def test_every_endpoint_declares_who_may_reach_it(app):
    undeclared = sorted(
        endpoint for endpoint, view in app.view_functions.items()
        if endpoint != "static" and access_of(view) is None
    )
    assert not undeclared, f"endpoints without @public, @login_required or @requires: {undeclared}"


def test_every_get_route_has_a_row_in_the_table(app):
    routes = {rule.endpoint for rule in _rules(app, get=True)}
    missing = sorted(routes - EXPECTED.keys())
    stale = sorted(EXPECTED.keys() - routes)
    assert not missing, f"GET routes without a row in EXPECTED (add one per new route): {missing}"
    assert not stale, f"rows in EXPECTED for routes that no longer exist: {stale}"


def test_every_post_only_route_has_a_row(app):
    routes = {rule.endpoint for rule in _rules(app, get=False) if "POST" in rule.methods}
    missing = sorted(routes - POST_EXPECTED.keys())
    stale = sorted(POST_EXPECTED.keys() - routes)
    assert not missing, f"POST-only routes without a row in POST_EXPECTED: {missing}"
    assert not stale, f"rows in POST_EXPECTED for routes that no longer exist: {stale}"


# --- the table ---------------------------------------------------------------------------

@pytest.fixture()
def samples(session):
    """One user per role and the objects the URLs point at."""
    users = {
        "participant": make_user(session, display_name="Participant"),
        "representative": make_user(session, display_name="Representative"),
        "author": make_user(session, display_name="Author"),
        "moderator": make_user(session, display_name="Moderator"),
        "focal_point": make_user(session, display_name="Focal point"),
        "admin": make_user(session, display_name="Admin"),
    }
    grant(session, users["author"], Role.AUTHOR, Scope.COUNTRY, "AT")
    grant(session, users["moderator"], Role.MODERATOR)
    grant(session, users["focal_point"], Role.FOCAL_POINT, Scope.REGION, "OSCE")
    grant(session, users["admin"], Role.ADMIN)
    member, requester, target = make_user(session), make_user(session), make_user(session)
    target_grant = grant(session, target, Role.FOCAL_POINT, Scope.REGION, "AU")
    organisation = make_organisation(session, representative=users["representative"], members=(member,),
                                     verified=False)
    pending = Membership(user_id=requester.id, organisation_id=organisation.id, status=Membership.PENDING)
    session.add(pending)
    message = queue_email(session, to="nobody@example.org", template="organisations/membership_decision",
                          dedupe_key=f"permissions-sample-{uuid.uuid4().hex}", recipient=requester,
                          organisation=organisation, accepted=True, organisation_url="https://example.org/")
    message.status = OutboxMessage.DEAD
    session.flush()
    consultation, invited, attachment = _consultation_samples(session, users["author"])
    membership_of = {m.user_id: m.id for m in organisation.memberships}
    ids = {
        "organisation": organisation.id,
        "member": membership_of[member.id],
        "pending": pending.id,
        "user": target.id,
        "grant": target_grant.id,
        "message": message.id,
        "missing": MISSING,
        "consultation": consultation.id,
        "section": consultation.current_version.sections[0].id,
        "attachment": attachment.id,
        "invited": invited.id,
    }
    return users, ids


def _consultation_samples(session, author):
    from flask import current_app

    from app.consultations import sharing
    from tests.integration.test_consultations_support import make_consultation

    consultation = make_consultation(session, author, sections=2)
    invited = make_consultation(session, author, sections=2, visibility="invited")
    attachment = sharing.add_attachment(session, consultation, filename="memo.pdf", data=b"%PDF-1.4 sample",
                                        upload_dir=current_app.config["UPLOAD_DIR"], max_bytes=10**6, actor=author)
    return consultation, invited, attachment


def _check(response, expected) -> str | None:
    """None when the response is what the table says, else a description."""
    status, location = response.status_code, response.headers.get("Location", "")
    path = urlsplit(location).path
    if expected == LOGIN:
        ok = status == 302 and path == "/login"
    elif isinstance(expected, str) and expected.startswith("redirect "):
        ok = status in (302, 303) and path == expected.split(" ", 1)[1]
    else:
        ok = status == expected
    return None if ok else f"got {status} {location}".strip()


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("endpoint", sorted(EXPECTED))
def test_get_route_answers_each_role_as_the_table_says(endpoint, role, samples, client):
    users, ids = samples
    template, table = EXPECTED[endpoint]
    if role not in table:
        pytest.fail(f"{endpoint}: no expectation for role {role}")
    if role != "anonymous":
        assert login(client, users[role]).status_code == 302
    response = client.get(template.format(**ids))
    problem = _check(response, table[role])
    assert problem is None, f"GET {template} as {role}: expected {table[role]}, {problem}"


@pytest.mark.parametrize("endpoint", sorted(POST_EXPECTED))
def test_post_only_route_sends_visitors_to_sign_in(endpoint, samples, client):
    _users, ids = samples
    template, denied = POST_EXPECTED[endpoint]
    if denied == PUBLIC:
        pytest.skip("visitors may post here by design")
    response = client.post(template.format(**ids))
    assert _check(response, LOGIN) is None, f"POST {template} as a visitor: {response.status_code}"


@pytest.mark.parametrize("endpoint", sorted(e for e, (_, denied) in POST_EXPECTED.items()
                                            if denied not in (None, PUBLIC)))
def test_post_only_route_refuses_the_wrong_role(endpoint, samples, client, session):
    users, ids = samples
    template, denied = POST_EXPECTED[endpoint]
    assert login(client, users[denied]).status_code == 302
    response = client.post(template.format(**ids))
    assert response.status_code == 403, f"POST {template} as {denied}: {response.status_code}"
    # Nothing changed: the sample objects are all still there and unchanged.
    session.expire_all()
    assert session.get(Membership, ids["pending"]).status == Membership.PENDING
    assert session.get(Membership, ids["member"]) is not None
    assert session.get(OutboxMessage, ids["message"]).status == OutboxMessage.DEAD
