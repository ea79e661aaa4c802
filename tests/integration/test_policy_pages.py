"""Policy pages (privacy notice, terms, accessibility statement): shown in the
reader's language with an English fallback, edited by administrators into a
public version history, and the consent to the terms at registration and at
the next sign-in after the terms change."""

from __future__ import annotations

import uuid

from sqlalchemy import select

from app.accounts import policy_pages as pages
from app.accounts.models import Role, User
from app.core.i18n import LOCALE_COOKIE
from app.core.models import AuditEntry
from tests.factories import DEFAULT_PASSWORD, grant, login, make_user


def _in(client, language):
    client.set_cookie(LOCALE_COOKIE, language)
    return client


def test_every_page_links_the_three_policy_pages_from_its_footer(client):
    page = client.get("/").text
    footer = page[page.index("<footer"):]
    for path in ("/privacy", "/terms", "/accessibility"):
        assert f'href="{path}"' in footer


def test_default_texts_say_what_an_institution_must_say(client):
    privacy = client.get("/privacy").text
    assert "Privacy notice" in privacy and "How long" in privacy and "Who sees it" in privacy
    assert 'href="/account/data"' in privacy  # the way to a copy or erasure
    terms = client.get("/terms").text
    assert "Moderation guidelines" in terms and "Flags and sanctions" in terms
    accessibility = client.get("/accessibility").text
    assert "WCAG" in accessibility and "2.2" in accessibility and "Last audit" in accessibility
    assert "Report a barrier" in accessibility and "Known limits" in accessibility


def test_a_page_comes_in_the_readers_language_or_in_english_with_a_note(client):
    french = _in(client, "fr").get("/terms").text
    assert "Règles de modération" in french and 'lang="fr"' in french
    assert 'role="note"' not in french
    spanish = _in(client, "es").get("/privacy").text
    assert "How long" in spanish and 'lang="en"' in spanish  # the English text …
    assert 'role="note"' in spanish  # … with a note saying so


def test_an_administrator_publishes_a_version_sanitised_and_kept_in_the_history(client, session):
    admin = make_user(session, display_name="Page Admin")
    grant(session, admin, Role.ADMIN)
    login(client, admin)
    assert client.get("/manage/admin/pages").status_code == 200
    form = client.get("/manage/admin/pages/accessibility/es")
    assert "How long" not in form.text and form.status_code == 200
    body = "### Objetivo\n\nWCAG 2.2 AA. <script>alert(1)</script> [x](javascript:alert(2))"
    saved = client.post("/manage/admin/pages/accessibility/es", data={"body": body, "change_note": "Primera"})
    assert saved.status_code == 302 and saved.location.endswith("/accessibility/history/es/1")

    row = session.scalar(select(pages.PolicyPageVersion).where(pages.PolicyPageVersion.language == "es"))
    assert row.number == 1 and row.author_id == admin.id and row.body_source.startswith("### Objetivo")
    assert "<script" not in row.body_html and 'href="javascript' not in row.body_html
    assert "<h3>Objetivo</h3>" in row.body_html
    assert "Objetivo" in _in(client, "es").get("/accessibility").text

    # English has a default text (version 1), so the first saved English version is 2; 1 stays readable.
    assert client.post("/manage/admin/pages/accessibility/en",
                       data={"body": "New statement.", "change_note": "Audit of December"}).status_code == 302
    history = client.get("/accessibility/history").text
    assert "Audit of December" in history and "Page Admin" in history
    assert "/accessibility/history/en/2" in history and "/accessibility/history/en/1" in history
    assert "Known limits" in client.get("/accessibility/history/en/1").text
    assert "New statement." in _in(client, "en").get("/accessibility").text
    assert session.scalar(select(AuditEntry).where(AuditEntry.action == "policy_page.save").limit(1)) is not None


def test_an_empty_or_unchanged_text_is_refused_next_to_the_field(client, session):
    admin = make_user(session)
    grant(session, admin, Role.ADMIN)
    login(client, admin)
    assert client.post("/manage/admin/pages/terms/en", data={"body": "  "}).status_code == 422
    unchanged = client.post("/manage/admin/pages/terms/en",
                            data={"body": pages.default_text("terms", "en").source})
    assert unchanged.status_code == 400 and "same as the current version" in unchanged.text
    assert client.post("/manage/admin/pages/terms/xx", data={"body": "x"}).status_code == 404


def _register(client, email, **extra):
    data = {"email": email, "display_name": "Consenting Person", "password": "a long and quiet passphrase", **extra}
    return client.post("/register", data=data)


def test_registration_requires_consent_and_records_the_version_and_time(client, session):
    page = client.get("/register").text
    assert "I accept the terms of participation and have read the privacy notice" in page
    assert 'href="/terms"' in page and 'href="/privacy"' in page

    refused_email = f"refuser-{uuid.uuid4().hex[:8]}@example.org"
    refused = _register(client, refused_email)
    assert refused.status_code == 400 and "Accept the terms of participation" in refused.text
    assert session.scalar(select(User).where(User.email == refused_email)) is None

    email = f"consent-{uuid.uuid4().hex[:8]}@example.org"
    assert _register(client, email, accept_terms="y").status_code == 302
    user = session.scalar(select(User).where(User.email == email))
    assert user.terms_version == 1 and user.terms_accepted_at is not None


def test_new_terms_are_asked_for_at_the_next_sign_in_and_recorded(app, client, session):
    admin = make_user(session)
    grant(session, admin, Role.ADMIN)
    participant = make_user(session, accepted_terms=1)
    pages.save_page_version(session, "terms", "fr", "Traduction revue.", actor=admin)
    session.flush()
    # A new translation is not a new version of the terms: nobody is asked again.
    assert login(client, participant).location == "/"
    assert client.get("/my/activity").status_code == 200
    client.post("/logout")

    pages.save_page_version(session, "terms", "en", "Terms, second edition.", actor=admin)
    session.flush()
    signed_in = login(client, participant)
    assert signed_in.status_code == 302
    held = client.get("/my/activity")
    assert held.status_code == 302 and held.location.startswith("/terms/accept")
    # The terms, the privacy notice and the person's own data stay reachable; so does signing out.
    assert client.get("/terms").status_code == 200 and client.get("/privacy").status_code == 200
    assert client.get("/account/data").status_code == 200
    ask = client.get(held.location)
    assert ask.status_code == 200 and "have changed since you accepted them" in ask.text
    assert "Terms, second edition." in ask.text

    assert client.post("/terms/accept", data={"next": "/my/activity"}).status_code == 422
    accepted = client.post("/terms/accept", data={"accept": "y", "next": "/my/activity"})
    assert accepted.status_code == 302 and accepted.location == "/my/activity"
    session.refresh(participant)
    assert participant.terms_version == 2 and participant.terms_accepted_at is not None
    assert client.get("/my/activity").status_code == 200

    # Signing in again asks nothing more.
    client.post("/logout")
    login(client, participant, DEFAULT_PASSWORD)
    assert client.get("/my/activity").status_code == 200


def test_an_account_that_never_accepted_is_asked_at_sign_in(client, session):
    older = make_user(session, accepted_terms=None)
    login(client, older)
    held = client.get("/account")
    assert held.status_code == 302 and held.location.startswith("/terms/accept")
    ask = client.get(held.location).text
    assert "Please read the terms of participation and accept them" in ask
