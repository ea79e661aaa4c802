"""A participant makes an API token, downloads a copy of their data from the
e-mailed link, and deletes their account, in a real browser."""

from __future__ import annotations

import io
import json
import zipfile

import pytest

from tests.browser import journey_support as js
from tests.browser.conftest import check_a11y

pytestmark = pytest.mark.browser


@pytest.fixture()
def world(live_server):
    def seed(session):
        tag = js.suffix()
        author = js.account(session, "Elena Author", roles=(("author", "country", "AT"),))
        person = js.account(session, "Paula Person")
        draft = js.consultation(session, author, title=f"Draft Decree on Brokering {tag}")
        js.comment(session, draft, person, "Brokering should need a licence.")
        return dict(person=person, draft=draft)

    return js.in_app(live_server, seed)


def test_a_participant_makes_a_token_downloads_their_data_and_deletes_their_account(page, live_server, world):
    person: js.Account = world["person"]
    js.sign_in(page, person)

    # --- an API token ------------------------------------------------------------------------
    js.visit(page, "/account")
    with page.expect_navigation():
        page.get_by_role("link", name="API access tokens").click()
    check_a11y(page)
    page.get_by_label("Name").fill("Regional sync")
    page.get_by_label("What it may read").select_option("read_as_me")
    js.submit(page, "Create token")
    secret = page.get_by_test_id("new-token").input_value().strip()
    assert secret.startswith("agora_")
    api = page.request.get("/api/v1/me/digests", headers={"Authorization": f"Bearer {secret}"})
    assert api.status == 200 and api.json()["items"] == []
    js.submit(page, "Revoke Regional sync")
    assert "was revoked" in js.flash(page)
    assert page.request.get("/api/v1/consultations", headers={"Authorization": f"Bearer {secret}"}).status == 401

    # --- a copy of my data ---------------------------------------------------------------------
    js.visit(page, "/account/data")
    js.submit(page, "Prepare a copy of my data")
    assert "download link by e-mail" in js.flash(page)

    def build(session):
        from app.privacy.jobs import build_due_exports

        return build_due_exports(session)

    assert js.in_app(live_server, build) == 1
    message = js.mail_to(live_server, person.email, "data is ready")
    download = page.request.get(js.link_in(live_server, message, r"^/account/data/exports/"))
    assert download.status == 200
    archive = zipfile.ZipFile(io.BytesIO(download.body()))
    comments = json.loads(archive.read("comments.json"))
    assert comments[0]["body_source"] == "Brokering should need a licence."

    # --- delete my account ---------------------------------------------------------------------
    js.visit(page, "/account/data")
    with page.expect_navigation():
        page.get_by_role("link", name="Delete my account").click()
    check_a11y(page)
    page.get_by_label("Your password").fill(person.password)
    page.get_by_label("I understand that my account is closed at once and cannot be restored.").check()
    js.submit(page, "Delete my account")
    assert "Your account is closed" in js.flash(page)
    page.goto("/account")
    assert "/login" in page.url
    js.visit(page, world["draft"].article_5_url)
    assert page.get_by_text("Brokering should need a licence.").first.is_visible()
    assert page.get_by_text("Former participant").first.is_visible()
