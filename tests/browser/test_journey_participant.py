"""An NGO expert, from registration to a reply in a thread, in a real browser.

Registers → confirms the address from the e-mail the worker delivered → joins
a verified organisation (its representative accepts in a second browser) →
comments on Article 5 on behalf of the organisation → proposes wording →
replies in a thread. axe-core checks every page on the way.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser import journey_support as js
from tests.browser.conftest import check_a11y

pytestmark = pytest.mark.browser


@pytest.fixture()
def world(live_server):
    def seed(session):
        from app.accounts.models import Role
        from app.accounts.organisations import create_organisation, verify_organisation

        tag = js.suffix()
        representative = js.account(session, "Rania Representative")
        admin = js.account(session, "Ada Admin", roles=((Role.ADMIN, "global", ""),))
        author = js.account(session, "Elena Author", roles=((Role.AUTHOR, "country", "AT"),))
        other = js.account(session, "Omar Other")
        organisation = create_organisation(
            session, name=f"Centre for Strategic Trade Law {tag}", kind="ngo", country_code="AT",
            website="https://strategic-trade-law.example", description="Studies transit controls.",
            actor=js.user_of(session, representative))
        verify_organisation(session, organisation, actor=js.user_of(session, admin), reason="browser journey")
        draft = js.consultation(session, author, title=f"Draft Law on Strategic Goods {tag}", moderation="post")
        opening = js.comment(session, draft, other, "Free economic zones need the same controls as ports.")
        return dict(representative=representative, organisation_id=organisation.id,
                    organisation=organisation.name, draft=draft, other=other, opening=opening, tag=tag)

    return js.in_app(live_server, seed)


def test_an_ngo_expert_registers_joins_an_organisation_and_comments(page, browser, live_server, world):
    draft: js.Draft = world["draft"]
    email = f"nadia.{world['tag']}@example.org"
    name = f"Nadia Haddad {world['tag']}"
    password = "a long passphrase about transit controls"

    # --- register -------------------------------------------------------------------------
    js.visit(page, "/register")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Name shown to others").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_label("I accept the terms of participation and have read the privacy notice").check()
    js.submit(page, "Create an account")
    assert page.url.endswith("/check-email?sent=registration")

    # --- confirm the address from the delivered e-mail -----------------------------------------
    message = js.mail_to(live_server, email, re.compile(r"[Cc]onfirm"))
    js.visit(page, js.link_in(live_server, message, r"^/verify-email/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("E-mail address confirmed")
    with page.expect_navigation():
        page.get_by_role("main").get_by_role("link", name="Sign in").click()
    js.sign_in(page, js.Account(id=0, email=email, name=name, password=password))
    check_a11y(page)

    # --- ask to join the verified organisation -----------------------------------------------
    js.visit(page, f"/organisations/{world['organisation_id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(world["organisation"])
    js.submit(page, "Ask to join")
    expect(page.get_by_text("You asked to join. The representative has not decided yet")).to_be_visible()

    # --- the representative accepts, in a browser of their own, from the e-mail link -----------
    representative: js.Account = world["representative"]
    request_mail = js.mail_to(live_server, representative.email, "asks to join")
    members_link = js.link_in(live_server, request_mail, rf"^/organisations/{world['organisation_id']}/members")
    rep_context = browser.new_context(base_url=live_server.url, locale="en-GB", timezone_id="UTC")
    try:
        rep = rep_context.new_page()
        js.sign_in(rep, representative)
        js.visit(rep, members_link)
        requests = rep.get_by_role("table", name="Requests to join")
        expect(requests).to_contain_text(name)
        js.submit(rep, f"Accept {name}", scope=requests)
        expect(rep.get_by_role("table", name="Members")).to_contain_text(name)
    finally:
        rep_context.close()
    js.mail_to(live_server, email, f"You are now a member of {world['organisation']}")

    js.visit(page, f"/organisations/{world['organisation_id']}")
    expect(page.get_by_text("You are a member of this organisation.")).to_be_visible()

    # --- comment on Article 5 on behalf of the organisation -------------------------------------
    js.visit(page, draft.article_5_url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("Article 5")
    form = page.locator("#comment-form")
    form.get_by_label("Your comment", exact=True).fill(
        "Article 5(2) should say who supervises goods in free economic zones: customs, or the zone operator?")
    form.get_by_label("Opposes the provision").check()
    form.get_by_label("Speaking for").select_option(label=world["organisation"])
    js.submit(page, "Post comment", scope=form)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your comment was received")
    receipt = page.locator(".receipt-number").inner_text()
    assert re.fullmatch(r"[A-Z0-9-]{6,}", receipt), receipt
    expect(page.get_by_text("Your comment is published.")).to_be_visible()
    expect(page.locator("article.comment")).to_contain_text(f"for {world['organisation']}")
    js.mail_to(live_server, email, f"Receipt {receipt}")

    # --- propose wording (an amendment) -------------------------------------------------------
    js.visit(page, draft.article_5_url)
    form = page.locator("#comment-form")
    wording = form.get_by_label("Proposed wording for this provision")
    expect(wording).to_have_value(re.compile(r"Goods placed in a free economic zone remain subject to customs"))
    assert wording.get_attribute("rows") == "12"
    form.get_by_label("Your comment", exact=True).fill("Customs should keep the lead; proposed wording below.")
    expect(form.locator("#body-counter")).to_have_text("Characters left: 9,947")
    form.get_by_label("Proposed wording (amendment)").check()
    wording.fill(
        "2. Goods placed in a free economic zone remain subject to customs supervision, inspection "
        "and to the controls of this Law.")
    form.get_by_label("Speaking for").select_option(label=world["organisation"])
    js.submit(page, "Post comment", scope=form)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your comment was received")
    amendment = page.get_by_role("region", name="Proposed wording, compared with the draft")
    expect(amendment.locator("ins", has_text="inspection")).to_be_visible()
    expect(amendment.locator("ins", has_text="2.")).to_have_count(0)  # the copied number is not a change
    for marker in amendment.locator("ins, del").all():
        assert marker.inner_text().replace("inserted:", "").replace("deleted:", "").strip(), "no empty marker"

    # --- reply in a thread --------------------------------------------------------------------
    js.visit(page, draft.article_5_url)
    other: js.Account = world["other"]
    with page.expect_navigation():
        page.get_by_role("link", name=f"Reply to {other.name}").click()
    check_a11y(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Reply to a comment")
    page.get_by_label("Your comment", exact=True).fill("Agreed — and ports and airports should follow the same rule.")
    js.submit(page, "Post reply")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your comment was received")

    js.visit(page, draft.article_5_url)
    thread = page.locator(f"#comment-{world['opening']}").locator("xpath=..")
    expect(thread.locator(".comment-replies")).to_contain_text("ports and airports should follow the same rule")
    expect(thread.locator(".comment-replies")).to_contain_text(f"in reply to {other.name}")
    discussion = page.get_by_role("region", name=re.compile("Comments on this provision"))
    expect(discussion).to_contain_text("who supervises goods in free economic zones")
    expect(discussion.locator("ins").first).to_be_visible()

    # The other participant is told of the reply by e-mail.
    js.mail_to(live_server, other.email, f"{name} replied to your comment")
