"""A moderator works the review queue in a real browser.

Approves a pending comment, rejects another with a reason (its author sees
the reason in their own browser and by e-mail), hides a flagged comment and
bans the spammer who wrote it. axe-core checks every page on the way.
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
        from app.comments.models import Comment
        from app.moderation.services import DecisionInput, decide, flag_comment

        tag = js.suffix()
        moderator = js.account(session, "Marco Moderator", roles=((Role.MODERATOR, "global", ""),))
        author = js.account(session, "Elena Author", roles=((Role.AUTHOR, "country", "AT"),))
        good, off_topic, spammer = (js.account(session, n) for n in ("Pia Participant", "Rex Rambler",
                                                                     "Sam Spammer"))
        flaggers = [js.account(session, f"Flora Flagger {n}") for n in (1, 2)]
        draft = js.consultation(session, author, title=f"Draft Decree on Border Controls {tag}", moderation="pre")
        ids = dict(
            good=js.comment(session, draft, good, "Article 5(1) should name the authority that may prohibit transit."),
            off_topic=js.comment(session, draft, off_topic, "Unrelated: when will the football stadium reopen?"),
            spam=js.comment(session, draft, spammer, "Cheap dual-use widgets, best prices, write to me today!"),
        )
        spam = session.get(Comment, ids["spam"])
        decide(session, spam, DecisionInput(action="approve"), expected_version=spam.version,
               actor=js.user_of(session, moderator))  # it looked harmless at first
        for flagger in flaggers:
            flag_comment(session, spam, reason="spam", actor=js.user_of(session, flagger))
        return dict(moderator=moderator, good=good, off_topic=off_topic, spammer=spammer, draft=draft, ids=ids)

    return js.in_app(live_server, seed)


def open_item(page, comment_id: int) -> None:
    with page.expect_navigation():
        page.locator(f"#item-{comment_id}").get_by_role("link").first.click()
    check_a11y(page)


def decide(page, action: str, reason: str = "") -> None:
    panel = page.get_by_role("region", name="Decide")
    panel.get_by_label("Decision", exact=True).select_option(label=action)
    if reason:
        panel.get_by_label("Reason in your own words").fill(reason)
    js.submit(page, "Record the decision", scope=panel)


def test_a_moderator_approves_rejects_hides_and_sanctions(page, browser, live_server, world):
    draft: js.Draft = world["draft"]
    ids = world["ids"]
    js.sign_in(page, world["moderator"])

    # --- the queue, filtered to this consultation ---------------------------------------------
    js.visit(page, "/manage/moderation/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Review queue")
    page.get_by_label("Consultation", exact=True).select_option(label=draft.title)
    js.submit(page, "Filter")
    items = page.locator(".queue-items > li")
    expect(items).to_have_count(2)
    expect(page.locator(f"#item-{ids['good']}")).to_contain_text("should name the authority")
    expect(page.locator(f"#item-{ids['off_topic']}")).to_contain_text("football stadium")
    queue_url = page.url

    # --- the keyboard alone: one tab stop per item, then "select all" without a round trip ------
    boxes = page.locator('.queue-items input[name="items"]')
    boxes.nth(0).focus()
    page.keyboard.press("Tab")
    expect(boxes.nth(1)).to_be_focused()
    select_all = page.get_by_role("button", name=re.compile(r"^Select all"))
    select_all.focus()
    page.keyboard.press("Enter")
    expect(boxes.nth(0)).to_be_checked()
    expect(boxes.nth(1)).to_be_checked()
    assert page.url == queue_url
    page.get_by_role("button", name="Clear the selection").click()
    expect(boxes.nth(0)).not_to_be_checked()

    # --- approve ----------------------------------------------------------------------------
    open_item(page, ids["good"])
    decide(page, "Approve")
    assert "Decision recorded: approved." in js.flash(page)
    expect(page.get_by_role("region", name="Decisions on this comment")).to_contain_text("pproved")

    # --- reject with a reason -----------------------------------------------------------------
    js.visit(page, queue_url)
    expect(items).to_have_count(1)
    open_item(page, ids["off_topic"])
    decide(page, "Reject")  # without a reason: refused, with the error next to the field
    summary = page.get_by_role("alert").filter(has=page.get_by_role("heading", name="There is a problem"))
    expect(summary).to_contain_text("Give a reason")
    reason = "Off-topic: this consultation is about transit controls, not stadiums."
    decide(page, "Reject", reason)
    assert "Decision recorded: rejected." in js.flash(page)

    js.visit(page, queue_url)
    expect(page.get_by_text("Nothing awaits moderation.")).to_be_visible()

    # The author sees the decision and its reason, in their own browser and by e-mail.
    rejected: js.Account = world["off_topic"]
    other = browser.new_context(base_url=live_server.url, locale="en-GB", timezone_id="UTC")
    try:
        author_page = other.new_page()
        js.sign_in(author_page, rejected)
        js.visit(author_page, "/account/moderation")
        decisions = author_page.get_by_role("region", name="Decisions on my comments")
        expect(decisions).to_contain_text("Rejected")
        expect(decisions).to_contain_text(reason)
        message = js.mail_to(live_server, rejected.email, "A moderator decided on your comment")
        assert reason in live_server.mail.text_of(message)
        # The e-mail's links lead to the decision and to the comment's receipt, which still opens.
        links = live_server.mail.links_in(message)
        [to_decision] = [link for link in links if "/account/moderation#decision-" in link]
        js.visit(author_page, to_decision)
        [to_receipt] = [link for link in links if link.endswith("/receipt")]
        js.visit(author_page, to_receipt)
        expect(author_page.get_by_role("main")).to_contain_text(reason)
        # The approved comment is public; the rejected one is not.
        js.visit(author_page, draft.article_5_url)
        discussion = author_page.get_by_role("region", name=re.compile("Comments on this provision"))
        expect(discussion).to_contain_text("should name the authority")
        expect(discussion).not_to_contain_text("football stadium")
    finally:
        other.close()

    # --- hide the flagged comment -------------------------------------------------------------
    js.visit(page, re.sub(r"tab=\w+", "tab=flagged", queue_url))
    flagged = page.locator(f"#item-{ids['spam']}")
    expect(flagged).to_contain_text("Spam or advertising × 2")
    open_item(page, ids["spam"])
    decide(page, "Hide", "Advertising is not allowed in consultations.")
    assert "Decision recorded: hidden." in js.flash(page)

    # --- sanction the spammer -----------------------------------------------------------------
    spammer: js.Account = world["spammer"]
    with page.expect_navigation():
        page.get_by_role("link", name="Full history and sanctions").click()
    check_a11y(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Moderation history of {spammer.name}")
    give = page.get_by_role("region", name="Give a sanction")
    give.get_by_label("Ban", exact=True).check()
    give.get_by_label("Reason in your own words").fill("Repeated advertising after flags by participants.")
    js.submit(page, "Record the sanction", scope=give)
    assert f"Sanction recorded: Ban. {spammer.name} has been told why." in js.flash(page)
    expect(page.get_by_text("This account is banned.")).to_be_visible()
    message = js.mail_to(live_server, spammer.email, "Your Agora 1540 account: Ban")
    assert "Repeated advertising" in live_server.mail.text_of(message)

    # The hidden comment is gone from the public page.
    js.visit(page, draft.article_5_url)
    expect(page.get_by_role("region", name=re.compile("Comments on this provision"))).not_to_contain_text(
        "Cheap dual-use widgets")
